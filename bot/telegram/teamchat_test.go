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

// teamGroup is 技术部's own Telegram group in the team tests.
const teamGroup = -100888

// teamHarness is a harness whose tickets are routed by their category's
// root — CRM问题 to 技术部, which has its own group (teamGroup), 产品线问题
// to 产品部, which has none, anything else nowhere — with the triage
// group for the rest (DESIGN §11: a triage chat per team).
type teamHarness struct {
	*harness
	tech, product *backend.Team
}

func newTeamHarness(tb testing.TB, mode string) *teamHarness {
	tb.Helper()
	th := &teamHarness{}
	th.harness = newHarnessServing(tb, mode, func(st backend.Store) {
		ctx := context.Background()
		th.tech = &backend.Team{Name: "技术部", Chats: map[string]string{Platform: itoa(teamGroup)}}
		th.product = &backend.Team{Name: "产品部"}
		for _, t := range []*backend.Team{th.tech, th.product} {
			if err := st.CreateTeam(ctx, t); err != nil {
				tb.Fatal(err)
			}
		}
	}, func(cfg *backend.ServiceConfig) {
		cfg.TriagePlatforms, cfg.TeamChatPlatforms = []string{Platform}, []string{Platform}
		cfg.Route = func(_ string, path []string) int64 {
			switch {
			case len(path) > 0 && path[0] == "CRM问题":
				return th.tech.ID
			case len(path) > 0 && path[0] == "产品线问题":
				return th.product.ID
			}
			return 0
		}
	})
	return th
}

