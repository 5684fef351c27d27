package notify_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/sqlite"
)

// recorder is a Sender that records what it was given and can fail.
type recorder struct {
	platform string
	mu       sync.Mutex
	sent     []notify.Message
	fail     func(m notify.Message) error
}

func (r *recorder) Platform() string { return r.platform }

func (r *recorder) Send(ctx context.Context, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			return err
		}
	}
	r.sent = append(r.sent, m)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

type env struct {
	store    backend.Store
	svc      *backend.Service
	clock    time.Time
	d        *notify.Dispatcher
	reporter *backend.Person
	staff    *backend.Person
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{store: s, clock: time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)}
	now := func() time.Time { return e.clock }
	e.svc = backend.NewService(s, backend.ServiceConfig{Now: now})
	e.d = notify.New(s, notify.Config{Now: now})
	e.reporter = &backend.Person{Name: "r", Roles: []backend.Role{backend.RoleReporter},
		Accounts: []backend.ChatAccount{{Platform: "telegram", UserID: "1", ChatID: "1"}}}
	e.staff = &backend.Person{Name: "s", Roles: []backend.Role{backend.RoleAssistant}}
	for _, p := range []*backend.Person{e.reporter, e.staff} {
		if err := e.svc.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) ticket(t *testing.T) *backend.Ticket {
	t.Helper()
	tk, err := e.svc.CreateTicket(context.Background(), e.reporter, backend.NewTicket{
		Prefix: "FB", Summary: "会员中心帮帮标识不显示了", CategoryPath: []string{"CRM问题"},
		OccurredAt: e.clock.Add(-time.Hour), Region: "北京", Severity: backend.P3,
		Contacts: backend.Contacts{QQ: "123456"}, Channel: "telegram",
	})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestDispatcher(t *testing.T) {
	ctx := context.Background()

	t.Run("RoutesAndMarks", func(t *testing.T) {
		e := setup(t)
		tg := &recorder{platform: "telegram"}
		e.d.Register(tg, true)
		tk := e.ticket(t)
		if _, err := e.d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if tg.count() != 2 {
			t.Fatalf("sent %d, want reporter ack + triage card", tg.count())
		}
		var sawReporter bool
		for _, m := range tg.sent {
			if m.Outbox.Audience == backend.AudienceReporter {
				sawReporter = m.Account.ChatID == "1" && m.Recipient.ID == e.reporter.ID && m.Event.Kind == backend.EventCreated && m.Ticket.ID == tk.ID
			}
		}
		if !sawReporter {
			t.Fatalf("reporter message not resolved: %+v", tg.sent)
		}
		if n, _ := e.d.DeliverDue(ctx); n != 0 || tg.count() != 2 {
			t.Fatalf("delivered again: claimed %d, sent %d", n, tg.count())
		}
		_, events, _ := e.svc.Thread(ctx, e.staff, tk.Number)
		var notes int
		for _, ev := range events {
			if ev.Kind == backend.EventNotificationSent {
				notes++
			}
		}
		if notes != 2 {
			t.Fatalf("%d notification_sent events, want 2", notes)
		}
	})

	t.Run("RetryAfter", func(t *testing.T) {
		e := setup(t)
		calls := 0
		tg := &recorder{platform: "telegram", fail: func(m notify.Message) error {
			calls++
			if calls == 1 {
				return &notify.RetryAfterError{After: 7 * time.Second, Err: errors.New("429")}
			}
			return nil
		}}
		e.d.Register(tg, false) // no triage sender: the card is undeliverable
		e.ticket(t)
		e.d.DeliverDue(ctx)
		if tg.count() != 0 {
			t.Fatal("sent despite 429")
		}
		e.clock = e.clock.Add(6 * time.Second)
		if e.d.DeliverDue(ctx); tg.count() != 0 {
			t.Fatal("retried before retry_after")
		}
		e.clock = e.clock.Add(2 * time.Second)
		if e.d.DeliverDue(ctx); tg.count() != 1 {
			t.Fatalf("not retried after retry_after: %d", tg.count())
		}
	})

	t.Run("RateLimitedIsNotAFailure", func(t *testing.T) {
		// A busy chat or a long 429 storm defers the message more often
		// than MaxAttempts allows failures; it is still sent in the end,
		// and the waits do not eat into the attempts of real failures.
		e := setup(t)
		limited, failed := 0, 0
		tg := &recorder{platform: "telegram", fail: func(m notify.Message) error {
			switch {
			case limited < 30:
				limited++
				return &notify.RetryAfterError{After: time.Second, Err: errors.New("keeping to the rate limit")}
			case failed < 3:
				failed++
				return errors.New("502 bad gateway")
			}
			return nil
		}}
		e.d.Register(tg, false)
		e.ticket(t)
		for range 40 {
			e.d.DeliverDue(ctx)
			e.clock = e.clock.Add(time.Minute)
		}
		if tg.count() != 1 || limited != 30 || failed != 3 {
			t.Fatalf("sent %d after %d rate limits and %d failures; want the message sent after 30 and 3", tg.count(), limited, failed)
		}
		msgs, err := e.store.ClaimOutbox(ctx, e.clock, time.Minute, 10)
		if err != nil || len(msgs) != 0 {
			t.Fatalf("left in the outbox: %+v (%v)", msgs, err)
		}
	})

	t.Run("RateLimitedForeverIsGivenUp", func(t *testing.T) {
		// Waiting never counts as an attempt, but a message still waiting
		// a day after it was written is given up.
		e := setup(t)
		calls := 0
		tg := &recorder{platform: "telegram", fail: func(notify.Message) error {
			calls++
			return &notify.RetryAfterError{After: time.Hour, Err: errors.New("quota")}
		}}
		e.d.Register(tg, false)
		tk := e.ticket(t)
		for range 40 {
			e.d.DeliverDue(ctx)
			e.clock = e.clock.Add(time.Hour + time.Minute)
		}
		if calls < 24 || calls > 26 {
			t.Fatalf("%d tries in 40 hours, want one an hour for a day", calls)
		}
		_, events, _ := e.svc.Thread(ctx, e.staff, tk.Number)
		if !slices.ContainsFunc(events, func(ev *backend.Event) bool {
			return ev.Kind == backend.EventNotificationSent && strings.Contains(ev.Body, "undeliverable")
		}) {
			t.Fatalf("not given up: %+v", events)
		}
	})

	t.Run("OldButFailingIsRetried", func(t *testing.T) {
		// MaxAge is for messages only waiting for a rate limit: an old
		// message (a backlog after an outage) keeps its attempts.
		e := setup(t)
		failed := 0
		tg := &recorder{platform: "telegram", fail: func(notify.Message) error {
			if failed < 2 {
				failed++
				return errors.New("502 bad gateway")
			}
			return nil
		}}
		e.d.Register(tg, false)
		e.ticket(t)
		e.clock = e.clock.Add(48 * time.Hour)
		for range 5 {
			e.d.DeliverDue(ctx)
			e.clock = e.clock.Add(time.Minute)
		}
		if tg.count() != 1 {
			t.Fatalf("an old message was given up on a server error (sent %d, failed %d)", tg.count(), failed)
		}
	})

	t.Run("PermanentAndUnreachable", func(t *testing.T) {
		e := setup(t)
		tg := &recorder{platform: "telegram", fail: func(notify.Message) error {
			return &notify.PermanentError{Err: errors.New("bot was blocked by the user")}
		}}
		e.d.Register(tg, false)
		tk := e.ticket(t)
		e.d.DeliverDue(ctx)
		e.clock = e.clock.Add(time.Hour)
		if n, _ := e.d.DeliverDue(ctx); n != 0 {
			t.Fatalf("a permanent failure was retried (%d)", n)
		}
		_, events, _ := e.svc.Thread(ctx, e.staff, tk.Number)
		last := events[len(events)-1]
		if last.Kind != backend.EventNotificationSent || last.Body == "" {
			t.Fatalf("give-up not recorded on the ticket: %+v", last)
		}
	})

	// Someone deactivated hears nothing more: their messages are given up
	// at once, with the reason on the ticket, and not retried.
	t.Run("RecipientDeactivated", func(t *testing.T) {
		e := setup(t)
		tg := &recorder{platform: "telegram"}
		e.d.Register(tg, false) // no triage chat: the reporter's receipt only
		tk := e.ticket(t)
		if _, _, err := e.svc.Deactivate(ctx, e.reporter.ID); err != nil {
			t.Fatal(err)
		}
		e.d.DeliverDue(ctx)
		e.clock = e.clock.Add(time.Hour)
		if n, _ := e.d.DeliverDue(ctx); n != 0 || tg.count() != 0 {
			t.Fatalf("sent %d to a deactivated reporter, claimed %d again", tg.count(), n)
		}
		// (The triage card, with no triage chat, is given up too, in
		// either order.)
		_, events, _ := e.svc.Thread(ctx, e.staff, tk.Number)
		if !slices.ContainsFunc(events, func(ev *backend.Event) bool {
			return ev.Kind == backend.EventNotificationSent && strings.Contains(ev.Body, "deactivated")
		}) {
			t.Fatalf("give-up not recorded on the ticket: %+v", events)
		}
	})

	t.Run("OrderPerTicket", func(t *testing.T) {
		e := setup(t)
		tg := &recorder{platform: "telegram"}
		e.d.Register(tg, true)
		tk := e.ticket(t)
		if _, err := e.svc.Claim(ctx, e.staff, tk.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Comment(ctx, e.staff, tk.Number, "正在处理", true); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			e.d.DeliverDue(ctx)
		}
		var kinds []backend.EventKind
		for _, m := range tg.sent {
			if m.Outbox.Audience == backend.AudienceReporter {
				kinds = append(kinds, m.Event.Kind)
			}
		}
		want := []backend.EventKind{backend.EventCreated, backend.EventAssigned, backend.EventComment}
		if len(kinds) != len(want) {
			t.Fatalf("reporter got %v, want %v", kinds, want)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("reporter got %v, want %v in order", kinds, want)
			}
		}
	})
}

