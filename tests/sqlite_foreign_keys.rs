//! Foreign keys during SQLite migrations: enforcement is off, as in the sqlite3 shell and Alembic, so the
//! table-rebuild procedure SQLite documents works; references are checked before each revision commits.

use crate::util::{Fixture, Kind};

const PARENT_AND_CHILDREN: &str = "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE);
INSERT INTO parent VALUES (1, 'a'), (2, 'b');
INSERT INTO child VALUES (1, 1), (2, 2);";

/// SQLite's procedure for a change ALTER TABLE cannot make: create the new table, copy, drop, rename.
fn rebuild_parent(keep: &str) -> String {
    format!(
        "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO parent_new SELECT id, name FROM parent WHERE {keep};
DROP TABLE parent;
ALTER TABLE parent_new RENAME TO parent;"
    )
}

fn sqlite() -> Fixture {
    Fixture::new(Kind::Sqlite).unwrap()
}

#[test]
fn rebuilding_a_parent_table_keeps_the_rows_that_reference_it_on_delete_cascade() {
    let fx = sqlite();
    fx.revision("r1", &[], PARENT_AND_CHILDREN, None);
    fx.revision("r2", &["r1"], &rebuild_parent("1 = 1"), None);
    fx.ok(&["upgrade", "head"]);
    assert_eq!(fx.heads(), vec!["r2"]);
    assert_eq!(
        fx.query("SELECT id, parent_id FROM child ORDER BY id"),
        vec![vec!["1", "1"], vec!["2", "2"]]
    );
    assert!(fx.query("PRAGMA foreign_key_check").is_empty());
}

#[test]
fn rebuilding_a_referenced_table_without_cascade_succeeds() {
    let fx = sqlite();
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE note (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id));
INSERT INTO parent VALUES (1, 'a');
INSERT INTO note VALUES (1, 1);",
        None,
    );
    fx.revision("r2", &["r1"], &rebuild_parent("1 = 1"), None);
    fx.ok(&["upgrade", "head"]);
    assert_eq!(fx.heads(), vec!["r2"]);
    assert_eq!(fx.query("SELECT COUNT(*) FROM note"), vec![vec!["1"]]);
}

/// Asserts the failure names the revision, the file, and the row whose parent went missing.
fn assert_names_the_dangling_row(stderr: &str) {
    assert!(
        stderr.contains("upgrade of revision 'r2' failed PRAGMA foreign_key_check: ")
            && stderr.contains("r2.sql")
            && stderr
                .contains("table 'child' rowid 1 (parent_id) references a missing row in 'parent'"),
        "{stderr}"
    );
    assert!(!stderr.contains("rowid 2"), "only row 1 dangles:\n{stderr}");
}

fn failed_history(fx: &Fixture) -> Vec<Vec<String>> {
    fx.query("SELECT revision FROM alembic_version_history WHERE success = 0")
}

#[test]
fn a_rebuild_that_leaves_a_reference_dangling_fails_and_is_rolled_back() {
    let fx = sqlite();
    fx.revision("r1", &[], PARENT_AND_CHILDREN, None);
    fx.revision("r2", &["r1"], &rebuild_parent("id <> 1"), None);
    fx.ok(&["upgrade", "r1"]);
    let r = fx.fails(&["upgrade", "head"]);
    assert_eq!(r.code, 1);
    assert_names_the_dangling_row(&r.stderr);
    assert_eq!(fx.heads(), vec!["r1"]);
    assert_eq!(
        fx.query("SELECT id FROM parent ORDER BY id"),
        vec![vec!["1"], vec!["2"]]
    );
    assert!(!fx.table_exists("parent_new"));
    assert_eq!(failed_history(&fx), vec![vec!["r2"]]);
}

#[test]
fn the_check_also_runs_in_one_transaction_for_the_whole_run() {
    let fx = sqlite();
    fx.revision("r1", &[], PARENT_AND_CHILDREN, None);
    fx.revision("r2", &["r1"], &rebuild_parent("id <> 1"), None);
    let r = fx.fails(&["upgrade", "head", "--single-transaction"]);
    assert_names_the_dangling_row(&r.stderr);
    assert_eq!(fx.heads(), Vec::<String>::new());
    assert!(!fx.table_exists("parent"));
    assert_eq!(failed_history(&fx), vec![vec!["r2"]]);
}

#[test]
fn a_transaction_false_section_that_leaves_a_reference_dangling_is_not_recorded_as_applied() {
    let fx = sqlite();
    fx.revision("r1", &[], PARENT_AND_CHILDREN, None);
    std::fs::write(
        fx.versions().join("r2.sql"),
        format!(
            "-- Revision ID: r2\n-- Revises: r1\n-- Create Date: 2026-11-21 10:00:00.000000\n\n-- migrate:up transaction:false\n{}\n",
            rebuild_parent("id <> 1")
        ),
    )
    .unwrap();
    fx.ok(&["upgrade", "r1"]);
    let r = fx.fails(&["upgrade", "head"]);
    assert_names_the_dangling_row(&r.stderr);
    // Statements outside a transaction cannot be rolled back; the version table says r2 never completed.
    assert_eq!(fx.heads(), vec!["r1"]);
    assert_eq!(failed_history(&fx), vec![vec!["r2"]]);
}

#[test]
fn a_schema_whose_children_are_created_and_filled_before_their_parents_loads() {
    let fx = sqlite();
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE order_details (
    order_id INTEGER NOT NULL REFERENCES orders(order_id),
    product_id INTEGER NOT NULL REFERENCES products(product_id),
    quantity INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
INSERT INTO order_details VALUES (10248, 11, 12), (10248, 42, 10), (10249, 14, 9);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(customer_id),
    employee_id INTEGER REFERENCES employees(employee_id)
);
INSERT INTO orders VALUES (10248, 'VINET', 5), (10249, 'TOMSP', 6);
CREATE TABLE products (
    product_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    category_id INTEGER REFERENCES categories(category_id) ON DELETE CASCADE
);
INSERT INTO products VALUES (11, 'Queso Cabrales', 4), (14, 'Tofu', 7), (42, 'Singaporean Hokkien Fried Mee', 5);
CREATE TABLE customers (customer_id TEXT PRIMARY KEY, company TEXT NOT NULL);
INSERT INTO customers VALUES ('VINET', 'Vins et alcools Chevalier'), ('TOMSP', 'Toms Spezialitäten');
CREATE TABLE employees (
    employee_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    reports_to INTEGER REFERENCES employees(employee_id)
);
INSERT INTO employees VALUES (5, 'Steven Buchanan', 2), (6, 'Michael Suyama', 5), (2, 'Andrew Fuller', NULL);
CREATE TABLE categories (category_id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO categories VALUES (4, 'Dairy Products'), (5, 'Grains/Cereals'), (7, 'Produce');",
        None,
    );
    fx.ok(&["upgrade", "head"]);
    assert_eq!(fx.heads(), vec!["r1"]);
    assert_eq!(
        fx.query("SELECT COUNT(*) FROM order_details JOIN orders USING (order_id) JOIN products USING (product_id) JOIN customers USING (customer_id)"),
        vec![vec!["3"]]
    );
}
