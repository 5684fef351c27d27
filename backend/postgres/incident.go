package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
)

const (
	// incidentFields reads an incident with its Reports: linked tickets
	// and the reporters who joined it without one of them.
	incidentFields = `
SELECT i.id, i.title, i.created_at, i.resolved_at,
    (SELECT count(*) FROM tickets t WHERE t.incident_id = i.id) + (SELECT count(*) FROM incident_followers f WHERE f.incident_id = i.id
        AND NOT EXISTS (SELECT 1 FROM tickets r WHERE r.incident_id = i.id AND r.reporter_id = f.person_id))
FROM incidents i`
	openIncidentsSQL     = incidentFields + ` WHERE i.resolved_at IS NULL ORDER BY i.id DESC LIMIT $1`
	resolveIncidentSQL   = `UPDATE incidents SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL`
	followIncidentSQL    = `INSERT INTO incident_followers (incident_id, person_id, joined_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
	incidentFollowersSQL = `SELECT person_id FROM incident_followers WHERE incident_id = $1 ORDER BY joined_at, person_id`
	incidentTicketsSQL   = `SELECT number FROM tickets WHERE incident_id = $1 ORDER BY id`
)

func scanIncident(row pgx.Row) (*backend.Incident, error) {
	i := &backend.Incident{}
	var reports int64
	err := row.Scan(&i.ID, &i.Title, timeCol{&i.CreatedAt}, timeCol{&i.ResolvedAt}, &reports)
	i.Reports = int(reports)
	return i, err
}

// OpenIncidents returns the incidents not resolved, newest first.
func (s *Store) OpenIncidents(ctx context.Context, limit int) ([]*backend.Incident, error) {
	rows, err := s.pool.Query(ctx, openIncidentsSQL, limit)
	if err != nil {
		return nil, dbError(err, "open incidents")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.Incident, error) { return scanIncident(row) })
	if err != nil {
		return nil, dbError(err, "open incidents")
	}
	if list == nil {
		list = []*backend.Incident{}
	}
	return list, nil
}

// ResolveIncident sets an open incident's ResolvedAt.
func (s *Store) ResolveIncident(ctx context.Context, id int64, at time.Time) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	tag, err := tx.Exec(ctx, resolveIncidentSQL, norm(at), id)
	if err != nil {
		return dbError(err, "incident %s", backend.IncidentRef(id))
	}
	if tag.RowsAffected() == 0 {
		if _, err := scanIncident(tx.QueryRow(ctx, incidentSQL, id)); err != nil {
			return dbError(err, "incident %s", backend.IncidentRef(id))
		}
		return backend.Errorf(backend.ECONFLICT, "incident %s is resolved already", backend.IncidentRef(id))
	}
	return commit(ctx, tx)
}

// FollowIncident records that a person joined an incident.
func (s *Store) FollowIncident(ctx context.Context, incidentID, personID int64, at time.Time) (bool, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return false, err
	}
	defer rollback(ctx, tx)
	tag, err := tx.Exec(ctx, followIncidentSQL, incidentID, personID, orNow(at, s.now()))
	if err != nil {
		return false, dbError(err, "follower %d of incident %s", personID, backend.IncidentRef(incidentID))
	}
	return tag.RowsAffected() == 1, commit(ctx, tx)
}

// IncidentFollowers lists who joined an incident.
func (s *Store) IncidentFollowers(ctx context.Context, incidentID int64) ([]int64, error) {
	return queryList[int64](ctx, s, incidentFollowersSQL, incidentID)
}

// IncidentTickets lists the numbers of an incident's tickets.
func (s *Store) IncidentTickets(ctx context.Context, incidentID int64) ([]string, error) {
	return queryList[string](ctx, s, incidentTicketsSQL, incidentID)
}

// queryList reads one column of every row of query.
func queryList[T any](ctx context.Context, s *Store, query string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, dbError(err, "incident")
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[T])
	if err != nil {
		return nil, dbError(err, "incident")
	}
	if list == nil {
		list = []T{}
	}
	return list, nil
}
