package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

// QuietTickets implements backend.ProgressStore.
func (s *Store) QuietTickets(ctx context.Context, sev backend.Severity, statuses []backend.Status, since time.Time, after int64, limit int) ([]backend.QuietTicket, error) {
	names := make([]string, len(statuses))
	for i, st := range statuses {
		names[i] = string(st)
	}
	rows, err := s.pool.Query(ctx, `
SELECT id, last FROM (
  SELECT t.id, GREATEST(t.created_at, (SELECT max(e.at) FROM events e
    WHERE e.ticket_id = t.id AND e.public AND e.actor_id <> t.reporter_id)) AS last
  FROM tickets t
  WHERE t.severity = $1 AND t.status = ANY($2) AND t.id > $3
) q WHERE last <= $4 ORDER BY id LIMIT $5`, string(sev), names, after, since, storekit.PageLimit(limit))
	if err != nil {
		return nil, dbError(err, "quiet tickets")
	}
	quiet, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (backend.QuietTicket, error) {
		var q backend.QuietTicket
		err := r.Scan(&q.ID, &q.LastNews)
		return q, err
	})
	if err != nil {
		return nil, dbError(err, "quiet tickets")
	}
	return quiet, nil
}
