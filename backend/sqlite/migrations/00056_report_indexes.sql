-- Reports (DESIGN §7) read a week or a month at a time: the tickets
-- resolved in it, the ratings given in it (satisfaction events), the SLA
-- clock runs started in it and the surveys recorded in it. These indexes
-- keep those reads off a scan of every row.

-- +goose Up
CREATE INDEX tickets_resolved_at ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX events_satisfaction_at ON events (at) WHERE kind = 'satisfaction';
CREATE INDEX sla_clocks_started_at ON sla_clocks (started_at);
CREATE INDEX follow_ups_surveyed_at ON follow_ups (surveyed_at) WHERE surveyed_at IS NOT NULL;

-- +goose Down
DROP INDEX follow_ups_surveyed_at;
DROP INDEX sla_clocks_started_at;
DROP INDEX events_satisfaction_at;
DROP INDEX tickets_resolved_at;
