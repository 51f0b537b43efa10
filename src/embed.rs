//! What an application calls at start-up to migrate its own database, with the behaviour and the lock of
//! `db-migrate`: [`Migrations`] opens a project from a directory (its `alembic.ini`) or from revisions compiled
//! into the program ([`embed_revisions!`](crate::embed_revisions)), then [`Migrations::ensure`],
//! [`Migrations::upgrade`] and [`Migrations::current`] do what the verbs of the same names do. Replicas of an
//! application that call `ensure` at once queue on the migration lock as the command line's do.
//!
//! ```ignore
//! use dbkit::embed::Migrations;
//!
//! static REVISIONS: dbkit::Revisions = dbkit::embed_revisions!(
//!     "../migrations/versions/20261121_0900_5f1c0a9e2b01_create_users.sql",
//!     "../migrations/versions/20261121_0905_8d2e4b7a9c13_create_notes.sql",
//! );
//!
//! fn start() -> dbkit::Result<()> {
//!     let migrations = Migrations::embedded(REVISIONS, Some("sqlite:///data/app.db"))?;
//!     let ready = migrations.ensure(&Default::default())?;
//!     println!("database at {:?}", ready.revisions);
//!     Ok(())
//! }
//! ```

use std::cell::RefCell;
use std::path::Path;

use crate::command::{self, Current, EnsureOptions, Migration, Ready, RunOptions};
use crate::config::{self, Options};
use crate::direction::Direction;
use crate::error::Result;
use crate::progress::Event;
use crate::project::{Project, Revisions};

/// Revisions compiled into the program: each path (relative to the file the macro is called in, as for
/// `include_str!`) with the file's text, which is read when the program is built, so the program needs no
/// versions folder. Every path is named: a revision file added later is in the program once it is listed here
/// (docs/embedding.md shows a build script that lists a whole folder).
#[macro_export]
macro_rules! embed_revisions {
    ($($path:literal),+ $(,)?) => {
        &[$(($path, include_str!($path))),+]
    };
}

/// Where an application's progress goes.
type Progress = Box<dyn FnMut(Event<'_>)>;

/// A project opened by an application, and where its progress goes.
pub struct Migrations {
    project: Project,
    /// Behind a cell so that the calls take `&self`.
    progress: RefCell<Progress>,
}

impl Migrations {
    /// The project of `dir`'s `alembic.ini` (its versions folder, tables and lock settings), for the database
    /// at `url`, or without one, the URL the command line would use (`DATABASE_URL`, ..., the ini file's
    /// `sqlalchemy.url`). The environment is read as the command line reads it; `.env` is not loaded.
    pub fn from_directory(dir: impl AsRef<Path>, url: Option<&str>) -> Result<Migrations> {
        let options = Options {
            config: Some(dir.as_ref().join("alembic.ini")),
            url: url.map(str::to_string),
            ..Options::default()
        };
        let settings = config::load(&options, &|k| std::env::var(k).ok())?;
        Ok(Migrations::new(Project::new(settings)))
    }

    /// The project whose revisions are `revisions`, compiled into the program, for the database at `url` (or,
    /// without one, the URL the command line would use). Settings other than the revisions (the version
    /// table's name, the lock timeout) come from `./alembic.ini` when there is one, and the environment, as
    /// for the command line.
    pub fn embedded(revisions: Revisions, url: Option<&str>) -> Result<Migrations> {
        let options = Options {
            url: url.map(str::to_string),
            ..Options::default()
        };
        let settings = config::load(&options, &|k| std::env::var(k).ok())?;
        Ok(Migrations::new(Project::with_revisions(
            settings, revisions,
        )))
    }

    /// A project opened any other way (see [`crate::config::load`]).
    pub fn new(project: Project) -> Migrations {
        Migrations {
            project,
            progress: RefCell::new(Box::new(|_| {})),
        }
    }

    /// Where progress goes: each revision as it finishes, a wait for the lock, "Already at head"; nowhere by
    /// default. [`crate::render::progress::lines`] gives each event the command line's text.
    pub fn with_progress(mut self, progress: impl FnMut(Event<'_>) + 'static) -> Migrations {
        self.progress = RefCell::new(Box::new(progress));
        self
    }

    /// The project, for the other verbs of [`crate::command`].
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// `db-migrate ensure`: creates, recognises or upgrades the database, whatever it is.
    pub fn ensure(&self, options: &EnsureOptions) -> Result<Ready> {
        command::ensure(&self.project, options, &mut *self.progress.borrow_mut())
    }

    /// `db-migrate upgrade heads`: applies every pending revision.
    pub fn upgrade(&self) -> Result<Migration> {
        command::migrate(
            &self.project,
            Direction::Up,
            "heads",
            &RunOptions::default(),
            &mut *self.progress.borrow_mut(),
        )
    }

    /// `db-migrate current`: the database's revisions and whether they are the heads.
    pub fn current(&self) -> Result<Current> {
        command::current(&self.project, false)
    }
}
