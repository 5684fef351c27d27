package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

// unsatisfiedTicket files a ticket as the reporter, resolves it as the
// assistant and rates it 不满意; it returns the number.
func (f *apiFixture) unsatisfiedTicket(t *testing.T) string {
	t.Helper()
	r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
	expect(t, r, http.StatusCreated)
	number := r.body["number"].(string)
	expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/transitions", f.assistant, map[string]any{"to": "resolved", "note": "已处理"}), http.StatusOK)
	expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/satisfaction", f.reporter, map[string]any{"rating": "unsatisfied", "note": "没解决"}), http.StatusOK)
	return number
}

func TestFollowUpAPI(t *testing.T) {
	store := sqliteStore(t)
	f := newAPI(t, store)
	number := f.unsatisfiedTicket(t)

	var id int64
	t.Run("OK", func(t *testing.T) {
		r := f.do(t, "GET", "/api/v1/tickets/"+number+"/follow-ups", f.assistant, nil)
		expect(t, r, http.StatusOK)
		list := r.body["follow_ups"].([]any)
		if len(list) != 1 {
			t.Fatalf("follow-ups: %s", r.raw)
		}
		fu := list[0].(map[string]any)
		if fu["ticket"] != number || fu["survey"] != "needed" || fu["callback"] != "" {
			t.Fatalf("follow-up: %s", r.raw)
		}
		id = int64(fu["id"].(float64))
		path := fmt.Sprintf("/api/v1/follow-ups/%d", id)

		r = f.do(t, "GET", "/api/v1/follow-ups?open=true", f.admin, nil)
		expect(t, r, http.StatusOK)
		if len(r.body["follow_ups"].([]any)) != 1 {
			t.Fatalf("open follow-ups: %s", r.raw)
		}
		r = f.do(t, "GET", "/api/v1/follow-ups/board", f.assistant, nil)
		expect(t, r, http.StatusOK)
		surveys := r.body["surveys"].(map[string]any)
		if n := len(surveys["due"].([]any)) + len(surveys["overdue"].([]any)) + len(surveys["later"].([]any)); n != 1 {
			t.Fatalf("board: %s", r.raw)
		}

		r = f.do(t, "POST", path+"/survey", f.assistant, map[string]any{
			"factors": []string{"attitude", "feature"}, "solved": false, "notes": "功能不好用", "callback": true})
		expect(t, r, http.StatusOK)
		if r.body["survey"] != "done" || r.body["callback"] != "needed" || len(r.body["factors"].([]any)) != 2 {
			t.Fatalf("surveyed: %s", r.raw)
		}
		// The ticket is open again (the 不满意 reopened it): the callback
		// waits for its result, and the handler can be urged.
		r = f.do(t, "GET", "/api/v1/follow-ups/board", f.assistant, nil)
		if w := r.body["callbacks"].(map[string]any)["waiting"].([]any); len(w) != 1 {
			t.Fatalf("board after the survey: %s", r.raw)
		}
		expect(t, f.do(t, "POST", path+"/urge", f.assistant, nil), http.StatusOK)
		expect(t, f.do(t, "POST", path+"/urge", f.reporter, nil), http.StatusForbidden)
		r = f.do(t, "POST", path+"/callback", f.assistant, map[string]any{"outcome": "accepted", "notes": "用户接受"})
		expect(t, r, http.StatusOK)
		if r.body["callback"] != "done" || r.body["outcome"] != "accepted" || r.body["called_at"] == nil {
			t.Fatalf("called: %s", r.raw)
		}
		expect(t, f.do(t, "POST", path+"/urge", f.assistant, nil), http.StatusConflict) // the callback is done
		r = f.do(t, "GET", path, f.admin, nil)
		expect(t, r, http.StatusOK)
		if r.body["outcome"] != "accepted" {
			t.Fatalf("get: %s", r.raw)
		}
		// The thread has the steps for staff only.
		r = f.do(t, "GET", "/api/v1/tickets/"+number, f.reporter, nil)
		expect(t, r, http.StatusOK)
		for _, e := range r.body["events"].([]any) {
			if e.(map[string]any)["kind"] == string(backend.EventFollowUp) {
				t.Fatalf("the reporter sees a follow-up event: %s", r.raw)
			}
		}
	})
	t.Run("Mark", func(t *testing.T) {
		n := f.unsatisfiedTicket(t)
		r := f.do(t, "GET", "/api/v1/tickets/"+n+"/follow-ups", f.admin, nil)
		expect(t, r, http.StatusOK)
		path := fmt.Sprintf("/api/v1/follow-ups/%d/mark", int64(r.body["follow_ups"].([]any)[0].(map[string]any)["id"].(float64)))
		r = f.do(t, "POST", path, f.assistant, map[string]any{"mark": "no_survey", "note": "误评价"})
		expect(t, r, http.StatusOK)
		if r.body["survey"] != "not_needed" {
			t.Fatalf("marked: %s", r.raw)
		}
		expect(t, f.do(t, "POST", path, f.assistant, map[string]any{"mark": "no_survey"}), http.StatusConflict)
		r = f.do(t, "POST", path, f.assistant, map[string]any{"mark": "soon"})
		expect(t, r, http.StatusBadRequest)
		if r.errField("mark") == "" {
			t.Fatalf("no mark field: %s", r.raw)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		path := fmt.Sprintf("/api/v1/follow-ups/%d", id)
		r := f.do(t, "POST", path+"/callback", f.assistant, map[string]any{"outcome": "maybe"})
		expect(t, r, http.StatusBadRequest)
		if r.errField("outcome") == "" {
			t.Fatalf("no outcome field: %s", r.raw)
		}
		r = f.do(t, "POST", path+"/survey", f.assistant, map[string]any{"factors": []string{}})
		expect(t, r, http.StatusBadRequest)
		if r.errField("factors") == "" {
			t.Fatalf("no factors field: %s", r.raw)
		}
		expect(t, f.do(t, "GET", "/api/v1/follow-ups?open=maybe", f.admin, nil), http.StatusBadRequest)
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		path := fmt.Sprintf("/api/v1/follow-ups/%d", id)
		// The reporter never sees follow-ups, not even of their own ticket.
		for _, p := range []string{path, "/api/v1/follow-ups", "/api/v1/follow-ups/board", "/api/v1/tickets/" + number + "/follow-ups"} {
			expect(t, f.do(t, "GET", p, f.reporter, nil), http.StatusForbidden)
		}
		expect(t, f.do(t, "POST", path+"/mark", f.reporter, map[string]any{"mark": "need_callback"}), http.StatusForbidden)
		// An assistant of another team, once the ticket is routed.
		team := &backend.Team{Name: "product"}
		if err := store.CreateTeam(context.Background(), team); err != nil {
			t.Fatal(err)
		}
		tk, err := store.Ticket(context.Background(), number)
		if err != nil {
			t.Fatal(err)
		}
		other := &backend.Team{Name: "tech"}
		if err := store.CreateTeam(context.Background(), other); err != nil {
			t.Fatal(err)
		}
		tk.TeamID = other.ID
		if err := store.UpdateTicket(context.Background(), tk, nil); err != nil {
			t.Fatal(err)
		}
		secret, _, err := f.svc.CreateAPIToken(context.Background(), "olga", backend.RoleAssistant, team.ID)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, f.do(t, "GET", path, secret, nil), http.StatusForbidden)
		r := f.do(t, "GET", "/api/v1/follow-ups", secret, nil)
		expect(t, r, http.StatusOK)
		for _, x := range r.body["follow_ups"].([]any) {
			if x.(map[string]any)["ticket"] == number {
				t.Fatalf("another team lists %s: %s", number, r.raw)
			}
		}
		expect(t, f.do(t, "GET", "/api/v1/follow-ups/99999", f.admin, nil), http.StatusNotFound)
		expect(t, f.do(t, "GET", "/api/v1/follow-ups/x", f.admin, nil), http.StatusNotFound)
	})
}
