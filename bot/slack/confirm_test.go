package slack

import (
	"context"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// TestConfirmSolution: a solution put to the reporter (pending
// confirmation) reaches their DM with 已解决 / 仍未解决, and /ticket status
// shows them too; 仍未解决 pressed there puts the ticket back in progress
// and replaces the buttons with what it did; a solution proposed from the
// card asks for it in a modal; 已解决 typed resolves it, and the resolution
// asks for the rating, as the ticket's status does until it is rated.
func TestConfirmSolution(t *testing.T) {
	h := newHarness(t, ModeSocket)
	ctx := context.Background()
	bob := h.linkStaff(helper)
	tk := h.fileTicket(backend.P3)
	if _, err := h.svc.Claim(ctx, bob, tk.Number); err != nil {
		t.Fatal(err)
	}
	status := func(want backend.Status) {
		t.Helper()
		poll(t, "status "+string(want), func() bool {
			cur, err := h.store.Ticket(ctx, tk.Number)
			return err == nil && cur.Status == want
		})
	}
	withButtons := func(parts ...string) func(slacktest.Message) bool {
		return func(m slacktest.Message) bool {
			if _, ok := m.Buttons()["cf:y"]; !ok || m.Channel != dmChannel(reporter) {
				return false
			}
			for _, p := range append(parts, tk.Number) {
				if !strings.Contains(m.Text, p) {
					return false
				}
			}
			return true
		}
	}

	if _, err := h.svc.Transition(ctx, bob, tk.Number, backend.StatusPendingConfirmation, "已重新推送放心房标识"); err != nil {
		t.Fatal(err)
	}
	notice := h.fake.WaitMessage(t, "the solution with its buttons", withButtons("已给出解决方案", "已重新推送"))
	if b := notice.Buttons(); b["cf:y"] != tk.Number || b["cf:n"] != tk.Number {
		t.Fatalf("buttons %v", b)
	}
	// /ticket status, typed in a channel, offers them too, to the
	// reporter only; the answer replaces that ephemeral message through
	// the press's response_url (chat.update cannot edit it).
	h.fake.Slash(t, reporter, "C1", "/ticket", "status "+tk.Number)
	shown := h.fake.WaitMessage(t, "the status with its buttons", func(m slacktest.Message) bool {
		return m.Ephemeral == reporter && strings.Contains(m.Text, "待客户确认") && m.Buttons()["cf:n"] == tk.Number
	})
	h.fake.Press(t, reporter, shown, "cf:n", tk.Number, "")
	status(backend.StatusInProgress)
	poll(t, "the status's buttons replaced", func() bool {
		m, _ := h.fake.Message(shown.Channel, shown.TS)
		_, open := m.Buttons()["cf:y"]
		return !open && strings.Contains(m.Text, "仍未解决")
	})
	// The notice's buttons are stale now: a press is refused, and
	// changes nothing; so is a second press on the status.
	h.fake.Press(t, reporter, notice, "cf:y", tk.Number, "")
	h.fake.WaitMessage(t, "the refusal", func(m slacktest.Message) bool {
		return m.Channel == dmChannel(reporter) && m.Ephemeral == "" && strings.Contains(m.Text, "不在待确认状态")
	})
	h.fake.Press(t, reporter, shown, "cf:y", tk.Number, "")
	h.fake.WaitMessage(t, "the refusal to the reporter only", func(m slacktest.Message) bool {
		return m.Channel == "C1" && m.Ephemeral == reporter && strings.Contains(m.Text, "不在待确认状态")
	})
	status(backend.StatusInProgress)

	// The second solution is proposed from the card: 待客户确认 in its
	// status menu opens a modal for the solution, as Resolve does.
	card := h.fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	h.fake.Press(t, helper, card, "tk:status", "", "pending_confirmation "+tk.Number)
	av := h.fake.WaitView(t, helper, func(v *slacktest.View) bool {
		return v.CallbackID() == cbAct && v.Metadata() == "propose|"+tk.Number+"|"+triage
	})
	status(backend.StatusInProgress)
	if action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: " "}}}); action != "errors" || errs["text"] == "" {
		t.Fatalf("an empty solution answered %q %v", action, errs)
	}
	if action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: "已清理缓存"}}}); action == "errors" {
		t.Fatalf("the solution was refused: %v", errs)
	}
	status(backend.StatusPendingConfirmation)
	h.fake.WaitMessage(t, "the second solution", withButtons("已清理缓存"))
	h.fake.DM(t, reporter, "已解决", "")
	status(backend.StatusResolved)
	h.fake.WaitMessage(t, "the answer", func(m slacktest.Message) bool {
		return m.Channel == dmChannel(reporter) && strings.Contains(m.Text, "已确认") && strings.Contains(m.Text, tk.Number)
	})
	h.fake.WaitMessage(t, "the resolution with rating buttons", func(m slacktest.Message) bool {
		_, ok := m.Buttons()["rt:satisfied"]
		return ok && m.Channel == dmChannel(reporter) && strings.Contains(m.Text, "您已确认问题解决")
	})

	// Not rated yet: the ticket's number typed in the DM shows it with
	// the rating buttons, which work there as under the notice.
	h.fake.DM(t, reporter, tk.Number, "")
	shown = h.fake.WaitMessage(t, "the status with rating buttons", func(m slacktest.Message) bool {
		return m.Channel == dmChannel(reporter) && strings.Contains(m.Text, "已完成") && m.Buttons()["rt:basically"] == tk.Number
	})
	h.fake.Press(t, reporter, shown, "rt:basically", tk.Number, "")
	poll(t, "the rating recorded", func() bool {
		cur, err := h.store.Ticket(ctx, tk.Number)
		return err == nil && cur.Satisfaction == backend.SatisfactionBasically
	})
	poll(t, "the status's buttons replaced", func() bool {
		m, _ := h.fake.Message(shown.Channel, shown.TS)
		_, open := m.Buttons()["rt:basically"]
		return !open && m.Updates > 0
	})
}
