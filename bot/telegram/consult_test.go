package telegram

import (
	"context"
	"strconv"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

// TestConsult (seed 002 跨部门协作): the card of a claimed ticket has 🤝
// 协同; it offers the other teams, asks for the question, and the reply
// asks that team. Its assistant gets the question in a private chat with
// ✅, answers by reply, and the one holding the ticket hears the
// opinion. The reporter hears nothing of it.
func TestConsult(t *testing.T) {
	h := newTeamHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkStaff(bob, backend.RoleAssistant, h.tech.ID)
	h.linkStaff(carol, backend.RoleAssistant, h.product.ID)
	tk := h.ticketIn(alice, "提单页面的按钮文案有歧义", "CRM问题", "提单系统")
	card := h.tg.WaitMessage(t, teamGroup, telegramtest.Containing(tk.Number, "待受理"))
	if telegramtest.ButtonData(card, "🤝 协同") != "" {
		t.Fatal("an unclaimed card offers 协同")
	}
	if _, err := h.svc.Claim(ctx, bobP, tk.Number); err != nil {
		t.Fatal(err)
	}
	card = h.waitCard(card, "the claimed card with 🤝", func(m *models.Message) bool {
		return telegramtest.ButtonData(m, "🤝 协同") == "tk:consult:"+tk.Number
	})

	h.press(bob, card, "tk:consult:"+tk.Number)
	menu := h.waitCard(card, "the team menu", func(m *models.Message) bool { return telegramtest.ButtonData(m, "产品部") != "" })
	if want := "tk:cs=" + strconv.FormatInt(h.product.ID, 10) + ":" + tk.Number; telegramtest.ButtonData(menu, "产品部") != want ||
		telegramtest.ButtonData(menu, "技术部") != "" {
		t.Fatalf("team menu: %+v, want 产品部 → %s and not the ticket's own team", menu.ReplyMarkup, want)
	}
	h.press(bob, menu, "产品部")
	group := h.follow(teamGroup)
	prompt := group.next("请产品部就 "+tk.Number+" 反馈处理意见", "回复")
	h.deliver(h.tg.Reply(bob, prompt, "按钮文案需要产品部确认吗？"))
	group.next("已请对方部门就 " + tk.Number)

	// Carol, of 产品部, answers from her private chat.
	own := h.follow(carol.ID)
	notice := own.next("请 产品部 就工单 "+tk.Number+" 反馈处理意见", "按钮文案需要产品部确认吗？", "点下面的 ✅")
	tasks, err := h.svc.Consults(ctx, bobP, tk.Number)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("consultations: %v, %v", tasks, err)
	}
	ref := strconv.FormatInt(tasks[0].ID, 10)
	h.press(carol, notice, "tc:"+ref)
	q := own.next("请回复本消息", "处理意见", tk.Number)
	h.deliver(h.tg.Reply(carol, q, "需要，按规范改为“提交”"))
	own.next("已反馈 " + backend.TaskRef(tasks[0].ID) + " 的处理意见")
	h.tg.WaitMessage(t, bob.ID, telegramtest.Containing("工单 "+tk.Number+" 收到了 产品部 的处理意见", "需要，按规范改为“提交”"))
	if got := h.task(tasks[0].ID); !got.Done() || got.Result != "需要，按规范改为“提交”" {
		t.Fatalf("the consultation after the reply: %+v", got)
	}
	h.none(alice.ID, "处理意见", "the reporter is not told of consultations")
}
