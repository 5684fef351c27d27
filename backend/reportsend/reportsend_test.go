package reportsend_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/backend/reportsend"
)

var cst = time.FixedZone("CST", 8*3600)

// chat is a platform's chat as the dispatcher meets it: it takes a
// report in two parts (text, chart) and records what went out, failing
// as told.
type chat struct {
	platform string
	mu       sync.Mutex
	got      []string // "<person>:<period>:<part>"
	charts   int
	fail     func(part int) error // nil: no failure
}

func (c *chat) Platform() string { return c.platform }

func (c *chat) SendReport(ctx context.Context, m reportsend.Message) error {
	for part := m.Delivery.Parts; part < 2; part++ {
		c.mu.Lock()
		fail := c.fail
		c.mu.Unlock()
		if fail != nil {
			if err := fail(part); err != nil {
				return err
			}
		}
		c.mu.Lock()
		c.got = append(c.got, m.Person.Name+":"+m.Report.Period.String()+":"+string(rune('0'+part)))
		if part == 1 && bytes.HasPrefix(m.Chart, []byte("\x89PNG")) {
			c.charts++
		}
		c.mu.Unlock()
		if err := m.Sent(ctx, part+1); err != nil {
			return err
		}
	}
	return nil
}

func (c *chat) sent() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.got...)
}

type fixture struct {
	store   backend.Store
	svc     *backend.Service
	now     time.Time
	d       *reportsend.Dispatcher
	tg      *chat
	mail    *chat
	manager *backend.Person
	team    *backend.Team
}

func newFixture(t *testing.T) *fixture {
	ctx := t.Context()
	f := &fixture{store: pgtest.NewStore(t), tg: &chat{platform: "telegram"}, mail: &chat{platform: "email"}}
	// Monday 23 November 2026, 10:00 in Shanghai: last week (2026-W47) and
	// last month (2026-10) are both due.
	f.now = time.Date(2026, 11, 23, 10, 0, 0, 0, cst)
	clock := func() time.Time { return f.now }
	f.svc = backend.NewService(f.store, backend.ServiceConfig{Now: clock, Location: cst})
	f.team = &backend.Team{Name: "tech"}
	if err := f.store.CreateTeam(ctx, f.team); err != nil {
		t.Fatal(err)
	}
	f.manager = f.person(t, "mia", 0, backend.RoleManager, "email", "telegram")
	f.d = reportsend.New(reportsend.Config{Store: f.store, Report: f.svc.Report, Location: cst, Now: clock})
	f.d.Register(f.tg)
	f.d.Register(f.mail)
	return f
}

