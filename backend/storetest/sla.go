package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func testClocks(t *testing.T, newStore NewStoreFunc) {
	at := time.Date(2026, 11, 23, 9, 30, 0, 123456789, cst)
	newClock := func(name string, run int) *backend.Clock {
		return &backend.Clock{Name: name, Run: run, PolicyVersion: "v1", Severity: backend.P2, Unit: "business",
			Budget: 2 * time.Hour, State: backend.ClockRunning, StartedAt: at, RunningSince: at,
			WarnAt: at.Add(96 * time.Minute), DueAt: at.Add(2 * time.Hour), Generation: 1, UpdatedAt: at}
	}
	t.Run("OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		r := createPerson(t, s, "r", 0, backend.RoleReporter)
		tk := createTicket(t, s, minimalTicket(r.ID), "FB", at)
		got, err := s.Clocks(ctx, tk.ID)
		must(t, err)
		equal(t, "no clocks", got, []*backend.Clock{})

		c1, c2 := newClock("confirm", 1), newClock("solve", 1)
		ev := notify(backend.EventClock, at, &backend.OutboxMessage{Audience: backend.AudiencePerson, RecipientID: r.ID})
		must(t, s.SaveClocks(ctx, tk.ID, tk.Version, []*backend.Clock{c1, c2}, []backend.Change{ev}))
		if c1.ID == 0 || c2.ID == 0 || c1.TicketID != tk.ID || ev.Event.ID == 0 || ev.Notify[0].ID == 0 {
			t.Fatalf("IDs not set: %+v %+v %+v", c1, c2, ev.Event)
		}
		if c1.StartedAt != norm(at) {
			t.Fatalf("StartedAt = %v, want %v normalised", c1.StartedAt, at)
		}
		got, err = s.Clocks(ctx, tk.ID)
		must(t, err)
		equal(t, "clocks", got, []*backend.Clock{c1, c2})

		// An update needs the next generation.
		c1.State, c1.StoppedAt, c1.RunningSince, c1.DueAt, c1.WarnAt = backend.ClockStopped, at.Add(time.Hour), time.Time{}, time.Time{}, time.Time{}
		c1.Used, c1.UsedOther, c1.Step, c1.AckedBy, c1.AckedAt = time.Hour, 3*time.Hour, 2, r.ID, at.Add(time.Hour)
		c1.Generation = 2
		must(t, s.SaveClocks(ctx, tk.ID, tk.Version, []*backend.Clock{c1}, nil))
		got, err = s.Clocks(ctx, tk.ID)
		must(t, err)
		equal(t, "updated", got, []*backend.Clock{c1, c2})
		// The next run of a clock is a new row.
		c3 := newClock("confirm", 2)
		must(t, s.SaveClocks(ctx, tk.ID, tk.Version, []*backend.Clock{c3}, nil))
		if n := len(events(t, s, tk.ID)); n != 1 {
			t.Fatalf("events = %d, want 1 (the created ticket had none)", n)
		}
	})
	t.Run("TicketsByClock", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		r := createPerson(t, s, "r", 0, backend.RoleReporter)
		tk := func(c *backend.Clock) *backend.Ticket {
			x := createTicket(t, s, minimalTicket(r.ID), "FB", at)
			if c != nil {
				must(t, s.SaveClocks(ctx, x.ID, x.Version, []*backend.Clock{c}, nil))
			}
			return x
		}
		warned := tk(newClock("confirm", 1)) // warn at +96m
		later := newClock("solve", 1)
		later.WarnAt, later.DueAt = at.Add(5*time.Hour), at.Add(6*time.Hour)
		tk(later) // not yet warned
		stopped := newClock("confirm", 1)
		stopped.State, stopped.RunningSince, stopped.WarnAt, stopped.DueAt, stopped.StoppedAt = backend.ClockStopped, time.Time{}, time.Time{}, time.Time{}, at
		stopped.BreachedAt = at
		tk(stopped) // breached, but no longer running
		breached := newClock("solve", 1)
		breached.WarnAt, breached.BreachedAt = at.Add(10*time.Hour), at // re-planned later, breached before
		late := tk(breached)
		bare := tk(nil)
		now := at.Add(2 * time.Hour)
		page, err := s.Tickets(ctx, backend.TicketFilter{ClockAlarm: now})
		must(t, err)
		equal(t, "alarm", ticketIDs(page.Tickets), []int64{late.ID, warned.ID})
		page, err = s.Tickets(ctx, backend.TicketFilter{ClockAlarm: at.Add(96 * time.Minute)})
		must(t, err)
		equal(t, "alarm at the warning time", ticketIDs(page.Tickets), []int64{late.ID, warned.ID})
		page, err = s.Tickets(ctx, backend.TicketFilter{ClockAlarm: at.Add(95 * time.Minute)})
		must(t, err)
		equal(t, "alarm before the warning time", ticketIDs(page.Tickets), []int64{late.ID})
		page, err = s.Tickets(ctx, backend.TicketFilter{NoClocks: true})
		must(t, err)
		equal(t, "no clocks", ticketIDs(page.Tickets), []int64{bare.ID})
	})
	t.Run("ErrConflict", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		r := createPerson(t, s, "r", 0, backend.RoleReporter)
		tk := createTicket(t, s, minimalTicket(r.ID), "FB", at)
		c := newClock("confirm", 1)
		must(t, s.SaveClocks(ctx, tk.ID, 1, []*backend.Clock{c}, nil))
		stale := *c
		stale.Generation = 5 // stored is 1, so 4 ≠ 1
		other := newClock("solve", 1)
		err := s.SaveClocks(ctx, tk.ID, 1, []*backend.Clock{other, &stale}, []backend.Change{notify(backend.EventClock, at)})
		wantCode(t, err, backend.ECONFLICT)
		if other.ID != 0 {
			t.Fatal("a failed save set an ID")
		}
		got, err := s.Clocks(ctx, tk.ID)
		must(t, err)
		equal(t, "nothing written", got, []*backend.Clock{c})
		if n := len(events(t, s, tk.ID)); n != 0 {
			t.Fatalf("events = %d after a failed save", n)
		}
		dup := newClock("confirm", 1)
		wantCode(t, s.SaveClocks(ctx, tk.ID, 1, []*backend.Clock{dup}, nil), backend.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		_, err := s.Clocks(ctx, missing)
		wantCode(t, err, backend.ENOTFOUND)
		wantCode(t, s.SaveClocks(ctx, missing, 1, []*backend.Clock{newClock("x", 1)}, nil), backend.ENOTFOUND)
	})
	t.Run("LiveAndUnsynced", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		r := createPerson(t, s, "r", 0, backend.RoleReporter)
		var tks []*backend.Ticket
		for range 3 {
			tks = append(tks, createTicket(t, s, minimalTicket(r.ID), "FB", at))
		}
		// Resolved tickets count while their report and review clocks may
		// run: those planned before and changed since the given time. One
		// never planned is left alone (a catch-up would send its notices
		// days late).
		since := at.Add(-30 * 24 * time.Hour)
		resolved := func(changed time.Time, planned bool) *backend.Ticket {
			tk := minimalTicket(r.ID)
			tk.Status, tk.CreatedAt = backend.StatusResolved, changed
			createTicket(t, s, tk, "FB", at)
			if planned {
				must(t, s.SaveClocks(ctx, tk.ID, tk.Version, nil, nil))
				tk.Summary, tk.UpdatedAt = "a report was handed in", changed
				must(t, s.UpdateTicket(ctx, tk, nil))
			}
			return tk
		}
		resolved(since.Add(-time.Second), true)
		recent := resolved(since, true)
		resolved(since, false)
		ids, err := s.UnsyncedTickets(ctx, since, 10)
		must(t, err)
		equal(t, "all open unsynced, and the recently resolved planned one", ids, []int64{tks[0].ID, tks[1].ID, tks[2].ID, recent.ID})
		must(t, s.SaveClocks(ctx, recent.ID, recent.Version, nil, nil))

		var live []int64
		for i, tk := range tks {
			c := newClock("solve", 1)
			if i == 1 {
				c.State, c.RunningSince, c.PausedAt = backend.ClockPaused, time.Time{}, at
			}
			must(t, s.SaveClocks(ctx, tk.ID, tk.Version, []*backend.Clock{c}, nil))
			if i != 1 {
				live = append(live, c.ID)
			}
		}
		ids, err = s.UnsyncedTickets(ctx, since, 10)
		must(t, err)
		equal(t, "synced", ids, []int64{})
		tk := tks[0]
		tk.Summary = "changed after the clocks"
		must(t, s.UpdateTicket(ctx, tk, nil))
		ids, err = s.UnsyncedTickets(ctx, since, 10)
		must(t, err)
		equal(t, "stale", ids, []int64{tk.ID})

		first, err := s.LiveClocks(ctx, 0, 1)
		must(t, err)
		rest, err := s.LiveClocks(ctx, first[0].ID, 10)
		must(t, err)
		equal(t, "live", append(ids2(first), ids2(rest)...), live)
	})
	t.Run("RecordOnce", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		r := createPerson(t, s, "r", 0, backend.RoleReporter)
		tk := createTicket(t, s, minimalTicket(r.ID), "FB", at)
		var firsts atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				ch := notify(backend.EventEscalation, at, &backend.OutboxMessage{Audience: backend.AudiencePerson, RecipientID: r.ID})
				ok, err := s.RecordOnce(ctx, "clock-1-step-1", tk.ID, []backend.Change{ch})
				if err != nil {
					t.Error(err)
				}
				if ok {
					firsts.Add(1)
					if ch.Event.ID == 0 || ch.Notify[0].ID == 0 {
						t.Error("IDs not set")
					}
				}
			})
		}
		wg.Wait()
		if firsts.Load() != 1 {
			t.Fatalf("%d callers wrote the step, want 1", firsts.Load())
		}
		if n := len(events(t, s, tk.ID)); n != 1 {
			t.Fatalf("events = %d, want 1", n)
		}
		ok, err := s.RecordOnce(ctx, "clock-1-step-2", tk.ID, nil)
		if err != nil || !ok {
			t.Fatalf("another key = %v, %v", ok, err)
		}
	})
}

func ids2(cs []*backend.Clock) []int64 {
	return ids(cs, func(c *backend.Clock) int64 { return c.ID })
}
