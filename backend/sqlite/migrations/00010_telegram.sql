-- Chat channels: keys seen once (delivered update ids), the messages a
-- channel sent about tickets (replies, triage cards, outbox idempotency),
-- and invites that link a chat account to a staff role.

-- +goose Up
CREATE TABLE seen_keys (
    key        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX seen_keys_expires_at ON seen_keys (expires_at);

CREATE TABLE chat_messages (
    platform   TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    outbox_id  INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (platform, chat_id, message_id)
);
CREATE INDEX chat_messages_ticket ON chat_messages (ticket_id, platform, kind);
CREATE UNIQUE INDEX chat_messages_outbox ON chat_messages (platform, outbox_id) WHERE outbox_id IS NOT NULL;

CREATE TABLE invites (
    id         INTEGER PRIMARY KEY,
    hash       BLOB NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    team_id    INTEGER REFERENCES teams (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    used_by    INTEGER REFERENCES people (id)
);

-- +goose Down
DROP TABLE invites;
DROP TABLE chat_messages;
DROP TABLE seen_keys;
