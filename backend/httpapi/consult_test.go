package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

// TestAPIConsult (seed 002 跨部门协作): the assignee asks another team for
// its opinion; bad fields are named as the body names them; the team
// asked answers through the task; the reporter never sees it.
func TestAPIConsult(t *testing.T) {
	f := newAPI(t, sqliteStore(t))
	ctx := context.Background()
	team := &backend.Team{Name: "产品部"}
	if err := f.svc.Store().CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	product, _, err := f.svc.CreateAPIToken(ctx, "pm", backend.RoleAssistant, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
	expect(t, r, http.StatusCreated)
	number, _ := r.body["number"].(string)
	path := "/api/v1/tickets/" + number + "/consults"
	ask := map[string]any{"team_id": team.ID, "question": "按钮文案需要产品部确认吗？"}

	expect(t, f.do(t, "POST", path, f.assistant, ask), http.StatusForbidden) // not theirs yet
	expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/claim", f.assistant, nil), http.StatusOK)
	r = f.do(t, "POST", path, f.assistant, map[string]any{"team_id": 987654, "question": "x", "due": "2020-01-01T00:00:00Z"})
	expect(t, r, http.StatusBadRequest)
	for _, field := range []string{"team_id", "question", "due"} {
		if r.errField(field) == "" {
			t.Fatalf("a bad consultation does not name %s: %s", field, r.raw)
		}
	}
	expect(t, f.do(t, "POST", path, f.assistant, map[string]any{"team_id": team.ID, "question": "问", "due": "tomorrow"}), http.StatusBadRequest)

	r = f.do(t, "POST", path, f.assistant, ask)
	expect(t, r, http.StatusCreated)
	if r.body["kind"] != "consult" || r.body["team_id"] != float64(team.ID) || r.body["state"] != "open" {
		t.Fatalf("consultation: %s", r.raw)
	}
	id := strconv.FormatInt(int64(r.body["id"].(float64)), 10)
	expect(t, f.do(t, "POST", path, f.assistant, ask), http.StatusConflict) // one open at a time

	// The team asked sees the ticket and the consultation, and answers.
	expect(t, f.do(t, "GET", "/api/v1/tickets/"+number, product, nil), http.StatusOK)
	r = f.do(t, "GET", path, product, nil)
	expect(t, r, http.StatusOK)
	if list, _ := r.body["consults"].([]any); len(list) != 1 {
		t.Fatalf("consultations: %s", r.raw)
	}
	expect(t, f.do(t, "GET", path, f.reporter, nil), http.StatusForbidden)
	expect(t, f.do(t, "GET", "/api/v1/tasks/"+id, f.reporter, nil), http.StatusNotFound) // staff-only
	expect(t, f.do(t, "POST", path, f.reporter, map[string]any{"team_id": 987654, "question": "x"}), http.StatusForbidden)
	r = f.do(t, "POST", "/api/v1/tasks/"+id+"/complete", product, map[string]any{"result": "需要，按规范改为“提交”"})
	expect(t, r, http.StatusOK)
	if r.body["state"] != "done" {
		t.Fatalf("answered: %s", r.raw)
	}
	r = f.do(t, "GET", "/api/v1/tickets/"+number, f.reporter, nil)
	expect(t, r, http.StatusOK)
	if strings.Contains(r.raw, "产品部") || strings.Contains(r.raw, "按规范") {
		t.Fatalf("the reporter sees the consultation: %s", r.raw)
	}
	r = f.do(t, "GET", "/api/v1/tickets/"+number, f.assistant, nil)
	if !strings.Contains(r.raw, "按规范改为") {
		t.Fatalf("the assignee does not see the opinion: %s", r.raw)
	}
}
