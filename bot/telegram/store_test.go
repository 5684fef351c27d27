package telegram

import (
	"context"
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
)

// openStore opens a migrated Postgres store in a fresh schema (skipped
// without Postgres, a failure under CI=true).
func openStore(tb testing.TB) backend.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.NewSchema(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return s
}
