package telegram

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

// TestExplainDelay (seed 002: 超时需提前向客户说明并报备主管): a claimed
// card has ⏳ 延期说明; it asks for the reason, and the reply tells the
// reporter, in their chat, and the manager, in theirs. An unclaimed card
// has no such button, and someone who does not hold the ticket is told
// why not.
func TestExplainDelay(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	h.linkAssistant(carol)
	mgr := h.linkAssistant(dave)
	mgr.Roles = []backend.Role{backend.RoleManager}
	if err := h.store.UpdatePerson(ctx, mgr); err != nil {
		t.Fatal(err)
	}
	number := h.directTicket(alice, "提单系统保存时一直转圈，无法提交")
	rep := h.follow(alice.ID)
	group := h.follow(triageChat)
	card := group.next(number)
	if telegramtest.ButtonData(card, "⏳ 延期说明") != "" {
		t.Fatal("an unclaimed card offers the delay")
	}
	if _, err := h.svc.Claim(ctx, bobP, number); err != nil {
		t.Fatal(err)
	}
	card = h.waitCard(card, "the claimed card with ⏳", func(m *models.Message) bool {
		return telegramtest.ButtonData(m, "⏳ 延期说明") == "tk:delay:"+number
	})

	// Carol does not hold it: her reason is refused, nobody is told.
	h.press(carol, card, "tk:delay:"+number)
	prompt := group.next(number+" 的延期说明", "回复")
	h.deliver(h.tg.Reply(carol, prompt, "明天再看"))
	group.next("只有工单 " + number + " 的处理人和主管可以说明它的延期")

	h.press(bob, card, "tk:delay:"+number)
	prompt = group.next(number+" 的延期说明", "回复")
	h.deliver(h.tg.Reply(bob, prompt, "需要供应商排查接口，预计周三前解决"))
	group.next("已向 " + number + " 的报告人说明延期")
	rep.next(number+" 需要更多时间处理", "需要供应商排查接口，预计周三前解决")
	report := h.tg.WaitMessage(t, dave.ID, telegramtest.Containing(bobP.Name+" 已向报告人说明工单 "+number+" 将延期", "需要供应商排查接口"))
	// The manager's reply to the report is not a reply to the reporter
	// (once the report is recorded, as it is right after it is sent).
	h.tg.Wait(t, 15*time.Second, "the report to be recorded", func() bool {
		_, err := h.store.ChatMessage(ctx, Platform, itoa(dave.ID), strconv.Itoa(report.ID))
		return err == nil
	})
	h.deliver(h.tg.Reply(dave, report, "好的，我来盯供应商"))
	h.tg.WaitMessage(t, dave.ID, telegramtest.Containing("回复提醒不会发给报告人"))
	for _, m := range h.tg.Messages(carol.ID) {
		if strings.Contains(m.Text, "延期") {
			t.Fatalf("carol heard of the delay: %q", m.Text)
		}
	}
	for _, m := range h.tg.Messages(alice.ID) {
		if strings.Contains(m.Text, "我来盯供应商") {
			t.Fatalf("the manager's reply reached the reporter: %q", m.Text)
		}
	}
	if s := h.status(number); s != backend.StatusAssigned {
		t.Fatalf("status %s, want assigned still", s)
	}
}

// TestPlanFromCard (seed 002: 建议类: 分析价值→纳入需求池→反馈规划进度): a
// suggestion's card, once someone holds it, has 📥 纳入需求池; the reply
// with the plan tells the reporter and starts work on it. A feedback
// ticket's card has no such button.
func TestPlanFromCard(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	group := h.follow(triageChat)
	feedback := h.directTicket(alice, "提单系统保存时一直转圈，无法提交")
	fbCard := group.next(feedback)
	sg, err := h.svc.CreateTicket(ctx, h.reporterOf(alice), backend.NewTicket{Prefix: "SG", Form: backend.FormSuggestion, Summary: "希望提单系统可以批量导出订单", Channel: "api"})
	if err != nil {
		t.Fatal(err)
	}
	card := group.next(sg.Number)
	for _, n := range []string{feedback, sg.Number} {
		if _, err := h.svc.Claim(ctx, bobP, n); err != nil {
			t.Fatal(err)
		}
	}
	card = h.waitCard(card, "the claimed suggestion's card with 📥", func(m *models.Message) bool {
		return telegramtest.ButtonData(m, "📥 纳入需求池") == "tk:plan:"+sg.Number
	})
	h.waitCard(fbCard, "the claimed feedback card, without 📥", func(m *models.Message) bool {
		return telegramtest.ButtonData(m, "⏳ 延期说明") != "" && telegramtest.ButtonData(m, "📥 纳入需求池") == ""
	})

	rep := h.follow(alice.ID)
	h.press(bob, card, "tk:plan:"+sg.Number)
	prompt := group.next("把 "+sg.Number+" 纳入需求池", "回复")
	h.deliver(h.tg.Reply(bob, prompt, "纳入 Q4 需求池，预计 12 月上线"))
	group.next(sg.Number + " 已纳入需求池")
	rep.next("您的建议（工单 "+sg.Number+"）已纳入需求池", "纳入 Q4 需求池，预计 12 月上线")
	if s := h.status(sg.Number); s != backend.StatusInProgress {
		t.Fatalf("status %s, want in progress", s)
	}
}
