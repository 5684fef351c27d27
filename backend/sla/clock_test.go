package sla

import (
	"slices"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func newPlanner(tb testing.TB) *Planner {
	tb.Helper()
	p := defaultPolicyT(tb)
	return &Planner{Policy: p, Calendar: newCal(tb)}
}

// apply plans t and merges the result into clocks, as the store would.
func apply(p *Planner, t *backend.Ticket, clocks []*backend.Clock) ([]*backend.Clock, []string) {
	return applyWith(p, t, clocks, nil)
}

// applyWith is apply with the ticket's milestones and handovers.
func applyWith(p *Planner, t *backend.Ticket, clocks []*backend.Clock, marks Marks) ([]*backend.Clock, []string) {
	changed, changes := p.PlanWith(t, clocks, marks)
	var what []string
	for i, c := range changed {
		what = append(what, changes[i].Event.Body)
		replaced := false
		for j, old := range clocks {
			if old.Name == c.Name && old.Run == c.Run {
				clocks[j], replaced = c, true
			}
		}
		if !replaced {
			clocks = append(clocks, c)
		}
	}
	return clocks, what
}

func clockNamed(cs []*backend.Clock, name string) *backend.Clock {
	var cur *backend.Clock
	for _, c := range cs {
		if c.Name == name && (cur == nil || c.Run > cur.Run) {
			cur = c
		}
	}
	return cur
}

func wantDue(tb testing.TB, cs []*backend.Clock, name, due string) {
	tb.Helper()
	c := clockNamed(cs, name)
	if c == nil {
		tb.Fatalf("no clock %s", name)
	}
	if due == "" {
		if !c.DueAt.IsZero() {
			tb.Fatalf("%s due %s, want none (%s)", name, c.DueAt.In(cst), c.State)
		}
		return
	}
	if want := at(due); !c.DueAt.Equal(want) {
		tb.Fatalf("%s due %s, want %s", name, c.DueAt.In(cst).Format("2006-01-02 15:04 Mon"), want.Format("2006-01-02 15:04 Mon"))
	}
}

// A P2 filed Friday 17:30 before the Spring Festival week.
func TestPlanP2BeforeHoliday(t *testing.T) {
	p := newPlanner(t)
	tk := &backend.Ticket{ID: 1, Severity: backend.P2, Status: backend.StatusNew, CreatedAt: at("2026-02-13 17:30"), UpdatedAt: at("2026-02-13 17:30")}
	cs, what := apply(p, tk, nil)
	if len(cs) != 3 {
		t.Fatalf("clocks %v, want confirm, first_handling, solve", what)
	}
	wantDue(t, cs, "confirm", "2026-02-14 10:30")        // the worked Saturday
	wantDue(t, cs, "first_handling", "2026-02-24 11:30") // 12 business hours
	wantDue(t, cs, "solve", "2026-02-25 17:30")          // 3 workdays
	if w := clockNamed(cs, "confirm").WarnAt; !w.Equal(at("2026-02-14 10:06")) {
		t.Fatalf("confirm warn at %s, want 80%% = Sat 10:06", w.In(cst))
	}
	for _, c := range cs {
		if c.PolicyVersion != "default-2026-11h" || c.Generation != 1 || c.Run != 1 {
			t.Fatalf("clock %+v", c)
		}
	}

	// Claimed on Saturday 10:00 (which accepts it): confirm stops, the
	// others run on.
	tk.Status, tk.UpdatedAt = backend.StatusAssigned, at("2026-02-14 10:00")
	marks := Marks{backend.MilestoneAccepted: at("2026-02-14 10:00")}
	cs, what = applyWith(p, tk, cs, marks)
	if len(what) != 1 || what[0] != "confirm stopped" {
		t.Fatalf("changes %v", what)
	}
	if c := clockNamed(cs, "confirm"); c.State != backend.ClockStopped || c.Used != 90*time.Minute || c.Generation != 2 {
		t.Fatalf("confirm %+v", c)
	}
	// Waiting for the reporter from Tuesday 24th 10:00 to 14:00 pauses the
	// solve clock: its deadline moves by the 4 business hours.
	tk.Status, tk.UpdatedAt = backend.StatusWaitingReporter, at("2026-02-24 10:00")
	cs, what = applyWith(p, tk, cs, marks)
	if s := clockNamed(cs, "solve"); s.State != backend.ClockPaused || s.Used != 10*time.Hour+30*time.Minute {
		t.Fatalf("solve %+v (%v)", s, what)
	}
	wantDue(t, cs, "solve", "")
	tk.Status, tk.UpdatedAt = backend.StatusInProgress, at("2026-02-24 14:00")
	cs, _ = applyWith(p, tk, cs, marks)
	wantDue(t, cs, "solve", "2026-02-26 12:30")
	if fh := clockNamed(cs, "first_handling"); fh.State != backend.ClockStopped {
		t.Fatalf("first handling %s, want stopped once in progress", fh.State)
	}
	// Resolved: solve stops. Reopened: a fresh run.
	tk.Status, tk.UpdatedAt = backend.StatusResolved, at("2026-02-25 09:00")
	cs, _ = applyWith(p, tk, cs, marks)
	if s := clockNamed(cs, "solve"); s.State != backend.ClockStopped || s.Breached() {
		t.Fatalf("solve %+v", s)
	}
	tk.Status, tk.UpdatedAt = backend.StatusReopened, at("2026-02-26 09:00")
	marks[handedMark] = at("2026-02-26 09:00") // reopening is a handover
	cs, _ = applyWith(p, tk, cs, marks)
	if s := clockNamed(cs, "solve"); s.Run != 2 || s.State != backend.ClockRunning {
		t.Fatalf("solve after reopening %+v", s)
	}
	wantDue(t, cs, "solve", "2026-02-28 18:00") // Saturday 28 Feb is worked
	if c := clockNamed(cs, "confirm"); c.Run != 2 {
		t.Fatalf("confirm after reopening %+v", c)
	}
}

// Raising P3 to P1 re-plans the running clocks; time already used counts.
func TestPlanSeverityRaised(t *testing.T) {
	p := newPlanner(t)
	tk := &backend.Ticket{ID: 1, Severity: backend.P3, Status: backend.StatusNew, CreatedAt: at("2026-11-23 10:00"), UpdatedAt: at("2026-11-23 10:00")}
	cs, _ := apply(p, tk, nil)
	wantDue(t, cs, "confirm", "2026-11-23 12:00")
	wantDue(t, cs, "solve", "2026-12-02 10:00")
	tk.Severity, tk.UpdatedAt = backend.P1, at("2026-11-23 10:30")
	cs, what := apply(p, tk, cs)
	if len(what) != 3 {
		t.Fatalf("changes %v", what)
	}
	wantDue(t, cs, "confirm", "2026-11-23 11:00")        // 1h, 30m used
	wantDue(t, cs, "first_handling", "2026-11-23 10:30") // 30m calendar, 30m used: due now
	wantDue(t, cs, "solve", "2026-11-24 10:00")          // 24h calendar, 30m used
	if c := clockNamed(cs, "solve"); c.Severity != backend.P1 || c.Unit != "calendar" || c.Generation != 2 {
		t.Fatalf("solve %+v", c)
	}
	// A P4 has no first-handling clock; raising it starts one.
	tk4 := &backend.Ticket{ID: 2, Severity: backend.P4, Status: backend.StatusNew, CreatedAt: at("2026-11-23 10:00"), UpdatedAt: at("2026-11-23 10:00")}
	cs4, _ := apply(p, tk4, nil)
	if clockNamed(cs4, "first_handling") != nil {
		t.Fatal("P4 got a first-handling clock")
	}
	tk4.Severity, tk4.UpdatedAt = backend.P3, at("2026-11-23 11:00")
	cs4, _ = apply(p, tk4, cs4)
	wantDue(t, cs4, "first_handling", "2026-11-27 11:00")
}

// A 调休 Saturday counts: a P1 confirm clock started Friday 17:30 before
// the worked Saturday 10 Oct 2026 is due Saturday 09:30.
func TestPlanMakeUpSaturday(t *testing.T) {
	p := newPlanner(t)
	tk := &backend.Ticket{ID: 1, Severity: backend.P1, Status: backend.StatusNew, CreatedAt: at("2026-10-09 17:30"), UpdatedAt: at("2026-10-09 17:30")}
	cs, _ := apply(p, tk, nil)
	wantDue(t, cs, "confirm", "2026-10-10 09:30")
	wantDue(t, cs, "solve", "2026-10-10 17:30")
}

// Seed 004 I/K: the report runs from resolution (8 h calendar for P1) and
// stops when the ticket is archived; reopening stops it too and a second
// resolution starts a fresh run. Supervisor and review need a resource
// request and a report hand-in, which no status marks: they never start.
func TestPlanReportAfterSolving(t *testing.T) {
	p := newPlanner(t)
	tk := &backend.Ticket{ID: 1, Severity: backend.P1, Status: backend.StatusInProgress, CreatedAt: at("2026-11-23 10:00"), UpdatedAt: at("2026-11-23 10:00")}
	cs, _ := apply(p, tk, nil)
	if clockNamed(cs, "report") != nil {
		t.Fatal("report clock started before the ticket was solved")
	}
	tk.Status, tk.UpdatedAt = backend.StatusResolved, at("2026-11-23 20:00")
	cs, what := apply(p, tk, cs)
	if !slices.Contains(what, "report started") || !slices.Contains(what, "solve stopped") {
		t.Fatalf("resolving did %v, want solve stopped and report started", what)
	}
	wantDue(t, cs, "report", "2026-11-24 04:00") // 8 calendar hours
	tk.Status, tk.UpdatedAt = backend.StatusReopened, at("2026-11-23 21:00")
	cs, _ = apply(p, tk, cs)
	if c := clockNamed(cs, "report"); c.State != backend.ClockStopped {
		t.Fatalf("report %s after reopening, want stopped", c.State)
	}
	tk.Status, tk.UpdatedAt = backend.StatusResolved, at("2026-11-24 10:00")
	cs, _ = apply(p, tk, cs)
	if c := clockNamed(cs, "report"); c.Run != 2 || c.State != backend.ClockRunning {
		t.Fatalf("report run %d %s after solving again, want run 2 running", c.Run, c.State)
	}
	tk.Status, tk.UpdatedAt = backend.StatusArchived, at("2026-11-24 11:00")
	cs, what = apply(p, tk, cs)
	if !slices.Contains(what, "report stopped") {
		t.Fatalf("archiving did %v, want report stopped", what)
	}
	for _, name := range []string{"supervisor", "review"} {
		if c := clockNamed(cs, name); c != nil {
			t.Fatalf("%s clock %+v started without its seed 004 trigger", name, c)
		}
	}
}

// Seed 004 D/E and K/L: the supervisor clock runs from the resource request
// until resources are arranged (pausing while waiting for the reporter);
// the review clock from the report's hand-in until it is reviewed, and the
// hand-in stops the report clock.
func TestPlanMilestoneClocks(t *testing.T) {
	p := newPlanner(t)
	tk := &backend.Ticket{ID: 1, Severity: backend.P2, Status: backend.StatusInProgress, CreatedAt: at("2026-11-23 10:00"), UpdatedAt: at("2026-11-23 10:00")}
	marks := Marks{}
	plan := func(cs []*backend.Clock, when string) ([]*backend.Clock, []string) {
		tk.UpdatedAt = at(when)
		changed, changes := p.PlanWith(tk, cs, marks)
		var what []string
		for i, c := range changed {
			what = append(what, changes[i].Event.Body)
			if j := slices.IndexFunc(cs, func(o *backend.Clock) bool { return o.Name == c.Name && o.Run == c.Run }); j >= 0 {
				cs[j] = c
			} else {
				cs = append(cs, c)
			}
		}
		return cs, what
	}
	cs, _ := plan(nil, "2026-11-23 10:00")
	if clockNamed(cs, "supervisor") != nil {
		t.Fatal("supervisor clock started without a resource request")
	}
	marks[backend.MilestoneResourceRequested] = at("2026-11-23 11:00")
	cs, what := plan(cs, "2026-11-23 11:00")
	if !slices.Equal(what, []string{"supervisor started"}) {
		t.Fatalf("resource request did %v", what)
	}
	wantDue(t, cs, "supervisor", "2026-11-23 17:00") // 6 business hours
	tk.Status = backend.StatusWaitingReporter
	cs, what = plan(cs, "2026-11-23 12:00")
	if c := clockNamed(cs, "supervisor"); c.State != backend.ClockPaused {
		t.Fatalf("supervisor %s while waiting for the reporter (%v)", c.State, what)
	}
	marks[backend.MilestoneResourcesArranged] = at("2026-11-23 13:00")
	cs, _ = plan(cs, "2026-11-23 13:00")
	if c := clockNamed(cs, "supervisor"); c.State != backend.ClockStopped {
		t.Fatalf("supervisor %s after resources were arranged, want stopped", c.State)
	}
	// A second request starts a second run.
	tk.Status = backend.StatusInProgress
	marks[backend.MilestoneResourceRequested] = at("2026-11-23 14:00")
	cs, _ = plan(cs, "2026-11-23 14:00")
	if c := clockNamed(cs, "supervisor"); c.Run != 2 || c.State != backend.ClockRunning {
		t.Fatalf("supervisor run %d %s after a second request", c.Run, c.State)
	}
	tk.Status = backend.StatusResolved
	cs, _ = plan(cs, "2026-11-23 15:00")
	if c := clockNamed(cs, "supervisor"); c.State != backend.ClockStopped {
		t.Fatalf("supervisor %s once solved, want stopped", c.State)
	}
	if clockNamed(cs, "review") != nil || clockNamed(cs, "report").State != backend.ClockRunning {
		t.Fatal("at resolution the report clock must run and the review clock must not")
	}
	marks[backend.MilestoneReportSubmitted] = at("2026-11-23 16:00")
	cs, what = plan(cs, "2026-11-23 16:00")
	if !slices.Contains(what, "report stopped") || !slices.Contains(what, "review started") {
		t.Fatalf("report hand-in did %v, want report stopped and review started", what)
	}
	wantDue(t, cs, "review", "2026-11-24 15:00") // 8 business hours
	marks[backend.MilestoneReportReviewed] = at("2026-11-24 10:00")
	cs, _ = plan(cs, "2026-11-24 10:00")
	if c := clockNamed(cs, "review"); c.State != backend.ClockStopped {
		t.Fatalf("review %s after the review, want stopped", c.State)
	}
}

// Seed 001: the complaint form promises 紧急 2 days and 一般 5 days and
// files them as P2 and P3; their solve clocks keep that promise (the
// complaint's own budgets, in calendar time), while other forms keep the
// severity's workdays. A severity change re-plans by the form too.
func TestPlanComplaintDeadlines(t *testing.T) {
	p := newPlanner(t)
	for _, tc := range []struct {
		name, form string
		sev        backend.Severity
		due        string
	}{
		{"urgent complaint", backend.FormComplaint, backend.P2, "2026-11-25 10:00"},
		{"normal complaint", backend.FormComplaint, backend.P3, "2026-11-28 10:00"}, // a Saturday: calendar days
		{"P1 complaint", backend.FormComplaint, backend.P1, "2026-11-24 10:00"},
		{"P2 feedback", backend.FormFeedback, backend.P2, "2026-11-26 10:00"}, // 3 workdays
		{"P3 feedback", backend.FormFeedback, backend.P3, "2026-12-02 10:00"}, // 7 workdays
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := &backend.Ticket{ID: 1, Form: tc.form, Severity: tc.sev, Status: backend.StatusNew,
				CreatedAt: at("2026-11-23 10:00"), UpdatedAt: at("2026-11-23 10:00")}
			cs, _ := apply(p, tk, nil)
			wantDue(t, cs, "solve", tc.due)
		})
	}
	// A normal complaint found urgent a day later: due 2 days after filing.
	tk := &backend.Ticket{ID: 1, Form: backend.FormComplaint, Severity: backend.P3, Status: backend.StatusNew,
		CreatedAt: at("2026-11-23 10:00"), UpdatedAt: at("2026-11-23 10:00")}
	cs, _ := apply(p, tk, nil)
	tk.Severity, tk.UpdatedAt = backend.P2, at("2026-11-24 10:00")
	cs, _ = apply(p, tk, cs)
	wantDue(t, cs, "solve", "2026-11-25 10:00")
	if c := clockNamed(cs, "solve"); c.Budget != 48*time.Hour || c.Unit != string(WallClock) {
		t.Fatalf("solve %s %s, want 48h calendar", c.Budget, c.Unit)
	}
}

