//! The two database engines dbkit speaks to, named one way everywhere: in revision-file markers, in the lexer's
//! quoting rules, in messages and in backup manifests. It holds no I/O, so the pure modules (the lexer, the
//! revision-file parser) can name an engine without reaching the connection code in [`crate::dialect`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Postgresql,
}

impl Engine {
    /// The name used in output and files: `sqlite` or `postgresql`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgresql => "postgresql",
        }
    }

    /// The engine [`Engine::name`] names, as ini files, flags and manifests write it; `postgres`, the URL
    /// scheme's short form, names PostgreSQL too. Spaces around the name do not count.
    pub fn from_name(name: &str) -> Option<Engine> {
        match name.trim() {
            "postgres" => Some(Engine::Postgresql),
            name => [Engine::Sqlite, Engine::Postgresql]
                .into_iter()
                .find(|e| e.name() == name),
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Read back from the names [`Engine::name`] writes; any other name is refused with the name quoted.
impl<'de> Deserialize<'de> for Engine {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Engine, D::Error> {
        let name = String::deserialize(deserializer)?;
        Engine::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown dialect '{name}'")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_serialize_to_their_names_and_back() {
        for engine in [Engine::Sqlite, Engine::Postgresql] {
            let json = serde_json::to_string(&engine).unwrap();
            assert_eq!(json, format!("\"{}\"", engine.name()));
            assert_eq!(serde_json::from_str::<Engine>(&json).unwrap(), engine);
        }
        let e = serde_json::from_str::<Engine>("\"mysql\"").unwrap_err();
        assert!(e.to_string().starts_with("unknown dialect 'mysql'"), "{e}");
    }

    #[test]
    fn a_name_is_read_as_flags_and_ini_files_write_it() {
        assert_eq!(Engine::from_name(" postgres "), Some(Engine::Postgresql));
        assert_eq!(Engine::from_name("postgresql"), Some(Engine::Postgresql));
        assert_eq!(Engine::from_name("sqlite"), Some(Engine::Sqlite));
        assert_eq!(Engine::from_name("mysql"), None);
    }
}
