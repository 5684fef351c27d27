package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
)

func TestIncidentUpdateAPI(t *testing.T) {
	f := newAPI(t, sqliteStore(t))
	r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
	expect(t, r, http.StatusCreated)
	number := r.body["number"].(string)
	r = f.do(t, "POST", "/api/v1/incidents", f.assistant, map[string]any{"title": "放心商家专区不显示"})
	expect(t, r, http.StatusCreated)
	id := int64(r.body["id"].(float64))
	expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/incident", f.assistant, map[string]any{"incident_id": id}), http.StatusOK)

	path := fmt.Sprintf("/api/v1/incidents/INC-%d/updates", id)
	expect(t, f.do(t, "POST", path, f.reporter, map[string]any{"body": "x"}), http.StatusForbidden)
	r = f.do(t, "POST", path, f.assistant, map[string]any{"body": ""})
	expect(t, r, http.StatusBadRequest)
	if r.errField("body") == "" {
		t.Fatalf("no body field: %s", r.raw)
	}
	r = f.do(t, "POST", path, f.assistant, map[string]any{"body": "已修复", "resolve": true})
	expect(t, r, http.StatusOK)
	if r.body["ref"] != fmt.Sprintf("INC-%d", id) || r.body["reports"] != float64(1) || r.body["resolved_at"] == nil {
		t.Fatalf("updated: %s", r.raw)
	}
	expect(t, f.do(t, "POST", path, f.assistant, map[string]any{"body": "again", "resolve": true}), http.StatusConflict)
	expect(t, f.do(t, "POST", "/api/v1/incidents/999/updates", f.assistant, map[string]any{"body": "x"}), http.StatusNotFound)

	r = f.do(t, "GET", "/api/v1/tickets/"+number, f.reporter, nil)
	expect(t, r, http.StatusOK)
	// The incident's resolution, then the ticket's with the same solution.
	events := r.body["events"].([]any)
	update, resolved := events[len(events)-2].(map[string]any), events[len(events)-1].(map[string]any)
	if update["kind"] != "incident_update" || update["body"] != "已修复" ||
		resolved["kind"] != "status_changed" || resolved["body"] != "已修复" || r.body["status"] != "resolved" {
		t.Fatalf("the reporter's thread lacks the update and the resolution: %s", r.raw)
	}
}
