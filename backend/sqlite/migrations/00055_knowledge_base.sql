-- The knowledge base (DESIGN §3 Archive, seed 004 N 整理入库): solutions
-- staff file, by hand or from a resolved ticket, for the intake dialog to
-- suggest. Searching is done by the service (character bigrams, the same
-- for both stores), so no text index here.
--
-- The same dialog suggests open incidents (集中反馈, DESIGN §2): an
-- incident is open until resolved_at, and a reporter who joins one from
-- the dialog files no ticket but follows it (incident_followers), so its
-- updates reach them as they reach the reporters of its linked tickets.

-- +goose Up
CREATE TABLE kb_entries (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    category_path TEXT NOT NULL DEFAULT '[]', -- JSON list, root first
    ticket_id     INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
    author_id     INTEGER NOT NULL DEFAULT 0, -- not a foreign key, like events.actor_id
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
-- One entry per ticket: filing a ticket twice, also concurrently, is a conflict.
CREATE UNIQUE INDEX kb_entries_ticket_id ON kb_entries (ticket_id) WHERE ticket_id IS NOT NULL;

ALTER TABLE incidents ADD COLUMN resolved_at INTEGER;
CREATE TABLE incident_followers (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    person_id   INTEGER NOT NULL REFERENCES people (id),
    joined_at   INTEGER NOT NULL,
    PRIMARY KEY (incident_id, person_id)
);

-- +goose Down
DROP TABLE incident_followers;
ALTER TABLE incidents DROP COLUMN resolved_at;
DROP TABLE kb_entries;
