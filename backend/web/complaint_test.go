package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
)

// team stores a team named name.
func (f *fixture) team(name string) *backend.Team {
	f.t.Helper()
	tm := &backend.Team{Name: name}
	if err := f.store.CreateTeam(context.Background(), tm); err != nil {
		f.t.Fatal(err)
	}
	return tm
}

// teamUser is user with a team.
func (f *fixture) teamUser(name string, role backend.Role, team *backend.Team) (*backend.Person, string) {
	f.t.Helper()
	p, pw, err := f.auth.CreateUser(context.Background(), name, role, team.ID, "")
	if err != nil {
		f.t.Fatal(err)
	}
	return p, pw
}

// complaint files a complaint of seed 001 as reporter, claimed by handler.
func (f *fixture) complaint(reporter, handler *backend.Person) *backend.Ticket {
	f.t.Helper()
	ctx := context.Background()
	tk, err := f.svc.CreateTicket(ctx, reporter, backend.NewTicket{Prefix: "CP", Form: backend.FormComplaint,
		Summary: "客户投诉一批螺丝刀刀杆有铁锈，要求尽快处理", OrderNumber: "20080505003", Severity: backend.P3, Channel: "web",
		Extra:    map[string]string{"customer": "A企业", "requests": "上门处理不良品；查明原因并提出预防措施", "urgency": "normal"},
		Contacts: backend.Contacts{Phone: "13800138000"}})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.Claim(ctx, handler, tk.Number); err != nil {
		f.t.Fatal(err)
	}
	return tk
}

// post submits a form of the page with the client's CSRF token.
func (c *client) post(path string, form url.Values) (int, string, http.Header) {
	c.f.t.Helper()
	form.Set("csrf", c.csrf)
	return c.do("POST", path, form, nil)
}

func wantIn(t *testing.T, what, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
	if t.Failed() {
		t.Fatalf("%s:\n%s", what, page)
	}
}

func wantNotIn(t *testing.T, what, page string, nots ...string) {
	t.Helper()
	for _, w := range nots {
		if strings.Contains(page, w) {
			t.Errorf("%s has %q", what, w)
		}
	}
	if t.Failed() {
		t.Fatalf("%s:\n%s", what, page)
	}
}

// TestComplaintConsole walks seed 001 through the console: the manager
// splits the complaint and gives a task to an assistant of another team,
// who then sees the complaint and completes the task; the handler writes
// the root cause and prevention, the manager approves, the report to the
// customer shows them, and the handler records it sent. Who may not is
// refused, and a refused form keeps what was typed.
func TestComplaintConsole(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { testComplaintConsole(t, newFixture(t)) })
	t.Run("Postgres", func(t *testing.T) {
		ctx := context.Background()
		store, err := postgres.Open(ctx, pgtest.NewSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		if err := store.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		testComplaintConsole(t, newFixtureOn(t, store))
	})
}

