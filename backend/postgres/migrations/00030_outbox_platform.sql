-- Outbox messages may name the platform to deliver on: one triage row per
-- triage platform, so every triage chat gets each card exactly once.

-- +goose Up
ALTER TABLE outbox ADD COLUMN platform text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE outbox DROP COLUMN platform;
