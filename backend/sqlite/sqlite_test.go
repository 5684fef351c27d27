package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

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

// TestMigrateOccurredDateOnly: tickets filed before 00053 keep the
// reading cards gave them (storetest.MigrateOccurredDateOnly).
func TestMigrateOccurredDateOnly(t *testing.T) {
	ctx := t.Context()
	path, db := migratedTo(t, 52)
	storetest.MigrateOccurredDateOnly(t, func(number string, at time.Time) {
		var micros any // NULL: not asked
		if !at.IsZero() {
			micros = at.UnixMicro()
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO tickets (number, occurred_at, status, version, created_at, updated_at) VALUES (?, ?, 'new', 1, 0, 0)`,
			number, micros); err != nil {
			t.Fatal(err)
		}
	}, func() backend.Store {
		db.Close()
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestMigrateAcceptedAt: tickets held before 00052 were claimed under the
// old rule, where holding was confirming, and count as accepted — except
// reopened ones, which their assignee confirms again (seed 002).
func TestMigrateAcceptedAt(t *testing.T) {
	ctx := t.Context()
	path, db := migratedTo(t, 51)
	if _, err := db.ExecContext(ctx, `INSERT INTO people (id, name, created_at) VALUES (7, 'ann', 0)`); err != nil {
		t.Fatal(err)
	}
	tickets := []struct {
		number   string
		status   backend.Status
		assignee any
		accepted bool
	}{
		{"FB-20261121-0001", backend.StatusNew, nil, false},
		{"FB-20261121-0002", backend.StatusInProgress, 7, true},
		{"FB-20261121-0003", backend.StatusReopened, 7, false},
	}
	for _, tc := range tickets {
		if _, err := db.ExecContext(ctx, `INSERT INTO tickets (number, status, assignee_id, version, created_at, updated_at) VALUES (?, ?, ?, 1, 0, 5)`,
			tc.number, string(tc.status), tc.assignee); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tickets {
		tk, err := s.Ticket(ctx, tc.number)
		if err != nil {
			t.Fatal(err)
		}
		if got := !tk.AcceptedAt.IsZero(); got != tc.accepted {
			t.Errorf("%s (%s): accepted %v, want %v", tc.number, tc.status, got, tc.accepted)
		}
	}
}

// TestMigrateKBTerms: the entries filed before 00059 are indexed when the
// store migrates (storetest.MigrateKBTerms).
func TestMigrateKBTerms(t *testing.T) {
	ctx := t.Context()
	path, db := migratedTo(t, 58)
	storetest.MigrateKBTerms(t, func(es []backend.KBInput) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, e := range es {
			if _, err := tx.ExecContext(ctx, `INSERT INTO kb_entries (title, body, created_at, updated_at) VALUES (?, ?, 0, 0)`, e.Title, e.Body); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}, func() backend.Store {
		db.Close()
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// migratedTo returns a database file migrated up to version, and a
// connection to it that the test closes before opening the store.
func migratedTo(t *testing.T, version int64) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deskbot.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := goose.NewProvider(goose.DialectSQLite3, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), version); err != nil {
		t.Fatal(err)
	}
	return path, db
}

func TestWebhook(t *testing.T) {
	s := newStore(t)
	s.Webhook = true
	storetest.Webhook(t, s)
}
