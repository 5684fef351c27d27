package telegram

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// agentsGroup is a group of agents the bot was added to: not a staff
// group, so a ticket source.
const agentsGroup = -100555

// sourceLinkIn returns the payload of the button in the bot's answer m.
func sourceLinkIn(t *testing.T, m *models.Message) string {
	t.Helper()
	kb := m.ReplyMarkup
	if kb == nil || len(kb.InlineKeyboard) == 0 || kb.InlineKeyboard[0][0].URL == "" {
		t.Fatalf("no link button on %q: %#v", m.Text, m.ReplyMarkup)
	}
	u, err := url.Parse(kb.InlineKeyboard[0][0].URL)
	if err != nil || u.Host != "t.me" || u.Path != "/"+telegramtest.BotUser().Username {
		t.Fatalf("link %q: %v", kb.InlineKeyboard[0][0].URL, err)
	}
	return u.Query().Get("start")
}

// TestGroupSource: a photo posted in an agents' group, replied to with
// /new, becomes a ticket filed in private with its caption and picture;
// the group hears when it is filed and resolved, as replies to the photo.
func TestGroupSource(t *testing.T) {
	for _, mode := range []string{ModePoll, ModeWebhook} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, mode)
			ctx := context.Background()
			group := h.follow(agentsGroup)

			// The group's own talk, and commands for other bots, are left alone.
			h.deliver(h.tg.TextIn(alice, agentsGroup, "大家好，今天后台好慢"))
			h.deliver(h.tg.TextIn(alice, agentsGroup, "/new@some_other_bot"))
			photo := h.tg.PhotoIn(alice, agentsGroup, pngBytes(t), "放心房上线后在前台不显示，已经两个小时了")
			h.deliver(photo)
			h.deliver(h.tg.Reply(alice, photo.Message, "/new"))
			offer := group.next("私聊", "截图会自动带过去")
			if offer.ReplyToMessage == nil || offer.ReplyToMessage.Text != "/new" {
				t.Fatalf("the offer does not answer /new: %+v", offer.ReplyToMessage)
			}
			if n := len(h.tg.Messages(agentsGroup)); n != 1 {
				t.Fatalf("%d bot messages in the group, want only the offer", n)
			}
			payload := sourceLinkIn(t, offer)

			// In private: the photo is forwarded, its caption answers the
			// summary, the picture waits for the screenshots question.
			rep := h.follow(alice.ID)
			h.deliver(h.tg.Text(alice, "/start "+payload))
			fwd := rep.next()
			if fwd.Caption != photo.Message.Caption || len(fwd.Photo) == 0 {
				t.Fatalf("first private message %+v, want the forwarded photo", fwd)
			}
			q := h.regionFrom(alice, rep, rep.next("（2/10）"))
			h.press(alice, q, "opt:region:north")
			q = rep.next("（6/10）")
			h.press(alice, q, "opt:severity:P2")
			q = rep.next("（7/10）")
			h.press(alice, q, "cmd:done")
			number := h.fromOrderNumber(alice, rep, false)

			tk, err := h.store.Ticket(ctx, number)
			if err != nil {
				t.Fatal(err)
			}
			if want := "telegram:" + itoa(agentsGroup) + ":" + itoa(int64(photo.Message.ID)); tk.Source != want ||
				tk.Summary != photo.Message.Caption || len(tk.Attachments) != 1 || tk.Attachments[0].ContentType != "image/png" {
				t.Fatalf("ticket source %q (want %q), summary %q, attachments %+v", tk.Source, want, tk.Summary, tk.Attachments)
			}

			// The group hears it was filed, then resolved, as replies to the photo.
			filed := group.next("已登记为工单", number)
			if filed.ReplyToMessage == nil || filed.ReplyToMessage.ID != photo.Message.ID {
				t.Fatalf("the filed notice replies to %+v, want the photo %d", filed.ReplyToMessage, photo.Message.ID)
			}
			bobP := h.linkAssistant(bob)
			if _, err := h.svc.Resolve(ctx, bobP, number, "索引已重建，放心房已恢复显示"); err != nil {
				t.Fatal(err)
			}
			resolved := group.next("✅", number, "已解决")
			if resolved.ReplyToMessage == nil || resolved.ReplyToMessage.ID != photo.Message.ID {
				t.Fatalf("the resolved notice replies to %+v", resolved.ReplyToMessage)
			}
			rep.next("已解决", "索引已重建") // the reporter still hears it privately
			if strings.Contains(resolved.Text, "13800138000") {
				t.Fatalf("the group notice shows the contact: %q", resolved.Text)
			}
		})
	}
}

