package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// GET /api/v1/tickets/{number}/clocks shows the clocks the store holds to
// whoever may see the ticket, and 404 to anyone else.
func TestAPIClocks(t *testing.T) {
	f := newAPI(t, sqliteStore(t))
	ctx := context.Background()
	r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
	expect(t, r, http.StatusCreated)
	number := r.body["number"].(string)

	r = f.do(t, "GET", "/api/v1/tickets/"+number+"/clocks", f.assistant, nil)
	expect(t, r, http.StatusOK)
	if cs, ok := r.body["clocks"].([]any); !ok || len(cs) != 0 {
		t.Fatalf("clocks of an unplanned ticket: %s, want []", r.raw)
	}

	store := f.svc.Store()
	tk, err := store.Ticket(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	c := &backend.Clock{TicketID: tk.ID, Name: "confirm", Run: 1, PolicyVersion: "v9", Severity: backend.P3, Unit: "business",
		Budget: 2 * time.Hour, State: backend.ClockRunning, StartedAt: start, RunningSince: start,
		WarnAt: start.Add(96 * time.Minute), DueAt: start.Add(2 * time.Hour), Generation: 1, UpdatedAt: start}
	if err := store.SaveClocks(ctx, tk.ID, tk.Version, []*backend.Clock{c}, nil); err != nil {
		t.Fatal(err)
	}
	acked := *c
	acked.BreachedAt, acked.Step, acked.AckedAt, acked.AckedBy = c.DueAt, 3, c.DueAt.Add(time.Minute), 42
	acked.Generation, acked.UpdatedAt = 2, acked.AckedAt
	if err := store.SaveClocks(ctx, tk.ID, 0, []*backend.Clock{&acked}, nil); err != nil {
		t.Fatal(err)
	}

	for _, tok := range []string{f.reporter, f.assistant, f.admin} {
		r = f.do(t, "GET", "/api/v1/tickets/"+number+"/clocks", tok, nil)
		expect(t, r, http.StatusOK)
		cs, _ := r.body["clocks"].([]any)
		if len(cs) != 1 || r.body["number"] != number {
			t.Fatalf("clocks %s, want one", r.raw)
		}
		got := cs[0].(map[string]any)
		want := map[string]any{"name": "confirm", "run": 1.0, "state": "running", "policy_version": "v9",
			"started_at": "2026-11-23T02:00:00Z", "due_at": "2026-11-23T04:00:00Z", "breached_at": "2026-11-23T04:00:00Z",
			"step": 3.0, "acked_by": 42.0, "acked_at": "2026-11-23T04:01:00Z", "budget": "2h0m0s business"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v (%s)", k, got[k], v, r.raw)
			}
		}
		if _, ok := got["paused_at"]; ok {
			t.Errorf("paused_at shown for a clock that never paused: %s", r.raw)
		}
	}
	expect(t, f.do(t, "GET", "/api/v1/tickets/"+number+"/clocks", f.other, nil), http.StatusNotFound)
	expect(t, f.do(t, "GET", "/api/v1/tickets/FB-20261123-9999/clocks", f.assistant, nil), http.StatusNotFound)
	expect(t, f.do(t, "GET", "/api/v1/tickets/"+number+"/clocks", "", nil), http.StatusUnauthorized)
}

// POST …/milestones records a seed 004 step as an event: staff only, known
// milestones only.
func TestAPIMilestones(t *testing.T) {
	f := newAPI(t, sqliteStore(t))
	r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
	expect(t, r, http.StatusCreated)
	path := "/api/v1/tickets/" + r.body["number"].(string) + "/milestones"
	expect(t, f.do(t, "POST", path, f.assistant, map[string]string{"milestone": "resource_requested"}), http.StatusOK)
	r = f.do(t, "POST", path, f.assistant, map[string]string{"milestone": "coffee"})
	expect(t, r, http.StatusBadRequest)
	if r.errField("milestone") == "" {
		t.Fatalf("unknown milestone: %s", r.raw)
	}
	expect(t, f.do(t, "POST", path, f.reporter, map[string]string{"milestone": "report_submitted"}), http.StatusForbidden)
	r = f.do(t, "GET", "/api/v1/tickets/"+strings.TrimSuffix(strings.TrimPrefix(path, "/api/v1/tickets/"), "/milestones"), f.assistant, nil)
	evs, _ := r.body["events"].([]any)
	n := 0
	for _, e := range evs {
		if m := e.(map[string]any); m["kind"] == "sla_milestone" && m["body"] == "resource_requested" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("thread has %d resource_requested milestones, want 1: %s", n, r.raw)
	}
}
