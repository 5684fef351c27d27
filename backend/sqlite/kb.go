package sqlite

import (
	"context"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

const (
	insertKBEntrySQL = `
INSERT INTO kb_entries (title, body, category_path, ticket_id, author_id, version, created_at, updated_at, terms_version)
VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)
RETURNING id, coalesce((SELECT number FROM tickets WHERE id = ticket_id), '')`
	updateKBEntrySQL = `
UPDATE kb_entries SET title = ?, body = ?, category_path = ?, updated_at = ?, version = version + 1, terms_version = ?
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

	// The search index (migration 00059): an entry's terms, those of its
	// title carrying how many its title has (KBIndexTerms gives them
	// first, nTitle of them; ?2 is a JSON list).
	deleteKBTermsSQL = `DELETE FROM kb_terms WHERE entry_id = ?`
	insertKBTermsSQL = `
INSERT INTO kb_terms (term, entry_id, title_terms)
SELECT value, ?1, CASE WHEN key < ?3 THEN ?3 ELSE 0 END
FROM json_each(?2)`
	// searchKBSQL scores every entry that shares a term with the query
	// (?1, a JSON list) from the index alone, as
	// backend.KBStore.SearchKBEntries says (the same float division as the
	// service's), and reads the page of the best; ties go to the newest.
	searchKBSQL = `
WITH scored AS (
    SELECT entry_id, max(
        count(*) * 1.0 / json_array_length(?1),
        coalesce(sum(title_terms > 0) * 1.0 / nullif(max(title_terms), 0), 0)) AS score
    FROM kb_terms
    WHERE term IN (SELECT value FROM json_each(?1))
    GROUP BY entry_id
), page AS (
    SELECT entry_id, score FROM scored
    WHERE score >= ?2
    ORDER BY score DESC, entry_id DESC
    LIMIT ?3 OFFSET ?4
)
SELECT k.id, k.title, k.body, k.category_path, k.ticket_id, coalesce(t.number, ''), k.author_id, k.version, k.created_at, k.updated_at
FROM page p JOIN kb_entries k ON k.id = p.entry_id LEFT JOIN tickets t ON t.id = k.ticket_id
ORDER BY p.score DESC, k.id DESC`
	// staleKBEntriesSQL picks entries whose terms were made with another
	// KBTermsVersion (?1), or none.
	staleKBEntriesSQL = `
SELECT id, title, body, category_path FROM kb_entries
WHERE terms_version <> ?1
ORDER BY id
LIMIT ?2`
	setKBTermsVersionSQL = `UPDATE kb_entries SET terms_version = ? WHERE id = ?`
)

// kbIndexBatch is how many entries indexKB indexes in one transaction.
const kbIndexBatch = 500

// CreateKBEntry stores e and sets its ID, Version and times.
func (s *Store) CreateKBEntry(ctx context.Context, e *backend.KBEntry) error {
	return s.CreateKBEntries(ctx, []*backend.KBEntry{e})
}

// CreateKBEntries stores es in one transaction, each with its terms, and
// sets their IDs, Versions and times.
func (s *Store) CreateKBEntries(ctx context.Context, es []*backend.KBEntry) error {
	if len(es) == 0 {
		return nil
	}
	type row struct {
		created, updated time.Time
		id               int64
		number           string
	}
	rows := make([]row, len(es))
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i, e := range es {
		r := &rows[i]
		r.created = orNow(e.CreatedAt, s.now())
		r.updated = orNow(e.UpdatedAt, r.created)
		path, err := jsonText(storekit.PathList(e.CategoryPath))
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, insertKBEntrySQL, e.Title, e.Body, path, nullID(e.TicketID), e.AuthorID, micros(r.created), micros(r.updated),
			backend.KBTermsVersion).Scan(&r.id, &r.number)
		if err != nil {
			return dbError(err, "%s", storekit.NewKBEntry(e))
		}
		if err := insertKBTerms(ctx, tx, r.id, e); err != nil {
			return err
		}
	}
	if err := commit(tx); err != nil {
		return err
	}
	for i, e := range es {
		r := rows[i]
		e.ID, e.Number, e.Version, e.CreatedAt, e.UpdatedAt, e.CategoryPath = r.id, r.number, 1, r.created, r.updated, storekit.Path(e.CategoryPath)
	}
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
	res, err := tx.ExecContext(ctx, updateKBEntrySQL, e.Title, e.Body, path, micros(updated), backend.KBTermsVersion, e.ID, e.Version)
	if err != nil {
		return dbError(err, "knowledge-base entry %s", backend.KBRef(e.ID))
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbError(err, "knowledge-base entry %s", backend.KBRef(e.ID))
	} else if n == 0 {
		return staleKBEntry(ctx, tx, e.ID)
	}
	if err := indexKBEntry(ctx, tx, e.ID, e); err != nil {
		return err
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

// SearchKBEntries returns the entries sharing terms with q.Terms, best
// first, from the index (kb_terms).
func (s *Store) SearchKBEntries(ctx context.Context, q backend.KBSearch) ([]*backend.KBEntry, error) {
	if len(q.Terms) == 0 {
		return []*backend.KBEntry{}, nil
	}
	terms, err := jsonText(q.Terms)
	if err != nil {
		return nil, err
	}
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, searchKBSQL, terms, q.MinScore, storekit.PageLimit(q.Limit), max(q.Offset, 0))
	if err != nil {
		return nil, dbError(err, "knowledge-base search")
	}
	list, err := collect(rows, scanKBEntry)
	if err != nil {
		return nil, dbError(err, "knowledge-base search")
	}
	if list == nil {
		list = []*backend.KBEntry{}
	}
	return list, nil
}

// insertKBTerms stores the terms of e's text as those of entry id, in
// e's transaction.
func insertKBTerms(ctx context.Context, tx *dbTx, id int64, e *backend.KBEntry) error {
	terms, nTitle := backend.KBIndexTerms(e.Title, e.Body, e.CategoryPath)
	list, err := jsonText(terms)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, insertKBTermsSQL, id, list, nTitle); err != nil {
		return dbError(err, "knowledge-base entry %s: index", backend.KBRef(id))
	}
	return nil
}

// indexKBEntry replaces the terms of entry id with those of e's text, in
// e's transaction.
func indexKBEntry(ctx context.Context, tx *dbTx, id int64, e *backend.KBEntry) error {
	if _, err := tx.ExecContext(ctx, deleteKBTermsSQL, id); err != nil {
		return dbError(err, "knowledge-base entry %s: index", backend.KBRef(id))
	}
	return insertKBTerms(ctx, tx, id, e)
}

// indexKB makes the terms of every entry whose terms were made with
// another backend.KBTermsVersion, or none (those filed before migration
// 00059): Migrate calls it. It works in transactions of kbIndexBatch
// entries.
func (s *Store) indexKB(ctx context.Context) error {
	for {
		n, err := s.indexKBBatch(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

// indexKBBatch indexes up to kbIndexBatch stale entries and says how many.
func (s *Store) indexKBBatch(ctx context.Context) (int, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, staleKBEntriesSQL, backend.KBTermsVersion, kbIndexBatch)
	if err != nil {
		return 0, dbError(err, "sqlite: index knowledge base")
	}
	list, err := collect(rows, func(row scanner) (*backend.KBEntry, error) {
		e := &backend.KBEntry{}
		return e, row.Scan(&e.ID, &e.Title, &e.Body, jsonCol{&e.CategoryPath})
	})
	if err != nil || len(list) == 0 {
		return 0, dbError(err, "sqlite: index knowledge base")
	}
	for _, e := range list {
		if err := indexKBEntry(ctx, tx, e.ID, e); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, setKBTermsVersionSQL, backend.KBTermsVersion, e.ID); err != nil {
			return 0, dbError(err, "sqlite: index knowledge base")
		}
	}
	return len(list), commit(tx)
}

func scanKBEntry(row scanner) (*backend.KBEntry, error) {
	e := &backend.KBEntry{}
	err := row.Scan(&e.ID, &e.Title, &e.Body, jsonCol{&e.CategoryPath}, idCol{&e.TicketID}, &e.Number, &e.AuthorID, &e.Version,
		timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt})
	e.CategoryPath = storekit.Path(e.CategoryPath)
	return e, err
}