func TestDispatcherTriagePerPlatform(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	e.svc = backend.NewService(e.store, backend.ServiceConfig{Now: func() time.Time { return e.clock }, TriagePlatforms: []string{"telegram", "slack"}})
	tg := &recorder{platform: "telegram"}
	calls := 0
	sl := &recorder{platform: "slack", fail: func(m notify.Message) error {
		calls++
		if calls == 1 {
			return errors.New("slack is down")
		}
		return nil
	}}
	e.d.Register(tg, true)
	e.d.Register(sl, true)
	e.ticket(t)
	e.d.DeliverDue(ctx)
	e.clock = e.clock.Add(time.Minute)
	e.d.DeliverDue(ctx)
	e.d.DeliverDue(ctx)
	count := func(r *recorder) (triage int) {
		for _, m := range r.sent {
			if m.Outbox.Audience == backend.AudienceTriage {
				triage++
			}
		}
		return triage
	}
	if count(tg) != 1 || count(sl) != 1 {
		t.Fatalf("triage cards: telegram %d, slack %d; want exactly 1 each even after slack failed once", count(tg), count(sl))
	}
}

// TestDispatcherTeamChat: a triage row naming a team's own chat goes to
// its platform's sender, with the chat, even when that platform has no
// triage chat of its own (registered without triage).
func TestDispatcherTeamChat(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	team := &backend.Team{Name: "tech", Chats: map[string]string{"slack": "CTECH"}}
	if err := e.store.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	e.svc = backend.NewService(e.store, backend.ServiceConfig{Now: func() time.Time { return e.clock },
		TriagePlatforms: []string{"telegram"}, TeamChatPlatforms: []string{"telegram", "slack"},
		Route: func(string, []string) int64 { return team.ID }})
	tg, sl := &recorder{platform: "telegram"}, &recorder{platform: "slack"}
	e.d.Register(tg, true)
	e.d.Register(sl, false)
	e.ticket(t)
	e.d.DeliverDue(ctx)
	chats := func(r *recorder) (out []string) {
		for _, m := range r.sent {
			if m.Outbox.Audience == backend.AudienceTriage {
				out = append(out, m.Outbox.Chat)
			}
		}
		return out
	}
	if got := chats(sl); len(got) != 1 || got[0] != "CTECH" {
		t.Fatalf("slack triage rows to %q, want one to the team's channel CTECH", got)
	}
	if got := chats(tg); len(got) != 1 || got[0] != "" {
		t.Fatalf("telegram triage rows to %q, want one to the triage group", got)
	}
}

