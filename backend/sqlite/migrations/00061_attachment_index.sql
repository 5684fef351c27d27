-- Nothing to index: SQLite cannot index inside JSON arrays, and the
-- embedded database's sweep reads the tickets with attachments instead.
-- The file keeps the migration numbers of both databases in step.
-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
