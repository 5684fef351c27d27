package telegram

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

// TestConfirmSolution: a solution put to the reporter (pending
// confirmation) comes with 已解决 / 仍未解决; 仍未解决 puts the ticket back
// in progress, 已解决 (pressed or typed) resolves it and brings the rating
// buttons; nobody else can answer, and an answered notice answers no more.
func TestConfirmSolution(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	number := h.directTicket(alice, "会员中心余额在到期前被清零了")
	rep := h.follow(alice.ID)
	rep.next("已收到您的问题", number)
	if _, err := h.svc.Claim(ctx, bobP, number); err != nil {
		t.Fatal(err)
	}
	rep.next("已由", number)
	status := func(want backend.Status) {
		t.Helper()
		h.tg.Wait(t, 15*time.Second, "status "+string(want), func() bool { return h.status(number) == want })
	}

	if _, err := h.svc.Transition(ctx, bobP, number, backend.StatusPendingConfirmation, "结算任务已修复，余额已恢复"); err != nil {
		t.Fatal(err)
	}
	notice := rep.next("工单 "+number, "已给出解决方案", "余额已恢复")
	if telegramtest.ButtonData(notice, "已解决") != "cf:y:"+number || telegramtest.ButtonData(notice, "仍未解决") != "cf:n:"+number {
		t.Fatalf("no confirmation buttons: %+v", notice.ReplyMarkup)
	}
	// /status offers them too.
	h.deliver(h.tg.Text(alice, "/status "+number))
	if m := rep.next("工单 "+number, "待客户确认"); telegramtest.ButtonData(m, "已解决") != "cf:y:"+number {
		t.Fatalf("/status of a ticket pending confirmation: %+v", m.ReplyMarkup)
	}

	t.Run("NotTheReporter", func(t *testing.T) {
		upd := h.tg.Press(eve, notice, "cf:y:"+number)
		h.deliver(upd)
		if a := h.answerTo(upd); a.Params["show_alert"] != "true" || a.Params["text"] == "" {
			t.Fatalf("eve's press answered %+v", a.Params)
		}
		if got := h.status(number); got != backend.StatusPendingConfirmation {
			t.Fatalf("eve's press moved it to %s", got)
		}
	})
	t.Run("NotSolved", func(t *testing.T) {
		upd := h.press(alice, notice, "仍未解决")
		if a := h.answerTo(upd); !strings.Contains(a.Params["text"], "仍未解决") {
			t.Fatalf("answered %+v", a.Params)
		}
		status(backend.StatusInProgress)
		edited := h.tg.WaitMessage(t, alice.ID, func(m *models.Message) bool {
			return m.ID == notice.ID && strings.HasSuffix(m.Text, "→ 仍未解决")
		})
		if edited.ReplyMarkup != nil && len(edited.ReplyMarkup.InlineKeyboard) > 0 {
			t.Fatalf("an answered notice keeps its buttons: %+v", edited.ReplyMarkup)
		}
		// Bob hears it in the triage group, on the card.
		h.follow(triageChat).next(number, "仍未解决")
	})
	t.Run("StaleButton", func(t *testing.T) {
		upd := h.tg.Press(alice, notice, "cf:y:"+number) // the old keyboard
		h.deliver(upd)
		if a := h.answerTo(upd); !strings.Contains(a.Params["text"], "不在待确认状态") {
			t.Fatalf("a stale press answered %+v", a.Params)
		}
		if got := h.status(number); got != backend.StatusInProgress {
			t.Fatalf("a stale press moved it to %s", got)
		}
	})
	t.Run("SolvedTyped", func(t *testing.T) {
		// This time Bob proposes it from the card: 待客户确认 asks for the
		// solution first, as 已解决 does.
		group := h.follow(triageChat)
		card := group.next(number, "仍未解决")
		h.press(bob, card, "tk:status:"+number)
		h.waitCard(card, "the status menu", func(m *models.Message) bool { return telegramtest.ButtonData(m, "待客户确认") != "" })
		h.press(bob, card, "待客户确认")
		prompt := group.next("待客户确认", "解决方案", number)
		if got := h.status(number); got != backend.StatusInProgress {
			t.Fatalf("status changed before the solution: %s", got)
		}
		h.deliver(h.tg.Reply(bob, prompt, "已清理缓存，请再看一下"))
		group.next("方案已发给报告人", number)
		rep.next("已给出解决方案", "已清理缓存")
		status(backend.StatusPendingConfirmation)
		h.deliver(h.tg.Text(alice, "已解决！"))
		status(backend.StatusResolved)
		h.tg.WaitMessage(t, alice.ID, telegramtest.Containing("已确认", number, "问题已解决"))
		done := h.tg.WaitMessage(t, alice.ID, telegramtest.Containing("工单 "+number+" 已完成", "您已确认问题解决", "已清理缓存"))
		if telegramtest.ButtonData(done, "满意") != "rt:satisfied:"+number {
			t.Fatalf("the resolution asks no rating: %+v", done.ReplyMarkup)
		}
		if active, err := h.ch.engine.Active(ctx, sessionKey(alice.ID, alice.ID)); err != nil || active {
			t.Fatalf("已解决 started a dialog: %v %v", active, err)
		}
	})
}
