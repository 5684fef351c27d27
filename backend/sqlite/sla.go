package sqlite

import (
	"context"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

const clockCols = `id, ticket_id, name, run, policy_version, severity, unit, budget, state, started_at, running_since,
 used, warn_at, due_at, paused_at, stopped_at, warned_at, breached_at, step, acked_at, acked_by, generation, updated_at, used_other`

const (
	clocksOfSQL  = `SELECT ` + clockCols + ` FROM sla_clocks WHERE ticket_id = ? ORDER BY id`
	liveClockSQL = `SELECT ` + clockCols + ` FROM sla_clocks WHERE state = 'running' AND id > ? ORDER BY id LIMIT ?`
	insClockSQL  = `INSERT INTO sla_clocks (` + clockColsNoID + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	updClockSQL  = `UPDATE sla_clocks SET (` + clockColsNoID + `) = (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
WHERE id = ? AND generation = ? AND ticket_id = ?`
	clockColsNoID = `ticket_id, name, run, policy_version, severity, unit, budget, state, started_at, running_since,
 used, warn_at, due_at, paused_at, stopped_at, warned_at, breached_at, step, acked_at, acked_by, generation, updated_at, used_other`
	syncSQL = `INSERT INTO sla_sync (ticket_id, version) VALUES (?, ?)
ON CONFLICT (ticket_id) DO UPDATE SET version = max(sla_sync.version, excluded.version)`
	onceSQL     = `INSERT INTO sla_once (key, ticket_id, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`
	unsyncedSQL = `
SELECT t.id FROM tickets t LEFT JOIN sla_sync y ON y.ticket_id = t.id
WHERE (t.status NOT IN ('resolved', 'archived') AND (y.version IS NULL OR y.version < t.version))
   OR (t.status = 'resolved' AND t.updated_at >= ? AND y.version < t.version)
ORDER BY t.id LIMIT ?`
)

// Clocks returns a ticket's SLA clocks, oldest first.
func (s *Store) Clocks(ctx context.Context, ticketID int64) ([]*backend.Clock, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	clocks, err := findClocks(ctx, tx, clocksOfSQL, ticketID)
	if err != nil || len(clocks) > 0 {
		return clocks, err
	}
	var found bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tickets WHERE id = ?)`, ticketID).Scan(&found); err != nil {
		return nil, dbError(err, "ticket %d", ticketID)
	}
	if !found {
		return nil, backend.Errorf(backend.ENOTFOUND, "ticket %d not found", ticketID)
	}
	return clocks, nil
}

// LiveClocks returns running clocks with ID > after, by ID.
func (s *Store) LiveClocks(ctx context.Context, after int64, limit int) ([]*backend.Clock, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findClocks(ctx, tx, liveClockSQL, after, storekit.PageLimit(limit))
}

// SaveClocks writes clocks and changes of a ticket in one transaction (on
// the single writer connection, so savers take turns).
func (s *Store) SaveClocks(ctx context.Context, ticketID, version int64, clocks []*backend.Clock, changes []backend.Change) error {
	now := s.now()
	cs, err := storekit.NewChangeSet(changes, now, s.Webhook)
	if err != nil {
		return err
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := findTicketByID(ctx, tx, ticketID); err != nil {
		return err
	}
	saved := make([]backend.Clock, len(clocks))
	for i, c := range clocks {
		nc := storekit.NormClock(c, ticketID, now)
		if nc.ID == 0 {
			res, err := tx.ExecContext(ctx, insClockSQL, clockArgs(&nc)...)
			if err != nil {
				return dbError(err, "clock %s run %d of ticket %d", nc.Name, nc.Run, ticketID)
			}
			if nc.ID, err = res.LastInsertId(); err != nil {
				return dbError(err, "clock %s of ticket %d", nc.Name, ticketID)
			}
		} else {
			res, err := tx.ExecContext(ctx, updClockSQL, append(clockArgs(&nc), nc.ID, nc.Generation-1, ticketID)...)
			if err != nil {
				return dbError(err, "clock %d", nc.ID)
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return backend.Errorf(backend.ECONFLICT, "clock %d of ticket %d was changed concurrently", nc.ID, ticketID)
			}
		}
		saved[i] = nc
	}
	if _, err := tx.ExecContext(ctx, syncSQL, ticketID, version); err != nil {
		return dbError(err, "clock sync of ticket %d", ticketID)
	}
	if err := insertChanges(ctx, tx, ticketID, cs); err != nil {
		return err
	}
	if err := commit(tx); err != nil {
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
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, onceSQL, key, ticketID, micros(now))
	if err != nil {
		return false, dbError(err, "once %q of ticket %d", key, ticketID)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, dbError(err, "once %q", key)
	} else if n == 0 {
		return false, nil
	}
	if err := insertChanges(ctx, tx, ticketID, cs); err != nil {
		return false, err
	}
	if err := commit(tx); err != nil {
		return false, err
	}
	cs.Apply()
	return true, nil
}

// UnsyncedTickets returns open tickets, and planned ones resolved since
// resolvedSince, whose clocks lag behind them.
func (s *Store) UnsyncedTickets(ctx context.Context, resolvedSince time.Time, limit int) ([]int64, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, unsyncedSQL, resolvedSince.UnixMicro(), storekit.PageLimit(limit))
	if err != nil {
		return nil, dbError(err, "unsynced tickets")
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, dbError(err, "unsynced tickets")
		}
		ids = append(ids, id)
	}
	return ids, dbError(rows.Err(), "unsynced tickets")
}

func clockArgs(c *backend.Clock) []any {
	return []any{c.TicketID, c.Name, c.Run, c.PolicyVersion, string(c.Severity), c.Unit, int64(c.Budget), string(c.State),
		micros(c.StartedAt), micros(c.RunningSince), int64(c.Used), micros(c.WarnAt), micros(c.DueAt), micros(c.PausedAt),
		micros(c.StoppedAt), micros(c.WarnedAt), micros(c.BreachedAt), c.Step, micros(c.AckedAt), c.AckedBy,
		c.Generation, micros(c.UpdatedAt), int64(c.UsedOther)}
}

func findClocks(ctx context.Context, tx *dbTx, query string, args ...any) ([]*backend.Clock, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(err, "clocks")
	}
	defer rows.Close()
	out := []*backend.Clock{}
	for rows.Next() {
		c := &backend.Clock{}
		var budget, used, usedOther int64
		if err := rows.Scan(&c.ID, &c.TicketID, &c.Name, &c.Run, &c.PolicyVersion, &c.Severity, &c.Unit, &budget, &c.State,
			timeCol{&c.StartedAt}, timeCol{&c.RunningSince}, &used, timeCol{&c.WarnAt}, timeCol{&c.DueAt}, timeCol{&c.PausedAt},
			timeCol{&c.StoppedAt}, timeCol{&c.WarnedAt}, timeCol{&c.BreachedAt}, &c.Step, timeCol{&c.AckedAt}, &c.AckedBy,
			&c.Generation, timeCol{&c.UpdatedAt}, &usedOther); err != nil {
			return nil, dbError(err, "clocks")
		}
		c.Budget, c.Used, c.UsedOther = time.Duration(budget), time.Duration(used), time.Duration(usedOther)
		out = append(out, c)
	}
	return out, dbError(rows.Err(), "clocks")
}
