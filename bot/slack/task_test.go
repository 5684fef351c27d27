package slack

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

const (
	owner    = "UOWN"
	outsider = "UOTH"
)

// complaint files a complaint (seed 001) for the reporter as the API
// would, and has handler claim it.
func (h *harness) complaint(handler *backend.Person) *backend.Ticket {
	h.t.Helper()
	ctx := context.Background()
	p, err := h.ch.reporter(ctx, reporter)
	if err != nil {
		h.t.Fatal(err)
	}
	tk, err := h.svc.CreateTicket(ctx, p, backend.NewTicket{Prefix: "CP", Form: backend.FormComplaint,
		Summary: "客户投诉一批螺丝刀刀杆有铁锈，要求尽快处理", OrderNumber: "20080505003", Severity: backend.P3, Channel: "api",
		Extra:    map[string]string{"customer": "A企业", "requests": "上门处理不良品；查明原因并提出预防措施", "urgency": "normal"},
		Contacts: backend.Contacts{Phone: "13800138000"}})
	if err != nil {
		h.t.Fatal(err)
	}
	if tk, err = h.svc.Claim(ctx, handler, tk.Number); err != nil {
		h.t.Fatal(err)
	}
	return tk
}

// ephemeralTo matches a message shown to user only, with every part.
func ephemeralTo(user string, parts ...string) func(slacktest.Message) bool {
	return func(m slacktest.Message) bool {
		if m.Ephemeral != user {
			return false
		}
		for _, p := range parts {
			if !strings.Contains(m.Text, p) {
				return false
			}
		}
		return true
	}
}

// TestComplaintTaskModal: the owner of a complaint's task is told in
// their DM, with a Complete button; "/ticket tasks" lists it; someone
// else's press is refused with the reason and opens nothing; the owner's
// press opens a modal that wants a result, and submitting it completes
// the task and tells the reporter the result and that all tasks are done.
func TestComplaintTaskModal(t *testing.T) {
	for _, mode := range []string{ModeSocket, ModeHTTP} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, mode)
			ctx := context.Background()
			handler := h.linkStaff(helper)
			own := h.linkStaff(owner)
			h.linkStaff(outsider)
			tk := h.complaint(handler)
			task, err := h.svc.AddTask(ctx, handler, tk.Number, backend.NewTask{Title: "明天派质量部人员去客户现场处理不良品", OwnerID: own.ID, Due: time.Now().Add(48 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			id := strconv.FormatInt(task.ID, 10)
			notice := h.fake.WaitMessage(t, "the owner's notice", inChannel(dmChannel(owner), "", "你有一项新任务", backend.TaskRef(task.ID), tk.Number, "点下面的「完成」"))
			if notice.Buttons()[actTask] != id {
				t.Fatalf("the notice's buttons: %v", notice.Buttons())
			}
			h.fake.WaitMessage(t, "the plan", inChannel(dmChannel(reporter), "*", "处理计划", "明天派质量部人员"))

			h.fake.Slash(t, owner, dmChannel(owner), "/ticket", "tasks")
			list := h.fake.WaitMessage(t, "the task list", ephemeralTo(owner, "我的待办任务（1 项", backend.TaskRef(task.ID), tk.Number))
			if list.Buttons()[actTask] != id {
				t.Fatalf("the list's buttons: %v", list.Buttons())
			}

			// Someone else presses: the reason, to them; no modal; still open.
			h.fake.Press(t, outsider, list, actTask, id, "")
			h.fake.WaitMessage(t, "the refusal", ephemeralTo(outsider, "只有任务 "+backend.TaskRef(task.ID)+" 的负责人"))
			time.Sleep(100 * time.Millisecond)
			for _, v := range []string{"V0001", "V0002"} {
				if view, ok := h.fake.View(v); ok && view.User == outsider {
					t.Fatalf("a modal opened for someone who may not complete the task: %+v", view.Raw)
				}
			}
			if got, _ := h.store.Task(ctx, task.ID); got.Done() {
				t.Fatal("the refused press completed the task")
			}

			h.fake.Press(t, owner, list, actTask, id, "")
			v := h.fake.WaitView(t, owner, func(v *slacktest.View) bool { return v.CallbackID() == cbTask })
			if action, errs := h.fake.Submit(t, owner, v, slacktest.Values{"text": {actValue: {Text: "  "}}}); action != "errors" || errs["text"] == "" {
				t.Fatalf("an empty result: %q %v", action, errs)
			}
			if action, errs := h.fake.Submit(t, owner, v, slacktest.Values{"text": {actValue: {Text: "已到现场更换不良品 200 支，客户确认"}}}); action == "errors" {
				t.Fatalf("the result was refused: %v", errs)
			}
			got, err := h.store.Task(ctx, task.ID)
			if err != nil || !got.Done() || got.DoneBy != own.ID || got.Result != "已到现场更换不良品 200 支，客户确认" {
				t.Fatalf("the task after the modal: %+v, %v", got, err)
			}
			h.fake.WaitMessage(t, "the owner's confirmation", ephemeralTo(owner, "任务 "+backend.TaskRef(task.ID)+" 已完成"))
			h.fake.WaitMessage(t, "the result to the reporter", inChannel(dmChannel(reporter), "*", "明天派质量部人员去客户现场处理不良品",
				"已到现场更换不良品 200 支", "所有任务都已完成"))

			// The reporter's status of the complaint shows the progress.
			h.fake.Slash(t, reporter, dmChannel(reporter), "/ticket", "status "+tk.Number)
			h.fake.WaitMessage(t, "the status", ephemeralTo(reporter, tk.Number, "任务 1/1 已完成"))
		})
	}
}

