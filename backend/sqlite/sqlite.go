package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a backend.Store on a SQLite database.
type Store struct {
	// Now is the clock for the times a caller did not set (CreatedAt, an
	// event's At) and for UpdatedAt on updates. Default: time.Now.
	Now func() time.Time

	// Webhook, when set, gives every event written (but the
	// notification_sent records of deliveries) an outbox message for the
	// webhook audience, in the event's transaction: the signed outbound
	// webhook (backend/webhook) gets every event once. Set it before use.
	Webhook bool

	path string
	db   *pool // one connection: every write transaction queues here
	rdb  *pool // read-only connections; db itself for an in-memory database
}

// pool is a database handle with the store's constant statements prepared
// on it (by Migrate). Parsing a statement costs about as much as running
// it, so the hot paths (CreateTicket, ClaimOutbox, filing and searching
// the knowledge base) run prepared.
type pool struct {
	*sql.DB
	stmts atomic.Pointer[map[string]*sql.Stmt]
}

// preparedSQL lists the statements Migrate prepares.
var preparedSQL = []string{
	insertPersonSQL, updatePersonSQL, personByIDSQL, peopleWithRoleSQL, accountsSQL, insertAccountSQL,
	accountOwnerSQL, linkAccountSQL, insertTeamSQL, teamByIDSQL, teamsSQL, insertTokenSQL, tokenByHashSQL,
	ticketByNumberSQL, ticketByIDSQL, insertIncidentSQL, incidentSQL, nextSeqSQL, insertTicketSQL, updateTicketSQL,
	insertEventSQL, insertMessageSQL, eventsSQL, claimSQL, markSentSQL, rescheduleSQL, messageExistsSQL,
	insertKBEntrySQL, insertKBTermsSQL, deleteKBTermsSQL, searchKBSQL,
}

// prepare prepares preparedSQL on p, replacing what was prepared before.
func (p *pool) prepare(ctx context.Context) error {
	stmts := make(map[string]*sql.Stmt, len(preparedSQL))
	for _, q := range preparedSQL {
		st, err := p.PrepareContext(ctx, q)
		if err != nil {
			for _, st := range stmts {
				st.Close()
			}
			return dbError(err, "sqlite: prepare")
		}
		stmts[q] = st
	}
	if old := p.stmts.Swap(&stmts); old != nil {
		for _, st := range *old {
			st.Close()
		}
	}
	return nil
}

// begin starts a transaction that runs the prepared statements.
func (p *pool) begin(ctx context.Context, opts *sql.TxOptions) (*dbTx, error) {
	tx, err := p.BeginTx(ctx, opts)
	if err != nil {
		return nil, dbError(err, "sqlite: begin")
	}
	var stmts map[string]*sql.Stmt
	if m := p.stmts.Load(); m != nil {
		stmts = *m
	}
	return &dbTx{Tx: tx, stmts: stmts}, nil
}

// dbTx is a transaction that runs a query prepared when it is one of
// preparedSQL and as plain text otherwise; the store's helpers take it.
type dbTx struct {
	*sql.Tx
	stmts map[string]*sql.Stmt
}

