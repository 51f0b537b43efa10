//! The backups directory: how backups are named, how a finished one is published (temporary name, fsync,
//! rename, then the manifest), and how they are found again. A file only counts as a backup once its manifest
//! exists, so an interrupted backup never looks like a good one.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tempfile::TempPath;

use super::manifest::{self, Manifest};
use super::BackupError;
use crate::engine::Engine;
use crate::error::{Error, Result};

/// Where backups go when neither `--dir` nor `BACKUP_DIR` says.
pub(crate) const DEFAULT_DIR: &str = "backups";

/// Backups and manifests are readable by their owner only: they hold the whole database.
const FILE_MODE: u32 = 0o600;
const DIR_MODE: u32 = 0o700;
/// Temporary files start with a dot and end with this, so listings and globs skip them.
const PARTIAL: &str = ".partial";
/// What a restore's temporary file is called before its random part: `.restore-XXXXXX.partial`, beside the
/// database it will replace.
pub(crate) const RESTORE_PURPOSE: &str = "restore";

/// A backup file and its manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Backup {
    #[serde(serialize_with = "path_text")]
    pub path: PathBuf,
    pub manifest: Manifest,
}

/// A path in a report, as it is printed: a name that is not UTF-8 has its odd bytes replaced rather than
/// failing the report.
pub(crate) fn path_text<S: serde::Serializer>(
    path: &Path,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&path.display().to_string())
}

impl Backup {
    pub(crate) fn manifest_path(&self) -> PathBuf {
        Manifest::path_for(&self.path)
    }

    pub(crate) fn created(&self) -> DateTime<Utc> {
        self.manifest
            .created()
            .expect("manifests are checked when read")
    }
}

/// Everything in a backups directory, newest first, plus the manifests that could not be read, each with the
/// error that names it and what is wrong.
#[derive(Debug, Default)]
pub struct Listing {
    pub backups: Vec<Backup>,
    pub skipped: Vec<(PathBuf, Error)>,
}

impl Listing {
    /// Fails naming every manifest that could not be read, so that a listing with gaps is never taken for the
    /// whole directory.
    pub(crate) fn check_complete(self, dir: &Path) -> Result<()> {
        if self.skipped.is_empty() {
            return Ok(());
        }
        Err(BackupError::ListIncomplete {
            dir: dir.to_path_buf(),
            errors: self.skipped.into_iter().map(|(_, e)| e).collect(),
        }
        .into())
    }
}