func testComplaintConsole(t *testing.T, f *fixture) {
	quality, sales := f.team("quality"), f.team("sales")
	ann, annPW := f.teamUser("ann", backend.RoleAssistant, sales)      // handles the complaint
	_, bobPW := f.teamUser("bob", backend.RoleAssistant, sales)        // a colleague of ann
	olga, olgaPW := f.teamUser("olga", backend.RoleAssistant, quality) // another team
	_, mgrPW := f.user("mgr", backend.RoleManager)
	tk := f.complaint(f.reporter("sales-1"), ann)
	path := "/console/t/" + tk.Number
	mgr, annC, bobC, olgaC := f.client(), f.client(), f.client(), f.client()
	mgr.login("mgr", mgrPW)
	annC.login("ann", annPW)
	bobC.login("bob", bobPW)
	olgaC.login("olga", olgaPW)
	zone := f.svc.Location()
	due := time.Now().Add(72 * time.Hour).In(zone).Format("2006-01-02T15:04")

	t.Run("OtherTeamBeforeTask", func(t *testing.T) {
		if code, body, _ := olgaC.do("GET", path, nil, nil); code != http.StatusForbidden {
			t.Fatalf("olga sees the complaint before her task: %d\n%s", code, body)
		}
	})
	t.Run("PageForManager", func(t *testing.T) {
		code, body, _ := mgr.do("GET", path, nil, nil)
		if code != 200 {
			t.Fatalf("page = %d\n%s", code, body)
		}
		wantIn(t, "manager's page", body, `id="complaint"`, `id="task-add"`, `<option value="`+i64(olga.ID)+`" >olga</option>`,
			"web.complaint.no_tasks", "web.complaint.no_record", `id="nav-tasks"`)
		wantNotIn(t, "manager's page", body, `id="btn-approve"`, `id="report-link"`, `id="record-form"`+"x")
	})
	t.Run("ErrInvalidKeepsInput", func(t *testing.T) {
		code, body, _ := mgr.post(path+"/complaint/task", url.Values{"title": {"去"}, "owner": {i64(olga.ID)}, "due": {"明天"}})
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("bad task = %d\n%s", code, body)
		}
		wantIn(t, "refused task", body, `id="complaint-error"`, "Field:title Problem:err.problem.length", "Field:due Problem:err.problem.datetime",
			`name="title" value="去"`, `value="明天"`, `<option value="`+i64(olga.ID)+`" selected>olga</option>`)
		wantNotIn(t, "refused task", body, "Field:owner")
		// A deadline in the past, no owner: each named.
		past := time.Now().Add(-time.Hour).In(zone).Format("2006-01-02T15:04")
		code, body, _ = mgr.post(path+"/complaint/task", url.Values{"title": {"上门处理不良品"}, "due": {past}})
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("bad task = %d\n%s", code, body)
		}
		wantIn(t, "refused task", body, "Field:owner Problem:err.problem.required", "Field:due Problem:err.problem.past", `value="上门处理不良品"`)
	})
	t.Run("ErrForbiddenColleague", func(t *testing.T) {
		code, body, _ := bobC.post(path+"/complaint/task", url.Values{"title": {"上门处理不良品"}, "owner": {i64(olga.ID)}, "due": {due}})
		if code != http.StatusForbidden {
			t.Fatalf("bob adds a task = %d\n%s", code, body)
		}
		wantIn(t, "bob's refusal", body, "web.err.forbidden", "err.complaint_handler")
		wantNotIn(t, "bob's page", body, `id="task-add"`)
	})

	var ref string
	t.Run("AddTask", func(t *testing.T) {
		code, body, hdr := mgr.post(path+"/complaint/task", url.Values{"title": {"明天派质量部人员去客户现场处理不良品"}, "owner": {i64(olga.ID)}, "due": {due}})
		if code != http.StatusSeeOther || hdr.Get("Location") != path+"#complaint" {
			t.Fatalf("add task = %d %q\n%s", code, hdr.Get("Location"), body)
		}
		tasks, err := f.svc.MyTasks(context.Background(), olga, false)
		if err != nil || len(tasks) != 1 {
			t.Fatalf("olga's tasks: %v, %v", tasks, err)
		}
		ref = backend.TaskRef(tasks[0].ID)
		_, body, _ = mgr.do("GET", path, nil, nil)
		wantIn(t, "page with the task", body, `data-task="`+ref+`"`, "明天派质量部人员去客户现场处理不良品", "web.task.state.open",
			"web.ev.task.added_due", due[:10])
	})
	t.Run("OwnerOfOtherTeam", func(t *testing.T) {
		code, body, _ := olgaC.do("GET", "/console/tasks", nil, nil)
		if code != 200 {
			t.Fatalf("tasks = %d\n%s", code, body)
		}
		wantIn(t, "olga's tasks", body, `data-task="`+ref+`"`, `href="/console/t/`+tk.Number+`#complaint"`, "web.task.state.open")
		wantNotIn(t, "olga's tasks", body, `id="tab-all"`)
		if code, _, _ := olgaC.do("GET", "/console/tasks?all=1", nil, nil); code != http.StatusForbidden {
			t.Fatalf("olga lists everyone's tasks: %d", code)
		}
		code, body, _ = olgaC.do("GET", path, nil, nil)
		if code != 200 {
			t.Fatalf("olga's page = %d\n%s", code, body)
		}
		wantIn(t, "olga's page", body, `id="task-complete"`, `<option value="`+ref+`" >`)
		wantNotIn(t, "olga's page", body, `id="task-add"`, `id="record-form"`)
	})
	// Seed 001: olga objects to the task from its page; the manager
	// moves its deadline, which settles it.
	t.Run("ObjectAndChange", func(t *testing.T) {
		_, body, _ := olgaC.do("GET", path, nil, nil)
		wantIn(t, "olga's page", body, `id="task-object"`, `<option value="`+ref+`" >`)
		wantNotIn(t, "olga's page", body, `id="task-change"`)
		code, body, _ := olgaC.post(path+"/complaint/object", url.Values{"task": {ref}, "reason": {" "}})
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("no reason = %d\n%s", code, body)
		}
		wantIn(t, "refused objection", body, "Field:reason Problem:err.problem.required")
		code, body, _ = bobC.post(path+"/complaint/object", url.Values{"task": {ref}, "reason": {"不是我的"}})
		if code != http.StatusForbidden {
			t.Fatalf("bob objects = %d\n%s", code, body)
		}
		if code, body, _ = olgaC.post(path+"/complaint/object", url.Values{"task": {ref}, "reason": {"明天没有车，后天才能去现场"}}); code != http.StatusSeeOther {
			t.Fatalf("object = %d\n%s", code, body)
		}
		_, body, _ = mgr.do("GET", path, nil, nil)
		wantIn(t, "manager's page", body, "web.task.objection", "明天没有车，后天才能去现场", `id="task-change"`, "web.ev.task.objected")
		_, body, _ = olgaC.do("GET", path, nil, nil)
		wantNotIn(t, "olga's page after objecting", body, `id="task-object"`)
		_, body, _ = olgaC.do("GET", "/console/tasks", nil, nil)
		wantIn(t, "olga's tasks after objecting", body, "web.task.objection", "明天没有车，后天才能去现场")
		_, body, _ = mgr.do("GET", "/console/tasks?all=1", nil, nil)
		wantIn(t, "everyone's tasks", body, `class="objection" href="/console/t/`+tk.Number+`#task-change"`, "明天没有车，后天才能去现场")

		code, body, _ = mgr.post(path+"/complaint/change", url.Values{"task": {ref}, "due": {"后天"}})
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("bad due = %d\n%s", code, body)
		}
		wantIn(t, "refused change", body, "Field:due Problem:err.problem.datetime")
		later := time.Now().Add(96 * time.Hour).In(zone).Format("2006-01-02T15:04")
		if code, body, _ = mgr.post(path+"/complaint/change", url.Values{"task": {ref}, "due": {later}}); code != http.StatusSeeOther {
			t.Fatalf("change = %d\n%s", code, body)
		}
		_, body, _ = mgr.do("GET", path, nil, nil)
		wantIn(t, "page after the change", body, "web.ev.task.changed", later[:10])
		wantNotIn(t, "page after the change", body, "web.task.objection")
		_, body, _ = mgr.do("GET", "/console/tasks?all=1", nil, nil)
		wantNotIn(t, "everyone's tasks after the change", body, "web.task.objection")
	})
	t.Run("ErrCompleteNotOwner", func(t *testing.T) {
		code, body, _ := bobC.post(path+"/complaint/complete", url.Values{"task": {ref}, "result": {"不是我的任务"}})
		if code != http.StatusForbidden {
			t.Fatalf("bob completes = %d\n%s", code, body)
		}
		wantIn(t, "bob's refusal", body, "err.task_owner_only")
	})
	t.Run("ErrCompleteWithoutResult", func(t *testing.T) {
		code, body, _ := olgaC.post(path+"/complaint/complete", url.Values{"task": {ref}, "result": {" "}})
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("no result = %d\n%s", code, body)
		}
		wantIn(t, "refused result", body, "Field:result Problem:err.problem.required", `<option value="`+ref+`" selected>`)
	})
	t.Run("Complete", func(t *testing.T) {
		code, body, _ := olgaC.post(path+"/complaint/complete", url.Values{"task": {ref}, "result": {"已到现场更换不良品 200 支，客户确认"}})
		if code != http.StatusSeeOther {
			t.Fatalf("complete = %d\n%s", code, body)
		}
		_, body, _ = olgaC.do("GET", path, nil, nil)
		wantIn(t, "page after completing", body, "web.task.state.done", "已到现场更换不良品 200 支，客户确认", "web.ev.task.done_all")
		wantNotIn(t, "page after completing", body, `id="task-complete"`)
		// The page's live part, which others' open pages reload, shows it too.
		_, body, _ = mgr.do("GET", path+"/live", nil, map[string]string{"HX-Request": "true"})
		wantIn(t, "live part", body, `data-task="`+ref+`"`, "web.task.state.done", "已到现场更换不良品 200 支，客户确认")
		wantNotIn(t, "live part", body, `id="task-add"`)
	})
	t.Run("ErrReportBeforeApproval", func(t *testing.T) {
		if code, body, _ := mgr.do("GET", path+"/complaint/report", nil, nil); code != http.StatusConflict {
			t.Fatalf("report before approval = %d\n%s", code, body)
		}
	})
	t.Run("Record", func(t *testing.T) {
		code, body, _ := annC.post(path+"/complaint/record", url.Values{"root_cause": {"运"}, "prevention": {"托盘外包装箱包上尼龙"}})
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("short cause = %d\n%s", code, body)
		}
		wantIn(t, "refused record", body, "Field:root_cause Problem:err.problem.length", ">运</textarea>", ">托盘外包装箱包上尼龙</textarea>")
		code, body, _ = annC.post(path+"/complaint/record", url.Values{"root_cause": {"运输途中没有做好防水，包装箱进水"}, "prevention": {"托盘外包装箱包上尼龙，防止运输中进水"}})
		if code != http.StatusSeeOther {
			t.Fatalf("record = %d\n%s", code, body)
		}
		_, body, _ = annC.do("GET", path, nil, nil)
		wantIn(t, "ann's page", body, `id="record"`, "运输途中没有做好防水，包装箱进水", "web.complaint.unapproved", "web.ev.complaint.cause")
		// A refused rewrite keeps what was typed, not the stored record.
		code, body, _ = annC.post(path+"/complaint/record", url.Values{"root_cause": {"新"}, "prevention": {"新的预防措施"}})
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("short rewrite = %d\n%s", code, body)
		}
		wantIn(t, "refused rewrite", body, ">新</textarea>", ">新的预防措施</textarea>")
		wantNotIn(t, "ann's page", body, `id="btn-approve"`, `id="btn-sent"`)
	})
	t.Run("ErrApproveNotManager", func(t *testing.T) {
		code, body, _ := annC.post(path+"/complaint/approve", url.Values{})
		if code != http.StatusForbidden {
			t.Fatalf("ann approves = %d\n%s", code, body)
		}
		wantIn(t, "ann's refusal", body, "err.approve_manager")
	})
	t.Run("Approve", func(t *testing.T) {
		_, body, _ := mgr.do("GET", path, nil, nil)
		wantIn(t, "manager's page", body, `id="btn-approve"`)
		if code, body, _ := mgr.post(path+"/complaint/approve", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("approve = %d\n%s", code, body)
		}
		_, body, _ = mgr.do("GET", path, nil, nil)
		wantIn(t, "approved", body, "web.complaint.approved_by", `id="report-link"`, `id="btn-sent"`, "web.ev.complaint.approved")
		wantNotIn(t, "approved", body, `id="btn-approve"`)
	})
	t.Run("Report", func(t *testing.T) {
		code, body, _ := olgaC.do("GET", path+"/complaint/report", nil, nil)
		if code != 200 {
			t.Fatalf("report = %d\n%s", code, body)
		}
		wantIn(t, "report", body, `id="customer-report"`, "上门处理不良品；查明原因并提出预防措施", "明天派质量部人员去客户现场处理不良品",
			"已到现场更换不良品 200 支，客户确认", "运输途中没有做好防水，包装箱进水", "托盘外包装箱包上尼龙，防止运输中进水", "20080505003",
			"web.complaint.approved_bymap[At:")
	})
	t.Run("Sent", func(t *testing.T) {
		if code, body, _ := annC.post(path+"/complaint/sent", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("sent = %d\n%s", code, body)
		}
		_, body, _ := annC.do("GET", path, nil, nil)
		wantIn(t, "sent", body, "web.complaint.sent_by", "web.ev.complaint.sent")
		wantNotIn(t, "sent", body, `id="btn-sent"`, `id="record-form"`)
		code, body, _ := annC.post(path+"/complaint/record", url.Values{"root_cause": {"改一下原因"}, "prevention": {"改一下措施"}})
		if code != http.StatusConflict {
			t.Fatalf("record after sending = %d\n%s", code, body)
		}
		wantIn(t, "late record", body, "err.complaint_sent")
	})
	t.Run("AllTasks", func(t *testing.T) {
		code, body, _ := mgr.do("GET", "/console/tasks?all=1&done=1", nil, nil)
		if code != 200 {
			t.Fatalf("all tasks = %d\n%s", code, body)
		}
		wantIn(t, "all tasks", body, `data-task="`+ref+`"`, "web.task.state.done", `id="tab-all"`)
		_, body, _ = mgr.do("GET", "/console/tasks?all=1", nil, nil)
		wantIn(t, "open tasks", body, `id="no-tasks"`)
	})
	t.Run("ErrNotComplaint", func(t *testing.T) {
		fb := f.ticket(f.reporter("r2"), "会员中心订单详情打不开了")
		code, body, _ := mgr.post("/console/t/"+fb.Number+"/complaint/task", url.Values{"title": {"上门处理"}, "owner": {i64(olga.ID)}, "due": {due}})
		if code != http.StatusConflict {
			t.Fatalf("task on feedback = %d\n%s", code, body)
		}
		wantIn(t, "not a complaint", body, "err.not_complaint")
		// A task is completed on its own complaint's page only.
		code, body, _ = olgaC.post("/console/t/"+fb.Number+"/complaint/complete", url.Values{"task": {ref}, "result": {"别的工单上完成"}})
		if code != http.StatusNotFound {
			t.Fatalf("task completed on another ticket = %d\n%s", code, body)
		}
		if code, _, _ := mgr.do("GET", "/console/t/"+fb.Number+"/complaint/report", nil, nil); code != http.StatusConflict {
			t.Fatalf("report of feedback = %d", code)
		}
	})
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }
