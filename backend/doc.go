// Package backend is deskbot's ticket system: the domain types (people,
// teams, categories, severities, tickets and their append-only event thread),
// the status transition table, error codes, and the Service that applies the
// business rules and permissions on top of a Store.
//
// backend imports only the standard library. Stores live in backend/postgres
// and backend/sqlite and pass the contract suite in backend/storetest; the
// JSON API lives in backend/httpapi. Nothing here knows about chat platforms
// or dialogs: channels call the Service and read the outbox.
package backend
