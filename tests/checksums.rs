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