// TestOverdueTaskDM: a task past its deadline reminds its owner in their
// DM with the Complete button, and the handler where they follow the
// complaint; the reporter is not told.
func TestOverdueTaskDM(t *testing.T) {
	h := newHarness(t, ModeSocket)
	ctx := context.Background()
	handler := h.linkStaff(helper)
	own := h.linkStaff(owner)
	tk := h.complaint(handler)
	due := time.Now().Add(time.Second)
	task, err := h.svc.AddTask(ctx, handler, tk.Number, backend.NewTask{Title: "上门处理不良品", OwnerID: own.ID, Due: due})
	if err != nil {
		t.Fatal(err)
	}
	h.fake.WaitMessage(t, "the owner's notice", inChannel(dmChannel(owner), "", "你有一项新任务", "上门处理不良品"))
	time.Sleep(time.Until(due) + 10*time.Millisecond)
	if n, err := h.svc.RemindOverdueTasks(ctx); err != nil || n != 1 {
		t.Fatalf("RemindOverdueTasks = %d, %v", n, err)
	}
	ref := backend.TaskRef(task.ID)
	reminder := h.fake.WaitMessage(t, "the owner's reminder", inChannel(dmChannel(owner), "", "⏰", ref, "已过截止时间", "请尽快完成"))
	if reminder.Buttons()[actTask] != strconv.FormatInt(task.ID, 10) {
		t.Fatalf("the reminder's buttons: %v", reminder.Buttons())
	}
	h.fake.WaitMessage(t, "the handler's notice", func(m slacktest.Message) bool {
		return strings.Contains(m.Text, ref) && strings.Contains(m.Text, "负责人 ") && strings.Contains(m.Text, "还没有完成") &&
			(m.Channel == dmChannel(helper) || strings.Contains(m.Text, "<@"+helper+">"))
	})
	time.Sleep(200 * time.Millisecond)
	for _, m := range h.fake.Messages() {
		if m.Channel == dmChannel(reporter) && strings.Contains(m.Text, "已过截止时间") {
			t.Fatalf("the reporter was told: %q", m.Text)
		}
	}
}

// TestTaskObjectionModal: the owner's notice of a complaint's task has an
// Object button besides Complete (seed 001); it opens a modal that wants
// a reason, and submitting it records the objection and tells the
// complaint's handler.
func TestTaskObjectionModal(t *testing.T) {
	h := newHarness(t, ModeSocket)
	ctx := context.Background()
	handler := h.linkStaff(helper)
	own := h.linkStaff(owner)
	tk := h.complaint(handler)
	task, err := h.svc.AddTask(ctx, handler, tk.Number, backend.NewTask{Title: "七天内查明原因并提出预防措施", OwnerID: own.ID, Due: time.Now().Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(task.ID, 10)
	notice := h.fake.WaitMessage(t, "the owner's notice", inChannel(dmChannel(owner), "", "你有一项新任务", backend.TaskRef(task.ID)))
	if b := notice.Buttons(); b[actTask] != id || b[actTaskObject] != id {
		t.Fatalf("the notice's buttons: %v", b)
	}
	h.fake.Press(t, owner, notice, actTaskObject, id, "")
	v := h.fake.WaitView(t, owner, func(v *slacktest.View) bool { return v.CallbackID() == cbTaskObject })
	if action, errs := h.fake.Submit(t, owner, v, slacktest.Values{"text": {actValue: {Text: " "}}}); action != "errors" || !strings.Contains(errs["text"], "异议理由") {
		t.Fatalf("an empty reason: %q %v", action, errs)
	}
	if action, errs := h.fake.Submit(t, owner, v, slacktest.Values{"text": {actValue: {Text: "运输环节归物流部，请改派"}}}); action == "errors" {
		t.Fatalf("the objection was refused: %v", errs)
	}
	if got, err := h.store.Task(ctx, task.ID); err != nil || got.Objection != "运输环节归物流部，请改派" || got.Done() {
		t.Fatalf("the task after the modal: %+v, %v", got, err)
	}
	h.fake.WaitMessage(t, "the owner's confirmation", ephemeralTo(owner, "已对任务 "+backend.TaskRef(task.ID)))
	// The notice keeps its text and Complete, without Object.
	if cur, _ := h.fake.Message(notice.Channel, notice.TS); cur.Updates != 1 || cur.Buttons()[actTaskObject] != "" || cur.Buttons()[actTask] != id ||
		cur.Text != notice.Text || !strings.Contains(string(cur.Blocks), "七天内查明原因并提出预防措施") {
		t.Fatalf("the notice after the objection: %+v", cur)
	}
	h.fake.WaitMessage(t, "the handler told", func(m slacktest.Message) bool {
		return strings.Contains(m.Text, "✋") && strings.Contains(m.Text, "运输环节归物流部，请改派") && m.Ephemeral == ""
	})
}
