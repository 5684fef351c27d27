package storetest

import (
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// testReportData seeds a week (Monday 16 to Sunday 22 November 2026, CST)
// with tickets, ratings, clock runs and surveys inside, before and after
// it, and checks what ReportData reads, overall and per team.
func testReportData(t *testing.T, newStore NewStoreFunc) {
	ctx, s := setup(t, newStore)
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 11, day, hour, minute, 0, 0, cst) }
	from, before := at(16, 0, 0), at(23, 0, 0)
	teamA, teamB := createTeam(t, s, "tech"), createTeam(t, s, "product")
	rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
	staff := createPerson(t, s, "staff", teamA.ID, backend.RoleAssistant)
	inc := &backend.Incident{Title: "APP 闪退", CreatedAt: at(16, 9, 0)}
	must(t, s.CreateIncident(ctx, inc))

	// ticket files one with the given fields and then, when resolved is
	// set, resolves it then.
	ticket := func(team int64, path []string, sev backend.Severity, created, resolved time.Time, status backend.Status) *backend.Ticket {
		tk := minimalTicket(rep.ID)
		tk.TeamID, tk.CategoryPath, tk.Severity, tk.CreatedAt = team, path, sev, created
		createTicket(t, s, tk, "FB", created)
		if status != backend.StatusNew {
			tk.Status, tk.ResolvedAt = status, resolved
			tk.UpdatedAt = created.Add(time.Minute)
			must(t, s.UpdateTicket(ctx, tk, []backend.Change{notify(backend.EventStatusChanged, tk.UpdatedAt)}))
		}
		return tk
	}
	rating := func(tk *backend.Ticket, r backend.Satisfaction, when time.Time) *backend.FollowUp {
		if r == backend.SatisfactionUnsatisfied {
			return rate(t, s, tk, when)
		}
		tk.Satisfaction = r
		must(t, s.UpdateTicket(ctx, tk, []backend.Change{{Event: &backend.Event{Kind: backend.EventSatisfaction, ActorID: rep.ID, At: when,
			Public: true, Data: backend.EventData{Satisfaction: r}}}}))
		return nil
	}
	survey := func(tk *backend.Ticket, f *backend.FollowUp, when time.Time, factors ...backend.Factor) {
		f.Survey, f.Factors, f.SurveyedBy, f.SurveyedAt, f.UpdatedAt = backend.SurveyDone, factors, staff.ID, when, when
		must(t, s.UpdateTicket(ctx, tk, []backend.Change{{Event: &backend.Event{Kind: backend.EventFollowUp, ActorID: staff.ID, At: when,
			Data: backend.EventData{FollowUpID: f.ID, FollowUpStep: backend.StepSurveyed, Factors: factors}}, FollowUp: f}}))
	}
	clock := func(tk *backend.Ticket, name string, started time.Time, state backend.ClockState, breached bool) {
		c := &backend.Clock{Name: name, Run: 1, PolicyVersion: "v1", Severity: tk.Severity, Unit: "calendar", Budget: time.Hour,
			State: state, StartedAt: started, Generation: 1, UpdatedAt: started}
		if state == backend.ClockRunning {
			c.RunningSince, c.WarnAt, c.DueAt = started, started.Add(48*time.Minute), started.Add(time.Hour)
		} else {
			c.StoppedAt = started.Add(30 * time.Minute)
		}
		if breached {
			c.BreachedAt = started.Add(time.Hour)
		}
		must(t, s.SaveClocks(ctx, tk.ID, tk.Version, []*backend.Clock{c}, nil))
	}
	member := []string{"CRM问题", "会员中心"}

	// In the week: t1 and t2 created (team A, P1), t3 created (team B)
	// and resolved the week after, t4 created at its last second (no
	// team, no category), t5 created the week before and resolved in it.
	// Outside: t6 created at the next Monday's first instant, t7 created
	// and resolved the week before.
	t1 := ticket(teamA.ID, member, backend.P1, at(16, 10, 0), at(16, 18, 0), backend.StatusResolved)
	t2 := ticket(teamA.ID, member, backend.P1, at(17, 9, 0), time.Time{}, backend.StatusInProgress)
	t3 := ticket(teamB.ID, []string{"产品线问题", "报价"}, backend.P3, at(18, 9, 0), at(25, 9, 0), backend.StatusResolved)
	t4 := ticket(0, nil, backend.P4, before.Add(-time.Second), time.Time{}, backend.StatusNew)
	t5 := ticket(teamA.ID, []string{"CRM问题", "订单"}, backend.P2, at(10, 9, 0), at(17, 10, 0), backend.StatusResolved)
	ticket(teamB.ID, member, backend.P3, before, time.Time{}, backend.StatusNew)
	t7 := ticket(teamA.ID, member, backend.P3, at(12, 9, 0), at(14, 9, 0), backend.StatusResolved)
	t1.IncidentID = inc.ID
	must(t, s.UpdateTicket(ctx, t1, []backend.Change{notify(backend.EventIncidentLinked, at(16, 19, 0))}))

	rating(t1, backend.SatisfactionSatisfied, at(16, 19, 0))
	rating(t3, backend.SatisfactionBasically, at(25, 10, 0))        // after the week
	f7 := rating(t7, backend.SatisfactionUnsatisfied, at(15, 9, 0)) // before it
	f5 := rating(t5, backend.SatisfactionUnsatisfied, at(17, 11, 0))
	survey(t7, f7, at(16, 9, 0), backend.FactorAttitude)
	survey(t5, f5, at(23, 9, 0), backend.FactorFeature) // the next week

	clock(t1, "confirm", at(16, 10, 0), backend.ClockStopped, false)
	clock(t1, "solve", at(16, 10, 0), backend.ClockStopped, true)
	clock(t2, "confirm", at(17, 9, 0), backend.ClockRunning, false)
	clock(t3, "confirm", at(18, 9, 0), backend.ClockStopped, false)
	clock(t5, "confirm", at(10, 9, 0), backend.ClockStopped, true) // the week before
	// Stopped after its deadline before the breach timer ran (a process
	// down meanwhile): no breach recorded, but breached all the same.
	late := &backend.Clock{Name: "first_handling", Run: 1, PolicyVersion: "v1", Severity: t3.Severity, Unit: "calendar", Budget: time.Hour,
		State: backend.ClockStopped, StartedAt: at(18, 9, 0), StoppedAt: at(18, 11, 0), Used: 2 * time.Hour, Generation: 1, UpdatedAt: at(18, 11, 0)}
	must(t, s.SaveClocks(ctx, t3.ID, t3.Version, []*backend.Clock{late}, nil))
	// A rating event that names no rating is no rating.
	must(t, s.UpdateTicket(ctx, t1, []backend.Change{{Event: &backend.Event{Kind: backend.EventSatisfaction, ActorID: t1.ReporterID, At: at(16, 20, 0), Public: true}}}))

	t.Run("All", func(t *testing.T) {
		d, err := s.ReportData(ctx, backend.ReportFilter{From: from, Before: before})
		must(t, err)
		equal(t, "tickets", ids(d.Tickets, func(r *backend.ReportTicket) int64 { return r.ID }), []int64{t1.ID, t2.ID, t3.ID, t4.ID, t5.ID})
		equal(t, "t1", d.Tickets[0], &backend.ReportTicket{ID: t1.ID, CategoryPath: member, Severity: backend.P1, Status: backend.StatusResolved,
			TeamID: teamA.ID, IncidentID: inc.ID, IncidentTitle: "APP 闪退", CreatedAt: norm(at(16, 10, 0)), ResolvedAt: norm(at(16, 18, 0))})
		equal(t, "t4", d.Tickets[3], &backend.ReportTicket{ID: t4.ID, Severity: backend.P4, Status: backend.StatusNew, CreatedAt: norm(before.Add(-time.Second))})
		equal(t, "ratings", d.Ratings, map[backend.Satisfaction]int{backend.SatisfactionSatisfied: 1, backend.SatisfactionUnsatisfied: 1})
		equal(t, "clocks", d.Clocks, []backend.ClockCount{{Name: "confirm", Runs: 3, Met: 2}, {Name: "first_handling", Runs: 1, Breached: 1},
			{Name: "solve", Runs: 1, Breached: 1}})
		equal(t, "factors", d.Factors, map[backend.Factor]int{backend.FactorAttitude: 1})
	})
	t.Run("Team", func(t *testing.T) {
		d, err := s.ReportData(ctx, backend.ReportFilter{From: from, Before: before, TeamID: teamA.ID})
		must(t, err)
		equal(t, "tickets", ids(d.Tickets, func(r *backend.ReportTicket) int64 { return r.ID }), []int64{t1.ID, t2.ID, t5.ID})
		equal(t, "clocks", d.Clocks, []backend.ClockCount{{Name: "confirm", Runs: 2, Met: 1}, {Name: "solve", Runs: 1, Breached: 1}})
		equal(t, "factors", d.Factors, map[backend.Factor]int{backend.FactorAttitude: 1})

		d, err = s.ReportData(ctx, backend.ReportFilter{From: from, Before: before, TeamID: teamB.ID})
		must(t, err)
		equal(t, "team B tickets", ids(d.Tickets, func(r *backend.ReportTicket) int64 { return r.ID }), []int64{t3.ID})
		equal(t, "team B ratings", d.Ratings, map[backend.Satisfaction]int{})
		equal(t, "team B clocks", d.Clocks, []backend.ClockCount{{Name: "confirm", Runs: 1, Met: 1}, {Name: "first_handling", Runs: 1, Breached: 1}})
		equal(t, "team B factors", d.Factors, map[backend.Factor]int{})
	})
	t.Run("Empty", func(t *testing.T) {
		d, err := s.ReportData(ctx, backend.ReportFilter{From: at(1, 0, 0), Before: at(8, 0, 0)})
		must(t, err)
		equal(t, "empty", d, &backend.ReportData{Tickets: []*backend.ReportTicket{}, Ratings: map[backend.Satisfaction]int{},
			Clocks: []backend.ClockCount{}, Factors: map[backend.Factor]int{}, Complaints: []*backend.ReportComplaint{}})
	})
}

