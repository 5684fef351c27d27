package telegram

import (
	"context"
	"strings"
	"testing"

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
}