func (f *fixture) person(t *testing.T, name string, team int64, role backend.Role, platforms ...string) *backend.Person {
	p := &backend.Person{Name: name, Roles: []backend.Role{role}, TeamID: team}
	for _, pl := range platforms {
		p.Accounts = append(p.Accounts, backend.ChatAccount{Platform: pl, UserID: pl + "-" + name, ChatID: pl + "-" + name})
	}
	if err := f.svc.CreatePerson(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) subscribe(t *testing.T, p *backend.Person, kind string, team int64) {
	t.Helper()
	if _, err := f.svc.SubscribeReport(t.Context(), p, kind, team, true); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) tick(t *testing.T) {
	t.Helper()
	if err := f.d.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) deliveries(t *testing.T, p *backend.Person) []*backend.ReportDelivery {
	t.Helper()
	ds, err := f.store.ReportDeliveries(t.Context(), p.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestDue(t *testing.T) {
	d := reportsend.New(reportsend.Config{Location: cst})
	for _, c := range []struct {
		kind string
		at   time.Time
		want string
		due  bool
	}{
		{backend.PeriodWeek, time.Date(2026, 11, 23, 8, 59, 0, 0, cst), "2026-W47", false},
		{backend.PeriodWeek, time.Date(2026, 11, 23, 9, 0, 0, 0, cst), "2026-W47", true},
		{backend.PeriodWeek, time.Date(2026, 11, 29, 23, 0, 0, 0, cst), "2026-W47", true},
		{backend.PeriodMonth, time.Date(2026, 12, 1, 8, 0, 0, 0, cst), "2026-11", false},
		{backend.PeriodMonth, time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC), "2026-11", true}, // 09:00 in Shanghai
		{backend.PeriodWeek, time.Date(2027, 1, 4, 9, 0, 0, 0, cst), "2026-W53", true},
	} {
		p, due := d.Due(c.kind, c.at)
		if p.String() != c.want || due != c.due {
			t.Errorf("Due(%s, %v) = %s, %v; want %s, %v", c.kind, c.at, p, due, c.want, c.due)
		}
	}
}

// TestDispatcher: each subscriber gets each due report once, on the first
// registered platform they have an account on; someone with no account
// and someone who may no longer read the report are given up, said why.
func TestDispatcher(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	amy := f.person(t, "amy", f.team.ID, backend.RoleAssistant, "email")
	noAccount := f.person(t, "nora", 0, backend.RoleManager)
	demoted := f.person(t, "dan", f.team.ID, backend.RoleAssistant, "telegram")
	reporter := &backend.Person{Name: "rita", Roles: []backend.Role{backend.RoleReporter}}
	if err := f.svc.CreatePerson(ctx, reporter); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SubscribeReport(ctx, reporter, backend.PeriodWeek, 0, true); backend.ErrorCode(err) != backend.EFORBIDDEN {
		t.Fatalf("a reporter subscribing: %v, want EFORBIDDEN", err)
	}
	if _, err := f.svc.SubscribeReport(ctx, amy, "day", 0, true); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("subscribing to a daily report: %v, want EINVALID", err)
	}
	f.subscribe(t, f.manager, backend.PeriodWeek, 0)
	f.subscribe(t, f.manager, backend.PeriodMonth, 0)
	f.subscribe(t, amy, backend.PeriodWeek, 0) // an assistant's is their team's
	f.subscribe(t, noAccount, backend.PeriodWeek, 0)
	f.subscribe(t, demoted, backend.PeriodWeek, f.team.ID)
	demoted.Roles = []backend.Role{backend.RoleReporter}
	if err := f.store.UpdatePerson(ctx, demoted); err != nil {
		t.Fatal(err)
	}
	subs, err := f.svc.ReportSubscriptions(ctx, amy)
	if err != nil || len(subs) != 1 || subs[0].TeamID != f.team.ID {
		t.Fatalf("amy's subscriptions: %v, %v; want her team's week", subs, err)
	}

	f.tick(t)
	if got := f.tg.sent(); len(got) != 4 || got[0] != "mia:2026-W47:0" || got[1] != "mia:2026-W47:1" ||
		got[2] != "mia:2026-10:0" || got[3] != "mia:2026-10:1" {
		t.Fatalf("telegram got %v; want mia's week then month, text then chart (telegram registered first)", got)
	}
	if got := f.mail.sent(); len(got) != 2 || got[0] != "amy:2026-W47:0" {
		t.Fatalf("e-mail got %v; want amy's week", got)
	}
	if f.tg.charts != 2 || f.mail.charts != 1 {
		t.Fatalf("charts: telegram %d, e-mail %d; every report carries its PNG", f.tg.charts, f.mail.charts)
	}
	for _, c := range []struct {
		p    *backend.Person
		want string
	}{{noAccount, "no chat account"}, {demoted, "only managers"}} {
		ds := f.deliveries(t, c.p)
		if len(ds) != 1 || ds[0].FailedAt.IsZero() || !bytes.Contains([]byte(ds[0].LastError), []byte(c.want)) {
			t.Fatalf("%s's delivery: %+v; want given up with %q", c.p.Name, ds[0], c.want)
		}
	}
	for _, d := range f.deliveries(t, f.manager) {
		if d.SentAt.IsZero() || d.Parts != 2 {
			t.Fatalf("mia's delivery %s: sent %v, parts %d", d.Period, d.SentAt, d.Parts)
		}
	}

	// Another tick the same week, another replica: nothing more.
	other := reportsend.New(reportsend.Config{Store: f.store, Report: f.svc.Report, Location: cst, Now: func() time.Time { return f.now }})
	other.Register(f.tg)
	f.now = f.now.Add(2 * time.Hour)
	f.tick(t)
	if err := other.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.tg.sent(); len(got) != 4 {
		t.Fatalf("after more ticks telegram got %v", got)
	}

	// Unsubscribed, nothing comes the next week.
	if _, err := f.svc.SubscribeReport(ctx, f.manager, backend.PeriodWeek, 0, false); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.AddDate(0, 0, 7)
	f.tick(t)
	if got := f.tg.sent(); len(got) != 4 {
		t.Fatalf("after unsubscribing telegram got %v", got)
	}
}

// TestDispatcherRetries: a 429 waits retry_after without counting an
// attempt, a failure after the text retries only the chart, and a
// permanent error gives up.
func TestDispatcherRetries(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, f.manager, backend.PeriodWeek, 0)
	calls := 0
	f.tg.fail = func(part int) error {
		calls++
		switch calls {
		case 1:
			return &notify.RetryAfterError{After: 30 * time.Second, Err: errors.New("429")}
		case 3: // the chart, after the text went out
			return errors.New("connection reset")
		}
		return nil
	}
	// Only the week is due (the 1st of the month is long past, so take
	// the month away by not subscribing to it).
	f.tick(t)
	ds := f.deliveries(t, f.manager)
	if len(ds) != 1 || ds[0].Attempts != 0 || !ds[0].NextAttempt.Equal(f.now.Add(30*time.Second)) || len(f.tg.sent()) != 0 {
		t.Fatalf("after a 429: %+v, sent %v; want due again in 30 s, no attempt counted", ds[0], f.tg.sent())
	}
	f.tick(t) // not due yet
	if calls != 1 {
		t.Fatalf("sent again before retry_after: %d calls", calls)
	}
	f.now = f.now.Add(30 * time.Second)
	f.tick(t)
	ds = f.deliveries(t, f.manager)
	if got := f.tg.sent(); len(got) != 1 || ds[0].Parts != 1 || ds[0].Attempts != 1 || ds[0].LastError != "connection reset" {
		t.Fatalf("after the chart failed: sent %v, delivery %+v", got, ds[0])
	}
	f.now = f.now.Add(10 * time.Minute)
	f.tick(t)
	if got := f.tg.sent(); len(got) != 2 || got[1] != "mia:2026-W47:1" {
		t.Fatalf("the retry sent %v; want only the chart after the text", got)
	}
	if ds := f.deliveries(t, f.manager); ds[0].SentAt.IsZero() {
		t.Fatalf("delivery not marked sent: %+v", ds[0])
	}

	// A chat that blocked the bot: given up at once.
	amy := f.person(t, "amy", f.team.ID, backend.RoleAssistant, "telegram")
	f.subscribe(t, amy, backend.PeriodWeek, 0)
	f.tg.fail = func(int) error { return &notify.PermanentError{Err: errors.New("403: bot was blocked by the user")} }
	f.tick(t)
	if ds := f.deliveries(t, amy); len(ds) != 1 || ds[0].FailedAt.IsZero() {
		t.Fatalf("blocked chat: %+v; want given up", ds)
	}
}
