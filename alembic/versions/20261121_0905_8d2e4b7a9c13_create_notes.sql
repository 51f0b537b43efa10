-- create notes
--
-- Revision ID: 8d2e4b7a9c13
-- Revises: 5f1c0a9e2b01
-- Create Date: 2026-11-21 09:05:00.000000

-- migrate:up
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX ix_notes_user_id ON notes (user_id);

-- migrate:down
DROP TABLE notes;
