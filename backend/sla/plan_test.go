package sla

import (
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// TestPlannedStopsSolve: a suggestion's solve clock (P4: 5 workdays)
// stops when it is taken into the backlog (seed 002: 纳入需求池): the
// roadmap is not handling time, and it breaches nothing, whatever the
// status does meanwhile; reopened, it runs afresh.
func TestPlannedStopsSolve(t *testing.T) {
	f := newFixture(t, newSQLite(t))
	sg, err := f.svc.CreateTicket(f.ctx, f.reporter, backend.NewTicket{Prefix: "SG", Form: backend.FormSuggestion, Summary: "希望增加批量导出功能"})
	if err != nil {
		t.Fatal(err)
	}
	if sg, err = f.svc.Claim(f.ctx, f.assistant, sg.Number); err != nil {
		t.Fatal(err)
	}
	f.sync(t, sg)
	solve := func() *backend.Clock {
		t.Helper()
		cs, err := f.store.Clocks(f.ctx, sg.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := clockNamed(cs, "solve")
		if c == nil {
			t.Fatal("no solve clock")
		}
		return c
	}
	if c := solve(); c.State != backend.ClockRunning {
		t.Fatalf("solve %s before the plan, want running", c.State)
	}
	f.now = f.now.Add(time.Hour)
	if sg, err = f.svc.PlanTicket(f.ctx, f.assistant, sg.Number, "纳入 Q4 需求池", time.Time{}); err != nil {
		t.Fatal(err)
	}
	f.sync(t, sg)
	if c := solve(); c.State != backend.ClockStopped {
		t.Fatalf("solve %s after the plan, want stopped", c.State)
	}
	// A question answered: still not timed.
	f.now = f.now.Add(time.Hour)
	if sg, err = f.svc.Ask(f.ctx, f.assistant, sg.Number, "导出需要哪些字段？"); err != nil {
		t.Fatal(err)
	}
	f.sync(t, sg)
	f.now = f.now.Add(time.Hour)
	if sg, err = f.svc.Comment(f.ctx, f.reporter, sg.Number, "订单号、金额和下单时间", true); err != nil {
		t.Fatal(err)
	}
	f.sync(t, sg)
	if sg.Status != backend.StatusInProgress {
		t.Fatalf("status %s after the answer, want in progress", sg.Status)
	}
	if c := solve(); c.State != backend.ClockStopped {
		t.Fatalf("solve %s after the reporter answered, want stopped still", c.State)
	}
	f.now = f.now.Add(30 * 24 * time.Hour)
	if sg, err = f.svc.Resolve(f.ctx, f.assistant, sg.Number, "批量导出已上线"); err != nil {
		t.Fatal(err)
	}
	f.sync(t, sg)
	if sg, err = f.svc.RecordSatisfaction(f.ctx, f.reporter, sg.Number, backend.SatisfactionUnsatisfied, "导出的文件打不开"); err != nil {
		t.Fatal(err)
	}
	f.sync(t, sg)
	if c := solve(); c.State != backend.ClockRunning || c.Run < 2 {
		t.Fatalf("solve %s (run %d) after reopening, want a fresh run", c.State, c.Run)
	}
}
