package telegram

import (
	"context"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

// TestInternalNote: staff replying to a card with "//" keep a note on the
// ticket that the reporter never sees; a reply without it still goes to
// the reporter.
func TestInternalNote(t *testing.T) {
	h := newHarness(t, ModePoll, func(c *Config) { c.TriageLocale = "en" })
	h.linkAssistant(bob)
	number := h.directTicket(alice, "提单系统保存时一直转圈，无法提交")
	group := h.follow(triageChat)
	card := group.next(number, "unclaimed")

	h.deliver(h.tg.Reply(bob, card, "// 先查一下网关日志，别告诉客户"))
	group.next("internal note", number)
	h.deliver(h.tg.Reply(bob, card, "//   "))
	group.next("Please reply with text")
	// A file cannot be internal: refused, not attached, not sent.
	shot := h.tg.PhotoIn(bob, triageChat, pngBytes(t), "// 网关日志截图")
	shot.Message.ReplyToMessage = card
	h.deliver(shot)
	group.next("cannot carry a file")
	h.deliver(h.tg.Reply(bob, card, "已经在排查，稍等"))
	h.tg.WaitMessage(t, alice.ID, telegramtest.Containing(number, "已经在排查"))
	h.none(alice.ID, "网关日志", "an internal note reached the reporter")

	admin := &backend.Person{ID: -1, Roles: []backend.Role{backend.RoleAdmin}}
	_, events, err := h.svc.Thread(context.Background(), admin, number)
	if err != nil {
		t.Fatal(err)
	}
	var notes, replies int
	for _, e := range events {
		switch {
		case e.Kind != backend.EventComment:
		case e.Body == "先查一下网关日志，别告诉客户" && !e.Public:
			notes++
		case strings.Contains(e.Body, "网关日志"):
			t.Fatalf("the note was stored as %+v", e)
		case e.Body == "已经在排查，稍等" && e.Public:
			replies++
		}
	}
	if notes != 1 || replies != 1 {
		t.Fatalf("%d internal notes and %d public replies, want 1 and 1: %+v", notes, replies, events)
	}
	if tk, err := h.store.Ticket(context.Background(), number); err != nil || len(tk.Attachments) != 0 {
		t.Fatalf("after the internal file: %+v, %v; want no attachment", tk, err)
	}
	if n := len(h.tg.CallsTo("sendPhoto")); n != 0 {
		t.Fatalf("%d photos sent, want none", n)
	}
}

// TestDuplicatesFromCard: an assistant groups a ticket with another from
// its card (a wrong number is named, and the prompt still takes the
// right one), both reporters hear it and both cards show the incident;
// resolving the incident from one card resolves both tickets, and the
// resolved card files the solution in the knowledge base, once.
func TestDuplicatesFromCard(t *testing.T) {
	h := newHarness(t, ModePoll, func(c *Config) { c.TriageLocale = "en" })
	ctx := context.Background()
	h.linkAssistant(bob)
	first := h.directTicket(alice, "放心房标识在后台不显示")
	second := h.directTicket(eve, "后台看不到放心房标识了")
	group := h.follow(triageChat)
	cardFirst := group.next(first, "unclaimed")
	cardSecond := group.next(second, "unclaimed")

	h.press(bob, cardSecond, "tk:dup:"+second)
	prompt := group.next("Handle "+second+" together", "reply to this message")
	h.deliver(h.tg.Reply(bob, prompt, "FB-2026112"))
	group.next(`"FB-2026112" is neither a ticket number`)
	h.deliver(h.tg.Reply(bob, prompt, first))
	done := group.next(second, "joined incident INC-")
	tk, err := h.store.Ticket(ctx, second)
	if err != nil || tk.IncidentID == 0 {
		t.Fatalf("second after the reply: %+v, %v", tk, err)
	}
	ref := backend.IncidentRef(tk.IncidentID)
	if !strings.Contains(done.Text, ref) {
		t.Fatalf("done = %q, want %s", done.Text, ref)
	}
	if other, err := h.store.Ticket(ctx, first); err != nil || other.IncidentID != tk.IncidentID {
		t.Fatalf("first after the reply: %+v, %v", other, err)
	}
	for _, u := range []int64{alice.ID, eve.ID} {
		h.tg.WaitMessage(t, u, telegramtest.Containing("集中处理", ref))
	}
	for _, card := range []*models.Message{cardFirst, cardSecond} {
		h.waitCard(card, "the card in the incident", func(m *models.Message) bool {
			return strings.Contains(m.Text, "Incident: "+ref) && telegramtest.ButtonData(m, "Resolve incident") != "" && telegramtest.ButtonData(m, "Duplicate of…") == ""
		})
	}

	h.press(bob, cardFirst, "Resolve incident")
	prompt = group.next("Resolve incident "+ref, "reply to this message")
	h.deliver(h.tg.Reply(bob, prompt, "放心房标识已批量恢复"))
	group.next("Incident " + ref + " is resolved")
	for _, n := range []string{first, second} {
		if s := h.status(n); s != backend.StatusResolved {
			t.Fatalf("%s is %s after the incident's resolution", n, s)
		}
	}
	for _, u := range []int64{alice.ID, eve.ID} {
		h.tg.WaitMessage(t, u, telegramtest.Containing("已解决", "放心房标识已批量恢复"))
	}

	cardFirst = h.waitCard(cardFirst, "the resolved card", func(m *models.Message) bool { return onlyButtons(m, "tk:ms:"+first, "tk:kb:"+first) })
	if a := h.answerTo(h.press(bob, cardFirst, "tk:kb:"+first)); !strings.Contains(a.Params["text"], "Added to the knowledge base: KB-") {
		t.Fatalf("first press of Add to knowledge base: %v", a.Params)
	}
	if a := h.answerTo(h.press(bob, cardFirst, "tk:kb:"+first)); !strings.Contains(a.Params["text"], "in the knowledge base already") {
		t.Fatalf("second press of Add to knowledge base: %v", a.Params)
	}
	admin := &backend.Person{ID: -1, Roles: []backend.Role{backend.RoleAdmin}}
	page, err := h.svc.KBEntries(ctx, admin, backend.KBFilter{Limit: 10})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Number != first || page.Entries[0].Body != "放心房标识已批量恢复" {
		t.Fatalf("knowledge base = %+v, %v; want one entry from %s", page, err, first)
	}
}
