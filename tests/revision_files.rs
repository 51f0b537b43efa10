//! What a revision file may hold: section markers, statements as written, COPY data blocks, PostgreSQL's
//! string settings, and what makes a file or a versions folder an error.

use crate::both;
use crate::util::*;

/// A revision file with the given text after its header; the up section starts on line 6.
fn write_revision(fx: &Fixture, id: &str, revises: &str, sections: &str) -> std::path::PathBuf {
    let path = fx.versions().join(format!("{id}.sql"));
    std::fs::write(
        &path,
        format!("-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n{sections}"),
    )
    .unwrap();
    path
}

/// The text SQLite keeps for a schema object.
fn stored_sql(fx: &Fixture, name: &str) -> String {
    fx.query(&format!(
        "SELECT sql FROM sqlite_master WHERE name = '{name}'"
    ))[0][0]
        .clone()
}

// Section markers

both!(a_marker_in_another_letter_case_starts_its_section, |fx| {
    for (id, marker) in [
        ("r1", "-- Migrate:Down"),
        ("r2", "-- MIGRATE:DOWN Transaction:False"),
    ] {
        let revises = if id == "r1" { "" } else { "r1" };
        write_revision(
            fx,
            id,
            revises,
            &format!("-- migrate:UP\nCREATE TABLE t_{id} (id INTEGER);\n\n{marker}\nDROP TABLE t_{id};\n"),
        );
    }
    fx.ok(&["upgrade", "head"]);
    assert!(
        fx.table_exists("t_r1") && fx.table_exists("t_r2"),
        "the DROPs belong to the down sections"
    );
    fx.ok(&["downgrade", "base"]);
    assert!(!fx.table_exists("t_r1") && !fx.table_exists("t_r2"));
});

both!(
    a_line_that_looks_like_a_marker_but_is_not_one_is_an_error_naming_the_file_and_line,
    |fx| {
        for (marker, complaint) in [
            ("-- migrate: down", "is not a valid marker"),
            ("--  Migrate :down", "is not a valid marker"),
            ("-- migrate:dwon", "unknown marker '-- migrate:dwon'"),
            ("-- migrate:down sqlit", "unknown option 'sqlit'"),
        ] {
            let path = write_revision(
                fx,
                "r1",
                "",
                &format!("-- migrate:up\nCREATE TABLE t (id INTEGER);\n{marker}\nDROP TABLE t;\n"),
            );
            for args in [&["upgrade", "head"][..], &["history"][..]] {
                let r = fx.fails(args);
                assert!(
                    r.stderr.contains(&format!("{}:7: ", path.display())),
                    "{marker}: {}",
                    r.stderr
                );
                assert!(r.stderr.contains(complaint), "{marker}: {}", r.stderr);
            }
            assert!(!fx.table_exists("t"), "{marker}: nothing ran");
        }
    }
);

both!(
    a_marker_spelt_with_other_separators_or_words_is_an_error_not_a_comment,
    |fx| {
        for marker in [
            "-- migrate down",
            "-- Migrate Down",
            "-- migrate_down",
            "-- migrate-down",
            "-- migrations:down",
            "-- migration:down",
            "-- migrate.down",
            "-- migrate",
        ] {
            let path = write_revision(
                fx,
                "r1",
                "",
                &format!("-- migrate:up\nCREATE TABLE t (id INTEGER);\n{marker}\nDROP TABLE t;\n"),
            );
            let r = fx.fails(&["upgrade", "head"]);
            assert_eq!(r.code, 1);
            assert!(
                r.stderr.contains(&format!(
                    "{}:7: '{marker}' is not a valid marker",
                    path.display()
                )),
                "{marker}: {}",
                r.stderr
            );
            assert!(
                !fx.table_exists("t") && fx.heads().is_empty(),
                "{marker}: nothing ran"
            );
        }
        // Prose about migrating stays a comment.
        write_revision(
            fx,
            "r1",
            "",
            "-- migrate:up\n-- migrate the users table to the new layout\n-- migration notes: t is new\nCREATE TABLE t (id INTEGER);\n-- migrate:down\nDROP TABLE t;\n",
        );
        fx.ok(&["upgrade", "head"]);
        assert!(fx.table_exists("t"));
    }
);

