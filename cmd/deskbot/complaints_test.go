package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

// TestMainTaskReminder: a complaint task past its deadline (made while no
// process ran its reminders) reminds its owner in their Telegram chat as
// soon as a process starts, once, with the task and the ✅ that completes
// it.
func TestMainTaskReminder(t *testing.T) {
	ctx := context.Background()
	tg := telegramtest.New(t)
	vars := map[string]string{
		"DATABASE_URL":       pgtest.NewSchema(t),
		"DESKBOT_DATA":       t.TempDir(),
		"TELEGRAM_BOT_TOKEN": telegramtest.Token,
		"TELEGRAM_API_URL":   tg.URL(),
	}
	a := startMain(t, vars)
	owner := &backend.Person{Name: "质量部小李", Roles: []backend.Role{backend.RoleAssistant}, Locale: "zh-CN",
		Accounts: []backend.ChatAccount{{Platform: "telegram", UserID: "801", ChatID: "801"}}}
	rep := &backend.Person{Name: "销售小王", Roles: []backend.Role{backend.RoleReporter}}
	for _, p := range []*backend.Person{owner, rep} {
		if err := a.Store.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	tk := &backend.Ticket{Form: backend.FormComplaint, Summary: "客户投诉螺丝刀刀杆生锈，要求上门处理", Status: backend.StatusInProgress,
		Severity: backend.P3, ReporterID: rep.ID, AssigneeID: owner.ID, CreatedAt: now.Add(-72 * time.Hour)}
	if err := a.Store.CreateTicket(ctx, tk, "CP", tk.CreatedAt, nil); err != nil {
		t.Fatal(err)
	}
	task := &backend.Task{Title: "上门处理不良品", OwnerID: owner.ID, Due: now.Add(-time.Hour), CreatedBy: owner.ID}
	ev := &backend.Event{Kind: backend.EventTask, Public: true, Body: task.Title, Data: backend.EventData{TaskStep: backend.TaskAdded}}
	if err := a.Store.UpdateTicket(ctx, tk, []backend.Change{{Event: ev, Task: task}}); err != nil {
		t.Fatal(err)
	}

	startMain(t, vars) // reminds at start
	tg.Wait(t, 10*time.Second, "the reminder", func() bool { return len(tg.Messages(801)) > 0 })
	time.Sleep(300 * time.Millisecond) // a doubled reminder would be here by now
	msgs := tg.Messages(801)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, tk.Number) {
		t.Fatalf("the owner got %d messages: %+v", len(msgs), msgs)
	}
	if m := msgs[0]; !strings.Contains(m.Text, "上门处理不良品") || !strings.Contains(m.Text, "已过截止时间") ||
		telegramtest.ButtonData(m, "tc:"+strconv.FormatInt(task.ID, 10)) == "" {
		t.Fatalf("the reminder: %q, %+v", m.Text, m.ReplyMarkup)
	}
	got, err := a.Store.Task(ctx, task.ID)
	if err != nil || got.RemindedAt.IsZero() {
		t.Fatalf("the task is not marked reminded: %+v, %v", got, err)
	}
}
