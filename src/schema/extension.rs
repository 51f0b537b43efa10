//! A PostgreSQL extension. The objects an extension installs belong to it, not to the schema: they never
//! appear in the model, so a diff creates or drops the extension and nothing it owns.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub name: String,
    /// The schema its objects are installed in.
    pub schema: String,
}
