package main

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

func TestLoadConfigSlack(t *testing.T) {
	t.Run("OffWithoutToken", func(t *testing.T) {
		c, err := LoadConfig(env(map[string]string{"SLACK_TRIAGE_CHANNEL": "C1"}))
		if err != nil || c.Slack.Enabled() {
			t.Fatalf("%+v %v", c.Slack, err)
		}
	})
	t.Run("SocketMode", func(t *testing.T) {
		c, err := LoadConfig(env(map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_TRIAGE_CHANNEL": "C0123"}))
		if err != nil || c.Slack.Mode() != "socket" || !strings.Contains(strings.Join(c.TriagePlatforms(), ","), "slack") {
			t.Fatalf("%+v %v", c.Slack, err)
		}
	})
	for _, tc := range []struct {
		name string
		vars map[string]string
	}{
		{"SLACK_SIGNING_SECRET", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}},
		{"SLACK_BOT_TOKEN", map[string]string{"SLACK_BOT_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": "s"}},
		{"SLACK_APP_TOKEN", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}},
		{"SLACK_API_URL", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "http://x/api"}},
		{"SLACK_TRIAGE_CHANNEL", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_TRIAGE_CHANNEL": "#help"}},
	} {
		t.Run("Err"+tc.name, func(t *testing.T) {
			_, err := LoadConfig(env(tc.vars))
			if err == nil || !strings.Contains(err.Error(), tc.name) {
				t.Fatalf("error %v does not name %s", err, tc.name)
			}
		})
	}
}

