package telegram

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// waitCard waits until the card (as it looks now) satisfies cond.
func (h *harness) waitCard(card *models.Message, what string, cond func(*models.Message) bool) *models.Message {
	h.t.Helper()
	var cur *models.Message
	h.tg.Wait(h.t, 15*time.Second, what, func() bool {
		cur = h.tg.Message(card.Chat.ID, card.ID)
		return cond(cur)
	})
	return cur
}

// answerTo waits for the answer to the button press upd and returns it.
// It goes by the callback query id: an earlier press, in this chat or
// another, may be answered after this one.
func (h *harness) answerTo(upd *models.Update) telegramtest.Call {
	h.t.Helper()
	var found telegramtest.Call
	h.tg.Wait(h.t, 15*time.Second, "an answer to the button", func() bool {
		for _, c := range h.tg.CallsTo("answerCallbackQuery") {
			if c.Params["callback_query_id"] == upd.CallbackQuery.ID {
				found = c
				return true
			}
		}
		return false
	})
	return found
}

// TestChangeStatus: Change status shows the legal next statuses on the
// card; picking one moves the ticket, edits the card and tells the
// reporter; « back restores the card; statuses that need a text prompt
// for it; an outsider gets "not allowed".
func TestChangeStatus(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	h.linkAssistant(bob)
	number := h.directTicket(alice, "提单系统保存时一直转圈，无法提交")
	rep := h.follow(alice.ID)
	group := h.follow(triageChat)
	card := group.next(number, "待受理")

	h.press(bob, card, "tk:status:"+number)
	menu := h.waitCard(card, "the status menu", func(m *models.Message) bool { return telegramtest.ButtonData(m, "处理中") != "" })
	for _, s := range backend.StatusNew.Next() {
		if telegramtest.ButtonData(menu, h.ch.render.Status("zh-CN", s)) != "tk:st="+string(s)+":"+number {
			t.Fatalf("no button for %s on %+v", s, menu.ReplyMarkup)
		}
	}
	if telegramtest.ButtonData(menu, "受理") != "" || menu.Text != card.Text {
		t.Fatalf("the menu changed more than the buttons: %q %+v", menu.Text, menu.ReplyMarkup)
	}

	// « back: the card's own buttons again, nothing changed.
	h.press(bob, menu, "返回")
	h.waitCard(card, "the card's buttons", func(m *models.Message) bool { return telegramtest.ButtonData(m, "受理") != "" })
	if s := h.status(number); s != backend.StatusNew {
		t.Fatalf("back changed the status: %s", s)
	}

	// An outsider cannot open the menu or pick a status.
	if a := h.answerTo(h.press(eve, card, "tk:st=in_progress:"+number)); a.Params["show_alert"] != "true" || !strings.Contains(a.Params["text"], "权限") {
		t.Fatalf("outsider's answer: %v", a.Params)
	}

	// Pick in_progress.
	h.press(bob, card, "tk:status:"+number)
	h.waitCard(card, "the status menu", func(m *models.Message) bool { return telegramtest.ButtonData(m, "处理中") != "" })
	if a := h.answerTo(h.press(bob, card, "处理中")); a.Params["text"] != "已更新" {
		t.Fatalf("answer: %v", a.Params)
	}
	if s := h.status(number); s != backend.StatusInProgress {
		t.Fatalf("status %s, want in_progress", s)
	}
	h.waitCard(card, "the card to show 处理中 with its buttons", func(m *models.Message) bool {
		return strings.Contains(m.Text, "处理中") && telegramtest.ButtonData(m, "改状态") != ""
	})
	rep.next("状态更新", "待受理 → 处理中")

	// A status that needs a text asks for it instead of changing.
	h.press(bob, card, "tk:status:"+number)
	h.waitCard(card, "the status menu", func(m *models.Message) bool { return telegramtest.ButtonData(m, "待补充") != "" })
	h.press(bob, card, "待补充")
	prompt := group.next("向报告人提问", number)
	if prompt.ReplyToMessage == nil || prompt.ReplyToMessage.ID != card.ID {
		t.Fatalf("the prompt does not reply to the card: %+v", prompt.ReplyToMessage)
	}
	if s := h.status(number); s != backend.StatusInProgress {
		t.Fatalf("status changed before the question: %s", s)
	}
	h.deliver(h.tg.Reply(bob, prompt, "请问是哪个门店的账号？"))
	group.next("已向报告人提问")
	rep.next("需要您补充信息", "哪个门店")
	if s := h.status(number); s != backend.StatusWaitingReporter {
		t.Fatalf("status %s, want waiting_reporter", s)
	}

	// An illegal move (the ticket changed meanwhile) is refused clearly.
	if _, err := h.svc.Resolve(ctx, h.person(bob), number, "已修复"); err != nil {
		t.Fatal(err)
	}
	illegal := h.tg.Press(bob, menuFor(card, number), "tk:st=pending_test:"+number)
	h.deliver(illegal)
	if a := h.answerTo(illegal); a.Params["show_alert"] != "true" || !strings.Contains(a.Params["text"], "状态已经变化") {
		t.Fatalf("illegal move answer: %v", a.Params)
	}
	if s := h.status(number); s != backend.StatusResolved {
		t.Fatalf("status %s, want resolved", s)
	}
}