both!(a_marker_line_inside_a_string_is_text, |fx| {
    write_revision(
        fx,
        "r1",
        "",
        "-- migrate:up\nCREATE TABLE notes (body TEXT);\nINSERT INTO notes VALUES ('before\n-- migrate:down\nafter');\n\n-- migrate:down\nDROP TABLE notes;\n",
    );
    fx.ok(&["upgrade", "head"]);
    assert_eq!(
        fx.query("SELECT body FROM notes"),
        [["before\n-- migrate:down\nafter"]]
    );
    fx.ok(&["downgrade", "base"]);
    assert!(!fx.table_exists("notes"));
});

#[test]
fn a_marker_line_inside_a_dollar_quoted_body_is_text() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    write_revision(
        &fx,
        "r1",
        "",
        "-- migrate:up\nCREATE FUNCTION note() RETURNS text LANGUAGE sql AS $$\nSELECT 'x'\n-- migrate:down\n$$;\n\n-- migrate:down\nDROP FUNCTION note();\n",
    );
    fx.ok(&["upgrade", "head"]);
    assert_eq!(fx.query("SELECT note()"), [["x"]]);
    fx.ok(&["downgrade", "base"]);
    assert!(fx
        .query("SELECT proname FROM pg_proc WHERE proname = 'note'")
        .is_empty());
}

// Line numbers

both!(an_error_in_a_section_names_the_files_line, |fx| {
    fx.chain(1);
    let path = fx.revision(
        "r2",
        &["r1"],
        "CREATE TABLE t2 (id INTEGER);\n\nSELECT 'never closed;",
        Some("DROP TABLE t2;"),
    );
    let r = fx.fails(&["upgrade", "head"]);
    assert!(
        r.stderr.contains(&format!(
            "{}:10: unterminated quoted string",
            path.display()
        )),
        "{}",
        r.stderr
    );
    assert!(
        fx.heads().is_empty() && !fx.table_exists("t1"),
        "nothing ran"
    );
});

// Statements as written

#[test]
fn sqlite_stores_statements_as_the_sqlite3_shell_does() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE t (a int) -- c\n;\nCREATE TABLE u (a int)  /* x */ ;\nCREATE VIEW v AS SELECT 1 /* y */ ;\nCREATE INDEX i ON t(a)  -- z\n ;\nCREATE VIEW w AS SELECT 2 -- last, no semicolon\n",
        Some("DROP VIEW w;\nDROP INDEX i;\nDROP VIEW v;\nDROP TABLE u;\nDROP TABLE t;"),
    );
    fx.ok(&["upgrade", "head"]);
    // What `sqlite3 app.db < section.sql` leaves in sqlite_master for the same text.
    assert_eq!(stored_sql(&fx, "t"), "CREATE TABLE t (a int)");
    assert_eq!(stored_sql(&fx, "u"), "CREATE TABLE u (a int)");
    assert_eq!(stored_sql(&fx, "v"), "CREATE VIEW v AS SELECT 1 /* y */");
    assert_eq!(stored_sql(&fx, "i"), "CREATE INDEX i ON t(a)  -- z\n ");
    assert_eq!(
        stored_sql(&fx, "w"),
        "CREATE VIEW w AS SELECT 2 -- last, no semicolon"
    );
    fx.ok(&["downgrade", "base"]);
    assert!(!fx.table_exists("t") && !fx.table_exists("u"));
}

both!(
    statements_ending_in_a_line_comment_run_online_and_offline,
    |fx| {
        fx.revision(
        "r1",
        &[],
        "CREATE TABLE t (a int) -- why\n;\nINSERT INTO t VALUES (1) -- one\n;\nINSERT INTO t VALUES (2) -- two, last",
        Some("DROP TABLE t -- bye\n;"),
    );
        let offline = fx.ok(&["upgrade", "head", "--sql"]).stdout;
        assert!(
            offline.contains("INSERT INTO t VALUES (1) -- one\n;\n"),
            "{offline}"
        );
        assert!(
            offline.contains("INSERT INTO t VALUES (2) -- two, last\n;\n"),
            "{offline}"
        );
        fx.ok(&["upgrade", "head"]);
        assert_eq!(fx.query("SELECT a FROM t ORDER BY a"), [["1"], ["2"]]);
        fx.ok(&["downgrade", "base"]);
        assert!(!fx.table_exists("t"));
    }
);

// SQLite triggers

