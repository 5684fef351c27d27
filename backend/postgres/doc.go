// Package postgres implements backend.Store on PostgreSQL with pgx v5 and
// pgxpool: the production store, which any number of deskbot replicas can
// share. Ticket numbers come from a counter row bumped in the ticket's own
// transaction, and senders claim outbox messages with FOR UPDATE SKIP
// LOCKED and a lease. The schema lives in embedded goose migrations
// (migrations/*.sql), created in the connection's current schema.
//
// Errors are translated at this boundary: no rows → ENOTFOUND, unique
// violation → ECONFLICT, missing foreign key → EINVALID, a database that
// cannot be reached → EUNAVAILABLE.
//
// postgres may import the standard library, backend, pgx and goose; never
// another adapter (backend/sqlite, bot/…, dialogs). Tests of other packages
// get a throw-away schema from backend/postgres/pgtest.
package postgres
