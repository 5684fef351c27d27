package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// Message is one outbox row resolved for delivery.
type Message struct {
	Outbox    *backend.OutboxMessage
	Ticket    *backend.Ticket
	Event     *backend.Event
	Recipient *backend.Person     // nil for the triage, source and webhook audiences
	Account   backend.ChatAccount // where to reach Recipient; empty without one
}

// Sender delivers messages on one platform. Send should return an error
// wrapping a RetryAfterError when the platform asked to slow down, and a
// PermanentError when retrying cannot help (the user blocked the bot).
type Sender interface {
	Platform() string
	Send(ctx context.Context, m Message) error
}

// SecondRoute is implemented by a Sender that is a second route besides
// the chat (e-mail, SMS): a person message that names no platform goes to
// one of their chat accounts, and to a second route only when they have
// no chat account a sender can use. Rows naming its platform go to it.
type SecondRoute interface {
	SecondRoute() bool
}

func isSecondRoute(s Sender) bool {
	r, ok := s.(SecondRoute)
	return ok && r.SecondRoute()
}

// RetryAfterError asks the dispatcher to try again after a given wait
// (Telegram's retry_after, Slack's Retry-After).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
}
func (e *RetryAfterError) Unwrap() error { return e.Err }

// PermanentError marks a failure that retrying will not fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Config holds the Dispatcher's settings; zero values take the defaults.
type Config struct {
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Lease is how long a claimed message is reserved. Default 1 minute.
	Lease time.Duration
	// Batch is how many messages are claimed at once. Default 50.
	Batch int
	// Poll is how often the outbox is checked without a Wake. Default 2 s.
	Poll time.Duration
	// MaxBackoff caps the wait between attempts after errors. Default 10 min.
	MaxBackoff time.Duration
	// MaxAttempts after which a message is given up (and the give-up is
	// recorded on the ticket). Default 20.
	MaxAttempts int
	// MaxAge after which a message that is still only waiting for a rate
	// limit (which does not count as an attempt) is given up too, so a
	// quota that never comes back does not keep it forever. Default 24 h.
	MaxAge time.Duration
	// Grace is how long messages already claimed may still be sent after
	// Run's context ends (shutdown). Whatever is not sent by then is
	// released at once for the next process instead of waiting out its
	// lease. Default 10 s.
	Grace time.Duration
	// Observe, when set, is told every delivery attempt's outcome: "sent",
	// "retry", "rate_limited", "undeliverable" or "released" (metrics).
	Observe func(platform, outcome string, created, now time.Time)
	Logger  *slog.Logger
}

// Dispatcher delivers the outbox through the registered senders.
type Dispatcher struct {
	store   backend.Store
	cfg     Config
	mu      sync.RWMutex
	senders map[string]Sender
	triage  []Sender // in registration order
	wake    chan struct{}
}

// New returns a Dispatcher over store.
func New(store backend.Store, cfg Config) *Dispatcher {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 50
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 20
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{store: store, cfg: cfg, senders: map[string]Sender{}, wake: make(chan struct{}, 1)}
}

// Register adds a platform's sender. With triage set the sender also
// posts to its platform's triage chat: triage rows naming its platform go
// to it, and rows naming none go to the first triage sender registered.
// Triage rows naming a team's chat (OutboxMessage.Chat) go to their
// platform's sender either way, and so do source rows (the group chat a
// ticket was reported from).
func (d *Dispatcher) Register(s Sender, triage bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.senders[s.Platform()] = s
	if triage {
		d.triage = append(d.triage, s)
	}
}

// triageSender picks the sender of a triage row, nil if none can take it.
func (d *Dispatcher) triageSender(platform string) Sender {
	for _, s := range d.triage {
		if platform == "" || s.Platform() == platform {
			return s
		}
	}
	return nil
}

// Wake makes Run look at the outbox now; it never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, on every Wake and every Poll interval.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	for {
		for {
			n, err := d.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				d.cfg.Logger.Warn("outbox: claim failed", "err", err)
			}
			// Claiming takes one message per ticket and recipient: what
			// was delivered may free the next of its conversation, so go
			// on until nothing is due.
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}