#[test]
fn a_trigger_without_end_before_80000_statements_fails_at_once_naming_its_line() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    let path = fx.revision(
        "r1",
        &[],
        &format!(
            "CREATE TABLE t (a int);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n{}",
            "INSERT INTO t VALUES (1);\n".repeat(80_000)
        ),
        Some("DROP TABLE t;"),
    );
    // Splitting re-read the growing statement at every ';' and took minutes; one pass takes well under a
    // second (the benchmark measures speed; here a regression shows as a run that does not end).
    let r = fx.fails(&["upgrade", "head"]);
    assert!(
        r.stderr.contains(&format!(
            "{}:9: CREATE TRIGGER without the 'END;'",
            path.display()
        )),
        "{}",
        r.stderr
    );
    assert!(!fx.table_exists("t"), "nothing ran");
}

// standard_conforming_strings

#[test]
fn backslash_escapes_work_after_turning_standard_conforming_strings_off() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE q (s text);\nSET standard_conforming_strings = off;\nINSERT INTO q VALUES ('it\\'s; fine');\nSET standard_conforming_strings = on;\nINSERT INTO q VALUES ('back\\slash');",
        Some("DROP TABLE q;"),
    );
    fx.ok(&["upgrade", "head"]);
    assert_eq!(
        fx.query("SELECT s FROM q ORDER BY s"),
        [["back\\slash"], ["it's; fine"]]
    );
}

#[test]
fn a_section_that_leaves_standard_conforming_strings_off_is_an_error_naming_the_set() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    let path = fx.revision(
        "r1",
        &[],
        "CREATE TABLE q (s text);\nSET standard_conforming_strings = off;\nINSERT INTO q VALUES ('it\\'s');",
        Some("DROP TABLE q;"),
    );
    let r = fx.fails(&["upgrade", "head"]);
    assert!(
        r.stderr.contains(&format!(
            "{}:9: standard_conforming_strings is turned off here and not back on",
            path.display()
        )),
        "{}",
        r.stderr
    );
    assert!(!fx.table_exists("q"));
}

// COPY … FROM stdin

const PEOPLE_UP: &str = "CREATE TABLE people (id int PRIMARY KEY, name text);\n\n--\n-- Data for Name: people; Type: TABLE DATA; Schema: public; Owner: -\n--\n\nCOPY public.people (id, name) FROM stdin;\n1\tAda; Lovelace\n2\t\\N\n\\.\n\n\nINSERT INTO people VALUES (3, 'after the copy');";

#[test]
fn a_pg_dump_copy_block_seeds_data_in_batched_and_autocommit_sections() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.revision("r1", &[], PEOPLE_UP, Some("DROP TABLE people;"));
    write_revision(
        &fx,
        "r2",
        "r1",
        "-- migrate:up transaction:false\nCOPY people FROM stdin;\n4\tGrace\n\\.\n-- migrate:down\nDELETE FROM people WHERE id = 4;\n",
    );
    fx.ok(&["upgrade", "head"]);
    assert_eq!(
        fx.query("SELECT id, coalesce(name, 'NULL!') FROM people ORDER BY id"),
        [
            ["1", "Ada; Lovelace"],
            ["2", "NULL!"],
            ["3", "after the copy"],
            ["4", "Grace"]
        ]
    );
    assert_eq!(fx.heads(), ["r2"]);
    fx.ok(&["downgrade", "base"]);
    assert!(!fx.table_exists("people"));
}

#[test]
fn a_revision_made_from_real_pg_dump_output_seeds_the_table() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE people (id serial PRIMARY KEY, name text, note text);",
        Some("DROP TABLE people;"),
    );
    fx.ok(&["upgrade", "head"]);
    fx.connect()
        .batch("INSERT INTO people (name, note) VALUES ('Ada', E'tab\\there\\\\back'), ('Bob', NULL), ('it''s; fine', E'line\\nbreak')")
        .unwrap();
    let dump = std::process::Command::new("pg_dump")
        .args(["--data-only", "--table=people", &fx.url])
        .output()
        .expect("pg_dump runs");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let expected = fx.query("SELECT id, name, coalesce(note, 'NULL') FROM people ORDER BY id");
    fx.connect()
        .batch("TRUNCATE people; ALTER SEQUENCE people_id_seq RESTART")
        .unwrap();
    // What the documentation says to drop: psql's \restrict guard lines, and the search_path that pg_dump
    // empties for the rest of the session.
    let up: String = String::from_utf8(dump.stdout)
        .unwrap()
        .lines()
        .filter(|l| {
            !l.starts_with("\\restrict")
                && !l.starts_with("\\unrestrict")
                && !l.contains("set_config('search_path'")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(up.contains("FROM stdin;\n"), "{up}");
    fx.revision("r2", &["r1"], &up, Some("DELETE FROM people;"));
    fx.ok(&["upgrade", "head"]);
    assert_eq!(
        fx.query("SELECT id, name, coalesce(note, 'NULL') FROM people ORDER BY id"),
        expected
    );
    assert_eq!(fx.heads(), ["r2"]);
}

#[test]
fn offline_sql_prints_a_copy_with_its_data_block_as_pg_dump_does() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.revision("r1", &[], PEOPLE_UP, Some("DROP TABLE people;"));
    let out = fx.ok(&["upgrade", "head", "--sql"]).stdout;
    assert!(
        out.contains("COPY public.people (id, name) FROM stdin;\n1\tAda; Lovelace\n2\t\\N\n\\.\n\nINSERT INTO people VALUES (3, 'after the copy');\n"),
        "{out}"
    );
    assert!(fx.tables().is_empty());
}

