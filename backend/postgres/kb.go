package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

const (
	// insertKBEntrySQL stores an entry and its terms ($9, nTitle $10: see
	// insertKBTermsSQL) in one statement, so that a batch of them is one
	// round trip.
	insertKBEntrySQL = `
WITH entry AS (
    INSERT INTO kb_entries (title, body, category_path, ticket_id, author_id, version, created_at, updated_at, terms_version)
    VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8)
    RETURNING id, ticket_id
), terms AS (
    INSERT INTO kb_terms (term, entry_id, title_terms)
    SELECT t.term, entry.id, CASE WHEN t.n <= $10 THEN $10 ELSE 0 END
    FROM entry, unnest($9::text[]) WITH ORDINALITY AS t (term, n)
)
SELECT id, coalesce((SELECT number FROM tickets WHERE tickets.id = entry.ticket_id), '') FROM entry`
	updateKBEntrySQL = `
UPDATE kb_entries SET title = $1, body = $2, category_path = $3, updated_at = $4, version = version + 1, terms_version = $7
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

	// The search index (migration 00059): an entry's terms, those of its
	// title carrying how many its title has (KBIndexTerms gives them
	// first, nTitle of them).
	deleteKBTermsSQL = `DELETE FROM kb_terms WHERE entry_id = $1`
	insertKBTermsSQL = `
INSERT INTO kb_terms (term, entry_id, title_terms)
SELECT t.term, $1, CASE WHEN t.n <= $3 THEN $3 ELSE 0 END
FROM unnest($2::text[]) WITH ORDINALITY AS t (term, n)`
	// searchKBSQL scores every entry that shares a term with the query
	// ($1) from the index alone, as backend.KBStore.SearchKBEntries says
	// (the same float division as the service's), and reads the page of
	// the best; ties go to the newest.
	searchKBSQL = `
WITH scored AS (
    SELECT entry_id, greatest(
        count(*)::float8 / cardinality($1::text[]),
        coalesce(count(*) FILTER (WHERE title_terms > 0)::float8 / nullif(max(title_terms), 0), 0)) AS score
    FROM kb_terms
    WHERE term = ANY($1::text[])
    GROUP BY entry_id
), page AS (
    SELECT entry_id, score FROM scored
    WHERE score >= $2
    ORDER BY score DESC, entry_id DESC
    LIMIT $3 OFFSET $4
)
SELECT k.id, k.title, k.body, k.category_path, k.ticket_id, coalesce(t.number, ''), k.author_id, k.version, k.created_at, k.updated_at
FROM page p JOIN kb_entries k ON k.id = p.entry_id LEFT JOIN tickets t ON t.id = k.ticket_id
ORDER BY p.score DESC, k.id DESC`
	// staleKBEntriesSQL picks entries whose terms were made with another
	// KBTermsVersion ($1), or none; a replica migrating at the same time
	// takes others.
	staleKBEntriesSQL = `
SELECT id, title, body, category_path FROM kb_entries
WHERE terms_version <> $1
ORDER BY id
LIMIT $2
FOR UPDATE SKIP LOCKED`
	setKBTermsVersionSQL = `UPDATE kb_entries SET terms_version = $2 WHERE id = $1`
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
	b := &pgx.Batch{}
	for i, e := range es {
		r := &rows[i]
		r.created = orNow(e.CreatedAt, s.now())
		r.updated = orNow(e.UpdatedAt, r.created)
		path, err := jsonb(storekit.PathList(e.CategoryPath))
		if err != nil {
			return err
		}
		terms, nTitle := backend.KBIndexTerms(e.Title, e.Body, e.CategoryPath)
		b.Queue(insertKBEntrySQL, e.Title, e.Body, path, nullID(e.TicketID), e.AuthorID, r.created, r.updated, backend.KBTermsVersion, terms, nTitle).
			QueryRow(func(row pgx.Row) error {
				return dbError(row.Scan(&r.id, &r.number), "%s", storekit.NewKBEntry(e))
			})
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return dbError(err, "knowledge-base entries")
	}
	if err := commit(ctx, tx); err != nil {
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
	tag, err := tx.Exec(ctx, updateKBEntrySQL, e.Title, e.Body, path, updated, e.ID, e.Version, backend.KBTermsVersion)
	if err != nil {
		return dbError(err, "knowledge-base entry %s", backend.KBRef(e.ID))
	}
	if tag.RowsAffected() == 0 {
		return staleKBEntry(ctx, tx, e.ID)
	}
	if err := indexKBEntry(ctx, tx, e.ID, e); err != nil {
		return err
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

// SearchKBEntries returns the entries sharing terms with s.Terms, best
// first, from the index (kb_terms).
func (s *Store) SearchKBEntries(ctx context.Context, q backend.KBSearch) ([]*backend.KBEntry, error) {
	if len(q.Terms) == 0 {
		return []*backend.KBEntry{}, nil
	}
	rows, err := s.pool.Query(ctx, searchKBSQL, q.Terms, q.MinScore, storekit.PageLimit(q.Limit), max(q.Offset, 0))
	if err != nil {
		return nil, dbError(err, "knowledge-base search")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.KBEntry, error) { return scanKBEntry(row) })
	if err != nil {
		return nil, dbError(err, "knowledge-base search")
	}
	return list, nil
}

// indexKBEntry replaces the terms of entry id with those of e's text, in
// e's transaction.
func indexKBEntry(ctx context.Context, tx pgx.Tx, id int64, e *backend.KBEntry) error {
	terms, nTitle := backend.KBIndexTerms(e.Title, e.Body, e.CategoryPath)
	b := &pgx.Batch{}
	b.Queue(deleteKBTermsSQL, id)
	b.Queue(insertKBTermsSQL, id, terms, nTitle)
	return dbError(tx.SendBatch(ctx, b).Close(), "knowledge-base entry %s: index", backend.KBRef(id))
}

// indexKB makes the terms of every entry whose terms were made with
// another backend.KBTermsVersion, or none (those filed before migration
// 00059, or since by a deskbot that predates it): Migrate calls it. It
// works in transactions of kbIndexBatch entries; replicas that start at
// once share the work.
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
	tx, err := s.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer rollback(ctx, tx)
	rows, err := tx.Query(ctx, staleKBEntriesSQL, backend.KBTermsVersion, kbIndexBatch)
	if err != nil {
		return 0, dbError(err, "postgres: index knowledge base")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.KBEntry, error) {
		e := &backend.KBEntry{}
		return e, row.Scan(&e.ID, &e.Title, &e.Body, jsonCol{&e.CategoryPath})
	})
	if err != nil || len(list) == 0 {
		return 0, dbError(err, "postgres: index knowledge base")
	}
	b := &pgx.Batch{}
	for _, e := range list {
		terms, nTitle := backend.KBIndexTerms(e.Title, e.Body, e.CategoryPath)
		b.Queue(deleteKBTermsSQL, e.ID)
		b.Queue(insertKBTermsSQL, e.ID, terms, nTitle)
		b.Queue(setKBTermsVersionSQL, e.ID, backend.KBTermsVersion)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, dbError(err, "postgres: index knowledge base")
	}
	return len(list), commit(ctx, tx)
}

func scanKBEntry(row pgx.Row) (*backend.KBEntry, error) {
	e := &backend.KBEntry{}
	err := row.Scan(&e.ID, &e.Title, &e.Body, jsonCol{&e.CategoryPath}, idCol{&e.TicketID}, &e.Number, &e.AuthorID, &e.Version,
		timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt})
	e.CategoryPath = storekit.Path(e.CategoryPath)
	return e, err
}
