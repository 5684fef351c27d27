-- Complaints (DESIGN §5, seed 001): the tasks a complaint is split into,
-- each with an owner and a deadline, and the closing record (root cause,
-- prevention measures, approval, sent to the customer). Both are written
-- with their ticket's events, in the ticket's transaction.

-- +goose Up
CREATE TABLE complaint_tasks (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    owner_id    INTEGER NOT NULL REFERENCES people (id),
    due         INTEGER NOT NULL,
    created_by  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    done_by     INTEGER NOT NULL DEFAULT 0,
    done_at     INTEGER,
    result      TEXT NOT NULL DEFAULT '',
    reminded_at INTEGER
);
CREATE INDEX complaint_tasks_ticket ON complaint_tasks (ticket_id);
CREATE INDEX complaint_tasks_owner ON complaint_tasks (owner_id) WHERE done_at IS NULL;
CREATE INDEX complaint_tasks_due ON complaint_tasks (due) WHERE done_at IS NULL AND reminded_at IS NULL;

CREATE TABLE complaint_records (
    ticket_id   INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    root_cause  TEXT NOT NULL,
    prevention  TEXT NOT NULL,
    recorded_by INTEGER NOT NULL DEFAULT 0,
    recorded_at INTEGER NOT NULL,
    approved_by INTEGER NOT NULL DEFAULT 0,
    approved_at INTEGER,
    sent_by     INTEGER NOT NULL DEFAULT 0,
    sent_at     INTEGER
);

-- +goose Down
DROP TABLE complaint_records;
DROP TABLE complaint_tasks;
