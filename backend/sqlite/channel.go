package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// SeenKey records key until now+ttl and reports whether it was new. An
// expired key counts as new again; expired keys are swept on the way.
func (s *Store) SeenKey(ctx context.Context, key string, now time.Time, ttl time.Duration) (bool, error) {
	now = norm(now)
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM seen_keys WHERE expires_at <= ? AND key <> ?`, micros(now), key); err != nil {
		return false, dbError(err, "seen keys")
	}
	var got string
	err = tx.QueryRowContext(ctx, `
INSERT INTO seen_keys (key, expires_at) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE seen_keys.expires_at <= ?
RETURNING key`, key, micros(now.Add(ttl)), micros(now)).Scan(&got)
	first := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, dbError(err, "seen key %q", key)
	}
	return first, commit(tx)
}

const chatMessageCols = `platform, chat_id, message_id, ticket_id, kind, outbox_id, created_at`

// SaveChatMessage remembers a message a channel sent about a ticket.
func (s *Store) SaveChatMessage(ctx context.Context, m *backend.ChatMessage) error {
	created := orNow(m.CreatedAt, s.now())
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `
INSERT INTO chat_messages (`+chatMessageCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (platform, chat_id, message_id) DO UPDATE SET ticket_id = excluded.ticket_id, kind = excluded.kind,
    outbox_id = excluded.outbox_id, created_at = excluded.created_at`,
		m.Platform, m.ChatID, m.MessageID, m.TicketID, m.Kind, nullID(m.OutboxID), micros(created))
	if err != nil {
		return dbError(err, "chat message %s/%s/%s", m.Platform, m.ChatID, m.MessageID)
	}
	if err := commit(tx); err != nil {
		return err
	}
	m.CreatedAt = created
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanChatMessage(row scanner) (*backend.ChatMessage, error) {
	m := &backend.ChatMessage{}
	err := row.Scan(&m.Platform, &m.ChatID, &m.MessageID, &m.TicketID, &m.Kind, idCol{&m.OutboxID}, timeCol{&m.CreatedAt})
	return m, err
}

func (s *Store) findChatMessage(ctx context.Context, query string, args []any, format string, fargs ...any) (*backend.ChatMessage, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	m, err := scanChatMessage(tx.QueryRowContext(ctx, query, args...))
	if err != nil {
		return nil, dbError(err, format, fargs...)
	}
	return m, nil
}

// ChatMessage finds a remembered message.
func (s *Store) ChatMessage(ctx context.Context, platform, chatID, messageID string) (*backend.ChatMessage, error) {
	return s.findChatMessage(ctx, `SELECT `+chatMessageCols+` FROM chat_messages WHERE platform = ? AND chat_id = ? AND message_id = ?`,
		[]any{platform, chatID, messageID}, "chat message %s/%s/%s", platform, chatID, messageID)
}

// ChatMessageForOutbox finds the message that delivered an outbox message.
func (s *Store) ChatMessageForOutbox(ctx context.Context, platform string, outboxID int64) (*backend.ChatMessage, error) {
	return s.findChatMessage(ctx, `SELECT `+chatMessageCols+` FROM chat_messages WHERE platform = ? AND outbox_id = ?`,
		[]any{platform, outboxID}, "chat message for outbox %d", outboxID)
}

// ChatMessagesOf lists a ticket's remembered messages of one kind.
func (s *Store) ChatMessagesOf(ctx context.Context, ticketID int64, platform, kind string) ([]*backend.ChatMessage, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+chatMessageCols+` FROM chat_messages
WHERE ticket_id = ? AND platform = ? AND kind = ? ORDER BY created_at, message_id`, ticketID, platform, kind)
	if err != nil {
		return nil, dbError(err, "chat messages of ticket %d", ticketID)
	}
	defer rows.Close()
	out := []*backend.ChatMessage{}
	for rows.Next() {
		m, err := scanChatMessage(rows)
		if err != nil {
			return nil, dbError(err, "chat messages of ticket %d", ticketID)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "chat messages of ticket %d", ticketID)
	}
	return out, nil
}

// CreateInvite stores an invite and sets inv.ID.
func (s *Store) CreateInvite(ctx context.Context, inv *backend.Invite) error {
	created := orNow(inv.CreatedAt, s.now())
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO invites (hash, role, team_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		inv.Hash, string(inv.Role), nullID(inv.TeamID), micros(created), micros(norm(inv.ExpiresAt)))
	if err != nil {
		return dbError(err, "invite")
	}
	id, err := res.LastInsertId()
	if err != nil {
		return dbError(err, "invite")
	}
	if err := commit(tx); err != nil {
		return err
	}
	inv.ID, inv.CreatedAt, inv.ExpiresAt = id, created, norm(inv.ExpiresAt)
	return nil
}

// UseInvite marks an unused, unexpired invite used (writes are serialised).
func (s *Store) UseInvite(ctx context.Context, hash []byte, personID int64, now time.Time) (*backend.Invite, error) {
	now = norm(now)
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	inv := &backend.Invite{}
	var role string
	err = tx.QueryRowContext(ctx, `SELECT id, hash, role, team_id, created_at, expires_at, used_at, used_by FROM invites WHERE hash = ?`, hash).
		Scan(&inv.ID, &inv.Hash, &role, idCol{&inv.TeamID}, timeCol{&inv.CreatedAt}, timeCol{&inv.ExpiresAt}, timeCol{&inv.UsedAt}, idCol{&inv.UsedBy})
	if err != nil {
		return nil, dbError(err, "invite")
	}
	inv.Role = backend.Role(role)
	if !inv.UsedAt.IsZero() {
		return nil, backend.Errorf(backend.ECONFLICT, "invite was used already")
	}
	if !inv.ExpiresAt.After(now) {
		return nil, backend.Errorf(backend.ECONFLICT, "invite has expired")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE invites SET used_at = ?, used_by = ? WHERE id = ?`, micros(now), personID, inv.ID); err != nil {
		return nil, dbError(err, "invite %d", inv.ID)
	}
	if err := commit(tx); err != nil {
		return nil, err
	}
	inv.UsedAt, inv.UsedBy = now, personID
	return inv, nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var list []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, x)
	}
	return list, rows.Err()
}
