-- The group chat message a ticket was reported from (Ticket.Source,
-- "platform:chat:message"): that chat hears when the ticket is filed and
-- when it is resolved. '' for a ticket filed in a private chat, on the
-- web or through the API, as every ticket before this migration.

-- +goose Up
ALTER TABLE tickets ADD COLUMN source text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE tickets DROP COLUMN source;
