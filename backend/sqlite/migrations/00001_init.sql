-- The first schema of deskbot's embedded store. Times are INTEGER unix
-- microseconds in UTC (NULL for a zero time), lists and maps are JSON text,
-- and an ID of 0 in the domain ("nobody", "no team") is NULL here so that
-- foreign keys hold.

-- +goose Up
CREATE TABLE teams (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    lead_id INTEGER REFERENCES people (id)
);

CREATE TABLE people (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    roles      TEXT NOT NULL DEFAULT '[]', -- JSON array of backend.Role
    team_id    INTEGER REFERENCES teams (id),
    locale     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX people_team_id ON people (team_id);

CREATE TABLE chat_accounts (
    id        INTEGER PRIMARY KEY, -- keeps the order accounts were linked in
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    platform  TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    chat_id   TEXT NOT NULL DEFAULT '',
    UNIQUE (platform, user_id)
);
CREATE INDEX chat_accounts_person_id ON chat_accounts (person_id);

CREATE TABLE incidents (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- The last number handed out per prefix and day (YYYYMMDD); bumped in the
-- transaction that inserts the ticket, so a rollback leaves no gap.
CREATE TABLE ticket_counters (
    prefix TEXT NOT NULL,
    day    TEXT NOT NULL,
    last   INTEGER NOT NULL,
    PRIMARY KEY (prefix, day)
) WITHOUT ROWID;

CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    form          TEXT NOT NULL DEFAULT '',
    summary       TEXT NOT NULL DEFAULT '',
    reference_id  TEXT NOT NULL DEFAULT '',
    category_path TEXT NOT NULL DEFAULT 'null', -- JSON array
    category_key  TEXT NOT NULL DEFAULT '',     -- each name followed by U+001F, for prefix filters
    attachments   TEXT NOT NULL DEFAULT 'null', -- JSON array of backend.Attachment
    occurred_at   INTEGER,
    region        TEXT NOT NULL DEFAULT '',
    severity      TEXT NOT NULL DEFAULT '',
    order_number  TEXT NOT NULL DEFAULT '',
    account       TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    qq            TEXT NOT NULL DEFAULT '',
    extra         TEXT NOT NULL DEFAULT 'null', -- JSON object
    status        TEXT NOT NULL,
    reporter_id   INTEGER REFERENCES people (id),
    assignee_id   INTEGER REFERENCES people (id),
    team_id       INTEGER REFERENCES teams (id),
    incident_id   INTEGER REFERENCES incidents (id),
    satisfaction  TEXT NOT NULL DEFAULT '',
    solution      TEXT NOT NULL DEFAULT '',
    channel       TEXT NOT NULL DEFAULT '',
    version       INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    resolved_at   INTEGER
);
CREATE INDEX tickets_status ON tickets (status);
-- Partial where most new tickets have NULL, so filing one writes fewer pages;
-- "team_id = ?" implies "team_id IS NOT NULL", so the planner uses them.
CREATE INDEX tickets_team_id ON tickets (team_id) WHERE team_id IS NOT NULL;
CREATE INDEX tickets_assignee_id ON tickets (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX tickets_reporter_id ON tickets (reporter_id);
CREATE INDEX tickets_incident_id ON tickets (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX tickets_created_at ON tickets (created_at);
CREATE INDEX tickets_order_number ON tickets (order_number);

CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    kind      TEXT NOT NULL,
    actor_id  INTEGER NOT NULL DEFAULT 0, -- 0: the system; not a foreign key so the log outlives people
    at        INTEGER NOT NULL,
    public    INTEGER NOT NULL DEFAULT 0,
    body      TEXT NOT NULL DEFAULT '',
    data      TEXT NOT NULL DEFAULT '{}' -- JSON backend.EventData
);
CREATE INDEX events_ticket_id ON events (ticket_id, id);

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets (id),
    event_id     INTEGER NOT NULL REFERENCES events (id),
    audience     TEXT NOT NULL,
    recipient_id INTEGER NOT NULL DEFAULT 0, -- 0 for the triage chats
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    locked_until INTEGER, -- lease of the sender that claimed it
    sent_at      INTEGER,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX outbox_unsent ON outbox (next_attempt) WHERE sent_at IS NULL;
CREATE INDEX outbox_unsent_group ON outbox (ticket_id, audience, recipient_id, id) WHERE sent_at IS NULL;

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    person_id  INTEGER NOT NULL REFERENCES people (id),
    hash       BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE outbox;
DROP TABLE events;
DROP TABLE tickets;
DROP TABLE ticket_counters;
DROP TABLE incidents;
DROP TABLE chat_accounts;
DROP TABLE people;
DROP TABLE teams;
