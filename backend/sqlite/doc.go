// Package sqlite implements backend.Store on one SQLite file with
// modernc.org/sqlite (pure Go, no cgo): the embedded default that lets
// deskbot run on a fresh machine without any server.
//
// All writes go through a single connection, so concurrent transactions
// queue in Go instead of failing with SQLITE_BUSY; reads use a separate
// pool of read-only connections on the WAL file. The schema lives in
// embedded goose migrations (migrations/*.sql).
//
// sqlite may import the standard library, backend, goose and the SQLite
// driver; never another adapter (backend/postgres, bot/…, dialogs).
package sqlite
