package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

//go:embed migrations/*.sql
var migrations embed.FS

// defaultConnectTimeout bounds connecting when the URL sets no
// connect_timeout, so a database that is down is reported (EUNAVAILABLE)
// instead of hanging a request.
const defaultConnectTimeout = 5 * time.Second

// Store is a backend.Store on a PostgreSQL database.
type Store struct {
	// Now is the clock for the times a caller did not set (CreatedAt, an
	// event's At) and for UpdatedAt on updates. Default: time.Now.
	Now func() time.Time

	// Webhook, when set, gives every event written (but the
	// notification_sent records of deliveries) an outbox message for the
	// webhook audience, in the event's transaction: the signed outbound
	// webhook (backend/webhook) gets every event once. Set it before use.
	Webhook bool

	pool    *pgxpool.Pool
	creator *creator
}

var _ backend.Store = (*Store)(nil)

// Open makes a connection pool for databaseURL (a postgres:// URL or a
// key=value DSN; pool_max_conns and the other pgxpool settings apply). It
// does not connect yet: call Ping to check the database, Migrate before use.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, backend.Errorf(backend.EINVALID, "postgres: bad database URL: %v", redact(err))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, dbError(err, "postgres: open")
	}
	return &Store{Now: time.Now, pool: pool, creator: newCreator(pool)}, nil
}

// redact drops the error text of a parse error, which can quote the URL
// with its password.
func redact(err error) string {
	if pe, ok := errors.AsType[*pgconn.ParseConfigError](err); ok && pe.Unwrap() != nil {
		return pe.Unwrap().Error()
	}
	return "cannot parse"
}

// Pool returns the connection pool, for job queues and health checks that
// share it.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migrate brings the schema in the current schema (the first of the
// search_path) up to date with the embedded migrations, then indexes the
// knowledge-base entries whose search terms are missing or out of date
// (see indexKB). Replicas that migrate at once take turns on an advisory
// lock of that schema.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	var schema string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return dbError(err, "postgres: migrate")
	}
	h := fnv.New64a()
	io.WriteString(h, "deskbot migrations "+schema)
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())), lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return dbError(err, "postgres: migrate")
	}
	// Made in Go, the knowledge base's terms are not made by a migration.
	return s.indexKB(ctx)
}

// Exclusive runs fn while holding the advisory lock named name in the
// current schema, so that the replicas sharing a database take turns at
// what must happen once (River's migrations, the first console admin at
// start-up). It waits for the lock as long as ctx allows; the lock is
// released when fn returns, or with its connection if that breaks.
func (s *Store) Exclusive(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return dbError(err, "postgres: lock %s", name)
	}
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		conn.Release()
		return dbError(err, "postgres: lock %s", name)
	}
	h := fnv.New64a()
	io.WriteString(h, "deskbot "+name+" "+schema)
	id := int64(h.Sum64())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, id); err != nil {
		conn.Release()
		return dbError(err, "postgres: lock %s", name)
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, id); err != nil {
			// Closing the session is what releases a session lock for sure.
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
		conn.Release()
	}()
	return fn(ctx)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return dbError(s.pool.Ping(ctx), "postgres: ping")
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.creator.shutdown()
	s.pool.Close()
	return nil
}

func (s *Store) now() time.Time { return norm(s.Now()) }

// querier runs statements: the pool, for a read (one round trip, with no
// BEGIN and ROLLBACK around it), or a transaction. Under READ COMMITTED,
// several reads in a transaction see no more consistent a state than they
// do on the pool.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, dbError(err, "postgres: begin")
	}
	return tx, nil
}

func commit(ctx context.Context, tx pgx.Tx) error {
	return dbError(tx.Commit(ctx), "postgres: commit")
}

// rollback ends tx if it is still open; it is deferred right after begin.
func rollback(ctx context.Context, tx pgx.Tx) {
	// A rollback after commit is a no-op; one after a broken connection
	// fails, and the connection is dropped by the pool either way.
	_ = tx.Rollback(context.WithoutCancel(ctx))
}

// dbError translates err from pgx into a domain error: no rows is ENOTFOUND
// ("<what> not found"), a unique violation ECONFLICT, a missing foreign key
// EINVALID, a database that cannot be reached EUNAVAILABLE. The pgx error
// stays in the chain. Domain errors pass through unchanged.
func dbError(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*backend.Error](err); ok {
		return err
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, pgx.ErrNoRows) {
		return backend.Errorf(backend.ENOTFOUND, "%s not found", what)
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch {
		case pe.Code == "23505": // unique_violation
			return fmt.Errorf("%w: %w", backend.Errorf(backend.ECONFLICT, "%s: already exists", what), err)
		case pe.Code == "23503": // foreign_key_violation
			return fmt.Errorf("%w: %w", backend.Errorf(backend.EINVALID, "%s: refers to a person, team or incident that does not exist", what), err)
		case unavailableCode(pe.Code):
			return fmt.Errorf("%w: %w", backend.Errorf(backend.EUNAVAILABLE, "%s: database unavailable", what), err)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if unreachable(err) {
		return fmt.Errorf("%w: %w", backend.Errorf(backend.EUNAVAILABLE, "%s: database unavailable", what), err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// unavailableCode reports whether a server error means the server cannot
// serve now: connection exceptions (08…), shutdown (57P01–57P03), too many
// connections (53300).
func unavailableCode(code string) bool {
	return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "53300"
}

// unreachable reports whether err means no connection could be made or the
// connection broke: dial and connect errors (including a connect timeout),
// errors pgx knows happened before anything was sent, and network errors.
func unreachable(err error) bool {
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if pgconn.SafeToRetry(err) {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// nullTime is the column value of t: NULL for zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// timeCol scans a nullable timestamptz into a UTC time; NULL is zero.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
	case time.Time:
		*c.t = v.UTC()
	default:
		return fmt.Errorf("time column: unexpected %T", v)
	}
	return nil
}

// nullID is the column value of a reference: NULL for 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// idCol scans a nullable reference; NULL is 0.
type idCol struct{ id *int64 }

func (c idCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.id = 0
	case int64:
		*c.id = v
	default:
		return fmt.Errorf("id column: unexpected %T", v)
	}
	return nil
}

// jsonb encodes v for a jsonb column.
func jsonb(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode %T: %w", v, err)
	}
	return b, nil
}

// jsonCol scans a jsonb column into v.
type jsonCol struct{ v any }

func (c jsonCol) Scan(v any) error {
	switch b := v.(type) {
	case string:
		return json.Unmarshal([]byte(b), c.v)
	case []byte:
		return json.Unmarshal(b, c.v)
	case nil:
		return nil
	default:
		return fmt.Errorf("json column: unexpected %T", v)
	}
}

// norm and orNow are the stores' shared time rules (storekit).
func norm(t time.Time) time.Time       { return storekit.Norm(t) }
func orNow(t, now time.Time) time.Time { return storekit.OrNow(t, now) }
