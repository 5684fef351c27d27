package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
)

// SetLogin creates or replaces the console login of l.PersonID.
func (s *Store) SetLogin(ctx context.Context, l *backend.Login) error {
	updated := orNow(l.UpdatedAt, s.now())
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	if _, err := findPerson(ctx, tx, l.PersonID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, upsertLoginSQL, l.PersonID, l.Name, l.Hash, updated); err != nil {
		return dbError(err, "login %q", l.Name)
	}
	if err := commit(ctx, tx); err != nil {
		return err
	}
	l.UpdatedAt = updated
	return nil
}

const upsertLoginSQL = `
INSERT INTO logins (person_id, name, hash, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (person_id) DO UPDATE SET name = excluded.name, hash = excluded.hash, updated_at = excluded.updated_at`

const loginSQL = `SELECT person_id, name, hash, updated_at FROM logins`

// LoginByName finds a login by name.
func (s *Store) LoginByName(ctx context.Context, name string) (*backend.Login, error) {
	return s.findLogin(ctx, loginSQL+` WHERE name = $1`, name, "login %q", name)
}

// LoginOf returns a person's login.
func (s *Store) LoginOf(ctx context.Context, personID int64) (*backend.Login, error) {
	return s.findLogin(ctx, loginSQL+` WHERE person_id = $1`, personID, "login of person %d", personID)
}

func (s *Store) findLogin(ctx context.Context, query string, arg any, format string, args ...any) (*backend.Login, error) {
	l := &backend.Login{}
	err := s.pool.QueryRow(ctx, query, arg).Scan(&l.PersonID, &l.Name, &l.Hash, timeCol{&l.UpdatedAt})
	if err != nil {
		return nil, dbError(err, format, args...)
	}
	return l, nil
}

// CreateMagicLink stores m and sets m.ID.
func (s *Store) CreateMagicLink(ctx context.Context, m *backend.MagicLink) error {
	created := orNow(m.CreatedAt, s.now())
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO magic_links (person_id, hash, created_at, expires_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		m.PersonID, m.Hash, created, norm(m.ExpiresAt)).Scan(&id)
	if err != nil {
		return dbError(err, "magic link for person %d", m.PersonID)
	}
	m.ID, m.CreatedAt, m.ExpiresAt = id, created, norm(m.ExpiresAt)
	return nil
}

// UseMagicLink marks the link used at `at` and returns it. The row lock
// makes two concurrent uses of one link succeed at most once.
func (s *Store) UseMagicLink(ctx context.Context, hash []byte, at time.Time) (*backend.MagicLink, error) {
	at = norm(at)
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)
	m := &backend.MagicLink{}
	err = tx.QueryRow(ctx, `SELECT id, person_id, hash, created_at, expires_at, used_at FROM magic_links WHERE hash = $1 FOR UPDATE`, hash).
		Scan(&m.ID, &m.PersonID, &m.Hash, timeCol{&m.CreatedAt}, timeCol{&m.ExpiresAt}, timeCol{&m.UsedAt})
	if err != nil {
		return nil, dbError(err, "magic link")
	}
	if !m.UsedAt.IsZero() {
		return nil, backend.Errorf(backend.ECONFLICT, "magic link was used already")
	}
	if !m.ExpiresAt.After(at) {
		return nil, backend.Errorf(backend.ECONFLICT, "magic link has expired")
	}
	if _, err := tx.Exec(ctx, `UPDATE magic_links SET used_at = $1 WHERE id = $2`, at, m.ID); err != nil {
		return nil, dbError(err, "magic link %d", m.ID)
	}
	if err := commit(ctx, tx); err != nil {
		return nil, err
	}
	m.UsedAt = at
	return m, nil
}

// Secret returns the named server secret, storing value first if none
// exists. A concurrent first insert by another replica can hide the row
// from this statement's snapshot, so the read is tried once more.
func (s *Store) Secret(ctx context.Context, name string, value []byte) ([]byte, error) {
	var got []byte
	var err error
	for range 2 {
		err = s.pool.QueryRow(ctx, `
WITH ins AS (
    INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3)
    ON CONFLICT (name) DO NOTHING RETURNING value
)
SELECT value FROM ins UNION ALL SELECT value FROM secrets WHERE name = $1 LIMIT 1`, name, value, s.now()).Scan(&got)
		if !errors.Is(err, pgx.ErrNoRows) {
			break
		}
	}
	if err != nil {
		return nil, dbError(err, "secret %q", name)
	}
	return got, nil
}
