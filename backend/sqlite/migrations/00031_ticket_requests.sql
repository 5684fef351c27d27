-- Idempotent filing: one ticket per reporter and request id (a dialog's
-- draft id), written in the ticket's own transaction.

-- +goose Up
CREATE TABLE ticket_requests (
    reporter_id INTEGER NOT NULL,
    request_id  TEXT NOT NULL,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (reporter_id, request_id)
);

-- +goose Down
DROP TABLE ticket_requests;
