-- add note search
--
-- Full-text search over notes: an external-content FTS5 table kept in step by triggers on SQLite,
-- a generated tsvector column with a GIN index on PostgreSQL.
--
-- Revision ID: c47a1e9f0d26
-- Revises: 8d2e4b7a9c13
-- Create Date: 2026-11-21 09:10:00.000000

-- migrate:up sqlite
CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, content='notes', content_rowid='id');

CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;

CREATE TRIGGER notes_fts_update AFTER UPDATE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO notes_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

-- migrate:down sqlite
DROP TRIGGER notes_fts_update;
DROP TRIGGER notes_fts_delete;
DROP TRIGGER notes_fts_insert;
DROP TABLE notes_fts;

-- migrate:up postgresql
-- dbkit:allow adding-field-with-default the example's notes table is small; on a large one, fill a plain column in batches
ALTER TABLE notes ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('english', coalesce(title, '') || ' ' || coalesce(body, ''))) STORED;
CREATE INDEX ix_notes_search ON notes USING GIN (search);

-- migrate:down postgresql
DROP INDEX ix_notes_search;
ALTER TABLE notes DROP COLUMN search;
