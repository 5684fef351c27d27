package sqlite

import (
	"context"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// SetLogin creates or replaces the console login of l.PersonID.
func (s *Store) SetLogin(ctx context.Context, l *backend.Login) error {
	updated := orNow(l.UpdatedAt, s.now())
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := findPerson(ctx, tx, l.PersonID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, upsertLoginSQL, l.PersonID, l.Name, l.Hash, micros(updated)); err != nil {
		return dbError(err, "login %q", l.Name)
	}
	if err := commit(tx); err != nil {
		return err
	}
	l.UpdatedAt = updated
	return nil
}

const upsertLoginSQL = `
INSERT INTO logins (person_id, name, hash, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (person_id) DO UPDATE SET name = excluded.name, hash = excluded.hash, updated_at = excluded.updated_at`

const loginSQL = `SELECT person_id, name, hash, updated_at FROM logins`

// LoginByName finds a login by name.
func (s *Store) LoginByName(ctx context.Context, name string) (*backend.Login, error) {
	return s.findLogin(ctx, loginSQL+` WHERE name = ?`, name, "login %q", name)
}

// LoginOf returns a person's login.
func (s *Store) LoginOf(ctx context.Context, personID int64) (*backend.Login, error) {
	return s.findLogin(ctx, loginSQL+` WHERE person_id = ?`, personID, "login of person %d", personID)
}

func (s *Store) findLogin(ctx context.Context, query string, arg any, format string, args ...any) (*backend.Login, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	l := &backend.Login{}
	if err := tx.QueryRowContext(ctx, query, arg).Scan(&l.PersonID, &l.Name, &l.Hash, timeCol{&l.UpdatedAt}); err != nil {
		return nil, dbError(err, format, args...)
	}
	return l, nil
}

// CreateMagicLink stores m and sets m.ID.
func (s *Store) CreateMagicLink(ctx context.Context, m *backend.MagicLink) error {
	created := orNow(m.CreatedAt, s.now())
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO magic_links (person_id, hash, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		m.PersonID, m.Hash, micros(created), micros(norm(m.ExpiresAt)))
	if err != nil {
		return dbError(err, "magic link for person %d", m.PersonID)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return dbError(err, "magic link for person %d", m.PersonID)
	}
	if err := commit(tx); err != nil {
		return err
	}
	m.ID, m.CreatedAt, m.ExpiresAt = id, created, norm(m.ExpiresAt)
	return nil
}

// UseMagicLink marks the link used at `at` and returns it.
func (s *Store) UseMagicLink(ctx context.Context, hash []byte, at time.Time) (*backend.MagicLink, error) {
	at = norm(at)
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	m := &backend.MagicLink{}
	err = tx.QueryRowContext(ctx, `SELECT id, person_id, hash, created_at, expires_at, used_at FROM magic_links WHERE hash = ?`, hash).
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
	if _, err := tx.ExecContext(ctx, `UPDATE magic_links SET used_at = ? WHERE id = ?`, micros(at), m.ID); err != nil {
		return nil, dbError(err, "magic link %d", m.ID)
	}
	if err := commit(tx); err != nil {
		return nil, err
	}
	m.UsedAt = at
	return m, nil
}

// Secret returns the named server secret, storing value first if none exists.
func (s *Store) Secret(ctx context.Context, name string, value []byte) ([]byte, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		name, value, micros(s.now())); err != nil {
		return nil, dbError(err, "secret %q", name)
	}
	var got []byte
	if err := tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&got); err != nil {
		return nil, dbError(err, "secret %q", name)
	}
	return got, commit(tx)
}
