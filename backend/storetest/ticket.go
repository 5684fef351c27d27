package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// day is 2026-11-23 in China, still the 22nd in UTC: numbers must use the
// date as given.
var day = time.Date(2026, 11, 23, 1, 0, 0, 0, cst)

func testCreateTicket(t *testing.T, newStore NewStoreFunc) {
	t.Run("OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		staff := createPerson(t, s, "staff", 0, backend.RoleAssistant)
		team := createTeam(t, s, "tech")
		inc := &backend.Incident{Title: "outage"}
		must(t, s.CreateIncident(ctx, inc))

		tk := fullTicket(rep.ID)
		tk.AssigneeID, tk.TeamID, tk.IncidentID = staff.ID, team.ID, inc.ID
		tk.Satisfaction, tk.Solution = backend.SatisfactionBasically, "restarted"
		tk.ResolvedAt = time.Date(2026, 11, 22, 12, 0, 0, 1500, cst)
		createdAt, occurred, added := tk.CreatedAt, tk.OccurredAt, tk.Attachments[0].AddedAt
		must(t, s.CreateTicket(ctx, tk, "FB", day, nil))

		if tk.ID == 0 || tk.Number != "FB-20261123-0001" || tk.Version != 1 {
			t.Fatalf("ID %d, Number %q, Version %d", tk.ID, tk.Number, tk.Version)
		}
		if tk.CreatedAt != norm(createdAt) || tk.UpdatedAt != tk.CreatedAt || tk.OccurredAt != norm(occurred) ||
			tk.ResolvedAt != time.Date(2026, 11, 22, 4, 0, 0, 1000, time.UTC) || tk.Attachments[0].AddedAt != norm(added) {
			t.Fatalf("times not normalised: %s", dump(tk))
		}
		equal(t, "Ticket", getTicket(t, s, tk.Number), tk)
		byID, err := s.TicketByID(ctx, tk.ID)
		must(t, err)
		equal(t, "TicketByID", byID, tk)
		equal(t, "Events of a ticket created without changes", len(events(t, s, tk.ID)), 0)
	})
	t.Run("Defaults", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		inClock := clockRange(t)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		tk := minimalTicket(rep.ID)
		must(t, s.CreateTicket(ctx, tk, "FB", day, nil))
		inClock("CreatedAt", tk.CreatedAt)
		if tk.UpdatedAt != tk.CreatedAt || !tk.OccurredAt.IsZero() || !tk.ResolvedAt.IsZero() {
			t.Fatalf("UpdatedAt %v, OccurredAt %v, ResolvedAt %v", tk.UpdatedAt, tk.OccurredAt, tk.ResolvedAt)
		}
		got := getTicket(t, s, tk.Number)
		equal(t, "Ticket", got, tk)
		if !got.ResolvedAt.IsZero() || got.CategoryPath != nil || got.Attachments != nil || got.Extra != nil {
			t.Fatalf("zero fields came back set: %s", dump(got))
		}
	})
	t.Run("OccurredDateOnly", func(t *testing.T) {
		// A day named alone and a midnight given as a time share the
		// timestamp; the flag tells them apart, on create and on update.
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		midnight := time.Date(2026, 11, 21, 0, 0, 0, 0, cst)
		alone, moment := minimalTicket(rep.ID), minimalTicket(rep.ID)
		alone.OccurredAt, alone.OccurredDateOnly = midnight, true
		moment.OccurredAt = midnight
		createTicket(t, s, alone, "FB", midnight)
		createTicket(t, s, moment, "FB", midnight)
		equal(t, "a day alone", getTicket(t, s, alone.Number), alone)
		equal(t, "a midnight", getTicket(t, s, moment.Number), moment)
		if got := getTicket(t, s, alone.Number); !got.OccurredDateOnly || got.OccurredAt != midnight.UTC() {
			t.Fatalf("a day alone read back as %v, date only %v", got.OccurredAt, got.OccurredDateOnly)
		}

		alone.OccurredDateOnly, moment.OccurredDateOnly = false, true
		must(t, s.UpdateTicket(ctx, alone, nil))
		must(t, s.UpdateTicket(ctx, moment, nil))
		equal(t, "a day alone made a midnight", getTicket(t, s, alone.Number), alone)
		equal(t, "a midnight made a day alone", getTicket(t, s, moment.Number), moment)
	})
	t.Run("Source", func(t *testing.T) {
		// The group chat message a ticket came from reads back by number,
		// by id and in a list; a ticket from a private chat has none.
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		grouped, private := minimalTicket(rep.ID), minimalTicket(rep.ID)
		grouped.Source = "telegram:-1001234567890:42"
		createTicket(t, s, grouped, "FB", day)
		createTicket(t, s, private, "FB", day)
		equal(t, "Ticket", getTicket(t, s, grouped.Number), grouped)
		byID, err := s.TicketByID(ctx, grouped.ID)
		must(t, err)
		equal(t, "TicketByID", byID, grouped)
		page, err := s.Tickets(ctx, backend.TicketFilter{ReporterID: rep.ID})
		must(t, err)
		sources := map[string]string{}
		for _, tk := range page.Tickets {
			sources[tk.Number] = tk.Source
		}
		equal(t, "sources listed", sources, map[string]string{grouped.Number: grouped.Source, private.Number: ""})

		grouped.Solution = "restarted"
		must(t, s.UpdateTicket(ctx, grouped, nil))
		equal(t, "Ticket updated", getTicket(t, s, grouped.Number), grouped)
	})
	t.Run("Number", func(t *testing.T) {
		_, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		next := day.Add(24 * time.Hour)
		for _, tc := range []struct {
			prefix string
			day    time.Time
			want   string
		}{
			{"FB", day, "FB-20261123-0001"},
			{"FB", day.Add(22 * time.Hour), "FB-20261123-0002"}, // 23:00 the same day in CST
			{"FB", next, "FB-20261124-0001"},
			{"CRM", day, "CRM-20261123-0001"},
			{"FB", day.UTC(), "FB-20261122-0001"}, // the caller's zone decides
			{"FB", day, "FB-20261123-0003"},
			{"CRM", next, "CRM-20261124-0001"},
		} {
			tk := createTicket(t, s, minimalTicket(rep.ID), tc.prefix, tc.day)
			if tk.Number != tc.want {
				t.Errorf("CreateTicket(%s, %v) = %s, want %s", tc.prefix, tc.day, tk.Number, tc.want)
			}
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		// 8 writers × 1,000 tickets on one prefix and day: every number from
		// 0001 to 8000 exactly once.
		const writers, each = 8, 1000
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		numbers := make([][]string, writers)
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for range each {
					tk := minimalTicket(rep.ID)
					if err := s.CreateTicket(ctx, tk, "FB", day, nil); err != nil {
						errs[w] = err
						return
					}
					numbers[w] = append(numbers[w], tk.Number)
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			must(t, err)
		}
		got := slices.Concat(numbers...)
		slices.Sort(got)
		want := make([]string, 0, writers*each)
		for i := range writers * each {
			want = append(want, backend.FormatNumber("FB", day, int64(i+1)))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %d numbers from %s to %s, want 8000 distinct from FB-20261123-0001 to FB-20261123-8000", len(got), got[0], got[len(got)-1])
		}
		last := createTicket(t, s, minimalTicket(rep.ID), "FB", day)
		equal(t, "number after the rush", last.Number, "FB-20261123-8001")
	})
	t.Run("RequestID", func(t *testing.T) {
		// One ticket per reporter and request id: a second filing of the
		// same request is ECONFLICT, writes nothing and uses no number.
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		other := createPerson(t, s, "other", 0, backend.RoleReporter)
		first := minimalTicket(rep.ID)
		first.RequestID = "draft-1"
		createTicket(t, s, first, "RQ", day)
		got, err := s.TicketByRequest(ctx, rep.ID, "draft-1")
		must(t, err)
		equal(t, "ticket by request", got.Number, first.Number)
		again := minimalTicket(rep.ID)
		again.RequestID = "draft-1"
		wantCode(t, s.CreateTicket(ctx, again, "RQ", day, []backend.Change{notify(backend.EventCreated, time.Time{}, &backend.OutboxMessage{Audience: backend.AudienceTriage})}), backend.ECONFLICT)
		_, err = s.TicketByRequest(ctx, other.ID, "draft-1")
		wantCode(t, err, backend.ENOTFOUND)
		theirs := minimalTicket(other.ID)
		theirs.RequestID = "draft-1" // another reporter's ids are theirs
		createTicket(t, s, theirs, "RQ", day)
		equal(t, "next number after the refused duplicate", theirs.Number, backend.FormatNumber("RQ", day, 2))
		_, err = s.TicketByRequest(ctx, rep.ID, "draft-2")
		wantCode(t, err, backend.ENOTFOUND)
	})
	t.Run("ConcurrentWithFailures", func(t *testing.T) {
		// Writers racing, every third ticket naming a reporter that does not
		// exist: those fail with EINVALID alone (a store that writes
		// concurrent tickets together must not sink the good ones), and the
		// good ones still get consecutive numbers with no gap.
		const writers, each = 8, 30
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		var mu sync.Mutex
		var got []string
		var bad int
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					tk := minimalTicket(rep.ID)
					if (w*each+i)%3 == 0 {
						tk.ReporterID = rep.ID + 100000
					}
					err := s.CreateTicket(ctx, tk, "CF", day, []backend.Change{notify(backend.EventCreated, time.Time{}, &backend.OutboxMessage{Audience: backend.AudienceTriage})})
					mu.Lock()
					if tk.ReporterID != rep.ID {
						if backend.ErrorCode(err) != backend.EINVALID {
							t.Errorf("ticket with a missing reporter: %v, want EINVALID", err)
						}
						bad++
					} else if err != nil {
						t.Errorf("good ticket failed: %v", err)
					} else {
						got = append(got, tk.Number)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(got)
		for i, n := range got {
			if want := backend.FormatNumber("CF", day, int64(i+1)); n != want {
				t.Fatalf("number %d is %s, want %s (numbers must stay gap-free)", i, n, want)
			}
		}
		if len(got)+bad != writers*each || bad != writers*each/3 {
			t.Fatalf("%d good and %d bad, want %d and %d", len(got), bad, writers*each-writers*each/3, writers*each/3)
		}
	})
	t.Run("Changes", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		inClock := clockRange(t)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		at := time.Date(2026, 11, 22, 9, 0, 0, 777, cst)
		att := backend.Attachment{Name: "a.png", Size: 1, AddedAt: at}
		created := &backend.Event{Kind: backend.EventCreated, ActorID: rep.ID, At: at, Public: true, Body: "filed",
			Data: backend.EventData{To: backend.StatusNew}}
		attached := &backend.Event{Kind: backend.EventAttachment, ActorID: rep.ID, Public: true,
			Data: backend.EventData{Attachment: &att}}
		triage := &backend.OutboxMessage{Audience: backend.AudienceTriage}
		toRep := &backend.OutboxMessage{Audience: backend.AudienceReporter, RecipientID: rep.ID,
			NextAttempt: at.Add(time.Minute), CreatedAt: at}
		tk := createTicket(t, s, fullTicket(rep.ID), "FB", day,
			backend.Change{Event: created, Notify: []*backend.OutboxMessage{triage, toRep}},
			backend.Change{Event: attached})

		for _, e := range []*backend.Event{created, attached} {
			if e.ID == 0 || e.TicketID != tk.ID {
				t.Fatalf("event %s: ID %d, TicketID %d", e.Kind, e.ID, e.TicketID)
			}
		}
		if created.At != norm(at) || attached.Data.Attachment.AddedAt != norm(at) {
			t.Fatalf("event times not normalised: %s", dump([]*backend.Event{created, attached}))
		}
		inClock("event At", attached.At)
		for _, m := range []*backend.OutboxMessage{triage, toRep} {
			if m.ID == 0 || m.TicketID != tk.ID || m.EventID != created.ID {
				t.Fatalf("message %s: ID %d, TicketID %d, EventID %d", m.Audience, m.ID, m.TicketID, m.EventID)
			}
		}
		inClock("message CreatedAt", triage.CreatedAt)
		if triage.NextAttempt != triage.CreatedAt || toRep.NextAttempt != norm(at.Add(time.Minute)) || toRep.CreatedAt != norm(at) {
			t.Fatalf("message times: %s", dump([]*backend.OutboxMessage{triage, toRep}))
		}
		equal(t, "Events", events(t, s, tk.ID), []*backend.Event{created, attached})

		claimed, err := s.ClaimOutbox(ctx, farFuture, time.Minute, 10)
		must(t, err)
		equal(t, "claimed", claimed, []*backend.OutboxMessage{triage, toRep})
	})
	t.Run("ErrInvalidReference", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		for _, bad := range []func(*backend.Ticket){
			func(t *backend.Ticket) { t.ReporterID = missing },
			func(t *backend.Ticket) { t.AssigneeID = missing },
			func(t *backend.Ticket) { t.TeamID = missing },
			func(t *backend.Ticket) { t.IncidentID = missing },
		} {
			tk := minimalTicket(rep.ID)
			bad(tk)
			before := *tk
			ev := &backend.Event{Kind: backend.EventCreated}
			wantCode(t, s.CreateTicket(ctx, tk, "FB", day, []backend.Change{{Event: ev}}), backend.EINVALID)
			equal(t, "ticket after failure", tk, &before)
			equal(t, "event after failure", ev, &backend.Event{Kind: backend.EventCreated})
		}
		tk := createTicket(t, s, minimalTicket(rep.ID), "FB", day)
		equal(t, "number after failures", tk.Number, "FB-20261123-0001")
		page, err := s.Tickets(ctx, backend.TicketFilter{})
		must(t, err)
		equal(t, "tickets", ticketIDs(page.Tickets), []int64{tk.ID})
	})
}