/// The backups directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub(crate) fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    /// `--dir`, else `BACKUP_DIR`, else `backups/`.
    pub fn from_settings(flag: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Store {
        let dir = match flag {
            Some(dir) => dir.to_path_buf(),
            None => env("BACKUP_DIR")
                .filter(|v| !v.trim().is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR)),
        };
        Store::new(dir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates the directory when it is missing; only a directory made here is set to 0700, since an existing
    /// one's mode is its owner's choice.
    pub(crate) fn ensure(&self) -> Result<()> {
        if self.dir.is_dir() {
            return Ok(());
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(&self.dir)
            .map_err(Error::io(&self.dir))?;
        // The umask may have narrowed the mode; it cannot have widened it, but make it exact.
        fs::set_permissions(&self.dir, fs::Permissions::from_mode(DIR_MODE))
            .map_err(Error::io(&self.dir))
    }

    /// A new, empty, owner-only file in the directory under a temporary name; it is deleted when dropped
    /// unless published.
    pub(crate) fn temp_file(&self, purpose: &str) -> Result<TempPath> {
        self.ensure()?;
        temp_file_in(&self.dir, purpose)
    }

    /// Every backup with a readable manifest, newest first. A missing directory holds no backups.
    pub(crate) fn list(&self) -> Result<Listing> {
        let mut listing = Listing::default();
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(listing),
            Err(e) => return Err(Error::io(&self.dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(Error::io(&self.dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') || !name.ends_with(".json") {
                continue;
            }
            let path = self.dir.join(name);
            match Manifest::read(&path) {
                Ok(manifest) => listing.backups.push(Backup {
                    path: self.dir.join(&manifest.file),
                    manifest,
                }),
                Err(e) => listing.skipped.push((path, e)),
            }
        }
        listing.backups.sort_by(|a, b| {
            b.manifest
                .created_at
                .cmp(&a.manifest.created_at)
                .then_with(|| b.manifest.file.cmp(&a.manifest.file))
        });
        Ok(listing)
    }

    /// The newest backup of one database (by dialect and short name), so that `latest` never picks another
    /// database's backup that happens to share the directory.
    ///
    /// A manifest that cannot be read may be the newest backup of this database (its file name starts with the
    /// database's name), so rather than fall back to an older backup, or say there is none, `latest` names it.
    pub(crate) fn latest(&self, dialect: Engine, name: &str) -> Result<Backup> {
        let listing = self.list()?;
        let total = listing.backups.len();
        let found = listing
            .backups
            .into_iter()
            .find(|b| b.manifest.dialect == dialect && b.manifest.name == name);
        let prefix = format!("{name}-");
        let unreadable = listing
            .skipped
            .into_iter()
            .find(|(path, _)| found.is_none() || file_name_starts(path, &prefix));
        if let Some((_, error)) = unreadable {
            return Err(BackupError::LatestUnknown {
                dir: self.dir.clone(),
                error: Box::new(error),
            }
            .into());
        }
        found.ok_or_else(|| {
            if total == 0 {
                BackupError::NoBackups(self.dir.clone()).into()
            } else {
                BackupError::NoBackupOf {
                    dir: self.dir.clone(),
                    dialect,
                    name: name.to_string(),
                    others: total,
                }
                .into()
            }
        })
    }

    /// A backup named on the command line: a path, a file name inside the directory, or its manifest.
    pub(crate) fn open(&self, spec: &str) -> Result<Backup> {
        let given = PathBuf::from(spec);
        let mut path = if given.exists() || given.components().count() > 1 {
            given
        } else {
            self.dir.join(&given)
        };
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            let manifest = Manifest::read(&path)?;
            path = path.with_file_name(&manifest.file);
        }
        if !path.is_file() {
            return Err(BackupError::NotFound(path).into());
        }
        let manifest_path = Manifest::path_for(&path);
        if !manifest_path.is_file() {
            return Err(BackupError::NoManifest {
                backup: path,
                manifest: manifest_path,
            }
            .into());
        }
        let manifest = Manifest::read(&manifest_path)?;
        Ok(Backup { path, manifest })
    }

    /// Makes a finished temporary file a backup: fsync, owner-only, checksum, rename to a name nothing else
    /// has, fsync the directory, then write the manifest the same way. `manifest.file`, `size` and `sha256`
    /// are filled in here.
    pub(crate) fn publish(
        &self,
        tmp: TempPath,
        base: &str,
        ext: &str,
        mut m: Manifest,
    ) -> Result<Backup> {
        sync_file(&tmp)?;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(FILE_MODE))
            .map_err(Error::io(&*tmp))?;
        let (size, sha256) = manifest::sha256_file(&tmp)?;
        m.size = size;
        m.sha256 = sha256;
        let mut tmp = Some(tmp);
        let mut attempt = 1;
        let path = loop {
            let name = if attempt == 1 {
                format!("{base}.{ext}")
            } else {
                format!("{base}-{attempt}.{ext}")
            };
            let path = self.dir.join(&name);
            attempt += 1;
            // Two backups in the same second get distinct names rather than one replacing the other.
            if Manifest::path_for(&path).exists() {
                continue;
            }
            match tmp
                .take()
                .expect("kept until published")
                .persist_noclobber(&path)
            {
                Ok(()) => {
                    m.file = name;
                    break path;
                }
                Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                    tmp = Some(e.path);
                }
                Err(e) => return Err(Error::io(path)(e.error)),
            }
        };
        sync_dir(&self.dir)?;
        let manifest_path = Manifest::path_for(&path);
        let written = write_private(&self.dir, &manifest_path, m.to_json().as_bytes());
        if let Err(e) = written {
            // Without its manifest the file is not a backup; do not leave it behind looking like one.
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        Ok(Backup { path, manifest: m })
    }

    /// The temporary files of backups in the directory, each with what it is taken for: the remains of a backup
    /// that never finished (the process was killed before it could remove it) once untouched for longer than
    /// `age`, since a running backup keeps writing to its file. A restore's temporary file is left to
    /// [`restore_leftovers`], which knows whether a restore still holds it.
    pub(crate) fn unfinished(&self, age: std::time::Duration) -> Result<Vec<(PathBuf, Leftover)>> {
        let restore = format!(".{RESTORE_PURPOSE}-");
        Ok(partials(&self.dir)?
            .into_iter()
            .filter(|(path, _)| !file_name_starts(path, &restore))
            .map(|(path, idle)| (path, Leftover::judge(idle, age)))
            .collect())
    }

    /// Deletes a backup and its manifest. The file goes first: if this is interrupted, what is left is a
    /// manifest whose file is missing, which `list` shows and the next `prune` removes.
    pub(crate) fn remove(&self, backup: &Backup) -> Result<()> {
        match fs::remove_file(&backup.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&backup.path)(e)),
        }
        let manifest = backup.manifest_path();
        fs::remove_file(&manifest).map_err(Error::io(&manifest))?;
        sync_dir(&self.dir)
    }
}

