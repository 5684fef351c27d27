-- Report subscriptions (DESIGN §7): who gets the weekly or monthly report
-- in their chat, and each period's delivery to each of them. A delivery is
-- unique per (person, kind, period, team), so however many replicas queue
-- a period, each subscriber gets it once.

-- +goose Up
CREATE TABLE report_subscriptions (
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL, -- week | month
    team_id    INTEGER NOT NULL DEFAULT 0, -- 0: every team; not a foreign key (a team removed makes the report fail, said once)
    created_at INTEGER NOT NULL,
    PRIMARY KEY (person_id, kind, team_id)
);
CREATE INDEX report_subscriptions_kind ON report_subscriptions (kind);

CREATE TABLE report_deliveries (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    period       TEXT NOT NULL, -- 2026-W48, 2026-11
    team_id      INTEGER NOT NULL DEFAULT 0,
    parts        INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    locked_until INTEGER,
    sent_at      INTEGER,
    failed_at    INTEGER,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    UNIQUE (person_id, kind, period, team_id)
);
CREATE INDEX report_deliveries_due ON report_deliveries (next_attempt) WHERE sent_at IS NULL AND failed_at IS NULL;

-- +goose Down
DROP TABLE report_deliveries;
DROP TABLE report_subscriptions;
