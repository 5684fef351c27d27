package botkit

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
)

// PingKind is the chat message kind of an escalation ping: the event it
// delivered, so the ping can be found and closed when someone
// acknowledges.
func PingKind(eventID int64) string { return "ping:" + strconv.FormatInt(eventID, 10) }

// IsPingKind says whether a chat message kind is an open ping's.
func IsPingKind(kind string) bool {
	_, ok := pingEvent(kind)
	return ok
}

// IsPingMessage says whether a chat message kind is a ping's, open or
// closed.
func IsPingMessage(kind string) bool {
	return IsPingKind(kind) || strings.HasPrefix(kind, "ping-closed:")
}

// pingEvent is the event an open ping's kind names.
func pingEvent(kind string) (int64, bool) {
	rest, ok := strings.CutPrefix(kind, "ping:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil
}

// pingClosedKind marks a ping whose buttons were taken away.
func pingClosedKind(eventID int64) string { return "ping-closed:" + strconv.FormatInt(eventID, 10) }

// ClockStore reads a ticket's SLA clocks (backend.Store implements it).
type ClockStore interface {
	Clocks(ctx context.Context, ticketID int64) ([]*backend.Clock, error)
}

// Pings closes a channel's escalation pings once their clock is
// acknowledged, by anyone, on any platform: each ping of that clock is
// edited to say who acknowledged and loses its buttons, so nobody is left
// with buttons that can only answer "already acknowledged".
type Pings struct {
	Store    ChatStore
	Clocks   ClockStore
	Platform string
	Render   *Renderer
	Log      *slog.Logger
	// Locale is the language of the person a ping went to.
	Locale func(ctx context.Context, ping *backend.ChatMessage) string
	// Close edits one ping to text, without buttons.
	Close func(ctx context.Context, ping *backend.ChatMessage, text string)

	mu     sync.Mutex
	closed map[string]bool // chat/message ids closed by this process
}

// Changed closes the pings of acknowledged clocks in the background; wire
// it into the channel's TicketChanged.
func (p *Pings) Changed(t *backend.Ticket) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p.Sync(ctx, t)
	}()
}

// Posted is called once a ping of t is saved as a chat message: if its
// clock was acknowledged while the ping was on its way, the Sync that the
// acknowledgement caused found no ping to close, so it is closed now.
func (p *Pings) Posted(ctx context.Context, t *backend.Ticket) { p.Sync(ctx, t) }

// Sync closes the pings of t's acknowledged clocks now.
func (p *Pings) Sync(ctx context.Context, t *backend.Ticket) {
	acked, err := p.ackedClocks(ctx, t.ID)
	if err != nil || len(acked) == 0 {
		return
	}
	events, err := p.Store.Events(ctx, t.ID)
	if err != nil {
		p.Log.Warn("cannot read the ticket to close its pings", "ticket", t.Number, "err", err)
		return
	}
	for _, e := range events {
		c := acked[e.Data.Clock]
		if e.Kind != backend.EventEscalation || c == nil || e.At.After(c.AckedAt) {
			continue
		}
		pings, err := p.Store.ChatMessagesOf(ctx, t.ID, p.Platform, PingKind(e.ID))
		if err != nil {
			p.Log.Warn("cannot find the pings", "ticket", t.Number, "err", err)
			continue
		}
		for _, cm := range pings {
			p.close(ctx, t, e, c, cm)
		}
	}
}

// ackedClocks are the clocks whose latest run is acknowledged, by name.
func (p *Pings) ackedClocks(ctx context.Context, ticketID int64) (map[string]*backend.Clock, error) {
	clocks, err := p.Clocks.Clocks(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	latest := map[string]*backend.Clock{}
	for _, c := range clocks {
		if l := latest[c.Name]; l == nil || c.Run > l.Run {
			latest[c.Name] = c
		}
	}
	for name, c := range latest {
		if c.AckedAt.IsZero() {
			delete(latest, name)
		}
	}
	return latest, nil
}

// MarkClosed records that the ping chatID/messageID was closed by the
// button pressed on it, so Sync leaves it alone; it reports whether it
// was closed before.
func (p *Pings) MarkClosed(chatID, messageID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed == nil || len(p.closed) > 10000 {
		p.closed = map[string]bool{}
	}
	key := chatID + "/" + messageID
	done := p.closed[key]
	p.closed[key] = true
	return done
}

// Acknowledged records that the ping chatID/messageID was closed by its
// own Acknowledge button (the channel edits it), here and in the store, so
// no Sync, in this process or another, edits it again.
func (p *Pings) Acknowledged(ctx context.Context, chatID, messageID string) {
	p.MarkClosed(chatID, messageID)
	cm, err := p.Store.ChatMessage(ctx, p.Platform, chatID, messageID)
	if err != nil {
		return
	}
	id, ok := pingEvent(cm.Kind)
	if !ok {
		return
	}
	cm.Kind = pingClosedKind(id)
	if err := p.Store.SaveChatMessage(ctx, cm); err != nil {
		p.Log.Warn("cannot mark a ping closed", "err", err)
	}
}

func (p *Pings) close(ctx context.Context, t *backend.Ticket, e *backend.Event, c *backend.Clock, cm *backend.ChatMessage) {
	if p.MarkClosed(cm.ChatID, cm.MessageID) {
		return
	}
	loc := p.Locale(ctx, cm)
	who := "#" + strconv.FormatInt(c.AckedBy, 10)
	if a, err := p.Store.Person(ctx, c.AckedBy); err == nil {
		who = a.Name
	}
	m := notify.Message{Outbox: &backend.OutboxMessage{Audience: backend.AudiencePerson}, Ticket: t, Event: e}
	text := p.Render.NoticeIn(ctx, loc, m) + "\n\n" + p.Render.Cat.T(loc, "ping.acked", map[string]any{"Who": who})
	p.Close(ctx, cm, text)
	closed := *cm
	closed.Kind = pingClosedKind(e.ID)
	if err := p.Store.SaveChatMessage(ctx, &closed); err != nil {
		p.Log.Warn("cannot mark a ping closed", "ticket", t.Number, "err", err)
	}
}