// menuFor is the card as it looked with an old status menu on it.
func menuFor(card *models.Message, number string) *models.Message {
	m := *card
	m.ReplyMarkup = &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{button("待测试", "tk:st=pending_test:"+number)}}}
	return &m
}

// TestChangeSeverity: Change severity offers the other levels; picking one
// re-grades the ticket, edits the card and tells the reporter.
func TestChangeSeverity(t *testing.T) {
	h := newHarness(t, ModeWebhook)
	h.linkAssistant(bob)
	number := h.directTicket(alice, "会员中心头像上传一直失败")
	rep := h.follow(alice.ID)
	card := h.follow(triageChat).next(number, "P3")

	h.press(bob, card, "tk:sev:"+number)
	menu := h.waitCard(card, "the severity menu", func(m *models.Message) bool { return telegramtest.ButtonData(m, "P1") != "" })
	for _, s := range []backend.Severity{backend.P1, backend.P2, backend.P4} {
		if telegramtest.ButtonData(menu, string(s)) != "tk:sv="+string(s)+":"+number {
			t.Fatalf("no button for %s: %+v", s, menu.ReplyMarkup)
		}
	}
	if telegramtest.ButtonData(menu, "P3") != "" {
		t.Fatalf("the current level is offered: %+v", menu.ReplyMarkup)
	}

	// Not allowed for the reporter either.
	if a := h.answerTo(h.press(alice, menu, "P4")); a.Params["show_alert"] != "true" {
		t.Fatalf("reporter's answer: %v", a.Params)
	}

	if a := h.answerTo(h.press(bob, menu, "P4")); a.Params["text"] != "已更新" {
		t.Fatalf("answer: %v", a.Params)
	}
	tk, err := h.store.Ticket(context.Background(), number)
	if err != nil || tk.Severity != backend.P4 {
		t.Fatalf("severity: %v %v", tk, err)
	}
	h.waitCard(card, "the card to show P4", func(m *models.Message) bool {
		return strings.Contains(m.Text, "P4") && telegramtest.ButtonData(m, "改级别") != ""
	})
	rep.next("级别已调整", "P3 普通 → P4 建议")
}

// TestReturn: Return asks for the reason; replying to the prompt returns
// the ticket: the reporter is told, the card shows it unclaimed again and
// the triage group gets the reason in its own language (en here). A reply
// by an outsider, or without text, changes nothing.
func TestReturn(t *testing.T) {
	h := newHarness(t, ModePoll, func(c *Config) { c.TriageLocale = "en" })
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	number := h.directTicket(alice, "提单系统保存时一直转圈，无法提交")
	rep := h.follow(alice.ID)
	group := h.follow(triageChat)
	card := group.next(number, "unclaimed")
	if _, err := h.svc.Claim(ctx, bobP, number); err != nil {
		t.Fatal(err)
	}
	h.waitCard(card, "the claimed card", func(m *models.Message) bool { return strings.Contains(m.Text, bobP.Name) })

	h.press(bob, card, "tk:return:"+number)
	prompt := group.next("Return "+number, "reply to this message")
	if prompt.ReplyToMessage == nil || prompt.ReplyToMessage.ID != card.ID {
		t.Fatalf("the prompt does not reply to the card: %+v", prompt)
	}
	// Other messages (the reporter's "claimed" notice) may be sent around
	// the prompt, so find the call that produced it.
	forced := false
	for _, c := range h.tg.CallsTo("sendMessage") {
		if c.Result != nil && c.Result.ID == prompt.ID && c.Result.Chat.ID == prompt.Chat.ID {
			forced = strings.Contains(c.Params["reply_markup"], "force_reply")
		}
	}
	if !forced {
		t.Fatal("the prompt does not ask for a reply")
	}

	// Eve (not linked) replies: not allowed, nothing changes.
	h.deliver(h.tg.Reply(eve, prompt, "我来退回"))
	group.next("not allowed to handle tickets")
	// Bob replies with a sticker-like message without text.
	empty := h.tg.Reply(bob, prompt, "")
	h.deliver(empty)
	group.next("Please reply with text")
	if s := h.status(number); s != backend.StatusAssigned {
		t.Fatalf("status %s, want assigned", s)
	}

	h.deliver(h.tg.Reply(bob, prompt, "不属于本组，请转给会员中心组"))
	group.next(number, "was returned and waits to be claimed again")
	if s := h.status(number); s != backend.StatusReturned {
		t.Fatalf("status %s, want returned", s)
	}
	tk, err := h.store.Ticket(ctx, number)
	if err != nil || tk.AssigneeID != 0 {
		t.Fatalf("assignee after return: %v %v", tk, err)
	}
	rep.next("正在重新分派", "不属于本组")
	notice := h.tg.WaitMessage(t, triageChat, telegramtest.Containing("was returned and needs a new owner", "不属于本组"))
	if notice.ReplyToMessage == nil || notice.ReplyToMessage.ID != card.ID {
		t.Fatalf("the triage notice does not reply to the card: %+v", notice.ReplyToMessage)
	}
	h.waitCard(card, "the card to be claimable again", func(m *models.Message) bool {
		return strings.Contains(m.Text, "unclaimed") && strings.Contains(m.Text, "returned") && telegramtest.ButtonData(m, "Claim") != ""
	})
}

