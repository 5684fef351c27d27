package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

const (
	insertTaskSQL = `
INSERT INTO complaint_tasks (ticket_id, title, owner_id, due, created_by, created_at, done_by, done_at, result, reminded_at, kind, team_id,
    objection, objected_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`
	// A task's ticket, kind, team and creation stay as stored. A reminder
	// stamped since the task was read stays while its deadline does: the
	// reminder (MarkTaskReminded) takes no ticket lock.
	updateTaskSQL = `
UPDATE complaint_tasks SET title = $1, owner_id = $2, due = $3, done_by = $4, done_at = $5, result = $6,
    reminded_at = CASE WHEN due = $3 THEN COALESCE(reminded_at, $7) ELSE $7 END,
    objection = $10, objected_at = $11
WHERE id = $8 AND ticket_id = $9
RETURNING created_by, created_at, kind, COALESCE(team_id, 0), reminded_at`
	taskSQL = `
SELECT k.id, k.ticket_id, t.number, k.title, k.owner_id, k.due, k.created_by, k.created_at, k.done_by, k.done_at, k.result, k.reminded_at,
    k.kind, COALESCE(k.team_id, 0), k.objection, k.objected_at
FROM complaint_tasks k JOIN tickets t ON t.id = k.ticket_id`
	// One statement for every filter: a zero argument turns its
	// condition off.
	tasksSQL = taskSQL + `
WHERE ($1::bigint = 0 OR k.ticket_id = $1)
  AND ($2::bigint = 0 OR k.owner_id = $2)
  AND (NOT $3::boolean OR k.done_at IS NULL)
  AND ($4::timestamptz IS NULL OR k.due <= $4)
  AND (NOT $5::boolean OR k.reminded_at IS NULL)
  AND k.id > $6
  AND ($8::text = '' OR k.kind = $8)
  AND ($9::bigint = 0 OR k.team_id = $9)
ORDER BY k.id
LIMIT $7`
	upsertRecordSQL = `
INSERT INTO complaint_records (ticket_id, root_cause, prevention, recorded_by, recorded_at, approved_by, approved_at, sent_by, sent_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (ticket_id) DO UPDATE SET root_cause = EXCLUDED.root_cause, prevention = EXCLUDED.prevention,
    recorded_by = EXCLUDED.recorded_by, recorded_at = EXCLUDED.recorded_at, approved_by = EXCLUDED.approved_by,
    approved_at = EXCLUDED.approved_at, sent_by = EXCLUDED.sent_by, sent_at = EXCLUDED.sent_at`
)

// writeTask inserts task k of a ticket (ID 0) or saves it, and sets what
// the store decides on k.
func writeTask(ctx context.Context, tx pgx.Tx, ticketID int64, k *backend.Task) error {
	if k.ID == 0 {
		k.Kind = k.Kind.OrDefault()
		err := tx.QueryRow(ctx, insertTaskSQL, ticketID, k.Title, k.OwnerID, k.Due, k.CreatedBy, k.CreatedAt, k.DoneBy,
			nullTime(k.DoneAt), k.Result, nullTime(k.RemindedAt), string(k.Kind), nullID(k.TeamID), k.Objection, nullTime(k.ObjectedAt)).Scan(&k.ID)
		if err != nil {
			return dbError(err, "task of ticket %d", ticketID)
		}
		k.TicketID = ticketID
		return nil
	}
	err := tx.QueryRow(ctx, updateTaskSQL, k.Title, k.OwnerID, k.Due, k.DoneBy, nullTime(k.DoneAt), k.Result, nullTime(k.RemindedAt),
		k.ID, ticketID, k.Objection, nullTime(k.ObjectedAt)).Scan(&k.CreatedBy, timeCol{&k.CreatedAt}, &k.Kind, &k.TeamID, timeCol{&k.RemindedAt})
	if err != nil {
		return dbError(err, "task %d of ticket %d", k.ID, ticketID)
	}
	k.TicketID = ticketID
	return nil
}

func writeRecord(ctx context.Context, tx pgx.Tx, ticketID int64, r *backend.ComplaintRecord) error {
	r.TicketID = ticketID
	_, err := tx.Exec(ctx, upsertRecordSQL, ticketID, r.RootCause, r.Prevention, r.RecordedBy, r.RecordedAt, r.ApprovedBy,
		nullTime(r.ApprovedAt), r.SentBy, nullTime(r.SentAt))
	return dbError(err, "closing record of ticket %d", ticketID)
}

func scanTask(row pgx.Row) (*backend.Task, error) {
	k := &backend.Task{}
	return k, row.Scan(&k.ID, &k.TicketID, &k.Number, &k.Title, &k.OwnerID, timeCol{&k.Due}, &k.CreatedBy, timeCol{&k.CreatedAt},
		&k.DoneBy, timeCol{&k.DoneAt}, &k.Result, timeCol{&k.RemindedAt}, &k.Kind, &k.TeamID, &k.Objection, timeCol{&k.ObjectedAt})
}

// Task returns a task with its ticket's number.
func (s *Store) Task(ctx context.Context, id int64) (*backend.Task, error) {
	k, err := scanTask(s.pool.QueryRow(ctx, taskSQL+` WHERE k.id = $1`, id))
	if err != nil {
		return nil, dbError(err, "task %d", id)
	}
	return k, nil
}

// Tasks lists the tasks that match f, oldest first.
func (s *Store) Tasks(ctx context.Context, f backend.TaskFilter) ([]*backend.Task, error) {
	rows, err := s.pool.Query(ctx, tasksSQL, f.TicketID, f.OwnerID, f.Open, nullTime(norm(f.DueUntil)), f.Unreminded, f.After,
		storekit.PageLimit(f.Limit), string(f.Kind), f.TeamID)
	if err != nil {
		return nil, dbError(err, "tasks")
	}
	tasks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.Task, error) { return scanTask(row) })
	if err != nil {
		return nil, dbError(err, "tasks")
	}
	if tasks == nil {
		tasks = []*backend.Task{}
	}
	return tasks, nil
}

// MarkTaskReminded records the overdue reminder of a task once.
func (s *Store) MarkTaskReminded(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE complaint_tasks SET reminded_at = COALESCE(reminded_at, $2) WHERE id = $1`, id, norm(orNow(at, s.now())))
	if err != nil {
		return dbError(err, "task %d", id)
	}
	if tag.RowsAffected() == 0 {
		return backend.Errorf(backend.ENOTFOUND, "task %d not found", id)
	}
	return nil
}

// ComplaintRecord returns a ticket's closing record.
func (s *Store) ComplaintRecord(ctx context.Context, ticketID int64) (*backend.ComplaintRecord, error) {
	r := &backend.ComplaintRecord{}
	err := s.pool.QueryRow(ctx, `SELECT ticket_id, root_cause, prevention, recorded_by, recorded_at, approved_by, approved_at, sent_by, sent_at
FROM complaint_records WHERE ticket_id = $1`, ticketID).Scan(&r.TicketID, &r.RootCause, &r.Prevention, &r.RecordedBy,
		timeCol{&r.RecordedAt}, &r.ApprovedBy, timeCol{&r.ApprovedAt}, &r.SentBy, timeCol{&r.SentAt})
	if err != nil {
		return nil, dbError(err, "closing record of ticket %d", ticketID)
	}
	return r, nil
}
