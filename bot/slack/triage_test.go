package slack

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// TestActionModalKeepsTextWhenRefused: a Resolve modal opened from a card
// whose ticket was returned meanwhile is refused on its text field, and
// Slack keeps the typed solution; the refreshed card no longer offers
// actions the returned ticket cannot take.
func TestActionModalKeepsTextWhenRefused(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	staff := h.linkStaff(helper)
	tk := h.fileTicket(backend.P3)
	card := h.fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	if _, ok := card.Buttons()["tk:resolve"]; !ok {
		t.Fatalf("no Resolve on a new ticket's card: %v", card.Buttons())
	}
	// The card as the assistant still sees it, and the ticket returned
	// elsewhere.
	h.fake.Press(t, helper, card, "tk:resolve", tk.Number, "")
	av := h.fake.WaitView(t, helper, func(v *slacktest.View) bool { return v.CallbackID() == cbAct })
	if _, err := h.svc.Return(context.Background(), staff, tk.Number, "不归我们管"); err != nil {
		t.Fatal(err)
	}
	action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: "很长的解决方案……第一步……第二步……"}}})
	if action != "errors" || errs["text"] == "" {
		t.Fatalf("modal answered %q %v: the typed solution is lost", action, errs)
	}
	if tk, err := h.store.Ticket(context.Background(), tk.Number); err != nil || tk.Status != backend.StatusReturned {
		t.Fatalf("ticket after the refused resolve: %+v, %v", tk, err)
	}

	poll(t, "the card updated", func() bool { m, _ := h.fake.Message(triage, card.TS); return m.Updates > 0 })
	m, _ := h.fake.Message(triage, card.TS)
	for _, a := range []string{"tk:ask", "tk:return", "tk:resolve"} {
		if _, ok := m.Buttons()[a]; ok {
			t.Errorf("a returned ticket's card offers %s: %v", a, m.Buttons())
		}
	}

	t.Run("OK", func(t *testing.T) {
		tk := h.fileTicket(backend.P3)
		card := h.fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
		h.fake.Press(t, helper, card, "tk:ask", tk.Number, "")
		av := h.fake.WaitView(t, helper, func(v *slacktest.View) bool {
			return v.CallbackID() == cbAct && strings.Contains(v.Metadata(), tk.Number)
		})
		if action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: "请提供房源编号"}}}); action == "errors" {
			t.Fatalf("the question was refused: %v", errs)
		}
		got, err := h.store.Ticket(context.Background(), tk.Number)
		if err != nil || got.Status != backend.StatusWaitingReporter {
			t.Fatalf("ticket after Ask: %+v, %v", got, err)
		}
	})
}

// TestCardCatchesUpAfterRateLimit: a card edit refused with a 429 longer
// than MaxWait is made again after Slack's Retry-After; the card does not
// stay stale until the next change.
func TestCardCatchesUpAfterRateLimit(t *testing.T) {
	h := newHarnessConfig(t, ModeSocket, func(c *Config) { c.MaxWait = 500 * time.Millisecond })
	h.linkStaff(helper)
	tk := h.fileTicket(backend.P3)
	card := h.fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	h.remembered(triage, card.TS)
	// The button's edit and the change's catching up are both refused.
	h.fake.RateLimit("chat.update", 2, 2*time.Second)
	h.fake.Press(t, helper, card, "tk:claim", tk.Number, "")
	h.fake.WaitMessage(t, "the claim notice", inChannel(dmChannel(reporter), "*", tk.Number, "受理"))
	poll(t, "the card without Claim", func() bool {
		m, _ := h.fake.Message(triage, card.TS)
		_, claim := m.Buttons()["tk:claim"]
		return !claim && m.Updates > 0
	})
	if n := h.fake.Calls("chat.update"); n < 3 {
		t.Errorf("chat.update called %d times, want the two 429s and a retry", n)
	}
}

