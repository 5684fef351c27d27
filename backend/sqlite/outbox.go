package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// ClaimOutbox leases up to limit unsent messages that are due at now, oldest
// first, taking only the oldest unsent message of each (ticket, audience,
// recipient) so that a ticket's messages go out in order. Claims run on the
// single writer connection, so two callers never get the same message.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*backend.OutboxMessage, error) {
	if limit <= 0 {
		return []*backend.OutboxMessage{}, nil
	}
	now = norm(now)
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	msgs, err := claimMessages(ctx, tx, now, now.Add(lease), limit)
	if err != nil {
		return nil, err
	}
	if err := commit(tx); err != nil {
		return nil, err
	}
	return msgs, nil
}

// MarkOutboxSent records delivery and appends a notification_sent event;
// marking a sent message again does nothing.
func (s *Store) MarkOutboxSent(ctx context.Context, id int64, at time.Time, note string) error {
	at = orNow(at, s.now())
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ticketID, err := markSent(ctx, tx, id, at)
	if err != nil {
		return err
	}
	if ticketID == 0 { // sent before
		return nil
	}
	e := &backend.Event{TicketID: ticketID, Kind: backend.EventNotificationSent, At: at, Body: note}
	if err := insertEvent(ctx, tx, e); err != nil {
		return err
	}
	return commit(tx)
}

// MarkOutboxRetry records a failed attempt and ends the lease; the message
// is due again at next. A sent message is left alone.
func (s *Store) MarkOutboxRetry(ctx context.Context, id int64, next time.Time, lastErr string) error {
	return s.reschedule(ctx, id, next, lastErr, 1)
}

// DeferOutbox makes message id due at next without counting an attempt.
func (s *Store) DeferOutbox(ctx context.Context, id int64, next time.Time, note string) error {
	return s.reschedule(ctx, id, next, note, 0)
}

func (s *Store) reschedule(ctx context.Context, id int64, next time.Time, note string, attempts int) error {
	next = orNow(next, s.now())
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, rescheduleSQL, attempts, micros(next), note, id)
	if err != nil {
		return dbError(err, "outbox message %d", id)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = messageExists(ctx, tx, id)
		}
		if err != nil {
			return dbError(err, "outbox message %d", id)
		}
	}
	return commit(tx)
}

// claimSQL leases the due messages that are not leased and have no older
// unsent message in their group.
const claimSQL = `
UPDATE outbox SET locked_until = ?
WHERE id IN (
	SELECT o.id FROM outbox o
	WHERE o.sent_at IS NULL AND o.next_attempt <= ? AND (o.locked_until IS NULL OR o.locked_until <= ?)
	  AND NOT EXISTS (
		SELECT 1 FROM outbox p
		WHERE p.sent_at IS NULL AND p.ticket_id = o.ticket_id AND p.audience = o.audience
		  AND p.recipient_id = o.recipient_id AND p.platform = o.platform AND p.id < o.id)
	ORDER BY o.id
	LIMIT ?)
RETURNING id, ticket_id, event_id, audience, recipient_id, attempts, next_attempt, sent_at, last_error, created_at, platform, chat`

func claimMessages(ctx context.Context, tx *dbTx, now, until time.Time, limit int) ([]*backend.OutboxMessage, error) {
	rows, err := tx.QueryContext(ctx, claimSQL, micros(until), micros(now), micros(now), limit)
	if err != nil {
		return nil, dbError(err, "claim outbox")
	}
	defer rows.Close()
	msgs := []*backend.OutboxMessage{}
	for rows.Next() {
		m := &backend.OutboxMessage{}
		if err := rows.Scan(&m.ID, &m.TicketID, &m.EventID, &m.Audience, &m.RecipientID, &m.Attempts,
			timeCol{&m.NextAttempt}, timeCol{&m.SentAt}, &m.LastError, timeCol{&m.CreatedAt}, &m.Platform, &m.Chat); err != nil {
			return nil, dbError(err, "claim outbox")
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "claim outbox")
	}
	slices.SortFunc(msgs, func(a, b *backend.OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
	return msgs, nil
}

const markSentSQL = `
UPDATE outbox SET sent_at = ?, locked_until = NULL WHERE id = ? AND sent_at IS NULL RETURNING ticket_id`

// markSent marks message id sent and returns its ticket, or 0 if it was
// sent already.
func markSent(ctx context.Context, tx *dbTx, id int64, at time.Time) (int64, error) {
	var ticketID int64
	err := tx.QueryRowContext(ctx, markSentSQL, micros(at), id).Scan(&ticketID)
	if err == sql.ErrNoRows {
		return 0, dbError(messageExists(ctx, tx, id), "outbox message %d", id)
	}
	return ticketID, dbError(err, "outbox message %d", id)
}

const rescheduleSQL = `
UPDATE outbox SET attempts = attempts + ?, next_attempt = ?, last_error = ?, locked_until = NULL
WHERE id = ? AND sent_at IS NULL`

const messageExistsSQL = `SELECT 1 FROM outbox WHERE id = ?`

// messageExists returns sql.ErrNoRows if there is no message id.
func messageExists(ctx context.Context, tx *dbTx, id int64) error {
	var one int
	return tx.QueryRowContext(ctx, messageExistsSQL, id).Scan(&one)
}
