use crate::both;
use crate::util::*;

fn copy_example(fx: &Fixture) {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("alembic/versions");
    for entry in std::fs::read_dir(src).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, fx.versions().join(p.file_name().unwrap())).unwrap();
    }
}

both!(
    upgrade_downgrade_and_upgrade_again_on_the_example_schema,
    |fx| {
        copy_example(fx);
        let r = fx.ok(&["upgrade", "head"]);
        assert!(
            r.stderr
                .contains("Running upgrade  -> 5f1c0a9e2b01, create users"),
            "{}",
            r.stderr
        );
        assert!(
            r.stderr
                .contains("Running upgrade c47a1e9f0d26 -> e93b6d2a4f58, add user bio"),
            "{}",
            r.stderr
        );
        assert_eq!(fx.heads(), vec!["e93b6d2a4f58"]);
        assert!(fx.table_exists("users") && fx.table_exists("notes"));

        // The search works on each engine, through its own mechanism.
        let mut c = fx.connect();
        c.batch("INSERT INTO users (email, display_name, bio) VALUES ('a@example.com', 'A', 'hi')")
            .unwrap();
        c.batch("INSERT INTO notes (id, user_id, title, body) VALUES (1, 1, 'groceries', 'buy oat milk')").unwrap();
        let hits = match fx.kind {
            Kind::Sqlite => fx.query("SELECT rowid FROM notes_fts WHERE notes_fts MATCH 'milk'"),
            Kind::Postgres => {
                fx.query("SELECT id FROM notes WHERE search @@ to_tsquery('english', 'milk')")
            }
        };
        assert_eq!(hits, vec![vec!["1".to_string()]]);

        let r = fx.ok(&["current"]);
        assert_eq!(r.stdout, "e93b6d2a4f58 (head)\n");

        fx.ok(&["downgrade", "base"]);
        assert_eq!(fx.heads(), Vec::<String>::new());
        let left: Vec<String> = fx
            .tables()
            .into_iter()
            .filter(|t| !t.starts_with("alembic_version"))
            .collect();
        assert_eq!(
            left,
            Vec::<String>::new(),
            "downgrade base leaves only the bookkeeping tables"
        );

        fx.ok(&["upgrade", "head"]);
        assert_eq!(fx.heads(), vec!["e93b6d2a4f58"]);
        let r = fx.ok(&["downgrade", "-1"]);
        assert!(
            r.stderr
                .contains("Running downgrade e93b6d2a4f58 -> c47a1e9f0d26, add user bio"),
            "{}",
            r.stderr
        );
        assert_eq!(fx.heads(), vec!["c47a1e9f0d26"]);
    }
);

#[test]
fn a_fresh_clone_upgrades_the_default_sqlite_database_with_no_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(dir.path().join("alembic/versions")).unwrap();
    std::fs::copy(
        root.join("alembic/alembic.ini"),
        dir.path().join("alembic/alembic.ini"),
    )
    .unwrap();
    for entry in std::fs::read_dir(root.join("alembic/versions")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(
            &p,
            dir.path()
                .join("alembic/versions")
                .join(p.file_name().unwrap()),
        )
        .unwrap();
    }
    let r = run_in(dir.path(), &["upgrade", "head"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.path().join("data/app.db").is_file());
}