func testTicket(t *testing.T, newStore NewStoreFunc) {
	t.Run("ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		_, err := s.Ticket(ctx, "FB-20261123-0001")
		wantCode(t, err, backend.ENOTFOUND)
		_, err = s.TicketByID(ctx, missing)
		wantCode(t, err, backend.ENOTFOUND)
	})
	t.Run("ReporterOptional", func(t *testing.T) {
		_, s := setup(t, newStore)
		tk := createTicket(t, s, minimalTicket(0), "API", day)
		equal(t, "ticket without reporter", getTicket(t, s, tk.Number), tk)
	})
}

func testUpdateTicket(t *testing.T, newStore NewStoreFunc) {
	t.Run("OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		staff := createPerson(t, s, "staff", 0, backend.RoleAssistant)
		team := createTeam(t, s, "tech")
		inc := &backend.Incident{Title: "outage"}
		must(t, s.CreateIncident(ctx, inc))
		tk := createTicket(t, s, fullTicket(rep.ID), "FB", day,
			backend.Change{Event: &backend.Event{Kind: backend.EventCreated}})
		number, id, created := tk.Number, tk.ID, tk.CreatedAt

		tk.UpdatedAt = time.Date(2026, 11, 22, 10, 30, 0, 999, cst)
		tk.Summary = "订单详情页面白屏"
		tk.CategoryPath = []string{"CRM问题", "订单", "详情"}
		tk.Attachments = append(tk.Attachments, backend.Attachment{Name: "b.png", AddedAt: time.Date(2026, 11, 22, 10, 0, 0, 1999, cst)})
		tk.Severity = backend.P1
		tk.Contacts = backend.Contacts{Email: "new@example.com"}
		tk.Extra = map[string]string{"urgency": "low"}
		tk.Status = backend.StatusResolved
		tk.AssigneeID, tk.TeamID, tk.IncidentID = staff.ID, team.ID, inc.ID
		tk.Satisfaction, tk.Solution = backend.SatisfactionSatisfied, "fixed the CDN"
		tk.ResolvedAt = time.Date(2026, 11, 22, 11, 0, 0, 5, cst)
		tk.AcceptedAt = time.Date(2026, 11, 22, 10, 15, 0, 2500, cst)
		ev := &backend.Event{Kind: backend.EventStatusChanged, ActorID: staff.ID, Public: true, Body: "fixed",
			Data: backend.EventData{From: backend.StatusNew, To: backend.StatusResolved}}
		msg := &backend.OutboxMessage{Audience: backend.AudienceReporter, RecipientID: rep.ID}
		must(t, s.UpdateTicket(ctx, tk, []backend.Change{{Event: ev, Notify: []*backend.OutboxMessage{msg}}}))

		if tk.Version != 2 || tk.ID != id || tk.Number != number || tk.CreatedAt != created {
			t.Fatalf("Version %d, ID %d, Number %s, CreatedAt %v", tk.Version, tk.ID, tk.Number, tk.CreatedAt)
		}
		equal(t, "UpdatedAt", tk.UpdatedAt, time.Date(2026, 11, 22, 2, 30, 0, 0, time.UTC))
		if tk.ResolvedAt != time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC) || tk.Attachments[2].AddedAt != time.Date(2026, 11, 22, 2, 0, 0, 1000, time.UTC) {
			t.Fatalf("times not normalised: %v, %v", tk.ResolvedAt, tk.Attachments[2].AddedAt)
		}
		equal(t, "AcceptedAt", tk.AcceptedAt, time.Date(2026, 11, 22, 2, 15, 0, 2000, time.UTC))
		equal(t, "updated ticket", getTicket(t, s, number), tk)
		if ev.ID == 0 || ev.TicketID != tk.ID || msg.ID == 0 || msg.TicketID != tk.ID || msg.EventID != ev.ID {
			t.Fatalf("change not stamped: %s %s", dump(ev), dump(msg))
		}
		evs := events(t, s, tk.ID)
		equal(t, "events", len(evs), 2)
		equal(t, "appended event", evs[1], ev)

		// A second update with the new version works too; without an
		// UpdatedAt the store's clock sets it.
		// Clearing AcceptedAt (a dispatch to someone else) stores NULL.
		inClock := clockRange(t)
		tk.Status, tk.UpdatedAt, tk.AcceptedAt = backend.StatusArchived, time.Time{}, time.Time{}
		must(t, s.UpdateTicket(ctx, tk, nil))
		inClock("UpdatedAt", tk.UpdatedAt)
		equal(t, "twice updated ticket", getTicket(t, s, number), tk)
		equal(t, "version", tk.Version, int64(3))
	})
	t.Run("ErrConflict", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		tk := createTicket(t, s, fullTicket(rep.ID), "FB", day)
		a, b := getTicket(t, s, tk.Number), getTicket(t, s, tk.Number)

		a.Status = backend.StatusAssigned
		must(t, s.UpdateTicket(ctx, a, []backend.Change{{Event: &backend.Event{Kind: backend.EventAssigned}}}))

		b.Summary = "a stale edit that must not land"
		stale := *b
		ev := &backend.Event{Kind: backend.EventComment, Body: "lost"}
		msg := &backend.OutboxMessage{Audience: backend.AudienceTriage}
		err := s.UpdateTicket(ctx, b, []backend.Change{{Event: ev, Notify: []*backend.OutboxMessage{msg}}})
		wantCode(t, err, backend.ECONFLICT)
		equal(t, "stale ticket after conflict", b, &stale)
		if ev.ID != 0 || msg.ID != 0 {
			t.Fatal("change stamped on failure")
		}
		equal(t, "stored ticket", getTicket(t, s, tk.Number), a)
		equal(t, "events", len(events(t, s, tk.ID)), 1)
		claimed, err := s.ClaimOutbox(ctx, farFuture, time.Minute, 10)
		must(t, err)
		equal(t, "messages", len(claimed), 0)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		tk := minimalTicket(0)
		tk.ID, tk.Version = missing, 1
		wantCode(t, s.UpdateTicket(ctx, tk, nil), backend.ENOTFOUND)
	})
	t.Run("ErrInvalidReference", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		tk := createTicket(t, s, fullTicket(rep.ID), "FB", day)
		tk.AssigneeID = missing
		wantCode(t, s.UpdateTicket(ctx, tk, nil), backend.EINVALID)
		equal(t, "version after failure", tk.Version, int64(1))
	})
}

