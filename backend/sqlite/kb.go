package sqlite

import (
	"context"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

const (
	insertKBEntrySQL = `
INSERT INTO kb_entries (title, body, category_path, ticket_id, author_id, version, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, 1, ?, ?)
RETURNING id, coalesce((SELECT number FROM tickets WHERE id = ticket_id), '')`
	updateKBEntrySQL = `
UPDATE kb_entries SET title = ?, body = ?, category_path = ?, updated_at = ?, version = version + 1
WHERE id = ? AND version = ?`
	kbEntryVersionSQL = `SELECT version FROM kb_entries WHERE id = ?`
	deleteKBEntrySQL  = `DELETE FROM kb_entries WHERE id = ?`
	kbEntrySQL        = `
SELECT k.id, k.title, k.body, k.category_path, k.ticket_id, coalesce(t.number, ''), k.author_id, k.version, k.created_at, k.updated_at
FROM kb_entries k LEFT JOIN tickets t ON t.id = k.ticket_id`
	// One statement for every filter: a zero argument turns its
	// condition off.
	kbEntriesSQL = kbEntrySQL + `
WHERE (?1 = 0 OR k.ticket_id = ?1)
  AND (?2 = 0 OR k.id < ?2)
ORDER BY k.id DESC
LIMIT ?3`
)

// CreateKBEntry stores e and sets its ID, Version and times.
func (s *Store) CreateKBEntry(ctx context.Context, e *backend.KBEntry) error {
	created := orNow(e.CreatedAt, s.now())
	updated := orNow(e.UpdatedAt, created)
	path, err := jsonText(storekit.PathList(e.CategoryPath))
	if err != nil {
		return err
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var id int64
	var number string
	err = tx.QueryRowContext(ctx, insertKBEntrySQL, e.Title, e.Body, path, nullID(e.TicketID), e.AuthorID, micros(created), micros(updated)).
		Scan(&id, &number)
	if err != nil {
		return dbError(err, "%s", storekit.NewKBEntry(e))
	}
	if err := commit(tx); err != nil {
		return err
	}
	e.ID, e.Number, e.Version, e.CreatedAt, e.UpdatedAt, e.CategoryPath = id, number, 1, created, updated, storekit.Path(e.CategoryPath)
	return nil
}

// KBEntry returns an entry with its ticket's number.
func (s *Store) KBEntry(ctx context.Context, id int64) (*backend.KBEntry, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	e, err := scanKBEntry(tx.QueryRowContext(ctx, kbEntrySQL+` WHERE k.id = ?`, id))
	if err != nil {
		return nil, dbError(err, "knowledge-base entry %s", backend.KBRef(id))
	}
	return e, nil
}

// UpdateKBEntry saves e if its Version is the stored one.
func (s *Store) UpdateKBEntry(ctx context.Context, e *backend.KBEntry) error {
	updated := orNow(e.UpdatedAt, s.now())
	path, err := jsonText(storekit.PathList(e.CategoryPath))
	if err != nil {
		return err
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, updateKBEntrySQL, e.Title, e.Body, path, micros(updated), e.ID, e.Version)
	if err != nil {
		return dbError(err, "knowledge-base entry %s", backend.KBRef(e.ID))
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbError(err, "knowledge-base entry %s", backend.KBRef(e.ID))
	} else if n == 0 {
		return staleKBEntry(ctx, tx, e.ID)
	}
	if err := commit(tx); err != nil {
		return err
	}
	e.Version, e.UpdatedAt, e.CategoryPath = e.Version+1, updated, storekit.Path(e.CategoryPath)
	return nil
}

// staleKBEntry says why an update of entry id wrote nothing: ENOTFOUND
// when it is gone, ECONFLICT when its version moved on.
func staleKBEntry(ctx context.Context, tx *dbTx, id int64) error {
	var v int64
	if err := tx.QueryRowContext(ctx, kbEntryVersionSQL, id).Scan(&v); err != nil {
		return dbError(err, "knowledge-base entry %s", backend.KBRef(id))
	}
	return backend.Errorf(backend.ECONFLICT, "knowledge-base entry %s was changed concurrently", backend.KBRef(id))
}

// DeleteKBEntry deletes an entry.
func (s *Store) DeleteKBEntry(ctx context.Context, id int64) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, deleteKBEntrySQL, id)
	if err != nil {
		return dbError(err, "knowledge-base entry %s", backend.KBRef(id))
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbError(err, "knowledge-base entry %s", backend.KBRef(id))
	} else if n == 0 {
		return backend.Errorf(backend.ENOTFOUND, "knowledge-base entry %s not found", backend.KBRef(id))
	}
	return commit(tx)
}

// KBEntries lists entries newest first.
func (s *Store) KBEntries(ctx context.Context, f backend.KBFilter) (*backend.KBPage, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	limit := storekit.PageLimit(f.Limit)
	rows, err := tx.QueryContext(ctx, kbEntriesSQL, f.TicketID, f.After, limit+1)
	if err != nil {
		return nil, dbError(err, "knowledge-base entries")
	}
	list, err := collect(rows, scanKBEntry)
	if err != nil {
		return nil, dbError(err, "knowledge-base entries")
	}
	page := &backend.KBPage{}
	page.Entries, page.NextCursor = storekit.Page(list, limit, func(x *backend.KBEntry) int64 { return x.ID })
	return page, nil
}

func scanKBEntry(row scanner) (*backend.KBEntry, error) {
	e := &backend.KBEntry{}
	err := row.Scan(&e.ID, &e.Title, &e.Body, jsonCol{&e.CategoryPath}, idCol{&e.TicketID}, &e.Number, &e.AuthorID, &e.Version,
		timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt})
	e.CategoryPath = storekit.Path(e.CategoryPath)
	return e, err
}
