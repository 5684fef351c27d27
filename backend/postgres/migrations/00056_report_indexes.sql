-- Reports (DESIGN §7) read a week or a month at a time: the tickets
-- resolved in it, the ratings given in it (satisfaction events), the SLA
-- clock runs started in it and the surveys recorded in it. These indexes
-- keep those reads off a scan of every row.
--
-- events and tickets are the big tables of a live desk: the indexes are
-- built CONCURRENTLY, outside a transaction, so filing and commenting go
-- on while they build. (A build that fails half-way leaves an INVALID
-- index: DROP it and start deskbot again.)

-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_resolved_at ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_satisfaction_at ON events (at) WHERE kind = 'satisfaction';
CREATE INDEX CONCURRENTLY IF NOT EXISTS sla_clocks_started_at ON sla_clocks (started_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS follow_ups_surveyed_at ON follow_ups (surveyed_at) WHERE surveyed_at IS NOT NULL;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS follow_ups_surveyed_at;
DROP INDEX CONCURRENTLY IF EXISTS sla_clocks_started_at;
DROP INDEX CONCURRENTLY IF EXISTS events_satisfaction_at;
DROP INDEX CONCURRENTLY IF EXISTS tickets_resolved_at;
