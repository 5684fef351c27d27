package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func TestReportAPI(t *testing.T) {
	f := newAPI(t, sqliteStore(t))
	number := f.unsatisfiedTicket(t) // this week: filed, resolved, rated 不满意 (so reopened)
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	week := backend.PeriodOf(backend.PeriodWeek, time.Now(), sh).String()

	t.Run("OK", func(t *testing.T) {
		for _, path := range []string{"/api/v1/reports", "/api/v1/reports?period=" + week} {
			r := f.do(t, "GET", path, f.admin, nil)
			expect(t, r, http.StatusOK)
			var got map[string]any
			if err := json.Unmarshal([]byte(r.raw), &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"period": week, "team": nil, "total": 1.0,
				"categories":   []any{map[string]any{"path": []any{"CRM问题"}, "count": 1.0, "share": 1.0}},
				"top_problems": []any{map[string]any{"path": []any{"CRM问题", "会员中心"}, "count": 1.0, "share": 1.0}},
				// Nothing resolved, no P1, nothing rated before: null, not 0.
				"handling": map[string]any{"resolved": 0.0, "average_seconds": nil, "median_seconds": nil},
				"p1":       map[string]any{"created": 0.0, "resolved": 0.0, "rate": nil},
				"sla":      []any{}, "factors": []any{}, "complaints": []any{}, "prevention": []any{},
				"satisfaction": map[string]any{
					"current":  map[string]any{"satisfied": 0.0, "basically": 0.0, "unsatisfied": 1.0, "rate": 0.0},
					"previous": map[string]any{"satisfied": 0.0, "basically": 0.0, "unsatisfied": 0.0, "rate": nil}},
			}
			trend, _ := got["satisfaction_trend"].([]any)
			if len(trend) != backend.TrendPeriods {
				t.Fatalf("%s: satisfaction_trend = %v, want %d periods", path, got["satisfaction_trend"], backend.TrendPeriods)
			}
			last, _ := trend[len(trend)-1].(map[string]any)
			first, _ := trend[0].(map[string]any)
			if last["period"] != week || last["unsatisfied"] != 1.0 || last["rate"] != 0.0 || first["rate"] != nil || first["to"] == nil {
				t.Errorf("%s: satisfaction_trend = %v; want this week last with its rating, the first without", path, trend)
			}
			for k, v := range want {
				if g, _ := json.Marshal(got[k]); string(g) != mustJSON(v) {
					t.Errorf("%s: %s = %s, want %s", path, k, g, mustJSON(v))
				}
			}
			if strings.Contains(r.raw, number) || strings.Contains(r.raw, "13912345678") {
				t.Errorf("the report names a ticket or a contact: %s", r.raw)
			}
		}
	})
	t.Run("Complaints", func(t *testing.T) {
		ctx := context.Background()
		f := newAPI(t, sqliteStore(t))
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, map[string]any{"form": "complaint", "summary": "这批螺丝刀杆上有铁锈，客户要求退货",
			"order_number": "20080505003", "contacts": map[string]string{"phone": "13900139000"},
			"extra": map[string]string{"customer": "李先生", "requests": "上门处理并说明原因"}})
		expect(t, r, http.StatusCreated)
		number := r.body["number"].(string)
		admin, err := f.svc.Authenticate(ctx, f.admin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RecordCause(ctx, admin, number, "运输途中包装箱进水", "托盘外包装加裹尼龙膜"); err != nil {
			t.Fatal(err)
		}
		r = f.do(t, "GET", "/api/v1/reports", f.admin, nil)
		expect(t, r, http.StatusOK)
		for k, want := range map[string]any{
			"complaints": []any{map[string]any{"customer": "李先生", "numbers": []any{number}, "closed": 0.0, "open": 1.0,
				"tasks_done": 0.0, "tasks_open": 0.0, "tasks_overdue": 0.0}},
			"prevention": []any{map[string]any{"number": number, "customer": "李先生", "root_cause": "运输途中包装箱进水",
				"prevention": "托盘外包装加裹尼龙膜", "approved": false, "sent": false}},
		} {
			if g, _ := json.Marshal(r.body[k]); string(g) != mustJSON(want) {
				t.Errorf("%s = %s, want %s", k, g, mustJSON(want))
			}
		}
	})
	t.Run("CSV", func(t *testing.T) {
		for _, tc := range []struct{ query, accept string }{{"?format=csv", ""}, {"", "text/csv"}} {
			req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/reports"+tc.query, nil)
			req.Header.Set("Authorization", "Bearer "+f.admin)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
				resp.Header.Get("Content-Disposition") != `attachment; filename="report-`+week+`.csv"` ||
				!strings.Contains(string(body), "\ntotal,created,1,,\ncategory,CRM问题,1,1.0000,\n") ||
				!strings.Contains(string(body), "\nrating,unsatisfied,1,1.0000,\n") {
				t.Errorf("%s %s: %d %v\n%s", tc.query, tc.accept, resp.StatusCode, resp.Header, body)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		r := f.do(t, "GET", "/api/v1/reports?period=2026-W60&team=x&format=pdf", f.admin, nil)
		expect(t, r, http.StatusBadRequest)
		fields := r.body["error"].(map[string]any)["fields"].(map[string]any)
		if len(fields) != 3 || fields["period"] == nil || fields["team"] == nil || fields["format"] == nil {
			t.Fatalf("fields: %s", r.raw)
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		// A reporter, and an assistant without a team: no report.
		expect(t, f.do(t, "GET", "/api/v1/reports", f.reporter, nil), http.StatusForbidden)
		expect(t, f.do(t, "GET", "/api/v1/reports", f.assistant, nil), http.StatusForbidden)
		expect(t, f.do(t, "GET", "/api/v1/reports", "", nil), http.StatusUnauthorized)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		expect(t, f.do(t, "GET", "/api/v1/reports?team=987654", f.admin, nil), http.StatusNotFound)
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
