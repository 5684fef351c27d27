package pgtest_test

import (
	"testing"

	"github.com/deskbot/deskbot/backend/postgres/pgtest"
)

func TestNewStore(t *testing.T) {
	a, b := pgtest.NewStore(t), pgtest.NewStore(t)
	ctx := t.Context()
	var schemaA, schemaB string
	if err := a.Pool().QueryRow(ctx, `SELECT current_schema()`).Scan(&schemaA); err != nil {
		t.Fatal(err)
	}
	if err := b.Pool().QueryRow(ctx, `SELECT current_schema()`).Scan(&schemaB); err != nil {
		t.Fatal(err)
	}
	if schemaA == schemaB || schemaA == "public" {
		t.Fatalf("schemas %q and %q, want two fresh ones", schemaA, schemaB)
	}
	var tables int
	err := a.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename IN ('goose_db_version', 'tickets')`, schemaA).Scan(&tables)
	if err != nil || tables != 2 {
		t.Fatalf("tables in %s: %d, %v; want goose_db_version and tickets", schemaA, tables, err)
	}
	if _, err := a.Pool().Exec(ctx, `INSERT INTO teams (name) VALUES ('only in a')`); err != nil {
		t.Fatal(err)
	}
	teams, err := b.Teams(ctx)
	if err != nil || len(teams) != 0 {
		t.Fatalf("teams in b: %v, %v", teams, err)
	}
}
