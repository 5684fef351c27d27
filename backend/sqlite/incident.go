package sqlite

import (
	"context"
	"time"

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
	openIncidentsSQL     = incidentFields + ` WHERE i.resolved_at IS NULL ORDER BY i.id DESC LIMIT ?`
	resolveIncidentSQL   = `UPDATE incidents SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL`
	followIncidentSQL    = `INSERT INTO incident_followers (incident_id, person_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	incidentFollowersSQL = `SELECT person_id FROM incident_followers WHERE incident_id = ? ORDER BY joined_at, person_id`
	incidentTicketsSQL   = `SELECT number FROM tickets WHERE incident_id = ? ORDER BY id`
)

func scanIncident(row scanner) (*backend.Incident, error) {
	i := &backend.Incident{}
	err := row.Scan(&i.ID, &i.Title, timeCol{&i.CreatedAt}, timeCol{&i.ResolvedAt}, &i.Reports)
	return i, err
}

// OpenIncidents returns the incidents not resolved, newest first.
func (s *Store) OpenIncidents(ctx context.Context, limit int) ([]*backend.Incident, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, openIncidentsSQL, limit)
	if err != nil {
		return nil, dbError(err, "open incidents")
	}
	defer rows.Close()
	out := []*backend.Incident{}
	for rows.Next() {
		i, err := scanIncident(rows)
		if err != nil {
			return nil, dbError(err, "open incidents")
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "open incidents")
	}
	return out, nil
}

// ResolveIncident sets an open incident's ResolvedAt.
func (s *Store) ResolveIncident(ctx context.Context, id int64, at time.Time) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, resolveIncidentSQL, micros(norm(at)), id)
	if err != nil {
		return dbError(err, "incident %s", backend.IncidentRef(id))
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbError(err, "incident %s", backend.IncidentRef(id))
	} else if n == 0 {
		if _, err := scanIncident(tx.QueryRowContext(ctx, incidentSQL, id)); err != nil {
			return dbError(err, "incident %s", backend.IncidentRef(id))
		}
		return backend.Errorf(backend.ECONFLICT, "incident %s is resolved already", backend.IncidentRef(id))
	}
	return commit(tx)
}

// FollowIncident records that a person joined an incident.
func (s *Store) FollowIncident(ctx context.Context, incidentID, personID int64, at time.Time) (bool, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, followIncidentSQL, incidentID, personID, micros(orNow(at, s.now())))
	if err != nil {
		return false, dbError(err, "follower %d of incident %s", personID, backend.IncidentRef(incidentID))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, dbError(err, "follower %d of incident %s", personID, backend.IncidentRef(incidentID))
	}
	return n == 1, commit(tx)
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
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(err, "incident")
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, dbError(err, "incident")
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "incident")
	}
	return out, nil
}