// ExecContext runs a statement that returns no rows.
func (tx *dbTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st, ok := tx.stmts[query]; ok {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query.
func (tx *dbTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, ok := tx.stmts[query]; ok {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query that returns at most one row.
func (tx *dbTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := tx.stmts[query]; ok {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

var _ backend.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path, a file name or
// ":memory:" for a private in-memory database, and checks that it answers.
// The parent directory is created. Call Migrate before use.
//
// The file is put in WAL mode with foreign keys on. Writes use a single
// connection whose transactions begin IMMEDIATE, so concurrent writers in
// this process wait for each other instead of failing with SQLITE_BUSY.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, backend.Errorf(backend.EINVALID, "sqlite: bad database path %q", path)
	}
	s := &Store{Now: time.Now, path: path}
	// busy_timeout: how long a connection waits for a lock held by another
	// process (a backup, a second deskbot by mistake) before giving up.
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	if path == ":memory:" {
		db, err := openDB(path+"?"+pragmas+"&_txlock=immediate", 1)
		if err != nil {
			return nil, err
		}
		s.db, s.rdb = db, db
	} else {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create directory of %s: %w", path, err)
		}
		db, err := openDB(path+"?"+pragmas+"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate", 1)
		if err != nil {
			return nil, err
		}
		s.db = db
		// WAL mode is persistent, so readers see it once the writer set it.
		if err := s.ping(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
		rdb, err := openDB(path+"?"+pragmas+"&_pragma=query_only(1)", 4)
		if err != nil {
			db.Close()
			return nil, err
		}
		s.rdb = rdb
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func openDB(dsn string, conns int) (*pool, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0) // an in-memory database lives as long as its connection
	return &pool{DB: db}, nil
}

// Migrate brings the schema up to date with the embedded migrations, then
// indexes the knowledge-base entries whose search terms are missing or out
// of date (see indexKB).
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db.DB, sub)
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return dbError(err, "sqlite: migrate")
	}
	// Made in Go, the knowledge base's terms are not made by a migration.
	if err := s.indexKB(ctx); err != nil {
		return err
	}
	if err := s.db.prepare(ctx); err != nil {
		return err
	}
	if s.rdb != s.db {
		return s.rdb.prepare(ctx)
	}
	return nil
}

// Path returns the path the store was opened with.
func (s *Store) Path() string { return s.path }

// Ping checks that both connection pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.ping(ctx, s.db); err != nil {
		return err
	}
	if s.rdb != s.db {
		return s.ping(ctx, s.rdb)
	}
	return nil
}

func (s *Store) ping(ctx context.Context, db *pool) error {
	var one int
	if err := db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return dbError(err, "sqlite: ping %s", s.path)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	var err error
	if s.rdb != nil && s.rdb != s.db {
		err = s.rdb.Close()
	}
	if s.db != nil {
		err = errors.Join(err, s.db.Close())
	}
	return err
}

func (s *Store) now() time.Time { return norm(s.Now()) }

// beginWrite starts a write transaction on the writer connection; it waits
// for the transactions before it.
func (s *Store) beginWrite(ctx context.Context) (*dbTx, error) {
	return s.db.begin(ctx, nil)
}

// beginRead starts a read transaction, which sees one snapshot of the WAL.
func (s *Store) beginRead(ctx context.Context) (*dbTx, error) {
	if s.rdb == s.db {
		return s.beginWrite(ctx)
	}
	return s.rdb.begin(ctx, &sql.TxOptions{ReadOnly: true})
}

func commit(tx *dbTx) error {
	if err := tx.Commit(); err != nil {
		return dbError(err, "sqlite: commit")
	}
	return nil
}

// dbError translates err from the driver into a domain error: no rows is
// ENOTFOUND ("<what> not found"), a unique violation ECONFLICT, a missing
// foreign key EINVALID, a busy or unopenable database EUNAVAILABLE. The
// driver error stays in the chain. Domain errors pass through unchanged.
func dbError(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*backend.Error](err); ok {
		return err
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return backend.Errorf(backend.ENOTFOUND, "%s not found", what)
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch code := se.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", backend.Errorf(backend.ECONFLICT, "%s: already exists", what), err)
		case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", backend.Errorf(backend.EINVALID, "%s: refers to a person, team or incident that does not exist", what), err)
		case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED ||
			code&0xff == sqlite3.SQLITE_CANTOPEN || code&0xff == sqlite3.SQLITE_IOERR ||
			code&0xff == sqlite3.SQLITE_FULL || code&0xff == sqlite3.SQLITE_READONLY:
			return fmt.Errorf("%w: %w", backend.Errorf(backend.EUNAVAILABLE, "%s: database unavailable", what), err)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// micros is the column value of t: unix microseconds, NULL for zero.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeCol scans a micros column into a UTC time; NULL is the zero time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(v).UTC()
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

// jsonText encodes v for a JSON column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode %T: %w", v, err)
	}
	return string(b), nil
}

// jsonCol scans a JSON column into v.
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
