package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
)

// SeenKey records key until now+ttl and reports whether it was new. An
// expired key counts as new again; expired keys are swept on the way.
func (s *Store) SeenKey(ctx context.Context, key string, now time.Time, ttl time.Duration) (bool, error) {
	now = norm(now)
	tx, err := s.begin(ctx)
	if err != nil {
		return false, err
	}
	defer rollback(ctx, tx)
	if _, err := tx.Exec(ctx, `DELETE FROM seen_keys WHERE expires_at <= $1 AND key <> $2`, now, key); err != nil {
		return false, dbError(err, "seen keys")
	}
	var got string
	err = tx.QueryRow(ctx, `
INSERT INTO seen_keys (key, expires_at) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE seen_keys.expires_at <= $3
RETURNING key`, key, now.Add(ttl), now).Scan(&got)
	first := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, dbError(err, "seen key %q", key)
	}
	return first, commit(ctx, tx)
}

const chatMessageCols = `platform, chat_id, message_id, ticket_id, kind, outbox_id, created_at`

// SaveChatMessage remembers a message a channel sent about a ticket.
func (s *Store) SaveChatMessage(ctx context.Context, m *backend.ChatMessage) error {
	created := orNow(m.CreatedAt, s.now())
	_, err := s.pool.Exec(ctx, `
INSERT INTO chat_messages (`+chatMessageCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (platform, chat_id, message_id) DO UPDATE SET ticket_id = excluded.ticket_id, kind = excluded.kind,
    outbox_id = excluded.outbox_id, created_at = excluded.created_at`,
		m.Platform, m.ChatID, m.MessageID, m.TicketID, m.Kind, nullID(m.OutboxID), created)
	if err != nil {
		return dbError(err, "chat message %s/%s/%s", m.Platform, m.ChatID, m.MessageID)
	}
	m.CreatedAt = created
	return nil
}

func scanChatMessage(row pgx.Row) (*backend.ChatMessage, error) {
	m := &backend.ChatMessage{}
	err := row.Scan(&m.Platform, &m.ChatID, &m.MessageID, &m.TicketID, &m.Kind, idCol{&m.OutboxID}, timeCol{&m.CreatedAt})
	return m, err
}

// ChatMessage finds a remembered message.
func (s *Store) ChatMessage(ctx context.Context, platform, chatID, messageID string) (*backend.ChatMessage, error) {
	m, err := scanChatMessage(s.pool.QueryRow(ctx, `SELECT `+chatMessageCols+` FROM chat_messages
WHERE platform = $1 AND chat_id = $2 AND message_id = $3`, platform, chatID, messageID))
	if err != nil {
		return nil, dbError(err, "chat message %s/%s/%s", platform, chatID, messageID)
	}
	return m, nil
}

// ChatMessagesOf lists a ticket's remembered messages of one kind.
func (s *Store) ChatMessagesOf(ctx context.Context, ticketID int64, platform, kind string) ([]*backend.ChatMessage, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+chatMessageCols+` FROM chat_messages
WHERE ticket_id = $1 AND platform = $2 AND kind = $3 ORDER BY created_at, message_id`, ticketID, platform, kind)
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

// ChatMessageForOutbox finds the message that delivered an outbox message.
func (s *Store) ChatMessageForOutbox(ctx context.Context, platform string, outboxID int64) (*backend.ChatMessage, error) {
	m, err := scanChatMessage(s.pool.QueryRow(ctx, `SELECT `+chatMessageCols+` FROM chat_messages
WHERE platform = $1 AND outbox_id = $2`, platform, outboxID))
	if err != nil {
		return nil, dbError(err, "chat message for outbox %d", outboxID)
	}
	return m, nil
}

// CreateInvite stores an invite and sets inv.ID.
func (s *Store) CreateInvite(ctx context.Context, inv *backend.Invite) error {
	created := orNow(inv.CreatedAt, s.now())
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO invites (hash, role, team_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		inv.Hash, string(inv.Role), nullID(inv.TeamID), created, norm(inv.ExpiresAt)).Scan(&id)
	if err != nil {
		return dbError(err, "invite")
	}
	inv.ID, inv.CreatedAt, inv.ExpiresAt = id, created, norm(inv.ExpiresAt)
	return nil
}

// UseInvite marks an unused, unexpired invite used. The row lock makes
// two concurrent uses succeed at most once.
func (s *Store) UseInvite(ctx context.Context, hash []byte, personID int64, now time.Time) (*backend.Invite, error) {
	now = norm(now)
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)
	inv := &backend.Invite{}
	var role string
	err = tx.QueryRow(ctx, `SELECT id, hash, role, team_id, created_at, expires_at, used_at, used_by FROM invites WHERE hash = $1 FOR UPDATE`, hash).
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
	if _, err := tx.Exec(ctx, `UPDATE invites SET used_at = $1, used_by = $2 WHERE id = $3`, now, personID, inv.ID); err != nil {
		return nil, dbError(err, "invite %d", inv.ID)
	}
	if err := commit(ctx, tx); err != nil {
		return nil, err
	}
	inv.UsedAt, inv.UsedBy = now, personID
	return inv, nil
}