func testEvents(t *testing.T, newStore NewStoreFunc) {
	t.Run("OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		mk := func(k backend.EventKind, at time.Time) *backend.Event {
			return &backend.Event{Kind: k, ActorID: rep.ID, At: at, Body: string(k)}
		}
		e1, e2 := mk(backend.EventCreated, at), mk(backend.EventComment, at) // same time: ID decides
		tk := createTicket(t, s, minimalTicket(rep.ID), "FB", day, backend.Change{Event: e1}, backend.Change{Event: e2})
		other := createTicket(t, s, minimalTicket(rep.ID), "FB", day, backend.Change{Event: mk(backend.EventCreated, at)})
		e3 := mk(backend.EventSatisfaction, at.Add(-time.Hour)) // appended later with an earlier time
		e3.Data = backend.EventData{Satisfaction: backend.SatisfactionUnsatisfied}
		must(t, s.UpdateTicket(ctx, tk, []backend.Change{{Event: e3}}))
		equal(t, "Events", events(t, s, tk.ID), []*backend.Event{e1, e2, e3})
		equal(t, "other ticket's events", len(events(t, s, other.ID)), 1)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		_, err := s.Events(ctx, missing)
		wantCode(t, err, backend.ENOTFOUND)
	})
}

func testTickets(t *testing.T, newStore NewStoreFunc) {
	t.Run("Filter", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		teamA, teamB := createTeam(t, s, "A"), createTeam(t, s, "B")
		rep1 := createPerson(t, s, "rep1", 0, backend.RoleReporter)
		rep2 := createPerson(t, s, "rep2", 0, backend.RoleReporter)
		staff1 := createPerson(t, s, "staff1", teamA.ID, backend.RoleAssistant)
		staff2 := createPerson(t, s, "staff2", teamB.ID, backend.RoleAssistant)
		base := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
		mk := func(i int, rep int64, sev backend.Severity, st backend.Status, assignee, team int64, cat []string, f func(*backend.Ticket)) *backend.Ticket {
			tk := &backend.Ticket{Summary: fmt.Sprintf("ticket number %d", i), Severity: sev, Status: st, ReporterID: rep,
				AssigneeID: assignee, TeamID: team, CategoryPath: cat, CreatedAt: base.Add(time.Duration(i) * time.Hour)}
			if f != nil {
				f(tk)
			}
			return createTicket(t, s, tk, "FB", day)
		}
		t1 := mk(1, rep1.ID, backend.P1, backend.StatusNew, 0, 0, []string{"CRM问题", "会员中心"}, func(tk *backend.Ticket) {
			tk.OrderNumber, tk.Contacts.Phone = "ORD-777", "13912345678"
		})
		t2 := mk(2, rep1.ID, backend.P2, backend.StatusAssigned, staff1.ID, teamA.ID, []string{"CRM问题", "订单"}, func(tk *backend.Ticket) {
			tk.Contacts.Email = "wang@example.com"
		})
		t3 := mk(3, rep2.ID, backend.P3, backend.StatusInProgress, staff2.ID, teamB.ID, []string{"CRM问题X"}, func(tk *backend.Ticket) {
			tk.Contacts.QQ = "998877"
		})
		t4 := mk(4, rep2.ID, backend.P4, backend.StatusResolved, 0, teamA.ID, []string{"体验建议"}, func(tk *backend.Ticket) {
			tk.Summary = "The Checkout button is grey"
		})
		d := func(i int) time.Time { return base.Add(time.Duration(i) * time.Hour).In(cst) }
		for _, tc := range []struct {
			name string
			f    backend.TicketFilter
			want []*backend.Ticket
		}{
			{"all", backend.TicketFilter{}, []*backend.Ticket{t4, t3, t2, t1}},
			{"reporter", backend.TicketFilter{ReporterID: rep1.ID}, []*backend.Ticket{t2, t1}},
			{"assignee", backend.TicketFilter{AssigneeID: staff1.ID}, []*backend.Ticket{t2}},
			{"team", backend.TicketFilter{TeamID: teamA.ID}, []*backend.Ticket{t4, t2}},
			{"status", backend.TicketFilter{Status: []backend.Status{backend.StatusNew, backend.StatusResolved}}, []*backend.Ticket{t4, t1}},
			{"severity", backend.TicketFilter{Severity: []backend.Severity{backend.P1, backend.P3}}, []*backend.Ticket{t3, t1}},
			{"category root", backend.TicketFilter{CategoryPath: []string{"CRM问题"}}, []*backend.Ticket{t2, t1}},
			{"category leaf", backend.TicketFilter{CategoryPath: []string{"CRM问题", "订单"}}, []*backend.Ticket{t2}},
			{"category too deep", backend.TicketFilter{CategoryPath: []string{"CRM问题", "订单", "x"}}, nil},
			{"created after", backend.TicketFilter{CreatedAfter: d(2)}, []*backend.Ticket{t4, t3, t2}},
			{"created before", backend.TicketFilter{CreatedBefore: d(3)}, []*backend.Ticket{t2, t1}},
			{"created range", backend.TicketFilter{CreatedAfter: d(2), CreatedBefore: d(4)}, []*backend.Ticket{t3, t2}},
			{"query number", backend.TicketFilter{Query: t3.Number}, []*backend.Ticket{t3}},
			{"query summary", backend.TicketFilter{Query: "checkout"}, []*backend.Ticket{t4}},
			{"query order number", backend.TicketFilter{Query: "ord-77"}, []*backend.Ticket{t1}},
			{"query phone", backend.TicketFilter{Query: "12345678"}, []*backend.Ticket{t1}},
			{"query email", backend.TicketFilter{Query: "WANG@"}, []*backend.Ticket{t2}},
			{"query qq", backend.TicketFilter{Query: "9988"}, []*backend.Ticket{t3}},
			{"query wildcard is literal", backend.TicketFilter{Query: "%"}, nil},
			{"query no match", backend.TicketFilter{Query: "nothing like this"}, nil},
			{"visible to team", backend.TicketFilter{VisibleToTeam: teamA.ID}, []*backend.Ticket{t4, t2, t1}},
			{"visible to other team", backend.TicketFilter{VisibleToTeam: teamB.ID}, []*backend.Ticket{t3, t1}},
			{"visible to team and assignee", backend.TicketFilter{VisibleToTeam: teamA.ID, VisibleToAssignee: staff2.ID}, []*backend.Ticket{t4, t3, t2, t1}},
			{"visible to an assistant without a team", backend.TicketFilter{VisibleToAssignee: staff2.ID}, []*backend.Ticket{t3, t1}},
			{"combined", backend.TicketFilter{ReporterID: rep2.ID, Status: []backend.Status{backend.StatusResolved}, VisibleToTeam: teamA.ID}, []*backend.Ticket{t4}},
			{"nobody's", backend.TicketFilter{ReporterID: missing}, nil},
		} {
			page, err := s.Tickets(ctx, tc.f)
			must(t, err)
			if page.NextCursor != 0 {
				t.Errorf("%s: NextCursor %d on the only page", tc.name, page.NextCursor)
			}
			if len(page.Tickets) == 0 && len(tc.want) == 0 {
				continue
			}
			equal(t, tc.name, page.Tickets, tc.want)
		}
	})
	t.Run("Pagination", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		var all []int64
		for range 7 {
			all = append(all, createTicket(t, s, minimalTicket(rep.ID), "FB", day).ID)
		}
		slices.Reverse(all)
		var got []int64
		f := backend.TicketFilter{Limit: 3}
		for pages := 0; ; pages++ {
			page, err := s.Tickets(ctx, f)
			must(t, err)
			got = append(got, ticketIDs(page.Tickets)...)
			if page.NextCursor == 0 {
				equal(t, "pages", pages+1, 3)
				break
			}
			equal(t, "cursor", page.NextCursor, page.Tickets[len(page.Tickets)-1].ID)
			f.After = page.NextCursor
		}
		equal(t, "all pages", got, all)

		for limit, next := range map[int]int64{6: all[5], 7: 0, 8: 0} {
			page, err := s.Tickets(ctx, backend.TicketFilter{Limit: limit})
			must(t, err)
			if page.NextCursor != next {
				t.Errorf("Limit %d: NextCursor %d, want %d", limit, page.NextCursor, next)
			}
		}
		page, err := s.Tickets(ctx, backend.TicketFilter{After: all[3], Limit: 2, ReporterID: rep.ID})
		must(t, err)
		equal(t, "page after a cursor", ticketIDs(page.Tickets), all[4:6])
		equal(t, "cursor", page.NextCursor, all[5])
	})
	t.Run("Limit", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		for range 201 {
			createTicket(t, s, minimalTicket(rep.ID), "FB", day)
		}
		for _, tc := range []struct{ limit, want int }{{0, 50}, {-1, 50}, {200, 200}, {201, 200}, {1000, 200}} {
			page, err := s.Tickets(ctx, backend.TicketFilter{Limit: tc.limit})
			must(t, err)
			if len(page.Tickets) != tc.want || page.NextCursor == 0 {
				t.Errorf("Limit %d: %d tickets, NextCursor %d; want %d and more", tc.limit, len(page.Tickets), page.NextCursor, tc.want)
			}
		}
	})
}