// testReportComplaints: the complaints a report reads are those handled in
// the span, whatever their age, with their tasks and closing records.
func testReportComplaints(t *testing.T, newStore NewStoreFunc) {
	ctx, s := setup(t, newStore)
	at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, cst) }
	from, before := at(16, 0), at(23, 0)
	teamA := createTeam(t, s, "service")
	rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
	owner := createPerson(t, s, "quality", teamA.ID, backend.RoleAssistant)
	complaint := func(team int64, customer string, created, resolved time.Time) *backend.Ticket {
		tk := minimalTicket(rep.ID)
		tk.Form, tk.TeamID, tk.CreatedAt, tk.Extra = backend.FormComplaint, team, created, map[string]string{"customer": customer, "requests": "上门处理"}
		createTicket(t, s, tk, "CP", created)
		if !resolved.IsZero() {
			tk.Status, tk.ResolvedAt = backend.StatusResolved, resolved
			must(t, s.UpdateTicket(ctx, tk, []backend.Change{notify(backend.EventStatusChanged, resolved)}))
		}
		return tk
	}
	old := complaint(teamA.ID, "A企业", at(2, 9), time.Time{}) // filed long before, still open
	inWeek := complaint(0, "B公司", at(17, 9), at(20, 9))      // filed and resolved in it
	complaint(teamA.ID, "A企业", at(3, 9), at(10, 9))          // resolved before: not handled in it
	complaint(teamA.ID, "C公司", before, time.Time{})          // filed after it
	fb := minimalTicket(rep.ID)                              // not a complaint
	createTicket(t, s, fb, "FB", at(17, 9))
	k1 := addTask(t, s, old, "上门处理不良品", owner.ID, at(18, 9))
	addTask(t, s, old, "查明原因", owner.ID, at(30, 9))
	k1.DoneBy, k1.DoneAt, k1.Result = owner.ID, at(19, 9), "已处理"
	must(t, s.UpdateTicket(ctx, old, []backend.Change{{Event: &backend.Event{Kind: backend.EventTask}, Task: k1}}))
	rec := &backend.ComplaintRecord{RootCause: "运输途中进水", Prevention: "外包装加裹尼龙膜", RecordedBy: owner.ID, RecordedAt: at(19, 10),
		ApprovedBy: owner.ID, ApprovedAt: at(20, 10)}
	must(t, s.UpdateTicket(ctx, old, []backend.Change{{Event: &backend.Event{Kind: backend.EventComplaint}, Complaint: rec}}))

	d, err := s.ReportData(ctx, backend.ReportFilter{From: from, Before: before})
	must(t, err)
	equal(t, "complaints", ids(d.Complaints, func(c *backend.ReportComplaint) int64 { return c.ID }), []int64{old.ID, inWeek.ID})
	equal(t, "the old one", d.Complaints[0], &backend.ReportComplaint{ID: old.ID, Number: old.Number, Customer: "A企业", Status: backend.StatusNew,
		CreatedAt: norm(at(2, 9)), Tasks: []backend.ReportTask{{Due: norm(at(18, 9)), DoneAt: norm(at(19, 9))}, {Due: norm(at(30, 9))}},
		RootCause: "运输途中进水", Prevention: "外包装加裹尼龙膜", RecordedAt: norm(at(19, 10)), ApprovedAt: norm(at(20, 10))})
	equal(t, "the one of the week", d.Complaints[1], &backend.ReportComplaint{ID: inWeek.ID, Number: inWeek.Number, Customer: "B公司",
		Status: backend.StatusResolved, CreatedAt: norm(at(17, 9)), ResolvedAt: norm(at(20, 9))})

	d, err = s.ReportData(ctx, backend.ReportFilter{From: from, Before: before, TeamID: teamA.ID})
	must(t, err)
	equal(t, "team A", ids(d.Complaints, func(c *backend.ReportComplaint) int64 { return c.ID }), []int64{old.ID})
}
