package sla

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/sqlite"
)

// recorder is a Scheduler that keeps the armed timers for the test to fire.
type recorder struct {
	mu     sync.Mutex
	timers []Timer
}

// Arm records timers once each, as River does with UniqueOpts{ByArgs: true}:
// two processes that fire the same step both arm the next one before one
// of them loses the race to save it, and that must not make two timers.
func (r *recorder) Arm(_ context.Context, ts []Timer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range ts {
		if !slices.ContainsFunc(r.timers, func(o Timer) bool { return sameTimer(o, t) }) {
			r.timers = append(r.timers, t)
		}
	}
	return nil
}

func sameTimer(a, b Timer) bool {
	return a.What == b.What && a.TicketID == b.TicketID && a.Clock == b.Clock && a.Run == b.Run &&
		a.Generation == b.Generation && a.Day == b.Day && a.At.Equal(b.At)
}

// take returns and forgets the timers of kind what (all kinds if "").
func (r *recorder) take(what string) []Timer {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out, keep []Timer
	for _, t := range r.timers {
		if what == "" || t.What == what {
			out = append(out, t)
		} else {
			keep = append(keep, t)
		}
	}
	r.timers = keep
	return out
}

type fixture struct {
	ctx                      context.Context
	store                    backend.Store
	svc                      *backend.Service
	eng                      *Engine
	sched                    *recorder
	now                      time.Time
	reporter, assistant, mgr *backend.Person
	director, info           *backend.Person
	tech                     *backend.Team
}

func newFixture(tb testing.TB, store backend.Store) *fixture {
	tb.Helper()
	ctx := context.Background()
	f := &fixture{ctx: ctx, store: store, sched: &recorder{}, now: at("2026-11-23 10:00")}
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	f.tech = &backend.Team{Name: "技术部"}
	must(store.CreateTeam(ctx, f.tech))
	dirs := &backend.Team{Name: "总监组"}
	must(store.CreateTeam(ctx, dirs))
	person := func(name string, team int64, roles ...backend.Role) *backend.Person {
		p := &backend.Person{Name: name, Roles: roles, TeamID: team, Locale: "zh-CN",
			Accounts: []backend.ChatAccount{{Platform: "telegram", UserID: name, ChatID: name}}}
		must(store.CreatePerson(ctx, p))
		return p
	}
	f.reporter = person("reporter", 0, backend.RoleReporter)
	f.assistant = person("assistant", f.tech.ID, backend.RoleAssistant)
	f.mgr = person("manager", f.tech.ID, backend.RoleManager)
	f.director = person("director", dirs.ID, backend.RoleManager)
	// The director also reads e-mail: the second route.
	must(store.LinkAccount(ctx, f.director.ID, backend.ChatAccount{Platform: "email", UserID: "director@example.com"}))
	f.info = person("info", 0, backend.RoleInfoSpecialist)
	pol := defaultPolicyT(tb)
	router := NewRouter(pol.Routing, store, nil)
	must(router.Load(ctx))
	clock := func() time.Time { return f.now }
	f.svc = backend.NewService(store, backend.ServiceConfig{Now: clock, Location: cst, Route: router.Route})
	f.eng = NewEngine(Config{Store: store, Policy: pol, Calendar: newCal(tb), Scheduler: f.sched, Now: clock, SecondRoutes: []string{"email"}})
	return f
}

func newSQLite(tb testing.TB) backend.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "sla.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// claimed files a ticket of severity sev, has the assistant claim it and
// syncs its clocks.
func (f *fixture) claimed(tb testing.TB, sev backend.Severity) *backend.Ticket {
	tb.Helper()
	tk, err := f.svc.Claim(f.ctx, f.assistant, f.file(tb, sev, "功能问题").Number)
	if err != nil {
		tb.Fatal(err)
	}
	f.sync(tb, tk)
	return tk
}

func (f *fixture) file(tb testing.TB, sev backend.Severity, category ...string) *backend.Ticket {
	tb.Helper()
	in := backend.NewTicket{Prefix: "FB", Summary: "会员中心无法下单，客户投诉", CategoryPath: category,
		OccurredAt: f.now.Add(-time.Hour), Region: "北京", Severity: sev, Contacts: backend.Contacts{Phone: "13800138000"}}
	if sev.Important() {
		in.OrderNumber, in.Account = "ORD-1", "acct-1"
		in.Attachments = []backend.Attachment{{Name: "a.png", ContentType: "image/png", Size: 10, SHA256: "ab"}}
	}
	t, err := f.svc.CreateTicket(f.ctx, f.reporter, in)
	if err != nil {
		tb.Fatal(err)
	}
	f.sync(tb, t)
	return t
}

func (f *fixture) sync(tb testing.TB, t *backend.Ticket) {
	tb.Helper()
	if err := f.eng.Sync(f.ctx, t.ID); err != nil {
		tb.Fatal(err)
	}
}