/// `<name>-<UTC time>[-<label>]`, the part of a backup's file name before its extension.
pub(crate) fn base_name(name: &str, time: DateTime<Utc>, label: Option<&str>) -> String {
    let mut base = format!("{name}-{}", time.format("%Y%m%dT%H%M%SZ"));
    if let Some(label) = label {
        base.push('-');
        base.push_str(label);
    }
    base
}

/// A database name made safe for a file name: anything but letters, digits, `.`, `_` and `-` becomes `_`.
pub(crate) fn file_safe(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.').to_string();
    if safe.is_empty() {
        "database".into()
    } else {
        safe
    }
}

/// Labels go into file names, so they are held to the same characters, and kept short.
pub(crate) fn check_label(label: &str) -> Result<()> {
    let ok = !label.is_empty()
        && label.len() <= 64
        && !label.starts_with(['.', '-'])
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(BackupError::Label(label.to_string()).into())
    }
}

/// An empty owner-only file under a temporary name in `dir`.
pub(crate) fn temp_file_in(dir: &Path, purpose: &str) -> Result<TempPath> {
    let file = tempfile::Builder::new()
        .prefix(&format!(".{purpose}-"))
        .suffix(PARTIAL)
        .permissions(fs::Permissions::from_mode(FILE_MODE))
        .tempfile_in(dir)
        .map_err(Error::io(dir))?;
    Ok(file.into_temp_path())
}

/// How long a restore's temporary file must have gone unwritten, besides being unlocked, before it counts as
/// left behind: covers the moment between its creation and its lock, and restores of versions that did not lock.
pub(crate) const RESTORE_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// Takes the lock a running restore holds on its temporary file until the file is renamed over the database, so
/// that [`restore_leftovers`] (in another restore, or `prune`) never takes it for the remains of a killed one. The
/// lock goes with the returned handle, or with the process.
pub(crate) fn hold(path: &Path) -> Result<fs::File> {
    let file = fs::OpenOptions::new()
        .read(true)
        .open(path)
        .map_err(Error::io(path))?;
    file.lock().map_err(Error::io(path))?;
    Ok(file)
}

/// What a temporary file found in passing is taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leftover {
    /// The remains of a backup or restore that never finished: safe to remove.
    Stale,
    /// Maybe the file of one still running: kept.
    Live(InUse),
}

/// Why a temporary file may still be in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InUse {
    /// Written to this long ago: too recently to tell from the file of one still running.
    Written(std::time::Duration),
    /// A running restore holds its lock.
    Held,
}

impl Leftover {
    fn judge(idle: std::time::Duration, age: std::time::Duration) -> Leftover {
        if idle > age {
            Leftover::Stale
        } else {
            Leftover::Live(InUse::Written(idle))
        }
    }
}

/// The temporary files in `dir` of restores, each with what it is taken for: left by a restore that never
/// finished when no process holds the lock a running restore keeps on its file (see [`hold`]) and nothing has
/// written to it for [`RESTORE_IDLE`].
pub(crate) fn restore_leftovers(dir: &Path) -> Result<Vec<(PathBuf, Leftover)>> {
    let prefix = format!(".{RESTORE_PURPOSE}-");
    let mut found = Vec::new();
    for (path, idle) in partials(dir)? {
        if !file_name_starts(&path, &prefix) {
            continue;
        }
        let judged = Leftover::judge(idle, RESTORE_IDLE);
        if judged != Leftover::Stale {
            found.push((path, judged));
            continue;
        }
        let file = match fs::File::open(&path) {
            Ok(file) => file,
            // Finished or removed meanwhile.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&path)(e)),
        };
        match file.try_lock() {
            Ok(()) => found.push((path, Leftover::Stale)),
            Err(fs::TryLockError::WouldBlock) => found.push((path, Leftover::Live(InUse::Held))),
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(&path)(e)),
        }
    }
    Ok(found)
}

/// Every temporary file in `dir` (`.<purpose>-XXXXXX.partial`) with how long it has gone unwritten, sorted by
/// name. A missing directory holds none.
fn partials(dir: &Path) -> Result<Vec<(PathBuf, std::time::Duration)>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir)(e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(Error::io(dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with('.') && name.contains(PARTIAL)) {
            continue;
        }
        let idle = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok());
        if let Some(idle) = idle {
            found.push((entry.path(), idle));
        }
    }
    found.sort();
    Ok(found)
}

