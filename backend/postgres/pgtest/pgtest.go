package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend/postgres"
)

// DefaultURL is the server used when DATABASE_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// down remembers servers that could not be reached, so that a suite of
// many tests waits for one connect timeout, not one per test.
var down sync.Map // base URL → error

// BaseURL returns DATABASE_URL or DefaultURL.
func BaseURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// NewSchema creates an empty schema t_<random> on the test server and
// returns a URL whose connections have it as their only search_path, so
// tables (goose's version table too) are created and found there. The
// schema is dropped with everything in it when tb ends.
//
//	func TestAPI(t *testing.T) {
//		store, err := postgres.Open(t.Context(), pgtest.NewSchema(t))
//		…
//	}
func NewSchema(tb testing.TB) (url string) {
	tb.Helper()
	base := BaseURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err, ok := down.Load(base); ok {
		unreachable(tb, err.(error))
	}
	conn, err := connect(ctx, base)
	if err != nil {
		down.Store(base, err)
		unreachable(tb, err)
	}
	defer conn.Close(ctx)

	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("pgtest: create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := connect(ctx, base)
		if err != nil {
			tb.Errorf("pgtest: drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	u, err := withSearchPath(base, schema)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return u
}

// NewStore returns a migrated postgres.Store on a fresh schema (see
// NewSchema), closed when tb ends.
//
//	store := pgtest.NewStore(t)
func NewStore(tb testing.TB) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), NewSchema(tb))
	if err != nil {
		tb.Fatalf("pgtest: open: %v", err)
	}
	tb.Cleanup(func() { s.Close() }) // runs before the schema is dropped
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("pgtest: migrate: %v", err)
	}
	return s
}

func connect(ctx context.Context, url string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 3*time.Second {
		cfg.ConnectTimeout = 3 * time.Second
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// unreachable skips the test, or fails it under CI=true.
func unreachable(tb testing.TB, err error) {
	tb.Helper()
	msg := "pgtest: PostgreSQL at " + redacted(BaseURL()) + " is unreachable (set DATABASE_URL to use another server): " + err.Error()
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// withSearchPath adds -csearch_path=schema to the options of a URL.
func withSearchPath(base, schema string) (string, error) {
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		// A key=value DSN: options may be given once, so append it.
		return base + " options='-csearch_path=" + schema + "'", nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	opts := strings.TrimSpace(q.Get("options") + " -csearch_path=" + schema)
	q.Set("options", opts)
	// Encode writes a space as "+", which pgx keeps as a "+": spell it %20.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String(), nil
}

// redacted hides the password of a URL for messages.
func redacted(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}
