package backend_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// progressRows returns who got a progress note of tk in sent:
// "reporter:<id>", "assignee:<id>", "triage".
func progressRows(sent map[int64][]sentMessage, tk *backend.Ticket) []string {
	var got []string
	for _, m := range sent[tk.ID] {
		if m.kind != backend.EventProgress {
			continue
		}
		if m.Audience == backend.AudienceTriage {
			got = append(got, "triage")
			continue
		}
		got = append(got, string(m.Audience)+":"+strconv.FormatInt(m.RecipientID, 10))
	}
	slices.Sort(got)
	return got
}

// TestSyncProgress: a P1 ticket whose reporter has heard nothing from the
// team for a day gets a progress note (seed 002: P1 daily, P2 every two
// days): the reporter is told where it stands, the assignee (or the triage
// chat, when nobody has it) that the reporter was left without news. The
// reporter's own messages are not news; the note is, so the next comes a
// day later. P3, and tickets waiting on the reporter, get none; two
// processes at once write one note.
func TestSyncProgress(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		syncNow := func(t *testing.T) int {
			t.Helper()
			n, err := f.svc.SyncProgress(ctx, backend.DefaultProgressEvery)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		sev := func(s backend.Severity) func(*backend.NewTicket) {
			return func(in *backend.NewTicket) {
				in.Severity = s
				if s.Important() { // P1 and P2 need these (seed 000)
					in.OrderNumber, in.Account = "ORD-1", "acct-1"
					in.Attachments = []backend.Attachment{{Name: "s.png", ContentType: "image/png", Size: 1, SHA256: "ab"}}
				}
			}
		}
		p1 := f.create(t, f.alice, sev(backend.P1))
		p2 := f.create(t, f.bob, sev(backend.P2))
		p3 := f.create(t, f.alice, sev(backend.P3))
		waiting := f.create(t, f.bob, sev(backend.P1))
		if _, err := f.svc.Claim(ctx, f.ann, p1.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Transition(ctx, f.ann, waiting.Number, backend.StatusWaitingReporter, "订单截图？"); err != nil {
			t.Fatal(err)
		}
		f.sent(t)

		f.now = f.now.Add(12 * time.Hour)
		if _, err := f.svc.Comment(ctx, f.alice, p1.Number, "请问进展如何？", true); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(11 * time.Hour)
		if n := syncNow(t); n != 0 {
			t.Fatalf("after 23 hours: %d notes, want none", n)
		}
		f.now = f.now.Add(time.Hour + time.Minute)
		if n := syncNow(t); n != 1 {
			t.Fatalf("a day after the claim (the reporter's question is no news): %d notes, want 1 (the P1)", n)
		}
		if got, want := progressRows(f.sent(t), p1), []string{"assignee:" + strconv.FormatInt(f.ann.ID, 10), "reporter:" + strconv.FormatInt(f.alice.ID, 10)}; !slices.Equal(got, want) {
			t.Fatalf("P1 note went to %v, want %v", got, want)
		}
		_, events, err := f.svc.Thread(ctx, f.ann, p1.Number)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(events, func(e *backend.Event) bool { return e.Kind == backend.EventProgress })
		if i < 0 {
			t.Fatal("no progress note in the thread")
		}
		last := events[i]
		if last.Kind != backend.EventProgress || !last.Public || last.Data.To != backend.StatusAssigned ||
			last.Data.AssigneeID != f.ann.ID || last.Data.QuietHours != 24 {
			t.Fatalf("last event %+v, want a public progress note: assigned, to ann, 24 quiet hours", last)
		}
		if n := syncNow(t); n != 0 {
			t.Fatalf("right after the note: %d notes, want none", n)
		}

		// The P2 ticket, unclaimed: two days after filing, the triage chat
		// hears of it; two processes at once write one note.
		f.now = f.now.Add(24 * time.Hour)
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for i := range counts {
			wg.Go(func() {
				n, err := f.svc.SyncProgress(ctx, backend.DefaultProgressEvery)
				if err != nil {
					t.Error(err)
				}
				counts[i] = n
			})
		}
		wg.Wait()
		if counts[0]+counts[1] != 2 {
			t.Fatalf("two processes at once wrote %v notes, want 2 in all (the P1's second, the P2's first)", counts)
		}
		sent := f.sent(t)
		if got, want := progressRows(sent, p2), []string{"reporter:" + strconv.FormatInt(f.bob.ID, 10), "triage"}; !slices.Equal(got, want) {
			t.Fatalf("P2 note went to %v, want %v", got, want)
		}
		if got := progressRows(sent, p1); len(got) != 2 {
			t.Fatalf("P1's second note went to %v, want the reporter and the assignee", got)
		}
		for _, tk := range []*backend.Ticket{p3, waiting} {
			if got := progressRows(sent, tk); len(got) != 0 {
				t.Fatalf("%s (%s) got progress notes %v", tk.Number, tk.Severity, got)
			}
		}

		// Real news resets the clock.
		if _, err := f.svc.Comment(ctx, f.ann, p1.Number, "已定位到缓存问题，今晚修复", true); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(23 * time.Hour)
		if n := syncNow(t); n != 0 {
			t.Fatalf("23 hours after the assistant's reply: %d notes, want none", n)
		}
	})
}