// milestones lists the milestones recorded on a ticket by hand, in order
// (not accepted, which the service records when someone claims it).
func (h *harness) milestones(number string) []backend.Milestone {
	h.t.Helper()
	admin := &backend.Person{ID: -1, Roles: []backend.Role{backend.RoleAdmin}}
	_, events, err := h.svc.Thread(context.Background(), admin, number)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []backend.Milestone
	for _, e := range events {
		if e.Kind == backend.EventMilestone && backend.Milestone(e.Body).Valid() {
			out = append(out, backend.Milestone(e.Body))
		}
	}
	return out
}

// onlyButtons reports whether m's keyboard is exactly one row of buttons
// with data, in order.
func onlyButtons(m *models.Message, data ...string) bool {
	kb := m.ReplyMarkup
	if kb == nil || len(kb.InlineKeyboard) != 1 {
		return false
	}
	var got []string
	for _, b := range kb.InlineKeyboard[0] {
		got = append(got, b.CallbackData)
	}
	return slices.Equal(got, data)
}

// TestMilestone: Milestone on the card shows seed 004's milestones and
// « back; picking one records it (an sla_milestone event by the
// presser) and brings the card's buttons back. A resolved ticket's card
// keeps only Milestone, and the report is recorded there; an archived
// one has no buttons. Anyone but linked staff changes nothing.
func TestMilestone(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	number := h.directTicket(alice, "提单系统保存时一直转圈，无法提交")
	card := h.follow(triageChat).next(number, "待受理")
	if d := telegramtest.ButtonData(card, "里程碑"); d != "tk:ms:"+number {
		t.Fatalf("no milestone button on the card: %q %+v", d, card.ReplyMarkup)
	}
	label := func(m backend.Milestone) string { return h.ch.T("zh-CN", "sla.milestone."+string(m), nil) }

	h.press(bob, card, "里程碑")
	menu := h.waitCard(card, "the milestone menu", func(m *models.Message) bool {
		return telegramtest.ButtonData(m, label(backend.MilestoneResourceRequested)) != ""
	})
	for _, m := range backend.Milestones {
		if d := telegramtest.ButtonData(menu, label(m)); d != "tk:ms="+string(m)+":"+number {
			t.Fatalf("no button for %s on %+v", m, menu.ReplyMarkup)
		}
	}
	if telegramtest.ButtonData(menu, "受理") != "" || menu.Text != card.Text {
		t.Fatalf("the menu changed more than the buttons: %q %+v", menu.Text, menu.ReplyMarkup)
	}

	// « back: the card's own buttons again, nothing recorded.
	h.press(bob, menu, "返回")
	h.waitCard(card, "the card's buttons", func(m *models.Message) bool { return telegramtest.ButtonData(m, "受理") != "" })
	if ms := h.milestones(number); len(ms) != 0 {
		t.Fatalf("back recorded %v", ms)
	}

	// Neither a stranger nor the reporter may record one.
	h.press(bob, card, "里程碑")
	menu = h.waitCard(card, "the milestone menu", func(m *models.Message) bool {
		return telegramtest.ButtonData(m, label(backend.MilestoneResourceRequested)) != ""
	})
	notAllowed := h.ch.T("zh-CN", "telegram.triage.not_allowed", nil)
	for _, u := range []models.User{eve, alice} {
		if a := h.answerTo(h.press(u, menu, label(backend.MilestoneResourceRequested))); a.Params["show_alert"] != "true" || a.Params["text"] != notAllowed {
			t.Fatalf("%s's answer: %v", u.FirstName, a.Params)
		}
	}
	if ms := h.milestones(number); len(ms) != 0 {
		t.Fatalf("an outsider recorded %v", ms)
	}

	if a := h.answerTo(h.press(bob, menu, label(backend.MilestoneResourceRequested))); a.Params["text"] != "已更新" {
		t.Fatalf("answer: %v", a.Params)
	}
	if ms := h.milestones(number); !slices.Equal(ms, []backend.Milestone{backend.MilestoneResourceRequested}) {
		t.Fatalf("milestones %v, want [resource_requested]", ms)
	}
	_, events, err := h.svc.Thread(ctx, bobP, number)
	if err != nil {
		t.Fatal(err)
	}
	// (Notices of it may be recorded after it: look it up by kind.)
	if i := slices.IndexFunc(events, func(e *backend.Event) bool { return e.Kind == backend.EventMilestone }); i < 0 || events[i].ActorID != bobP.ID {
		t.Fatalf("events %+v, want bob's milestone", events)
	}
	h.waitCard(card, "the card's buttons after recording", func(m *models.Message) bool {
		return telegramtest.ButtonData(m, "受理") != "" && telegramtest.ButtonData(m, label(backend.MilestoneResourceRequested)) == ""
	})
	// The menu marks what is recorded.
	h.press(bob, card, "里程碑")
	menu = h.waitCard(card, "the milestone menu again", func(m *models.Message) bool {
		return telegramtest.ButtonData(m, label(backend.MilestoneResourcesArranged)) != ""
	})
	for _, row := range menu.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			recorded := strings.Contains(b.CallbackData, string(backend.MilestoneResourceRequested))
			if strings.HasPrefix(b.Text, "✓ ") != recorded {
				t.Errorf("milestone button %q: recorded %v", b.Text, recorded)
			}
		}
	}
	h.press(bob, menu, "返回")
	h.waitCard(card, "the card's buttons", func(m *models.Message) bool { return telegramtest.ButtonData(m, "受理") != "" })

	// Resolved: the report steps come after the solution.
	if _, err := h.svc.Claim(ctx, bobP, number); err != nil {
		t.Fatal(err)
	}
	h.waitCard(card, "the claimed card", func(m *models.Message) bool {
		return strings.Contains(m.Text, bobP.Name) && telegramtest.ButtonData(m, "受理") == "" && telegramtest.ButtonData(m, "里程碑") != ""
	})
	if _, err := h.svc.Resolve(ctx, bobP, number, "已修复保存接口"); err != nil {
		t.Fatal(err)
	}
	card = h.waitCard(card, "the resolved card with only Milestone and Add to knowledge base", func(m *models.Message) bool {
		return strings.Contains(m.Text, h.ch.render.Status("zh-CN", backend.StatusResolved)) && onlyButtons(m, "tk:ms:"+number, "tk:kb:"+number)
	})
	h.press(bob, card, "里程碑")
	menu = h.waitCard(card, "the milestone menu on the resolved card", func(m *models.Message) bool {
		return telegramtest.ButtonData(m, label(backend.MilestoneReportSubmitted)) != ""
	})
	if a := h.answerTo(h.press(bob, menu, label(backend.MilestoneReportSubmitted))); a.Params["text"] != "已更新" {
		t.Fatalf("answer on the resolved card: %v", a.Params)
	}
	if ms := h.milestones(number); !slices.Equal(ms, []backend.Milestone{backend.MilestoneResourceRequested, backend.MilestoneReportSubmitted}) {
		t.Fatalf("milestones %v, want [resource_requested report_submitted]", ms)
	}
	h.waitCard(card, "the resolved card's button back", func(m *models.Message) bool { return onlyButtons(m, "tk:ms:"+number, "tk:kb:"+number) })

	// Archived: nothing left to press.
	if _, err := h.svc.Transition(ctx, bobP, number, backend.StatusArchived, ""); err != nil {
		t.Fatal(err)
	}
	h.waitCard(card, "the archived card without buttons", func(m *models.Message) bool {
		return strings.Contains(m.Text, h.ch.render.Status("zh-CN", backend.StatusArchived)) && (m.ReplyMarkup == nil || len(m.ReplyMarkup.InlineKeyboard) == 0)
	})
}

