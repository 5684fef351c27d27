package sqlite

import (
	"context"

	"github.com/deskbot/deskbot/backend"
)

// The reads of a report (DESIGN §7), each bounded by the span [?1, ?2)
// and the ticket's team (?3; 0: every ticket). Only the complaints'
// customer is personal data.
const (
	reportTicketsSQL = `
SELECT t.id, t.category_path, t.severity, t.status, t.team_id, t.incident_id, COALESCE(i.title, ''), t.created_at, t.resolved_at
FROM tickets t LEFT JOIN incidents i ON i.id = t.incident_id
WHERE ((t.created_at >= ?1 AND t.created_at < ?2) OR (t.resolved_at >= ?1 AND t.resolved_at < ?2))
  AND (?3 = 0 OR t.team_id = ?3)
ORDER BY t.id`
	reportRatingsSQL = `
SELECT json_extract(e.data, '$.satisfaction'), count(*)
FROM events e JOIN tickets t ON t.id = e.ticket_id
WHERE e.kind = 'satisfaction' AND json_extract(e.data, '$.satisfaction') IS NOT NULL AND e.at >= ?1 AND e.at < ?2 AND (?3 = 0 OR t.team_id = ?3)
GROUP BY 1`
	reportClocksSQL = `
SELECT c.name, count(*), count(*) FILTER (WHERE c.state = 'stopped' AND c.breached_at IS NULL AND c.used <= c.budget),
    count(*) FILTER (WHERE c.breached_at IS NOT NULL OR (c.state = 'stopped' AND c.used > c.budget))
FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id
WHERE c.started_at >= ?1 AND c.started_at < ?2 AND (?3 = 0 OR t.team_id = ?3)
GROUP BY c.name
ORDER BY c.name`
	reportFactorsSQL = `
SELECT fa.value, count(*)
FROM follow_ups f JOIN tickets t ON t.id = f.ticket_id, json_each(f.factors) AS fa
WHERE f.surveyed_at >= ?1 AND f.surveyed_at < ?2 AND (?3 = 0 OR t.team_id = ?3)
GROUP BY fa.value`
	// The complaints handled in the span (filed before its end, not
	// resolved before its start) with their closing records, and their
	// tasks. The customer is personal: Service.Report masks it.
	reportComplaintsSQL = `
SELECT t.id, t.number, COALESCE(json_extract(t.extra, '$.customer'), ''), t.status, t.created_at, t.resolved_at,
    COALESCE(r.root_cause, ''), COALESCE(r.prevention, ''), r.recorded_at, r.approved_at, r.sent_at
FROM tickets t LEFT JOIN complaint_records r ON r.ticket_id = t.id
WHERE ` + reportComplaintsWhere + `
ORDER BY t.id`
	reportComplaintTasksSQL = `
SELECT k.ticket_id, k.due, k.done_at
FROM complaint_tasks k JOIN tickets t ON t.id = k.ticket_id
WHERE k.kind = 'complaint' AND ` + reportComplaintsWhere + `
ORDER BY k.id`
	reportComplaintsWhere = `t.form = 'complaint' AND t.created_at < ?2
  AND (t.status NOT IN ('resolved', 'archived') OR t.resolved_at IS NULL OR t.resolved_at >= ?1)
  AND (?3 = 0 OR t.team_id = ?3)`
)

