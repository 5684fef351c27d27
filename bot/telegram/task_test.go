package telegram

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

var dave = telegramtest.User(2003, "Dave", "zh-hans")

// complaint files a complaint (seed 001) for reporter u as the API would,
// and has handler claim it; it returns the ticket.
func (h *harness) complaint(u models.User, handler *backend.Person) *backend.Ticket {
	h.t.Helper()
	ctx := context.Background()
	p, err := h.svc.ReporterFor(ctx, backend.ChatAccount{Platform: Platform, UserID: itoa(u.ID), ChatID: itoa(u.ID)}, u.FirstName, "zh-CN")
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

// task reads a task as it is stored.
func (h *harness) task(id int64) *backend.Task {
	h.t.Helper()
	task, err := h.store.Task(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return task
}

// TestComplaintTasks: a complaint split into two tasks (seed 001) tells
// their owner what and by when, with a ✅ under it, and the reporter the
// plan; /tasks lists the owner's tasks; someone who may not complete a
// task is told why and nothing changes; the owner completes one from the
// list and one from its notice, by the button and a reply with the
// result; the reporter hears each result, how many are left and, at the
// last, that all are done; /status shows the progress.
func TestComplaintTasks(t *testing.T) {
	for _, mode := range []string{ModePoll, ModeWebhook} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, mode)
			ctx := context.Background()
			handler := h.linkAssistant(bob)
			owner := h.linkAssistant(carol)
			h.linkAssistant(dave)
			tk := h.complaint(alice, handler)
			rep, own := h.follow(alice.ID), h.follow(carol.ID)
			rep.next("已收到您的问题", tk.Number)

			due := time.Now().Add(48 * time.Hour)
			visit, err := h.svc.AddTask(ctx, handler, tk.Number, backend.NewTask{Title: "明天派质量部人员去客户现场处理不良品", OwnerID: owner.ID, Due: due})
			if err != nil {
				t.Fatal(err)
			}
			notice := own.next("你有一项新任务", backend.TaskRef(visit.ID), "明天派质量部人员去客户现场处理不良品", tk.Number,
				due.In(shanghai(t)).Format("2006-01-02 15:04"), "点下面的 ✅")
			if telegramtest.ButtonData(notice, "tc:"+strconv.FormatInt(visit.ID, 10)) == "" {
				t.Fatalf("no ✅ under the owner's notice: %+v", notice.ReplyMarkup)
			}
			rep.next("处理计划", "明天派质量部人员去客户现场处理不良品", "Carol", "还有 1 项")
			cause, err := h.svc.AddTask(ctx, handler, tk.Number, backend.NewTask{Title: "七天内查明原因并提出预防措施", OwnerID: owner.ID, Due: due.Add(24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			causeNotice := own.next("你有一项新任务", "七天内查明原因并提出预防措施")
			rep.next("处理计划", "七天内查明原因并提出预防措施", "还有 2 项")

			// /tasks: the owner's open tasks, the earliest deadline first.
			h.deliver(h.tg.Text(carol, "/tasks"))
			list := own.next("我的待办任务（2 项")
			if i, j := strings.Index(list.Text, "明天派"), strings.Index(list.Text, "七天内"); i < 0 || j < i {
				t.Fatalf("the list: %q", list.Text)
			}

			// Dave, another assistant, may not complete Carol's task: he is
			// told why, nothing is asked, the task stays open.
			h.deliver(h.tg.Text(dave, "/tasks"))
			none := h.follow(dave.ID).next("没有待办任务")
			ans := h.answerTo(h.press(dave, none, "tc:"+strconv.FormatInt(visit.ID, 10)))
			if ans.Params["show_alert"] != "true" || !strings.Contains(ans.Params["text"], "只有任务 "+backend.TaskRef(visit.ID)+" 的负责人") || ans.InWebhookReply {
				t.Fatalf("dave's press: %+v", ans.Params)
			}
			if h.count(dave.ID, "请回复本消息") != 0 || h.task(visit.ID).Done() {
				t.Fatal("a press by someone who may not complete the task asked for its result or completed it")
			}

			// Carol completes the first from the list: ✅, then a reply.
			h.press(carol, list, "tc:"+strconv.FormatInt(visit.ID, 10))
			q := own.next("请回复本消息", backend.TaskRef(visit.ID), "明天派质量部人员")
			h.wantForceReply(q)
			h.deliver(h.tg.Reply(carol, q, "已到现场更换不良品 200 支，客户确认"))
			own.next("任务 " + backend.TaskRef(visit.ID) + " 已完成")
			if got := h.task(visit.ID); !got.Done() || got.Result != "已到现场更换不良品 200 支，客户确认" || got.DoneBy != owner.ID {
				t.Fatalf("the task after the reply: %+v", got)
			}
			rep.next("明天派质量部人员去客户现场处理不良品", "已由 Carol 完成", "已到现场更换不良品 200 支", "还有 1 项任务未完成")
			// The list keeps the ✅ of the task still open only.
			wantTaskButtons(t, h, carol.ID, list.ID, cause.ID)

			// The reporter asks for the complaint: the tasks' progress.
			h.deliver(h.tg.Text(alice, "/status "+tk.Number))
			rep.next(tk.Number, "任务 1/2 已完成", "已到现场更换不良品 200 支", "七天内查明原因")

			// The second from its notice; the reporter hears all are done.
			h.press(carol, causeNotice, "tc:"+strconv.FormatInt(cause.ID, 10))
			q = own.next("请回复本消息", backend.TaskRef(cause.ID))
			h.deliver(h.tg.Reply(carol, q, "运输中包装箱进水；以后托盘外包尼龙防水"))
			own.next("任务 " + backend.TaskRef(cause.ID) + " 已完成")
			done := rep.next("七天内查明原因并提出预防措施", "运输中包装箱进水", "所有任务都已完成")
			if strings.Contains(done.Text, "未完成") {
				t.Fatalf("the last result says tasks are left: %q", done.Text)
			}
			wantTaskButtons(t, h, carol.ID, causeNotice.ID) // the notice's ✅ is gone
			// The first task's notice still has its ✅ (pressed on the
			// list): pressing it says the task is done, and the ✅ goes.
			ans = h.answerTo(h.press(carol, notice, "tc:"+strconv.FormatInt(visit.ID, 10)))
			if !strings.Contains(ans.Params["text"], "已经完成") {
				t.Fatalf("a press of a done task: %+v", ans.Params)
			}
			wantTaskButtons(t, h, carol.ID, notice.ID)
			h.deliver(h.tg.Text(carol, "/tasks"))
			own.next("没有待办任务")
		})
	}
}

// TestOverdueTask: a task past its deadline reminds its owner, with the
// ✅ to complete it, and tells the complaint's handler whose it is; the
// reporter hears nothing of it.
func TestOverdueTask(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	handler := h.linkAssistant(bob)
	owner := h.linkAssistant(carol)
	tk := h.complaint(alice, handler)
	rep, own, hand := h.follow(alice.ID), h.follow(carol.ID), h.follow(bob.ID)
	due := time.Now().Add(time.Second)
	task, err := h.svc.AddTask(ctx, handler, tk.Number, backend.NewTask{Title: "上门处理不良品", OwnerID: owner.ID, Due: due})
	if err != nil {
		t.Fatal(err)
	}
	own.next("你有一项新任务", "上门处理不良品")
	rep.next("处理计划", "上门处理不良品")
	time.Sleep(time.Until(due) + 10*time.Millisecond)
	if n, err := h.svc.RemindOverdueTasks(ctx); err != nil || n != 1 {
		t.Fatalf("RemindOverdueTasks = %d, %v", n, err)
	}
	ref := backend.TaskRef(task.ID)
	reminder := own.next("⏰", ref, "上门处理不良品", "已过截止时间", "请尽快完成", tk.Number, "点下面的 ✅")
	if telegramtest.ButtonData(reminder, "tc:"+strconv.FormatInt(task.ID, 10)) == "" {
		t.Fatalf("no ✅ under the reminder: %+v", reminder.ReplyMarkup)
	}
	hand.next("⏰", ref, "负责人 Carol 还没有完成")
	// A reply to the reminder is not a word to the reporter.
	h.tg.Wait(t, 15*time.Second, "the reminder to be recorded", func() bool {
		cm, err := h.store.ChatMessage(ctx, Platform, itoa(carol.ID), strconv.Itoa(reminder.ID))
		return err == nil && cm.TicketID == tk.ID
	})
	h.deliver(h.tg.Reply(carol, reminder, "明天一定去"))
	own.next("回复提醒不会发给报告人")
	time.Sleep(300 * time.Millisecond) // the outbox had its chance
	if n := h.count(alice.ID, "已过截止时间") + h.count(alice.ID, "明天一定去"); n != 0 {
		t.Fatalf("the reporter was told of the overdue task (%d)", n)
	}
}

// shanghai is the zone the notices show deadlines in.
func shanghai(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// wantForceReply fails unless m was sent asking for a reply.
func (h *harness) wantForceReply(m *models.Message) {
	h.t.Helper()
	for _, c := range h.tg.CallsTo("sendMessage") {
		if c.Result != nil && c.Result.ID == m.ID && c.Result.Chat.ID == m.Chat.ID && strings.Contains(c.Params["reply_markup"], "force_reply") {
			return
		}
	}
	h.t.Fatalf("%q does not ask for a reply", m.Text)
}

// wantTaskButtons waits until message id in chat carries the ✅ of tasks
// (in order) and no other button.
func wantTaskButtons(t *testing.T, h *harness, chat int64, id int, tasks ...int64) {
	t.Helper()
	var want []string
	for _, task := range tasks {
		want = append(want, "tc:"+strconv.FormatInt(task, 10))
	}
	buttons := func() []string {
		var got []string
		if m := h.tg.Message(chat, id); m != nil && m.ReplyMarkup != nil {
			for _, row := range m.ReplyMarkup.InlineKeyboard {
				for _, b := range row {
					got = append(got, b.CallbackData)
				}
			}
		}
		return got
	}
	if !h.tg.Poll(10*time.Second, func() bool { return slices.Equal(buttons(), want) }) {
		t.Fatalf("message %d has buttons %v, want %v", id, buttons(), want)
	}
}

// TestTaskObjection: the owner's notice of a complaint's task carries ✋
// besides ✅ (seed 001: the plan goes ahead unless they object); the
// owner's press asks for the reason, the reply records it and tells the
// handler, and ✋ leaves the notice; the handler's change gives the new
// owner their notice, with ✋ again.
func TestTaskObjection(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	handler := h.linkAssistant(bob)
	owner := h.linkAssistant(carol)
	other := h.linkAssistant(dave)
	tk := h.complaint(alice, handler)
	own, hand := h.follow(carol.ID), h.follow(bob.ID)
	task, err := h.svc.AddTask(ctx, handler, tk.Number, backend.NewTask{Title: "七天内查明原因并提出预防措施", OwnerID: owner.ID, Due: time.Now().Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(task.ID, 10)
	notice := own.next("你有一项新任务", backend.TaskRef(task.ID))
	if telegramtest.ButtonData(notice, "to:"+id) == "" || telegramtest.ButtonData(notice, "tc:"+id) == "" {
		t.Fatalf("the owner's notice lacks ✅ and ✋: %+v", notice.ReplyMarkup)
	}

	h.answerTo(h.press(carol, notice, "to:"+id))
	prompt := own.next("异议理由", backend.TaskRef(task.ID))
	h.deliver(h.tg.Reply(carol, prompt, "运输环节归物流部，请改派给物流部"))
	own.next("已对任务 " + backend.TaskRef(task.ID) + "「七天内查明原因并提出预防措施」提出异议")
	hand.next("✋", "Carol", backend.TaskRef(task.ID), "运输环节归物流部，请改派给物流部")
	h.waitCard(notice, "✋ gone, ✅ kept", func(cur *models.Message) bool {
		return telegramtest.ButtonData(cur, "to:"+id) == "" && telegramtest.ButtonData(cur, "tc:"+id) != ""
	})
	if got := h.task(task.ID); got.Objection != "运输环节归物流部，请改派给物流部" {
		t.Fatalf("stored: %+v", got)
	}
	h.deliver(h.tg.Text(carol, "/tasks"))
	own.next("我的待办任务", backend.TaskRef(task.ID), "✋ 你已提出异议：运输环节归物流部，请改派给物流部")

	if _, err := h.svc.ChangeTask(ctx, handler, task.ID, backend.TaskChange{OwnerID: other.ID}); err != nil {
		t.Fatal(err)
	}
	moved := h.follow(dave.ID).next("已调整", "由你负责", backend.TaskRef(task.ID))
	if telegramtest.ButtonData(moved, "to:"+id) == "" || telegramtest.ButtonData(moved, "tc:"+id) == "" {
		t.Fatalf("the new owner's notice lacks ✅ and ✋: %+v", moved.ReplyMarkup)
	}
	own.next("已调整", "Dave")
}
