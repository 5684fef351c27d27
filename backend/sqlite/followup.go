package sqlite

import (
	"context"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

const (
	insertFollowUpSQL = `
INSERT INTO follow_ups (ticket_id, event_id, rated_at, survey, callback, factors, solved, survey_notes, surveyed_by,
    surveyed_at, outcome, callback_notes, called_by, called_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// The follow-up's ticket, rating and creation stay as stored.
	updateFollowUpSQL = `
UPDATE follow_ups SET rated_at = ?, survey = ?, callback = ?, factors = ?, solved = ?, survey_notes = ?, surveyed_by = ?,
    surveyed_at = ?, outcome = ?, callback_notes = ?, called_by = ?, called_at = ?, updated_at = ?
WHERE id = ? AND ticket_id = ?
RETURNING event_id, created_at`
	followUpSQL = `
SELECT f.id, f.ticket_id, t.number, t.status, f.event_id, f.rated_at, f.survey, f.callback, f.factors, f.solved, f.survey_notes,
    f.surveyed_by, f.surveyed_at, f.outcome, f.callback_notes, f.called_by, f.called_at, f.created_at, f.updated_at
FROM follow_ups f JOIN tickets t ON t.id = f.ticket_id`
	// One statement for every filter: a zero argument turns its
	// condition off.
	followUpsSQL = followUpSQL + `
WHERE (?1 = 0 OR f.ticket_id = ?1)
  AND (?2 = 0 OR f.survey = 'needed' OR f.callback = 'needed')
  AND (?3 = 0 OR t.team_id IS NULL OR t.team_id = ?4 OR t.assignee_id = ?5)
  AND (?6 IS NULL OR f.rated_at >= ?6)
  AND (?7 IS NULL OR f.rated_at < ?7)
  AND (?8 = 0 OR f.id < ?8)
ORDER BY f.id DESC
LIMIT ?9`
)

// writeFollowUp opens f for event eventID of a ticket (ID 0) or saves it,
// and sets what the store decides on f.
func writeFollowUp(ctx context.Context, tx *dbTx, ticketID, eventID int64, f *backend.FollowUp) error {
	factors, err := jsonText(storekit.FactorList(f.Factors))
	if err != nil {
		return err
	}
	if f.ID == 0 {
		res, err := tx.ExecContext(ctx, insertFollowUpSQL, ticketID, eventID, micros(f.RatedAt), string(f.Survey), string(f.Callback),
			factors, f.Solved, f.SurveyNotes, f.SurveyedBy, micros(f.SurveyedAt), string(f.Outcome), f.CallbackNotes, f.CalledBy,
			micros(f.CalledAt), micros(f.CreatedAt), micros(f.UpdatedAt))
		if err != nil {
			return dbError(err, "follow-up of event %d", eventID)
		}
		if f.ID, err = res.LastInsertId(); err != nil {
			return dbError(err, "follow-up of event %d", eventID)
		}
		f.TicketID, f.EventID = ticketID, eventID
		return nil
	}
	err = tx.QueryRowContext(ctx, updateFollowUpSQL, micros(f.RatedAt), string(f.Survey), string(f.Callback), factors, f.Solved,
		f.SurveyNotes, f.SurveyedBy, micros(f.SurveyedAt), string(f.Outcome), f.CallbackNotes, f.CalledBy, micros(f.CalledAt),
		micros(f.UpdatedAt), f.ID, ticketID).Scan(&f.EventID, timeCol{&f.CreatedAt})
	if err != nil {
		return dbError(err, "follow-up %d of ticket %d", f.ID, ticketID)
	}
	f.TicketID = ticketID
	return nil
}

func scanFollowUp(row scanner) (*backend.FollowUp, error) {
	f := &backend.FollowUp{}
	err := row.Scan(&f.ID, &f.TicketID, &f.Number, &f.TicketStatus, &f.EventID, timeCol{&f.RatedAt}, &f.Survey, &f.Callback, jsonCol{&f.Factors},
		&f.Solved, &f.SurveyNotes, &f.SurveyedBy, timeCol{&f.SurveyedAt}, &f.Outcome, &f.CallbackNotes, &f.CalledBy,
		timeCol{&f.CalledAt}, timeCol{&f.CreatedAt}, timeCol{&f.UpdatedAt})
	f.Factors = storekit.Factors(f.Factors)
	return f, err
}

// FollowUp returns a follow-up with its ticket's number.
func (s *Store) FollowUp(ctx context.Context, id int64) (*backend.FollowUp, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	f, err := scanFollowUp(tx.QueryRowContext(ctx, followUpSQL+` WHERE f.id = ?`, id))
	if err != nil {
		return nil, dbError(err, "follow-up %d", id)
	}
	return f, nil
}

// FollowUps lists the follow-ups that match f, newest first.
func (s *Store) FollowUps(ctx context.Context, f backend.FollowUpFilter) (*backend.FollowUpPage, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	limit := storekit.PageLimit(f.Limit)
	rows, err := tx.QueryContext(ctx, followUpsSQL, f.TicketID, f.Open, f.Restrict, f.VisibleTeam, f.VisibleAssignee,
		micros(norm(f.RatedFrom)), micros(norm(f.RatedBefore)), f.After, limit+1)
	if err != nil {
		return nil, dbError(err, "follow-ups")
	}
	list, err := collect(rows, scanFollowUp)
	if err != nil {
		return nil, dbError(err, "follow-ups")
	}
	page := &backend.FollowUpPage{}
	page.FollowUps, page.NextCursor = storekit.Page(list, limit, func(x *backend.FollowUp) int64 { return x.ID })
	return page, nil
}
