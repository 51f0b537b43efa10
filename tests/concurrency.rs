use crate::both;

both!(
    eight_concurrent_upgrades_apply_every_revision_exactly_once,
    |fx| {
        fx.revision(
            "r0",
            &[],
            "CREATE TABLE applied (rev TEXT NOT NULL);",
            Some("DROP TABLE applied;"),
        );
        let mut prev = "r0".to_string();
        for i in 1..=12 {
            let id = format!("r{i}");
            fx.revision(
                &id,
                &[prev.as_str()],
                &format!(
                    "INSERT INTO applied (rev) VALUES ('{id}');\nCREATE TABLE c{i} (id INTEGER);"
                ),
                Some(&format!("DROP TABLE c{i};")),
            );
            prev = id;
        }
        let children: Vec<_> = (0..8)
            .map(|_| {
                fx.cmd()
                    .args(["upgrade", "head"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "a concurrent upgrade failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(fx.heads(), vec!["r12"]);
        let counts = fx.query("SELECT rev, COUNT(*) FROM applied GROUP BY rev ORDER BY rev");
        assert_eq!(counts.len(), 12, "{counts:?}");
        assert!(
            counts.iter().all(|r| r[1] == "1"),
            "a revision ran twice: {counts:?}"
        );
        let runs = fx.query("SELECT COUNT(*) FROM alembic_version_history WHERE direction = 'upgrade' AND success = (1 = 1)");
        assert_eq!(runs, vec![vec!["13".to_string()]]);
    }
);
