package sla

import (
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// told returns the recipients of unsent messages to people and assignees
// (warnings go to the assignee, pings to people), with the event bodies,
// and marks every unsent message sent.
func (f *fixture) told(tb testing.TB) map[int64][]string {
	tb.Helper()
	out := map[int64][]string{}
	msgs, err := f.store.ClaimOutbox(f.ctx, f.now.Add(time.Minute), time.Hour, 500)
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range msgs {
		if err := f.store.MarkOutboxSent(f.ctx, m.ID, f.now, "test"); err != nil {
			tb.Fatal(err)
		}
		if m.Audience != backend.AudiencePerson && m.Audience != backend.AudienceAssignee {
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
	}
	return out
}

// timerOfRun returns the latest timer of kind what for run of clock.
func timerOfRun(tb testing.TB, ts []Timer, what, clock string, run int) Timer {
	tb.Helper()
	var best *Timer
	for _, t := range ts {
		if t.What == what && t.Clock == clock && t.Run == run && (best == nil || t.Generation > best.Generation) {
			best = &t
		}
	}
	if best == nil {
		tb.Fatalf("no %s timer for run %d of %s in %+v", what, run, clock, ts)
	}
	return *best
}

// marks returns the milestones and handovers of the ticket's thread.
func (f *fixture) marks(tb testing.TB, tk *backend.Ticket) Marks {
	tb.Helper()
	evs, err := f.store.Events(f.ctx, tk.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return MarksOf(evs)
}

// confirmClock returns the ticket's latest confirm run.
// confirmRuns returns the ticket's clocks and the state of each run of
// its confirm clock.
func (f *fixture) confirmRuns(tb testing.TB, tk *backend.Ticket) ([]*backend.Clock, map[int]backend.ClockState) {
	tb.Helper()
	cs, err := f.store.Clocks(f.ctx, tk.ID)
	if err != nil {
		tb.Fatal(err)
	}
	runs := map[int]backend.ClockState{}
	for _, c := range cs {
		if c.Name == "confirm" {
			runs[c.Run] = c.State
		}
	}
	return cs, runs
}

// secondAssistant is another assistant of the tech team, with a chat.
func (f *fixture) secondAssistant(tb testing.TB) *backend.Person {
	tb.Helper()
	p := &backend.Person{Name: "assistant2", Roles: []backend.Role{backend.RoleAssistant}, TeamID: f.tech.ID,
		Accounts: []backend.ChatAccount{{Platform: "telegram", UserID: "a2", ChatID: "a2"}}}
	if err := f.store.CreatePerson(f.ctx, p); err != nil {
		tb.Fatal(err)
	}
	return p
}

func (f *fixture) confirmClock(tb testing.TB, tk *backend.Ticket) *backend.Clock {
	tb.Helper()
	cs, err := f.store.Clocks(f.ctx, tk.ID)
	if err != nil {
		tb.Fatal(err)
	}
	c := clockNamed(cs, "confirm")
	if c == nil {
		tb.Fatal("no confirm clock")
	}
	return c
}

// dispatched files a P2 at 10:00 and has the manager assign it to the
// assistant at 10:30, syncing the clocks after each step.
func (f *fixture) dispatched(tb testing.TB) *backend.Ticket {
	tb.Helper()
	tk := f.file(tb, backend.P2, "功能问题")
	f.told(tb) // the creation notices
	f.now = at("2026-11-23 10:30")
	tk, err := f.svc.Assign(f.ctx, f.mgr, tk.Number, f.assistant.ID)
	if err != nil {
		tb.Fatal(err)
	}
	f.sync(tb, tk)
	f.told(tb) // the assignment notice
	return tk
}

// A ticket a manager assigns to an assistant keeps a confirm clock
// running for the assistant (seed 002: 2 h for P2, from the dispatch): it
// warns them at 80 %, and its breach pings them first, then climbs.
func TestConfirmDispatchedRunsForAssignee(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.dispatched(t)
	c := f.confirmClock(t, tk)
	if c.State != backend.ClockRunning || c.Run != 2 || !c.DueAt.Equal(at("2026-11-23 12:30")) {
		t.Fatalf("confirm run %d %s due %s; want run 2 running, due 12:30 (2 h from the dispatch)", c.Run, c.State, c.DueAt.In(cst))
	}
	timers := f.sched.take("")
	warn := timerOfRun(t, timers, TimerWarn, "confirm", 2)
	if !warn.At.Equal(at("2026-11-23 12:06")) || warn.Run != 2 {
		t.Fatalf("warning %+v, want run 2 at 12:06", warn)
	}
	f.now = warn.At
	f.fire(t, warn)
	if got := f.told(t); len(got) != 1 || len(got[f.assistant.ID]) != 1 || got[f.assistant.ID][0] != "confirm warning" {
		t.Fatalf("warning told %v, want the assistant", got)
	}
	breach := timerOfRun(t, f.sched.take(TimerBreach), TimerBreach, "confirm", 2)
	f.now = breach.At
	f.fire(t, breach)
	got := f.told(t)
	if len(got) != 1 || len(got[f.assistant.ID]) != 1 || got[f.assistant.ID][0] != "confirm breached; step 1: assignee; told assistant (#"+itoa(f.assistant.ID)+")" {
		t.Fatalf("breach told %v, want the assistant (step 1)", got)
	}
	step := f.sched.take(TimerStep)
	if len(step) != 1 {
		t.Fatalf("next steps %+v, want one", step)
	}
	f.now = step[0].At
	f.fire(t, step[0])
	if got := f.told(t); len(got[f.mgr.ID]) != 1 {
		t.Fatalf("next step told %v, want the manager", got)
	}
}

// The assignee accepting stops the clock; its timers do nothing, and
// neither the reporter's answer to a question nor work set back to
// assigned starts it again.
func TestConfirmAcceptStops(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.dispatched(t)
	timers := f.sched.take("")
	f.now = at("2026-11-23 11:00")
	tk, err := f.svc.Accept(f.ctx, f.assistant, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	c := f.confirmClock(t, tk)
	if c.State != backend.ClockStopped || c.Run != 2 || c.Used != 30*time.Minute {
		t.Fatalf("confirm run %d %s used %s; want run 2 stopped after 30 min", c.Run, c.State, c.Used)
	}
	for _, tm := range timers {
		f.now = tm.At
		f.fire(t, tm)
	}
	if got := f.told(t); len(got[f.assistant.ID]) != 0 {
		t.Fatalf("stale timers told %v", got)
	}
	f.now = at("2026-11-23 15:00")
	steps := []func() (*backend.Ticket, error){
		func() (*backend.Ticket, error) { return f.svc.Ask(f.ctx, f.assistant, tk.Number, "请提供截图") },
		func() (*backend.Ticket, error) {
			return f.svc.Comment(f.ctx, f.reporter, tk.Number, "截图已补充", true)
		},
		func() (*backend.Ticket, error) {
			return f.svc.Transition(f.ctx, f.assistant, tk.Number, backend.StatusInProgress, "")
		},
		func() (*backend.Ticket, error) {
			return f.svc.Transition(f.ctx, f.assistant, tk.Number, backend.StatusAssigned, "")
		},
	}
	for i, step := range steps {
		tk, err := step()
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		f.sync(t, tk)
		if c := f.confirmClock(t, tk); c.State != backend.ClockStopped || c.Run != 2 {
			t.Fatalf("step %d (%s): confirm run %d %s, want run 2 stopped", i, tk.Status, c.Run, c.State)
		}
	}
}

// Claiming a ticket oneself is confirming it: the clock stops at once and
// no run starts for the claimer, although the ticket is now assigned.
func TestConfirmSelfClaimStops(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.file(t, backend.P1, "功能问题")
	f.now = at("2026-11-23 10:20")
	tk, err := f.svc.Claim(f.ctx, f.assistant, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	c := f.confirmClock(t, tk)
	if tk.Status != backend.StatusAssigned || c.State != backend.ClockStopped || c.Run != 1 || c.Used != 20*time.Minute {
		t.Fatalf("ticket %s, confirm run %d %s used %s; want assigned, run 1 stopped after 20 min", tk.Status, c.Run, c.State, c.Used)
	}
	// The thread records the confirmation (seed 002 确认接收).
	if marks := f.marks(t, tk); !marks[backend.MilestoneAccepted].Equal(at("2026-11-23 10:20")) {
		t.Fatalf("accepted milestone at %v, want 10:20", marks[backend.MilestoneAccepted])
	}
	f.sync(t, tk) // nothing more to do
	if c := f.confirmClock(t, tk); c.Run != 1 || c.State != backend.ClockStopped {
		t.Fatalf("confirm run %d %s after another sync", c.Run, c.State)
	}
}

// Reassigned to someone else, the new assignee gets a fresh run; the old
// run's timers do nothing and the breach pings the new assignee. After an
// acceptance, a reassignment starts a run again.
func TestConfirmReassignStartsFreshRun(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	second := f.secondAssistant(t)
	tk := f.dispatched(t)
	old := f.sched.take("")
	f.now = at("2026-11-23 11:00")
	tk, err := f.svc.Assign(f.ctx, f.mgr, tk.Number, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	cs, runs := f.confirmRuns(t, tk)
	if runs[2] != backend.ClockStopped || runs[3] != backend.ClockRunning {
		t.Fatalf("confirm runs %v, want run 2 (assistant) stopped, run 3 (assistant2) running", runs)
	}
	wantDue(t, cs, "confirm", "2026-11-23 13:00")
	for _, tm := range old {
		f.now = tm.At
		f.fire(t, tm)
	}
	if got := f.told(t); len(got[f.assistant.ID]) != 0 {
		t.Fatalf("the old run's timers told %v", got)
	}
	breach := timerOfRun(t, f.sched.take(TimerBreach), TimerBreach, "confirm", 3)
	f.now = breach.At
	f.fire(t, breach)
	if got := f.told(t); len(got) != 1 || len(got[second.ID]) != 1 {
		t.Fatalf("breach told %v, want assistant2", got)
	}

	// Accepted, then given back to the first assistant: a run for them.
	f.now = at("2026-11-23 14:00")
	if tk, err = f.svc.Accept(f.ctx, second, tk.Number); err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	if c := f.confirmClock(t, tk); c.Run != 3 || c.State != backend.ClockStopped {
		t.Fatalf("accepted: confirm run %d %s, want run 3 stopped", c.Run, c.State)
	}
	f.now = at("2026-11-23 15:00")
	if tk, err = f.svc.Assign(f.ctx, f.mgr, tk.Number, f.assistant.ID); err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	if c := f.confirmClock(t, tk); c.Run != 4 || c.State != backend.ClockRunning || !c.DueAt.Equal(at("2026-11-23 17:00")) {
		t.Fatalf("reassigned after acceptance: confirm run %d %s due %s, want run 4 running, due 17:00", c.Run, c.State, c.DueAt.In(cst))
	}
}

// Returning the ticket (the other answer seed 002 allows) ends the
// assignee's run; the ticket, back in the triage chat, gets a new one
// whose warning goes to the triage chat, not to the assistant.
func TestConfirmReturnStopsAssigneeRun(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	tk := f.dispatched(t)
	f.sched.take("")
	f.now = at("2026-11-23 11:00")
	tk, err := f.svc.Return(f.ctx, f.assistant, tk.Number, "不是技术问题，请转产品部")
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	_, runs := f.confirmRuns(t, tk)
	if runs[2] != backend.ClockStopped || runs[3] != backend.ClockRunning {
		t.Fatalf("confirm runs %v, want run 2 (the assistant's) stopped, run 3 (the triage chat's) running", runs)
	}
	warn := timerOfRun(t, f.sched.take(TimerWarn), TimerWarn, "confirm", 3)
	f.now = warn.At
	f.fire(t, warn)
	if got := f.told(t); len(got) != 0 {
		t.Fatalf("the returned ticket's warning told %v, want the triage chat only", got)
	}
}

// The assignment notice names the confirm deadline: the service asks the
// engine (ServiceConfig.AcceptBy) and puts it in the assigned event.
func TestConfirmDeadlineInAssignment(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	router := NewRouter(f.eng.cfg.Policy.Routing, f.store, nil)
	if err := router.Load(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.svc = backend.NewService(f.store, backend.ServiceConfig{Now: func() time.Time { return f.now }, Location: cst,
		Route: router.Route, AcceptBy: f.eng.AcceptBy})
	for _, tc := range []struct {
		sev      backend.Severity
		at, due  string
		category string
	}{
		{backend.P2, "2026-11-23 10:30", "2026-11-23 12:30", "功能问题"},
		{backend.P1, "2026-11-23 17:30", "2026-11-24 09:30", "功能问题"}, // 1 business hour
	} {
		f.now = at("2026-11-23 10:00")
		tk := f.file(t, tc.sev, tc.category)
		f.now = at(tc.at)
		tk, err := f.svc.Assign(f.ctx, f.mgr, tk.Number, f.assistant.ID)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := f.store.Events(f.ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		var due time.Time
		for _, e := range evs {
			if e.Kind == backend.EventAssigned {
				due = e.Data.Due
			}
		}
		if !due.Equal(at(tc.due)) {
			t.Fatalf("%s assigned at %s: deadline %v, want %s", tc.sev, tc.at, due.In(cst), tc.due)
		}
		// The clock agrees.
		f.sync(t, tk)
		if c := f.confirmClock(t, tk); !c.DueAt.Equal(due) {
			t.Fatalf("%s: confirm due %s, the notice says %s", tc.sev, c.DueAt.In(cst), due.In(cst))
		}
	}
	// Claimed oneself: no deadline to tell.
	tk := f.file(t, backend.P3, "功能问题")
	tk, err := f.svc.Assign(f.ctx, f.assistant, tk.Number, f.assistant.ID)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := f.store.Events(f.ctx, tk.ID)
	for _, e := range evs {
		if e.Kind == backend.EventAssigned && !e.Data.Due.IsZero() {
			t.Fatalf("a self-assignment carries a deadline: %v", e.Data.Due)
		}
	}
}

// A ticket planned under default-2026-11e (confirm while [new, returned,
// reopened], no acceptance) keeps that rule after the upgrade: dispatched
// to someone, its confirm clock stops as it did; a new ticket's runs on.
func TestConfirmOldPolicyVersion(t *testing.T) {
	store := newSQLite(t)
	f := newFixture(t, store)
	src := strings.Replace(string(DefaultPolicyYAML()), "version: default-2026-11h", "version: default-2026-11e", 1)
	newRule := "    while: [new, assigned, returned, reopened]\n    stop_on: [accepted]\n"
	if !strings.Contains(src, newRule) {
		t.Fatal("the default policy's confirm clock changed; update this test")
	}
	src = strings.Replace(src, newRule, "    while: [new, returned, reopened]\n", 1)
	src = strings.Replace(src, "    per_assignee: true\n", "", 1)
	old, err := ParsePolicy([]byte(src), "default-2026-11e")
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return f.now }
	f.eng = NewEngine(Config{Store: store, Policy: old, Calendar: newCal(t), Scheduler: f.sched, Now: clock})
	if err := f.eng.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	before := f.file(t, backend.P2, "功能问题")

	f.eng = NewEngine(Config{Store: store, Policy: defaultPolicyT(t), Calendar: newCal(t), Scheduler: f.sched, Now: clock})
	if err := f.eng.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	after := f.file(t, backend.P2, "功能问题")
	f.now = at("2026-11-23 10:30")
	for _, tk := range []*backend.Ticket{before, after} {
		tk, err := f.svc.Assign(f.ctx, f.mgr, tk.Number, f.assistant.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.sync(t, tk)
	}
	if c := f.confirmClock(t, before); c.PolicyVersion != "default-2026-11e" || c.State != backend.ClockStopped {
		t.Fatalf("old ticket: confirm %s under %s, want stopped under default-2026-11e", c.State, c.PolicyVersion)
	}
	if c := f.confirmClock(t, after); c.PolicyVersion != "default-2026-11h" || c.State != backend.ClockRunning {
		t.Fatalf("new ticket: confirm %s under %s, want running under default-2026-11h", c.State, c.PolicyVersion)
	}
	// The old ticket's assignee may still accept it: recorded, no clock.
	tk, err := f.svc.Accept(f.ctx, f.assistant, before.Number)
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	if c := f.confirmClock(t, before); c.State != backend.ClockStopped || c.Run != 1 {
		t.Fatalf("old ticket after accepting: confirm run %d %s", c.Run, c.State)
	}
}

// TestConfirmHandoverInWork: a ticket handed over while it is worked on
// goes on with its new holder: no confirm run starts, then or when the
// work is set back to assigned.
func TestConfirmHandoverInWork(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	second := f.secondAssistant(t)
	tk := f.dispatched(t)
	f.now = at("2026-11-23 11:00")
	tk, err := f.svc.Transition(f.ctx, f.assistant, tk.Number, backend.StatusInProgress, "")
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	before := f.confirmClock(t, tk)
	f.now = at("2026-11-23 12:00")
	if tk, err = f.svc.Assign(f.ctx, f.mgr, tk.Number, second.ID); err != nil {
		t.Fatal(err)
	}
	if tk.AwaitsAccept() {
		t.Fatal("handed over in progress: awaits acceptance")
	}
	f.sync(t, tk)
	f.now = at("2026-11-23 13:00")
	if tk, err = f.svc.Transition(f.ctx, second, tk.Number, backend.StatusAssigned, "等待排期"); err != nil {
		t.Fatal(err)
	}
	f.sync(t, tk)
	if c := f.confirmClock(t, tk); c.Run != before.Run || c.State != backend.ClockStopped {
		t.Fatalf("confirm run %d %s after a handover in work, want run %d stopped", c.Run, c.State, before.Run)
	}
}
