package storetest

import (
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// rate appends an unsatisfied rating to tk that opens a follow-up, as the
// service does, and returns the follow-up.
func rate(tb testing.TB, s backend.Store, tk *backend.Ticket, at time.Time) *backend.FollowUp {
	tb.Helper()
	ev := &backend.Event{Kind: backend.EventSatisfaction, ActorID: tk.ReporterID, At: at, Public: true,
		Data: backend.EventData{Satisfaction: backend.SatisfactionUnsatisfied}}
	f := &backend.FollowUp{RatedAt: at, Survey: backend.SurveyNeeded}
	tk.Satisfaction = backend.SatisfactionUnsatisfied
	must(tb, s.UpdateTicket(tb.Context(), tk, []backend.Change{{Event: ev, FollowUp: f}}))
	if f.ID == 0 || f.EventID != ev.ID || f.TicketID != tk.ID {
		tb.Fatalf("follow-up not stamped: %s (event %d, ticket %d)", dump(f), ev.ID, tk.ID)
	}
	f.Number, f.TicketStatus = tk.Number, tk.Status // the reads fill both in
	return f
}

func getFollowUp(tb testing.TB, s backend.Store, id int64) *backend.FollowUp {
	tb.Helper()
	f, err := s.FollowUp(tb.Context(), id)
	must(tb, err)
	return f
}

func followUpIDs(p *backend.FollowUpPage) []int64 {
	return ids(p.FollowUps, func(f *backend.FollowUp) int64 { return f.ID })
}

func testFollowUp(t *testing.T, newStore NewStoreFunc) {
	at := time.Date(2026, 11, 18, 15, 4, 5, 123456789, cst)
	t.Run("Open", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		inClock := clockRange(t)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		tk := createTicket(t, s, fullTicket(rep.ID), "FB", day)
		f := rate(t, s, tk, at)
		equal(t, "RatedAt normalised", f.RatedAt, norm(at))
		inClock("CreatedAt", f.CreatedAt)
		inClock("UpdatedAt", f.UpdatedAt)
		if f.Factors != nil || f.Callback != backend.CallbackUndecided {
			t.Fatalf("defaults: %s", dump(f))
		}
		equal(t, "FollowUp", getFollowUp(t, s, f.ID), f)
		equal(t, "ticket version", getTicket(t, s, tk.Number).Version, int64(2))

		_, err := s.FollowUp(ctx, missing)
		wantCode(t, err, backend.ENOTFOUND)
	})
	t.Run("Save", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		staff := createPerson(t, s, "staff", 0, backend.RoleAssistant)
		tk := createTicket(t, s, fullTicket(rep.ID), "FB", day)
		f := rate(t, s, tk, at)
		eventID, created := f.EventID, f.CreatedAt

		g := *f
		g.EventID, g.CreatedAt = 0, time.Time{} // kept as stored
		g.Survey, g.Callback = backend.SurveyDone, backend.CallbackNeeded
		g.Factors = []backend.Factor{backend.FactorAttitude, backend.FactorOther}
		g.Solved, g.SurveyNotes, g.SurveyedBy = true, "已解决，用户要求回访", staff.ID
		g.SurveyedAt = at.Add(5*24*time.Hour + 999)
		g.Outcome, g.CallbackNotes, g.CalledBy, g.CalledAt = backend.OutcomeNotReached, "无人接听", staff.ID, at.Add(7*24*time.Hour)
		g.UpdatedAt = at.Add(7 * 24 * time.Hour)
		ev := &backend.Event{Kind: backend.EventFollowUp, ActorID: staff.ID,
			Data: backend.EventData{FollowUpID: f.ID, FollowUpStep: backend.StepSurveyed, Factors: g.Factors, Solved: true}}
		must(t, s.UpdateTicket(ctx, tk, []backend.Change{{Event: ev, FollowUp: &g}}))
		if g.EventID != eventID || g.CreatedAt != created || g.SurveyedAt != norm(at.Add(5*24*time.Hour+999)) || g.UpdatedAt != norm(at.Add(7*24*time.Hour)) {
			t.Fatalf("saved follow-up: %s", dump(g))
		}
		equal(t, "saved", getFollowUp(t, s, f.ID), &g)
		evs := events(t, s, tk.ID)
		equal(t, "event data", evs[len(evs)-1].Data, ev.Data)

		// A follow-up of another ticket is not found, and nothing is written.
		other := createTicket(t, s, minimalTicket(rep.ID), "FB", day)
		h := g
		h.SurveyNotes = "changed"
		err := s.UpdateTicket(ctx, other, []backend.Change{{Event: &backend.Event{Kind: backend.EventFollowUp}, FollowUp: &h}})
		wantCode(t, err, backend.ENOTFOUND)
		equal(t, "other ticket's version", getTicket(t, s, other.Number).Version, int64(1))
		equal(t, "other ticket's events", len(events(t, s, other.ID)), 0)
		equal(t, "unchanged", getFollowUp(t, s, f.ID), &g)
		equal(t, "caller's struct", h.SurveyNotes, "changed")
	})
	t.Run("ErrCreateTicket", func(t *testing.T) {
		_, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		tk := minimalTicket(rep.ID)
		f := &backend.FollowUp{RatedAt: at, Survey: backend.SurveyNeeded}
		err := s.CreateTicket(t.Context(), tk, "FB", day, []backend.Change{{Event: &backend.Event{Kind: backend.EventCreated}, FollowUp: f}})
		wantCode(t, err, backend.EINVALID)
		if tk.ID != 0 || f.ID != 0 {
			t.Fatalf("written: ticket %d, follow-up %d", tk.ID, f.ID)
		}
		equal(t, "number not used", createTicket(t, s, minimalTicket(rep.ID), "FB", day).Number, "FB-20261123-0001")
	})
	t.Run("FollowUps", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		teamA, teamB := createTeam(t, s, "a"), createTeam(t, s, "b")
		helper := createPerson(t, s, "helper", teamB.ID, backend.RoleAssistant)
		mk := func(team, assignee int64, rated time.Time) *backend.FollowUp {
			tk := minimalTicket(rep.ID)
			tk.TeamID, tk.AssigneeID = team, assignee
			return rate(t, s, createTicket(t, s, tk, "FB", day), rated)
		}
		f1 := mk(0, 0, at)                                  // no team
		f2 := mk(teamA.ID, 0, at.Add(24*time.Hour))         // team A
		f3 := mk(teamB.ID, 0, at.Add(48*time.Hour))         // team B
		f4 := mk(teamB.ID, helper.ID, at.Add(72*time.Hour)) // team B, assigned to helper
		// f2 is closed: surveyed, no callback.
		tk2, err := s.TicketByID(ctx, f2.TicketID)
		must(t, err)
		f2.Survey, f2.Callback = backend.SurveyDone, backend.CallbackNotNeeded
		must(t, s.UpdateTicket(ctx, tk2, []backend.Change{{Event: &backend.Event{Kind: backend.EventFollowUp}, FollowUp: f2}}))
		// f3 needs only a callback: still open.
		tk3, err := s.TicketByID(ctx, f3.TicketID)
		must(t, err)
		f3.Survey, f3.Callback = backend.SurveyNotNeeded, backend.CallbackNeeded
		must(t, s.UpdateTicket(ctx, tk3, []backend.Change{{Event: &backend.Event{Kind: backend.EventFollowUp}, FollowUp: f3}}))

		all, err := s.FollowUps(ctx, backend.FollowUpFilter{})
		must(t, err)
		equal(t, "all, newest first", all.FollowUps, []*backend.FollowUp{f4, f3, f2, f1})
		equal(t, "one page", all.NextCursor, int64(0))
		for _, tc := range []struct {
			name string
			f    backend.FollowUpFilter
			want []int64
		}{
			{"ticket", backend.FollowUpFilter{TicketID: f3.TicketID}, []int64{f3.ID}},
			{"open", backend.FollowUpFilter{Open: true}, []int64{f4.ID, f3.ID, f1.ID}},
			{"team A", backend.FollowUpFilter{Restrict: true, VisibleTeam: teamA.ID}, []int64{f2.ID, f1.ID}},
			{"team B", backend.FollowUpFilter{Restrict: true, VisibleTeam: teamB.ID}, []int64{f4.ID, f3.ID, f1.ID}},
			{"no team, assignee", backend.FollowUpFilter{Restrict: true, VisibleAssignee: helper.ID}, []int64{f4.ID, f1.ID}},
			{"team A or assignee", backend.FollowUpFilter{Restrict: true, VisibleTeam: teamA.ID, VisibleAssignee: helper.ID}, []int64{f4.ID, f2.ID, f1.ID}},
			{"rated from (inclusive)", backend.FollowUpFilter{RatedFrom: at.Add(24 * time.Hour)}, []int64{f4.ID, f3.ID, f2.ID}},
			{"rated before (exclusive)", backend.FollowUpFilter{RatedBefore: at.Add(48 * time.Hour)}, []int64{f2.ID, f1.ID}},
			{"after", backend.FollowUpFilter{After: f3.ID}, []int64{f2.ID, f1.ID}},
			{"none", backend.FollowUpFilter{TicketID: missing}, []int64{}},
		} {
			page, err := s.FollowUps(ctx, tc.f)
			must(t, err)
			equal(t, tc.name, followUpIDs(page), tc.want)
		}
		page, err := s.FollowUps(ctx, backend.FollowUpFilter{Limit: 3})
		must(t, err)
		equal(t, "page 1", followUpIDs(page), []int64{f4.ID, f3.ID, f2.ID})
		equal(t, "cursor", page.NextCursor, f2.ID)
		page, err = s.FollowUps(ctx, backend.FollowUpFilter{Limit: 3, After: page.NextCursor})
		must(t, err)
		equal(t, "page 2", followUpIDs(page), []int64{f1.ID})
		equal(t, "last page", page.NextCursor, int64(0))
	})
}
