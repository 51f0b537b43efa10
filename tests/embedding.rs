//! The embedding example (examples/ready.rs): an application that makes its database ready at start-up with
//! the revisions compiled in, run as built, on both engines.

use std::path::PathBuf;

use serde_json::Value;

use crate::both;
use crate::util::{program_in, Fixture, Run};

/// The example as `cargo test` built it (it builds every example), beside the test binary's folder.
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let example = dir.join("examples/ready");
    assert!(
        example.is_file(),
        "{} is not built: cargo test builds it, as does cargo build --release --examples",
        example.display()
    );
    example
}

/// Runs the example on the fixture's database and returns its `ensure` report and what it printed.
fn start(fx: &Fixture, args: &[&str]) -> (Value, Run) {
    let run = Run::from(
        program_in(example().to_str().unwrap(), fx.path())
            .args(args)
            .arg(&fx.url)
            .output()
            .expect("the example runs"),
    )
    .succeeded("examples/ready");
    let first = run.stdout.lines().next().unwrap_or_default();
    let report = serde_json::from_str(first).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    (report, run)
}

const HEAD: &str = "e93b6d2a4f58";

both!(the_example_migrates_with_its_compiled_in_revisions, |fx| {
    let (report, run) = start(fx, &[]);
    assert!(
        report["case"] == "created" || report["case"] == "empty",
        "{report}"
    );
    assert_eq!(report["upgraded"], 4);
    assert_eq!(report["revisions"], serde_json::json!([HEAD]));
    assert!(run.stdout.ends_with("at head: true\n"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("Running upgrade  -> 5f1c0a9e2b01, create users"),
        "{}",
        run.stderr
    );
    assert_eq!(fx.heads(), vec![HEAD]);
    assert!(fx.table_exists("notes"));

    // The next start has nothing to do.
    let (again, run) = start(fx, &[]);
    assert_eq!(again["case"], "migrated");
    assert_eq!(again["upgraded"], 0);
    assert!(
        run.stderr.contains(&format!("Already at head: {HEAD}")),
        "{}",
        run.stderr
    );

    // The database is the one db-migrate makes from the same files: the command line finds no drift, and
    // its checksums of what ran agree.
    let repo = env!("CARGO_MANIFEST_DIR");
    let ini = format!("{repo}/alembic/alembic.ini");
    fx.ok(&["-c", &ini, "drift"]);
    fx.ok(&["-c", &ini, "validate"]);
});

both!(the_example_reads_a_project_directory_too, |fx| {
    let dir = format!("{}/alembic", env!("CARGO_MANIFEST_DIR"));
    fx.ok(&[
        "-c",
        &format!("{dir}/alembic.ini"),
        "upgrade",
        "8d2e4b7a9c13",
    ]);
    let (report, _) = start(fx, &["--dir", &dir]);
    assert_eq!(report["case"], "migrated");
    assert_eq!(report["upgraded"], 2);
    assert_eq!(fx.heads(), vec![HEAD]);
});
