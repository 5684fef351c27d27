package backend_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// remind runs svc.RemindFollowUps at when and wants want reminders.
func (f *fixture) remind(t *testing.T, svc *backend.Service, when time.Time, want int) {
	t.Helper()
	f.now = when
	got, err := svc.RemindFollowUps(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("at %v: %d reminders, want %d", when.In(svc.Location()), got, want)
	}
}

func TestRemindFollowUps(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		t.Parallel()
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		sh := f.svc.Location()
		at := func(month time.Month, day, hour, minute int) time.Time {
			return time.Date(2026, month, day, hour, minute, 0, 0, sh).UTC()
		}
		// Both rated on Monday 23 November: surveys Monday 30 November to
		// Wednesday 2 December, callbacks Thursday 3 to Sunday 6 December.
		n := f.unsatisfied(t)
		quiet := f.unsatisfied(t)
		fus, err := f.svc.FollowUpsOf(ctx, f.ann, n)
		if err != nil {
			t.Fatal(err)
		}
		id := fus[0].ID
		q, err := f.svc.FollowUpsOf(ctx, f.ann, quiet)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.MarkFollowUp(ctx, f.ann, q[0].ID, backend.MarkNoSurvey, "误操作评价"); err != nil {
			t.Fatal(err)
		}

		remind := func(svc *backend.Service, when time.Time, want int) { t.Helper(); f.remind(t, svc, when, want) }
		remind(f.svc, at(11, 27, 9, 0), 0)  // rated this week: next week's
		remind(f.svc, at(11, 30, 8, 59), 0) // the window is open, but not the working day
		remind(f.svc, at(11, 30, 9, 0), 1)
		remind(f.svc, at(11, 30, 9, 1), 0)
		// Another process (or this one restarted) finds it written.
		other := backend.NewService(f.store, backend.ServiceConfig{Now: func() time.Time { return f.now }, Location: sh})
		remind(other, at(11, 30, 9, 2), 0)

		// The reminder is posted to the triage chat (its card's thread).
		var events []*backend.Event
		reminders := func() []*backend.Event {
			t.Helper()
			_, events, err = f.svc.Thread(ctx, f.ann, n)
			if err != nil {
				t.Fatal(err)
			}
			var out []*backend.Event
			for _, e := range events {
				if e.Kind == backend.EventFollowUp && (e.Data.FollowUpStep == backend.StepSurveyDue || e.Data.FollowUpStep == backend.StepCallbackDue) {
					if e.Public || e.Data.FollowUpID != id {
						t.Fatalf("reminder %+v", e)
					}
					out = append(out, e)
				}
			}
			return out
		}
		rs := reminders()
		if len(rs) != 1 || rs[0].Data.FollowUpStep != backend.StepSurveyDue ||
			!rs[0].Data.WindowFrom.Equal(at(11, 30, 0, 0)) || !rs[0].Data.Due.Equal(at(12, 3, 0, 0)) {
			t.Fatalf("survey reminders: %+v", rs)
		}
		var msgs []*backend.OutboxMessage
		for { // deliver all: a ticket's messages come one at a time, in order
			claimed, err := f.store.ClaimOutbox(ctx, f.now.Add(time.Hour), time.Minute, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(claimed) == 0 {
				break
			}
			for _, m := range claimed {
				if err := f.store.MarkOutboxSent(ctx, m.ID, f.now, ""); err != nil {
					t.Fatal(err)
				}
			}
			msgs = append(msgs, claimed...)
		}
		if !slices.ContainsFunc(msgs, func(m *backend.OutboxMessage) bool {
			return m.EventID == rs[0].ID && m.Audience == backend.AudienceTriage
		}) {
			t.Fatalf("the reminder has no triage message: %+v", msgs)
		}

		// Surveyed on Tuesday, a callback needed; the 不满意 reopened the
		// ticket, so on Thursday the callback waits for its result.
		f.now = at(12, 1, 10, 0)
		if _, err := f.svc.RecordSurvey(ctx, f.ann, id, backend.SurveyInput{Factors: []backend.Factor{backend.FactorAttitude}, Callback: true}); err != nil {
			t.Fatal(err)
		}
		remind(f.svc, at(12, 3, 9, 0), 0)
		f.now = at(12, 3, 10, 0)
		if _, err := f.svc.Resolve(ctx, f.ann, n, "已按新口径处理"); err != nil {
			t.Fatal(err)
		}
		remind(f.svc, at(12, 3, 10, 1), 1)
		remind(f.svc, at(12, 6, 20, 0), 0)
		// Not called back by Sunday: overdue, reminded on Monday.
		remind(f.svc, at(12, 7, 8, 59), 0)
		remind(f.svc, at(12, 7, 9, 0), 1)
		remind(other, at(12, 7, 9, 30), 0)

		rs = reminders()
		var got []string
		for _, e := range rs {
			overdue := ""
			if !e.At.Before(e.Data.Due) {
				overdue = " overdue"
			}
			got = append(got, e.Data.FollowUpStep+overdue)
		}
		if want := []string{"survey_due", "callback_due", "callback_due overdue"}; !slices.Equal(got, want) {
			t.Fatalf("reminders %v, want %v", got, want)
		}
		if !rs[1].Data.WindowFrom.Equal(at(12, 3, 0, 0)) || !rs[1].Data.Due.Equal(at(12, 7, 0, 0)) {
			t.Fatalf("callback window %v – %v", rs[1].Data.WindowFrom, rs[1].Data.Due)
		}

		// Called back: nothing more.
		if _, err := f.svc.RecordCallback(ctx, f.amy, id, backend.OutcomeAccepted, ""); err != nil {
			t.Fatal(err)
		}
		remind(f.svc, at(12, 14, 9, 0), 0)
		_, events, err = f.svc.Thread(ctx, f.alice, n)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(events, func(e *backend.Event) bool { return e.Kind == backend.EventFollowUp }) {
			t.Fatal("the reporter sees a reminder")
		}
	})
}

// TestRemindFollowUpsLate: a process that was down when a survey's
// window opened reminds it as overdue the next morning, not at night;
// overdue ones are reminded each Monday for FollowUpNagWeeks, then no
// more.
func TestRemindFollowUpsLate(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		t.Parallel()
		f := newFixture(t, newStore(t))
		sh := f.svc.Location()
		at := func(year int, month time.Month, day, hour int) time.Time {
			return time.Date(year, month, day, hour, 0, 0, 0, sh).UTC()
		}
		f.unsatisfied(t) // Monday 23 November: surveys 30 November to 2 December
		remind := func(when time.Time, want int) { t.Helper(); f.remind(t, f.svc, when, want) }
		remind(at(2026, 12, 3, 0), 0) // overdue since midnight: not at night
		remind(at(2026, 12, 3, 9), 1)
		remind(at(2026, 12, 3, 19), 0)
		remind(at(2026, 12, 7, 8), 0)
		remind(at(2026, 12, 7, 9), 1)
		remind(at(2026, 12, 28, 19), 1) // the window closed 3 December: 4 weeks to 31 December
		remind(at(2027, 1, 4, 9), 0)
	})
}