// DeliverDue claims one batch of due messages and delivers them
// concurrently (claiming gives at most one message per ticket and
// recipient, so each conversation stays in order). It returns how many it
// claimed. When ctx ends meanwhile, the claimed messages still have
// Config.Grace to go out; the rest are released.
func (d *Dispatcher) DeliverDue(ctx context.Context) (int, error) {
	msgs, err := d.store.ClaimOutbox(ctx, d.cfg.Now(), d.cfg.Lease, d.cfg.Batch)
	if err != nil {
		return 0, err
	}
	sendCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(d.cfg.Grace, cancel) })
	defer stop()
	var wg sync.WaitGroup
	for _, m := range msgs {
		wg.Go(func() { d.deliver(sendCtx, m) })
	}
	wg.Wait()
	return len(msgs), nil
}

// bookkeeping is the context for recording an outcome: it outlives a
// cancelled delivery, so a claimed message is never left leased.
func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func (d *Dispatcher) deliver(ctx context.Context, om *backend.OutboxMessage) {
	log := d.cfg.Logger.With("outbox", om.ID, "ticket_id", om.TicketID, "audience", om.Audience)
	msg, sender, err := d.resolve(ctx, om)
	platform := om.Platform
	if sender != nil {
		platform = sender.Platform()
	}
	observe := func(outcome string) {
		if d.cfg.Observe != nil {
			d.cfg.Observe(platform, outcome, om.CreatedAt, d.cfg.Now())
		}
	}
	if err == nil && sender == nil {
		observe("undeliverable")
		d.finish(ctx, log, om, "undeliverable: no chat account or channel for this recipient")
		return
	}
	if err == nil {
		err = sender.Send(ctx, msg)
		if err == nil {
			observe("sent")
			d.finish(ctx, log, om, fmt.Sprintf("sent via %s to %s", sender.Platform(), om.Audience))
			return
		}
	}
	var perm *PermanentError
	permanent := errors.As(err, &perm)
	if ctx.Err() != nil && !permanent {
		observe("released")
		// Shutting down: hand the message to the next process now.
		bctx, cancel := bookkeeping(ctx)
		defer cancel()
		log.Info("outbox: released at shutdown", "err", err)
		if err := d.store.DeferOutbox(bctx, om.ID, d.cfg.Now(), "released at shutdown: "+err.Error()); err != nil {
			log.Warn("outbox: cannot release; the lease will expire", "err", err)
		}
		return
	}
	// A sender's permanent error stands even at shutdown (part of the
	// message may be in the chat already: sending it again would repeat it).
	waiting := errors.As(err, new(*RetryAfterError)) && !permanent
	tooOld := waiting && d.cfg.Now().Sub(om.CreatedAt) > d.cfg.MaxAge
	if waiting && !tooOld {
		// Waiting is what the platform (or its rate limit) asked for, not a
		// failure: it does not count towards MaxAttempts, so a long 429
		// storm or a busy group delays messages but never drops them.
		observe("rate_limited")
		next := d.cfg.Now().Add(d.backoff(om.Attempts, err))
		log.Info("outbox: rate limited, will send later", "at", next, "err", err)
		if err := d.store.DeferOutbox(ctx, om.ID, next, err.Error()); err != nil {
			log.Warn("outbox: cannot reschedule; the lease will expire", "err", err)
		}
		return
	}
	if permanent || tooOld || om.Attempts+1 >= d.cfg.MaxAttempts {
		observe("undeliverable")
		log.Warn("outbox: giving up", "attempts", om.Attempts+1, "err", err)
		d.finish(ctx, log, om, "undeliverable: "+err.Error())
		return
	}
	observe("retry")
	next := d.cfg.Now().Add(d.backoff(om.Attempts, err))
	log.Info("outbox: will retry", "at", next, "err", err)
	if err := d.store.MarkOutboxRetry(ctx, om.ID, next, err.Error()); err != nil {
		log.Warn("outbox: cannot record retry; the lease will expire", "err", err)
	}
}

