package pgtest_test

import (
	"strings"
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

// TestOptionsInURL: options a DATABASE_URL already has are kept next to
// the test's search_path.
func TestOptionsInURL(t *testing.T) {
	base := pgtest.BaseURL()
	if !strings.Contains(base, "://") {
		base = pgtest.DefaultURL // a key=value DSN has no query to add to
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	t.Setenv("DATABASE_URL", base+sep+"options=-capplication_name%3Dpgtest-options")
	s := pgtest.NewStore(t)
	var name string
	if err := s.Pool().QueryRow(t.Context(), `SELECT current_setting('application_name')`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "pgtest-options" {
		t.Fatalf("application_name = %q, want the one DATABASE_URL set", name)
	}
}