// pings returns the recipients of unsent person messages, claiming them.
func (f *fixture) pings(tb testing.TB) map[int64][]string {
	tb.Helper()
	out := map[int64][]string{}
	for {
		msgs, err := f.store.ClaimOutbox(f.ctx, f.now.Add(time.Minute), time.Hour, 200)
		if err != nil {
			tb.Fatal(err)
		}
		if len(msgs) == 0 {
			return out
		}
		for _, m := range msgs {
			if m.Audience != backend.AudiencePerson {
				continue
			}
			evs, err := f.store.Events(f.ctx, m.TicketID)
			if err != nil {
				tb.Fatal(err)
			}
			for _, e := range evs {
				if e.ID == m.EventID {
					out[m.RecipientID] = append(out[m.RecipientID], e.Body)
				}
			}
			if err := f.store.MarkOutboxSent(f.ctx, m.ID, f.now, "test"); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

func (f *fixture) fire(tb testing.TB, ts ...Timer) {
	tb.Helper()
	for _, t := range ts {
		if err := f.eng.Fire(f.ctx, t); err != nil {
			tb.Fatal(err)
		}
	}
}

func timerOf(tb testing.TB, ts []Timer, f *fixture, ticketID int64, clock string) Timer {
	tb.Helper()
	cs, err := f.store.Clocks(f.ctx, ticketID)
	if err != nil {
		tb.Fatal(err)
	}
	var best *Timer
	for _, t := range ts {
		for _, c := range cs {
			if c.Name == t.Clock && c.Run == t.Run && c.Name == clock && (best == nil || t.Generation > best.Generation) {
				best = &t
			}
		}
	}
	if best == nil {
		tb.Fatalf("no timer for clock %s in %+v", clock, ts)
	}
	return *best // the latest generation
}

// A P1 that nobody claims: notices at creation, the assignee-less warning
// to the triage chat, then the manager at breach, then the director an
// interval later, each exactly once; acknowledging stops the climb.
func TestEscalationP1Unclaimed(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.file(t, backend.P1, "功能问题", "下单")
	if tk.TeamID != f.tech.ID {
		t.Fatalf("routed to team %d, want 技术部 %d", tk.TeamID, f.tech.ID)
	}
	got := f.pings(t)
	if len(got) != 2 || got[f.mgr.ID] == nil || got[f.director.ID] == nil {
		t.Fatalf("creation notices went to %v, want the manager and the director group", got)
	}

	warn := timerOf(t, f.sched.take(TimerWarn), f, tk.ID, "confirm")
	if want := at("2026-11-23 10:48"); !warn.At.Equal(want) {
		t.Fatalf("confirm warning at %s, want %s", warn.At.In(cst), want)
	}
	f.now = warn.At
	f.fire(t, warn, warn)
	if p := f.pings(t); len(p) != 0 {
		t.Fatalf("the warning of an unassigned ticket went to people %v, want the triage chat", p)
	}
	breaches := f.sched.take(TimerBreach)

	breach := timerOf(t, breaches, f, tk.ID, "confirm")
	if want := at("2026-11-23 11:00"); !breach.At.Equal(want) {
		t.Fatalf("confirm breach at %s, want %s", breach.At.In(cst), want)
	}
	f.now = breach.At
	// Two processes fire the same timer at once: one step is written.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := f.eng.Fire(f.ctx, breach); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got = f.pings(t)
	if len(got) != 1 || len(got[f.mgr.ID]) != 1 || got[f.mgr.ID][0] != "confirm breached; step 3: manager; told manager (#"+itoa(f.mgr.ID)+")" {
		t.Fatalf("breach pinged %v, want the manager once (no assignee, no team lead)", got)
	}
	step := f.sched.take(TimerStep)
	if len(step) != 1 || !step[0].At.Equal(at("2026-11-23 12:00")) {
		t.Fatalf("next step %+v, want one at 12:00", step)
	}
	f.now = step[0].At
	f.fire(t, step[0], breach) // the old breach timer is stale now
	got = f.pings(t)
	if len(got) != 1 || len(got[f.director.ID]) != 2 {
		t.Fatalf("step 2 pinged %v, want the director group by chat and e-mail", got)
	}
	if rest := f.sched.take(TimerStep); len(rest) != 0 {
		t.Fatalf("the chain is exhausted but %d more steps were armed", len(rest))
	}

	// The first-handling clock breached too; acknowledging stops its climb.
	fh := timerOf(t, breaches, f, tk.ID, "first_handling")
	f.fire(t, fh)
	f.pings(t)
	if _, err := f.svc.Acknowledge(f.ctx, f.mgr, tk.Number, ""); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.sched.take(TimerStep) {
		f.now = s.At
		f.fire(t, s)
	}
	if p := f.pings(t); len(p) != 0 {
		t.Fatalf("pinged %v after the acknowledgement", p)
	}
	if _, err := f.svc.Acknowledge(f.ctx, f.mgr, tk.Number, ""); backend.ErrorCode(err) != backend.ECONFLICT {
		t.Fatalf("second acknowledgement: %v, want ECONFLICT", err)
	}
	if _, err := f.svc.Acknowledge(f.ctx, f.reporter, tk.Number, ""); backend.ErrorCode(err) != backend.EFORBIDDEN {
		t.Fatalf("reporter acknowledging: %v, want EFORBIDDEN", err)
	}
	evs, err := f.store.Events(f.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []backend.EventKind
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	for _, k := range []backend.EventKind{backend.EventClock, backend.EventEscalation, backend.EventAcknowledged} {
		if !slices.Contains(kinds, k) {
			t.Errorf("thread has no %s event: %v", k, kinds)
		}
	}
}

// An assistant asks the reporter of a ticket nobody holds; the answer puts
// it back to new, so its confirm clock, paused meanwhile, runs again with
// the time it had left and the triage chat can still claim it.
func TestAnswerOnUnclaimedTicketResumesConfirm(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.file(t, backend.P2, "功能问题")
	f.now = at("2026-11-23 10:10")
	tk, err := f.svc.Ask(f.ctx, f.assistant, tk.Number, "请提供订单截图")
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	f.now = at("2026-11-23 10:40")
	tk, err = f.svc.Comment(f.ctx, f.reporter, tk.Number, "截图已补充，订单号 ORD-1", true)
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	if tk.Status != backend.StatusNew || tk.AssigneeID != 0 {
		t.Fatalf("after the answer: %s, assignee %d; want new and nobody", tk.Status, tk.AssigneeID)
	}
	cs, err := f.store.Clocks(f.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	// 2 business hours, 10 minutes used before the question.
	if c := clockNamed(cs, "confirm"); c.State != backend.ClockRunning || !c.DueAt.Equal(at("2026-11-23 12:30")) {
		t.Fatalf("confirm %s due %s, want running, due 12:30", c.State, c.DueAt.In(cst))
	}
	if _, err := f.svc.Claim(f.ctx, f.assistant, tk.Number); err != nil {
		t.Fatalf("claim after the answer: %v", err)
	}
}

// A breach warned, escalated and acknowledged, then the severity lowered:
// the later deadline starts afresh (no breach, step or acknowledgement
// carried over), so it warns and escalates again.
func TestLowerAfterAcknowledgedBreachArmsNewDeadline(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.claimed(t, backend.P2)
	f.pings(t)
	warn := timerOf(t, f.sched.take(TimerWarn), f, tk.ID, "solve")
	f.now = warn.At
	f.fire(t, warn)
	breach := timerOf(t, f.sched.take(TimerBreach), f, tk.ID, "solve")
	f.now = breach.At
	f.fire(t, breach)
	f.pings(t)
	if _, err := f.svc.Acknowledge(f.ctx, f.mgr, tk.Number, "solve"); err != nil {
		t.Fatal(err)
	}
	f.sched.take("")
	tk, err := f.svc.ChangeSeverity(f.ctx, f.mgr, tk.Number, backend.P3)
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	cs, err := f.store.Clocks(f.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := clockNamed(cs, "solve")
	// 3 of 7 workdays used: 4 left from Thursday 10:00.
	if want := at("2026-12-02 10:00"); c.State != backend.ClockRunning || !c.DueAt.Equal(want) {
		t.Fatalf("solve %s due %s, want running, due %s", c.State, c.DueAt.In(cst), want.In(cst))
	}
	if c.Breached() || c.Step != 0 || !c.AckedAt.IsZero() || c.AckedBy != 0 || !c.WarnedAt.IsZero() {
		t.Fatalf("re-planned solve kept breach %v, step %d, ack %v by %d, warned %v", c.BreachedAt, c.Step, c.AckedAt, c.AckedBy, c.WarnedAt)
	}
	var kinds []string
	for _, tm := range f.sched.take("") {
		if tm.Clock == "solve" && tm.Generation == c.Generation {
			kinds = append(kinds, tm.What)
			if tm.What == TimerWarn {
				warn = tm
			}
		}
	}
	if !slices.Equal(kinds, []string{TimerWarn, TimerBreach}) {
		t.Fatalf("armed %v for the new deadline, want a warning and a breach", kinds)
	}
	f.now = warn.At
	f.fire(t, warn)
	breach = timerOf(t, f.sched.take(TimerBreach), f, tk.ID, "solve")
	f.now = breach.At
	f.fire(t, breach)
	if got := f.pings(t); len(got[f.assistant.ID]) != 1 {
		t.Fatalf("the new breach pinged %v, want the assignee (step 1)", got)
	}
}

// Seed 004 §4 "at once": raising a ticket's severity after filing tells
// the targets of the new severity who were not told yet (P3 → P1: the
// director group, not the manager again), once, however often it syncs
// or goes down and up again.
func TestRaiseSeverityTellsNewTargets(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.file(t, backend.P3, "功能问题")
	if got := f.pings(t); len(got) != 1 || len(got[f.mgr.ID]) != 1 {
		t.Fatalf("P3 creation notice went to %v, want the manager", got)
	}
	f.now = at("2026-11-23 10:15")
	tk, err := f.svc.ChangeSeverity(f.ctx, f.assistant, tk.Number, backend.P1)
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	got := f.pings(t)
	want := "notice created; told director (#" + itoa(f.director.ID) + ") +email"
	if len(got) != 1 || len(got[f.director.ID]) != 2 || got[f.director.ID][0] != want {
		t.Fatalf("raising to P1 told %v, want the director group (chat and e-mail) only: %q", got, want)
	}
	f.sync(t, tk)
	for _, sev := range []backend.Severity{backend.P3, backend.P1} {
		f.now = f.now.Add(time.Minute)
		if tk, err = f.svc.ChangeSeverity(f.ctx, f.assistant, tk.Number, sev); err != nil {
			t.Fatal(err)
		}
		f.sync(t, tk)
	}
	if got := f.pings(t); len(got) != 0 {
		t.Fatalf("told %v again", got)
	}
}

// TestLowerSeverityTellsNobodyNew: a ticket lowered after filing is no
// new problem to the lower severity's targets (here the team lead, told
// of P3s but not of P1s).
func TestLowerSeverityTellsNobodyNew(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.file(t, backend.P1, "功能问题")
	if got := f.pings(t); len(got[f.mgr.ID]) != 1 {
		t.Fatalf("P1 creation notice went to %v", got)
	}
	lead := f.techLead(t)
	f.now = at("2026-11-23 10:15")
	tk, err := f.svc.ChangeSeverity(f.ctx, f.assistant, tk.Number, backend.P3)
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	if got := f.pings(t); len(got) != 0 {
		t.Fatalf("lowering to P3 told %v", got)
	}
	// Raised again, to P2: the lead (a P2 target too, never told) hears.
	f.now = at("2026-11-23 10:30")
	if tk, err = f.svc.ChangeSeverity(f.ctx, f.assistant, tk.Number, backend.P2); err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	if got := f.pings(t); len(got) != 1 || len(got[lead.ID]) != 1 {
		t.Fatalf("raising to P2 told %v, want the lead", got)
	}
}

// techLead makes an assistant the lead of the tech team.
func (f *fixture) techLead(t *testing.T) *backend.Person {
	t.Helper()
	lead := &backend.Person{Name: "lead", Roles: []backend.Role{backend.RoleAssistant}, TeamID: f.tech.ID,
		Accounts: []backend.ChatAccount{{Platform: "telegram", UserID: "lead", ChatID: "lead"}}}
	if err := f.store.CreatePerson(f.ctx, lead); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SetTeamLead(f.ctx, f.tech.ID, lead.ID); err != nil {
		t.Fatal(err)
	}
	return lead
}

// TestDeactivatedLeadSkipped: a team lead who left is not told of the
// team's tickets (the team_lead step finds nobody); reactivated, they are.
func TestDeactivatedLeadSkipped(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	lead := f.techLead(t)
	if err := f.store.SetDeactivated(f.ctx, lead.ID, f.now); err != nil {
		t.Fatal(err)
	}
	f.file(t, backend.P3, "功能问题")
	if got := f.pings(t); len(got[lead.ID]) != 0 {
		t.Fatalf("a deactivated lead was told of a P3: %v", got)
	}
	if err := f.store.SetDeactivated(f.ctx, lead.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	f.file(t, backend.P3, "功能问题")
	if got := f.pings(t); len(got[lead.ID]) != 1 {
		t.Fatalf("the reactivated lead was not told of a P3: %v", got)
	}
}

// TestSecondRouteOnly: a manager reached only by e-mail gets one e-mail,
// not a second one for the chat row.
func TestSecondRouteOnly(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	gm := &backend.Person{Name: "gm", Roles: []backend.Role{backend.RoleManager},
		Accounts: []backend.ChatAccount{{Platform: "email", UserID: "gm@example.com"}}}
	if err := f.store.CreatePerson(f.ctx, gm); err != nil {
		t.Fatal(err)
	}
	ev := &backend.Event{Body: "notice created"}
	rows, err := f.eng.pings(f.ctx, ev, []int64{gm.ID, f.director.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, itoa(r.RecipientID)+":"+r.Platform)
	}
	want := []string{itoa(gm.ID) + ":email", itoa(f.director.ID) + ":", itoa(f.director.ID) + ":email"}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q (%s)", got, want, ev.Body)
	}
}

// failingOnce is a store whose next RecordOnce fails.
type failingOnce struct {
	backend.Store
	fail bool
}

func (s *failingOnce) RecordOnce(ctx context.Context, key string, ticketID int64, changes []backend.Change) (bool, error) {
	if s.fail {
		s.fail = false
		return false, errors.New("database gone")
	}
	return s.Store.RecordOnce(ctx, key, ticketID, changes)
}

// A creation notice that fails is not lost: the clocks stay unsaved, and
// the sweep plans them and sends the notice.
func TestCreationNoticeRetriedBySweep(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	store := &failingOnce{Store: f.store, fail: true}
	f.eng = NewEngine(Config{Store: store, Policy: f.eng.cfg.Policy, Calendar: f.eng.cfg.Calendar, Scheduler: f.sched,
		Now: func() time.Time { return f.now }, SecondRoutes: []string{"email"}})
	in := backend.NewTicket{Prefix: "FB", Summary: "支付系统崩溃，无法下单", CategoryPath: []string{"功能问题"},
		OccurredAt: f.now.Add(-time.Hour), Region: "北京", Severity: backend.P1, Contacts: backend.Contacts{Phone: "13800138000"},
		OrderNumber: "ORD-1", Account: "acct-1", Attachments: []backend.Attachment{{Name: "a.png", ContentType: "image/png", Size: 10, SHA256: "ab"}}}
	tk, err := f.svc.CreateTicket(f.ctx, f.reporter, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.eng.Sync(f.ctx, tk.ID); err == nil {
		t.Fatal("sync with a failing notice: no error")
	}
	if err := f.eng.SweepOnce(f.ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.pings(t); len(got[f.mgr.ID]) != 1 || len(got[f.director.ID]) != 2 {
		t.Fatalf("after the sweep told %v, want the manager and the director group", got)
	}
	if cs, err := f.store.Clocks(f.ctx, tk.ID); err != nil || clockNamed(cs, "solve") == nil {
		t.Fatalf("clocks after the sweep: %v %v", cs, err)
	}
}

// told reads who was told from Data.People, and from the body of events
// written before it.
func TestTold(t *testing.T) {
	evs := []*backend.Event{
		{Kind: backend.EventEscalation, Body: "notice created; told 王经理 (#3), 李总监 (#7) +email", Data: backend.EventData{Clock: "notice_created"}},
		{Kind: backend.EventEscalation, Body: "notice created; told x (#9)", Data: backend.EventData{Clock: "notice_created", People: []int64{9, 3}}},
		{Kind: backend.EventEscalation, Body: "notice resolved; told y (#11)", Data: backend.EventData{Clock: "notice_resolved", People: []int64{11}}},
		{Kind: backend.EventComment, Body: "told (#12)"},
	}
	if got := told(evs, "notice_created"); !slices.Equal(got, []int64{3, 7, 9}) {
		t.Fatalf("told %v, want [3 7 9]", got)
	}
}

// Seed 004 F: a breach keeps climbing until someone above the assignee
// acts. The late assignee, pinged first, cannot acknowledge their own
// breach; the manager is told at the next step, and their
// acknowledgement stops the climb.
func TestAssigneeAckDoesNotStopEscalation(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.claimed(t, backend.P1)
	f.pings(t)
	solve := timerOf(t, f.sched.take(TimerBreach), f, tk.ID, "solve")
	f.now = solve.At
	f.fire(t, solve)
	if got := f.pings(t); len(got) != 1 || len(got[f.assistant.ID]) != 1 {
		t.Fatalf("breach pinged %v, want the assignee", got)
	}
	_, err := f.svc.Acknowledge(f.ctx, f.assistant, tk.Number, "solve")
	if backend.ErrorCode(err) != backend.EFORBIDDEN || backend.ErrorKey(err) != backend.KeyAckOwn {
		t.Fatalf("the assignee acknowledging: %v, want EFORBIDDEN %s", err, backend.KeyAckOwn)
	}
	step := timerOf(t, f.sched.take(TimerStep), f, tk.ID, "solve")
	f.now = step.At
	f.fire(t, step)
	if got := f.pings(t); len(got) != 1 || len(got[f.mgr.ID]) != 1 {
		t.Fatalf("next step pinged %v, want the manager", got)
	}
	if _, err := f.svc.Acknowledge(f.ctx, f.mgr, tk.Number, "solve"); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.sched.take(TimerStep) {
		f.now = s.At
		f.fire(t, s)
	}
	if got := f.pings(t); len(got) != 0 {
		t.Fatalf("pinged %v after the manager's acknowledgement", got)
	}
}

// Claiming stops the confirm clock: its timers do nothing. Raising the
// severity re-plans and arms new timers.
func TestEscalationClaimAndReplan(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.file(t, backend.P3, "功能问题")
	f.pings(t)
	old := f.sched.take("")
	f.now = at("2026-11-23 10:30")
	tk, err := f.svc.Claim(f.ctx, f.assistant, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	tk, err = f.svc.ChangeSeverity(f.ctx, f.assistant, tk.Number, backend.P1)
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	f.pings(t) // the P1 notice to the director group (TestRaiseSeverityTellsNewTargets)
	for _, tm := range old {
		f.now = tm.At
		f.fire(t, tm)
	}
	if p := f.pings(t); len(p) != 0 {
		t.Fatalf("stale timers pinged %v", p)
	}
	solve := timerOf(t, f.sched.take(TimerBreach), f, tk.ID, "solve")
	if want := at("2026-11-24 10:00"); !solve.At.Equal(want) {
		t.Fatalf("re-planned solve due %s, want %s (24h calendar from 10:00)", solve.At.In(cst), want)
	}
	f.now = solve.At
	f.fire(t, solve)
	if got := f.pings(t); len(got[f.assistant.ID]) != 1 {
		t.Fatalf("solve breach pinged %v, want the assignee first", got)
	}
}

func TestDigestAndBatch(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	p1 := f.file(t, backend.P1, "功能问题")
	p4 := f.file(t, backend.P4, "建议类")
	f.pings(t)
	if _, err := f.svc.Claim(f.ctx, f.assistant, p1.Number); err != nil {
		t.Fatal(err)
	}
	periodic := f.sched.take(TimerDigest)
	if err := f.eng.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	periodic = append(periodic, f.sched.take(TimerDigest)...)
	if len(periodic) == 0 || !periodic[0].At.Equal(at("2026-11-23 18:00")) || periodic[0].Day != "2026-11-23" {
		t.Fatalf("digest timers %+v, want today 18:00", periodic)
	}
	// The day's progress (seed 004 H): the staff's latest word, not the
	// reporter's.
	f.now = at("2026-11-23 15:00")
	if _, err := f.svc.Comment(f.ctx, f.assistant, p1.Number, "已定位到支付网关超时，\n正在联系供应商", false); err != nil {
		t.Fatal(err)
	}
	f.now = at("2026-11-23 16:00")
	if _, err := f.svc.Comment(f.ctx, f.reporter, p1.Number, "客户还在催", true); err != nil {
		t.Fatal(err)
	}
	f.pings(t)
	f.now = periodic[0].At
	f.fire(t, periodic[0], periodic[0])
	got := f.pings(t)
	if len(got[f.assistant.ID]) != 1 || len(got[f.mgr.ID]) != 1 || len(got[f.director.ID]) != 2 {
		t.Fatalf("digest went to %v, want assignee, manager and director once each", got)
	}
	events, err := f.store.Events(f.ctx, p1.ID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(events, func(e *backend.Event) bool { return e.Data.Clock == "digest" })
	if i < 0 || !strings.HasPrefix(events[i].Body, "digest 2026-11-23; told ") || !strings.HasSuffix(events[i].Body, "\n已定位到支付网关超时， 正在联系供应商") {
		t.Fatalf("the digest event: %q", events[i].Body)
	}
	if next := f.sched.take(TimerDigest); len(next) == 0 || !next[0].At.Equal(at("2026-11-24 18:00")) {
		t.Fatalf("next digest %+v, want tomorrow 18:00", next)
	}
	batch := f.sched.take(TimerBatch)
	if len(batch) == 0 || !batch[0].At.Equal(at("2026-11-30 09:00")) {
		t.Fatalf("batch timers %+v, want Monday 30 Nov 09:00", batch)
	}
	f.now = batch[0].At
	f.fire(t, batch[0], batch[0])
	got = f.pings(t)
	if len(got) != 1 || len(got[f.info.ID]) != 1 {
		t.Fatalf("batch went to %v, want the info specialist once", got)
	}
	_ = p4
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestExplain(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.file(t, backend.P1, "功能问题")
	breach := timerOf(t, f.sched.take(TimerBreach), f, tk.ID, "confirm")
	f.now = breach.At
	f.fire(t, breach)
	// A delay explained to the reporter (seed 002) is part of the story.
	if _, err := f.svc.ExplainDelay(f.ctx, f.mgr, tk.Number, "等供应商\n排查接口", at("2026-11-24 18:00")); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Explain(f.ctx, f.store, tk.Number, cst, &b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{tk.Number, "confirm", "default-2026-11h", "2026-11-23 11:00:00", "step 3: manager; told manager",
		"notice created; told manager", "director (#", "delay", "by #" + strconv.FormatInt(f.mgr.ID, 10) + ": 等供应商 排查接口 (expected by 2026-11-24 18:00:00)"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
}

// A complaint filed through the service (the form's urgency sets its
// severity) shows the deadline its form promised in explain: 2 days after
// filing when urgent, 5 when normal (seed 001).
func TestExplainComplaintDeadline(t *testing.T) {
	for _, tc := range []struct{ urgency, due string }{
		{"urgent", "2026-11-25 10:00:00"},
		{"normal", "2026-11-28 10:00:00"},
	} {
		t.Run(tc.urgency, func(t *testing.T) {
			f := newFixture(t, newSQLite(t))
			tk, err := f.svc.CreateTicket(f.ctx, f.reporter, backend.NewTicket{Prefix: "CP", Form: backend.FormComplaint,
				Summary: "螺丝刀杆上有铁锈，客户要求上门处理", OrderNumber: "20080505003", Contacts: backend.Contacts{Phone: "13800138000"},
				Extra: map[string]string{"customer": "王先生", "requests": "上门处理并给出预防措施", "urgency": tc.urgency}})
			if err != nil {
				t.Fatal(err)
			}
			f.sync(t, tk)
			var b strings.Builder
			if err := Explain(f.ctx, f.store, tk.Number, cst, &b); err != nil {
				t.Fatal(err)
			}
			var solve string
			for _, l := range strings.Split(b.String(), "\n") {
				if strings.HasPrefix(l, "solve ") {
					solve = l
				}
			}
			if !strings.Contains(solve, tc.due) {
				t.Fatalf("solve line %q, want due %s:\n%s", solve, tc.due, b.String())
			}
		})
	}
}

// A complaint also goes at once to its form's targets (seed 001: the
// sales manager, the quality and purchasing managers, the general
// manager): here the managers of 质量部 and 采购部, not their other people;
// a feedback ticket of the same severity does not. Its resolution tells
// them too.
// teamPerson makes a person with role in the team named team, made too
// when there is none.
func (f *fixture) teamPerson(t *testing.T, name, team string, role backend.Role) *backend.Person {
	t.Helper()
	tm := &backend.Team{Name: team}
	teams, err := f.store.Teams(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(teams, func(x *backend.Team) bool { return x.Name == team }); i >= 0 {
		tm = teams[i]
	} else if err := f.store.CreateTeam(f.ctx, tm); err != nil {
		t.Fatal(err)
	}
	p := &backend.Person{Name: name, Roles: []backend.Role{role}, TeamID: tm.ID, Locale: "zh-CN",
		Accounts: []backend.ChatAccount{{Platform: "telegram", UserID: name, ChatID: name}}}
	if err := f.store.CreatePerson(f.ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestComplaintNoticeTargets(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	quality := f.teamPerson(t, "quality", "质量部", backend.RoleManager)
	inspector := f.teamPerson(t, "inspector", "质量部", backend.RoleAssistant)
	purchasing := f.teamPerson(t, "purchasing", "采购部", backend.RoleManager)

	f.file(t, backend.P3, "功能问题")
	if got := f.pings(t); len(got) != 1 || len(got[f.mgr.ID]) != 1 {
		t.Fatalf("a P3 feedback ticket told %v, want its manager only", got)
	}
	tk, err := f.svc.CreateTicket(f.ctx, f.reporter, backend.NewTicket{Prefix: "CP", Form: backend.FormComplaint,
		Summary: "螺丝刀杆上有铁锈，客户要求上门处理", OrderNumber: "20080505003", Contacts: backend.Contacts{Phone: "13800138000"},
		Extra: map[string]string{"customer": "王先生", "requests": "上门处理并给出预防措施"}})
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	got := f.pings(t)
	if len(got) != 2 || len(got[quality.ID]) != 1 || len(got[purchasing.ID]) != 1 || got[inspector.ID] != nil {
		t.Fatalf("a complaint told %v, want the quality manager #%d and the purchasing manager #%d", got, quality.ID, purchasing.ID)
	}
	if !strings.HasPrefix(got[quality.ID][0], "notice created; told ") {
		t.Fatalf("notice %q", got[quality.ID][0])
	}
	f.sync(t, tk)
	if got := f.pings(t); len(got) != 0 {
		t.Fatalf("told %v again", got)
	}
	f.now = f.now.Add(time.Hour)
	if tk, err = f.svc.Resolve(f.ctx, f.mgr, tk.Number, "已上门更换不良品"); err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	if got := f.pings(t); len(got) != 2 || len(got[quality.ID]) != 1 || len(got[purchasing.ID]) != 1 {
		t.Fatalf("the resolution told %v, want the quality and purchasing managers", got)
	}
	// The same people watch its tasks (backend.ServiceConfig.Watchers);
	// a feedback ticket has none.
	if ids, err := f.eng.Watchers(f.ctx, tk); err != nil || !slices.Equal(ids, []int64{quality.ID, purchasing.ID}) {
		t.Fatalf("Watchers = %v, %v; want the quality and purchasing managers", ids, err)
	}
	if ids, err := f.eng.Watchers(f.ctx, &backend.Ticket{ID: tk.ID, Form: "feedback"}); err != nil || len(ids) != 0 {
		t.Fatalf("Watchers of a feedback ticket = %v, %v", ids, err)
	}
}

// TestAccountManagerNotice: a P1 goes to the account managers (客户经理);
// when its customer contact's phone is a customer's of the directory who
// has an account manager, to that one alone, as long as they have not
// left.
func TestAccountManagerNotice(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	own := f.teamPerson(t, "am-own", "客户经理", backend.RoleAssistant)
	other := f.teamPerson(t, "am-other", "客户经理", backend.RoleAssistant)
	told := func(what string, want ...int64) {
		t.Helper()
		got := f.pings(t)
		for _, id := range []int64{f.mgr.ID, f.director.ID} {
			if len(got[id]) == 0 { // the director twice: e-mail too
				t.Fatalf("%s: told %v, want the manager and the director too", what, got)
			}
		}
		for _, id := range []int64{own.ID, other.ID} {
			if (len(got[id]) == 1) != slices.Contains(want, id) {
				t.Fatalf("%s: told %v, want of the account managers %v", what, got, want)
			}
		}
	}
	f.file(t, backend.P1, "功能问题") // 13800138000: no customer of the directory
	told("no customer", own.ID, other.ID)

	if err := f.store.PutCustomers(f.ctx, []*backend.Customer{{Code: "C-1", Name: "华东五金有限公司", Phones: []string{"13800138000"}, OwnerID: own.ID},
		{Code: "C-2", Name: "张先生", Phones: []string{"13900139000"}}}, nil); err != nil {
		t.Fatal(err)
	}
	f.file(t, backend.P1, "功能问题")
	told("the customer's own account manager", own.ID)

	tk, err := f.svc.CreateTicket(f.ctx, f.reporter, backend.NewTicket{Prefix: "FB", Summary: "会员中心无法下单，客户投诉", CategoryPath: []string{"功能问题"},
		OccurredAt: f.now.Add(-time.Hour), Region: "北京", Severity: backend.P1, Contacts: backend.Contacts{Phone: "13900139000"},
		OrderNumber: "ORD-2", Account: "acct-2", Attachments: []backend.Attachment{{Name: "a.png", ContentType: "image/png", Size: 10, SHA256: "ab"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	told("a customer without an account manager", own.ID, other.ID)

	if err := f.store.SetDeactivated(f.ctx, own.ID, f.now); err != nil {
		t.Fatal(err)
	}
	f.file(t, backend.P1, "功能问题")
	told("the account manager left", other.ID)
}

// Lowering a P1 (24h calendar) to P2 (3 workdays) counts the 20 calendar
// hours already used as the 5 business hours they were, through the
// store: due 27 business hours after Monday 17:00, Thursday 17:00.
func TestLowerSeverityCountsUsedTimeInNewUnit(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	f.now = at("2026-11-23 17:00") // Monday
	tk := f.claimed(t, backend.P1)
	f.now = at("2026-11-24 13:00")
	tk, err := f.svc.ChangeSeverity(f.ctx, f.mgr, tk.Number, backend.P2)
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	cs, err := f.store.Clocks(f.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := clockNamed(cs, "solve")
	if want := at("2026-11-26 17:00"); !c.DueAt.Equal(want) || c.Used != 5*time.Hour || c.UsedOther != 20*time.Hour {
		t.Fatalf("solve due %s (used %s, other %s), want %s (5h, 20h)", c.DueAt.In(cst), c.Used, c.UsedOther, want.In(cst))
	}
}

// With routing.assign round_robin a new routed ticket goes to the team's
// assistants in turn; the confirm clock stops as for a claim.
func TestAutoAssign(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	second := &backend.Person{Name: "assistant2", Roles: []backend.Role{backend.RoleAssistant}, TeamID: f.tech.ID}
	if err := f.store.CreatePerson(f.ctx, second); err != nil {
		t.Fatal(err)
	}
	router := NewRouter(RoutingRules{Assign: "round_robin", Rules: f.eng.cfg.Policy.Routing.Rules}, f.store, nil)
	if err := router.Load(f.ctx); err != nil {
		t.Fatal(err)
	}
	system := &backend.Person{Name: "deskbot", Roles: []backend.Role{backend.RoleAdmin}}
	f.eng.cfg.Router = router
	f.eng.cfg.Assign = func(ctx context.Context, tk *backend.Ticket, id int64) error {
		_, err := f.svc.Assign(ctx, system, tk.Number, id)
		return err
	}
	var got []int64
	for range 3 {
		tk := f.file(t, backend.P2, "功能问题")
		tk, err := f.store.Ticket(f.ctx, tk.Number)
		if err != nil {
			t.Fatal(err)
		}
		f.sync(t, tk)
		cs, err := f.store.Clocks(f.ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Dispatched by the router: the confirm clock runs for the
		// assignee until they accept it (filed and dispatched at the
		// same instant here, so on the run that started at filing).
		if c := clockNamed(cs, "confirm"); tk.Status != backend.StatusAssigned || c.State != backend.ClockRunning || !c.DueAt.Equal(at("2026-11-23 12:00")) {
			t.Fatalf("ticket %s, confirm %s due %s; want assigned, running, due 12:00", tk.Status, c.State, c.DueAt.In(cst))
		}
		got = append(got, tk.AssigneeID)
	}
	if want := []int64{f.assistant.ID, second.ID, f.assistant.ID}; !slices.Equal(got, want) {
		t.Fatalf("assignees %v, want %v", got, want)
	}
}

// A policy change applies to new tickets: a ticket planned under v1 is
// re-planned under v1 after the policy became v2.
func TestPolicyVersions(t *testing.T) {
	store := newSQLite(t)
	f := newFixture(t, store)
	if err := f.eng.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	old := f.file(t, backend.P3, "功能问题")

	src := strings.Replace(string(DefaultPolicyYAML()), "version: default-2026-11h", "version: v2", 1)
	src = strings.Replace(src, "    per_assignee: true\n    P1: 1h", "    per_assignee: true\n    P1: 4h", 1)
	v2, err := ParsePolicy([]byte(src), "v2")
	if err != nil {
		t.Fatal(err)
	}
	f.eng = NewEngine(Config{Store: store, Policy: v2, Calendar: newCal(t), Scheduler: f.sched, Now: func() time.Time { return f.now }})
	if err := f.eng.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	fresh := f.file(t, backend.P3, "功能问题")
	for _, tk := range []*backend.Ticket{old, fresh} {
		tk, err := f.svc.ChangeSeverity(f.ctx, f.mgr, tk.Number, backend.P1)
		if err != nil {
			t.Fatal(err)
		}
		f.sync(t, tk)
	}
	budget := func(tk *backend.Ticket) (time.Duration, string) {
		cs, err := store.Clocks(f.ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := clockNamed(cs, "confirm")
		return c.Budget, c.PolicyVersion
	}
	if b, v := budget(old); b != time.Hour || v != "default-2026-11h" {
		t.Fatalf("old ticket: confirm %s under %s, want 1h under the old version", b, v)
	}
	if b, v := budget(fresh); b != 4*time.Hour || v != "v2" {
		t.Fatalf("new ticket: confirm %s under %s, want 4h under v2", b, v)
	}
	// The same version with other content is refused.
	clash, err := ParsePolicy([]byte(strings.Replace(src, "warn_at: 0.8", "warn_at: 0.7", 1)), "clash")
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(Config{Store: store, Policy: clash, Calendar: newCal(t)})
	if err := e.RecordPolicy(f.ctx); err == nil || !strings.Contains(err.Error(), "new version") {
		t.Fatalf("clashing version: %v", err)
	}
}

// The report clock runs from resolution: its warning goes to the assignee,
// its breach climbs the chain, and explain shows it.
func TestReportClockEscalates(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.claimed(t, backend.P1)
	f.now = at("2026-11-23 12:00")
	tk, err := f.svc.Resolve(f.ctx, f.assistant, tk.Number, "重启了下单服务，已恢复")
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	f.pings(t)
	warn := timerOf(t, f.sched.take(TimerWarn), f, tk.ID, "report")
	if want := at("2026-11-23 18:24"); !warn.At.Equal(want) {
		t.Fatalf("report warning at %s, want %s (80%% of 8 h)", warn.At.In(cst), want)
	}
	f.now = warn.At
	f.fire(t, warn)
	breach := timerOf(t, f.sched.take(TimerBreach), f, tk.ID, "report")
	if want := at("2026-11-23 20:00"); !breach.At.Equal(want) {
		t.Fatalf("report breach at %s, want %s", breach.At.In(cst), want)
	}
	f.now = breach.At
	f.fire(t, breach)
	got := f.pings(t)
	if len(got[f.assistant.ID]) != 1 || got[f.assistant.ID][0] != "report breached; step 1: assignee; told assistant (#"+itoa(f.assistant.ID)+")" {
		t.Fatalf("report breach pinged %v, want the assignee", got)
	}
	var b strings.Builder
	if err := Explain(f.ctx, f.store, tk.Number, cst, &b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "report warning") || !strings.Contains(b.String(), "\nreport ") {
		t.Fatalf("explain lacks the report clock:\n%s", b.String())
	}
}

// The escalation chain, interval, groups and notice targets of the policy
// a ticket was filed under apply to it after the policy changed; a new
// ticket gets the new ones.
func TestEscalationFollowsTicketPolicy(t *testing.T) {
	store := newSQLite(t)
	f := newFixture(t, store)
	if err := f.eng.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	old := f.file(t, backend.P1, "功能问题")
	f.pings(t)
	oldBreach := timerOf(t, f.sched.take(TimerBreach), f, old.ID, "confirm")

	src := strings.Replace(string(DefaultPolicyYAML()), "version: default-2026-11h", "version: v2", 1)
	src = strings.Replace(src, "chain: [assignee, team_lead, manager, director_group]\n  interval: 1h",
		"chain: [director_group, manager]\n  interval: 3h", 1)
	src = strings.Replace(src, "  P1: [manager, director_group, account_manager]", "  P1: []", 1)
	v2, err := ParsePolicy([]byte(src), "v2")
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(v2.Chain, f.eng.cfg.Policy.Chain) || v2.Interval == f.eng.cfg.Policy.Interval {
		t.Fatal("the test policy v2 did not change the chain or the interval")
	}
	f.eng = NewEngine(Config{Store: store, Policy: v2, Calendar: newCal(t), Scheduler: f.sched, Now: func() time.Time { return f.now }, SecondRoutes: []string{"email"}})
	if err := f.eng.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	fresh := f.file(t, backend.P1, "功能问题")
	if p := f.pings(t); len(p) != 0 {
		t.Fatalf("a new ticket under v2 (P1 notifies nobody) told %v", p)
	}
	freshBreach := timerOf(t, f.sched.take(TimerBreach), f, fresh.ID, "confirm")

	f.now = oldBreach.At
	f.fire(t, oldBreach)
	got := f.pings(t)
	if len(got) != 1 || len(got[f.mgr.ID]) != 1 || !strings.HasPrefix(got[f.mgr.ID][0], "confirm breached; step 3: manager") {
		t.Fatalf("old ticket's breach pinged %v, want step 3 of the old chain: the manager", got)
	}
	steps := f.sched.take(TimerStep)
	if len(steps) != 1 || !steps[0].At.Equal(oldBreach.At.Add(time.Hour)) {
		t.Fatalf("old ticket's next step %+v, want one after the old interval (1h)", steps)
	}

	f.fire(t, freshBreach)
	got = f.pings(t)
	if len(got) != 1 || len(got[f.director.ID]) != 2 || !strings.HasPrefix(got[f.director.ID][0], "confirm breached; step 1: director_group") {
		t.Fatalf("new ticket's breach pinged %v, want step 1 of v2: the director group", got)
	}
	steps = f.sched.take(TimerStep)
	if len(steps) != 1 || !steps[0].At.Equal(f.now.Add(3*time.Hour)) {
		t.Fatalf("new ticket's next step %+v, want one after v2's interval (3h)", steps)
	}

	for _, tk := range []*backend.Ticket{old, fresh} {
		tk, err := f.svc.Resolve(f.ctx, f.mgr, tk.Number, "已修复下单服务，客户确认")
		if err != nil {
			t.Fatal(err)
		}
		f.sync(t, tk)
	}
	got = f.pings(t)
	want := "notice resolved; told manager (#" + itoa(f.mgr.ID) + "), director (#" + itoa(f.director.ID) + ") +email"
	if len(got) != 2 || len(got[f.mgr.ID]) != 1 || got[f.mgr.ID][0] != want || len(got[f.director.ID]) != 2 {
		t.Fatalf("resolution notices %v, want the old ticket's (old targets: manager, director group) only", got)
	}
}

// Milestones recorded through the service drive the supervisor, report and
// review clocks end to end: the supervisor's breach climbs the chain, the
// report hand-in stops the report clock for good and starts the review.
func TestMilestoneClocksEscalate(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.file(t, backend.P2, "功能问题")
	step := func(do func() (*backend.Ticket, error)) {
		t.Helper()
		got, err := do()
		if err != nil {
			t.Fatal(err)
		}
		f.sync(t, got)
	}
	step(func() (*backend.Ticket, error) { return f.svc.Claim(f.ctx, f.assistant, tk.Number) })
	f.sched.take("")
	f.pings(t)
	if _, err := f.svc.RecordMilestone(f.ctx, f.reporter, tk.Number, backend.MilestoneResourceRequested); backend.ErrorCode(err) != backend.EFORBIDDEN {
		t.Fatalf("reporter recording a milestone: %v, want EFORBIDDEN", err)
	}
	if _, err := f.svc.RecordMilestone(f.ctx, f.assistant, tk.Number, "lunch"); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("unknown milestone: %v, want EINVALID", err)
	}
	step(func() (*backend.Ticket, error) {
		return f.svc.RecordMilestone(f.ctx, f.assistant, tk.Number, backend.MilestoneResourceRequested)
	})
	// The supervisor clock is the manager's duty (owner: manager): the
	// warning and the breach go to the manager, not to the assignee who
	// is waiting for them, and the chain climbs on to the director group.
	warn := timerOf(t, f.sched.take(TimerWarn), f, tk.ID, "supervisor")
	if want := at("2026-11-23 14:48"); !warn.At.Equal(want) {
		t.Fatalf("supervisor warning at %s, want %s (80%% of 6 business hours)", warn.At.In(cst), want)
	}
	f.now = warn.At
	f.fire(t, warn)
	if got := f.pings(t); len(got) != 1 || !slices.Equal(got[f.mgr.ID], []string{"supervisor warning"}) {
		t.Fatalf("supervisor warning went to %v, want the manager (#%d)", got, f.mgr.ID)
	}
	breach := timerOf(t, f.sched.take(TimerBreach), f, tk.ID, "supervisor")
	if want := at("2026-11-23 16:00"); !breach.At.Equal(want) { // requested at 10:00
		t.Fatalf("supervisor breach at %s, want %s (6 business hours)", breach.At.In(cst), want)
	}
	f.now = breach.At
	f.fire(t, breach)
	if got := f.pings(t); len(got) != 1 || len(got[f.mgr.ID]) != 1 || !strings.HasPrefix(got[f.mgr.ID][0], "supervisor breached; step 3: manager; told manager") {
		t.Fatalf("supervisor breach pinged %v, want the manager (#%d) first", got, f.mgr.ID)
	}
	next := timerOf(t, f.sched.take(TimerStep), f, tk.ID, "supervisor")
	f.now = next.At
	f.fire(t, next)
	if got := f.pings(t); len(got[f.director.ID]) != 2 || !strings.HasPrefix(got[f.director.ID][0], "supervisor breached; step 4: director_group") {
		t.Fatalf("supervisor step after the manager pinged %v, want the director group", got)
	}
	f.now = at("2026-11-23 17:30")
	step(func() (*backend.Ticket, error) {
		return f.svc.RecordMilestone(f.ctx, f.mgr, tk.Number, backend.MilestoneResourcesArranged)
	})
	state := func(name string) (backend.ClockState, int) {
		cs, err := f.store.Clocks(f.ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := clockNamed(cs, name)
		if c == nil {
			return "", 0
		}
		return c.State, c.Run
	}
	if s, _ := state("supervisor"); s != backend.ClockStopped {
		t.Fatalf("supervisor %s after resources were arranged", s)
	}
	f.now = at("2026-11-24 10:00")
	step(func() (*backend.Ticket, error) {
		return f.svc.Resolve(f.ctx, f.assistant, tk.Number, "补充了服务器资源，已恢复")
	})
	f.now = at("2026-11-24 11:00")
	step(func() (*backend.Ticket, error) {
		return f.svc.RecordMilestone(f.ctx, f.assistant, tk.Number, backend.MilestoneReportSubmitted)
	})
	if s, _ := state("report"); s != backend.ClockStopped {
		t.Fatalf("report %s after the hand-in", s)
	}
	if s, _ := state("review"); s != backend.ClockRunning {
		t.Fatalf("review %s after the hand-in, want running", s)
	}
	f.now = at("2026-11-24 11:30")
	step(func() (*backend.Ticket, error) {
		return f.svc.Comment(f.ctx, f.assistant, tk.Number, "报告已提交主管审核", false)
	})
	if s, run := state("report"); s != backend.ClockStopped || run != 1 {
		t.Fatalf("report run %d %s after a later change, want run 1 stopped", run, s)
	}
	var b strings.Builder
	if err := Explain(f.ctx, f.store, tk.Number, cst, &b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nsupervisor ", "\nreview ", "supervisor warning (due 2026-11-23 16:00:00); told manager (#" + itoa(f.mgr.ID) + ")",
		"supervisor breached; step 3: manager; told manager (#" + itoa(f.mgr.ID) + ")", "review started",
		"sla_milestone      report_submitted by #" + itoa(f.assistant.ID)} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("explain lacks %q:\n%s", want, b.String())
		}
	}
}

// A process that stops between a change and its clock update leaves the
// ticket behind its clocks; the sweep catches it up, resolved tickets
// included: their report and review clocks run after resolution.
func TestSweepCatchesUpResolved(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.claimed(t, backend.P2)
	state := func(name string) backend.ClockState {
		t.Helper()
		cs, err := f.store.Clocks(f.ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c := clockNamed(cs, name); c != nil {
			return c.State
		}
		return ""
	}
	// Resolved and reported, neither synced (the process stopped each time).
	f.now = at("2026-11-24 10:00")
	if _, err := f.svc.Resolve(f.ctx, f.assistant, tk.Number, "补充了服务器资源，已恢复"); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.SweepOnce(f.ctx); err != nil {
		t.Fatal(err)
	}
	if s := state("report"); s != backend.ClockRunning {
		t.Fatalf("report clock %q after the sweep, want running", s)
	}
	f.now = at("2026-11-24 11:00")
	if _, err := f.svc.RecordMilestone(f.ctx, f.assistant, tk.Number, backend.MilestoneReportSubmitted); err != nil {
		t.Fatal(err)
	}
	if s := state("review"); s != "" {
		t.Fatalf("review clock %q before any sync", s)
	}
	if err := f.eng.SweepOnce(f.ctx); err != nil {
		t.Fatal(err)
	}
	if s := state("review"); s != backend.ClockRunning {
		t.Fatalf("review clock %q after the sweep, want running", s)
	}
	if s := state("report"); s != backend.ClockStopped {
		t.Fatalf("report clock %q after the sweep, want stopped", s)
	}
	// A month later the sweep no longer looks at it.
	f.now = at("2026-12-30 11:00")
	if _, err := f.svc.Comment(f.ctx, f.assistant, tk.Number, "内部备注", false); err != nil {
		t.Fatal(err)
	}
	f.now = at("2027-02-01 11:00")
	ids, err := f.store.UnsyncedTickets(f.ctx, f.now.Add(-sweepResolved), 10)
	if err != nil || len(ids) != 0 {
		t.Fatalf("unsynced a month after the last change: %v %v", ids, err)
	}
}

// A clock whose owner has nobody (the ticket's team has no manager): the warning goes to the assignee as for any clock, and the
// breach climbs from the owner's step, or, when nobody is found from
// there up, from the start of the chain.
func TestOwnerFallsBack(t *testing.T) {
	for _, tc := range []struct {
		name, chain string
		step        string
		to          func(f *fixture) int64
	}{
		{"OK", "", "supervisor breached; step 4: director_group", func(f *fixture) int64 { return f.director.ID }},
		{"NobodyUp", "chain: [assignee, team_lead, manager]", "supervisor breached; step 1: assignee", func(f *fixture) int64 { return f.assistant.ID }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, newSQLite(t))
			if tc.chain != "" {
				src := strings.Replace(string(DefaultPolicyYAML()), "chain: [assignee, team_lead, manager, director_group]", tc.chain, 1)
				pol, err := ParsePolicy([]byte(src), "policy.yaml")
				if err != nil {
					t.Fatal(err)
				}
				f.eng = NewEngine(Config{Store: f.store, Policy: pol, Calendar: newCal(t), Scheduler: f.sched, Now: func() time.Time { return f.now }})
			}
			// 技术部's manager moves on: the ticket's team has no manager,
			// and there is no manager without a team.
			ops := &backend.Team{Name: "运维部"}
			if err := f.store.CreateTeam(f.ctx, ops); err != nil {
				t.Fatal(err)
			}
			f.mgr.TeamID = ops.ID
			if err := f.store.UpdatePerson(f.ctx, f.mgr); err != nil {
				t.Fatal(err)
			}
			tk, err := f.svc.Claim(f.ctx, f.assistant, f.file(t, backend.P2, "功能问题").Number)
			if err != nil {
				t.Fatal(err)
			}
			f.sync(t, tk)
			if tk, err = f.svc.RecordMilestone(f.ctx, f.assistant, tk.Number, backend.MilestoneResourceRequested); err != nil {
				t.Fatal(err)
			}
			f.sync(t, tk)
			f.pings(t)
			warn := timerOf(t, f.sched.take(TimerWarn), f, tk.ID, "supervisor")
			f.now = warn.At
			f.fire(t, warn)
			claimed, err := f.store.ClaimOutbox(f.ctx, f.now.Add(time.Minute), time.Hour, 200)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := f.store.Events(f.ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			var to []string
			for _, m := range claimed {
				if i := slices.IndexFunc(evs, func(e *backend.Event) bool { return e.ID == m.EventID }); i >= 0 && evs[i].Body == "supervisor warning" {
					to = append(to, fmt.Sprintf("%s #%d", m.Audience, m.RecipientID))
				}
				if err := f.store.MarkOutboxSent(f.ctx, m.ID, f.now, "test"); err != nil {
					t.Fatal(err)
				}
			}
			if want := fmt.Sprintf("%s #%d", backend.AudienceAssignee, f.assistant.ID); !slices.Equal(to, []string{want}) {
				t.Fatalf("warning went to %v, want %s", to, want)
			}
			breach := timerOf(t, f.sched.take(TimerBreach), f, tk.ID, "supervisor")
			f.now = breach.At
			f.fire(t, breach)
			got := f.pings(t)
			if to := got[tc.to(f)]; len(got) != 1 || len(to) == 0 || !strings.HasPrefix(to[0], tc.step) {
				t.Fatalf("breach pinged %v, want %q", got, tc.step)
			}
		})
	}
}

// The warning of a ticket nobody holds goes to its triage chat: with
// Config.Triage (Service.TriageAudience), its team's own chat.
func TestWarningToTeamChat(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	if err := f.store.SetTeamChat(f.ctx, f.tech.ID, "telegram", "-100TECH"); err != nil {
		t.Fatal(err)
	}
	pol := f.eng.cfg.Policy
	router := NewRouter(pol.Routing, f.store, nil)
	if err := router.Load(f.ctx); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return f.now }
	f.svc = backend.NewService(f.store, backend.ServiceConfig{Now: clock, Location: cst, Route: router.Route,
		TriagePlatforms: []string{"telegram"}, TeamChatPlatforms: []string{"telegram"}})
	f.eng = NewEngine(Config{Store: f.store, Policy: pol, Calendar: newCal(t), Scheduler: f.sched, Now: clock,
		Triage: f.svc.TriageAudience})
	tk := f.file(t, backend.P1, "功能问题", "下单")
	f.pings(t)
	warn := timerOf(t, f.sched.take(TimerWarn), f, tk.ID, "confirm")
	f.now = warn.At
	f.fire(t, warn)
	evs, err := f.store.Events(f.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for {
		msgs, err := f.store.ClaimOutbox(f.ctx, f.now.Add(24*time.Hour), time.Minute, 200)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			warning := slices.ContainsFunc(evs, func(e *backend.Event) bool { return e.ID == m.EventID && e.Body == "confirm warning" })
			if warning && m.Audience == backend.AudienceTriage {
				to = append(to, m.Platform+":"+m.Chat)
			}
			if err := f.store.MarkOutboxSent(f.ctx, m.ID, f.now, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(to) != 1 || to[0] != "telegram:-100TECH" {
		t.Fatalf("the warning went to triage chats %q, want 技术部's group only", to)
	}
}
