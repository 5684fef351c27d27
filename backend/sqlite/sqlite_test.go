package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/sqlite"
	"github.com/deskbot/deskbot/backend/storetest"
)

func TestStore(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) backend.Store { return newStore(t) })
}

// newStore returns a migrated store on a fresh file in a temporary directory.
func newStore(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "data", "deskbot.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestOpen(t *testing.T) {
	t.Run("CreatesDirectory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a", "b", "deskbot.db")
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Memory", func(t *testing.T) {
		s, err := sqlite.Open(t.Context(), ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateTeam(t.Context(), &backend.Team{Name: "tech"}); err != nil {
			t.Fatal(err)
		}
		teams, err := s.Teams(t.Context())
		if err != nil || len(teams) != 1 {
			t.Fatalf("Teams = %v, %v", teams, err)
		}
	})
	t.Run("MigrateTwice", func(t *testing.T) {
		s := newStore(t)
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Reopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "deskbot.db")
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateTeam(t.Context(), &backend.Team{Name: "tech"}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if s, err = sqlite.Open(t.Context(), path); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if teams, err := s.Teams(t.Context()); err != nil || len(teams) != 1 {
			t.Fatalf("Teams after reopening = %v, %v", teams, err)
		}
	})
	t.Run("ErrUnavailable", func(t *testing.T) {
		// A directory where the file should be cannot be opened.
		path := t.TempDir()
		_, err := sqlite.Open(t.Context(), path)
		if code := backend.ErrorCode(err); code != backend.EUNAVAILABLE {
			t.Fatalf("Open(directory) = %v (%s), want %s", err, code, backend.EUNAVAILABLE)
		}
	})
}
