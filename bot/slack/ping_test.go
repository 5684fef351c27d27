package slack

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/sla"
	"github.com/deskbot/deskbot/bot/botkit/botkittest"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

const other = "UCAROL"

// pinged files a ticket for the reporter, has assignee (linked to the
// Slack user helper) claim it and breaches its first clock: the ping in
// the assignee's DM.
func (h *harness) pinged(assignee *backend.Person) (*backend.Ticket, slacktest.Message) {
	h.t.Helper()
	ctx := context.Background()
	p, err := h.ch.reporter(ctx, reporter)
	if err != nil {
		h.t.Fatal(err)
	}
	tk, err := h.svc.CreateTicket(ctx, p, backend.NewTicket{Prefix: "FB", Summary: "放心房上线后在前台不显示", CategoryPath: []string{"产品线问题"},
		OccurredAt: time.Now().Add(-time.Hour), Region: "北京", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: Platform})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.svc.Claim(ctx, assignee, tk.Number); err != nil {
		h.t.Fatal(err)
	}
	h.escalate(tk.Number)
	return tk, h.fake.WaitMessage(h.t, "the ping", inChannel(dmChannel(helper), "", tk.Number, "升级"))
}

// escalate breaches the ticket's first running clock through the SLA
// engine, as its timer would: step 1 pings the assignee.
func (h *harness) escalate(number string) {
	h.t.Helper()
	ctx := context.Background()
	pol, err := sla.ParsePolicy(sla.DefaultPolicyYAML(), "default")
	if err != nil {
		h.t.Fatal(err)
	}
	cal, err := pol.NewCalendarFor(sla.DefaultHolidays(), sla.CalendarConfig{})
	if err != nil {
		h.t.Fatal(err)
	}
	eng := sla.NewEngine(sla.Config{Store: h.store, Policy: pol, Calendar: cal, Changed: func(int64) { h.disp.Wake() }})
	t, err := h.store.Ticket(ctx, number)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := eng.Sync(ctx, t.ID); err != nil {
		h.t.Fatal(err)
	}
	clocks, err := h.store.Clocks(ctx, t.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, c := range clocks {
		if c.State == backend.ClockRunning {
			if err := eng.Fire(ctx, sla.Timer{What: sla.TimerBreach, TicketID: t.ID, Clock: c.Name, Run: c.Run, Generation: c.Generation}); err != nil {
				h.t.Fatal(err)
			}
			return
		}
	}
	h.t.Fatalf("no running clock on %s: %+v", number, clocks)
}

// acks counts the ticket's acknowledged events.
func (h *harness) acks(number string) int {
	h.t.Helper()
	_, evs, err := h.svc.Thread(context.Background(), &backend.Person{ID: -1, Roles: []backend.Role{backend.RoleAdmin}}, number)
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Kind == backend.EventAcknowledged {
			n++
		}
	}
	return n
}

