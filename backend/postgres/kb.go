package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

const (
	insertKBEntrySQL = `
INSERT INTO kb_entries (title, body, category_path, ticket_id, author_id, version, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, 1, $6, $7)
RETURNING id, coalesce((SELECT number FROM tickets WHERE id = ticket_id), '')`
	updateKBEntrySQL = `
UPDATE kb_entries SET title = $1, body = $2, category_path = $3, updated_at = $4, version = version + 1
WHERE id = $5 AND version = $6`
	kbEntryVersionSQL = `SELECT version FROM kb_entries WHERE id = $1`
	deleteKBEntrySQL  = `DELETE FROM kb_entries WHERE id = $1`
	kbEntrySQL        = `
SELECT k.id, k.title, k.body, k.category_path, k.ticket_id, coalesce(t.number, ''), k.author_id, k.version, k.created_at, k.updated_at
FROM kb_entries k LEFT JOIN tickets t ON t.id = k.ticket_id`
	// One statement for every filter: a zero argument turns its
	// condition off.
	kbEntriesSQL = kbEntrySQL + `
WHERE ($1::bigint = 0 OR k.ticket_id = $1)
  AND ($2::bigint = 0 OR k.id < $2)
ORDER BY k.id DESC
LIMIT $3`
)

// CreateKBEntry stores e and sets its ID, Version and times.
func (s *Store) CreateKBEntry(ctx context.Context, e *backend.KBEntry) error {
	created := orNow(e.CreatedAt, s.now())
	updated := orNow(e.UpdatedAt, created)
	path, err := jsonb(storekit.PathList(e.CategoryPath))
	if err != nil {
		return err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	var id int64
	var number string
	err = tx.QueryRow(ctx, insertKBEntrySQL, e.Title, e.Body, path, nullID(e.TicketID), e.AuthorID, created, updated).Scan(&id, &number)
	if err != nil {
		return dbError(err, "%s", storekit.NewKBEntry(e))
	}
	if err := commit(ctx, tx); err != nil {
		return err
	}
	e.ID, e.Number, e.Version, e.CreatedAt, e.UpdatedAt, e.CategoryPath = id, number, 1, created, updated, storekit.Path(e.CategoryPath)
	return nil
}

// KBEntry returns an entry with its ticket's number.
func (s *Store) KBEntry(ctx context.Context, id int64) (*backend.KBEntry, error) {
	e, err := scanKBEntry(s.pool.QueryRow(ctx, kbEntrySQL+` WHERE k.id = $1`, id))
	if err != nil {
		return nil, dbError(err, "knowledge-base entry %s", backend.KBRef(id))
	}
	return e, nil
}

// UpdateKBEntry saves e if its Version is the stored one.
func (s *Store) UpdateKBEntry(ctx context.Context, e *backend.KBEntry) error {
	updated := orNow(e.UpdatedAt, s.now())
	path, err := jsonb(storekit.PathList(e.CategoryPath))
	if err != nil {
		return err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	tag, err := tx.Exec(ctx, updateKBEntrySQL, e.Title, e.Body, path, updated, e.ID, e.Version)
	if err != nil {
		return dbError(err, "knowledge-base entry %s", backend.KBRef(e.ID))
	}
	if tag.RowsAffected() == 0 {
		return staleKBEntry(ctx, tx, e.ID)
	}
	if err := commit(ctx, tx); err != nil {
		return err
	}
	e.Version, e.UpdatedAt, e.CategoryPath = e.Version+1, updated, storekit.Path(e.CategoryPath)
	return nil
}

// staleKBEntry says why an update of entry id wrote nothing: ENOTFOUND
// when it is gone, ECONFLICT when its version moved on.
func staleKBEntry(ctx context.Context, tx pgx.Tx, id int64) error {
	var v int64
	if err := tx.QueryRow(ctx, kbEntryVersionSQL, id).Scan(&v); err != nil {
		return dbError(err, "knowledge-base entry %s", backend.KBRef(id))
	}
	return backend.Errorf(backend.ECONFLICT, "knowledge-base entry %s was changed concurrently", backend.KBRef(id))
}

// DeleteKBEntry deletes an entry.
func (s *Store) DeleteKBEntry(ctx context.Context, id int64) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	tag, err := tx.Exec(ctx, deleteKBEntrySQL, id)
	if err != nil {
		return dbError(err, "knowledge-base entry %s", backend.KBRef(id))
	}
	if tag.RowsAffected() == 0 {
		return backend.Errorf(backend.ENOTFOUND, "knowledge-base entry %s not found", backend.KBRef(id))
	}
	return commit(ctx, tx)
}

// KBEntries lists entries newest first.
func (s *Store) KBEntries(ctx context.Context, f backend.KBFilter) (*backend.KBPage, error) {
	limit := storekit.PageLimit(f.Limit)
	rows, err := s.pool.Query(ctx, kbEntriesSQL, f.TicketID, f.After, limit+1)
	if err != nil {
		return nil, dbError(err, "knowledge-base entries")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.KBEntry, error) { return scanKBEntry(row) })
	if err != nil {
		return nil, dbError(err, "knowledge-base entries")
	}
	page := &backend.KBPage{}
	page.Entries, page.NextCursor = storekit.Page(list, limit, func(x *backend.KBEntry) int64 { return x.ID })
	return page, nil
}

func scanKBEntry(row pgx.Row) (*backend.KBEntry, error) {
	e := &backend.KBEntry{}
	err := row.Scan(&e.ID, &e.Title, &e.Body, jsonCol{&e.CategoryPath}, idCol{&e.TicketID}, &e.Number, &e.AuthorID, &e.Version,
		timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt})
	e.CategoryPath = storekit.Path(e.CategoryPath)
	return e, err
}
