package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// testReportSubscriptions: subscribing is idempotent and per (kind, team);
// queueing a period adds one delivery per subscription however often it is
// asked; claims lease, parts and outcomes are kept, and a delivery given
// up or sent is not claimed again.
func testReportSubscriptions(t *testing.T, newStore NewStoreFunc) {
	ctx, s := setup(t, newStore)
	team := createTeam(t, s, "tech")
	ann := createPerson(t, s, "ann", 0, backend.RoleManager)
	bob := createPerson(t, s, "bob", team.ID, backend.RoleAssistant)
	now := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

	for range 2 {
		must(t, s.SubscribeReport(ctx, &backend.ReportSubscription{PersonID: ann.ID, Kind: backend.PeriodWeek}))
	}
	must(t, s.SubscribeReport(ctx, &backend.ReportSubscription{PersonID: ann.ID, Kind: backend.PeriodWeek, TeamID: team.ID, CreatedAt: now}))
	must(t, s.SubscribeReport(ctx, &backend.ReportSubscription{PersonID: ann.ID, Kind: backend.PeriodMonth}))
	must(t, s.SubscribeReport(ctx, &backend.ReportSubscription{PersonID: bob.ID, Kind: backend.PeriodWeek, TeamID: team.ID}))
	subs, err := s.ReportSubscriptions(ctx, ann.ID)
	must(t, err)
	var got [][2]any
	for _, sub := range subs {
		got = append(got, [2]any{sub.Kind, sub.TeamID})
	}
	equal(t, "ann's subscriptions", got, [][2]any{{"week", int64(0)}, {"week", team.ID}, {"month", int64(0)}})
	equal(t, "created_at kept", subs[1].CreatedAt, norm(now))
	must(t, s.UnsubscribeReport(ctx, ann.ID, backend.PeriodMonth, 0))
	must(t, s.UnsubscribeReport(ctx, ann.ID, backend.PeriodMonth, 0)) // gone already: nothing
	if subs, _ := s.ReportSubscriptions(ctx, ann.ID); len(subs) != 2 {
		t.Fatalf("after unsubscribing the month: %d subscriptions", len(subs))
	}

	// Two replicas queue the same week at once: three deliveries in all.
	var wg sync.WaitGroup
	added := make([]int, 4)
	for i := range added {
		wg.Go(func() {
			n, err := s.QueueReports(ctx, backend.PeriodWeek, "2026-W47", now)
			if err != nil {
				t.Error(err)
			}
			added[i] = n
		})
	}
	wg.Wait()
	if sum := added[0] + added[1] + added[2] + added[3]; sum != 3 {
		t.Fatalf("queued %v deliveries, want 3 in all", added)
	}
	if n, err := s.QueueReports(ctx, backend.PeriodMonth, "2026-10", now); err != nil || n != 0 {
		t.Fatalf("queue month with no subscriber: %d, %v", n, err)
	}

	if ds, err := s.ClaimReports(ctx, now.Add(-time.Second), time.Minute, 10); err != nil || len(ds) != 0 {
		t.Fatalf("claimed %d before they are due (%v)", len(ds), err)
	}
	ds, err := s.ClaimReports(ctx, now, time.Minute, 2)
	must(t, err)
	if len(ds) != 2 || ds[0].ID >= ds[1].ID {
		t.Fatalf("claimed %d, want the 2 oldest", len(ds))
	}
	first := ds[0]
	equal(t, "a claimed delivery", [4]any{first.PersonID, first.Kind, first.Period, first.Parts}, [4]any{ann.ID, "week", "2026-W47", 0})
	rest, err := s.ClaimReports(ctx, now, time.Minute, 10)
	must(t, err)
	if len(rest) != 1 {
		t.Fatalf("second claim got %d, want the one not leased", len(rest))
	}

	must(t, s.ReportPartsSent(ctx, first.ID, 1))
	must(t, s.ReportPartsSent(ctx, first.ID, 0)) // never goes back
	must(t, s.MarkReportRetry(ctx, first.ID, now.Add(time.Minute), "boom", true))
	must(t, s.MarkReportRetry(ctx, ds[1].ID, now, "429", false))
	must(t, s.MarkReportFailed(ctx, rest[0].ID, now, "no chat account"))
	again, err := s.ClaimReports(ctx, now.Add(time.Minute), time.Minute, 10)
	must(t, err)
	if len(again) != 2 {
		t.Fatalf("after retry and give-up, claimed %d, want the 2 retried", len(again))
	}
	for _, d := range again {
		switch d.ID {
		case first.ID:
			equal(t, "retried delivery", [3]any{d.Parts, d.Attempts, d.LastError}, [3]any{1, 1, "boom"})
		case ds[1].ID:
			equal(t, "deferred delivery", [2]any{d.Attempts, d.LastError}, [2]any{0, "429"})
		default:
			t.Fatalf("claimed the delivery given up")
		}
	}
	must(t, s.MarkReportSent(ctx, first.ID, now))
	must(t, s.MarkReportSent(ctx, first.ID, now.Add(time.Hour))) // again: nothing changes
	must(t, s.MarkReportRetry(ctx, first.ID, now, "late", true)) // a sent one stays sent
	list, err := s.ReportDeliveries(ctx, ann.ID, 10)
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("ann has %d deliveries, want 2", len(list))
	}
	for _, d := range list {
		if d.ID == first.ID && (!d.SentAt.Equal(norm(now)) || d.LastError != "boom") {
			t.Fatalf("sent delivery = sent %v, error %q", d.SentAt, d.LastError)
		}
	}
	if again, _ := s.ClaimReports(ctx, now.Add(time.Hour), time.Minute, 10); len(again) != 1 || again[0].ID != ds[1].ID {
		t.Fatalf("claimed %d after one was sent, want only the deferred one", len(again))
	}
	wantCode(t, s.MarkReportSent(ctx, missing, now), backend.ENOTFOUND)
	wantCode(t, s.ReportPartsSent(ctx, missing, 1), backend.ENOTFOUND)
}