// TestCardKeyboard: which buttons a card has in every status, and that
// every button's data, with the longest plausible number, fits
// Telegram's 64 bytes.
func TestCardKeyboard(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	c := &Channel{cat: cat, render: &botkit.Renderer{Cat: cat}}
	const number = "ABCDEFGH-20261122-123456"
	for _, st := range backend.Statuses {
		t.Run(string(st), func(t *testing.T) {
			tk := &backend.Ticket{Number: number, Status: st, Severity: backend.P3}
			var data []string
			for _, kb := range []*models.InlineKeyboardMarkup{c.cardKeyboard("en", tk), c.statusKeyboard("en", tk),
				c.severityKeyboard("en", tk), c.milestoneKeyboard("en", tk, nil)} {
				for _, row := range kb.InlineKeyboard {
					for _, b := range row {
						if len(b.CallbackData) > 64 || !strings.HasPrefix(b.CallbackData, "tk:") || !strings.HasSuffix(b.CallbackData, ":"+number) {
							t.Errorf("button %q has data %q (%d bytes)", b.Text, b.CallbackData, len(b.CallbackData))
						}
						data = append(data, b.CallbackData)
					}
				}
			}
			card := c.cardKeyboard("en", tk)
			var got []string
			for _, row := range card.InlineKeyboard {
				for _, b := range row {
					got = append(got, strings.TrimSuffix(b.CallbackData, ":"+number))
				}
			}
			switch {
			case st == backend.StatusArchived:
				if len(got) != 0 {
					t.Fatalf("an archived card has buttons: %v", got)
				}
			case st == backend.StatusResolved:
				if !slices.Equal(got, []string{"tk:ms"}) {
					t.Fatalf("a resolved card without a solution has %v, want only tk:ms", got)
				}
				solved := *tk
				solved.Solution = "已修复"
				if got := c.cardKeyboard("en", &solved).InlineKeyboard; len(got) != 1 || len(got[0]) != 2 || got[0][1].CallbackData != "tk:kb:"+number {
					t.Fatalf("a resolved card with a solution has %+v, want Milestone and Add to knowledge base", got)
				}
			default:
				if !slices.Contains(got, "tk:ms") || !slices.Contains(got, "tk:resolve") || !slices.Contains(got, "tk:dup") || slices.Contains(got, "tk:incident") {
					t.Fatalf("an open card has %v", got)
				}
				linked := *tk
				linked.IncidentID = 3
				var buttons []string
				for _, row := range c.cardKeyboard("en", &linked).InlineKeyboard {
					for _, b := range row {
						buttons = append(buttons, strings.TrimSuffix(b.CallbackData, ":"+number))
					}
				}
				if slices.Contains(buttons, "tk:dup") || !slices.Contains(buttons, "tk:incident") || !slices.Contains(buttons, "tk:incident_resolve") {
					t.Fatalf("an open card of a ticket in an incident has %v", buttons)
				}
			}
			for _, m := range backend.Milestones {
				if !slices.Contains(data, "tk:ms="+string(m)+":"+number) {
					t.Fatalf("the milestone menu lacks %s", m)
				}
			}
		})
	}
}

