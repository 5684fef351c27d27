package botkit

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// recorder is a notify.Sender that keeps the text each person would
// read, rendered as the e-mail and SMS routes render it.
type recorder struct {
	render *Renderer
	mu     sync.Mutex
	got    map[string][]string // person's name → texts, in order
}

func (r *recorder) Platform() string { return "rec" }

func (r *recorder) Send(ctx context.Context, m notify.Message) error {
	text := r.render.Notice(ctx, m)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got[m.Recipient.Name] = append(r.got[m.Recipient.Name], text)
	return nil
}

// deliverer registers r with a dispatcher on store and returns a function
// that delivers everything due.
func (r *recorder) deliverer(t *testing.T, store backend.Store, now func() time.Time) func() {
	disp := notify.New(store, notify.Config{Now: now})
	disp.Register(r, false)
	return func() {
		t.Helper()
		for {
			n, err := disp.DeliverDue(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
		}
	}
}

// TestTaskNotices: a complaint's tasks and closing record, as their
// readers are told in their own language: the owner what, by when and
// how to complete it (in any chat, as e-mail says it), the reporter the
// plan, each result with what is left and the end, the report sent; an
// overdue task reminds its owner and tells the handler whose it is;
// the reporter never reads the staff-only steps.
// complaintChat files a complaint by the first of people (each with a
// recorded chat account), has the second claim it, and returns the
// ticket, a recorder of what each person is told and the function that
// delivers the outbox to it, with filing and claiming delivered already.
func complaintChat(t *testing.T, svc *backend.Service, store backend.Store, now func() time.Time, people []*backend.Person) (*backend.Ticket, *recorder, func()) {
	t.Helper()
	ctx := context.Background()
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		if err := svc.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := store.LinkAccount(ctx, p.ID, backend.ChatAccount{Platform: "rec", UserID: p.Name, ChatID: p.Name}); err != nil {
			t.Fatal(err)
		}
	}
	tk, err := svc.CreateTicket(ctx, people[0], backend.NewTicket{Prefix: "CP", Form: backend.FormComplaint,
		Summary: "客户投诉一批螺丝刀刀杆有铁锈，要求尽快处理", OrderNumber: "20080505003", Severity: backend.P3, Channel: "web",
		Extra:    map[string]string{"customer": "A企业", "requests": "上门处理不良品", "urgency": "normal"},
		Contacts: backend.Contacts{Phone: "13800138000"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Claim(ctx, people[1], tk.Number); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{render: &Renderer{Cat: cat, People: store.Person, Tasks: store.Task}, got: map[string][]string{}}
	deliver := rec.deliverer(t, store, now)
	deliver()
	rec.got = map[string][]string{} // filing and claiming
	return tk, rec, deliver
}

func TestTaskNotices(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	now := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	svc := backend.NewService(store, backend.ServiceConfig{Now: func() time.Time { return now }})
	reporter := &backend.Person{Name: "销售小王", Roles: []backend.Role{backend.RoleReporter}, Locale: "zh-CN"}
	handler := &backend.Person{Name: "Hank", Roles: []backend.Role{backend.RoleAssistant}, Locale: "en"}
	owner := &backend.Person{Name: "质量部老李", Roles: []backend.Role{backend.RoleAssistant}, Locale: "zh-CN"}
	manager := &backend.Person{Name: "GM", Roles: []backend.Role{backend.RoleManager}, Locale: "zh-CN"}
	tk, rec, deliver := complaintChat(t, svc, store, func() time.Time { return now }, []*backend.Person{reporter, handler, owner, manager})

	visit, err := svc.AddTask(ctx, handler, tk.Number, backend.NewTask{Title: "派质量部人员去客户现场处理不良品", OwnerID: owner.ID, Due: now.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	cause, err := svc.AddTask(ctx, handler, tk.Number, backend.NewTask{Title: "七天内查明原因并提出预防措施", OwnerID: owner.ID, Due: now.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CompleteTask(ctx, owner, visit.ID, "已到现场更换不良品 200 支"); err != nil {
		t.Fatal(err)
	}
	deliver()
	now = now.Add(3 * time.Hour)
	if n, err := svc.RemindOverdueTasks(ctx); err != nil || n != 1 {
		t.Fatalf("RemindOverdueTasks = %d, %v", n, err)
	}
	deliver()
	if _, err := svc.CompleteTask(ctx, owner, cause.ID, "运输中包装箱进水"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RecordCause(ctx, handler, tk.Number, "运输时没有做好防水", "托盘外包装箱包尼龙"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApproveComplaint(ctx, manager, tk.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.MarkSentToCustomer(ctx, handler, tk.Number); err != nil {
		t.Fatal(err)
	}
	deliver()

	want := map[string][][]string{
		// The owner: both tasks, with the deadline in Shanghai and how to
		// complete them in any chat; then the reminder.
		owner.Name: {
			{"你有一项新任务", backend.TaskRef(visit.ID), "派质量部人员去客户现场处理不良品", tk.Number, "2026-11-25 10:00", "Telegram 发送 /tasks", "Slack 输入 /ticket tasks"},
			{"你有一项新任务", backend.TaskRef(cause.ID), "七天内查明原因", "2026-11-24 12:00"},
			{"⏰", backend.TaskRef(cause.ID), "七天内查明原因", "已过截止时间（2026-11-24 12:00）", "请尽快完成", "/tasks"},
		},
		// The reporter: the plan, each result with what is left, the end,
		// the report sent.
		reporter.Name: {
			{"处理计划", "派质量部人员去客户现场处理不良品", "质量部老李", "2026-11-25 10:00", "还有 1 项"},
			{"处理计划", "七天内查明原因", "还有 2 项"},
			{"派质量部人员去客户现场处理不良品", "已由 质量部老李 完成", "已到现场更换不良品 200 支", "还有 1 项任务未完成"},
			{"七天内查明原因并提出预防措施", "运输中包装箱进水", "所有任务都已完成"},
			{tk.Number, "已发送给客户"},
		},
		// The handler, in English: the results and the overdue task.
		handler.Name: {
			{"“派质量部人员去客户现场处理不良品”", "completed by 质量部老李", "1 task(s) still open"},
			{"⏰", backend.TaskRef(cause.ID), "past its deadline (2026-11-24 12:00)", "its owner 质量部老李"},
			{"“七天内查明原因并提出预防措施”", "All tasks of complaint " + tk.Number + " are done"},
		},
	}
	for name, texts := range want {
		got := rec.got[name]
		if len(got) != len(texts) {
			t.Errorf("%s was told %d things, want %d: %q", name, len(got), len(texts), got)
			continue
		}
		for i, parts := range texts {
			for _, p := range parts {
				if !strings.Contains(got[i], p) {
					t.Errorf("%s's message %d lacks %q: %q", name, i+1, p, got[i])
				}
			}
		}
	}
	for name, texts := range rec.got {
		for _, s := range texts {
			if strings.Contains(s, "<no value>") || strings.Contains(s, "task.") || strings.Contains(s, "#0") {
				t.Errorf("%s reads an unfilled text: %q", name, s)
			}
		}
	}
	if got := rec.got[manager.Name]; len(got) != 0 {
		t.Errorf("the manager was told %q", got)
	}

	// The staff-only steps, as a staff member asking for the status reads them.
	events, err := store.Events(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var staffOnly []string
	for _, e := range events {
		if e.Kind == backend.EventComplaint && !e.Public {
			staffOnly = append(staffOnly, rec.render.NoticeIn(ctx, catalog.En, notify.Message{Outbox: &backend.OutboxMessage{Audience: backend.AudienceAssignee}, Ticket: tk, Event: e}))
		}
	}
	if len(staffOnly) != 2 || !strings.Contains(staffOnly[0], "Root cause: 运输时没有做好防水") || !strings.Contains(staffOnly[1], "GM approved") {
		t.Errorf("the closing record's staff-only steps: %q", staffOnly)
	}

	// The progress a reporter reads in "status of CP-…".
	progress := rec.render.TaskProgress(ctx, svc, reporter, catalog.ZhCN, tk, now)
	for _, p := range []string{"任务 2/2 已完成", "✅ " + backend.TaskRef(visit.ID), "已到现场更换不良品 200 支", "处理报告已发送给客户"} {
		if !strings.Contains(progress, p) {
			t.Errorf("the progress lacks %q: %q", p, progress)
		}
	}
}

// TestTaskKeys: every task.* text the channels name is in every catalog.
func TestTaskKeys(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"(task\.[a-z_.]+[a-z_])"`)
	n := 0
	for _, dir := range []string{".", "../telegram", "../slack", "../webchat", "../email", "../smshook"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				n++
				if !cat.Has(m[1]) {
					t.Errorf("%s: %s has no text in every language", f, m[1])
				}
			}
		}
	}
	if n < 25 {
		t.Fatalf("found only %d task.* keys in the sources; is the pattern right?", n)
	}
}

// TestTaskObjectionNotices: an objection reaches the complaint's handler
// with the reason, not the reporter; a change reaches the new owner as
// theirs, the former owner and the reporter as the plan changed.
func TestTaskObjectionNotices(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	now := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	svc := backend.NewService(store, backend.ServiceConfig{Now: func() time.Time { return now }})
	reporter := &backend.Person{Name: "销售小王", Roles: []backend.Role{backend.RoleReporter}, Locale: "zh-CN"}
	handler := &backend.Person{Name: "Hank", Roles: []backend.Role{backend.RoleAssistant}, Locale: "en"}
	owner := &backend.Person{Name: "质量部老李", Roles: []backend.Role{backend.RoleAssistant}, Locale: "zh-CN"}
	next := &backend.Person{Name: "物流部老张", Roles: []backend.Role{backend.RoleAssistant}, Locale: "zh-CN"}
	tk, rec, deliver := complaintChat(t, svc, store, func() time.Time { return now }, []*backend.Person{reporter, handler, owner, next})
	task, err := svc.AddTask(ctx, handler, tk.Number, backend.NewTask{Title: "七天内查明原因并提出预防措施", OwnerID: owner.ID, Due: now.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	deliver()
	rec.got = map[string][]string{}

	if _, err := svc.ObjectTask(ctx, owner, task.ID, "运输环节归物流部"); err != nil {
		t.Fatal(err)
	}
	deliver()
	if _, err := svc.ChangeTask(ctx, handler, task.ID, backend.TaskChange{OwnerID: next.ID, Due: now.Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	deliver()
	want := map[string][]string{
		handler.Name:  {"质量部老李 objects to task " + backend.TaskRef(task.ID), "“七天内查明原因并提出预防措施”", "运输环节归物流部"},
		next.Name:     {"已调整：由你负责", backend.TaskRef(task.ID), "2026-11-27 10:00"},
		owner.Name:    {"已调整：负责人 物流部老张", "2026-11-27 10:00"},
		reporter.Name: {"处理计划有调整", "七天内查明原因并提出预防措施", "物流部老张"},
	}
	for name, parts := range want {
		got := rec.got[name]
		if len(got) != 1 {
			t.Errorf("%s was told %q, want one message", name, got)
			continue
		}
		for _, p := range parts {
			if !strings.Contains(got[0], p) {
				t.Errorf("%s's message lacks %q: %q", name, p, got[0])
			}
		}
	}
}