// testAttachmentsInUse: the hashes some ticket's attachments name, of a
// list that also holds hashes no ticket names (and a ticket with none).
func testAttachmentsInUse(t *testing.T, newStore NewStoreFunc) {
	ctx, s := setup(t, newStore)
	r := createPerson(t, s, "reporter", 0, backend.RoleReporter)
	first, added, gone := strings.Repeat("ab", 32), strings.Repeat("cd", 32), strings.Repeat("ef", 32)
	tk := createTicket(t, s, fullTicket(r.ID), "FB", time.Date(2026, 11, 22, 0, 0, 0, 0, cst)) // screen.png is "abab…"
	createTicket(t, s, minimalTicket(r.ID), "FB", time.Date(2026, 11, 22, 0, 0, 0, 0, cst))
	used, err := s.AttachmentsInUse(ctx, []string{first, added, gone})
	must(t, err)
	equal(t, "in use", used, map[string]bool{first: true})

	// An attachment added later counts too.
	tk.Attachments = append(tk.Attachments, backend.Attachment{Name: "more.png", ContentType: "image/png", Size: 5, SHA256: added, AddedAt: time.Now()})
	must(t, s.UpdateTicket(ctx, tk, nil))
	used, err = s.AttachmentsInUse(ctx, []string{first, added, gone})
	must(t, err)
	equal(t, "in use after an attachment was added", used, map[string]bool{first: true, added: true})

	used, err = s.AttachmentsInUse(ctx, nil)
	must(t, err)
	equal(t, "in use of none", used, map[string]bool{})
}