// TestTriageGroupBecomesSupergroup: the triage group is upgraded to a
// supergroup (Telegram does that when a group gets admins or a public
// link) and its id changes. deskbot follows it: the old cards are still
// edited where they are, new cards go to the supergroup, and assistants'
// replies there are served.
func TestTriageGroupBecomesSupergroup(t *testing.T) {
	const supergroup = -1001234567890
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	first := h.directTicket(alice, "会员中心积分明细页面打不开")
	card := h.tg.WaitMessage(t, triageChat, telegramtest.Containing(first))

	h.tg.Migrate(triageChat, supergroup)
	if _, err := h.svc.Claim(ctx, bobP, first); err != nil {
		t.Fatal(err)
	}
	h.tg.Wait(t, 10*time.Second, "the old card edited where it is", func() bool {
		m := h.tg.Message(triageChat, card.ID)
		return m != nil && strings.Contains(m.Text, "已分派")
	})
	second := h.directTicket(alice, "提单系统保存草稿时报错")
	newCard := h.tg.WaitMessage(t, supergroup, telegramtest.Containing(second))

	// Bob's reply to the new card, in the supergroup, reaches Alice.
	h.deliver(h.tg.Reply(bob, newCard, "请提供报错截图"))
	h.tg.WaitMessage(t, alice.ID, telegramtest.Containing(second, "请提供报错截图"))
	// Only sends (and getChat) to the old id are refused for the move; an
	// edit of the old card may get the harmless "message is not modified"
	// when two refreshes carry the same text.
	refused := 0
	for _, c := range h.tg.Calls() {
		moveRefusal := strings.HasPrefix(c.Method, "send") || c.Method == "getChat"
		if moveRefusal && c.Params["chat_id"] == itoa(triageChat) && c.Status == http.StatusBadRequest {
			refused++
		}
	}
	if refused != 1 {
		t.Fatalf("%d calls to the old id were refused; deskbot should learn from the first", refused)
	}
}

// TestTriageGroupMigrationMessage: the service message in the new
// supergroup is enough to follow it; no call to the old id is refused.
// After a restart, deskbot asks Telegram about the configured id and
// follows it again before anything is sent.
func TestTriageGroupMigrationMessage(t *testing.T) {
	const supergroup = -1001234567891
	h := newHarness(t, ModePoll)
	h.tg.Migrate(triageChat, supergroup)
	upd := h.tg.TextIn(bob, supergroup, "")
	upd.Message.MigrateFromChatID = triageChat
	h.deliver(upd)
	h.tg.Wait(t, 10*time.Second, "the channel to follow the group", func() bool { return h.ch.triage.Load() == supergroup })
	number := h.directTicket(alice, "会员中心积分明细页面打不开")
	h.tg.WaitMessage(t, supergroup, telegramtest.Containing(number))
	for _, c := range h.tg.Calls() {
		if c.Status == http.StatusBadRequest && c.Method != "getChat" {
			t.Fatalf("a call was refused: %s %v", c.Method, c.Params)
		}
	}

	// A restart: a fresh channel on the same (migrated) fake serves the
	// supergroup from the start.
	h.stop()
	again := newHarnessOn(t, h.tg)
	again.tg.Wait(t, 10*time.Second, "the restarted channel to follow the group", func() bool { return again.ch.triage.Load() == supergroup })
	again.deliver(again.tg.TextIn(bob, supergroup, "/help"))
	again.follow(supergroup).next("助理使用方法")
}

// TestReporterInTriageGroup: a reporter who is in the triage group and
// replies to a card there (with a photo, here) is told they are not
// allowed; nothing is downloaded or added to the ticket.
func TestReporterInTriageGroup(t *testing.T) {
	h := newHarness(t, ModePoll)
	number := h.directTicket(alice, "会员中心积分明细页面打不开")
	card := h.tg.WaitMessage(t, triageChat, telegramtest.Containing(number))
	upd := h.tg.Photo(alice, pngBytes(t), "我补充一张截图")
	upd.Message.Chat = card.Chat
	upd.Message.ReplyToMessage = card
	h.deliver(upd)
	h.tg.WaitMessage(t, triageChat, telegramtest.Containing("没有权限"))
	if n := len(h.tg.CallsTo("getFile")); n != 0 {
		t.Fatalf("%d getFile calls for a reply that is not allowed", n)
	}
	tk, err := h.store.Ticket(context.Background(), number)
	if err != nil || len(tk.Attachments) != 0 {
		t.Fatalf("ticket attachments %+v (%v)", tk.Attachments, err)
	}
}

