-- The attachment store's sweep (botkit.Files.Sweep) asks which stored
-- files some ticket names: one index lookup per file.
-- +goose Up
CREATE INDEX tickets_attachments ON tickets USING gin (attachments jsonb_path_ops);

-- +goose Down
DROP INDEX tickets_attachments;
