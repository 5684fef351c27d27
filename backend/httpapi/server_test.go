package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/httpapi"
	"github.com/deskbot/deskbot/backend/sqlite"
	"github.com/deskbot/deskbot/bot/botkit"
)

type apiFixture struct {
	srv                        *httptest.Server
	svc                        *backend.Service
	reporter, assistant, admin string // tokens
	other                      string // a second reporter
}

func newAPI(t *testing.T, store backend.Store) *apiFixture {
	t.Helper()
	return newAPIWith(t, store, httpapi.Config{})
}

// newAPIWith is newAPI with the server's optional dependencies, e.g.
//
//	files, _ := botkit.NewFiles(t.TempDir(), 0, nil)
//	f := newAPIWith(t, sqliteStore(t), httpapi.Config{Files: files})
func newAPIWith(t *testing.T, store backend.Store, cfg httpapi.Config) *apiFixture {
	t.Helper()
	ctx := context.Background()
	svc := backend.NewService(store, backend.ServiceConfig{})
	f := &apiFixture{svc: svc}
	tok := func(name string, role backend.Role) string {
		secret, _, err := svc.CreateAPIToken(ctx, name, role, 0)
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	f.reporter = tok("agent-a", backend.RoleReporter)
	f.other = tok("agent-b", backend.RoleReporter)
	f.assistant = tok("assistant", backend.RoleAssistant)
	f.admin = tok("admin", backend.RoleAdmin)
	f.srv = httptest.NewServer(httpapi.New(svc, cfg).Handler())
	t.Cleanup(f.srv.Close)
	return f
}

func sqliteStore(t *testing.T) backend.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "api.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (f *apiFixture) do(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (r response) errField(name string) string {
	e, _ := r.body["error"].(map[string]any)
	fields, _ := e["fields"].(map[string]any)
	s, _ := fields[name].(string)
	return s
}

func (r response) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func ticketBody() map[string]any {
	return map[string]any{
		"prefix":      "FB",
		"summary":     "放心商家不在专区显示，已刷新多次",
		"category":    []string{"CRM问题", "会员中心"},
		"occurred_at": "2026-11-20T10:00:00+08:00",
		"region":      "上海",
		"severity":    "P3",
		"contacts":    map[string]string{"phone": "13912345678"},
	}
}

func expect(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
}

