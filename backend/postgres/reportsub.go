package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
)

const (
	reportDeliveryCols = `id, person_id, kind, period, team_id, parts, attempts, next_attempt, sent_at, failed_at, last_error, created_at`
	// queueReportsSQL adds one delivery of period $2 per subscription of
	// kind $1; the unique key makes a second call (another tick, another
	// replica) add nothing.
	queueReportsSQL = `
INSERT INTO report_deliveries (person_id, kind, period, team_id, next_attempt, created_at)
SELECT s.person_id, s.kind, $2, s.team_id, $3, $3 FROM report_subscriptions s WHERE s.kind = $1
ON CONFLICT (person_id, kind, period, team_id) DO NOTHING`
	claimReportsSQL = `
WITH due AS (
	SELECT id FROM report_deliveries
	WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt <= $1 AND (locked_until IS NULL OR locked_until <= $1)
	ORDER BY id
	LIMIT $3
	FOR UPDATE SKIP LOCKED
)
UPDATE report_deliveries d SET locked_until = $2 FROM due WHERE d.id = due.id
RETURNING d.id, d.person_id, d.kind, d.period, d.team_id, d.parts, d.attempts, d.next_attempt, d.sent_at, d.failed_at, d.last_error, d.created_at`
)

// SubscribeReport stores s; subscribing again does nothing.
func (s *Store) SubscribeReport(ctx context.Context, sub *backend.ReportSubscription) error {
	sub.CreatedAt = norm(orNow(sub.CreatedAt, s.now()))
	_, err := s.pool.Exec(ctx, `INSERT INTO report_subscriptions (person_id, kind, team_id, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING`, sub.PersonID, sub.Kind, sub.TeamID, sub.CreatedAt)
	return dbError(err, "report subscription of person %d", sub.PersonID)
}

// UnsubscribeReport removes a subscription, if there is one.
func (s *Store) UnsubscribeReport(ctx context.Context, personID int64, kind string, teamID int64) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM report_subscriptions WHERE person_id = $1 AND kind = $2 AND team_id = $3`,
		personID, kind, teamID)
	return dbError(err, "report subscription of person %d", personID)
}

// ReportSubscriptions lists a person's subscriptions by kind, then team.
func (s *Store) ReportSubscriptions(ctx context.Context, personID int64) ([]*backend.ReportSubscription, error) {
	rows, err := s.pool.Query(ctx, `SELECT person_id, kind, team_id, created_at FROM report_subscriptions
WHERE person_id = $1 ORDER BY kind DESC, team_id`, personID)
	if err != nil {
		return nil, dbError(err, "report subscriptions of person %d", personID)
	}
	subs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.ReportSubscription, error) {
		r := &backend.ReportSubscription{}
		return r, row.Scan(&r.PersonID, &r.Kind, &r.TeamID, timeCol{&r.CreatedAt})
	})
	return subs, dbError(err, "report subscriptions of person %d", personID)
}

// QueueReports adds the deliveries of period for the subscriptions of kind.
func (s *Store) QueueReports(ctx context.Context, kind, period string, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, queueReportsSQL, kind, period, norm(orNow(now, s.now())))
	if err != nil {
		return 0, dbError(err, "queue reports %s", period)
	}
	return int(tag.RowsAffected()), nil
}

// ClaimReports leases due deliveries, skipping rows other claimers hold.
func (s *Store) ClaimReports(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*backend.ReportDelivery, error) {
	now = norm(now)
	rows, err := s.pool.Query(ctx, claimReportsSQL, now, now.Add(lease), limit)
	if err != nil {
		return nil, dbError(err, "claim reports")
	}
	ds, err := pgx.CollectRows(rows, scanReportDelivery)
	return ds, dbError(err, "claim reports")
}

func scanReportDelivery(row pgx.CollectableRow) (*backend.ReportDelivery, error) {
	d := &backend.ReportDelivery{}
	return d, row.Scan(&d.ID, &d.PersonID, &d.Kind, &d.Period, &d.TeamID, &d.Parts, &d.Attempts, timeCol{&d.NextAttempt},
		timeCol{&d.SentAt}, timeCol{&d.FailedAt}, &d.LastError, timeCol{&d.CreatedAt})
}

// ReportPartsSent records how many parts of a delivery went out.
func (s *Store) ReportPartsSent(ctx context.Context, id int64, parts int) error {
	return s.execReport(ctx, id, `UPDATE report_deliveries SET parts = GREATEST(parts, $2) WHERE id = $1`, parts)
}

// MarkReportSent records delivery; marking again does nothing.
func (s *Store) MarkReportSent(ctx context.Context, id int64, at time.Time) error {
	return s.execReport(ctx, id, `UPDATE report_deliveries SET sent_at = COALESCE(sent_at, $2), locked_until = NULL WHERE id = $1`,
		norm(orNow(at, s.now())))
}

// MarkReportRetry records a failed attempt and ends the lease.
func (s *Store) MarkReportRetry(ctx context.Context, id int64, next time.Time, lastErr string, attempt bool) error {
	n := 0
	if attempt {
		n = 1
	}
	return s.execReport(ctx, id, `UPDATE report_deliveries SET next_attempt = $2, last_error = $3, attempts = attempts + $4, locked_until = NULL
WHERE id = $1 AND sent_at IS NULL`, norm(orNow(next, s.now())), lastErr, n)
}

// MarkReportFailed gives a delivery up.
func (s *Store) MarkReportFailed(ctx context.Context, id int64, at time.Time, lastErr string) error {
	return s.execReport(ctx, id, `UPDATE report_deliveries SET failed_at = $2, last_error = $3, locked_until = NULL
WHERE id = $1 AND sent_at IS NULL`, norm(orNow(at, s.now())), lastErr)
}

// ReportDeliveries lists a person's deliveries, newest first.
func (s *Store) ReportDeliveries(ctx context.Context, personID int64, limit int) ([]*backend.ReportDelivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+reportDeliveryCols+` FROM report_deliveries WHERE person_id = $1 ORDER BY id DESC LIMIT $2`,
		personID, limit)
	if err != nil {
		return nil, dbError(err, "report deliveries of person %d", personID)
	}
	ds, err := pgx.CollectRows(rows, scanReportDelivery)
	return ds, dbError(err, "report deliveries of person %d", personID)
}

// execReport runs a one-row update of delivery id; ENOTFOUND when there
// is no such delivery.
func (s *Store) execReport(ctx context.Context, id int64, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, append([]any{id}, args...)...)
	if err != nil {
		return dbError(err, "report delivery %d", id)
	}
	if tag.RowsAffected() == 0 {
		var one int
		if err := s.pool.QueryRow(ctx, `SELECT 1 FROM report_deliveries WHERE id = $1`, id).Scan(&one); err != nil {
			return dbError(err, "report delivery %d", id)
		}
	}
	return nil
}
