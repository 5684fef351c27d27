package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

// QuietTickets implements backend.ProgressStore.
func (s *Store) QuietTickets(ctx context.Context, sev backend.Severity, statuses []backend.Status, since time.Time, after int64, limit int) ([]backend.QuietTicket, error) {
	if len(statuses) == 0 {
		return []backend.QuietTicket{}, nil
	}
	args := []any{string(sev), after}
	for _, st := range statuses {
		args = append(args, string(st))
	}
	args = append(args, since.UnixMicro(), storekit.PageLimit(limit))
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `
SELECT id, last FROM (
  SELECT t.id, max(t.created_at, COALESCE((SELECT max(e.at) FROM events e
    WHERE e.ticket_id = t.id AND e.public AND e.actor_id <> t.reporter_id), t.created_at)) AS last
  FROM tickets t
  WHERE t.severity = ? AND t.id > ? AND t.status IN (?`+strings.Repeat(", ?", len(statuses)-1)+`)
) WHERE last <= ? ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, dbError(err, "quiet tickets")
	}
	defer rows.Close()
	quiet := []backend.QuietTicket{}
	for rows.Next() {
		var q backend.QuietTicket
		if err := rows.Scan(&q.ID, timeCol{&q.LastNews}); err != nil {
			return nil, dbError(err, "quiet tickets")
		}
		quiet = append(quiet, q)
	}
	return quiet, dbError(rows.Err(), "quiet tickets")
}