// TestMainCrossChannel runs the real program with Telegram and Slack on at
// once: a ticket filed from Telegram is handled by an assistant in Slack
// and the reporter hears every step in Telegram; a ticket filed from a
// Slack modal is handled by an assistant in Telegram and the reporter
// hears every step in Slack. Both triage chats get every card once.
func TestMainCrossChannel(t *testing.T) {
	ctx := context.Background()
	tg := telegramtest.New(t)
	sl := slacktest.New(t)
	const tgTriage, slTriage = int64(-100777), "CTRIAGE"
	vars := map[string]string{
		"DATABASE_URL":         pgtest.NewSchema(t),
		"DESKBOT_DATA":         t.TempDir(),
		"TELEGRAM_BOT_TOKEN":   telegramtest.Token,
		"TELEGRAM_API_URL":     tg.URL(),
		"TELEGRAM_TRIAGE_CHAT": "-100777",
		"SLACK_BOT_TOKEN":      "xoxb-test",
		"SLACK_APP_TOKEN":      "xapp-test",
		"SLACK_API_URL":        sl.APIURL(),
		"SLACK_TRIAGE_CHANNEL": slTriage,
	}
	maps.Copy(vars, redisEnv(t))
	invite := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, []string{"invite", "--role", "assistant"}, env(vars), &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		return lines[len(lines)-1]
	}
	slackCode, tgCode := invite(), invite()
	m := startMain(t, vars)
	sl.WaitConnected(t)

	// Staff: Lee in Slack, Ann in Telegram.
	const lee, rep = "ULEE", "UREP"
	sl.SetUser(lee, "Lee", "zh-CN")
	sl.DM(t, lee, slackCode, "")
	sl.WaitMessage(t, "Lee's invite", func(m slacktest.Message) bool { return m.Channel == "DLEE" && strings.Contains(m.Text, "已绑定") })
	ann := telegramtest.User(501, "Ann", "zh-hans")
	tg.Enqueue(tg.Text(ann, "/start "+tgCode))
	tg.WaitMessage(t, ann.ID, telegramtest.Containing("Ann"))

	t.Run("ConsoleLink", func(t *testing.T) {
		// "/ticket console" shows Lee, and only Lee, a one-time sign-in link.
		sl.Slash(t, lee, "CTRIAGE", "/ticket", "console")
		msg := sl.WaitMessage(t, "the console link", func(m slacktest.Message) bool {
			return m.Ephemeral == lee && strings.Contains(m.Text, "/console/magic/")
		})
		link := strings.TrimSpace(msg.Text[strings.Index(msg.Text, "http"):])
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("magic link %s: %d", link, resp.StatusCode)
		}
		sl.SetUser(rep, "Rep", "zh-CN")
		sl.Slash(t, rep, "C1", "/ticket", "console")
		sl.WaitMessage(t, "refusal", func(m slacktest.Message) bool {
			return m.Ephemeral == rep && strings.Contains(m.Text, "只有已绑定的助理和主管")
		})
	})

	t.Run("TelegramReporterSlackAssistant", func(t *testing.T) {
		zhang := telegramtest.User(601, "Zhang", "zh-hans")
		tg.Enqueue(tg.Text(zhang, "/help"))
		tg.WaitMessage(t, zhang.ID, func(*models.Message) bool { return true })
		reporter, err := m.Store.PersonByAccount(ctx, "telegram", "601")
		if err != nil {
			t.Fatal(err)
		}
		tk, err := m.Service.CreateTicket(ctx, reporter, backend.NewTicket{
			Prefix: "FB", Summary: "放心商家不在专区显示，刷新无效", CategoryPath: []string{"产品线问题", "放心商家"},
			OccurredAt: time.Now().Add(-time.Hour), Region: "华北", Severity: backend.P3,
			Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "telegram",
		})
		if err != nil {
			t.Fatal(err)
		}
		tg.WaitMessage(t, tgTriage, telegramtest.Containing(tk.Number)) // both triage chats get the card
		card := sl.WaitMessage(t, "the Slack card", func(m slacktest.Message) bool {
			return m.Channel == slTriage && m.ThreadTS == "" && strings.Contains(m.Text, tk.Number)
		})
		sl.Press(t, lee, card, "tk:claim", tk.Number, "")
		tg.WaitMessage(t, zhang.ID, telegramtest.Containing(tk.Number, "Lee"))

		sl.Post(t, lee, slTriage, "请问是哪个城市的商家？", card.TS)
		q := tg.WaitMessage(t, zhang.ID, telegramtest.Containing("请问是哪个城市的商家"))
		tg.Enqueue(tg.Reply(zhang, q, "北京朝阳区"))
		answer := sl.WaitMessage(t, "the reporter's answer in the card's thread", func(m slacktest.Message) bool {
			return m.Channel == slTriage && m.ThreadTS == card.TS && strings.Contains(m.Text, "北京朝阳区")
		})
		if !strings.Contains(answer.Text, "<@"+lee+">") {
			t.Errorf("the answer does not mention the assignee: %q", answer.Text)
		}
		tgCard := tg.WaitMessage(t, tgTriage, telegramtest.Containing(tk.Number))
		tg.WaitMessage(t, tgTriage, repliesTo(tgCard, "北京朝阳区"))

		sl.Press(t, lee, card, "tk:resolve", tk.Number, "")
		v := sl.WaitView(t, lee, func(v *slacktest.View) bool { return v.CallbackID() == "act" })
		sl.Submit(t, lee, v, slacktest.Values{"text": {"v": {Text: "商家资质已重新审核，已恢复显示"}}})
		res := tg.WaitMessage(t, zhang.ID, telegramtest.Containing(tk.Number, "商家资质已重新审核"))
		tg.Enqueue(tg.Press(zhang, res, telegramtest.ButtonData(res, "满意")))
		poll(t, func() bool {
			got, err := m.Store.Ticket(ctx, tk.Number)
			return err == nil && got.Satisfaction == backend.SatisfactionSatisfied
		})
		// Lee is on Slack: the answer reached the card's thread once (the
		// triage row, mentioning Lee), not once more for Lee's own row.
		if n := countSlack(sl, slTriage, card.TS, "北京朝阳区"); n != 1 {
			t.Errorf("the answer is in the card's thread %d times, want 1", n)
		}
		if n := countTelegram(tg, tgTriage, "北京朝阳区"); n != 1 {
			t.Errorf("the answer is in the Telegram triage group %d times, want 1", n)
		}
	})

	t.Run("SlackReporterTelegramAssistant", func(t *testing.T) {
		sl.SetUser(rep, "Wang", "zh-CN")
		sl.Slash(t, rep, "DREP", "/ticket", "")
		v := sl.WaitView(t, rep, nil)
		if action, errs := sl.Submit(t, rep, v, slacktest.Values{
			"summary":     {"v": {Text: "会员中心帮帮余额未到期被清零"}},
			"category":    {"root": {Selected: "crm"}},
			"occurred_at": {"v": {Text: "今天 9:00"}},
		}); action != "errors" || errs["contact"] == "" {
			t.Fatalf("incomplete modal answered %q %v", action, errs)
		}
		sl.Submit(t, rep, v, slacktest.Values{
			"summary":         {"v": {Text: "会员中心帮帮余额未到期被清零"}},
			"category":        {"root": {Selected: "product"}},
			"category__child": {"v": {Selected: "product/member_center"}},
			"occurred_at":     {"v": {Text: "现在"}},
			"region":          {"v": {Selected: "east"}},
			"severity":        {"v": {Selected: "P3"}},
			"contact":         {"v": {Text: "QQ 123456"}},
		})
		receipt := sl.WaitMessage(t, "the receipt", func(m slacktest.Message) bool { return m.Channel == "DREP" && strings.Contains(m.Text, "FB-") })
		number := receiptNumber(receipt.Text)
		slCard := sl.WaitMessage(t, "the Slack card", func(m slacktest.Message) bool { return m.Channel == slTriage && strings.Contains(m.Text, number) })
		card := tg.WaitMessage(t, tgTriage, telegramtest.Containing(number))
		tg.Enqueue(tg.Press(ann, card, telegramtest.ButtonData(card, "受理")))
		sl.WaitMessage(t, "the claim in the reporter's thread", func(m slacktest.Message) bool {
			return m.Channel == "DREP" && m.ThreadTS == receipt.TS && strings.Contains(m.Text, "Ann")
		})
		tg.Enqueue(tg.Reply(ann, tg.Message(card.Chat.ID, card.ID), "请提供会员账号"))
		sl.WaitMessage(t, "the question in the reporter's thread", func(m slacktest.Message) bool {
			return m.Channel == "DREP" && m.ThreadTS == receipt.TS && strings.Contains(m.Text, "请提供会员账号")
		})
		sl.DM(t, rep, "账号 wang_2026", receipt.TS)
		tg.WaitMessage(t, ann.ID, telegramtest.Containing("wang_2026"))
		// Ann is on Telegram, yet the Slack card's thread shows the follow-up
		// too, and so does the Telegram card, as a reply.
		sl.WaitMessage(t, "the follow-up in the Slack card's thread", func(m slacktest.Message) bool {
			return m.Channel == slTriage && m.ThreadTS == slCard.TS && strings.Contains(m.Text, "wang_2026")
		})
		tg.WaitMessage(t, tgTriage, repliesTo(card, "wang_2026"))
		sl.DM(t, rep, "补充：余额 300 元", receipt.TS)
		tg.WaitMessage(t, ann.ID, telegramtest.Containing("余额 300 元"))
		sl.WaitMessage(t, "the second follow-up in the Slack card's thread", func(m slacktest.Message) bool {
			return m.Channel == slTriage && m.ThreadTS == slCard.TS && strings.Contains(m.Text, "余额 300 元")
		})
		tg.WaitMessage(t, tgTriage, repliesTo(card, "余额 300 元"))
		for _, text := range []string{"wang_2026", "余额 300 元"} {
			if n := countSlack(sl, slTriage, slCard.TS, text); n != 1 {
				t.Errorf("%q is in the Slack card's thread %d times, want 1", text, n)
			}
			if n := countTelegram(tg, tgTriage, text); n != 1 {
				t.Errorf("%q is in the Telegram triage group %d times, want 1", text, n)
			}
			if n := countTelegram(tg, ann.ID, text); n != 1 {
				t.Errorf("%q reached Ann %d times, want 1", text, n)
			}
		}
		got, err := m.Store.Ticket(ctx, number)
		if err != nil || got.Channel != "slack" {
			t.Fatalf("%+v %v", got, err)
		}
	})
}

