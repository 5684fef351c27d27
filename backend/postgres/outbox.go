package postgres

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
)

// ClaimOutbox leases up to limit unsent messages that are due at now, oldest
// first, taking only the oldest unsent message of each (ticket, audience,
// recipient) so that a ticket's messages go out in order. Rows another
// claimer has locked are skipped, so two callers never get the same message.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*backend.OutboxMessage, error) {
	if limit <= 0 {
		return []*backend.OutboxMessage{}, nil
	}
	now = norm(now)
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)
	msgs, err := claimMessages(ctx, tx, now, now.Add(lease), limit)
	if err != nil {
		return nil, err
	}
	if err := commit(ctx, tx); err != nil {
		return nil, err
	}
	return msgs, nil
}

// MarkOutboxSent records delivery and appends a notification_sent event;
// marking a sent message again does nothing.
func (s *Store) MarkOutboxSent(ctx context.Context, id int64, at time.Time, note string) error {
	at = orNow(at, s.now())
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
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
	return commit(ctx, tx)
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
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	tag, err := tx.Exec(ctx, rescheduleSQL, next, note, id, attempts)
	if err != nil {
		return dbError(err, "outbox message %d", id)
	}
	if tag.RowsAffected() == 0 {
		if err := messageExists(ctx, tx, id); err != nil {
			return err
		}
	}
	return commit(ctx, tx)
}

// claimSQL locks the due messages that are not leased and have no older
// unsent message in their group, skipping rows other claimers hold, and
// leases them until $2.
const claimSQL = `
WITH due AS (
	SELECT o.id FROM outbox o
	WHERE o.sent_at IS NULL AND o.next_attempt <= $1 AND (o.locked_until IS NULL OR o.locked_until <= $1)
	  AND NOT EXISTS (
		SELECT 1 FROM outbox p
		WHERE p.sent_at IS NULL AND p.ticket_id = o.ticket_id AND p.audience = o.audience
		  AND p.recipient_id = o.recipient_id AND p.platform = o.platform AND p.id < o.id)
	ORDER BY o.id
	LIMIT $3
	FOR UPDATE OF o SKIP LOCKED
)
UPDATE outbox SET locked_until = $2 FROM due WHERE outbox.id = due.id
RETURNING outbox.id, ticket_id, event_id, audience, recipient_id, attempts, next_attempt, sent_at, last_error, created_at, platform, chat`

func claimMessages(ctx context.Context, tx pgx.Tx, now, until time.Time, limit int) ([]*backend.OutboxMessage, error) {
	rows, err := tx.Query(ctx, claimSQL, now, until, limit)
	if err != nil {
		return nil, dbError(err, "claim outbox")
	}
	msgs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.OutboxMessage, error) {
		m := &backend.OutboxMessage{}
		return m, row.Scan(&m.ID, &m.TicketID, &m.EventID, &m.Audience, &m.RecipientID, &m.Attempts,
			timeCol{&m.NextAttempt}, timeCol{&m.SentAt}, &m.LastError, timeCol{&m.CreatedAt}, &m.Platform, &m.Chat)
	})
	if err != nil {
		return nil, dbError(err, "claim outbox")
	}
	if msgs == nil {
		msgs = []*backend.OutboxMessage{}
	}
	slices.SortFunc(msgs, func(a, b *backend.OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
	return msgs, nil
}

const markSentSQL = `
UPDATE outbox SET sent_at = $1, locked_until = NULL WHERE id = $2 AND sent_at IS NULL RETURNING ticket_id`

// markSent marks message id sent and returns its ticket, or 0 if it was
// sent already. A concurrent marker waits for the row and then finds it sent.
func markSent(ctx context.Context, tx pgx.Tx, id int64, at time.Time) (int64, error) {
	var ticketID int64
	err := tx.QueryRow(ctx, markSentSQL, at, id).Scan(&ticketID)
	if err == pgx.ErrNoRows {
		return 0, messageExists(ctx, tx, id)
	}
	return ticketID, dbError(err, "outbox message %d", id)
}

const rescheduleSQL = `
UPDATE outbox SET attempts = attempts + $4, next_attempt = $1, last_error = $2, locked_until = NULL
WHERE id = $3 AND sent_at IS NULL`

// messageExists returns ENOTFOUND if there is no message id.
func messageExists(ctx context.Context, tx pgx.Tx, id int64) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM outbox WHERE id = $1`, id).Scan(&one)
	return dbError(err, "outbox message %d", id)
}
