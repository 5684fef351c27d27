package telegram

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

// TestFollowUpReminders: the week after a 不满意 rating, at 09:00 on
// Monday, the triage group is reminded of the survey under the ticket's
// card, and linked staff record it from the reminder's buttons; an
// overdue callback is reminded on the Monday after its window, and its
// outcome recorded the same way.
func TestFollowUpReminders(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, sh) // a Monday
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	h := newHarnessServing(t, ModePoll, nil, func(c *backend.ServiceConfig) { c.Now, c.Location = clock, sh })
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	alicep, err := h.svc.ReporterFor(ctx, backend.ChatAccount{Platform: Platform, UserID: itoa(alice.ID), ChatID: itoa(alice.ID)}, alice.FirstName, "zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	tk, err := h.svc.CreateTicket(ctx, alicep, backend.NewTicket{Prefix: "FB", Form: "feedback", Summary: "会员积分在下单后一直没有到账",
		CategoryPath: []string{"CRM问题", "会员中心"}, OccurredAt: clock().Add(-time.Hour), Region: "华北",
		Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "api"})
	if err != nil {
		t.Fatal(err)
	}
	triage := h.follow(triageChat)
	card := triage.next(tk.Number, "会员积分在下单后一直没有到账")
	if _, err := h.svc.Claim(ctx, bobP, tk.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Resolve(ctx, bobP, tk.Number, "积分已补发"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.RecordSatisfaction(ctx, alicep, tk.Number, backend.SatisfactionUnsatisfied, "补发太慢"); err != nil {
		t.Fatal(err)
	}

	set(time.Date(2026, 11, 30, 9, 0, 0, 0, sh))
	if n, err := h.svc.RemindFollowUps(ctx); err != nil || n != 1 {
		t.Fatalf("RemindFollowUps = %d, %v; want 1", n, err)
	}
	m := triage.next("本周调研", tk.Number, "11-30 至 12-02")
	if m.ReplyToMessage == nil || m.ReplyToMessage.ID != card.ID {
		t.Fatalf("the reminder does not answer the ticket's card %d: %+v", card.ID, m.ReplyToMessage)
	}

	// Someone who is not linked staff changes nothing.
	eve := telegramtest.User(6001, "Eve", "zh-hans")
	if a := h.answerTo(h.press(eve, m, "📝 记录调研")); !strings.Contains(a.Params["text"], "没有权限") {
		t.Fatalf("an outsider's press was answered %v", a.Params)
	}
	if cur := h.tg.Message(m.Chat.ID, m.ID); telegramtest.ButtonData(cur, "📝 记录调研") == "" {
		t.Fatal("an outsider's press changed the reminder's buttons")
	}
	// The picker: factors, 已解决 and 需回访, kept in the buttons; a
	// callback someone marked needed already comes ticked.
	fus, err := h.svc.FollowUpsOf(ctx, bobP, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.MarkFollowUp(ctx, bobP, fus[0].ID, backend.MarkNeedCallback, ""); err != nil {
		t.Fatal(err)
	}
	h.answerTo(h.press(bob, m, "📝 记录调研"))
	m = h.waitCard(m, "the picker", func(cur *models.Message) bool {
		return telegramtest.ButtonData(cur, "☐ 服务态度") != "" && telegramtest.ButtonData(cur, "☑ 需回访") != ""
	})
	h.answerTo(h.press(bob, m, "☑ 需回访"))
	m = h.waitCard(m, "the callback unticked", func(cur *models.Message) bool { return telegramtest.ButtonData(cur, "☐ 需回访") != "" })
	if a := h.answerTo(h.press(bob, m, "✅ 提交调研")); !strings.Contains(a.Params["text"], "至少选一项") {
		t.Fatalf("an empty survey was answered %v", a.Params)
	}
	h.answerTo(h.press(bob, m, "☐ 退单导致处理不及时"))
	m = h.waitCard(m, "a factor ticked", func(cur *models.Message) bool {
		return telegramtest.ButtonData(cur, "☑ 退单导致处理不及时") != ""
	})
	h.answerTo(h.press(bob, m, "☐ 需回访"))
	m = h.waitCard(m, "the callback ticked again", func(cur *models.Message) bool { return telegramtest.ButtonData(cur, "☑ 需回访") != "" })
	stale := m
	h.answerTo(h.press(bob, m, "✅ 提交调研"))
	m = h.waitCard(m, "the survey recorded", func(cur *models.Message) bool {
		return strings.Contains(cur.Text, "Bob 记录了调研：退单导致处理不及时；未解决，需回访") && (cur.ReplyMarkup == nil || len(cur.ReplyMarkup.InlineKeyboard) == 0)
	})
	// A press on the picker as it was (a colleague's, late) is told so,
	// and brings no buttons back.
	if a := h.answerTo(h.press(bob, stale, "☐ 服务态度")); !strings.Contains(a.Params["text"], "已经记录过调研") {
		t.Fatalf("a late press was answered %v", a.Params)
	}
	if cur := h.tg.Message(m.Chat.ID, m.ID); (cur.ReplyMarkup != nil && len(cur.ReplyMarkup.InlineKeyboard) > 0) || !strings.Contains(cur.Text, "Bob 记录了调研") {
		t.Fatalf("after a late press: %q %+v", cur.Text, cur.ReplyMarkup)
	}
	if fus, err = h.svc.FollowUpsOf(ctx, bobP, tk.Number); err != nil {
		t.Fatal(err)
	}
	if fu := fus[0]; fu.Survey != backend.SurveyDone || fu.Callback != backend.CallbackNeeded || fu.SurveyedBy != bobP.ID ||
		len(fu.Factors) != 1 || fu.Factors[0] != backend.FactorReturnedLate || fu.Solved {
		t.Fatalf("after the survey from the chat: %+v", fu)
	}
	// Unsolved: appended to the ticket (seed 003), under its card (Bob
	// holds it and surveyed it himself: nobody else to tell).
	found := triage.next("调研结果", tk.Number, "仍未解决", "Bob 调研了", "不满意因素：退单导致处理不及时")
	if found.ReplyToMessage == nil || found.ReplyToMessage.ID != card.ID {
		t.Fatalf("the survey's result does not answer the card %d: %+v", card.ID, found.ReplyToMessage)
	}

	// The ticket resolved again; nobody called back that week: reminded,
	// overdue, next Monday, and called back from the chat.
	if _, err := h.svc.Resolve(ctx, bobP, tk.Number, "积分已补发并致歉"); err != nil {
		t.Fatal(err)
	}
	set(time.Date(2026, 12, 7, 9, 0, 0, 0, sh))
	if n, err := h.svc.RemindFollowUps(ctx); err != nil || n != 1 {
		t.Fatalf("RemindFollowUps = %d, %v; want 1", n, err)
	}
	m = triage.next("回访逾期", tk.Number, "12-03 至 12-06")
	if got := h.count(alice.ID, "回访"); got != 0 {
		t.Fatalf("the reporter got %d reminders", got)
	}
	h.answerTo(h.press(bob, m, "未联系上"))
	m = h.waitCard(m, "not reached", func(cur *models.Message) bool {
		return strings.Contains(cur.Text, "未联系上，回访仍待完成") && telegramtest.ButtonData(cur, "用户满意（接受）") != ""
	})
	h.answerTo(h.press(bob, m, "用户满意（接受）"))
	h.waitCard(m, "called back", func(cur *models.Message) bool {
		return strings.Contains(cur.Text, "Bob 记录了回访：用户满意（接受）") && (cur.ReplyMarkup == nil || len(cur.ReplyMarkup.InlineKeyboard) == 0)
	})
	if fus, err = h.svc.FollowUpsOf(ctx, bobP, tk.Number); err != nil || fus[0].Callback != backend.CallbackDone || fus[0].Outcome != backend.OutcomeAccepted {
		t.Fatalf("after the callback from the chat: %+v, %v", fus, err)
	}
}
