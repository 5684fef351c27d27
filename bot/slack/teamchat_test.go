package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// teamChannel is 技术部's own Slack channel in the team tests.
const teamChannel = "CTECH"

// teamHarness is a harness whose tickets are routed by their category's
// root — CRM问题 to 技术部, which has its own channel (teamChannel),
// 产品线问题 to 产品部, which has none, anything else nowhere (DESIGN §11:
// a triage chat per team).
type teamHarness struct {
	*harness
	tech, product *backend.Team
}

// newTeamHarness starts it; cfg and svc (may be nil) have a last word on
// the channel's and the service's config.
func newTeamHarness(tb testing.TB, mode string, cfg func(*Config), svc func(*backend.ServiceConfig)) *teamHarness {
	tb.Helper()
	th := &teamHarness{}
	th.harness = newHarnessServing(tb, mode, func(st backend.Store) {
		ctx := context.Background()
		th.tech = &backend.Team{Name: "技术部", Chats: map[string]string{Platform: teamChannel}}
		th.product = &backend.Team{Name: "产品部"}
		for _, t := range []*backend.Team{th.tech, th.product} {
			if err := st.CreateTeam(ctx, t); err != nil {
				tb.Fatal(err)
			}
		}
	}, func(c *backend.ServiceConfig) {
		c.TeamChatPlatforms = []string{Platform}
		c.Route = func(_ string, path []string) int64 {
			switch {
			case len(path) > 0 && path[0] == "CRM问题":
				return th.tech.ID
			case len(path) > 0 && path[0] == "产品线问题":
				return th.product.ID
			}
			return 0
		}
		if svc != nil {
			svc(c)
		}
	}, cfg)
	return th
}

// ticketIn files a ticket for the reporter in category (root first).
func (h *harness) ticketIn(summary string, category ...string) *backend.Ticket {
	h.t.Helper()
	ctx := context.Background()
	p, err := h.ch.reporter(ctx, reporter)
	if err != nil {
		h.t.Fatal(err)
	}
	tk, err := h.svc.CreateTicket(ctx, p, backend.NewTicket{Prefix: "FB", Summary: summary, CategoryPath: category,
		OccurredAt: time.Now().Add(-time.Hour), Region: "北京", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: Platform})
	if err != nil {
		h.t.Fatal(err)
	}
	return tk
}