#[test]
fn a_failing_copy_names_its_statement_and_changes_nothing() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    let path = fx.revision(
        "r1",
        &[],
        "CREATE TABLE people (id int, name text);\nCOPY people (id, name) FROM stdin;\nnot-a-number\tAda\n\\.\n",
        Some("DROP TABLE people;"),
    );
    let r = fx.fails(&["upgrade", "head"]);
    assert!(
        r.stderr.contains(&format!(
            "{}:9: upgrade of revision 'r1' failed at `COPY people (id, name) FROM stdin`",
            path.display()
        )),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("not-a-number"), "{}", r.stderr);
    assert!(fx.heads().is_empty() && !fx.table_exists("people"));
}

/// A COPY the server rejects before its data: the revision fails with the server's reason at the COPY's line,
/// is rolled back (with the COPY that went before it), and the same connection records the failure.
fn a_copy_rejected_before_its_data_fails_cleanly(
    section: &str,
    line: usize,
    statement: &str,
    reason: &str,
    args: &[&str],
) {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.revision("r1", &[], "CREATE TABLE s (a text);", Some("DROP TABLE s;"));
    let single = args.contains(&"--single-transaction");
    if !single {
        fx.ok(&["upgrade", "head"]);
    }
    let path = write_revision(&fx, "r2", "r1", section);
    let r = fx.fails(args);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(&format!(
            "{}:{line}: upgrade of revision 'r2' failed at `{statement}`: {reason}",
            path.display()
        )),
        "{}",
        r.stderr
    );
    if single {
        assert!(fx.heads().is_empty() && !fx.table_exists("s"));
    } else {
        assert_eq!(fx.heads(), ["r1"]);
        assert!(
            fx.query("SELECT a FROM s").is_empty(),
            "the good COPY was rolled back"
        );
    }
    let failed = fx
        .query("SELECT revision, direction, error FROM alembic_version_history WHERE NOT success");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0][..2], ["r2", "upgrade"]);
    assert!(failed[0][2].contains(reason), "{failed:?}");
    // The connection that failed is in step with the server: the next run gets the same answer.
    let again = fx.fails(args);
    assert!(again.stderr.contains(reason), "{}", again.stderr);
}

const COPY_BAD_COLUMN: &str =
    "-- migrate:up\nCOPY s (a) FROM stdin;\nok\n\\.\nCOPY s (a, nosuchcol) FROM stdin;\nx\tx\n\\.\n";
const COPY_BAD_COLUMN_REASON: &str =
    "column \"nosuchcol\" of relation \"s\" does not exist (SQLSTATE 42703)";
const COPY_NO_TABLE: &str = "-- migrate:up\nCOPY nosuch (a) FROM stdin;\nx\n\\.\n";
const COPY_NO_TABLE_REASON: &str = "relation \"nosuch\" does not exist (SQLSTATE 42P01)";

#[test]
fn a_copy_of_a_missing_column_fails_with_the_servers_reason_and_is_recorded() {
    a_copy_rejected_before_its_data_fails_cleanly(
        COPY_BAD_COLUMN,
        9,
        "COPY s (a, nosuchcol) FROM stdin",
        COPY_BAD_COLUMN_REASON,
        &["upgrade", "head"],
    );
}

#[test]
fn a_copy_of_a_missing_column_fails_cleanly_in_a_single_transaction() {
    a_copy_rejected_before_its_data_fails_cleanly(
        COPY_BAD_COLUMN,
        9,
        "COPY s (a, nosuchcol) FROM stdin",
        COPY_BAD_COLUMN_REASON,
        &["upgrade", "head", "--single-transaction"],
    );
}

