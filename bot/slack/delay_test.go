package slack

import (
	"context"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// TestExplainDelay (seed 002: 超时需提前向客户说明并报备主管): a claimed
// ticket's card offers ⏳ 延期说明; its modal's reason reaches the
// reporter's DM. Someone who does not hold the ticket is refused on the
// modal's field (Slack keeps what was typed).
func TestExplainDelay(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	ctx := context.Background()
	staff := h.linkStaff(helper)
	tk := h.fileTicket(backend.P3)
	card := h.fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	if _, ok := card.Buttons()["tk:delay"]; ok {
		t.Fatalf("an unclaimed card offers the delay: %v", card.Buttons())
	}
	other := &backend.Person{Name: "other", Roles: []backend.Role{backend.RoleAssistant}}
	if err := h.svc.CreatePerson(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Claim(ctx, other, tk.Number); err != nil {
		t.Fatal(err)
	}
	poll(t, "the claimed card offers ⏳", func() bool {
		m, _ := h.fake.Message(triage, card.TS)
		_, ok := m.Buttons()["tk:delay"]
		return ok
	})
	card, _ = h.fake.Message(triage, card.TS)

	// The helper does not hold it.
	h.fake.Press(t, helper, card, "tk:delay", tk.Number, "")
	av := h.fake.WaitView(t, helper, func(v *slacktest.View) bool { return v.CallbackID() == cbAct })
	action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: "明天再看"}}})
	if action != "errors" || !strings.Contains(errs["text"], "只有工单 "+tk.Number+" 的处理人和主管") {
		t.Fatalf("modal answered %q %v, want refused on its text", action, errs)
	}

	// Handed to the helper, who explains it.
	if _, err := h.svc.Assign(ctx, staff, tk.Number, staff.ID); err != nil {
		t.Fatal(err)
	}
	h.fake.Press(t, helper, card, "tk:delay", tk.Number, "")
	av = h.fake.WaitView(t, helper, func(v *slacktest.View) bool {
		return v.CallbackID() == cbAct && strings.Contains(v.Metadata(), "delay") && v.ID != av.ID
	})
	if action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: "需要供应商排查接口，预计周三前解决"}}}); action == "errors" {
		t.Fatalf("the delay was refused: %v", errs)
	}
	h.fake.WaitMessage(t, "the reporter's delay notice", inChannel(dmChannel(reporter), "*", tk.Number, "需要更多时间处理", "需要供应商排查接口"))
}

// TestPlanFromCard (seed 002: 纳入需求池): a P4 (长期规划类需求) its
// holder's card offers 📥 纳入需求池; the modal's plan reaches the
// reporter's DM. A P3's card has no such button.
func TestPlanFromCard(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	ctx := context.Background()
	staff := h.linkStaff(helper)
	p3, p4 := h.fileTicket(backend.P3), h.fileTicket(backend.P4)
	for _, tk := range []*backend.Ticket{p3, p4} {
		if _, err := h.svc.Claim(ctx, staff, tk.Number); err != nil {
			t.Fatal(err)
		}
	}
	cardOf := func(tk *backend.Ticket) slacktest.Message {
		t.Helper()
		// The card whose buttons are the ticket's (the other's card names
		// it as a similar ticket).
		card := h.fake.WaitMessage(t, "the card", func(m slacktest.Message) bool {
			return m.Channel == triage && m.Buttons()["tk:dup"] == tk.Number
		})
		poll(t, "the claimed card", func() bool {
			m, _ := h.fake.Message(triage, card.TS)
			_, ok := m.Buttons()["tk:delay"]
			return ok
		})
		card, _ = h.fake.Message(triage, card.TS)
		return card
	}
	if _, ok := cardOf(p3).Buttons()["tk:plan"]; ok {
		t.Fatal("a P3's card offers the backlog")
	}
	card := cardOf(p4)
	if card.Buttons()["tk:plan"] != p4.Number {
		t.Fatalf("the P4's card: %v", card.Buttons())
	}
	h.fake.Press(t, helper, card, "tk:plan", p4.Number, "")
	av := h.fake.WaitView(t, helper, func(v *slacktest.View) bool { return v.CallbackID() == cbAct && strings.Contains(v.Metadata(), "plan") })
	if action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: "纳入 Q4 需求池，预计 12 月上线"}}}); action == "errors" {
		t.Fatalf("the plan was refused: %v", errs)
	}
	h.fake.WaitMessage(t, "the reporter's plan notice", inChannel(dmChannel(reporter), "*", p4.Number, "已纳入需求池", "纳入 Q4 需求池"))
}