fn file_name_starts(path: &Path, prefix: &str) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(prefix))
}

/// Writes a small file under a temporary name, fsyncs it and renames it into place.
fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_file_in(dir, "manifest")?;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .open(&tmp)
        .map_err(Error::io(&*tmp))?;
    file.write_all(bytes).map_err(Error::io(&*tmp))?;
    file.sync_all().map_err(Error::io(&*tmp))?;
    tmp.persist_noclobber(path)
        .map_err(|e| Error::io(path)(e.error))?;
    sync_dir(dir)
}

pub(crate) fn sync_file(path: &Path) -> Result<()> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(Error::io(path))
}

/// A rename is only durable once the directory holding it is synced.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(Error::io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_restore_partial_is_stale_only_when_unheld_and_a_minute_idle() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, idle: u64| {
            let path = dir.path().join(name);
            fs::write(&path, b"half").unwrap();
            fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(idle))
                .unwrap();
            path
        };
        let killed = file(".restore-killed.partial", 120);
        let held = file(".restore-held.partial", 120);
        let fresh = file(".restore-fresh.partial", 0);
        let backup = file(".backup-old.partial", 3 * 86400);
        let running = file(".backup-new.partial", 3600);
        let _lock = hold(&held).unwrap();
        let found = restore_leftovers(dir.path()).unwrap();
        let judged = |path: &Path| found.iter().find(|(p, _)| p == path).unwrap().1;
        assert_eq!(found.len(), 3);
        assert_eq!(judged(&killed), Leftover::Stale);
        assert_eq!(judged(&held), Leftover::Live(InUse::Held));
        assert!(
            matches!(judged(&fresh), Leftover::Live(InUse::Written(idle)) if idle < RESTORE_IDLE)
        );
        // The backups directory's own sweep leaves restore partials to this one.
        let store = Store::new(dir.path());
        let found = store
            .unfinished(std::time::Duration::from_secs(86400))
            .unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, running);
        assert!(
            matches!(found[0].1, Leftover::Live(InUse::Written(idle)) if idle.as_secs() >= 3600)
        );
        assert_eq!(found[1], (backup, Leftover::Stale));
        assert!(restore_leftovers(&dir.path().join("missing"))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn names_carry_the_database_the_utc_time_and_the_label() {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 14, 30, 5).unwrap();
        assert_eq!(
            base_name("app", t, Some("pre-deploy")),
            "app-20261121T143005Z-pre-deploy"
        );
        assert_eq!(base_name("app", t, None), "app-20261121T143005Z");
        assert_eq!(file_safe("my db/x"), "my_db_x");
        assert_eq!(file_safe("..."), "database");
    }

    #[test]
    fn labels_are_limited_to_file_name_characters() {
        check_label("pre-deploy").unwrap();
        check_label("v1.2_rc").unwrap();
        for bad in ["", "a/b", "../x", "-x", "with space", &"x".repeat(65)] {
            let e = check_label(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid label"), "{e}");
        }
    }

    #[test]
    fn a_new_directory_is_private_and_names_never_collide() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path().join("a/backups"));
        let mut published = Vec::new();
        for _ in 0..3 {
            let tmp = store.temp_file("test").unwrap();
            fs::write(&tmp, b"data").unwrap();
            let m = Manifest {
                format: manifest::FORMAT,
                file: String::new(),
                dialect: Engine::Sqlite,
                name: "app".into(),
                database: "sqlite:///app.db".into(),
                server_version: String::new(),
                version_table: "alembic_version".into(),
                revisions: vec![],
                size: 0,
                sha256: String::new(),
                created_at: "2026-11-21T14:30:05.000000Z".into(),
                dbkit_version: crate::VERSION.into(),
                label: None,
                compression: None,
                dump_format: None,
            };
            published.push(store.publish(tmp, "app-x", "sqlite", m).unwrap());
        }
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.dir()), 0o700);
        let names: Vec<_> = published.iter().map(|b| b.manifest.file.clone()).collect();
        assert_eq!(names, ["app-x.sqlite", "app-x-2.sqlite", "app-x-3.sqlite"]);
        for b in &published {
            assert_eq!(mode(&b.path), 0o600);
            assert_eq!(mode(&b.manifest_path()), 0o600);
        }
        let listing = store.list().unwrap();
        assert_eq!(listing.backups.len(), 3);
        assert!(listing.skipped.is_empty());
        let leftovers: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
