-- add user bio
--
-- Revision ID: e93b6d2a4f58
-- Revises: c47a1e9f0d26
-- Create Date: 2026-11-21 09:15:00.000000

-- migrate:up
ALTER TABLE users ADD COLUMN bio TEXT;

-- migrate:down
ALTER TABLE users DROP COLUMN bio;