// linkStaffIn makes user staff with role in team (0: none) through an
// invite code sent in a DM.
func (h *harness) linkStaffIn(user string, role backend.Role, team int64) *backend.Person {
	h.t.Helper()
	code, err := h.svc.CreateInvite(context.Background(), role, team, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	h.fake.DM(h.t, user, code, "")
	poll(h.t, "the invite to link "+user, func() bool {
		p, err := h.store.PersonByAccount(context.Background(), Platform, user)
		return err == nil && p.HasRole(role) && p.TeamID == team
	})
	p, err := h.store.PersonByAccount(context.Background(), Platform, user)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// noMessage fails t when a message in channel (any thread) contains text.
func (h *harness) noMessage(channel, text, why string) {
	h.t.Helper()
	for _, m := range h.fake.Messages() {
		if m.Channel == channel && strings.Contains(m.Text, text) {
			h.t.Fatalf("%s has %q: %s", channel, m.Text, why)
		}
	}
}

// TestTeamChannel: a ticket routed to a team with a channel of its own
// gets its card there, not in the triage channel; a team without one, or
// no team, leaves it in the triage channel. The reporter's follow-up
// goes into the card's thread there. Only linked staff act on the card
// and the service decides for which tickets: an assistant of another
// team is refused, the team's assistant claims it and answers the
// reporter in the card's thread. A ticket given to someone of 技术部
// brings its card to 技术部's channel.
func TestTeamChannel(t *testing.T) {
	h := newTeamHarness(t, ModeSocket, nil, nil)
	ctx := context.Background()
	staff := h.linkStaffIn(helper, backend.RoleAssistant, h.tech.ID)
	h.linkStaffIn("UPROD", backend.RoleAssistant, h.product.ID)
	mgr := h.linkStaffIn("UMGR", backend.RoleManager, 0)

	tech := h.ticketIn("提单系统保存时一直转圈，无法提交", "CRM问题", "提单系统")
	product := h.ticketIn("放心房上线后在前台不显示", "产品线问题", "房产")
	unrouted := h.ticketIn("不知道该找哪个部门的问题", "其他")
	card := h.fake.WaitMessage(t, "技术部's card", inChannel(teamChannel, "", tech.Number))
	h.fake.WaitMessage(t, "产品部's card", inChannel(triage, "", product.Number))
	h.fake.WaitMessage(t, "the unrouted card", inChannel(triage, "", unrouted.Number))
	h.fake.WaitMessage(t, "the last receipt", inChannel(dmChannel(reporter), "", unrouted.Number))
	h.noMessage(triage, tech.Number, "技术部's tickets are in its own channel")
	h.noMessage(teamChannel, product.Number, "产品部 has no channel: its tickets are in the triage channel")
	h.noMessage(teamChannel, unrouted.Number, "tickets of no team are in the triage channel")
	h.remembered(teamChannel, card.TS)

	t.Run("FollowUp", func(t *testing.T) {
		if _, err := h.svc.Comment(ctx, h.person(reporter), tech.Number, "安卓端也一样，补充一下", true); err != nil {
			t.Fatal(err)
		}
		h.fake.WaitMessage(t, "the follow-up in the card's thread", inChannel(teamChannel, card.TS, "安卓端也一样"))
		h.noMessage(triage, "安卓端也一样", "the follow-up of 技术部's ticket goes to its channel")
	})

	t.Run("Buttons", func(t *testing.T) {
		h.fake.Press(t, "UPROD", card, "tk:claim", tech.Number, "")
		h.fake.WaitMessage(t, "the refusal", func(m slacktest.Message) bool {
			return m.Ephemeral == "UPROD" && m.Channel == teamChannel && strings.Contains(m.Text, "其他组")
		})
		h.fake.Press(t, "UOUT", card, "tk:claim", tech.Number, "")
		h.fake.WaitMessage(t, "the outsider's refusal", func(m slacktest.Message) bool {
			return m.Ephemeral == "UOUT" && m.Channel == teamChannel && strings.Contains(m.Text, "权限")
		})
		if tk, _ := h.store.Ticket(ctx, tech.Number); tk.AssigneeID != 0 {
			t.Fatalf("claimed by %d after refused presses", tk.AssigneeID)
		}
		h.fake.Press(t, helper, card, "tk:claim", tech.Number, "")
		poll(t, "the card to show the claim", func() bool {
			m, _ := h.fake.Message(teamChannel, card.TS)
			_, claim := m.Buttons()["tk:claim"]
			return m.Updates > 0 && !claim
		})
		if tk, _ := h.store.Ticket(ctx, tech.Number); tk.AssigneeID != staff.ID {
			t.Fatalf("assignee %d after the claim, want %d", tk.AssigneeID, staff.ID)
		}
	})

	t.Run("ReplyInThread", func(t *testing.T) {
		h.fake.Post(t, helper, teamChannel, "已经在排查，稍等", card.TS)
		h.fake.WaitMessage(t, "the reply in the reporter's DM", inChannel(dmChannel(reporter), "*", "已经在排查"))
	})

	t.Run("MovedToTheTeam", func(t *testing.T) {
		if _, err := h.svc.Assign(ctx, mgr, product.Number, staff.ID); err != nil {
			t.Fatal(err)
		}
		moved := h.fake.WaitMessage(t, "the moved ticket's card", inChannel(teamChannel, "", product.Number))
		if _, ok := moved.Buttons()["tk:claim"]; !ok { // 确认接收 / Accept, for the assignee
			t.Fatalf("the moved ticket's card has no Accept: %v", moved.Buttons())
		}
		// The assignee hears of it: in that card's thread, or in their DM
		// when their notice went out before the card (both are sent at
		// once).
		h.fake.WaitMessage(t, "the assignee's notice", func(m slacktest.Message) bool {
			return (inChannel(teamChannel, moved.TS, product.Number)(m) || inChannel(dmChannel(helper), "", product.Number)(m)) &&
				strings.Contains(m.Text, "分派给您")
		})
	})
}

// TestTeamChannelWithoutTriageChannel: with no SLACK_TRIAGE_CHANNEL, a
// team's own channel still gets its tickets' cards.
func TestTeamChannelWithoutTriageChannel(t *testing.T) {
	// The service as cmd/deskbot makes it then: no triage chat, teams'
	// channels on.
	h := newTeamHarness(t, ModeHTTP, func(c *Config) { c.TriageChannel = "" },
		func(c *backend.ServiceConfig) { c.TriagePlatforms, c.NoTriage = nil, true })
	tk := h.ticketIn("提单系统保存时一直转圈，无法提交", "CRM问题")
	card := h.fake.WaitMessage(t, "技术部's card", inChannel(teamChannel, "", tk.Number))
	h.remembered(teamChannel, card.TS)
	if _, err := h.svc.Comment(context.Background(), h.person(reporter), tk.Number, "安卓端也一样，补充一下", true); err != nil {
		t.Fatal(err)
	}
	h.fake.WaitMessage(t, "the follow-up in the card's thread", inChannel(teamChannel, card.TS, "安卓端也一样"))
	other := h.ticketIn("放心房上线后在前台不显示", "产品线问题")
	h.fake.WaitMessage(t, "the last receipt", inChannel(dmChannel(reporter), "", other.Number))
	for _, m := range h.fake.Messages() {
		if strings.Contains(m.Text, other.Number) && m.Channel != dmChannel(reporter) {
			t.Fatalf("产品部's ticket (no channel, no triage channel) reached %s: %q", m.Channel, m.Text)
		}
	}
}

// person is the deskbot person of a Slack user.
func (h *harness) person(user string) *backend.Person {
	h.t.Helper()
	p, err := h.store.PersonByAccount(context.Background(), Platform, user)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}
