use crate::both;

both!(an_edited_applied_revision_is_refused_until_accepted, |fx| {
    fx.chain(2);
    fx.ok(&["upgrade", "head"]);
    fx.ok(&["validate"]);
    let r1 = fx.versions().join("r1.sql");
    let text = std::fs::read_to_string(&r1).unwrap();
    std::fs::write(
        &r1,
        text.replace(
            "CREATE TABLE t1 (id INTEGER);",
            "CREATE TABLE t1 (id INTEGER, extra TEXT);",
        ),
    )
    .unwrap();
    fx.revision(
        "r3",
        &["r2"],
        "CREATE TABLE t3 (id INTEGER);",
        Some("DROP TABLE t3;"),
    );

    let r = fx.fails(&["upgrade", "head"]);
    assert!(
        r.stderr.contains("revision 'r1'")
            && r.stderr.contains("r1.sql")
            && r.stderr.contains("has changed since it was applied"),
        "{}",
        r.stderr
    );
    assert_eq!(fx.heads(), vec!["r2"]);

    let r = fx.run(&["validate"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("modified: r1"), "{}", r.stdout);

    fx.ok(&["validate", "--accept", "r1"]);
    fx.ok(&["validate"]);
    fx.ok(&["upgrade", "head"]);
    assert_eq!(fx.heads(), vec!["r3"]);
});

both!(
    line_endings_and_a_byte_order_mark_do_not_count_as_edits,
    |fx| {
        fx.chain(2);
        fx.ok(&["upgrade", "head"]);
        for id in ["r1", "r2"] {
            let p = fx.versions().join(format!("{id}.sql"));
            let text = std::fs::read_to_string(&p).unwrap();
            let edited = if id == "r1" {
                text.replace('\n', "\r\n")
            } else {
                format!("\u{feff}{text}")
            };
            std::fs::write(&p, edited).unwrap();
        }
        fx.ok(&["validate"]);
        fx.ok(&["upgrade", "head"]);
    }
);

both!(validate_reports_unknown_and_missing_revisions, |fx| {
    fx.chain(2);
    fx.ok(&["upgrade", "head"]);
    std::fs::remove_file(fx.versions().join("r2.sql")).unwrap();
    fx.revision("r2b", &["r1"], "", Some(""));
    let r = fx.run(&["validate", "--json"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    let findings: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let kinds: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"unknown") && kinds.contains(&"missing"),
        "{}",
        r.stdout
    );
});

both!(the_history_table_records_every_step, |fx| {
    fx.chain(2);
    fx.ok(&["upgrade", "head"]);
    fx.ok(&["downgrade", "r1"]);
    let rows = fx.query("SELECT revision, direction, message, checksum, applied_by, dbkit_version, down_revisions, depends_on FROM alembic_version_history ORDER BY id");
    assert_eq!(rows.len(), 3);
    assert_eq!(
        (
            rows[2][0].as_str(),
            rows[2][1].as_str(),
            rows[2][2].as_str()
        ),
        ("r2", "downgrade", "revision r2")
    );
    assert!(rows[0][3].starts_with("sql-sha256:") && rows[0][3].len() == 75);
    assert_eq!((rows[1][6].as_str(), rows[1][7].as_str()), ("r1", ""));
    assert!(rows[0][4].contains('@'));
    assert_eq!(rows[0][5], env!("CARGO_PKG_VERSION"));
});

/// Rewrites a revision file in place.
fn edit(fx: &crate::util::Fixture, id: &str, from: &str, to: &str) {
    let path = fx.versions().join(format!("{id}.sql"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} is not in {id}.sql:\n{text}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn dialects(fx: &crate::util::Fixture) -> (&'static str, &'static str) {
    match fx.kind {
        crate::util::Kind::Sqlite => ("sqlite", "postgresql"),
        crate::util::Kind::Postgres => ("postgresql", "sqlite"),
    }
}

both!(
    edits_that_do_not_change_what_ran_keep_an_applied_revision_valid,
    |fx| {
        let (own, other) = dialects(fx);
        fx.chain(2);
        fx.ok(&["upgrade", "head"]);
        // The message, a comment, the down section and another dialect's section: none of it ran here.
        edit(fx, "r1", "-- revision r1\n", "-- revision r1, reworded\n");
        edit(
            fx,
            "r1",
            "-- migrate:up\n",
            "-- migrate:up\n-- t1 holds the first things\n",
        );
        edit(fx, "r1", "DROP TABLE t1;", "DROP TABLE IF EXISTS t1;");
        let r1 = fx.versions().join("r1.sql");
        let mut text = std::fs::read_to_string(&r1).unwrap();
        text.push_str(&format!(
            "\n-- migrate:up {other}\nCREATE TABLE t1 (id BIGINT);\n"
        ));
        std::fs::write(&r1, text).unwrap();
        fx.revision("r3", &["r2"], "CREATE TABLE t3 (id INTEGER);", None);
        fx.ok(&["validate"]);
        fx.ok(&["upgrade", "head"]);
        assert_eq!(fx.heads(), vec!["r3"]);

        // A section of this database's own replaces the SQL that ran: that is a change.
        let mut text = std::fs::read_to_string(&r1).unwrap();
        text.push_str(&format!(
            "\n-- migrate:up {own}\nCREATE TABLE t1 (id INTEGER, name TEXT);\n"
        ));
        std::fs::write(&r1, text).unwrap();
        fx.revision("r4", &["r3"], "CREATE TABLE t4 (id INTEGER);", None);
        let r = fx.fails(&["upgrade", "head"]);
        assert!(
            r.stderr.contains(&format!(
                "revision 'r1' ({}) has changed since it was applied: its up SQL for {own} is not the SQL that ran",
                r1.display()
            )) && r.stderr.contains("'db-migrate downgrade base' (runs its down section), then 'db-migrate upgrade'"),
            "{}",
            r.stderr
        );
        assert_eq!(fx.heads(), vec!["r3"]);
        let r = fx.run(&["validate"]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(r.stdout.starts_with("modified: r1 ("), "{}", r.stdout);
    }
);

both!(
    checksums_recorded_by_an_older_dbkit_are_compared_as_they_were_then_brought_up_to_date,
    |fx| {
        let (_, other) = dialects(fx);
        fx.chain(2);
        fx.ok(&["upgrade", "head"]);
        // The table as the previous release left it: no identity columns, whole-file checksums.
        for column in ["down_revisions", "depends_on"] {
            fx.connect()
                .batch(&format!(
                    "ALTER TABLE alembic_version_history DROP COLUMN {column}"
                ))
                .unwrap();
        }
        for (id, text) in [
            (
                "r1",
                std::fs::read_to_string(fx.versions().join("r1.sql")).unwrap(),
            ),
            ("r2", "not the file that ran".to_string()),
        ] {
            fx.connect()
                .batch(&format!(
                    "UPDATE alembic_version_history SET checksum = '{}' WHERE revision = '{id}'",
                    dbkit::script::file_checksum(&text)
                ))
                .unwrap();
        }

        // r2's old record does not match its file, and an old record cannot say what changed.
        let r = fx.fails(&["upgrade", "head"]);
        assert!(
            r.stderr.contains("revision 'r2'")
                && r.stderr
                    .contains("an older dbkit recorded a checksum of the whole file")
                && r.stderr.contains("'db-migrate validate --accept r2'")
                && r.stderr
                    .contains("'db-migrate downgrade r1' (runs its down section)"),
            "{}",
            r.stderr
        );
        fx.ok(&["validate", "--accept", "r2"]);

        // r1's matches: the upgrade goes on and records what ran in its place, without a new row.
        fx.revision("r3", &["r2"], "CREATE TABLE t3 (id INTEGER);", None);
        let before = fx.query("SELECT COUNT(*) FROM alembic_version_history");
        fx.ok(&["upgrade", "head"]);
        let after = fx.query("SELECT COUNT(*) FROM alembic_version_history");
        assert_eq!(
            after[0][0].parse::<i64>().unwrap(),
            before[0][0].parse::<i64>().unwrap() + 1
        );
        let rows = fx.query(
            "SELECT checksum, down_revisions FROM alembic_version_history WHERE revision = 'r1'",
        );
        assert!(
            rows.iter()
                .all(|r| r[0].starts_with("sql-sha256:") && r[1].is_empty()),
            "{rows:?}"
        );

        // From then on another dialect's section is not a change.
        let r1 = fx.versions().join("r1.sql");
        let mut text = std::fs::read_to_string(&r1).unwrap();
        text.push_str(&format!("\n-- migrate:up {other}\nSELECT 1;\n"));
        std::fs::write(&r1, text).unwrap();
        fx.ok(&["validate"]);
    }
);

both!(
    a_re_pointed_revision_does_not_hide_one_that_never_ran,
    |fx| {
        fx.revision(
            "r0",
            &[],
            "CREATE TABLE t0 (id INTEGER);",
            Some("DROP TABLE t0;"),
        );
        fx.revision(
            "devB01",
            &["r0"],
            "CREATE TABLE tb (id INTEGER);",
            Some("DROP TABLE tb;"),
        );
        fx.ok(&["upgrade", "head"]);
        // Dev A's revision lands first; dev B re-points theirs at it, as teams do on a conflict.
        fx.revision(
            "devA01",
            &["r0"],
            "CREATE TABLE ta (id INTEGER);",
            Some("DROP TABLE ta;"),
        );
        edit(fx, "devB01", "-- Revises: r0", "-- Revises: devA01");

        let r = fx.fails(&["upgrade", "head"]);
        assert!(
            r.stderr.contains("revision 'devB01'")
                && r.stderr
                    .contains("it ran with 'Revises: r0' and its file now says 'Revises: devA01'")
                && r.stderr.contains("'devA01' never ran on this database")
                && r.stderr.contains("'db-migrate downgrade devA01'")
                && r.stderr.contains("'db-migrate stamp r0'"),
            "{}",
            r.stderr
        );
        let r = fx.run(&["validate"]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(
            r.stdout.contains("not_run: devA01") && r.stdout.contains("reparented: devB01"),
            "{}",
            r.stdout
        );

        // Accepting would count devA01's SQL as applied: refused, and nothing recorded.
        let r = fx.fails(&["validate", "--accept", "devB01"]);
        assert!(
            r.stderr.contains("refusing to accept") && r.stderr.contains("'devA01' never ran"),
            "{}",
            r.stderr
        );
        let accepts =
            fx.query("SELECT COUNT(*) FROM alembic_version_history WHERE direction = 'accept'");
        assert_eq!(accepts[0][0], "0");

        // The way out the message gives runs devA01 for real.
        fx.ok(&["downgrade", "devA01"]);
        fx.ok(&["stamp", "r0"]);
        fx.ok(&["upgrade", "head"]);
        assert_eq!(fx.heads(), vec!["devB01"]);
        assert_eq!(
            fx.tables(),
            vec![
                "alembic_version",
                "alembic_version_history",
                "t0",
                "ta",
                "tb"
            ]
        );
        fx.ok(&["validate"]);
    }
);

both!(
    an_empty_revision_warns_and_filling_it_in_later_is_run_not_accepted,
    |fx| {
        fx.chain(1);
        fx.revision("r2", &["r1"], "", Some(""));
        let r = fx.ok(&["upgrade", "head"]);
        assert!(
            r.stderr.contains("WARNING: revision 'r2'")
                && r.stderr.contains("has no SQL in its up section")
                && r.stderr.contains("'db-migrate stamp r1'"),
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.matches("WARNING").count(), 1, "{}", r.stderr);

        edit(
            fx,
            "r2",
            "-- migrate:up\n",
            "-- migrate:up\nCREATE TABLE t2 (id INTEGER);\n",
        );
        edit(
            fx,
            "r2",
            "-- migrate:down\n",
            "-- migrate:down\nDROP TABLE t2;\n",
        );
        let r = fx.fails(&["upgrade", "head"]);
        assert!(
        r.stderr.contains("was empty when it was applied, so none of its SQL ran here")
            && r.stderr.contains("'db-migrate stamp r1' (it ran nothing, so there is nothing to undo), then 'db-migrate upgrade'"),
        "{}",
        r.stderr
    );
        let r = fx.fails(&["validate", "--accept", "r2"]);
        assert!(r.stderr.contains("refusing to accept"), "{}", r.stderr);

        fx.ok(&["stamp", "r1"]);
        let r = fx.ok(&["upgrade", "head"]);
        assert!(!r.stderr.contains("WARNING"), "{}", r.stderr);
        assert!(fx.table_exists("t2"));
        fx.ok(&["validate"]);
    }
);

both!(a_merge_with_nothing_to_run_is_not_warned_about, |fx| {
    fx.chain(1);
    fx.revision(
        "a2",
        &["r1"],
        "CREATE TABLE ta (id INTEGER);",
        Some("DROP TABLE ta;"),
    );
    fx.revision(
        "b2",
        &["r1"],
        "CREATE TABLE tb (id INTEGER);",
        Some("DROP TABLE tb;"),
    );
    fx.revision("m3", &["a2", "b2"], "", Some(""));
    let r = fx.ok(&["upgrade", "head"]);
    assert!(
        r.stderr.contains("Running upgrade a2, b2 -> m3"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("WARNING"), "{}", r.stderr);
});

both!(
    a_revision_re_pointed_away_from_one_that_ran_does_not_run_it_again,
    |fx| {
        fx.chain(3);
        fx.ok(&["upgrade", "head"]);
        // r3 now branches off r1: r2 ran here, but would no longer count as applied.
        edit(fx, "r3", "-- Revises: r2", "-- Revises: r1");
        let r = fx.fails(&["upgrade", "heads"]);
        assert!(
            r.stderr.contains(
                "'r2' ran here but no longer counts as applied, so an upgrade would run it again"
            ) && r
                .stderr
                .contains("'db-migrate stamp r2' records that 'r2' ran here"),
            "{}",
            r.stderr
        );
        let r = fx.run(&["validate"]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(
            r.stdout.contains("not_counted: r2") && r.stdout.contains("reparented: r3"),
            "{}",
            r.stdout
        );
        let r = fx.fails(&["validate", "--accept", "r3"]);
        assert!(r.stderr.contains("refusing to accept"), "{}", r.stderr);

        fx.ok(&["stamp", "r2"]);
        fx.ok(&["validate", "--accept", "r3"]);
        let r = fx.ok(&["upgrade", "heads"]);
        assert_eq!(r.stderr, "Already at head: r2, r3\n");
        fx.ok(&["validate"]);
    }
);
