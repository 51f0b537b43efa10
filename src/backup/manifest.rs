//! The JSON file beside each backup that says what it holds. A backup is only trusted through its manifest:
//! the checksum proves the file is the one that was written, and the revisions say where the database was.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{BackupError, DumpFormat};
use crate::engine::Engine;
use crate::error::{Error, Result};

/// The manifest layout this version writes; readers accept it and ignore fields they do not know.
pub(crate) const FORMAT: u32 = 1;

/// What a backup holds and how to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub(crate) format: u32,
    /// The backup's file name, in the same directory as the manifest.
    pub(crate) file: String,
    /// Written as `sqlite` or `postgresql`.
    pub(crate) dialect: Engine,
    /// The database's short name, the first part of the file name: the SQLite file's stem or the PostgreSQL
    /// database name.
    pub(crate) name: String,
    /// The database URL, password masked.
    pub(crate) database: String,
    pub(crate) server_version: String,
    /// The version table the revisions were read from, as qualified in SQL.
    pub(crate) version_table: String,
    /// The rows of the version table when the backup was taken; empty when nothing was applied.
    pub(crate) revisions: Vec<String>,
    /// The backup file's size in bytes.
    pub(crate) size: u64,
    /// The backup file's SHA-256, lowercase hex.
    pub(crate) sha256: String,
    /// RFC 3339 in UTC with microseconds, so that the text sorts in time order.
    pub(crate) created_at: String,
    pub(crate) dbkit_version: String,
    #[serde(default)]
    pub(crate) label: Option<String>,
    /// `zstd` when the file is compressed (SQLite only; PostgreSQL's custom format compresses itself).
    #[serde(default)]
    pub(crate) compression: Option<String>,
    /// PostgreSQL: `custom` (`pg_dump --format=custom`, what a manifest without the field means) or `plain`
    /// (SQL text that `psql -f` runs). Absent for SQLite, whose backup is a database file. Any other value
    /// makes the manifest unreadable: restoring a file as the wrong format would fail half-way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) dump_format: Option<DumpFormat>,
}

impl Manifest {
    /// Where the manifest of a backup file lives: the file's name with `.json` appended.
    pub(crate) fn path_for(backup: &Path) -> PathBuf {
        let mut name = backup.as_os_str().to_os_string();
        name.push(".json");
        PathBuf::from(name)
    }

    /// Reads and checks a manifest. Its `file` must be the manifest's own name without `.json`, so that a
    /// hand-edited manifest cannot point `prune` or `restore` at some other file.
    pub(crate) fn read(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
        let bad = |reason: String| {
            Error::from(BackupError::BadManifest {
                path: path.to_path_buf(),
                reason,
            })
        };
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let own = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"));
        if own != Some(manifest.file.as_str()) {
            return Err(bad(format!(
                "it names the file '{}', not the file it sits beside",
                manifest.file
            )));
        }
        // Checked here, where every reader passes, so what prints or compares it may take it as hex.
        if manifest.sha256.len() != 64 || !manifest.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(format!(
                "sha256 '{}' is not a SHA-256 in hex",
                manifest.sha256
            )));
        }
        if manifest.created().is_none() {
            return Err(bad(format!(
                "created_at '{}' is not an RFC 3339 time",
                manifest.created_at
            )));
        }
        Ok(manifest)
    }

    pub(crate) fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("plain data serialises");
        text.push('\n');
        text
    }

    /// Whether the backup is a plain SQL dump rather than a custom-format archive.
    pub(crate) fn is_plain(&self) -> bool {
        self.dump_format == Some(DumpFormat::Plain)
    }

    /// What the file is, as `list` shows it: `sqlite`, `sqlite+zstd`, `custom` or `plain`.
    pub fn kind(&self) -> &str {
        match (self.dialect, &self.compression) {
            (Engine::Sqlite, None) => "sqlite",
            (Engine::Sqlite, Some(_)) => "sqlite+zstd",
            (Engine::Postgresql, _) => self.dump_format.unwrap_or_default().name(),
        }
    }

    pub(crate) fn created(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.created_at)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// The time format of `created_at`.