// TestPrivateCard: the assignee's full card in their private chat moves
// with the ticket, and goes quiet once the ticket is someone else's; an
// assignment made elsewhere brings the new assignee the card, with its
// buttons.
func TestPrivateCard(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	h.linkAssistant(bob)
	carol := telegramtest.User(4001, "Carol", "zh-hans")
	carolP := h.linkAssistant(carol)
	number := h.directTicket(alice, "会员中心积分明细页面打不开")
	card := h.tg.WaitMessage(t, triageChat, telegramtest.Containing(number))

	h.press(bob, card, "tk:claim:"+number)
	mine := h.tg.WaitMessage(t, bob.ID, telegramtest.Containing("由您处理", number))
	if telegramtest.ButtonData(mine, "tk:resolve:"+number) == "" {
		t.Fatalf("no buttons on the private card: %+v", mine.ReplyMarkup)
	}
	// Moved to Carol from the console: Bob's card says so, without buttons;
	// Carol gets the full card with its buttons.
	bobP, err := h.store.PersonByAccount(ctx, Platform, itoa(bob.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Assign(ctx, bobP, number, carolP.ID); err != nil {
		t.Fatal(err)
	}
	hers := h.tg.WaitMessage(t, carol.ID, telegramtest.Containing("由您处理", number, "13800138000"))
	if telegramtest.ButtonData(hers, "tk:resolve:"+number) == "" {
		t.Fatalf("no buttons on the assigned card: %+v", hers.ReplyMarkup)
	}
	h.tg.Wait(t, 10*time.Second, "Bob's card to go quiet", func() bool {
		m := h.tg.Message(bob.ID, mine.ID)
		return strings.Contains(m.Text, "已不由您处理") && (m.ReplyMarkup == nil || len(m.ReplyMarkup.InlineKeyboard) == 0)
	})
	// Carol asks the reporter: her card shows the new status.
	if _, err := h.svc.Ask(ctx, carolP, number, "请提供截图"); err != nil {
		t.Fatal(err)
	}
	h.tg.Wait(t, 10*time.Second, "Carol's card to show the status", func() bool {
		return strings.Contains(h.tg.Message(carol.ID, hers.ID).Text, "待补充")
	})
}

// TestAcceptDispatched: a ticket assigned to Carol by someone else shows
// 确认接收 instead of 受理 on the triage card and on Carol's private card
// (seed 002: she must confirm it). Bob's press is refused and changes
// nothing; Carol's press accepts it, and the button goes away.
func TestAcceptDispatched(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	carolP := h.linkAssistant(carol)
	number := h.directTicket(alice, "会员中心积分兑换后积分没有扣减")
	card := h.tg.WaitMessage(t, triageChat, telegramtest.Containing(number))
	if _, err := h.svc.Assign(ctx, bobP, number, carolP.ID); err != nil {
		t.Fatal(err)
	}
	hers := h.tg.WaitMessage(t, carol.ID, telegramtest.Containing("由您处理", number))
	if telegramtest.ButtonData(hers, "确认接收") != "tk:claim:"+number {
		t.Fatalf("no 确认接收 on Carol's card: %+v", hers.ReplyMarkup)
	}
	h.waitCard(card, "确认接收 on the triage card", func(m *models.Message) bool {
		return telegramtest.ButtonData(m, "确认接收") == "tk:claim:"+number && telegramtest.ButtonData(m, "受理") == ""
	})

	if a := h.answerTo(h.press(bob, card, "确认接收")); a.Params["show_alert"] != "true" || !strings.Contains(a.Params["text"], "等待其确认接收") {
		t.Fatalf("Bob's press answered %v, want the dispatched error", a.Params)
	}
	if tk, err := h.store.Ticket(ctx, number); err != nil || tk.AssigneeID != carolP.ID || !tk.AcceptedAt.IsZero() {
		t.Fatalf("after Bob's press: %v, %+v", err, tk)
	}

	if a := h.answerTo(h.press(carol, hers, "确认接收")); a.Params["text"] != "已确认接收 "+number {
		t.Fatalf("Carol's press answered %v", a.Params)
	}
	tk, err := h.store.Ticket(ctx, number)
	if err != nil || tk.AssigneeID != carolP.ID || tk.AcceptedAt.IsZero() || tk.Status != backend.StatusAssigned {
		t.Fatalf("after Carol's press: %v, %+v", err, tk)
	}
	h.waitCard(hers, "Carol's card without 确认接收", func(m *models.Message) bool {
		return telegramtest.ButtonData(m, "确认接收") == "" && telegramtest.ButtonData(m, "tk:resolve:"+number) != ""
	})
	h.waitCard(card, "the triage card without 确认接收", func(m *models.Message) bool {
		return telegramtest.ButtonData(m, "确认接收") == "" && telegramtest.ButtonData(m, "tk:resolve:"+number) != ""
	})
}

// TestCardFiles: a card shows how many files the ticket has; pressing it
// sends them to the assistant in private, as photos with captions.
func TestCardFiles(t *testing.T) {
	h := newHarness(t, ModePoll)
	h.linkAssistant(bob)
	number := h.fileTicket(alice, h.follow(alice.ID), false)
	card := h.tg.WaitMessage(t, triageChat, telegramtest.Containing(number))
	if telegramtest.ButtonData(card, "附件（1）") != "tk:files:"+number {
		t.Fatalf("no files button on the card: %+v", card.ReplyMarkup)
	}
	answer := h.answerTo(h.press(bob, card, "tk:files:"+number))
	h.tg.Wait(t, 10*time.Second, "the photo in Bob's private chat", func() bool {
		for _, c := range h.tg.CallsTo("sendPhoto") {
			if c.Params["chat_id"] == itoa(bob.ID) && strings.Contains(c.Params["caption"], number+" 附件 1/1") {
				return true
			}
		}
		return false
	})
	if a := answer.Params["text"]; !strings.Contains(a, "已私信发给您 1 个附件") {
		t.Fatalf("answer %q", a)
	}
	// Nothing goes to the group.
	for _, c := range h.tg.CallsTo("sendPhoto") {
		if c.Params["chat_id"] == itoa(triageChat) {
			t.Fatal("a file was sent to the group")
		}
	}
	// A screenshot Telegram will not show as a photo (too long, say) goes
	// as a document.
	h.tg.FailNext("sendPhoto", 1, telegramtest.Fault{Code: 400, Description: "Bad Request: PHOTO_INVALID_DIMENSIONS"})
	card = h.tg.Message(card.Chat.ID, card.ID)
	if a := h.answerTo(h.press(bob, card, "tk:files:"+number)); !strings.Contains(a.Params["text"], "1 个附件") {
		t.Fatalf("answer %q", a.Params["text"])
	}
	if docs := h.tg.CallsTo("sendDocument"); len(docs) != 1 || docs[0].Params["chat_id"] != itoa(bob.ID) {
		t.Fatalf("documents sent: %+v", docs)
	}
}

// TestStaffFileReachesReporter: a file staff add to a ticket reaches its
// reporter as the file itself, the notice its caption, once; the reporter
// answers by replying to it. A file missing from the store still gets its
// notice, as text.
func TestStaffFileReachesReporter(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	number := h.directTicket(alice, "提单系统保存时一直转圈，无法提交")
	h.tg.WaitMessage(t, triageChat, telegramtest.Containing(number))
	shot := pngBytes(t)
	a, err := h.files.Put(bytes.NewReader(shot), "修复后.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.AddAttachment(ctx, bobP, number, a); err != nil {
		t.Fatal(err)
	}
	got := h.tg.WaitMessage(t, alice.ID, telegramtest.Containing(number, "新增附件：修复后.png"))
	if len(got.Photo) == 0 || got.Text != "" {
		t.Fatalf("the reporter got %+v, want the photo with the notice as its caption", got)
	}
	var uploads [][]byte
	for _, c := range h.tg.CallsTo("sendPhoto") {
		if c.Params["chat_id"] == itoa(alice.ID) && c.Status == 200 {
			uploads = append(uploads, c.Uploads["photo"])
		}
	}
	if len(uploads) != 1 || !bytes.Equal(uploads[0], shot) {
		t.Fatalf("%d photos sent to the reporter, want the screenshot once", len(uploads))
	}
	rep := h.follow(alice.ID)
	h.deliver(h.tg.Reply(alice, got, "收到，已经好了"))
	rep.next("已补充到工单 " + number)

	gone := backend.Attachment{SHA256: strings.Repeat("ab", 32), Name: "丢失.png", Size: 10, ContentType: "image/png"}
	if _, err := h.svc.AddAttachment(ctx, bobP, number, gone); err != nil {
		t.Fatal(err)
	}
	if m := h.tg.WaitMessage(t, alice.ID, telegramtest.Containing(number, "新增附件：丢失.png")); m.Text == "" {
		t.Fatalf("the notice of a missing file: %+v", m)
	}
}

// TestTransfer: Transfer (转派) on the card offers the other teams;
// picking one asks for the reason, and the reply hands the ticket to that
// team: unassigned, the reporter told which team has it now, the card's
// thread told why.
func TestTransfer(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	h.linkAssistant(bob)
	finance, members := &backend.Team{Name: "财务组"}, &backend.Team{Name: "会员中心组"}
	for _, tm := range []*backend.Team{finance, members} {
		if err := h.store.CreateTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	number := h.directTicket(alice, "退款一直没有到账，已经一周了")
	rep := h.follow(alice.ID)
	group := h.follow(triageChat)
	card := group.next(number)

	h.press(bob, card, "tk:xfer:"+number)
	menu := h.waitCard(card, "the team menu", func(m *models.Message) bool { return telegramtest.ButtonData(m, "财务组") != "" })
	want := "tk:tm=" + strconv.FormatInt(finance.ID, 10) + ":" + number
	if got := telegramtest.ButtonData(menu, "财务组"); got != want || telegramtest.ButtonData(menu, "会员中心组") == "" {
		t.Fatalf("team menu: 财务组 → %q (want %q): %+v", got, want, menu.ReplyMarkup)
	}
	// The reporter may not.
	if a := h.answerTo(h.press(alice, menu, "财务组")); a.Params["show_alert"] != "true" {
		t.Fatalf("reporter's answer: %v", a.Params)
	}

	h.press(bob, menu, "财务组")
	prompt := group.next("转派 "+number+" 到财务组", "回复")
	h.deliver(h.tg.Reply(bob, prompt, "退款问题归财务组处理"))
	group.next(number, "已转派")
	tk, err := h.store.Ticket(ctx, number)
	if err != nil || tk.TeamID != finance.ID || tk.AssigneeID != 0 || tk.Status != backend.StatusNew {
		t.Fatalf("after the transfer: %+v, %v", tk, err)
	}
	rep.next(number, "已转交财务组处理", "退款问题归财务组处理")
	notice := h.tg.WaitMessage(t, triageChat, telegramtest.Containing(number, "转交财务组", "退款问题归财务组处理"))
	if notice.ReplyToMessage == nil || notice.ReplyToMessage.ID != card.ID {
		t.Fatalf("the triage notice does not reply to the card: %+v", notice.ReplyToMessage)
	}
}

// TestDeactivatedAssistant: an assistant who left and was deactivated can
// no longer claim from the card (nothing changes), and in a private chat
// is told the account was deactivated; reactivated, the card works again.
func TestDeactivatedAssistant(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	number := h.directTicket(alice, "会员中心积分明细页面打不开")
	card := h.follow(triageChat).next(number)
	if _, _, err := h.svc.Deactivate(ctx, bobP.ID); err != nil {
		t.Fatal(err)
	}
	notAllowed := h.ch.T("zh-CN", "telegram.triage.not_allowed", nil)
	if a := h.answerTo(h.press(bob, card, "tk:claim:"+number)); a.Params["show_alert"] != "true" || a.Params["text"] != notAllowed {
		t.Fatalf("a deactivated assistant's press was answered %v", a.Params)
	}
	if tk, err := h.store.Ticket(ctx, number); err != nil || tk.AssigneeID != 0 {
		t.Fatalf("after a deactivated assistant pressed Claim: %+v (%v)", tk, err)
	}
	h.deliver(h.tg.Text(bob, "/new"))
	h.follow(bob.ID).next("账号已被停用", "联系管理员")

	if _, err := h.svc.Reactivate(ctx, bobP.ID); err != nil {
		t.Fatal(err)
	}
	if a := h.answerTo(h.press(bob, card, "tk:claim:"+number)); a.Params["show_alert"] == "true" {
		t.Fatalf("a reactivated assistant's press was refused: %v", a.Params)
	}
	h.waitCard(card, "the claimed card", func(m *models.Message) bool { return strings.Contains(m.Text, bobP.Name) })
}

// TestCardCountsSimilar: a card counts the other open tickets that look
// like it, by region, and names them (seed 000 Q3: 根据发生时间和区域,综合同类
// 问题数量集中反馈); the first card learns of the second when it is next
// edited; a ticket in an incident is named with it.
func TestCardCountsSimilar(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	triage := h.follow(triageChat)
	first := h.directTicket(alice, "提单系统保存草稿后草稿丢失了")
	card1 := triage.next(first)
	if strings.Contains(card1.Text, "📊") {
		t.Fatalf("the first card counts similar tickets: %q", card1.Text)
	}
	second, err := h.svc.CreateTicket(ctx, h.reporterOf(dave), backend.NewTicket{Prefix: "FB", Form: "feedback", Summary: "提单系统保存草稿后草稿又丢失了",
		CategoryPath: []string{"CRM问题", "提单系统"}, OccurredAt: time.Now().Add(-time.Hour), Region: "华东",
		Severity: backend.P3, Contacts: backend.Contacts{Phone: "13900139000"}, Channel: "api"})
	if err != nil {
		t.Fatal(err)
	}
	triage.next(second.Number, "📊 近 7 天相似的未结工单 1 张（华北 1）："+first, "🔗 同类问题")
	h.directTicket(carol, "会员中心打不开，一直转圈圈") // not alike

	bobP := h.linkAssistant(bob)
	incident, err := h.svc.CreateIncident(ctx, bobP, "提单系统草稿丢失")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.LinkIncident(ctx, bobP, second.Number, incident.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Claim(ctx, bobP, first); err != nil {
		t.Fatal(err)
	}
	h.waitCard(card1, "the first card counts the second", func(cur *models.Message) bool {
		return strings.Contains(cur.Text, "📊 近 7 天相似的未结工单 1 张（华东 1）："+second.Number+"（"+backend.IncidentRef(incident.ID)+"）")
	})
}