// A severity change that changes a clock's unit counts the time already
// used in the new unit: a P1 filed Monday 17:00 (24h calendar) has used 20
// calendar hours by Tuesday 13:00, which are 5 business hours of P2's 3
// workdays, and the other way round.
func TestPlanSeverityChangesUnit(t *testing.T) {
	p := newPlanner(t)
	for _, tc := range []struct {
		name     string
		from, to backend.Severity
		due      string
		used     time.Duration
	}{
		{"P1 to P2", backend.P1, backend.P2, "2026-11-26 17:00", 5 * time.Hour},  // 27 business hours from Mon 17:00
		{"P2 to P1", backend.P2, backend.P1, "2026-11-24 17:00", 20 * time.Hour}, // 24 calendar hours from Mon 17:00
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := &backend.Ticket{ID: 1, Severity: tc.from, Status: backend.StatusAssigned, CreatedAt: at("2026-11-23 17:00"), UpdatedAt: at("2026-11-23 17:00")}
			cs, _ := apply(p, tk, nil)
			tk.Severity, tk.UpdatedAt = tc.to, at("2026-11-24 13:00")
			cs, _ = apply(p, tk, cs)
			wantDue(t, cs, "solve", tc.due)
			if c := clockNamed(cs, "solve"); c.Used != tc.used {
				t.Fatalf("solve used %s, want %s", c.Used, tc.used)
			}
			// Back again: the time is counted in the first unit once more.
			tk.Severity, tk.UpdatedAt = tc.from, at("2026-11-24 14:00")
			cs, _ = apply(p, tk, cs)
			wantDue(t, cs, "solve", map[backend.Severity]string{backend.P1: "2026-11-24 17:00", backend.P2: "2026-11-26 17:00"}[tc.from])
		})
	}
	// A pause counts in neither unit: P1 filed Monday 17:00, waiting for
	// the reporter Tuesday 09:00 to 11:00, lowered to P2 Tuesday 13:00:
	// 18 calendar hours used, but 1 + 2 business hours; 24 left, due
	// Friday 10:00.
	tk := &backend.Ticket{ID: 1, Severity: backend.P1, Status: backend.StatusAssigned, CreatedAt: at("2026-11-23 17:00"), UpdatedAt: at("2026-11-23 17:00")}
	cs, _ := apply(p, tk, nil)
	for _, step := range []struct {
		st   backend.Status
		when string
	}{{backend.StatusWaitingReporter, "2026-11-24 09:00"}, {backend.StatusInProgress, "2026-11-24 11:00"}} {
		tk.Status, tk.UpdatedAt = step.st, at(step.when)
		cs, _ = apply(p, tk, cs)
	}
	tk.Severity, tk.UpdatedAt = backend.P2, at("2026-11-24 13:00")
	cs, _ = apply(p, tk, cs)
	wantDue(t, cs, "solve", "2026-11-27 10:00")
}

// A clock saved before the time in the other unit was kept (UsedOther -1)
// that never paused has run since it started: that is its time in the new
// unit.
func TestPlanSeverityChangesUnitOldClock(t *testing.T) {
	p := newPlanner(t)
	tk := &backend.Ticket{ID: 1, Severity: backend.P1, Status: backend.StatusAssigned, CreatedAt: at("2026-11-23 17:00"), UpdatedAt: at("2026-11-23 17:00")}
	cs, _ := apply(p, tk, nil)
	clockNamed(cs, "solve").UsedOther = -1
	tk.Severity, tk.UpdatedAt = backend.P2, at("2026-11-24 13:00")
	cs, _ = apply(p, tk, cs)
	wantDue(t, cs, "solve", "2026-11-26 17:00")
}
