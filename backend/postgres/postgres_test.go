package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for goose
	"github.com/pressly/goose/v3"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/backend/storetest"
)

func TestStore(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) backend.Store { return pgtest.NewStore(t) })
}

func TestMigrate(t *testing.T) {
	t.Run("Twice", func(t *testing.T) {
		t.Parallel()
		s := pgtest.NewStore(t)
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		url := pgtest.NewSchema(t)
		errs := make(chan error, 3)
		for range 3 {
			go func() {
				s, err := postgres.Open(t.Context(), url)
				if err != nil {
					errs <- err
					return
				}
				defer s.Close()
				errs <- s.Migrate(t.Context())
			}()
		}
		for range 3 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestExclusive: stores on one schema (replicas) run fn one at a time;
// another name, or another schema, does not wait; the lock is free again
// after fn fails.
func TestExclusive(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewSchema(t)
	open := func(url string) *postgres.Store {
		s, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	t.Run("OneAtATime", func(t *testing.T) {
		var inside, most atomic.Int32
		errs := make(chan error, 4)
		for range 4 {
			s := open(url)
			go func() {
				errs <- s.Exclusive(ctx, "start-up", func(context.Context) error {
					n := inside.Add(1)
					defer inside.Add(-1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					time.Sleep(50 * time.Millisecond)
					return nil
				})
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if most.Load() != 1 {
			t.Fatalf("%d ran at once, want 1", most.Load())
		}
	})
	t.Run("OtherNameOrSchema", func(t *testing.T) {
		a, b, other := open(url), open(url), open(pgtest.NewSchema(t))
		err := a.Exclusive(ctx, "start-up", func(ctx context.Context) error {
			wait, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if err := b.Exclusive(wait, "other", func(context.Context) error { return nil }); err != nil {
				return fmt.Errorf("another name: %w", err)
			}
			if err := other.Exclusive(wait, "start-up", func(context.Context) error { return nil }); err != nil {
				return fmt.Errorf("another schema: %w", err)
			}
			short, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel2()
			if err := b.Exclusive(short, "start-up", func(context.Context) error { return nil }); err == nil {
				return errors.New("the same name in the same schema did not wait")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ReleasedAfterError", func(t *testing.T) {
		a, b := open(url), open(url)
		boom := errors.New("boom")
		if err := a.Exclusive(ctx, "start-up", func(context.Context) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want fn's", err)
		}
		wait, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := b.Exclusive(wait, "start-up", func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
}

// TestMigrateOccurredDateOnly: tickets filed before 00053 keep the
// reading cards gave them (storetest.MigrateOccurredDateOnly).
func TestMigrateOccurredDateOnly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewSchema(t)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 52); err != nil {
		t.Fatal(err)
	}
	storetest.MigrateOccurredDateOnly(t, func(number string, at time.Time) {
		var occurred any // NULL: not asked
		if !at.IsZero() {
			occurred = at
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO tickets (number, occurred_at, status, version, created_at, updated_at) VALUES ($1, $2, 'new', 1, now(), now())`,
			number, occurred); err != nil {
			t.Fatal(err)
		}
	}, func() backend.Store {
		db.Close()
		s, err := postgres.Open(ctx, url)
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

// TestMigrateKBTerms: the entries filed before 00059 are indexed when the
// store migrates (storetest.MigrateKBTerms).
func TestMigrateKBTerms(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewSchema(t)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 58); err != nil {
		t.Fatal(err)
	}
	storetest.MigrateKBTerms(t, func(es []backend.KBInput) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, e := range es {
			if _, err := tx.ExecContext(ctx, `INSERT INTO kb_entries (title, body, created_at, updated_at) VALUES ($1, $2, now(), now())`, e.Title, e.Body); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}, func() backend.Store {
		db.Close()
		s, err := postgres.Open(ctx, url)
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

func TestUnavailable(t *testing.T) {
	t.Parallel()
	// Nothing listens on port 1: every call fails fast with EUNAVAILABLE.
	s, err := postgres.Open(t.Context(), "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if code := backend.ErrorCode(s.Ping(ctx)); code != backend.EUNAVAILABLE {
		t.Errorf("Ping: code %q, want %q", code, backend.EUNAVAILABLE)
	}
	err = s.CreateTeam(ctx, &backend.Team{Name: "tech"})
	if code := backend.ErrorCode(err); code != backend.EUNAVAILABLE {
		t.Errorf("CreateTeam: %v (code %q), want %q", err, code, backend.EUNAVAILABLE)
	}
	_, err = s.Ticket(ctx, "FB-20261123-0001")
	if code := backend.ErrorCode(err); code != backend.EUNAVAILABLE {
		t.Errorf("Ticket: %v (code %q), want %q", err, code, backend.EUNAVAILABLE)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to notice", d)
	}
}

func TestUnavailableTimeout(t *testing.T) {
	t.Parallel()
	// A non-routable address makes the dial hang until connect_timeout.
	s, err := postgres.Open(t.Context(), "postgres://postgres@10.255.255.1:5432/test?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	err = s.Ping(t.Context())
	if code := backend.ErrorCode(err); code != backend.EUNAVAILABLE {
		t.Errorf("Ping: %v (code %q), want %q", err, code, backend.EUNAVAILABLE)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to time out", d)
	}
}

func TestOpen(t *testing.T) {
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := postgres.Open(t.Context(), "postgres://u:secret@host:notaport/db")
		if code := backend.ErrorCode(err); code != backend.EINVALID {
			t.Fatalf("code %q, want %q", code, backend.EINVALID)
		}
		if msg := err.Error(); strings.Contains(msg, "secret") {
			t.Fatalf("error shows the password: %s", msg)
		}
	})
}

func TestAdminShutdown(t *testing.T) {
	t.Parallel()
	// The server ends our connection (57P01, as on a restart or failover):
	// the call that finds out reports EUNAVAILABLE, the next one reconnects.
	s, err := postgres.Open(t.Context(), pgtest.NewSchema(t)+"&pool_max_conns=1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	admin, err := postgres.Open(t.Context(), pgtest.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	// pgxpool pings a connection that sat idle for over a second before it
	// hands it out, and quietly replaces a dead one: then no call finds out.
	// So the backend is ended right after the connection's last use, and
	// waited for (no fixed sleep); on a machine so slow that the connection
	// still idled for a second, the round is tried again.
	for attempt := 1; ; attempt++ {
		var pid int32
		if err := s.Pool().QueryRow(t.Context(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		used := time.Now()
		var gone bool
		if err := admin.Pool().QueryRow(t.Context(), `SELECT pg_terminate_backend($1, 20000)`, pid).Scan(&gone); err != nil || !gone {
			t.Fatalf("terminating backend %d: %v, %v", pid, gone, err)
		}
		err = s.CreateTeam(t.Context(), &backend.Team{Name: fmt.Sprintf("tech-%d", attempt)})
		if idle := time.Since(used); err == nil && idle > 900*time.Millisecond && attempt < 5 {
			t.Logf("attempt %d: the connection idled %s, so the pool replaced it unseen; again", attempt, idle)
			continue
		}
		t.Logf("CreateTeam on a terminated connection: %v", err)
		if code := backend.ErrorCode(err); code != backend.EUNAVAILABLE {
			t.Fatalf("CreateTeam on a terminated connection: %v (code %q), want %q", err, code, backend.EUNAVAILABLE)
		}
		break
	}
	if err := s.CreateTeam(t.Context(), &backend.Team{Name: "tech"}); err != nil {
		t.Fatalf("CreateTeam after reconnecting: %v", err)
	}
}

func TestWebhook(t *testing.T) {
	s := pgtest.NewStore(t)
	s.Webhook = true
	storetest.Webhook(t, s)
}