// TestAcceptDispatched: a ticket assigned to the helper by someone else
// shows 确认接收 where Claim was (seed 002: they must confirm it). Another
// assistant's press is refused; the helper's press accepts it and the
// button goes away.
func TestAcceptDispatched(t *testing.T) {
	h := newHarness(t, ModeSocket)
	staff := h.linkStaff(helper)
	other := h.linkStaff("UOTHER")
	tk := h.fileTicket(backend.P3)
	card := h.fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	if _, err := h.svc.Assign(context.Background(), other, tk.Number, staff.ID); err != nil {
		t.Fatal(err)
	}
	poll(t, "确认接收 on the card", func() bool {
		m, _ := h.fake.Message(triage, card.TS)
		_, claim := m.Buttons()["tk:claim"]
		return claim && strings.Contains(string(m.Blocks), "确认接收")
	})
	h.fake.Press(t, "UOTHER", card, "tk:claim", tk.Number, "")
	h.fake.WaitMessage(t, "the refusal", func(m slacktest.Message) bool {
		return m.Ephemeral == "UOTHER" && strings.Contains(m.Text, "等待其确认接收")
	})
	if got, err := h.store.Ticket(context.Background(), tk.Number); err != nil || got.AssigneeID != staff.ID || !got.AcceptedAt.IsZero() {
		t.Fatalf("after the other's press: %+v, %v", got, err)
	}
	h.fake.Press(t, helper, card, "tk:claim", tk.Number, "")
	poll(t, "the acceptance", func() bool {
		got, err := h.store.Ticket(context.Background(), tk.Number)
		return err == nil && got.AssigneeID == staff.ID && !got.AcceptedAt.IsZero()
	})
	poll(t, "the card without 确认接收", func() bool {
		m, _ := h.fake.Message(triage, card.TS)
		_, claim := m.Buttons()["tk:claim"]
		return !claim && !strings.Contains(string(m.Blocks), "确认接收")
	})
}

// TestTransfer: the card's Transfer (转派) select offers the other teams;
// a pick opens a modal for the reason (an empty one is refused on the
// field), and its submission hands the ticket to that team: unassigned,
// the reporter told which team has it now and why, the card's select
// offering the other teams from then on.
func TestTransfer(t *testing.T) {
	h := newHarness(t, ModeSocket)
	ctx := context.Background()
	staff := h.linkStaff(helper)
	finance, members := &backend.Team{Name: "财务组"}, &backend.Team{Name: "会员中心组"}
	for _, tm := range []*backend.Team{finance, members} {
		if err := h.store.CreateTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	tk := h.fileTicket(backend.P3)
	if _, err := h.svc.Claim(ctx, staff, tk.Number); err != nil {
		t.Fatal(err)
	}
	card := h.fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	financeOpt := strconv.FormatInt(finance.ID, 10) + " " + tk.Number
	if opts := card.Options("tk:xfer"); !slices.Contains(opts, financeOpt) || len(opts) < 2 {
		t.Fatalf("Transfer offers %v, want %q among them", opts, financeOpt)
	}

	h.fake.Press(t, helper, card, "tk:xfer", "", financeOpt)
	av := h.fake.WaitView(t, helper, func(v *slacktest.View) bool { return v.CallbackID() == cbAct })
	if raw, _ := json.Marshal(av.Raw); av.Metadata() != "transfer="+strconv.FormatInt(finance.ID, 10)+"|"+tk.Number+"|"+triage || !strings.Contains(string(raw), "到财务组的原因") {
		t.Fatalf("the transfer modal: %s %s", av.Metadata(), raw)
	}
	if action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: ""}}}); action != "errors" || errs["text"] == "" {
		t.Fatalf("an empty reason answered %q %v", action, errs)
	}
	if action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: "退款问题归财务组处理"}}}); action == "errors" {
		t.Fatalf("the transfer was refused: %v", errs)
	}
	got, err := h.store.Ticket(ctx, tk.Number)
	if err != nil || got.TeamID != finance.ID || got.AssigneeID != 0 || got.Status != backend.StatusNew {
		t.Fatalf("after the transfer: %+v, %v", got, err)
	}
	h.fake.WaitMessage(t, "the reporter told", inChannel(dmChannel(reporter), "*", tk.Number, "已转交财务组处理", "退款问题归财务组处理"))
	poll(t, "the card offering the other teams", func() bool {
		m, _ := h.fake.Message(triage, card.TS)
		opts := m.Options("tk:xfer")
		return len(opts) > 0 && !slices.Contains(opts, financeOpt)
	})
}
