-- Dissatisfaction follow-ups (DESIGN §6, seed 003): one row per 不满意
-- rating, opened with the rating's event, with the survey (调研) and the
-- callback (回访) as staff record them.

-- +goose Up
CREATE TABLE follow_ups (
    id             INTEGER PRIMARY KEY,
    ticket_id      INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    event_id       INTEGER NOT NULL UNIQUE REFERENCES events (id),
    rated_at       INTEGER NOT NULL,
    survey         TEXT NOT NULL,
    callback       TEXT NOT NULL DEFAULT '',
    factors        TEXT NOT NULL DEFAULT '[]', -- JSON list of backend.Factor
    solved         INTEGER NOT NULL DEFAULT 0,
    survey_notes   TEXT NOT NULL DEFAULT '',
    surveyed_by    INTEGER NOT NULL DEFAULT 0, -- not a foreign key, like events.actor_id
    surveyed_at    INTEGER,
    outcome        TEXT NOT NULL DEFAULT '',
    callback_notes TEXT NOT NULL DEFAULT '',
    called_by      INTEGER NOT NULL DEFAULT 0,
    called_at      INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX follow_ups_ticket_id ON follow_ups (ticket_id);
-- The console's board reads the open ones.
CREATE INDEX follow_ups_open ON follow_ups (id) WHERE survey = 'needed' OR callback = 'needed';

-- +goose Down
DROP TABLE follow_ups;