// TestDispatcherSource: a source row (the group chat a ticket was
// reported from) goes to its platform's sender with the chat and no
// recipient; one whose platform has no sender, or names the webhook, is
// undeliverable at once. The webhook still gets its row of every event.
func TestDispatcherSource(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	store := e.store.(*sqlite.Store)
	store.Webhook, store.Now = true, func() time.Time { return e.clock }
	tg, sl, hook := &recorder{platform: "telegram"}, &recorder{platform: "slack"}, &recorder{platform: "webhook"}
	e.d.Register(tg, true)
	e.d.Register(sl, false)
	e.d.Register(hook, false)
	file := func(source string) *backend.Ticket {
		t.Helper()
		tk, err := e.svc.CreateTicket(ctx, e.reporter, backend.NewTicket{
			Prefix: "FB", Summary: "会员中心帮帮标识不显示了", CategoryPath: []string{"CRM问题"},
			OccurredAt: e.clock.Add(-time.Hour), Region: "北京", Severity: backend.P3,
			Contacts: backend.Contacts{QQ: "123456"}, Channel: "telegram", Source: source,
		})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	grouped := file("telegram:-1001234567890:42")
	elsewhere := file("discord:C1:7")
	hooked := file("webhook:C1:7")
	if _, err := e.d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	sources := func(r *recorder) (out []notify.Message) {
		for _, m := range r.sent {
			if m.Outbox.Audience == backend.AudienceSource {
				out = append(out, m)
			}
		}
		return out
	}
	got := sources(tg)
	if len(got) != 1 {
		t.Fatalf("telegram got %d source rows, want 1", len(got))
	}
	if m := got[0]; m.Ticket.ID != grouped.ID || m.Outbox.Platform != "telegram" || m.Outbox.Chat != "-1001234567890" ||
		m.Recipient != nil || m.Event.Kind != backend.EventCreated || m.Ticket.Source != grouped.Source {
		t.Fatalf("source row resolved as %+v (outbox %+v)", m, m.Outbox)
	}
	if n := len(sources(sl)) + len(sources(hook)); n != 0 {
		t.Fatalf("%d source rows went to slack or the webhook", n)
	}
	if hook.count() != 3 {
		t.Fatalf("webhook got %d rows, want one per ticket filed", hook.count())
	}
	for _, tk := range []*backend.Ticket{elsewhere, hooked} {
		_, events, err := e.svc.Thread(ctx, e.staff, tk.Number)
		if err != nil {
			t.Fatal(err)
		}
		var undeliverable int
		for _, ev := range events {
			if ev.Kind == backend.EventNotificationSent && strings.HasPrefix(ev.Body, "undeliverable") {
				undeliverable++
			}
		}
		if undeliverable != 1 {
			t.Fatalf("%s (source %s): %d undeliverable notes, want the source row's", tk.Number, tk.Source, undeliverable)
		}
	}
	e.clock = e.clock.Add(time.Hour)
	if n, _ := e.d.DeliverDue(ctx); n != 0 {
		t.Fatalf("%d messages claimed again", n)
	}
}

// blocking is a Sender that waits for release (or its context) before
// it sends, and says when a send has begun.
type blocking struct {
	recorder
	started chan struct{}
	release chan struct{}
}

func (b *blocking) Send(ctx context.Context, m notify.Message) error {
	b.started <- struct{}{}
	select {
	case <-b.release:
		return b.recorder.Send(ctx, m)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestDispatcherShutdown: a message claimed when the process stops is
// either sent within the grace period or released at once for the next
// process, never left leased.
func TestDispatcherShutdown(t *testing.T) {
	run := func(t *testing.T, e *env, s notify.Sender, grace time.Duration) (stop func()) {
		d := notify.New(e.store, notify.Config{Now: func() time.Time { return e.clock }, Grace: grace})
		d.Register(s, true)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			d.Run(ctx)
		}()
		return func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after its context ended")
			}
		}
	}
	unsent := func(t *testing.T, e *env) int {
		n, err := e.d.DeliverDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("SentWithinGrace", func(t *testing.T) {
		e := setup(t)
		e.ticket(t)
		b := &blocking{recorder: recorder{platform: "telegram"}, started: make(chan struct{}, 2), release: make(chan struct{})}
		stop := run(t, e, b, 5*time.Second)
		<-b.started
		go func() {
			time.Sleep(100 * time.Millisecond) // the platform answers after shutdown began
			close(b.release)
		}()
		stop()
		if b.count() != 2 {
			t.Fatalf("sent %d of the 2 claimed messages", b.count())
		}
		e.d.Register(&recorder{platform: "telegram"}, true)
		if n := unsent(t, e); n != 0 {
			t.Fatalf("%d messages sent within the grace period were claimable again", n)
		}
	})

	t.Run("ReleasedAfterGrace", func(t *testing.T) {
		e := setup(t)
		e.ticket(t)
		b := &blocking{recorder: recorder{platform: "telegram"}, started: make(chan struct{}, 2), release: make(chan struct{})}
		stop := run(t, e, b, 50*time.Millisecond)
		<-b.started
		stop() // the platform never answers
		next := &recorder{platform: "telegram"}
		e.d.Register(next, true)
		// The clock has not moved: a message still leased could not be claimed.
		if n := unsent(t, e); n != 2 || next.count() != 2 {
			t.Fatalf("the next process claimed %d and sent %d, want both messages at once", n, next.count())
		}
	})
}

// TestDispatcherObserve: every attempt's outcome is reported (metrics).
func TestDispatcherObserve(t *testing.T) {
	e := setup(t)
	var mu sync.Mutex
	var got []string
	d := notify.New(e.store, notify.Config{Now: func() time.Time { return e.clock }, Observe: func(platform, outcome string, created, now time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if created.IsZero() || now.Before(created) {
			t.Errorf("%s %s: created %s, now %s", platform, outcome, created, now)
		}
		got = append(got, platform+" "+outcome)
	}})
	fails := true
	d.Register(&recorder{platform: "telegram", fail: func(m notify.Message) error {
		if fails && m.Outbox.Audience == backend.AudienceReporter {
			return &notify.RetryAfterError{After: time.Second, Err: errors.New("429")}
		}
		return nil
	}}, true)
	e.ticket(t)
	if _, err := d.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(got)
	if want := []string{"telegram rate_limited", "telegram sent"}; !slices.Equal(got, want) {
		t.Fatalf("observed %v, want %v", got, want)
	}
}

// secondRoute is a recorder for a second route (e-mail, SMS).
type secondRoute struct{ *recorder }

func (secondRoute) SecondRoute() bool { return true }

// A person message that names no platform goes to the person's chat even
// when their e-mail account was linked first and the ticket came from
// another channel; the row naming "email" goes by e-mail; someone with
// only an e-mail account gets both there.
func TestPersonRowsPreferChatToSecondRoute(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	tg, mail := &recorder{platform: "telegram"}, secondRoute{&recorder{platform: "email"}}
	e.d.Register(tg, true)
	e.d.Register(mail, false)
	mgr := &backend.Person{Name: "m", Roles: []backend.Role{backend.RoleManager}, Accounts: []backend.ChatAccount{
		{Platform: "email", UserID: "mgr@example.com"}, {Platform: "telegram", UserID: "42", ChatID: "42"}}}
	mailOnly := &backend.Person{Name: "d", Roles: []backend.Role{backend.RoleManager}, Accounts: []backend.ChatAccount{
		{Platform: "email", UserID: "dir@example.com"}}}
	for _, p := range []*backend.Person{mgr, mailOnly} {
		if err := e.svc.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	tk, err := e.svc.CreateTicket(ctx, e.reporter, backend.NewTicket{
		Prefix: "FB", Summary: "会员中心帮帮标识不显示了", CategoryPath: []string{"CRM问题"},
		OccurredAt: e.clock.Add(-time.Hour), Region: "北京", Severity: backend.P1,
		OrderNumber: "ORD-1", Account: "acct-1", Attachments: []backend.Attachment{{Name: "a.png", ContentType: "image/png", Size: 10, SHA256: "ab"}},
		Contacts: backend.Contacts{QQ: "123456"}, Channel: "web",
	})
	if err != nil {
		t.Fatal(err)
	}
	row := func(p *backend.Person, platform string) *backend.OutboxMessage {
		return &backend.OutboxMessage{Audience: backend.AudiencePerson, RecipientID: p.ID, Platform: platform, CreatedAt: e.clock, NextAttempt: e.clock}
	}
	ch := backend.Change{Event: &backend.Event{Kind: backend.EventEscalation, At: e.clock, Body: "notice created", Data: backend.EventData{Clock: "notice_created"}},
		Notify: []*backend.OutboxMessage{row(mgr, ""), row(mgr, "email"), row(mailOnly, "")}}
	if _, err := e.store.RecordOnce(ctx, "notice:test", tk.ID, []backend.Change{ch}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range []*recorder{tg, mail.recorder} {
		for _, m := range r.sent {
			if m.Outbox.Audience == backend.AudiencePerson {
				got[r.platform] = append(got[r.platform], m.Account.UserID)
			}
		}
	}
	slices.Sort(got["email"])
	if !slices.Equal(got["telegram"], []string{"42"}) || !slices.Equal(got["email"], []string{"dir@example.com", "mgr@example.com"}) {
		t.Fatalf("person rows went %v, want the manager's chat row to telegram 42, the e-mail rows to both addresses", got)
	}
}
