package backend

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"
)

// ChatMessage remembers a message a channel sent about a ticket, so that a
// reply to it reaches the ticket, a triage card can be edited as the
// ticket moves, and an outbox message is never sent twice.
type ChatMessage struct {
	Platform  string // "telegram", "slack", …
	ChatID    string
	MessageID string
	TicketID  int64
	// Kind says what the message is: "card" (a triage card), "notice" (a
	// notification), or a channel's own kinds such as "prompt:resolve" (a
	// question whose answer completes an action).
	Kind string
	// OutboxID is the outbox message it delivered; 0 when it delivered none.
	OutboxID  int64
	CreatedAt time.Time
}

// Invite lets a chat account become staff: an admin makes one for a role
// and team, and the person sends its code to a bot. Only the SHA-256 hash
// of the code is stored; an invite is single-use and expires.
type Invite struct {
	ID        int64
	Hash      []byte
	Role      Role
	TeamID    int64 // 0: no team
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until redeemed
	UsedBy    int64     // the person who redeemed it
}

// invitePrefix marks invite codes, so they are recognisable in /start links
// (Telegram allows [A-Za-z0-9_-] up to 64 characters there).
const invitePrefix = "inv_"

// CreateInvite makes a single-use invite for role in team (0: none) valid
// for ttl and returns its code, which is shown once and stored only as a
// hash. EINVALID for an unknown role or a non-positive ttl; ENOTFOUND for
// an unknown team.
func (s *Service) CreateInvite(ctx context.Context, role Role, teamID int64, ttl time.Duration) (string, error) {
	if !role.Valid() || role == RoleReporter {
		return "", Invalid("invalid invite", "role", "must be a staff role", Problem{Key: "staff_role"})
	}
	if ttl <= 0 {
		return "", Invalid("invalid invite", "ttl", "must be positive", Problem{Key: "positive"})
	}
	if err := s.teamExists(ctx, teamID); err != nil {
		return "", err
	}
	raw := make([]byte, 18)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	code := invitePrefix + base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	inv := &Invite{Hash: HashToken(code), Role: role, TeamID: teamID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.store.CreateInvite(ctx, inv); err != nil {
		return "", err
	}
	return code, nil
}

// IsInviteCode reports whether s has the shape of an invite code.
func IsInviteCode(s string) bool {
	return strings.HasPrefix(s, invitePrefix) && len(s) > len(invitePrefix) && len(s) <= 64
}

// RedeemInvite links the chat account to a person (created on first
// contact) and gives them the invite's role and team. ENOTFOUND for an
// unknown code, ECONFLICT for a used or expired one.
func (s *Service) RedeemInvite(ctx context.Context, code string, acct ChatAccount, name, locale string) (*Person, error) {
	if !IsInviteCode(code) {
		return nil, Keyed(ENOTFOUND, "invite", nil, "invite not found")
	}
	p, err := s.ReporterFor(ctx, acct, name, locale)
	if err != nil {
		return nil, err
	}
	inv, err := s.store.UseInvite(ctx, HashToken(code), p.ID, s.now())
	if err != nil {
		return nil, err
	}
	if !p.HasRole(inv.Role) {
		p.Roles = append(p.Roles, inv.Role)
	}
	if inv.TeamID != 0 {
		p.TeamID = inv.TeamID
	}
	if err := s.store.UpdatePerson(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}