func TestAPI(t *testing.T) {
	f := newAPI(t, sqliteStore(t))

	t.Run("OK", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		expect(t, r, http.StatusCreated)
		number, _ := r.body["number"].(string)
		if !backend.ValidNumber(number) || r.header.Get("Location") != "/api/v1/tickets/"+number {
			t.Fatalf("number %q location %q", number, r.header.Get("Location"))
		}
		r = f.do(t, "GET", "/api/v1/tickets/"+number, f.reporter, nil)
		expect(t, r, http.StatusOK)
		if evs, _ := r.body["events"].([]any); len(evs) != 1 {
			t.Fatalf("events = %v", r.body["events"])
		}
		r = f.do(t, "GET", "/api/v1/tickets/"+number, f.assistant, nil)
		expect(t, r, http.StatusOK)
		if c := r.body["contacts"].(map[string]any)["phone"]; c != "139****5678" {
			t.Fatalf("assistant (not assignee) sees phone %v, want masked", c)
		}
		expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/claim", f.assistant, nil), http.StatusOK)
		r = f.do(t, "POST", "/api/v1/tickets/"+number+"/comments", f.assistant, map[string]any{"body": "正在排查"})
		expect(t, r, http.StatusCreated)
		r = f.do(t, "POST", "/api/v1/tickets/"+number+"/transitions", f.assistant, map[string]any{"to": "resolved", "note": "已修复"})
		expect(t, r, http.StatusOK)
		if r.body["status"] != "resolved" {
			t.Fatalf("status %v", r.body["status"])
		}
		r = f.do(t, "POST", "/api/v1/tickets/"+number+"/satisfaction", f.reporter, map[string]any{"rating": "satisfied"})
		expect(t, r, http.StatusOK)
		r = f.do(t, "GET", "/api/v1/tickets?status=resolved", f.reporter, nil)
		expect(t, r, http.StatusOK)
		if ts, _ := r.body["tickets"].([]any); len(ts) != 1 {
			t.Fatalf("list = %s", r.raw)
		}
		r = f.do(t, "GET", "/api/v1/tickets", f.other, nil)
		expect(t, r, http.StatusOK)
		if ts, _ := r.body["tickets"].([]any); len(ts) != 0 {
			t.Fatalf("another reporter lists %d tickets", len(ts))
		}
	})

	// Seed 002 待客户确认: the reporter answers the solution put to them.
	t.Run("Confirmation", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		expect(t, r, http.StatusCreated)
		number, _ := r.body["number"].(string)
		path := "/api/v1/tickets/" + number + "/confirmation"
		expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/claim", f.assistant, nil), http.StatusOK)
		expect(t, f.do(t, "POST", path, f.reporter, map[string]any{"solved": true}), http.StatusConflict) // not pending yet
		r = f.do(t, "POST", "/api/v1/tickets/"+number+"/transitions", f.assistant, map[string]any{"to": "pending_confirmation", "note": "已修复，请确认"})
		expect(t, r, http.StatusOK)
		expect(t, f.do(t, "POST", path, f.reporter, map[string]any{"note": "?"}), http.StatusBadRequest)
		expect(t, f.do(t, "POST", path, f.assistant, map[string]any{"solved": true}), http.StatusForbidden)
		r = f.do(t, "POST", path, f.reporter, map[string]any{"solved": true, "note": "好了"})
		expect(t, r, http.StatusOK)
		if r.body["status"] != "resolved" || r.body["solution"] != "已修复，请确认" {
			t.Fatalf("after confirming: %s", r.raw)
		}
		expect(t, f.do(t, "POST", path, f.reporter, map[string]any{"solved": false}), http.StatusConflict)
	})

	// Seed 002: the assistant a ticket is assigned to accepts it; nobody
	// else may.
	t.Run("Accept", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		expect(t, r, http.StatusCreated)
		number, _ := r.body["number"].(string)
		assistant, err := f.svc.Authenticate(context.Background(), f.assistant)
		if err != nil {
			t.Fatal(err)
		}
		r = f.do(t, "POST", "/api/v1/tickets/"+number+"/assign", f.admin, map[string]any{"assignee_id": assistant.ID})
		expect(t, r, http.StatusOK)
		if _, ok := r.body["accepted_at"]; ok {
			t.Fatalf("dispatched ticket shows accepted_at: %s", r.raw)
		}
		expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/accept", f.reporter, nil), http.StatusForbidden)
		expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/accept", f.admin, nil), http.StatusForbidden)
		r = f.do(t, "POST", "/api/v1/tickets/"+number+"/accept", f.assistant, nil)
		expect(t, r, http.StatusOK)
		if _, ok := r.body["accepted_at"]; !ok || r.body["status"] != "assigned" {
			t.Fatalf("accepted: %s", r.raw)
		}
		expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/accept", f.assistant, nil), http.StatusConflict)
	})

	// 转派: staff hand a ticket to another team with the reason; whoever
	// held it lets it go.
	t.Run("Transfer", func(t *testing.T) {
		ctx := context.Background()
		team := func(name string) int64 {
			tm := &backend.Team{Name: name}
			if err := f.svc.Store().CreateTeam(ctx, tm); err != nil {
				t.Fatal(err)
			}
			return tm.ID
		}
		billing, crm := team("财务部"), team("CRM组")
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		expect(t, r, http.StatusCreated)
		number, _ := r.body["number"].(string)
		path := "/api/v1/tickets/" + number + "/transfer"
		assistant, err := f.svc.Authenticate(ctx, f.assistant)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/assign", f.admin, map[string]any{"assignee_id": assistant.ID}), http.StatusOK)

		r = f.do(t, "POST", path, f.admin, map[string]any{"team_id": billing, "reason": "退款问题归财务部处理"})
		expect(t, r, http.StatusOK)
		if r.body["team_id"] != float64(billing) || r.body["status"] != "new" {
			t.Fatalf("transferred: %s", r.raw)
		}
		if _, ok := r.body["assignee_id"]; ok {
			t.Fatalf("the assignee is kept after a transfer: %s", r.raw)
		}

		r = f.do(t, "POST", path, f.admin, map[string]any{"team_id": billing, "reason": "again"})
		expect(t, r, http.StatusConflict)
		r = f.do(t, "POST", path, f.admin, map[string]any{"team_id": crm, "reason": "  "})
		expect(t, r, http.StatusBadRequest)
		if r.errField("reason") == "" {
			t.Fatalf("a missing reason does not name reason: %s", r.raw)
		}
		r = f.do(t, "POST", path, f.admin, map[string]any{"reason": "no team"})
		expect(t, r, http.StatusBadRequest)
		if r.errField("team_id") == "" {
			t.Fatalf("a missing team does not name team_id: %s", r.raw)
		}
		expect(t, f.do(t, "POST", path, f.admin, map[string]any{"team_id": 99999, "reason": "nowhere"}), http.StatusNotFound)
		expect(t, f.do(t, "POST", path, f.reporter, map[string]any{"team_id": crm, "reason": "mine"}), http.StatusForbidden)

		r = f.do(t, "GET", "/api/v1/tickets/"+number, f.admin, nil)
		expect(t, r, http.StatusOK)
		if r.body["team_id"] != float64(billing) || !strings.Contains(r.raw, `"kind":"transferred"`) || strings.Count(r.raw, `"kind":"transferred"`) != 1 {
			t.Fatalf("after one transfer and refused ones: %s", r.raw)
		}
	})

	// Seed 002: the reporter is told before the deadline that the ticket
	// will be late; only whoever holds it and managers may.
	t.Run("Delay", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		expect(t, r, http.StatusCreated)
		number, _ := r.body["number"].(string)
		path := "/api/v1/tickets/" + number + "/delay"
		expect(t, f.do(t, "POST", path, f.assistant, map[string]any{"reason": "等供应商"}), http.StatusForbidden)
		expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/claim", f.assistant, nil), http.StatusOK)
		for _, bad := range []map[string]any{
			{"reason": "  "},
			{"reason": "等供应商", "expected_by": "tomorrow"},
			{"reason": "等供应商", "expected_by": "2020-01-01T00:00:00Z"},
		} {
			r = f.do(t, "POST", path, f.assistant, bad)
			expect(t, r, http.StatusBadRequest)
			field := "reason"
			if _, ok := bad["expected_by"]; ok {
				field = "expected_by"
			}
			if r.errField(field) == "" {
				t.Fatalf("%v does not name %s: %s", bad, field, r.raw)
			}
		}
		expect(t, f.do(t, "POST", path, f.reporter, map[string]any{"reason": "我也想说"}), http.StatusForbidden)
		r = f.do(t, "POST", path, f.assistant, map[string]any{"reason": "需要供应商排查接口", "expected_by": "2099-01-07T18:00:00+08:00"})
		expect(t, r, http.StatusOK)
		r = f.do(t, "GET", "/api/v1/tickets/"+number, f.reporter, nil)
		expect(t, r, http.StatusOK)
		if !strings.Contains(r.raw, `"kind":"delay"`) || !strings.Contains(r.raw, "需要供应商排查接口") || !strings.Contains(r.raw, "2099-01-07T10:00:00Z") {
			t.Fatalf("the reporter does not see the delay and its time: %s", r.raw)
		}
	})

	// Seed 002: a suggestion is taken into the backlog with its plan,
	// which the reporter reads; a feedback ticket is not.
	t.Run("Plan", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		expect(t, r, http.StatusCreated)
		feedback, _ := r.body["number"].(string)
		r = f.do(t, "POST", "/api/v1/tickets", f.reporter, map[string]any{"form": "suggestion", "summary": "希望增加批量导出功能"})
		expect(t, r, http.StatusCreated)
		number, _ := r.body["number"].(string)
		for _, n := range []string{feedback, number} {
			expect(t, f.do(t, "POST", "/api/v1/tickets/"+n+"/claim", f.assistant, nil), http.StatusOK)
		}
		expect(t, f.do(t, "POST", "/api/v1/tickets/"+feedback+"/plan", f.assistant, map[string]any{"plan": "纳入 Q4 需求池"}), http.StatusConflict)
		path := "/api/v1/tickets/" + number + "/plan"
		r = f.do(t, "POST", path, f.assistant, map[string]any{"plan": " ", "expected_by": "2020-01-01T00:00:00Z"})
		expect(t, r, http.StatusBadRequest)
		if r.errField("plan") == "" || r.errField("expected_by") == "" {
			t.Fatalf("a bad plan does not name plan and expected_by: %s", r.raw)
		}
		expect(t, f.do(t, "POST", path, f.reporter, map[string]any{"plan": "我自己规划"}), http.StatusForbidden)
		r = f.do(t, "POST", path, f.assistant, map[string]any{"plan": "纳入 Q4 需求池", "expected_by": "2099-01-07T18:00:00+08:00"})
		expect(t, r, http.StatusOK)
		if r.body["status"] != "in_progress" {
			t.Fatalf("status after the plan: %s", r.raw)
		}
		r = f.do(t, "GET", "/api/v1/tickets/"+number, f.reporter, nil)
		expect(t, r, http.StatusOK)
		if !strings.Contains(r.raw, `"kind":"planned"`) || !strings.Contains(r.raw, "纳入 Q4 需求池") || !strings.Contains(r.raw, "2099-01-07T10:00:00Z") {
			t.Fatalf("the reporter does not see the plan and its time: %s", r.raw)
		}
	})

	t.Run("OccurredDateOnly", func(t *testing.T) {
		b := ticketBody()
		b["occurred_at"], b["occurred_date_only"] = "2026-11-20T00:00:00+08:00", true
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, b)
		expect(t, r, http.StatusCreated)
		if r.body["occurred_date_only"] != true {
			t.Fatalf("a day alone: %s", r.raw)
		}
		r = f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		expect(t, r, http.StatusCreated)
		if _, ok := r.body["occurred_date_only"]; ok {
			t.Fatalf("a moment: %s", r.raw)
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		for range 5 {
			expect(t, f.do(t, "POST", "/api/v1/tickets", f.other, ticketBody()), http.StatusCreated)
		}
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			r := f.do(t, "GET", "/api/v1/tickets?limit=2&cursor="+cursor, f.other, nil)
			expect(t, r, http.StatusOK)
			for _, tk := range r.body["tickets"].([]any) {
				seen[tk.(map[string]any)["number"].(string)] = true
			}
			next, _ := r.body["next_cursor"].(string)
			if next == "" {
				break
			}
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			cursor = next
		}
		if len(seen) != 5 {
			t.Fatalf("paged through %d tickets, want 5", len(seen))
		}
	})

	// A search by a customer's phone goes in the body, not the URL
	// (DESIGN §10), and takes the list's filters, paged the same way.
	t.Run("Search", func(t *testing.T) {
		body := ticketBody()
		body["contacts"] = map[string]string{"phone": "13700001111"}
		r := f.do(t, "POST", "/api/v1/tickets", f.other, body)
		expect(t, r, http.StatusCreated)
		number := r.body["number"]
		r = f.do(t, "POST", "/api/v1/tickets/search", f.admin, map[string]any{"q": "13700001111", "status": []string{"new"}, "limit": 10})
		expect(t, r, http.StatusOK)
		if ts, _ := r.body["tickets"].([]any); len(ts) != 1 || ts[0].(map[string]any)["number"] != number {
			t.Fatalf("search by phone = %s, want only %v", r.raw, number)
		}
		r = f.do(t, "POST", "/api/v1/tickets/search", f.admin, map[string]any{"q": "13700001111", "status": []string{"resolved"}})
		if ts, _ := r.body["tickets"].([]any); r.status != http.StatusOK || len(ts) != 0 {
			t.Fatalf("search with another status = %s", r.raw)
		}
		// A reporter finds only their own tickets, as in the list.
		r = f.do(t, "POST", "/api/v1/tickets/search", f.reporter, map[string]any{"q": "13700001111"})
		if ts, _ := r.body["tickets"].([]any); r.status != http.StatusOK || len(ts) != 0 {
			t.Fatalf("another reporter's search = %s", r.raw)
		}
		r = f.do(t, "POST", "/api/v1/tickets/search", f.admin, map[string]any{"status": []string{"nope"}, "limit": 0, "phone": "1"})
		expect(t, r, http.StatusBadRequest)
		if r.errField("phone") == "" {
			t.Fatalf("unknown field not named: %s", r.raw)
		}
		r = f.do(t, "POST", "/api/v1/tickets/search", f.admin, map[string]any{"status": []string{"nope"}, "limit": 500})
		expect(t, r, http.StatusBadRequest)
		if r.errField("status") == "" || r.errField("limit") == "" {
			t.Fatalf("bad filter not named: %s", r.raw)
		}
	})

	t.Run("ErrMalformedJSON", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, `{"summary": "x",`)
		expect(t, r, http.StatusBadRequest)
		if !strings.Contains(r.raw, "malformed JSON") {
			t.Fatalf("body %s", r.raw)
		}
	})
	t.Run("ErrUnknownField", func(t *testing.T) {
		b := ticketBody()
		b["colour"] = "red"
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, b)
		expect(t, r, http.StatusBadRequest)
		if r.errField("colour") == "" {
			t.Fatalf("unknown field not named: %s", r.raw)
		}
	})
	t.Run("ErrWrongType", func(t *testing.T) {
		b := ticketBody()
		b["summary"] = 12
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, b)
		expect(t, r, http.StatusBadRequest)
		if r.errField("summary") == "" {
			t.Fatalf("wrong type not named: %s", r.raw)
		}
	})
	t.Run("ErrEveryBadField", func(t *testing.T) {
		// Every unknown field and wrong type is named at once, with its
		// JSON type, never a Go type name.
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, `{"summary":5,"severity":3,"contacts":{"phone":13800138000},"category":"CRM","foo":1,"bar":2}`)
		expect(t, r, http.StatusBadRequest)
		for field, want := range map[string]string{"summary": "must be a string", "severity": "must be a string",
			"contacts.phone": "must be a string", "category": "must be a list of strings", "foo": "unknown field", "bar": "unknown field"} {
			if got := r.errField(field); got != want {
				t.Errorf("%s: %q, want %q (%s)", field, got, want, r.raw)
			}
		}
		if strings.Contains(r.raw, "backend.") || strings.Contains(r.raw, "httpapi.") {
			t.Fatalf("a Go type name: %s", r.raw)
		}
		r = f.do(t, "POST", "/api/v1/tickets", f.reporter, `[]`)
		expect(t, r, http.StatusBadRequest)
		if !strings.Contains(r.raw, "must be a JSON object") {
			t.Fatalf("an array: %s", r.raw)
		}
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		b := ticketBody()
		b["summary"] = strings.Repeat("长", httpapi.MaxBodyBytes/3+10)
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, b)
		expect(t, r, http.StatusRequestEntityTooLarge)
	})
	t.Run("ErrMissingFields", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, map[string]any{"severity": "P2"})
		expect(t, r, http.StatusBadRequest)
		for _, name := range []string{"summary", "category", "occurred_at", "region", "contacts", "order_number", "account", "attachments"} {
			if r.errField(name) == "" {
				t.Errorf("missing field %s not named: %s", name, r.raw)
			}
		}
	})
	t.Run("ErrBadTime", func(t *testing.T) {
		b := ticketBody()
		b["occurred_at"] = "yesterday"
		expect(t, f.do(t, "POST", "/api/v1/tickets", f.reporter, b), http.StatusBadRequest)
	})
	t.Run("ErrBadFilter", func(t *testing.T) {
		r := f.do(t, "GET", "/api/v1/tickets?status=nope&limit=0", f.admin, nil)
		expect(t, r, http.StatusBadRequest)
		if r.errField("status") == "" || r.errField("limit") == "" {
			t.Fatalf("%s", r.raw)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		r := f.do(t, "GET", "/api/v1/tickets/FB-20990101-0001", f.admin, nil)
		expect(t, r, http.StatusNotFound)
		expect(t, f.do(t, "GET", "/api/v1/nothing", f.admin, nil), http.StatusNotFound)
	})
	t.Run("ErrOthersTicketIs404", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		expect(t, r, http.StatusCreated)
		expect(t, f.do(t, "GET", "/api/v1/tickets/"+r.body["number"].(string), f.other, nil), http.StatusNotFound)
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		number := r.body["number"].(string)
		r = f.do(t, "POST", "/api/v1/tickets/"+number+"/transitions", f.reporter, map[string]any{"to": "resolved", "note": "x"})
		expect(t, r, http.StatusForbidden)
		expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/claim", f.reporter, nil), http.StatusForbidden)
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		r := f.do(t, "GET", "/api/v1/tickets", "", nil)
		expect(t, r, http.StatusUnauthorized)
		if r.header.Get("WWW-Authenticate") == "" {
			t.Fatal("no WWW-Authenticate")
		}
		expect(t, f.do(t, "GET", "/api/v1/tickets", "dbt_forged", nil), http.StatusUnauthorized)
		expect(t, f.do(t, "POST", "/api/v1/tickets", "nonsense", ticketBody()), http.StatusUnauthorized)
	})
	t.Run("ErrIllegalTransition", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		number := r.body["number"].(string)
		r = f.do(t, "POST", "/api/v1/tickets/"+number+"/transitions", f.assistant, map[string]any{"to": "archived"})
		expect(t, r, http.StatusConflict)
		if !strings.Contains(r.raw, "new") || !strings.Contains(r.raw, "archived") {
			t.Fatalf("409 does not name both statuses: %s", r.raw)
		}
	})
	t.Run("ErrUnknownForm", func(t *testing.T) {
		// A form the backend has no rules for would skip them.
		b := ticketBody()
		b["form"] = "x"
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, b)
		expect(t, r, http.StatusBadRequest)
		if r.errField("form") == "" {
			t.Fatalf("unknown form not named: %s", r.raw)
		}
		r = f.do(t, "POST", "/api/v1/tickets", f.reporter, map[string]any{"form": "suggestion", "summary": "希望提单系统可以保存草稿"})
		expect(t, r, http.StatusCreated)
		if n, _ := r.body["number"].(string); !strings.HasPrefix(n, "SG-") || r.body["severity"] != "P4" {
			t.Fatalf("a suggestion through the API: %s", r.raw)
		}
	})
	t.Run("ErrFieldsAsSent", func(t *testing.T) {
		// A bad value is named by the field the request used.
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		number := r.body["number"].(string)
		r = f.do(t, "POST", "/api/v1/tickets/"+number+"/transitions", f.assistant, map[string]any{"to": "bogus"})
		expect(t, r, http.StatusBadRequest)
		if r.errField("to") == "" || r.errField("status") != "" {
			t.Fatalf("the bad status is not named \"to\": %s", r.raw)
		}
	})
	t.Run("Health", func(t *testing.T) {
		expect(t, f.do(t, "GET", "/healthz", "", nil), http.StatusOK)
		expect(t, f.do(t, "GET", "/readyz", "", nil), http.StatusOK)
	})
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAPIPersonalFields: a complaint's customer (a personal field of the
// form) is masked for an assistant of the team who does not hold the
// ticket, like contacts, and shown in full to the one who does.
func TestAPIPersonalFields(t *testing.T) {
	ctx := context.Background()
	store := sqliteStore(t)
	f := newAPI(t, store)
	team := &backend.Team{Name: "客服组"}
	if err := store.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	holder, _, err := f.svc.CreateAPIToken(ctx, "holder", backend.RoleAssistant, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	colleague, _, err := f.svc.CreateAPIToken(ctx, "colleague", backend.RoleAssistant, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := f.do(t, "POST", "/api/v1/tickets", f.reporter, map[string]any{"form": "complaint", "summary": "这批螺丝刀杆上有铁锈，客户要求退货",
		"order_number": "20080505003", "contacts": map[string]string{"phone": "13900139000"},
		"extra": map[string]string{"customer": "李先生", "requests": "上门处理并说明原因", "urgency": "urgent"}})
	expect(t, r, http.StatusCreated)
	number := r.body["number"].(string)
	expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/claim", holder, nil), http.StatusOK)

	extra := func(token string) map[string]any {
		t.Helper()
		r := f.do(t, "GET", "/api/v1/tickets/"+number, token, nil)
		expect(t, r, http.StatusOK)
		e, _ := r.body["extra"].(map[string]any)
		return e
	}
	if e := extra(colleague); e["customer"] != "李**" || e["requests"] != "上门处理并说明原因" {
		t.Errorf("a colleague who does not hold the complaint sees extra %v, want the customer masked and the requests in full", e)
	}
	if e := extra(holder); e["customer"] != "李先生" {
		t.Errorf("the assignee sees extra %v, want the customer in full", e)
	}
	if e := extra(f.reporter); e["customer"] != "李先生" {
		t.Errorf("the reporter sees extra %v, want the customer in full", e)
	}
}

// pngBytes is a 1×1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// upload posts data as the multipart part "file" named name.
func (f *apiFixture) upload(t *testing.T, token, name string, data []byte) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/attachments", &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// TestAPIAttachments: a ticket may name only files in the attachment
// store, which says their size and type; a P2's screenshot cannot be a
// made-up hash, nor a stored file served as another type.
func TestAPIAttachments(t *testing.T) {
	files, err := botkit.NewFiles(t.TempDir(), 1<<10, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newAPIWith(t, sqliteStore(t), httpapi.Config{Files: files})
	p2 := func(attachments ...map[string]any) map[string]any {
		b := ticketBody()
		b["severity"], b["order_number"], b["account"] = "P2", "20080505003", "agent-8812"
		b["attachments"] = attachments
		return b
	}

	t.Run("ErrUnknownHash", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, p2(map[string]any{"name": "x.png", "sha256": strings.Repeat("ab", 32), "size": 10, "content_type": "image/png"}))
		expect(t, r, http.StatusBadRequest)
		if r.errField("attachments[0]") == "" {
			t.Fatalf("the unknown file is not named attachments[0]: %s", r.raw)
		}
	})
	t.Run("OK", func(t *testing.T) {
		r := f.upload(t, f.reporter, "截图.png", pngBytes)
		expect(t, r, http.StatusCreated)
		sum, _ := r.body["sha256"].(string)
		if r.body["content_type"] != "image/png" || r.body["size"] != float64(len(pngBytes)) || len(sum) != 64 || r.body["name"] != "截图.png" {
			t.Fatalf("upload answered %s", r.raw)
		}
		// Size and type are the store's, whatever the request says; the
		// name is the request's, cleaned.
		r = f.do(t, "POST", "/api/v1/tickets", f.reporter, p2(map[string]any{"name": "../../首页.png", "sha256": sum, "size": 1, "content_type": "text/html"}))
		expect(t, r, http.StatusCreated)
		atts, _ := r.body["attachments"].([]any)
		if len(atts) != 1 {
			t.Fatalf("attachments %s", r.raw)
		}
		a := atts[0].(map[string]any)
		if a["content_type"] != "image/png" || a["size"] != float64(len(pngBytes)) || a["name"] != "首页.png" || a["sha256"] != sum {
			t.Fatalf("attachment kept as %v", a)
		}
	})
	// Knowing a stored file's hash is not enough to attach it (and then
	// read it): the caller must have uploaded it. The answer is the one
	// for an unknown hash, so it says nothing of what is stored.
	t.Run("ErrOthersFile", func(t *testing.T) {
		mine := append(append([]byte{}, pngBytes...), "reporter's own"...)
		r := f.upload(t, f.reporter, "mine.png", mine)
		expect(t, r, http.StatusCreated)
		sum := r.body["sha256"].(string)
		r = f.do(t, "POST", "/api/v1/tickets", f.other, p2(map[string]any{"sha256": sum}))
		expect(t, r, http.StatusBadRequest)
		unknown := f.do(t, "POST", "/api/v1/tickets", f.other, p2(map[string]any{"sha256": strings.Repeat("cd", 32)}))
		if got, want := r.errField("attachments[0]"), unknown.errField("attachments[0]"); got == "" || got != want {
			t.Fatalf("another's file answered %q, an unknown one %q", got, want)
		}
		// Uploading the same bytes themselves makes it theirs too.
		expect(t, f.upload(t, f.other, "same.png", mine), http.StatusCreated)
		r = f.do(t, "POST", "/api/v1/tickets", f.other, p2(map[string]any{"sha256": sum}))
		expect(t, r, http.StatusCreated)
		if name := r.body["attachments"].([]any)[0].(map[string]any)["name"]; name != "same.png" {
			t.Fatalf("other's attachment is named %v", name)
		}
		// Without a name a ticket gets its caller's, not that of whoever
		// uploaded the same bytes last.
		r = f.do(t, "POST", "/api/v1/tickets", f.reporter, p2(map[string]any{"sha256": sum}))
		expect(t, r, http.StatusCreated)
		if name := r.body["attachments"].([]any)[0].(map[string]any)["name"]; name != "mine.png" {
			t.Fatalf("reporter's attachment is named %v, want the name they uploaded it under", name)
		}
	})
	t.Run("ErrRefusedFile", func(t *testing.T) {
		r := f.upload(t, f.reporter, "x.html", []byte("<html><script>alert(1)</script></html>"))
		expect(t, r, http.StatusBadRequest)
		if r.errField("file") == "" {
			t.Fatalf("a refused type is not named file: %s", r.raw)
		}
		r = f.upload(t, f.reporter, "big.png", append(pngBytes, make([]byte, 2<<10)...))
		expect(t, r, http.StatusBadRequest)
		if r.errField("file") == "" {
			t.Fatalf("a file over the limit is not named file: %s", r.raw)
		}
		expect(t, f.upload(t, f.reporter, "huge.png", append(pngBytes, make([]byte, 2<<20)...)), http.StatusBadRequest)
		expect(t, f.upload(t, "", "x.png", pngBytes), http.StatusUnauthorized)
		expect(t, f.do(t, "POST", "/api/v1/attachments", f.reporter, `{"file":"x"}`), http.StatusBadRequest)
	})
}

// TestAPIIdempotencyKey: a client retrying a filing (after a 503, a lost
// answer) with the same Idempotency-Key gets the first ticket, not a
// second; another key files another ticket.
func TestAPIIdempotencyKey(t *testing.T) {
	f := newAPI(t, sqliteStore(t))
	file := func(t *testing.T, token, key string) response {
		t.Helper()
		j, _ := json.Marshal(ticketBody())
		req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/tickets", bytes.NewReader(j))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
		_ = json.Unmarshal(raw, &r.body)
		return r
	}
	count := func(t *testing.T, token string) int {
		t.Helper()
		r := f.do(t, "GET", "/api/v1/tickets", token, nil)
		expect(t, r, http.StatusOK)
		ts, _ := r.body["tickets"].([]any)
		return len(ts)
	}

	t.Run("SameKey", func(t *testing.T) {
		first := file(t, f.reporter, "6f1c2a9e-0b7d-4c1e-9a55-3d2f8e4b7c10")
		expect(t, first, http.StatusCreated)
		again := file(t, f.reporter, "6f1c2a9e-0b7d-4c1e-9a55-3d2f8e4b7c10")
		expect(t, again, http.StatusCreated)
		if again.body["number"] != first.body["number"] || again.header.Get("Location") != first.header.Get("Location") {
			t.Fatalf("a retry filed %v, the first %v", again.body["number"], first.body["number"])
		}
		if n := count(t, f.reporter); n != 1 {
			t.Fatalf("the reporter has %d tickets after a retry, want 1", n)
		}
	})
	t.Run("OtherKey", func(t *testing.T) {
		r := file(t, f.reporter, "second-request")
		expect(t, r, http.StatusCreated)
		if n := count(t, f.reporter); n != 2 {
			t.Fatalf("the reporter has %d tickets, want 2", n)
		}
		// Keys are each caller's own.
		expect(t, file(t, f.other, "second-request"), http.StatusCreated)
		if n := count(t, f.other); n != 1 {
			t.Fatalf("another reporter with the same key has %d tickets, want 1", n)
		}
	})
	t.Run("ErrBadKey", func(t *testing.T) {
		r := file(t, f.reporter, "a key with spaces")
		expect(t, r, http.StatusBadRequest)
		if r.errField("Idempotency-Key") == "" {
			t.Fatalf("a bad key is not named: %s", r.raw)
		}
	})
}

// TestAPIEveryBadField: one 400 names every bad field of a ticket, those
// the request could not say (a time that is not RFC 3339, a nested value
// of the wrong type or name) together with those the intake rules refuse.
func TestAPIEveryBadField(t *testing.T) {
	f := newAPI(t, sqliteStore(t))
	b := ticketBody()
	b["occurred_at"] = "yesterday 9:00"
	b["summary"] = "太短"
	b["contacts"] = map[string]any{"phone": "1380013800"}
	r := f.do(t, "POST", "/api/v1/tickets", f.reporter, b)
	expect(t, r, http.StatusBadRequest)
	for _, field := range []string{"occurred_at", "summary", "contacts.phone"} {
		if r.errField(field) == "" {
			t.Errorf("%s not named: %s", field, r.raw)
		}
	}

	// Nested problems are named one by one, with the rules' own.
	r = f.do(t, "POST", "/api/v1/tickets", f.reporter, `{"form":"x","summary":"太短","contacts":{"phone":1,"email":2,"fax":"3"},
		"attachments":[{"sha256":1},{"colour":"red"}],"extra":{"customer":5},"occurred_at":"soon"}`)
	expect(t, r, http.StatusBadRequest)
	for field, want := range map[string]string{"form": "must be feedback, suggestion or complaint", "summary": "must be 10–2000 characters, got 2",
		"contacts.phone": "must be a string", "contacts.email": "must be a string", "contacts.fax": "unknown field",
		"attachments[0].sha256": "must be a string", "attachments[1].colour": "unknown field", "extra.customer": "must be a string",
		"occurred_at": "must be an RFC 3339 time like 2026-11-20T10:00:00+08:00", "severity": "must be one of P1, P2, P3, P4"} {
		if got := r.errField(field); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
	// A field already named is not named again as a whole or a part.
	for _, field := range []string{"contacts", "attachments", "attachments[0]"} {
		if got := r.errField(field); got != "" {
			t.Errorf("%s named too: %q (%s)", field, got, r.raw)
		}
	}
}

// TestAPIFormsWithoutFields: a ticket of a form that asks no time or
// category (a suggestion, a complaint) leaves occurred_at out and lists
// no category as [], not a year-1 time and null.
func TestAPIFormsWithoutFields(t *testing.T) {
	f := newAPI(t, sqliteStore(t))
	for _, body := range []map[string]any{
		{"form": "suggestion", "summary": "希望提单系统可以保存草稿"},
		{"form": "complaint", "summary": "这批螺丝刀杆上有铁锈，客户要求退货", "order_number": "20080505003",
			"contacts": map[string]string{"phone": "13900139000"}, "extra": map[string]string{"customer": "李先生", "requests": "上门处理"}},
	} {
		t.Run(body["form"].(string), func(t *testing.T) {
			r := f.do(t, "POST", "/api/v1/tickets", f.reporter, body)
			expect(t, r, http.StatusCreated)
			for _, r := range []response{r, f.do(t, "GET", "/api/v1/tickets/"+r.body["number"].(string), f.reporter, nil), f.do(t, "GET", "/api/v1/tickets", f.reporter, nil)} {
				if strings.Contains(r.raw, `"occurred_at"`) || strings.Contains(r.raw, "0001-01-01") || !strings.Contains(r.raw, `"category":[]`) {
					t.Fatalf("want no occurred_at and \"category\":[]: %s", r.raw)
				}
			}
		})
	}
	// A feedback ticket has both.
	r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
	expect(t, r, http.StatusCreated)
	if r.body["occurred_at"] != "2026-11-20T02:00:00Z" || len(r.body["category"].([]any)) != 2 {
		t.Fatalf("feedback: %s", r.raw)
	}
}
