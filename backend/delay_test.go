package backend_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// TestExplainDelay (seed 002: 超时需提前向客户说明并报备主管): whoever holds
// a ticket tells its reporter why it will be late and by when, and the
// direct managers hear it too; nobody else may, a closed ticket has no
// delay, and a bad reason or time loses nothing.
func TestExplainDelay(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := teamChats(t, newStore(t), backend.ServiceConfig{})
		tk := f.create(t, f.alice, inCategory("A"))
		if _, err := f.svc.Claim(ctx, f.ann, tk.Number); err != nil {
			t.Fatal(err)
		}
		f.sent(t)
		by := f.now.Add(50 * time.Hour)

		// Mistakes first: nothing is written.
		_, err := f.svc.ExplainDelay(ctx, f.ann, tk.Number, "  ", by)
		wantFields(t, err, "reason")
		_, err = f.svc.ExplainDelay(ctx, f.ann, tk.Number, "等供应商回复", f.now.Add(-time.Minute))
		wantFields(t, err, "expected_by")
		for _, who := range []*backend.Person{f.amy, f.alice} { // a teammate, the reporter
			_, err = f.svc.ExplainDelay(ctx, who, tk.Number, "等供应商回复", by)
			if backend.ErrorCode(err) != backend.EFORBIDDEN {
				t.Errorf("%s: err %v, want forbidden", who.Name, err)
			}
		}
		if _, err = f.svc.ExplainDelay(ctx, f.otherTeam, tk.Number, "等供应商回复", by); err == nil {
			t.Error("another team's assistant explained the delay")
		}
		if got := f.toldOf(t, tk, backend.EventDelay); len(got) != 0 {
			t.Fatalf("refused delays were sent: %v", got)
		}

		// The assignee: the reporter and the managers without a team
		// (team A has none) hear it.
		got, err := f.svc.ExplainDelay(ctx, f.ann, tk.Number, "  需要供应商排查接口，周三前给结果  ", by)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != backend.StatusAssigned || got.AssigneeID != f.ann.ID {
			t.Fatalf("the delay changed the ticket: %s, assignee %d", got.Status, got.AssigneeID)
		}
		events, err := f.store.Events(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		e := events[len(events)-1]
		if e.Kind != backend.EventDelay || !e.Public || e.ActorID != f.ann.ID || e.Body != "需要供应商排查接口，周三前给结果" || !e.Data.Due.Equal(by) {
			t.Fatalf("event = %+v, want a public delay by ann with the reason and %v", e, by)
		}
		want := []string{"person:" + strconv.FormatInt(f.manager.ID, 10), "reporter:" + strconv.FormatInt(f.alice.ID, 10)}
		if rows := f.toldOf(t, tk, backend.EventDelay); !slices.Equal(rows, want) {
			t.Fatalf("told %v, want %v", rows, want)
		}

		// A team with managers of its own: they are the direct managers;
		// a manager who explains it is not told their own words, the
		// assignee is told what was said for them, and the expected time
		// may be left out.
		lead := &backend.Person{Name: "max", Roles: []backend.Role{backend.RoleManager}, TeamID: f.teamA.ID}
		if err := f.svc.CreatePerson(ctx, lead); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ExplainDelay(ctx, f.manager, tk.Number, "周末无人值守，周一处理", time.Time{}); err != nil {
			t.Fatal(err)
		}
		assignee := "assignee:" + strconv.FormatInt(f.ann.ID, 10)
		want = []string{assignee, "person:" + strconv.FormatInt(lead.ID, 10), "reporter:" + strconv.FormatInt(f.alice.ID, 10)}
		if rows := f.toldOf(t, tk, backend.EventDelay); !slices.Equal(rows, want) {
			t.Fatalf("told %v, want %v", rows, want)
		}
		if _, err := f.svc.ExplainDelay(ctx, lead, tk.Number, "已协调", time.Time{}); err != nil {
			t.Fatal(err)
		}
		want = []string{assignee, "reporter:" + strconv.FormatInt(f.alice.ID, 10)}
		if rows := f.toldOf(t, tk, backend.EventDelay); !slices.Equal(rows, want) {
			t.Fatalf("a team manager's own delay: told %v, want %v", rows, want)
		}
		events, _ = f.store.Events(ctx, tk.ID)
		i := slices.IndexFunc(events, func(e *backend.Event) bool { return e.Kind == backend.EventDelay && e.ActorID == lead.ID })
		if i < 0 || !events[i].Data.Due.IsZero() {
			t.Fatalf("no delay by max without a time in %v", events)
		}

		// The assignee is one of the direct managers: told once.
		if _, err := f.svc.Assign(ctx, f.manager, tk.Number, lead.ID); err != nil {
			t.Fatal(err)
		}
		f.sent(t)
		if _, err := f.svc.ExplainDelay(ctx, f.manager, tk.Number, "换人跟进", time.Time{}); err != nil {
			t.Fatal(err)
		}
		want = []string{"assignee:" + strconv.FormatInt(lead.ID, 10), "reporter:" + strconv.FormatInt(f.alice.ID, 10)}
		if rows := f.toldOf(t, tk, backend.EventDelay); !slices.Equal(rows, want) {
			t.Fatalf("a manager holding the ticket: told %v, want %v", rows, want)
		}

		// Solved: nothing to explain.
		if _, err := f.svc.Resolve(ctx, lead, tk.Number, "已修复"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ExplainDelay(ctx, lead, tk.Number, "还要一天", by)
		wantCode(t, err, backend.ECONFLICT)
		if backend.ErrorKey(err) != "delay_closed" {
			t.Fatalf("resolved: key %q, want delay_closed", backend.ErrorKey(err))
		}
	})
}