func (d *Dispatcher) finish(ctx context.Context, log *slog.Logger, om *backend.OutboxMessage, note string) {
	ctx, cancel := bookkeeping(ctx)
	defer cancel()
	if err := d.store.MarkOutboxSent(ctx, om.ID, d.cfg.Now(), note); err != nil {
		// The message went out but is not marked: the lease expires and it
		// would be sent again, so say so loudly.
		log.Error("outbox: delivered but not marked sent", "err", err)
	}
}

// backoff is the wait before the next attempt: the platform's retry_after
// when it gave one, else exponential from 1 s, capped.
func (d *Dispatcher) backoff(attempts int, err error) time.Duration {
	var ra *RetryAfterError
	if errors.As(err, &ra) && ra.After > 0 {
		return ra.After
	}
	w := time.Duration(math.Pow(2, float64(min(attempts, 20)))) * time.Second
	return min(w, d.cfg.MaxBackoff)
}

// resolve loads what the sender needs and picks the sender. A nil sender
// with a nil error means nobody can be reached for this message.
func (d *Dispatcher) resolve(ctx context.Context, om *backend.OutboxMessage) (Message, Sender, error) {
	m := Message{Outbox: om}
	t, err := d.store.TicketByID(ctx, om.TicketID)
	if err != nil {
		return m, nil, err
	}
	m.Ticket = t
	events, err := d.store.Events(ctx, om.TicketID)
	if err != nil {
		return m, nil, err
	}
	for _, e := range events {
		if e.ID == om.EventID {
			m.Event = e
		}
	}
	if m.Event == nil {
		return m, nil, fmt.Errorf("event %d of ticket %d not found", om.EventID, om.TicketID)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	switch om.Audience {
	case backend.AudienceTriage:
		if om.Chat != "" {
			// A team's own chat: its platform's sender posts there,
			// whether or not the platform has a triage chat.
			return m, d.senders[om.Platform], nil
		}
		return m, d.triageSender(om.Platform), nil
	case backend.AudienceWebhook:
		// Nil (undeliverable) when the webhook is no longer configured.
		return m, d.senders[string(backend.AudienceWebhook)], nil
	case backend.AudienceSource:
		// The group chat the report came from: its platform's chat
		// sender posts there. Nil (undeliverable) when the platform has
		// none, and never the webhook or a second route.
		s := d.senders[om.Platform]
		if s == nil || om.Platform == string(backend.AudienceWebhook) || isSecondRoute(s) {
			return m, nil, nil
		}
		return m, s, nil
	}
	p, err := d.store.Person(ctx, om.RecipientID)
	if err != nil {
		return m, nil, err
	}
	if !p.Active() {
		// Someone who left hears nothing more about the tickets (their
		// chat may no longer be theirs alone).
		return m, nil, &PermanentError{Err: fmt.Errorf("%s (person %d) was deactivated", p.Name, p.ID)}
	}
	m.Recipient = p
	preferred := t.Channel
	if om.Platform != "" {
		preferred = om.Platform
	}
	acct, ok := pickAccount(p, preferred, d.senders)
	if !ok {
		return m, nil, nil
	}
	m.Account = acct
	return m, d.senders[acct.Platform], nil
}

// pickAccount prefers the platform the ticket was filed on (or the one
// the row names), then any chat platform with a sender, then a second
// route (SecondRoute): a person whose e-mail was linked before their
// Telegram account still gets their chat messages on Telegram.
func pickAccount(p *backend.Person, preferred string, senders map[string]Sender) (backend.ChatAccount, bool) {
	for _, a := range p.Accounts {
		if a.Platform == preferred && senders[a.Platform] != nil {
			return a, true
		}
	}
	for _, second := range []bool{false, true} {
		for _, a := range p.Accounts {
			if s := senders[a.Platform]; s != nil && isSecondRoute(s) == second {
				return a, true
			}
		}
	}
	return backend.ChatAccount{}, false
}
