package sqlite

import (
	"context"
	"time"

	"github.com/deskbot/deskbot/backend"
)

const (
	reportDeliveryCols = `id, person_id, kind, period, team_id, parts, attempts, next_attempt, sent_at, failed_at, last_error, created_at`
	// queueReportsSQL adds one delivery of period ?2 per subscription of
	// kind ?1; the unique key makes a second call add nothing.
	queueReportsSQL = `
INSERT INTO report_deliveries (person_id, kind, period, team_id, next_attempt, created_at)
SELECT s.person_id, s.kind, ?2, s.team_id, ?3, ?3 FROM report_subscriptions s WHERE s.kind = ?1
ON CONFLICT (person_id, kind, period, team_id) DO NOTHING`
	// Claims run on the single writer connection, so two callers never
	// get the same delivery.
	claimReportsSQL = `
UPDATE report_deliveries SET locked_until = ?2
WHERE id IN (
	SELECT id FROM report_deliveries
	WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt <= ?1 AND (locked_until IS NULL OR locked_until <= ?1)
	ORDER BY id LIMIT ?3)
RETURNING ` + reportDeliveryCols
)

// SubscribeReport stores s; subscribing again does nothing.
func (s *Store) SubscribeReport(ctx context.Context, sub *backend.ReportSubscription) error {
	sub.CreatedAt = norm(orNow(sub.CreatedAt, s.now()))
	return s.write(ctx, "report subscription", func(tx *dbTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO report_subscriptions (person_id, kind, team_id, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT DO NOTHING`, sub.PersonID, sub.Kind, sub.TeamID, micros(sub.CreatedAt))
		return err
	})
}

// UnsubscribeReport removes a subscription, if there is one.
func (s *Store) UnsubscribeReport(ctx context.Context, personID int64, kind string, teamID int64) error {
	return s.write(ctx, "report subscription", func(tx *dbTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM report_subscriptions WHERE person_id = ? AND kind = ? AND team_id = ?`,
			personID, kind, teamID)
		return err
	})
}

// ReportSubscriptions lists a person's subscriptions by kind, then team.
func (s *Store) ReportSubscriptions(ctx context.Context, personID int64) ([]*backend.ReportSubscription, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT person_id, kind, team_id, created_at FROM report_subscriptions
WHERE person_id = ? ORDER BY kind DESC, team_id`, personID)
	if err != nil {
		return nil, dbError(err, "report subscriptions of person %d", personID)
	}
	subs, err := collect(rows, func(row scanner) (*backend.ReportSubscription, error) {
		r := &backend.ReportSubscription{}
		return r, row.Scan(&r.PersonID, &r.Kind, &r.TeamID, timeCol{&r.CreatedAt})
	})
	return subs, dbError(err, "report subscriptions of person %d", personID)
}

// QueueReports adds the deliveries of period for the subscriptions of kind.
func (s *Store) QueueReports(ctx context.Context, kind, period string, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, "queue reports "+period, func(tx *dbTx) error {
		res, err := tx.ExecContext(ctx, queueReportsSQL, kind, period, micros(norm(orNow(now, s.now()))))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// ClaimReports leases due deliveries.
func (s *Store) ClaimReports(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*backend.ReportDelivery, error) {
	now = norm(now)
	var ds []*backend.ReportDelivery
	err := s.write(ctx, "claim reports", func(tx *dbTx) error {
		rows, err := tx.QueryContext(ctx, claimReportsSQL, micros(now), micros(now.Add(lease)), limit)
		if err != nil {
			return err
		}
		ds, err = collect(rows, scanReportDelivery)
		return err
	})
	return ds, err
}

func scanReportDelivery(row scanner) (*backend.ReportDelivery, error) {
	d := &backend.ReportDelivery{}
	return d, row.Scan(&d.ID, &d.PersonID, &d.Kind, &d.Period, &d.TeamID, &d.Parts, &d.Attempts, timeCol{&d.NextAttempt},
		timeCol{&d.SentAt}, timeCol{&d.FailedAt}, &d.LastError, timeCol{&d.CreatedAt})
}

// ReportPartsSent records how many parts of a delivery went out.
func (s *Store) ReportPartsSent(ctx context.Context, id int64, parts int) error {
	return s.execReport(ctx, id, `UPDATE report_deliveries SET parts = MAX(parts, ?2) WHERE id = ?1`, parts)
}

// MarkReportSent records delivery; marking again does nothing.
func (s *Store) MarkReportSent(ctx context.Context, id int64, at time.Time) error {
	return s.execReport(ctx, id, `UPDATE report_deliveries SET sent_at = COALESCE(sent_at, ?2), locked_until = NULL WHERE id = ?1`,
		micros(norm(orNow(at, s.now()))))
}

// MarkReportRetry records a failed attempt and ends the lease.
func (s *Store) MarkReportRetry(ctx context.Context, id int64, next time.Time, lastErr string, attempt bool) error {
	n := 0
	if attempt {
		n = 1
	}
	return s.execReport(ctx, id, `UPDATE report_deliveries SET next_attempt = ?2, last_error = ?3, attempts = attempts + ?4, locked_until = NULL
WHERE id = ?1 AND sent_at IS NULL`, micros(norm(orNow(next, s.now()))), lastErr, n)
}

// MarkReportFailed gives a delivery up.
func (s *Store) MarkReportFailed(ctx context.Context, id int64, at time.Time, lastErr string) error {
	return s.execReport(ctx, id, `UPDATE report_deliveries SET failed_at = ?2, last_error = ?3, locked_until = NULL
WHERE id = ?1 AND sent_at IS NULL`, micros(norm(orNow(at, s.now()))), lastErr)
}

// ReportDeliveries lists a person's deliveries, newest first.
func (s *Store) ReportDeliveries(ctx context.Context, personID int64, limit int) ([]*backend.ReportDelivery, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+reportDeliveryCols+` FROM report_deliveries WHERE person_id = ? ORDER BY id DESC LIMIT ?`,
		personID, limit)
	if err != nil {
		return nil, dbError(err, "report deliveries of person %d", personID)
	}
	ds, err := collect(rows, scanReportDelivery)
	return ds, dbError(err, "report deliveries of person %d", personID)
}

// execReport runs a one-row update of delivery id; ENOTFOUND when there
// is no such delivery.
func (s *Store) execReport(ctx context.Context, id int64, query string, args ...any) error {
	return s.write(ctx, "report delivery", func(tx *dbTx) error {
		res, err := tx.ExecContext(ctx, query, append([]any{id}, args...)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var one int
		return tx.QueryRowContext(ctx, `SELECT 1 FROM report_deliveries WHERE id = ?`, id).Scan(&one)
	})
}

// write runs f in a write transaction and commits; errors are dbError's,
// about what.
func (s *Store) write(ctx context.Context, what string, f func(tx *dbTx) error) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return dbError(err, "%s", what)
	}
	return commit(tx)
}
