package botkit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// Cards keeps a channel's triage cards in step with their tickets. A card
// is edited when its ticket changes, from whichever side the change came:
// a button on the card (Refresh), or the console, the API or another
// channel (Changed). It remembers the version each ticket's cards last
// showed so the same change is not edited in twice.
//
// A card can be on its way while the ticket changes: the change then finds
// no card to edit. Posted, called once the new card is saved, reads the
// ticket again and brings the card up to date, so no change is lost.
//
// An edit the chat refused (a rate limit, a network error) is reported
// with Failed: the version no longer counts as shown, and the cards are
// edited again a little later, so they do not stay stale until the next
// change.
type Cards struct {
	Store    ChatStore
	Platform string
	Kind     string // the chat message kind of a card
	Log      *slog.Logger
	// Edit shows t on one card.
	Edit func(ctx context.Context, card *backend.ChatMessage, t *backend.Ticket)
	// Off makes Changed do nothing (no triage chat configured).
	Off bool
	// RetryWait is the wait before editing again after a failed edit that
	// names none, doubled for each further failure of the same version;
	// default 2 s.
	RetryWait time.Duration

	mu     sync.Mutex
	seen   map[int64]int64   // ticket id → version last shown on its cards
	failed map[int64]failure // ticket id → the version whose edit failed
	// sending counts the new cards of a ticket on their way (Sending).
	sending map[int64]int
	// editing serialises the edits of a ticket's cards (striped by ticket
	// id), so that an older version's edit cannot land after a newer one's.
	editing [64]sync.Mutex
}

// cardsRemembered bounds the memory of shown versions; forgetting only
// costs an edit that changes nothing.
const cardsRemembered = 10000

// seenLocked is the map of shown versions, started afresh when it is
// missing or full (call with c.mu held).
func (c *Cards) seenLocked() map[int64]int64 {
	if c.seen == nil || len(c.seen) > cardsRemembered {
		c.seen = map[int64]int64{}
	}
	return c.seen
}

func (c *Cards) mark(t *backend.Ticket) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := c.seenLocked()
	seen[t.ID] = max(seen[t.ID], t.Version)
}

// claim marks t as shown unless its cards show t's version or a later one
// already, and reports whether the caller is the one to edit it in: of a
// button's Refresh, Changed in the background and Posted catching up,
// which may all hear of the same change at once, one edits the cards.
// (Checking shown and marking later let two of them edit; the late one
// could then put the card's buttons back over a menu opened meanwhile.)
//
// While a new card of t is on its way (Sending) the edit goes ahead but
// marks nothing: the cards found do not include the new one, which Posted
// must still bring up to date.
func (c *Cards) claim(t *backend.Ticket) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := c.seenLocked()
	if seen[t.ID] >= t.Version {
		return false
	}
	if c.sending[t.ID] > 0 {
		return true
	}
	seen[t.ID] = t.Version
	return true
}

// Sending tells that a new card of the ticket is on its way, for a ticket
// that has cards already (a private card for its new assignee next to the
// previous one's): until done is called, refreshing the cards it has
// does not count a version as shown, so that the refresh after the new
// card is saved (Posted, Refresh) edits it too. Call done once the card
// is saved (or was not sent), before that refresh.
func (c *Cards) Sending(ticketID int64) (done func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sending == nil {
		c.sending = map[int64]int{}
	}
	c.sending[ticketID]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.sending[ticketID]--; c.sending[ticketID] <= 0 {
				delete(c.sending, ticketID)
			}
		})
	}
}

func (c *Cards) shown(t *backend.Ticket) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[t.ID] >= t.Version
}

// Refresh edits every card of t to show t, unless they show it (or a
// later version) already or someone else is editing it in. Edits of one
// ticket's cards run one at a time, so the newest version lands last. A ticket
// without a card yet is not marked as shown: its card, when saved, is
// brought up to date by Posted.
func (c *Cards) Refresh(ctx context.Context, t *backend.Ticket) {
	cards, err := c.Store.ChatMessagesOf(ctx, t.ID, c.Platform, c.Kind)
	if err != nil {
		c.Log.Warn("cannot find the triage cards", "platform", c.Platform, "ticket", t.Number, "err", err)
		return
	}
	if len(cards) == 0 {
		return
	}
	l := &c.editing[uint64(t.ID)%uint64(len(c.editing))]
	l.Lock()
	defer l.Unlock()
	if !c.claim(t) {
		return
	}
	for _, cm := range cards {
		c.Edit(ctx, cm, t)
	}
}

// Posted records that a card showing t was sent and saved, then catches
// up with a change committed while it was on its way.
func (c *Cards) Posted(ctx context.Context, t *backend.Ticket) {
	c.mark(t)
	if cur, err := c.Store.TicketByID(ctx, t.ID); err == nil && cur.Version > t.Version {
		c.Refresh(ctx, cur)
	}
}

// failure is how often the edit of one version of a ticket failed.
type failure struct {
	version int64
	n       int
}

// cardRetries is how often one version's edit is tried again after it
// failed; then only the next change edits the cards.
const cardRetries = 5

// Failed tells that an edit showing t did not land: t no longer counts as
// shown, and the cards are edited again after wait (0: after RetryWait,
// doubled for each failure of this version), at most cardRetries times.
// Call it from Edit.
func (c *Cards) Failed(t *backend.Ticket, wait time.Duration) {
	c.mu.Lock()
	seen := c.seenLocked()
	if seen[t.ID] == t.Version {
		seen[t.ID] = t.Version - 1
	}
	if c.failed == nil || len(c.failed) > cardsRemembered {
		c.failed = map[int64]failure{}
	}
	f := c.failed[t.ID]
	if f.version != t.Version {
		f = failure{version: t.Version}
	}
	f.n++
	c.failed[t.ID] = f
	c.mu.Unlock()
	if f.n > cardRetries {
		c.Log.Warn("triage card left stale after failed edits", "platform", c.Platform, "ticket", t.Number, "tries", f.n)
		return
	}
	if wait <= 0 {
		wait = c.RetryWait
		if wait <= 0 {
			wait = 2 * time.Second
		}
		wait <<= f.n - 1
	}
	c.Log.Debug("triage card edit failed, trying again", "platform", c.Platform, "ticket", t.Number, "wait", wait)
	time.AfterFunc(wait, func() { c.catchUp(t.ID) })
}

// catchUp edits the ticket's cards if they do not show its current
// version.
func (c *Cards) catchUp(ticketID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Read it again: the change may have been overtaken.
	cur, err := c.Store.TicketByID(ctx, ticketID)
	if err == nil && !c.shown(cur) {
		c.Refresh(ctx, cur)
	}
}

// Changed refreshes the cards after a change made elsewhere. Wire it into
// backend.ServiceConfig.Changed (through the channel); it does not block.
func (c *Cards) Changed(t *backend.Ticket) {
	if c.Off || t.Version <= 1 || c.shown(t) {
		return
	}
	go c.catchUp(t.ID)
}
