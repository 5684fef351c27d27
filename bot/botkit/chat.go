package botkit

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// ChatStore is the part of backend.Store a chat channel uses besides the
// Service: people and tickets to render, update de-duplication, and the
// record of which chat message belongs to which ticket.
type ChatStore interface {
	Person(ctx context.Context, id int64) (*backend.Person, error)
	PersonByAccount(ctx context.Context, platform, userID string) (*backend.Person, error)
	UpdatePerson(ctx context.Context, p *backend.Person) error
	Ticket(ctx context.Context, number string) (*backend.Ticket, error)
	TicketByID(ctx context.Context, id int64) (*backend.Ticket, error)
	Events(ctx context.Context, ticketID int64) ([]*backend.Event, error)
	SeenKey(ctx context.Context, key string, now time.Time, ttl time.Duration) (bool, error)
	SaveChatMessage(ctx context.Context, m *backend.ChatMessage) error
	ChatMessage(ctx context.Context, platform, chatID, messageID string) (*backend.ChatMessage, error)
	ChatMessagesOf(ctx context.Context, ticketID int64, platform, kind string) ([]*backend.ChatMessage, error)
	ChatMessageForOutbox(ctx context.Context, platform string, outboxID int64) (*backend.ChatMessage, error)
	PeopleWithRole(ctx context.Context, r backend.Role, teamID int64) ([]*backend.Person, error)
	// Team, TeamsByChat and SetTeamChat: the teams' own triage chats
	// (backend.Team.Chats), which a channel serves as its triage chat.
	Team(ctx context.Context, id int64) (*backend.Team, error)
	TeamsByChat(ctx context.Context, platform, chatID string) ([]*backend.Team, error)
	SetTeamChat(ctx context.Context, teamID int64, platform, chatID string) error
	// Secret is backend.Store's: a server secret shared by every replica
	// (the key that signs Telegram's source links).
	Secret(ctx context.Context, name string, value []byte) ([]byte, error)
}

// MagicLinker makes a one-time console sign-in URL for a staff member
// (backend/web.Console); EFORBIDDEN for anyone else.
type MagicLinker interface {
	CreateMagicLink(ctx context.Context, personID int64) (string, error)
}

// TicketLinker is a MagicLinker that can also open a ticket's page after
// the sign-in (backend/web.Console).
type TicketLinker interface {
	CreateTicketLink(ctx context.Context, personID int64, number string) (string, error)
}

// TicketLink is a one-time sign-in URL for a staff member that lands on
// the ticket's console page, or on the console when links cannot.
func TicketLink(ctx context.Context, links MagicLinker, personID int64, number string) (string, error) {
	if tl, ok := links.(TicketLinker); ok {
		return tl.CreateTicketLink(ctx, personID, number)
	}
	return links.CreateMagicLink(ctx, personID)
}

// ConsoleReply is the answer to a staff member's console command (/console
// in Telegram, /ticket console in Slack): a one-time sign-in link, or why
// there is none. err is set only when making the link failed.
func ConsoleReply(ctx context.Context, cat *catalog.Catalog, links MagicLinker, p *backend.Person) (string, error) {
	loc := Locale(p)
	switch {
	case !p.Handles():
		return cat.T(loc, "console.staff_only", nil), nil
	case links == nil:
		return cat.T(loc, "console.off", nil), nil
	}
	url, err := links.CreateMagicLink(ctx, p.ID)
	if err != nil {
		return "", err
	}
	return cat.T(loc, "console.link", map[string]any{"URL": url}), nil
}

// errKeys maps domain error codes to the suffix of a channel's error text
// (<platform>.err.<suffix>); the detail is shown where it helps.
var errKeys = map[string]struct {
	key    string
	detail bool
}{
	backend.ENOTFOUND:    {"not_found", true},
	backend.EFORBIDDEN:   {"forbidden", true},
	backend.ECONFLICT:    {"conflict", true},
	backend.EINVALID:     {"invalid", true},
	backend.EUNAVAILABLE: {"unavailable", false},
}

// keyTexts are the domain errors that chat answers with a text of their
// own, by error key, instead of <prefix>.err.<code> with the error's
// sentence: what to do next, where the buttons to do it are. The text
// gets the error's arguments.
var keyTexts = map[string]string{
	// The assignee pressed Acknowledge on an escalation ping of their own
	// ticket: the chain goes on; the ping's Reassign and Open stay.
	backend.KeyAckOwn: "ping.own",
}

// ErrorText is the chat answer to a failed action, in one place for every
// channel: the text of <prefix>.err.<code> in loc (zh-CN when empty), or
// the chat's own text for the error's key (keyTexts). Internal errors are
// logged and answered with <prefix>.err.internal, so internals never
// reach the chat.
func ErrorText(cat *catalog.Catalog, log *slog.Logger, prefix, loc string, err error) string {
	if loc == "" {
		loc = catalog.ZhCN
	}
	loc = catalog.Normalize(loc)
	var e *backend.Error
	if errors.As(err, &e) && keyTexts[e.Key] != "" {
		return cat.T(loc, keyTexts[e.Key], e.Args)
	}
	code := backend.ErrorCode(err)
	if errors.Is(err, dialogs.ErrUnavailable) {
		code = backend.EUNAVAILABLE
	}
	if k, ok := errKeys[code]; ok {
		var data map[string]any
		if code == backend.EFORBIDDEN && errors.As(err, &e) && e.Key != "" {
			// Why not, in the reader's language: the rule is worth
			// knowing ("only managers read every report").
			k.key = "forbidden_because"
		}
		if k.detail {
			data = map[string]any{"Detail": backend.ErrorText(err, func(id string, d map[string]any) string { return cat.T(loc, id, d) })}
		}
		return cat.T(loc, prefix+".err."+k.key, data)
	}
	log.Error(prefix+": internal error", "err", err)
	return cat.T(loc, prefix+".err.internal", nil)
}

// ReceiptWait is how long a reporter's receipt for a ticket filed through
// a chat's dialog waits by default for the dialog's own "已提交 FB-…" to be
// recorded: the receipt is not sent after it (it would say the same
// again), and goes out if the dialog's answer never went.
const ReceiptWait = 5 * time.Second

// ReceiptPoll is how often the receipt looks again meanwhile (the
// reporter's later notices wait behind it).
const ReceiptPoll = 300 * time.Millisecond

// DialogReceipt decides on m when it is the reporter's receipt for a
// ticket filed through platform's dialog: skip it when said reports the
// dialog's answer recorded, or a RetryAfterError while that answer may
// still come (for wait after the filing; 0: ReceiptWait). For any other
// message, or once the wait is over, it returns false and nil: send it.
// said is only called for such a receipt.
func DialogReceipt(m notify.Message, platform string, now time.Time, wait time.Duration, said func() (bool, error)) (skip bool, err error) {
	if m.Outbox.Audience != backend.AudienceReporter || m.Event.Kind != backend.EventCreated || m.Ticket.Channel != platform {
		return false, nil
	}
	if ok, err := said(); err != nil || ok {
		return ok, err
	}
	if wait <= 0 {
		wait = ReceiptWait
	}
	if left := wait - now.Sub(m.Event.At); left > 0 {
		return false, &notify.RetryAfterError{After: min(left, ReceiptPoll), Err: errors.New(platform + ": waiting for the dialog's own answer")}
	}
	return false, nil
}