// ticketIn files a ticket for u in category (root first) through the
// service and returns it.
func (h *harness) ticketIn(u models.User, summary string, category ...string) *backend.Ticket {
	h.t.Helper()
	ctx := context.Background()
	p, err := h.svc.ReporterFor(ctx, backend.ChatAccount{Platform: Platform, UserID: itoa(u.ID), ChatID: itoa(u.ID)}, u.FirstName, "zh-CN")
	if err != nil {
		h.t.Fatal(err)
	}
	t, err := h.svc.CreateTicket(ctx, p, backend.NewTicket{Prefix: "FB", Form: "feedback", Summary: summary,
		CategoryPath: category, OccurredAt: time.Now().Add(-time.Hour), Region: "华北",
		Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "api"})
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

// linkStaff links u as staff with role in team (0: none) through an
// invite.
func (h *harness) linkStaff(u models.User, role backend.Role, team int64) *backend.Person {
	h.t.Helper()
	code, err := h.svc.CreateInvite(context.Background(), role, team, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	h.deliver(h.tg.Text(u, "/start "+code))
	h.follow(u.ID).next() // linked, in u's language
	p := h.person(u)
	if !p.HasRole(role) || p.TeamID != team {
		h.t.Fatalf("after the invite: %+v", p)
	}
	return p
}

// none fails t when a message of chat contains text.
func (h *harness) none(chat int64, text, why string) {
	h.t.Helper()
	if n := h.count(chat, text); n != 0 {
		h.t.Fatalf("%d message(s) in chat %d contain %s: %s", n, chat, text, why)
	}
}

// TestTeamGroup: a ticket routed to a team with a group of its own gets
// its card there, not in the triage group; a team without one, or no
// team, leaves it in the triage group. The reporter's follow-up goes to
// the team's group, under the card. Only linked staff act on the card,
// and the service decides for which tickets: an assistant of another
// team is refused, the team's assistant claims it and answers the
// reporter from the group. A ticket given to someone of 技术部 brings its
// card to 技术部's group.
func TestTeamGroup(t *testing.T) {
	h := newTeamHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkStaff(bob, backend.RoleAssistant, h.tech.ID)
	h.linkStaff(carol, backend.RoleAssistant, h.product.ID)
	mgr := h.linkStaff(eve, backend.RoleManager, 0)

	tech := h.ticketIn(alice, "提单系统保存时一直转圈，无法提交", "CRM问题", "提单系统")
	product := h.ticketIn(alice, "放心房上线后在前台不显示", "产品线问题", "房产")
	unrouted := h.ticketIn(alice, "不知道该找哪个部门的问题", "其他")
	card := h.tg.WaitMessage(t, teamGroup, telegramtest.Containing(tech.Number, "待受理"))
	h.tg.WaitMessage(t, triageChat, telegramtest.Containing(product.Number))
	h.tg.WaitMessage(t, triageChat, telegramtest.Containing(unrouted.Number))
	h.tg.WaitMessage(t, alice.ID, telegramtest.Containing(unrouted.Number)) // the last receipt: the outbox has caught up
	h.none(triageChat, tech.Number, "技术部's tickets are in its own group")
	h.none(teamGroup, product.Number, "产品部 has no group: its tickets are in the triage group")
	h.none(teamGroup, unrouted.Number, "tickets of no team are in the triage group")

	t.Run("FollowUp", func(t *testing.T) {
		if _, err := h.svc.Comment(ctx, h.person(alice), tech.Number, "安卓端也一样，补充一下", true); err != nil {
			t.Fatal(err)
		}
		m := h.tg.WaitMessage(t, teamGroup, telegramtest.Containing("安卓端也一样"))
		if m.ReplyToMessage == nil || m.ReplyToMessage.ID != card.ID {
			t.Fatalf("the follow-up does not reply to the card: %+v", m.ReplyToMessage)
		}
		h.none(triageChat, "安卓端也一样", "the follow-up of 技术部's ticket goes to its group")
	})

	t.Run("Buttons", func(t *testing.T) {
		// Carol is of 产品部: the service refuses her, nothing changes.
		if a := h.answerTo(h.press(carol, card, "tk:claim:"+tech.Number)); a.Params["show_alert"] != "true" || !strings.Contains(a.Params["text"], "其他组") {
			t.Fatalf("another team's assistant: %v", a.Params)
		}
		// Alice is a reporter: not staff.
		if a := h.answerTo(h.press(alice, card, "tk:claim:"+tech.Number)); a.Params["show_alert"] != "true" || !strings.Contains(a.Params["text"], "权限") {
			t.Fatalf("a reporter: %v", a.Params)
		}
		if s := h.status(tech.Number); s != backend.StatusNew {
			t.Fatalf("status %s after refused presses", s)
		}
		h.press(bob, card, "tk:claim:"+tech.Number)
		h.waitCard(card, "the card to show the claim", func(m *models.Message) bool { return strings.Contains(m.Text, "已分派") })
		if tk, err := h.store.Ticket(ctx, tech.Number); err != nil || tk.AssigneeID != bobP.ID {
			t.Fatalf("after Bob's claim: %+v, %v", tk, err)
		}
	})

	t.Run("ReplyInGroup", func(t *testing.T) {
		h.deliver(h.tg.Reply(bob, card, "已经在排查，稍等"))
		h.tg.WaitMessage(t, alice.ID, telegramtest.Containing(tech.Number, "已经在排查"))
		h.follow(teamGroup).next("已回复报告人")
	})

	t.Run("MovedToTheTeam", func(t *testing.T) {
		if _, err := h.svc.Assign(ctx, mgr, product.Number, bobP.ID); err != nil {
			t.Fatal(err)
		}
		moved := h.tg.WaitMessage(t, teamGroup, telegramtest.Containing(product.Number, "已分派"))
		if telegramtest.ButtonData(moved, "确认接收") == "" {
			t.Fatalf("the card of the ticket moved to 技术部 has no Accept: %+v", moved.ReplyMarkup)
		}
		if n := h.count(teamGroup, product.Number); n != 1 {
			t.Fatalf("%d messages about %s in the team's group, want its card once", n, product.Number)
		}
	})
}

// TestTeamGroupBecomesSupergroup: a team's group is upgraded to a
// supergroup. deskbot follows it, stores the new id as the team's chat,
// posts new cards there and serves replies there.
func TestTeamGroupBecomesSupergroup(t *testing.T) {
	const supergroup = -1009999
	h := newTeamHarness(t, ModePoll)
	ctx := context.Background()
	h.linkStaff(bob, backend.RoleAssistant, h.tech.ID)
	first := h.ticketIn(alice, "会员中心积分明细页面打不开", "CRM问题", "会员中心")
	h.tg.WaitMessage(t, teamGroup, telegramtest.Containing(first.Number))

	h.tg.Migrate(teamGroup, supergroup)
	second := h.ticketIn(alice, "提单系统保存草稿时报错", "CRM问题", "提单系统")
	card := h.tg.WaitMessage(t, supergroup, telegramtest.Containing(second.Number))
	h.tg.Wait(t, 10*time.Second, "the team's chat to be stored", func() bool {
		team, err := h.store.Team(ctx, h.tech.ID)
		return err == nil && team.Chat(Platform) == itoa(supergroup)
	})
	h.deliver(h.tg.Reply(bob, card, "请提供报错截图"))
	h.tg.WaitMessage(t, alice.ID, telegramtest.Containing(second.Number, "请提供报错截图"))
}
