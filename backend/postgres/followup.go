package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

const (
	insertFollowUpSQL = `
INSERT INTO follow_ups (ticket_id, event_id, rated_at, survey, callback, factors, solved, survey_notes, surveyed_by,
    surveyed_at, outcome, callback_notes, called_by, called_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
RETURNING id`
	// The follow-up's ticket, rating and creation stay as stored.
	updateFollowUpSQL = `
UPDATE follow_ups SET rated_at = $1, survey = $2, callback = $3, factors = $4, solved = $5, survey_notes = $6, surveyed_by = $7,
    surveyed_at = $8, outcome = $9, callback_notes = $10, called_by = $11, called_at = $12, updated_at = $13
WHERE id = $14 AND ticket_id = $15
RETURNING event_id, created_at`
	followUpSQL = `
SELECT f.id, f.ticket_id, t.number, t.status, f.event_id, f.rated_at, f.survey, f.callback, f.factors, f.solved, f.survey_notes,
    f.surveyed_by, f.surveyed_at, f.outcome, f.callback_notes, f.called_by, f.called_at, f.created_at, f.updated_at
FROM follow_ups f JOIN tickets t ON t.id = f.ticket_id`
	// One statement for every filter: a zero argument turns its
	// condition off.
	followUpsSQL = followUpSQL + `
WHERE ($1::bigint = 0 OR f.ticket_id = $1)
  AND (NOT $2::boolean OR f.survey = 'needed' OR f.callback = 'needed')
  AND (NOT $3::boolean OR t.team_id IS NULL OR t.team_id = $4::bigint OR t.assignee_id = $5::bigint)
  AND ($6::timestamptz IS NULL OR f.rated_at >= $6)
  AND ($7::timestamptz IS NULL OR f.rated_at < $7)
  AND ($8::bigint = 0 OR f.id < $8)
ORDER BY f.id DESC
LIMIT $9`
)

// writeFollowUp opens f for event eventID of a ticket (ID 0) or saves it,
// and sets what the store decides on f.
func writeFollowUp(ctx context.Context, tx pgx.Tx, ticketID, eventID int64, f *backend.FollowUp) error {
	factors, err := jsonb(storekit.FactorList(f.Factors))
	if err != nil {
		return err
	}
	if f.ID == 0 {
		err := tx.QueryRow(ctx, insertFollowUpSQL, ticketID, eventID, f.RatedAt, string(f.Survey), string(f.Callback), factors,
			f.Solved, f.SurveyNotes, f.SurveyedBy, nullTime(f.SurveyedAt), string(f.Outcome), f.CallbackNotes, f.CalledBy,
			nullTime(f.CalledAt), f.CreatedAt, f.UpdatedAt).Scan(&f.ID)
		if err != nil {
			return dbError(err, "follow-up of event %d", eventID)
		}
		f.TicketID, f.EventID = ticketID, eventID
		return nil
	}
	err = tx.QueryRow(ctx, updateFollowUpSQL, f.RatedAt, string(f.Survey), string(f.Callback), factors, f.Solved,
		f.SurveyNotes, f.SurveyedBy, nullTime(f.SurveyedAt), string(f.Outcome), f.CallbackNotes, f.CalledBy, nullTime(f.CalledAt),
		f.UpdatedAt, f.ID, ticketID).Scan(&f.EventID, timeCol{&f.CreatedAt})
	if err != nil {
		return dbError(err, "follow-up %d of ticket %d", f.ID, ticketID)
	}
	f.TicketID = ticketID
	return nil
}

func scanFollowUp(row pgx.Row) (*backend.FollowUp, error) {
	f := &backend.FollowUp{}
	err := row.Scan(&f.ID, &f.TicketID, &f.Number, &f.TicketStatus, &f.EventID, timeCol{&f.RatedAt}, &f.Survey, &f.Callback, jsonCol{&f.Factors},
		&f.Solved, &f.SurveyNotes, &f.SurveyedBy, timeCol{&f.SurveyedAt}, &f.Outcome, &f.CallbackNotes, &f.CalledBy,
		timeCol{&f.CalledAt}, timeCol{&f.CreatedAt}, timeCol{&f.UpdatedAt})
	f.Factors = storekit.Factors(f.Factors)
	return f, err
}

// FollowUp returns a follow-up with its ticket's number.
func (s *Store) FollowUp(ctx context.Context, id int64) (*backend.FollowUp, error) {
	f, err := scanFollowUp(s.pool.QueryRow(ctx, followUpSQL+` WHERE f.id = $1`, id))
	if err != nil {
		return nil, dbError(err, "follow-up %d", id)
	}
	return f, nil
}

// FollowUps lists the follow-ups that match f, newest first.
func (s *Store) FollowUps(ctx context.Context, f backend.FollowUpFilter) (*backend.FollowUpPage, error) {
	limit := storekit.PageLimit(f.Limit)
	rows, err := s.pool.Query(ctx, followUpsSQL, f.TicketID, f.Open, f.Restrict, f.VisibleTeam, f.VisibleAssignee,
		nullTime(norm(f.RatedFrom)), nullTime(norm(f.RatedBefore)), f.After, limit+1)
	if err != nil {
		return nil, dbError(err, "follow-ups")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.FollowUp, error) { return scanFollowUp(row) })
	if err != nil {
		return nil, dbError(err, "follow-ups")
	}
	page := &backend.FollowUpPage{}
	page.FollowUps, page.NextCursor = storekit.Page(list, limit, func(x *backend.FollowUp) int64 { return x.ID })
	return page, nil
}