// TestEscalationPing: a breach pings the assignee in their DM with
// Acknowledge / Reassign / Open; a reporter's presses change nothing; the
// assignee's own Acknowledge is refused; Open shows the card (ephemeral,
// unmasked); Reassign assigns; Acknowledge (by Bob, no longer the
// assignee) records one acknowledged event and a second press is told so.
func TestEscalationPing(t *testing.T) {
	h := newHarnessWith(t, ModeHTTP, func(d *Deps) { d.Console = botkittest.Console(t, d.Service, d.Catalog, d.Files) })
	fake := h.fake
	ctx := context.Background()
	fake.SetUser(helper, "Bob", "zh-CN")
	fake.SetUser(other, "Carol", "zh-CN")
	bob := h.linkStaff(helper)
	carol := h.linkStaff(other)
	tk, ping := h.pinged(bob)
	buttons := ping.Buttons()
	for _, id := range []string{"sl:ack", "sl:reassign", "sl:open"} {
		if buttons[id] == "" {
			t.Fatalf("no %s button on the ping: %v", id, buttons)
		}
	}
	current := func() *backend.Ticket {
		cur, err := h.store.Ticket(ctx, tk.Number)
		if err != nil {
			t.Fatal(err)
		}
		return cur
	}
	refusals := func() int {
		n := 0
		for _, m := range fake.Messages() {
			if m.Ephemeral == reporter && strings.Contains(m.Text, "只有助理和主管") {
				n++
			}
		}
		return n
	}

	// A reporter pressing them changes nothing.
	for i, id := range []string{"sl:ack", "sl:reassign", "sl:open"} {
		fake.Press(t, reporter, ping, id, buttons[id], "")
		poll(t, "the refusal", func() bool { return refusals() > i })
	}
	fake.Press(t, reporter, ping, "sl:to", "", "123 "+buttons["sl:ack"])
	poll(t, "the refusal", func() bool { return refusals() > 3 })
	if n := h.acks(tk.Number); n != 0 || current().AssigneeID != bob.ID {
		t.Fatalf("after the reporter: %d acks, assignee %d", n, current().AssigneeID)
	}

	// The late assignee's own Acknowledge does not stop the climb: Bob is
	// told so, only him; the buttons stay.
	fake.Press(t, helper, ping, "sl:ack", buttons["sl:ack"], "")
	fake.WaitMessage(t, "the assignee's refusal", func(m slacktest.Message) bool {
		return m.Ephemeral == helper && strings.Contains(m.Text, tk.Number) && strings.Contains(m.Text, "您本人的确认不会停止升级")
	})
	if m, _ := fake.Message(ping.Channel, ping.TS); h.acks(tk.Number) != 0 || m.Buttons()["sl:ack"] == "" {
		t.Fatalf("after the assignee's acknowledgement: %d acks, buttons %v", h.acks(tk.Number), m.Buttons())
	}

	// Open: the card, only to Bob, contacts unmasked.
	fake.Press(t, helper, ping, "sl:open", buttons["sl:open"], "")
	card := fake.WaitMessage(t, "the card", func(m slacktest.Message) bool {
		return m.Ephemeral == helper && strings.Contains(m.Text, tk.Number) && strings.Contains(m.Text, "13800138000")
	})
	if strings.Contains(card.Text, "****") {
		t.Fatalf("masked card for the assignee: %q", card.Text)
	}
	fake.WaitMessage(t, "the console link", func(m slacktest.Message) bool {
		return m.Ephemeral == helper && strings.Contains(m.Text, botkittest.BaseURL+"/console/magic/") &&
			strings.Contains(m.Text, "?next=%2Fconsole%2Ft%2F"+tk.Number)
	})

	// Reassign pages through a large team: 100 people a select, then More.
	for i := range 100 {
		p := &backend.Person{Name: fmt.Sprintf("助理%03d", i+1), Roles: []backend.Role{backend.RoleAssistant}}
		if err := h.store.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	fake.Press(t, helper, ping, "sl:reassign", buttons["sl:reassign"], "")
	poll(t, "the first page", func() bool {
		m, _ := fake.Message(ping.Channel, ping.TS)
		return m.Buttons()["sl:page"] != ""
	})
	if m, _ := fake.Message(ping.Channel, ping.TS); !strings.Contains(string(m.Blocks), "Carol") ||
		!strings.Contains(string(m.Blocks), "助理099") || strings.Contains(string(m.Blocks), "助理100") {
		t.Fatalf("first page: %s", m.Blocks)
	}
	m, _ := fake.Message(ping.Channel, ping.TS)
	fake.Press(t, helper, m, "sl:page", m.Buttons()["sl:page"], "")
	poll(t, "the second page", func() bool {
		m, _ := fake.Message(ping.Channel, ping.TS)
		return strings.Contains(string(m.Blocks), "助理100") && !strings.Contains(string(m.Blocks), "Carol") && m.Buttons()["sl:page"] == ""
	})

	// Reassign: a select of the staff but the assignee; picking Carol.
	fake.Press(t, helper, ping, "sl:reassign", buttons["sl:reassign"], "")
	poll(t, "the reassign select", func() bool {
		m, _ := fake.Message(ping.Channel, ping.TS)
		return strings.Contains(string(m.Blocks), `"sl:to"`) && strings.Contains(string(m.Blocks), "Carol")
	})
	if m, _ := fake.Message(ping.Channel, ping.TS); strings.Contains(string(m.Blocks), `"Bob"`) {
		t.Fatalf("the assignee is offered: %s", m.Blocks)
	}
	fake.Press(t, helper, ping, "sl:to", "", strconv.FormatInt(carol.ID, 10)+" "+buttons["sl:ack"])
	poll(t, "Carol assigned", func() bool { return current().AssigneeID == carol.ID })
	poll(t, "the ping to say so", func() bool {
		m, _ := fake.Message(ping.Channel, ping.TS)
		return strings.Contains(m.Text, "改派给 Carol") && m.Buttons()["sl:ack"] != ""
	})

	// Acknowledge: once; the ping shows who and loses its buttons.
	ping, _ = fake.Message(ping.Channel, ping.TS)
	fake.Press(t, helper, ping, "sl:ack", buttons["sl:ack"], "")
	poll(t, "the acknowledgement", func() bool {
		m, _ := fake.Message(ping.Channel, ping.TS)
		return strings.Contains(m.Text, "Bob 已确认") && len(m.Buttons()) == 0
	})
	if n := h.acks(tk.Number); n != 1 {
		t.Fatalf("%d acknowledged events, want 1", n)
	}
	fake.Press(t, helper, ping, "sl:ack", buttons["sl:ack"], "")
	fake.WaitMessage(t, "already acknowledged", func(m slacktest.Message) bool {
		return m.Ephemeral == helper && strings.Contains(m.Text, "已经有人确认")
	})
	if n := h.acks(tk.Number); n != 1 {
		t.Fatalf("%d acknowledged events after a second press, want 1", n)
	}
	pings := 0
	for _, m := range fake.Messages() {
		if m.Ephemeral == "" && strings.Contains(m.Text, tk.Number) && strings.Contains(m.Text, "升级第 1 级") {
			pings++
		}
	}
	if pings != 1 {
		t.Fatalf("%d pings for step 1, want 1", pings)
	}
}

// TestPingClosedElsewhere: when someone else acknowledges the escalation
// (another chat, the console, the API), the ping loses its buttons and
// says who acknowledged.
func TestPingClosedElsewhere(t *testing.T) {
	h := newHarness(t, ModeSocket)
	fake := h.fake
	ctx := context.Background()
	fake.SetUser(helper, "Bob", "zh-CN")
	bob := h.linkStaff(helper)
	carol := &backend.Person{Name: "Carol", Roles: []backend.Role{backend.RoleManager}}
	if err := h.store.CreatePerson(ctx, carol); err != nil {
		t.Fatal(err)
	}
	tk, ping := h.pinged(bob)
	if ping.Buttons()["sl:ack"] == "" {
		t.Fatalf("no buttons on the ping: %v", ping.Buttons())
	}
	if _, err := h.svc.Acknowledge(ctx, carol, tk.Number, ""); err != nil {
		t.Fatal(err)
	}
	poll(t, "the ping to be closed", func() bool {
		m, _ := fake.Message(ping.Channel, ping.TS)
		return strings.Contains(m.Text, "Carol 已确认") && strings.Contains(m.Text, tk.Number) && len(m.Buttons()) == 0
	})
}
