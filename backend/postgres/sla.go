package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

const clockCols = `id, ticket_id, name, run, policy_version, severity, unit, budget, state, started_at, running_since,
 used, warn_at, due_at, paused_at, stopped_at, warned_at, breached_at, step, acked_at, acked_by, generation, updated_at, used_other`

// Clocks returns a ticket's SLA clocks, oldest first.
// Every ticket change reads them (the SLA engine, the ping sync), so a
// ticket with clocks costs one query; only none asks whether the ticket
// exists.
func (s *Store) Clocks(ctx context.Context, ticketID int64) ([]*backend.Clock, error) {
	clocks, err := findClocks(ctx, s.pool, `SELECT `+clockCols+` FROM sla_clocks WHERE ticket_id = $1 ORDER BY id`, ticketID)
	if err != nil || len(clocks) > 0 {
		return clocks, err
	}
	var found bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tickets WHERE id = $1)`, ticketID).Scan(&found); err != nil {
		return nil, dbError(err, "ticket %d", ticketID)
	}
	if !found {
		return nil, backend.Errorf(backend.ENOTFOUND, "ticket %d not found", ticketID)
	}
	return clocks, nil
}

// LiveClocks returns running clocks with ID > after, by ID.
func (s *Store) LiveClocks(ctx context.Context, after int64, limit int) ([]*backend.Clock, error) {
	return findClocks(ctx, s.pool, `SELECT `+clockCols+` FROM sla_clocks WHERE state = 'running' AND id > $1 ORDER BY id LIMIT $2`,
		after, storekit.PageLimit(limit))
}

// SaveClocks writes clocks and changes of a ticket in one transaction; the
// ticket row is locked so that savers of one ticket take turns.
func (s *Store) SaveClocks(ctx context.Context, ticketID, version int64, clocks []*backend.Clock, changes []backend.Change) error {
	now := s.now()
	cs, err := storekit.NewChangeSet(changes, now, s.Webhook)
	if err != nil {
		return err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	var locked int64
	if err := tx.QueryRow(ctx, `SELECT id FROM tickets WHERE id = $1 FOR UPDATE`, ticketID).Scan(&locked); err != nil {
		return dbError(err, "ticket %d", ticketID)
	}
	saved := make([]backend.Clock, len(clocks))
	for i, c := range clocks {
		nc := storekit.NormClock(c, ticketID, now)
		if nc.ID == 0 {
			err = tx.QueryRow(ctx, `INSERT INTO sla_clocks (`+clockCols[4:]+`)
VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23) RETURNING id`, clockArgs(&nc)...).Scan(&nc.ID)
			if err != nil {
				return dbError(err, "clock %s run %d of ticket %d", nc.Name, nc.Run, ticketID)
			}
		} else {
			args := append(clockArgs(&nc), nc.ID, nc.Generation-1)
			tag, err := tx.Exec(ctx, `UPDATE sla_clocks SET (`+clockCols[4:]+`) =
($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23)
WHERE id = $24 AND generation = $25 AND ticket_id = $1`, args...)
			if err != nil {
				return dbError(err, "clock %d", nc.ID)
			}
			if tag.RowsAffected() == 0 {
				return backend.Errorf(backend.ECONFLICT, "clock %d of ticket %d was changed concurrently", nc.ID, ticketID)
			}
		}
		saved[i] = nc
	}
	if _, err := tx.Exec(ctx, `INSERT INTO sla_sync (ticket_id, version) VALUES ($1, $2)
ON CONFLICT (ticket_id) DO UPDATE SET version = GREATEST(sla_sync.version, EXCLUDED.version)`, ticketID, version); err != nil {
		return dbError(err, "clock sync of ticket %d", ticketID)
	}
	if err := insertChanges(ctx, tx, ticketID, cs); err != nil {
		return err
	}
	if err := commit(ctx, tx); err != nil {
		return err
	}
	for i, c := range clocks {
		*c = saved[i]
	}
	cs.Apply()
	return nil
}

// RecordOnce appends changes under an idempotency key, once.
func (s *Store) RecordOnce(ctx context.Context, key string, ticketID int64, changes []backend.Change) (bool, error) {
	now := s.now()
	cs, err := storekit.NewChangeSet(changes, now, s.Webhook)
	if err != nil {
		return false, err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return false, err
	}
	defer rollback(ctx, tx)
	tag, err := tx.Exec(ctx, `INSERT INTO sla_once (key, ticket_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
		key, ticketID, now)
	if err != nil {
		return false, dbError(err, "once %q of ticket %d", key, ticketID)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if err := insertChanges(ctx, tx, ticketID, cs); err != nil {
		return false, err
	}
	if err := commit(ctx, tx); err != nil {
		return false, err
	}
	cs.Apply()
	return true, nil
}

// UnsyncedTickets returns open tickets, and planned ones resolved since
// resolvedSince, whose clocks lag behind them.
func (s *Store) UnsyncedTickets(ctx context.Context, resolvedSince time.Time, limit int) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `
SELECT t.id FROM tickets t LEFT JOIN sla_sync y ON y.ticket_id = t.id
WHERE (t.status NOT IN ('resolved', 'archived') AND (y.version IS NULL OR y.version < t.version))
   OR (t.status = 'resolved' AND t.updated_at >= $2 AND y.version < t.version)
ORDER BY t.id LIMIT $1`, storekit.PageLimit(limit), resolvedSince)
	if err != nil {
		return nil, dbError(err, "unsynced tickets")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, dbError(err, "unsynced tickets")
	}
	if ids == nil {
		ids = []int64{}
	}
	return ids, nil
}

func clockArgs(c *backend.Clock) []any {
	return []any{c.TicketID, c.Name, c.Run, c.PolicyVersion, string(c.Severity), c.Unit, int64(c.Budget), string(c.State),
		c.StartedAt, nullTime(c.RunningSince), int64(c.Used), nullTime(c.WarnAt), nullTime(c.DueAt), nullTime(c.PausedAt),
		nullTime(c.StoppedAt), nullTime(c.WarnedAt), nullTime(c.BreachedAt), c.Step, nullTime(c.AckedAt), c.AckedBy,
		c.Generation, c.UpdatedAt, int64(c.UsedOther)}
}

func findClocks(ctx context.Context, q querier, query string, args ...any) ([]*backend.Clock, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, dbError(err, "clocks")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.Clock, error) {
		c := &backend.Clock{}
		var budget, used, usedOther int64
		err := row.Scan(&c.ID, &c.TicketID, &c.Name, &c.Run, &c.PolicyVersion, &c.Severity, &c.Unit, &budget, &c.State,
			timeCol{&c.StartedAt}, timeCol{&c.RunningSince}, &used, timeCol{&c.WarnAt}, timeCol{&c.DueAt}, timeCol{&c.PausedAt},
			timeCol{&c.StoppedAt}, timeCol{&c.WarnedAt}, timeCol{&c.BreachedAt}, &c.Step, timeCol{&c.AckedAt}, &c.AckedBy,
			&c.Generation, timeCol{&c.UpdatedAt}, &usedOther)
		c.Budget, c.Used, c.UsedOther = time.Duration(budget), time.Duration(used), time.Duration(usedOther)
		return c, err
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, dbError(err, "clocks")
	}
	if out == nil {
		out = []*backend.Clock{}
	}
	return out, nil
}
