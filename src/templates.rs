//! The files `init` writes.

/// An ini file for a new project; `location` is the scripts folder as the file should name it.
pub(crate) fn ini(location: &str) -> String {
    format!(
        r#"# dbkit configuration (the [alembic] section of an alembic.ini is read as it is).
[alembic]
# The folder with versions/ in it; %(here)s is this file's folder.
script_location = {location}

# New revision files are named from this template (tokens: rev, slug, epoch, year, month, day, hour, minute,
# second; %% must be doubled in this file).
file_template = %%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s

# Slugs are cut to this many characters.
truncate_slug_length = 40

# A time-zone name such as UTC or Europe/Berlin, or unset for local time (Create Date and file names).
# timezone = UTC

# The database; DATABASE_URL and --url win over this line.
sqlalchemy.url = sqlite:///data/app.db

# dbkit's own settings (defaults shown):
# version_table = alembic_version
# version_table_schema =
# history_table = alembic_version_history
# transaction_per_migration = true
# lock_timeout = 300
# busy_timeout = 300
"#
    )
}