// ReportData reads what a report needs, in one read transaction (one
// snapshot of the WAL).
func (s *Store) ReportData(ctx context.Context, f backend.ReportFilter) (*backend.ReportData, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	args := []any{micros(norm(f.From)), micros(norm(f.Before)), f.TeamID}
	d := &backend.ReportData{Tickets: []*backend.ReportTicket{}, Ratings: map[backend.Satisfaction]int{},
		Clocks: []backend.ClockCount{}, Factors: map[backend.Factor]int{}, Complaints: []*backend.ReportComplaint{}}

	rows, err := tx.QueryContext(ctx, reportTicketsSQL, args...)
	if err != nil {
		return nil, dbError(err, "report tickets")
	}
	defer rows.Close()
	for rows.Next() {
		t := &backend.ReportTicket{}
		if err := rows.Scan(&t.ID, jsonCol{&t.CategoryPath}, &t.Severity, &t.Status, idCol{&t.TeamID}, idCol{&t.IncidentID}, &t.IncidentTitle,
			timeCol{&t.CreatedAt}, timeCol{&t.ResolvedAt}); err != nil {
			return nil, dbError(err, "report tickets")
		}
		d.Tickets = append(d.Tickets, t)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "report tickets")
	}

	if err := tally(ctx, tx, reportRatingsSQL, args, func(k string, n int) { d.Ratings[backend.Satisfaction(k)] += n }); err != nil {
		return nil, dbError(err, "report ratings")
	}
	if err := tally(ctx, tx, reportFactorsSQL, args, func(k string, n int) { d.Factors[backend.Factor(k)] += n }); err != nil {
		return nil, dbError(err, "report factors")
	}

	crows, err := tx.QueryContext(ctx, reportClocksSQL, args...)
	if err != nil {
		return nil, dbError(err, "report clocks")
	}
	defer crows.Close()
	for crows.Next() {
		var c backend.ClockCount
		if err := crows.Scan(&c.Name, &c.Runs, &c.Met, &c.Breached); err != nil {
			return nil, dbError(err, "report clocks")
		}
		d.Clocks = append(d.Clocks, c)
	}
	if err := crows.Err(); err != nil {
		return nil, dbError(err, "report clocks")
	}
	if err := reportComplaints(ctx, tx, args, d); err != nil {
		return nil, dbError(err, "report complaints")
	}
	return d, nil
}

// reportComplaints reads the complaints of a report with their tasks.
func reportComplaints(ctx context.Context, tx *dbTx, args []any, d *backend.ReportData) error {
	rows, err := tx.QueryContext(ctx, reportComplaintsSQL, args...)
	if err != nil {
		return err
	}
	cs, err := collect(rows, func(row scanner) (*backend.ReportComplaint, error) {
		c := &backend.ReportComplaint{}
		return c, row.Scan(&c.ID, &c.Number, &c.Customer, &c.Status, timeCol{&c.CreatedAt}, timeCol{&c.ResolvedAt},
			&c.RootCause, &c.Prevention, timeCol{&c.RecordedAt}, timeCol{&c.ApprovedAt}, timeCol{&c.SentAt})
	})
	if err != nil {
		return err
	}
	byID := make(map[int64]*backend.ReportComplaint, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
	}
	d.Complaints = append(d.Complaints, cs...)
	trows, err := tx.QueryContext(ctx, reportComplaintTasksSQL, args...)
	if err != nil {
		return err
	}
	defer trows.Close()
	for trows.Next() {
		var (
			id int64
			k  backend.ReportTask
		)
		if err := trows.Scan(&id, timeCol{&k.Due}, timeCol{&k.DoneAt}); err != nil {
			return err
		}
		if c := byID[id]; c != nil {
			c.Tasks = append(c.Tasks, k)
		}
	}
	return trows.Err()
}

// ReportRatings counts the ratings of each span, in one snapshot.
func (s *Store) ReportRatings(ctx context.Context, fs []backend.ReportFilter) ([]map[backend.Satisfaction]int, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	out := make([]map[backend.Satisfaction]int, len(fs))
	for i, f := range fs {
		m := map[backend.Satisfaction]int{}
		args := []any{micros(norm(f.From)), micros(norm(f.Before)), f.TeamID}
		if err := tally(ctx, tx, reportRatingsSQL, args, func(k string, n int) { m[backend.Satisfaction(k)] += n }); err != nil {
			return nil, dbError(err, "report ratings")
		}
		out[i] = m
	}
	return out, nil
}

// tally runs a query of (key, count) rows and hands each to add.
func tally(ctx context.Context, tx *dbTx, query string, args []any, add func(key string, n int)) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			key string
			n   int
		)
		if err := rows.Scan(&key, &n); err != nil {
			return err
		}
		add(key, n)
	}
	return rows.Err()
}