// TestGroupSourceLinks: /new followed by a description, a link made up or
// cut short, and a group that does not allow forwarding.
func TestGroupSourceLinks(t *testing.T) {
	h := newHarness(t, ModePoll)
	group := h.follow(agentsGroup)

	// "/new description": the command's own message is the source.
	cmd := h.tg.TextIn(alice, agentsGroup, "/new@"+telegramtest.BotUser().Username+" 会员中心打不开，一直转圈圈")
	h.deliver(cmd)
	payload := sourceLinkIn(t, group.next("截图会自动带过去"))
	rep := h.follow(alice.ID)
	h.deliver(h.tg.Text(alice, "/start "+payload))
	rep.next("（2/10）")
	key, err := h.ch.sourceKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l, ok := decodeSource(key, payload)
	if !ok || l.chat != agentsGroup || l.msg != cmd.Message.ID || !l.quote || l.form != "feedback" {
		t.Fatalf("payload %q reads %+v, %v", payload, l, ok)
	}

	// A made-up link: said so, and a new form starts from the beginning.
	forged := sourceLink{chat: -100999, msg: 1, quote: true, form: "feedback"}.encode([]byte("not the key"))
	h.deliver(h.tg.Text(alice, "/start "+forged))
	rep.next("链接无效")
	rep.next("（1/10）")
	if len(h.tg.CallsTo("forwardMessage")) != 1 {
		t.Fatalf("forwardMessage called %d times, want once (not for the forged link)", len(h.tg.CallsTo("forwardMessage")))
	}

	// A group that forbids forwarding: said so, the form starts empty.
	const closed = -100556
	h.tg.Protect(closed)
	msg := h.tg.TextIn(alice, closed, "订单列表导出失败，提示服务器错误")
	h.deliver(msg)
	h.deliver(h.tg.Reply(alice, msg.Message, "/new suggestion"))
	payload = sourceLinkIn(t, h.follow(closed).next("私聊"))
	h.deliver(h.tg.Text(alice, "/start "+payload))
	rep.next("无法把群里的那条消息带过来")
	rep.next("建议")
	if l, _ := decodeSource(key, payload); l.form != "suggestion" || l.msg != msg.Message.ID {
		t.Fatalf("the suggestion link reads %+v", l)
	}
}

func TestSourcePayload(t *testing.T) {
	key := []byte("k")
	for _, l := range []sourceLink{
		{chat: -1001234567890, msg: 2147483647, quote: true, form: "feedback"},
		{chat: -42, msg: 1, form: "complaint"},
		{chat: -1001234567890, msg: 7, quote: true, form: "a_long_form_id_of_20"},
	} {
		p := l.encode(key)
		if p == "" || len(p) > maxPayload || strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
			t.Fatalf("%+v: payload %q", l, p)
		}
		if got, ok := decodeSource(key, p); !ok || got != l {
			t.Fatalf("%+v: read back %+v, %v", l, got, ok)
		}
		if _, ok := decodeSource([]byte("other"), p); ok {
			t.Fatalf("%+v: read with another key", l)
		}
		if _, ok := decodeSource(key, p[:len(p)-1]); ok {
			t.Fatalf("%+v: a cut payload read", l)
		}
		if isSourcePayload(p) != true || backend.IsInviteCode(p) {
			t.Fatalf("%q is not told apart from an invite code", p)
		}
	}
	if p := (sourceLink{chat: -1, msg: 1, form: strings.Repeat("x", 40)}).encode(key); p != "" {
		t.Fatalf("a payload over 64 characters: %q", p)
	}
}