pub(crate) fn format_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A reader that takes the size and SHA-256 of what passes through it, so that a file can be checked against
/// its manifest in the same pass that reads its contents.
pub(crate) struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> Hashing<R> {
    pub(crate) fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    /// Reads what is left, then gives the size and SHA-256 (lowercase hex) of everything read.
    pub(crate) fn finish(mut self) -> std::io::Result<(u64, String)> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        let hex = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok((self.size, hex))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// A file's size and SHA-256 (lowercase hex), read in one pass.
pub(crate) fn sha256_file(path: &Path) -> Result<(u64, String)> {
    let file = std::fs::File::open(path).map_err(Error::io(path))?;
    Hashing::new(file).finish().map_err(Error::io(path))
}

/// Checks a backup file against its manifest: the size first (a truncated copy says so plainly), then the
/// checksum.
pub(crate) fn check_file(path: &Path, manifest: &Manifest) -> Result<()> {
    check_digest(path, manifest, sha256_file(path)?)
}

/// Checks a size and SHA-256 taken of the backup file (see [`Hashing`]) against its manifest.
pub(crate) fn check_digest(
    path: &Path,
    manifest: &Manifest,
    (size, sha256): (u64, String),
) -> Result<()> {
    if size != manifest.size {
        return Err(BackupError::Size {
            path: path.to_path_buf(),
            actual: size,
            expected: manifest.size,
        }
        .into());
    }
    if sha256 != manifest.sha256 {
        return Err(BackupError::Checksum {
            path: path.to_path_buf(),
            actual: sha256,
            expected: manifest.sha256.clone(),
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(file: &str) -> Manifest {
        Manifest {
            format: FORMAT,
            file: file.into(),
            dialect: Engine::Sqlite,
            name: "app".into(),
            database: "sqlite:////srv/app.db".into(),
            server_version: "SQLite 3.50.0".into(),
            version_table: "alembic_version".into(),
            revisions: vec!["3f2a9c1b7d4e".into()],
            size: 3,
            sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
            created_at: "2026-11-21T14:30:00.000000Z".into(),
            dbkit_version: crate::VERSION.into(),
            label: Some("pre-deploy".into()),
            compression: None,
            dump_format: None,
        }
    }

    #[test]
    fn a_manifest_round_trips_and_must_name_its_own_file() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("app-20261121T143000Z.sqlite");
        std::fs::write(&backup, "abc").unwrap();
        let path = Manifest::path_for(&backup);
        assert_eq!(path, dir.path().join("app-20261121T143000Z.sqlite.json"));
        std::fs::write(&path, sample("app-20261121T143000Z.sqlite").to_json()).unwrap();
        let read = Manifest::read(&path).unwrap();
        assert_eq!(read, sample("app-20261121T143000Z.sqlite"));
        check_file(&backup, &read).unwrap();

        std::fs::write(&path, sample("../../etc/passwd").to_json()).unwrap();
        let e = Manifest::read(&path).unwrap_err().to_string();
        assert!(e.contains("names the file '../../etc/passwd'"), "{e}");
    }

    #[test]
    fn the_dump_format_reads_as_written_and_an_unknown_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sql.json");
        let mut m = sample("app.sql");
        m.dialect = Engine::Postgresql;
        for (format, kind) in [
            (None, "custom"),
            (Some(DumpFormat::Custom), "custom"),
            (Some(DumpFormat::Plain), "plain"),
        ] {
            m.dump_format = format;
            std::fs::write(&path, m.to_json()).unwrap();
            let read = Manifest::read(&path).unwrap();
            assert_eq!(read.kind(), kind);
            assert_eq!(read.is_plain(), format == Some(DumpFormat::Plain));
        }
        let json = m.to_json();
        assert!(json.contains("\"dump_format\": \"plain\""), "{json}");
        std::fs::write(&path, json.replace("\"plain\"", "\"tar\"")).unwrap();
        let e = Manifest::read(&path).unwrap_err();
        assert!(
            matches!(&e, Error::Backup(b) if matches!(**b, BackupError::BadManifest { .. })),
            "{e:?}"
        );
        assert!(e.to_string().contains("unknown variant `tar`"), "{e}");
    }

    #[test]
    fn a_manifest_whose_sha256_is_no_hex_digest_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db.json");
        let m = sample("app.db");
        for bad in ["abc", "é", &"z".repeat(64)] {
            std::fs::write(&path, m.to_json().replace(&m.sha256, bad)).unwrap();
            let e = Manifest::read(&path).unwrap_err();
            assert!(e.to_string().contains("is not a SHA-256 in hex"), "{e}");
        }
    }

    #[test]
    fn a_changed_byte_or_length_is_reported_against_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("b");
        std::fs::write(&backup, "abd").unwrap();
        let e = check_file(&backup, &sample("b")).unwrap_err().to_string();
        assert!(e.contains("SHA-256"), "{e}");
        std::fs::write(&backup, "ab").unwrap();
        let e = check_file(&backup, &sample("b")).unwrap_err().to_string();
        assert!(e.contains("is 2 bytes"), "{e}");
    }
}
