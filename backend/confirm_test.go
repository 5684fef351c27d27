package backend_test

import (
	"context"
	"slices"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

// pending files a ticket for alice, has ann claim it, runs before (a
// reply, say) and puts the solution note to alice (pending confirmation);
// the outbox so far is delivered. It returns the ticket's number.
func (f *fixture) pending(t *testing.T, note string, before func(number string)) string {
	t.Helper()
	ctx := context.Background()
	n := f.create(t, f.alice, nil).Number
	if _, err := f.svc.Claim(ctx, f.ann, n); err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(n)
	}
	if _, err := f.svc.Transition(ctx, f.ann, n, backend.StatusPendingConfirmation, note); err != nil {
		t.Fatal(err)
	}
	f.sent(t)
	return n
}

func TestConfirmSolution(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()

		t.Run("Solved", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.pending(t, "已重新同步房源标识，请刷新后台查看", nil)
			for _, p := range []*backend.Person{f.bob, f.ann} {
				_, err := f.svc.ConfirmSolution(ctx, p, n, true, "")
				if backend.ErrorCode(err) == backend.ENOTFOUND {
					continue // bob may not even see it
				}
				wantCode(t, err, backend.EFORBIDDEN)
			}
			tk, err := f.svc.ConfirmSolution(ctx, f.alice, n, true, " 好了，谢谢 ")
			if err != nil {
				t.Fatal(err)
			}
			if tk.Status != backend.StatusResolved || tk.Solution != "已重新同步房源标识，请刷新后台查看" || !tk.ResolvedAt.Equal(f.now) {
				t.Fatalf("after confirming: status %s, solution %q, resolved at %v", tk.Status, tk.Solution, tk.ResolvedAt)
			}
			_, events, err := f.svc.Thread(ctx, f.ann, n)
			if err != nil {
				t.Fatal(err)
			}
			last := events[len(events)-2:]
			if c := last[0]; c.Kind != backend.EventConfirmation || !c.Data.Solved || c.Body != "好了，谢谢" || c.ActorID != f.alice.ID || !c.Public {
				t.Fatalf("confirmation event: %+v", c)
			}
			if s := last[1]; s.Kind != backend.EventStatusChanged || s.Data.To != backend.StatusResolved || s.ActorID != f.alice.ID || s.Body != tk.Solution {
				t.Fatalf("status event: %+v", s)
			}
			// The assignee and the triage chat hear the answer; the
			// reporter gets the resolution, which asks for the rating.
			got := map[backend.EventKind][]backend.Audience{}
			for _, m := range f.sent(t)[tk.ID] {
				got[m.kind] = append(got[m.kind], m.Audience)
			}
			slices.Sort(got[backend.EventConfirmation])
			if want := []backend.Audience{backend.AudienceAssignee, backend.AudienceTriage}; !slices.Equal(got[backend.EventConfirmation], want) {
				t.Fatalf("confirmation told to %v, want %v", got[backend.EventConfirmation], want)
			}
			if want := []backend.Audience{backend.AudienceReporter}; !slices.Equal(got[backend.EventStatusChanged], want) {
				t.Fatalf("resolution told to %v, want %v", got[backend.EventStatusChanged], want)
			}
			// Answered once: a second answer (a double tap) changes nothing.
			_, err = f.svc.ConfirmSolution(ctx, f.alice, n, false, "")
			wantCode(t, err, backend.ECONFLICT)
			if _, err := f.svc.RecordSatisfaction(ctx, f.alice, n, backend.SatisfactionSatisfied, ""); err != nil {
				t.Fatalf("rating a confirmed ticket: %v", err)
			}
		})

		t.Run("NotSolved", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.pending(t, "", func(n string) {
				if _, err := f.svc.Comment(ctx, f.ann, n, "请清除浏览器缓存后再试", true); err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.Comment(ctx, f.ann, n, "内部：缓存问题", false); err != nil {
					t.Fatal(err)
				}
			})
			tk, err := f.svc.ConfirmSolution(ctx, f.alice, n, false, "清了缓存还是不显示")
			if err != nil {
				t.Fatal(err)
			}
			if tk.Status != backend.StatusInProgress || tk.Solution != "" || tk.AssigneeID != f.ann.ID {
				t.Fatalf("after not solved: status %s, solution %q, assignee %d", tk.Status, tk.Solution, tk.AssigneeID)
			}
			// Only staff hear it: the reporter said it themselves.
			for _, m := range f.sent(t)[tk.ID] {
				if m.Audience == backend.AudienceReporter {
					t.Fatalf("the reporter was told of their own answer (%s)", m.kind)
				}
				if m.kind != backend.EventConfirmation {
					t.Fatalf("told of a %s", m.kind)
				}
			}
			// The next round: pending again without a note, solved. The
			// solution is the last reply they were sent, not the
			// internal note nor their own words.
			if _, err := f.svc.Transition(ctx, f.ann, n, backend.StatusPendingConfirmation, ""); err != nil {
				t.Fatal(err)
			}
			tk, err = f.svc.ConfirmSolution(ctx, f.alice, n, true, "")
			if err != nil {
				t.Fatal(err)
			}
			if tk.Status != backend.StatusResolved || tk.Solution != "请清除浏览器缓存后再试" {
				t.Fatalf("solved: status %s, solution %q", tk.Status, tk.Solution)
			}
		})

		t.Run("NotPending", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.create(t, f.alice, nil).Number
			_, err := f.svc.ConfirmSolution(ctx, f.alice, n, true, "")
			wantCode(t, err, backend.ECONFLICT)
			if e, ok := err.(*backend.Error); !ok || e.Key != "not_pending" {
				t.Fatalf("error %v, want key not_pending", err)
			}
			_, err = f.svc.ConfirmSolution(ctx, f.alice, "FB-20261122-9999", true, "")
			wantCode(t, err, backend.ENOTFOUND)
		})
	})
}
