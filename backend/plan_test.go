package backend_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// TestPlanTicket: a suggestion taken into the backlog (seed 002: 建议类:
// 分析价值→纳入需求池→反馈规划进度) moves to in progress with the plan told to
// the reporter, with the planned milestone the SLA clocks stop on; a
// feedback ticket, a closed one, one nobody holds and
// someone else's are refused.
func TestPlanTicket(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		sg := f.create(t, f.alice, func(in *backend.NewTicket) {
			*in = backend.NewTicket{Prefix: "SG", Form: backend.FormSuggestion, Summary: "希望增加批量导出功能"}
		})
		if sg.Severity != backend.P4 || !sg.Plannable() {
			t.Fatalf("a suggestion is %s, plannable %v", sg.Severity, sg.Plannable())
		}
		_, err := f.svc.PlanTicket(ctx, f.ann, sg.Number, "纳入 Q4 需求池", time.Time{})
		wantCode(t, err, backend.EFORBIDDEN) // nobody holds it: not ann's
		_, err = f.svc.PlanTicket(ctx, f.manager, sg.Number, "纳入 Q4 需求池", time.Time{})
		wantCode(t, err, backend.ECONFLICT) // plan_unclaimed
		if _, err := f.svc.Claim(ctx, f.ann, sg.Number); err != nil {
			t.Fatal(err)
		}
		f.sent(t)
		_, err = f.svc.PlanTicket(ctx, f.ann, sg.Number, " ", f.now.Add(-time.Hour))
		wantFields(t, err, "plan", "expected_by")
		_, err = f.svc.PlanTicket(ctx, f.amy, sg.Number, "纳入 Q4 需求池", time.Time{})
		wantCode(t, err, backend.EFORBIDDEN)

		due := f.now.Add(30 * 24 * time.Hour)
		got, err := f.svc.PlanTicket(ctx, f.ann, sg.Number, "  纳入 Q4 需求池，规划中  ", due)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != backend.StatusInProgress {
			t.Fatalf("status %s, want in progress", got.Status)
		}
		if told := f.unsent(t, sg.ID); !slices.Equal(told[backend.AudienceReporter], []int64{f.alice.ID, f.alice.ID}) {
			t.Fatalf("told %v, want the reporter of the start and of the plan", told)
		}
		// Planned again: the new plan is told.
		if _, err := f.svc.PlanTicket(ctx, f.manager, sg.Number, "提前到 11 月版本", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if told := f.unsent(t, sg.ID); len(told[backend.AudienceReporter]) != 1 || !slices.Equal(told[backend.AudienceAssignee], []int64{f.ann.ID}) {
			t.Fatalf("told %v, want the reporter and the assignee", told)
		}
		events, err := f.store.Events(ctx, sg.ID)
		if err != nil {
			t.Fatal(err)
		}
		var milestones int
		var plan *backend.Event
		for _, e := range events {
			if e.Kind == backend.EventMilestone && e.Body == string(backend.MilestonePlanned) {
				milestones++
			}
			if e.Kind == backend.EventPlanned {
				plan = e
			}
		}
		if milestones != 2 || plan == nil || plan.Body != "提前到 11 月版本" || !plan.Public || !plan.Data.Due.IsZero() {
			t.Fatalf("%d planned milestones, latest plan %+v", milestones, plan)
		}
		if i := slices.IndexFunc(events, func(e *backend.Event) bool { return e.Kind == backend.EventPlanned }); i < 0 ||
			events[i].Body != "纳入 Q4 需求池，规划中" || !events[i].Data.Due.Equal(due.UTC().Truncate(time.Second)) {
			t.Fatalf("the first plan: %+v", events[i:])
		}

		fb := f.create(t, f.alice, nil) // a P3 feedback ticket
		if _, err := f.svc.Claim(ctx, f.ann, fb.Number); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.PlanTicket(ctx, f.ann, fb.Number, "纳入 Q4 需求池", time.Time{})
		wantCode(t, err, backend.ECONFLICT) // plan_kind
		if _, err := f.svc.Resolve(ctx, f.ann, sg.Number, "批量导出已上线"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.PlanTicket(ctx, f.ann, sg.Number, "纳入 Q4 需求池", time.Time{})
		wantCode(t, err, backend.ECONFLICT) // plan_closed
	})
}
