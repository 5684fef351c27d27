-- SLA clocks (backend/sla): one row per run of a clock of a ticket, the
-- ticket version the clocks were last planned for, and the idempotency
-- keys of escalation steps (each step is written exactly once).

-- +goose Up
CREATE TABLE sla_clocks (
    id             INTEGER PRIMARY KEY,
    ticket_id      INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    run            INTEGER NOT NULL,
    policy_version TEXT NOT NULL,
    severity       TEXT NOT NULL,
    unit           TEXT NOT NULL,
    budget         INTEGER NOT NULL,      -- nanoseconds
    state          TEXT NOT NULL,
    started_at     INTEGER NOT NULL,
    running_since  INTEGER,
    used           INTEGER NOT NULL,      -- nanoseconds
    warn_at        INTEGER,
    due_at         INTEGER,
    paused_at      INTEGER,
    stopped_at     INTEGER,
    warned_at      INTEGER,
    breached_at    INTEGER,
    step           INTEGER NOT NULL,
    acked_at       INTEGER,
    acked_by       INTEGER NOT NULL,
    generation     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (ticket_id, name, run)
);
CREATE INDEX sla_clocks_live ON sla_clocks (id) WHERE state = 'running';

CREATE TABLE sla_sync (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    version   INTEGER NOT NULL
);

CREATE TABLE sla_once (
    key        TEXT PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE sla_once;
DROP TABLE sla_sync;
DROP TABLE sla_clocks;