// repliesTo matches a Telegram message that replies to card and contains text.
func repliesTo(card *models.Message, text string) func(*models.Message) bool {
	return func(m *models.Message) bool {
		return m.ReplyToMessage != nil && m.ReplyToMessage.ID == card.ID && strings.Contains(m.Text, text)
	}
}

// countSlack counts the messages in a Slack thread that contain text.
func countSlack(sl *slacktest.Server, channel, thread, text string) int {
	n := 0
	for _, m := range sl.Messages() {
		if m.Channel == channel && m.ThreadTS == thread && strings.Contains(m.Text, text) {
			n++
		}
	}
	return n
}

// countTelegram counts the messages the bot sent to a chat that contain text.
func countTelegram(tg *telegramtest.Server, chat int64, text string) int {
	n := 0
	for _, m := range tg.Messages(chat) {
		if strings.Contains(m.Text, text) {
			n++
		}
	}
	return n
}

// receiptNumber finds the ticket number in a notice.
func receiptNumber(s string) string {
	return regexp.MustCompile(`[A-Z]+-\d{8}-\d{4,}`).FindString(s)
}

// poll waits up to 15 s for ok, or fails the test.
func poll(tb testing.TB, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMainTeamChats runs the real program with Telegram and Slack on and
// teams given chats of their own with deskbot team set-chat: on each
// platform a ticket's card goes to its team's chat there, else to that
// platform's triage chat (DESIGN §11).
func TestMainTeamChats(t *testing.T) {
	ctx := context.Background()
	tg := telegramtest.New(t)
	sl := slacktest.New(t)
	const tgTriage, tgTech, slTriage, slProduct = int64(-100777), int64(-100888), "CTRIAGE", "CPROD"
	vars := map[string]string{
		"DATABASE_URL":         pgtest.NewSchema(t),
		"DESKBOT_DATA":         t.TempDir(),
		"TELEGRAM_BOT_TOKEN":   telegramtest.Token,
		"TELEGRAM_API_URL":     tg.URL(),
		"TELEGRAM_TRIAGE_CHAT": "-100777",
		"SLACK_BOT_TOKEN":      "xoxb-test",
		"SLACK_APP_TOKEN":      "xapp-test",
		"SLACK_API_URL":        sl.APIURL(),
		"SLACK_TRIAGE_CHANNEL": slTriage,
	}
	maps.Copy(vars, redisEnv(t))
	for _, args := range [][]string{
		{"team", "create", "--name", "技术部"}, {"team", "create", "--name", "产品部"},
		{"team", "set-chat", "--team", "1", "--telegram", "-100888"},
		{"team", "set-chat", "--team", "2", "--slack", slProduct},
	} {
		if err := run(ctx, args, env(vars), io.Discard, io.Discard); err != nil {
			t.Fatalf("deskbot %s: %v", strings.Join(args, " "), err)
		}
	}
	m := startMain(t, vars)
	reporter := &backend.Person{Name: "zhang", Roles: []backend.Role{backend.RoleReporter}}
	if err := m.Service.CreatePerson(ctx, reporter); err != nil {
		t.Fatal(err)
	}
	file := func(form, prefix string, category ...string) *backend.Ticket {
		t.Helper()
		tk, err := m.Service.CreateTicket(ctx, reporter, backend.NewTicket{Form: form, Prefix: prefix, Summary: "放心商家不在专区显示，刷新无效",
			CategoryPath: category, OccurredAt: time.Now().Add(-time.Hour), Region: "华北", Severity: backend.P3,
			Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "api"})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	tech := file("feedback", "FB", "产品线问题", "放心商家") // routed to 技术部
	product := file("suggestion", "SG")             // routed to 产品部
	if tech.TeamID != 1 || product.TeamID != 2 {
		t.Fatalf("routed to teams %d and %d, want 1 and 2", tech.TeamID, product.TeamID)
	}
	tg.WaitMessage(t, tgTech, telegramtest.Containing(tech.Number))
	tg.WaitMessage(t, tgTriage, telegramtest.Containing(product.Number))
	sl.WaitMessage(t, "产品部's card", func(m slacktest.Message) bool {
		return m.Channel == slProduct && strings.Contains(m.Text, product.Number)
	})
	sl.WaitMessage(t, "技术部's card", func(m slacktest.Message) bool { return m.Channel == slTriage && strings.Contains(m.Text, tech.Number) })
	for _, msg := range tg.Messages(tgTriage) {
		if strings.Contains(msg.Text, tech.Number) {
			t.Fatalf("技术部's ticket in the Telegram triage group: %q", msg.Text)
		}
	}
	for _, msg := range sl.Messages() {
		if msg.Channel == slTriage && strings.Contains(msg.Text, product.Number) {
			t.Fatalf("产品部's ticket in the Slack triage channel: %q", msg.Text)
		}
	}
}
