package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
)

// pgStore is a migrated Postgres store in a schema of its own.
func pgStore(t *testing.T) backend.Store {
	t.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.NewSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// staffToken is a token of a new staff member of team (nil: none), and
// their person id.
func (f *apiFixture) staffToken(t *testing.T, name string, role backend.Role, team *backend.Team) (string, int64) {
	t.Helper()
	ctx := context.Background()
	var teamID int64
	if team != nil {
		teamID = team.ID
	}
	secret, _, err := f.svc.CreateAPIToken(ctx, name, role, teamID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	return secret, p.ID
}

// TestComplaintAPI walks seed 001 through the API on both stores: a
// manager gives a task to an assistant of another team, who completes
// it; the handler writes the record, the manager approves, the handler
// records the report sent; and every refusal with its status.
func TestComplaintAPI(t *testing.T) {
	for name, open := range map[string]func(*testing.T) backend.Store{"SQLite": sqliteStore, "Postgres": pgStore} {
		t.Run(name, func(t *testing.T) { testComplaintAPI(t, open(t)) })
	}
}

func testComplaintAPI(t *testing.T, store backend.Store) {
	ctx := context.Background()
	f := newAPI(t, store)
	sales, quality := &backend.Team{Name: "sales"}, &backend.Team{Name: "quality"}
	for _, tm := range []*backend.Team{sales, quality} {
		if err := store.CreateTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	mgr, _ := f.staffToken(t, "mgr", backend.RoleManager, nil)
	ann, _ := f.staffToken(t, "ann", backend.RoleAssistant, sales)
	bob, _ := f.staffToken(t, "bob", backend.RoleAssistant, sales)
	olga, olgaID := f.staffToken(t, "olga", backend.RoleAssistant, quality)

	r := f.do(t, "POST", "/api/v1/tickets", f.reporter, map[string]any{"form": "complaint", "summary": "客户投诉一批螺丝刀刀杆有铁锈，要求尽快处理",
		"order_number": "20080505003", "contacts": map[string]string{"phone": "13900139000"},
		"extra": map[string]string{"customer": "A企业", "requests": "上门处理不良品；查明原因并提出预防措施", "urgency": "normal"}})
	expect(t, r, http.StatusCreated)
	number := r.body["number"].(string)
	expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/claim", ann, nil), http.StatusOK)
	base := "/api/v1/tickets/" + number
	due := time.Now().Add(72 * time.Hour).Format(time.RFC3339)

	t.Run("GetEmpty", func(t *testing.T) {
		r := f.do(t, "GET", base+"/complaint", mgr, nil)
		expect(t, r, http.StatusOK)
		if r.body["ticket"] != number || len(r.body["tasks"].([]any)) != 0 || r.body["record"] != nil || r.body["open_tasks"] != 0.0 {
			t.Fatalf("empty complaint: %s", r.raw)
		}
		expect(t, f.do(t, "GET", base+"/complaint", olga, nil), http.StatusForbidden) // another team, no task yet
		expect(t, f.do(t, "GET", "/api/v1/tickets/CP-20200101-0099/complaint", mgr, nil), http.StatusNotFound)
	})
	t.Run("ErrAddTaskFields", func(t *testing.T) {
		r := f.do(t, "POST", base+"/tasks", mgr, map[string]any{"title": "x", "owner_id": "olga", "due": "tomorrow"})
		expect(t, r, http.StatusBadRequest)
		if r.errField("title") == "" || r.errField("owner_id") != "must be a whole number" || r.errField("due") == "" || r.errField("owner") != "" {
			t.Fatalf("bad task: %s", r.raw)
		}
		r = f.do(t, "POST", base+"/tasks", mgr, map[string]any{"title": "上门处理不良品", "owner_id": 987654, "due": time.Now().Add(-time.Hour).Format(time.RFC3339)})
		expect(t, r, http.StatusBadRequest)
		if r.errField("owner_id") != "must be an assistant or a manager" || r.errField("due") != "must be in the future" || r.errField("title") != "" {
			t.Fatalf("unknown owner, past due: %s", r.raw)
		}
		r = f.do(t, "POST", base+"/tasks", mgr, map[string]any{"title": "上门处理不良品", "owner_id": olgaID, "due": due, "priority": 1})
		expect(t, r, http.StatusBadRequest)
		if r.errField("priority") != "unknown field" {
			t.Fatalf("unknown field: %s", r.raw)
		}
	})
	t.Run("ErrAddTaskRefused", func(t *testing.T) {
		body := map[string]any{"title": "上门处理不良品", "owner_id": olgaID, "due": due}
		expect(t, f.do(t, "POST", base+"/tasks", bob, body), http.StatusForbidden)        // a colleague who does not handle it
		expect(t, f.do(t, "POST", base+"/tasks", f.reporter, body), http.StatusForbidden) // the sales owner who filed it
		expect(t, f.do(t, "POST", "/api/v1/tickets/CP-20200101-0099/tasks", mgr, body), http.StatusNotFound)
		fb := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		expect(t, fb, http.StatusCreated)
		r := f.do(t, "POST", "/api/v1/tickets/"+fb.body["number"].(string)+"/tasks", mgr, body)
		expect(t, r, http.StatusConflict)
		if r.errCode() != backend.ECONFLICT {
			t.Fatalf("task on feedback: %s", r.raw)
		}
	})

	var id string
	t.Run("AddTask", func(t *testing.T) {
		r := f.do(t, "POST", base+"/tasks", mgr, map[string]any{"title": "明天派质量部人员去客户现场处理不良品", "owner_id": olgaID, "due": due})
		expect(t, r, http.StatusCreated)
		id = strconv.FormatInt(int64(r.body["id"].(float64)), 10)
		if r.header.Get("Location") != "/api/v1/tasks/"+id || r.body["ref"] != "T-"+id || r.body["state"] != "open" ||
			r.body["ticket"] != number || r.body["owner_id"] != float64(olgaID) || r.body["done_at"] != nil {
			t.Fatalf("added: %v %s", r.header, r.raw)
		}
	})
	t.Run("Tasks", func(t *testing.T) {
		r := f.do(t, "GET", "/api/v1/tasks", olga, nil)
		expect(t, r, http.StatusOK)
		if l := r.body["tasks"].([]any); len(l) != 1 || l[0].(map[string]any)["ref"] != "T-"+id {
			t.Fatalf("olga's tasks: %s", r.raw)
		}
		if r := f.do(t, "GET", "/api/v1/tasks", ann, nil); len(r.body["tasks"].([]any)) != 0 {
			t.Fatalf("ann's tasks: %s", r.raw)
		}
		expect(t, f.do(t, "GET", "/api/v1/tasks?all=1", olga, nil), http.StatusForbidden)
		r = f.do(t, "GET", "/api/v1/tasks?all=yes", mgr, nil)
		expect(t, r, http.StatusBadRequest)
		if r.errField("all") == "" {
			t.Fatalf("bad all: %s", r.raw)
		}
		r = f.do(t, "GET", "/api/v1/tasks?all=1", mgr, nil)
		expect(t, r, http.StatusOK)
		if len(r.body["tasks"].([]any)) != 1 {
			t.Fatalf("all tasks: %s", r.raw)
		}
		// Now the owner of another team sees the complaint.
		r = f.do(t, "GET", base+"/complaint", olga, nil)
		expect(t, r, http.StatusOK)
		if r.body["open_tasks"] != 1.0 {
			t.Fatalf("olga's view: %s", r.raw)
		}
		expect(t, f.do(t, "GET", "/api/v1/tasks/T-"+id, olga, nil), http.StatusOK)
		expect(t, f.do(t, "GET", "/api/v1/tasks/"+id, f.other, nil), http.StatusNotFound) // someone else's complaint
		expect(t, f.do(t, "GET", "/api/v1/tasks/987654", mgr, nil), http.StatusNotFound)
		expect(t, f.do(t, "GET", "/api/v1/tasks/abc", mgr, nil), http.StatusNotFound)
	})
	// Seed 001: olga objects to her task; the manager moves its deadline,
	// which settles the objection.
	t.Run("ObjectAndChange", func(t *testing.T) {
		expect(t, f.do(t, "POST", "/api/v1/tasks/"+id+"/objection", bob, map[string]any{"reason": "不是我的"}), http.StatusForbidden)
		r := f.do(t, "POST", "/api/v1/tasks/"+id+"/objection", olga, map[string]any{"reason": ""})
		expect(t, r, http.StatusBadRequest)
		if r.errField("reason") == "" {
			t.Fatalf("no reason: %s", r.raw)
		}
		r = f.do(t, "POST", "/api/v1/tasks/"+id+"/objection", olga, map[string]any{"reason": "明天没有车，后天才能去现场"})
		expect(t, r, http.StatusOK)
		if r.body["objection"] != "明天没有车，后天才能去现场" || r.body["objected_at"] == nil {
			t.Fatalf("objected: %s", r.raw)
		}
		expect(t, f.do(t, "POST", "/api/v1/tasks/"+id+"/objection", olga, map[string]any{"reason": "再说一次"}), http.StatusConflict)
		// Staff-only: the reporter's view of the plan does not show it.
		for _, path := range []string{base + "/complaint", "/api/v1/tasks/" + id} {
			r := f.do(t, "GET", path, f.reporter, nil)
			expect(t, r, http.StatusOK)
			if strings.Contains(r.raw, "明天没有车") || strings.Contains(r.raw, "objected_at") {
				t.Fatalf("the reporter reads the objection at %s: %s", path, r.raw)
			}
		}

		later := time.Now().Add(96 * time.Hour).Truncate(time.Second)
		expect(t, f.do(t, "PATCH", "/api/v1/tasks/"+id, olga, map[string]any{"due": later.Format(time.RFC3339)}), http.StatusForbidden)
		r = f.do(t, "PATCH", "/api/v1/tasks/"+id, mgr, map[string]any{"due": "后天"})
		expect(t, r, http.StatusBadRequest)
		if r.errField("due") == "" {
			t.Fatalf("bad due: %s", r.raw)
		}
		r = f.do(t, "PATCH", "/api/v1/tasks/"+id, mgr, map[string]any{"owner_id": 987654})
		expect(t, r, http.StatusBadRequest)
		if r.errField("owner_id") == "" {
			t.Fatalf("unknown owner: %s", r.raw)
		}
		r = f.do(t, "PATCH", "/api/v1/tasks/"+id, mgr, map[string]any{"due": later.Format(time.RFC3339)})
		expect(t, r, http.StatusOK)
		if d, _ := time.Parse(time.RFC3339, r.body["due"].(string)); !d.Equal(later) || r.body["objection"] != nil || r.body["owner_id"] != float64(olgaID) {
			t.Fatalf("changed: %s", r.raw)
		}
	})
	t.Run("Complete", func(t *testing.T) {
		expect(t, f.do(t, "POST", "/api/v1/tasks/"+id+"/complete", bob, map[string]any{"result": "不是我的"}), http.StatusForbidden)
		r := f.do(t, "POST", "/api/v1/tasks/"+id+"/complete", olga, map[string]any{"result": " "})
		expect(t, r, http.StatusBadRequest)
		if r.errField("result") == "" {
			t.Fatalf("no result: %s", r.raw)
		}
		expect(t, f.do(t, "POST", "/api/v1/tasks/987654/complete", olga, map[string]any{"result": "已处理"}), http.StatusNotFound)
		r = f.do(t, "POST", "/api/v1/tasks/"+id+"/complete", olga, map[string]any{"result": "已到现场更换不良品 200 支，客户确认"})
		expect(t, r, http.StatusOK)
		if r.body["state"] != "done" || r.body["result"] != "已到现场更换不良品 200 支，客户确认" || r.body["done_by"] != float64(olgaID) {
			t.Fatalf("done: %s", r.raw)
		}
		expect(t, f.do(t, "POST", "/api/v1/tasks/"+id+"/complete", olga, map[string]any{"result": "再来一次"}), http.StatusConflict)
		if r := f.do(t, "GET", "/api/v1/tasks", olga, nil); len(r.body["tasks"].([]any)) != 0 {
			t.Fatalf("olga's open tasks after completing: %s", r.raw)
		}
		if r := f.do(t, "GET", "/api/v1/tasks?done=1", olga, nil); len(r.body["tasks"].([]any)) != 1 {
			t.Fatalf("olga's tasks with the done ones: %s", r.raw)
		}
	})
	t.Run("Record", func(t *testing.T) {
		body := map[string]any{"root_cause": "运输途中没有做好防水，包装箱进水", "prevention": "托盘外包装箱包上尼龙，防止运输中进水"}
		expect(t, f.do(t, "POST", base+"/complaint/approve", mgr, nil), http.StatusConflict) // nothing to approve
		expect(t, f.do(t, "PUT", base+"/complaint/record", olga, body), http.StatusForbidden)
		r := f.do(t, "PUT", base+"/complaint/record", ann, map[string]any{"root_cause": "运"})
		expect(t, r, http.StatusBadRequest)
		if r.errField("root_cause") == "" || r.errField("prevention") == "" {
			t.Fatalf("short record: %s", r.raw)
		}
		r = f.do(t, "PUT", base+"/complaint/record", ann, body)
		expect(t, r, http.StatusOK)
		if r.body["root_cause"] != body["root_cause"] || r.body["approved"] != false || r.body["recorded_at"] == nil {
			t.Fatalf("recorded: %s", r.raw)
		}
		expect(t, f.do(t, "POST", base+"/complaint/sent", ann, nil), http.StatusConflict) // not approved
		expect(t, f.do(t, "POST", base+"/complaint/approve", ann, nil), http.StatusForbidden)
		r = f.do(t, "POST", base+"/complaint/approve", mgr, nil)
		expect(t, r, http.StatusOK)
		if r.body["approved"] != true || r.body["approved_at"] == nil {
			t.Fatalf("approved: %s", r.raw)
		}
		expect(t, f.do(t, "POST", base+"/complaint/approve", mgr, nil), http.StatusConflict)
		expect(t, f.do(t, "POST", base+"/complaint/sent", olga, nil), http.StatusForbidden)
		r = f.do(t, "POST", base+"/complaint/sent", ann, nil)
		expect(t, r, http.StatusOK)
		if r.body["sent"] != true || r.body["sent_at"] == nil {
			t.Fatalf("sent: %s", r.raw)
		}
		expect(t, f.do(t, "PUT", base+"/complaint/record", ann, body), http.StatusConflict)
	})
	t.Run("ReporterView", func(t *testing.T) {
		r := f.do(t, "GET", base+"/complaint", f.reporter, nil)
		expect(t, r, http.StatusOK)
		rec, _ := r.body["record"].(map[string]any)
		if len(r.body["tasks"].([]any)) != 1 || rec == nil || rec["sent"] != true || rec["root_cause"] != nil {
			t.Fatalf("the reporter's view: %s", r.raw)
		}
		r = f.do(t, "GET", base+"/complaint", mgr, nil)
		if rec, _ := r.body["record"].(map[string]any); rec["prevention"] != "托盘外包装箱包上尼龙，防止运输中进水" || r.body["open_tasks"] != 0.0 {
			t.Fatalf("the manager's view: %s", r.raw)
		}
	})
}
