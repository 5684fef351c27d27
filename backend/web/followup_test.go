package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/web"
)

// unsatisfied has staff resolve a new ticket of reporter and the reporter
// rate it 不满意, and returns the ticket and its follow-up.
func (f *fixture) unsatisfied(reporter, staff *backend.Person) (*backend.Ticket, *backend.FollowUp) {
	f.t.Helper()
	ctx := context.Background()
	tk := f.ticket(reporter, "会员中心订单详情打不开")
	if _, err := f.svc.Claim(ctx, staff, tk.Number); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.Resolve(ctx, staff, tk.Number, "已修复"); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.RecordSatisfaction(ctx, reporter, tk.Number, backend.SatisfactionUnsatisfied, ""); err != nil {
		f.t.Fatal(err)
	}
	fus, err := f.svc.FollowUpsOf(ctx, staff, tk.Number)
	if err != nil || len(fus) != 1 {
		f.t.Fatalf("follow-ups: %v, %v", fus, err)
	}
	return tk, fus[0]
}

func TestFollowUpPages(t *testing.T) {
	f := newFixture(t)
	dave, pw := f.user("dave", backend.RoleAssistant)
	tk, fu := f.unsatisfied(f.reporter("r1"), dave)
	c := f.client()
	c.login("dave", pw)
	page := fmt.Sprintf("/console/followups/%d", fu.ID)

	t.Run("Board", func(t *testing.T) {
		code, body, _ := c.do("GET", "/console/followups", nil, nil)
		if code != 200 || !strings.Contains(body, `href="/console/followups/`+fmt.Sprint(fu.ID)+`"`) ||
			!strings.Contains(body, `href="/console/t/`+tk.Number+`"`) || !strings.Contains(body, `id="nav-followups"`) {
			t.Fatalf("board = %d:\n%s", code, body)
		}
	})
	t.Run("Page", func(t *testing.T) {
		code, body, _ := c.do("GET", page, nil, nil)
		if code != 200 {
			t.Fatalf("page = %d:\n%s", code, body)
		}
		for _, want := range []string{`id="thread-link"`, `href="/console/t/` + tk.Number + `"`, "followup.script.before",
			"followup.script.attitude", "followup.script.other", `name="csrf"`, `id="survey-form"`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		// DESIGN §10: no contact on the follow-up page.
		if strings.Contains(body, "13800138000") || strings.Contains(body, "138****8000") {
			t.Error("the follow-up page shows the customer's phone")
		}
		if strings.Contains(body, `id="callback-form"`) {
			t.Error("a callback form before any callback is needed")
		}
	})
	t.Run("Actions", func(t *testing.T) {
		c.fetchCSRF(page)
		post := func(action string, form url.Values) (int, string) {
			t.Helper()
			form.Set("csrf", c.csrf)
			code, body, _ := c.do("POST", page+"/"+action, form, nil)
			return code, body
		}
		if code, _, _ := c.do("POST", page+"/survey", url.Values{"factor": {"attitude"}}, nil); code != 403 {
			t.Fatalf("survey without CSRF = %d, want 403", code)
		}
		// Marked 需回访 before the survey: the survey form keeps it.
		if code, body := post("mark", url.Values{"mark": {"need_callback"}}); code != 303 {
			t.Fatalf("mark need_callback = %d:\n%s", code, body)
		}
		if _, body, _ := c.do("GET", page, nil, nil); !strings.Contains(body, `name="callback" value="true" checked`) {
			t.Fatalf("the survey form drops the callback marked before:\n%s", body)
		}
		if code, body := post("survey", url.Values{"notes": {"忘了选因素"}}); code != 422 || !strings.Contains(body, `role="alert"`) {
			t.Fatalf("survey without factors = %d:\n%s", code, body)
		}
		if code, body := post("survey", url.Values{"factor": {"attitude", "knowledge_base"}, "solved": {"false"}, "notes": {"用户认为口径不合理"}, "callback": {"true"}}); code != 303 {
			t.Fatalf("survey = %d:\n%s", code, body)
		}
		_, body, _ := c.do("GET", page, nil, nil)
		if !strings.Contains(body, `id="callback-form"`) || strings.Contains(body, `id="survey-form"`) || !strings.Contains(body, "followup.factor.knowledge_base") {
			t.Fatalf("after the survey:\n%s", body)
		}
		// The 不满意 reopened the ticket: the callback waits for its result
		// (seed 003), and the handler can be urged.
		if !strings.Contains(body, `id="urge-form"`) || !strings.Contains(body, "web.fu.waiting") {
			t.Fatalf("no urge while the ticket is open again:\n%s", body)
		}
		if code, body := post("urge", url.Values{}); code != 303 {
			t.Fatalf("urge = %d:\n%s", code, body)
		}
		if code, body := post("callback", url.Values{"outcome": {"solved"}, "notes": {"已追加事件"}}); code != 303 {
			t.Fatalf("callback = %d:\n%s", code, body)
		}
		if code, _ := post("callback", url.Values{"outcome": {"accepted"}}); code != 409 {
			t.Fatalf("second callback = %d, want 409", code)
		}
		if code, _ := post("mark", url.Values{"mark": {"need_survey"}}); code != 409 {
			t.Fatalf("need survey after the survey = %d, want 409", code)
		}
		// The ticket's thread shows both steps.
		_, body, _ = c.do("GET", "/console/t/"+tk.Number, nil, nil)
		if !strings.Contains(body, "web.ev.follow_up.surveyed") || !strings.Contains(body, "web.ev.follow_up.urged") || !strings.Contains(body, "web.ev.follow_up.called") {
			t.Fatalf("thread lacks the follow-up steps:\n%s", body)
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		ctx := context.Background()
		tm := &backend.Team{Name: "other"}
		if err := f.store.CreateTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
		mine := &backend.Team{Name: "mine"}
		if err := f.store.CreateTeam(ctx, mine); err != nil {
			t.Fatal(err)
		}
		dave.TeamID = mine.ID
		if err := f.store.UpdatePerson(ctx, dave); err != nil {
			t.Fatal(err)
		}
		_, routed := f.unsatisfied(f.reporter("r2"), dave) // claimed by dave: team mine
		_, opw, err := f.auth.CreateUser(ctx, "olga", backend.RoleAssistant, tm.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		o := f.client()
		o.login("olga", opw)
		if code, _, _ := o.do("GET", fmt.Sprintf("/console/followups/%d", routed.ID), nil, nil); code != 403 {
			t.Fatalf("another team's follow-up = %d, want 403", code)
		}
		if _, body, _ := o.do("GET", "/console/followups", nil, nil); strings.Contains(body, fmt.Sprintf(`/console/followups/%d"`, routed.ID)) {
			t.Fatal("another team's board lists it")
		}
		if code, _, _ := c.do("GET", "/console/followups/999999", nil, nil); code != 404 {
			t.Fatalf("unknown follow-up = %d, want 404", code)
		}
		if code, _, _ := c.do("GET", "/console/followups/nope", nil, nil); code != 404 {
			t.Fatalf("bad id = %d, want 404", code)
		}
	})
}

// TestReminderLine: a follow-up reminder on the thread says which window,
// in the reader's zone, and whether it came overdue.
func TestReminderLine(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	from, due := time.Date(2026, 11, 30, 0, 0, 0, 0, sh).UTC(), time.Date(2026, 12, 3, 0, 0, 0, 0, sh).UTC()
	e := &backend.Event{Kind: backend.EventFollowUp, At: time.Date(2026, 11, 30, 9, 0, 0, 0, sh),
		Data: backend.EventData{FollowUpID: 1, FollowUpStep: backend.StepSurveyDue, WindowFrom: from, Due: due}}
	name := func(int64) string { return "" }
	for _, tc := range []struct {
		zone *time.Location
		at   time.Time
		want string
	}{
		{sh, e.At, "web.ev.follow_up.survey_due"},
		{nil, e.At, "web.ev.follow_up.survey_due"}, // no zone: the default, Shanghai
		{sh, due, "web.ev.follow_up.survey_due.overdue"},
	} {
		e.At = tc.at
		line := web.EventLineIn(keys{}, "zh-CN", tc.zone, e, name)
		if !strings.HasPrefix(line, tc.want+"map[") || !strings.Contains(line, "From:11-30") || !strings.Contains(line, "Last:12-02") {
			t.Errorf("at %v in %v: %s", tc.at, tc.zone, line)
		}
	}
}
