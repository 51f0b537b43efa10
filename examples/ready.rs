//! An application's start-up with dbkit embedded: before serving, make the database ready (create it, recognise
//! one made before migrations, upgrade what is pending), with the revisions compiled into the program, so the
//! binary needs no versions folder beside it.
//!
//! Usage: `ready [--dir DIR] [URL]`. The URL defaults to what db-migrate would use (DATABASE_URL, ...); with
//! `--dir` the revisions are read from DIR's alembic.ini project instead of the compiled-in ones. Prints what
//! `ensure` found and did as JSON, then the database's revision.

use std::process::ExitCode;

use dbkit::embed::Migrations;

/// The example schema shipped in alembic/versions, read when this program is built.
static REVISIONS: dbkit::Revisions = dbkit::embed_revisions!(
    "../alembic/versions/20261121_0900_5f1c0a9e2b01_create_users.sql",
    "../alembic/versions/20261121_0905_8d2e4b7a9c13_create_notes.sql",
    "../alembic/versions/20261121_0910_c47a1e9f0d26_add_note_search.sql",
    "../alembic/versions/20261121_0915_e93b6d2a4f58_add_user_bio.sql",
);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut url = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => dir = args.next(),
            _ => url = Some(arg),
        }
    }
    match start(dir.as_deref(), url.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("FAILED: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn start(dir: Option<&str>, url: Option<&str>) -> dbkit::Result<()> {
    let migrations = match dir {
        Some(dir) => Migrations::from_directory(dir, url)?,
        None => Migrations::embedded(REVISIONS, url)?,
    };
    // The application's log: here stderr, in the command line's words.
    let migrations = migrations.with_progress(|event| {
        dbkit::render::progress::lines(&event).for_each(|l| eprintln!("{l}"))
    });
    let ready = migrations.ensure(&Default::default())?;
    println!(
        "{}",
        serde_json::to_string(&ready).expect("plain data serialises")
    );
    let current = migrations.current()?;
    println!("at head: {}", current.at_head);
    Ok(())
}
