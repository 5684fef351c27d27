// Package pgtest gives tests a throw-away schema on a real PostgreSQL
// server, so that tests of any package (stores, httpapi, cmd, benchmarks)
// run against Postgres in parallel without seeing each other's rows.
//
// The server is DATABASE_URL, or postgres://postgres@127.0.0.1:5432/test
// without it. When it cannot be reached the test is skipped, or fails
// under CI=true so that CI never passes by skipping.
//
// pgtest may import the standard library, pgx, backend and
// backend/postgres; only tests import pgtest.
package pgtest