// TestGroupSourceAddedToOwnTicket: a problem reported from a group that
// its reporter adds to their earlier ticket instead files nothing; the
// group hears, as a reply to its message, which ticket it went to, and
// that ticket (reported in private) takes the message on as its source,
// so the group hears when it is resolved.
func TestGroupSourceAddedToOwnTicket(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	group := h.follow(agentsGroup)
	number := h.directTicket(alice, "提单系统保存草稿后草稿丢失了")
	rep := h.follow(alice.ID)
	rep.next("已收到您的问题", number)

	cmd := h.tg.TextIn(alice, agentsGroup, "/new@"+telegramtest.BotUser().Username+" 提单系统保存草稿后草稿又丢失了")
	h.deliver(cmd)
	payload := sourceLinkIn(t, group.next("截图会自动带过去"))
	h.deliver(h.tg.Text(alice, "/start "+payload))
	offer := rep.next("您提交过的工单 "+number, "待受理")
	h.answerTo(h.press(alice, offer, "补充到 "+number))
	rep.next("已把您的描述补充到工单 " + number)

	added := group.next("📌", "补充到之前提交的工单 "+number, "待受理", "解决后我会在这里告诉大家")
	if added.ReplyToMessage == nil || added.ReplyToMessage.ID != cmd.Message.ID {
		t.Fatalf("the notice replies to %+v, want the group's message %d", added.ReplyToMessage, cmd.Message.ID)
	}
	tk, err := h.store.Ticket(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if want := "telegram:" + itoa(agentsGroup) + ":" + itoa(int64(cmd.Message.ID)); tk.Source != want {
		t.Fatalf("ticket source %q, want %q", tk.Source, want)
	}
	page, err := h.store.Tickets(ctx, backend.TicketFilter{ReporterID: tk.ReporterID, Limit: 10})
	if err != nil || len(page.Tickets) != 1 {
		t.Fatalf("%d tickets of alice (%v), want the first alone", len(page.Tickets), err)
	}
	bobP := h.linkAssistant(bob)
	if _, err := h.svc.Resolve(ctx, bobP, number, "草稿改为每 10 秒自动保存到服务器"); err != nil {
		t.Fatal(err)
	}
	if resolved := group.next("✅", number, "已解决"); resolved.ReplyToMessage == nil || resolved.ReplyToMessage.ID != cmd.Message.ID {
		t.Fatalf("the resolved notice replies to %+v", resolved.ReplyToMessage)
	}
}

// TestSourceNoticeOtherGroup: a group whose problem was added to a ticket
// reported from another group hears which ticket it went to, but not as
// a reply (the message named is the other group's), nor that it will
// hear of the resolution.
func TestSourceNoticeOtherGroup(t *testing.T) {
	h := newHarness(t, ModePoll)
	tk := &backend.Ticket{Number: "FB-20261125-0001", Summary: "草稿丢失", Status: backend.StatusInProgress, Source: "telegram:-1001:42"}
	m := notify.Message{Outbox: &backend.OutboxMessage{Audience: backend.AudienceSource, Platform: Platform, Chat: "-1002"},
		Ticket: tk, Event: &backend.Event{Kind: backend.EventComment, Public: true}}
	o, ok := h.ch.sourceNotice(m, catalog.ZhCN)
	if !ok || o.replyTo != 0 || !strings.Contains(o.text, "FB-20261125-0001（处理中）") || strings.Contains(o.text, "解决后") {
		t.Fatalf("the other group's notice: %+v, %v", o, ok)
	}
	m.Outbox.Chat = "-1001"
	if o, ok = h.ch.sourceNotice(m, catalog.ZhCN); !ok || o.replyTo != 42 || !strings.Contains(o.text, "解决后我会在这里告诉大家") {
		t.Fatalf("the source group's notice: %+v, %v", o, ok)
	}
}
