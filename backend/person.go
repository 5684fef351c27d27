package backend

import (
	"slices"
	"time"
)

// Role is what a person may do. Permissions come from roles, never from the
// chat a message came from.
type Role string

const (
	RoleReporter       Role = "reporter"        // files tickets, follows their own
	RoleAssistant      Role = "assistant"       // handles the tickets of their team
	RoleManager        Role = "manager"         // sees everything, receives escalations
	RoleInfoSpecialist Role = "info_specialist" // receives the weekly P4 batch
	RoleAdmin          Role = "admin"           // configures deskbot, sees everything
)

// Roles lists every role in order of increasing reach.
var Roles = []Role{RoleReporter, RoleAssistant, RoleInfoSpecialist, RoleManager, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Person is one identity in deskbot, with any number of linked chat accounts.
type Person struct {
	ID        int64
	Name      string
	Roles     []Role
	TeamID    int64  // 0: no team
	Locale    string // "zh-CN" (default) or "en"
	Accounts  []ChatAccount
	CreatedAt time.Time
	// DeactivatedAt is when an admin deactivated the person (deskbot user
	// deactivate): someone who left keeps their name on their tickets
	// but holds no role any more. Zero: active.
	DeactivatedAt time.Time
}

// Active reports whether p has not been deactivated.
func (p *Person) Active() bool { return p.DeactivatedAt.IsZero() }

// HasRole reports whether p holds role r now: a deactivated person holds
// none, so every permission, which comes from roles, is gone with it
// (the console, the chat buttons, the API).
func (p *Person) HasRole(r Role) bool { return p.Active() && slices.Contains(p.Roles, r) }

// SeesAll reports whether p may see every ticket (managers and admins).
func (p *Person) SeesAll() bool { return p.HasRole(RoleManager) || p.HasRole(RoleAdmin) }

// Handles reports whether p may act on tickets as staff (assistant or more).
func (p *Person) Handles() bool { return p.HasRole(RoleAssistant) || p.SeesAll() }

// Validate checks a person before it is stored.
func (p *Person) Validate() error {
	var fe fieldErrors
	if p.Name == "" {
		fe.add("name", Problem{Key: "required"}, "required")
	}
	if len(p.Roles) == 0 {
		fe.add("roles", Problem{Key: "one_role"}, "at least one role is required")
	}
	for _, r := range p.Roles {
		if !r.Valid() {
			fe.add("roles", Problem{Key: "unknown", Args: map[string]any{"Value": string(r)}}, "unknown role %q", r)
		}
	}
	for _, a := range p.Accounts {
		if a.Platform == "" || a.UserID == "" {
			fe.add("accounts", Problem{Key: "account_ids"}, "platform and user id are required")
		}
	}
	return fe.err("person")
}

// ChatAccount links a person to a user on a chat platform.
type ChatAccount struct {
	Platform string // "telegram", "slack", "web"
	UserID   string // the platform's user id
	ChatID   string // where to reach the user privately (DM chat, channel id)
}

// Team is a group of assistants that tickets are routed to.
type Team struct {
	ID     int64
	Name   string
	LeadID int64 // 0: no lead
	// Chats are the team's own triage chats, by platform: "telegram" →
	// a group id ("-1001234567890"), "slack" → a channel id ("C0123").
	// The cards of the team's tickets go there instead of that
	// platform's triage chat (Service.TeamTriage). Nil when it has none.
	Chats map[string]string
}

// Chat is the team's own chat on platform, "" when it has none there.
func (t *Team) Chat(platform string) string {
	if t == nil {
		return ""
	}
	return t.Chats[platform]
}

// APIToken lets a program call the JSON API as a person. Only the SHA-256
// hash of the secret is stored.
type APIToken struct {
	ID        int64
	Name      string
	PersonID  int64
	Hash      []byte
	CreatedAt time.Time
	RevokedAt time.Time // zero: valid (deskbot token revoke)
}