#[test]
fn a_copy_into_a_missing_table_fails_with_the_servers_reason_and_is_recorded() {
    a_copy_rejected_before_its_data_fails_cleanly(
        COPY_NO_TABLE,
        6,
        "COPY nosuch (a) FROM stdin",
        COPY_NO_TABLE_REASON,
        &["upgrade", "head"],
    );
}

#[test]
fn a_copy_into_a_missing_table_fails_cleanly_in_a_single_transaction() {
    a_copy_rejected_before_its_data_fails_cleanly(
        COPY_NO_TABLE,
        6,
        "COPY nosuch (a) FROM stdin",
        COPY_NO_TABLE_REASON,
        &["upgrade", "head", "--single-transaction"],
    );
}

#[test]
fn a_copy_data_block_in_a_sqlite_section_is_an_error_naming_the_line() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    let path = fx.revision(
        "r1",
        &[],
        "CREATE TABLE people (id int, name text);\nCOPY people (id, name) FROM stdin;\n1\tAda\n\\.\n",
        Some("DROP TABLE people;"),
    );
    let r = fx.fails(&["upgrade", "head"]);
    assert!(
        r.stderr
            .contains(&format!("{}:11: psql meta-command '\\.'", path.display())),
        "{}",
        r.stderr
    );
    assert!(!fx.table_exists("people"));
}

// What a versions folder and a header may not hold

#[test]
fn a_dangling_sql_link_or_a_folder_named_sql_is_an_error_naming_it() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.chain(1);
    let link = fx.versions().join("gone.sql");
    std::os::unix::fs::symlink(fx.path().join("nowhere.sql"), &link).unwrap();
    let r = fx.fails(&["heads"]);
    assert!(
        r.stderr.contains(&format!(
            "{}: a symbolic link to a file that does not exist",
            link.display()
        )),
        "{}",
        r.stderr
    );
    std::fs::remove_file(&link).unwrap();
    let folder = fx.versions().join("x.sql");
    std::fs::create_dir(&folder).unwrap();
    let r = fx.fails(&["upgrade", "head"]);
    assert!(
        r.stderr
            .contains(&format!("{}: a folder", folder.display())),
        "{}",
        r.stderr
    );
    assert!(!fx.table_exists("t1"));
}

#[test]
fn empty_entries_in_revises_are_an_error_not_a_root() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.chain(1);
    for revises in [", ,", "r1,", ", r1"] {
        let path = write_revision(
            &fx,
            "r2",
            revises,
            "\n-- migrate:up\nCREATE TABLE t2 (id INTEGER);\n",
        );
        let r = fx.fails(&["heads"]);
        assert!(
            r.stderr.contains(&format!(
                "{}:4: 'Revises: {revises}' has an empty entry",
                path.display()
            )),
            "{revises}: {}",
            r.stderr
        );
    }
}

#[test]
fn rev_ids_and_file_templates_cannot_write_outside_the_versions_folder() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    for id in ["../../escaped", "a/b", "a\\b", ".."] {
        let r = fx.fails(&["revision", "-m", "x", "--rev-id", id]);
        assert!(
            r.stderr.contains(&format!(
                "revision identifier '{id}' contains '/', '\\' or '..'"
            )),
            "{id}: {}",
            r.stderr
        );
    }
    let ini = fx.path().join("alembic.ini");
    let text = std::fs::read_to_string(&ini).unwrap();
    std::fs::write(&ini, format!("{text}file_template = ../../%%(rev)s\n")).unwrap();
    let r = fx.fails(&["revision", "-m", "x", "--rev-id", "abc"]);
    assert!(
        r.stderr.contains("gives the file name '../../abc'"),
        "{}",
        r.stderr
    );
    let parent = fx.path().parent().unwrap();
    assert!(!parent.join("abc.sql").exists() && !parent.join("escaped_x.sql").exists());
    assert_eq!(std::fs::read_dir(fx.versions()).unwrap().count(), 0);
}

#[test]
fn a_message_that_would_read_as_a_marker_writes_no_file() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    for message in ["Migrate: users", "migrate down", "Migrations:up"] {
        let r = fx.fails(&["revision", "-m", message]);
        assert!(
            r.stderr.contains(&format!(
                "the message '{message}' would read as a section marker"
            )),
            "{}",
            r.stderr
        );
    }
    assert_eq!(std::fs::read_dir(fx.versions()).unwrap().count(), 0);
    fx.ok(&["revision", "-m", "migrate users"]);
    fx.ok(&["heads"]);
}
