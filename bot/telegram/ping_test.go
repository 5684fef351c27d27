package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/sla"
	"github.com/deskbot/deskbot/bot/botkit/botkittest"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

var carol = telegramtest.User(2002, "Carol", "zh-hans")

// claimed is a ticket Alice filed and assignee claimed.
func (h *harness) claimed(assignee *backend.Person) string {
	h.t.Helper()
	number := h.directTicket(alice, "提单系统保存时一直转圈，无法提交")
	if _, err := h.svc.Claim(context.Background(), assignee, number); err != nil {
		h.t.Fatal(err)
	}
	return number
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

// events counts the ticket's events of kind.
func (h *harness) events(number string, kind backend.EventKind) int {
	h.t.Helper()
	_, evs, err := h.svc.Thread(context.Background(), &backend.Person{ID: -1, Roles: []backend.Role{backend.RoleAdmin}}, number)
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// TestEscalationPing: a breach pings the assignee in their private chat
// with Acknowledge / Reassign / Open; outsiders change nothing; the
// assignee's own Acknowledge is refused; Open shows the card unmasked;
// Reassign assigns; Acknowledge (by Bob, no longer the assignee) records
// one acknowledged event and a second press is told so.
func TestEscalationPing(t *testing.T) {
	h := newHarnessWith(t, ModePoll, func(d *Deps) { d.Console = botkittest.Console(t, d.Service, d.Catalog, d.Files) })
	ctx := context.Background()
	bobP, carolP, number := h.bobAndCarol()
	bobChat := h.follow(bob.ID)
	h.escalate(number)
	ping := bobChat.next(number, "升级")
	for _, l := range []string{"确认", "改派", "打开"} {
		if telegramtest.ButtonData(ping, l) == "" {
			t.Fatalf("no %q button on the ping: %+v", l, ping.ReplyMarkup)
		}
	}

	// A reporter pressing any of them changes nothing.
	for _, l := range []string{"确认", "改派", "打开"} {
		upd := h.tg.Press(alice, ping, telegramtest.ButtonData(ping, l))
		h.deliver(upd)
		if a := h.answerTo(upd); a.Params["show_alert"] != "true" || !strings.Contains(a.Params["text"], "只有助理和主管") {
			t.Fatalf("reporter's answer to %s: %v", l, a.Params)
		}
	}
	if n := h.events(number, backend.EventAcknowledged); n != 0 {
		t.Fatalf("%d acknowledged events after the reporter pressed", n)
	}
	if tk, _ := h.store.Ticket(ctx, number); tk.AssigneeID != bobP.ID {
		t.Fatalf("assignee %d after the reporter pressed", tk.AssigneeID)
	}

	// The late assignee's own Acknowledge does not stop the climb: Bob is
	// told so; the buttons stay.
	own := h.tg.Press(bob, ping, telegramtest.ButtonData(ping, "确认"))
	h.deliver(own)
	if a := h.answerTo(own); a.Params["show_alert"] != "true" || !strings.Contains(a.Params["text"], "您本人的确认不会停止升级") {
		t.Fatalf("the assignee's answer: %v", a.Params)
	}
	if n := h.events(number, backend.EventAcknowledged); n != 0 {
		t.Fatalf("%d acknowledged events after the assignee pressed", n)
	}
	if m := h.tg.Message(ping.Chat.ID, ping.ID); telegramtest.ButtonData(m, "确认") == "" {
		t.Fatalf("the assignee's press took the buttons: %+v", m.ReplyMarkup)
	}

	// A reply to the ping is not a reply to the reporter. (Once deskbot
	// has recorded the ping: a person cannot reply before its send
	// returns, a test can.)
	h.tg.Wait(t, 15*time.Second, "the ping to be recorded", func() bool {
		_, err := h.store.ChatMessage(ctx, Platform, itoa(bob.ID), strconv.Itoa(ping.ID))
		return err == nil
	})
	comments := h.events(number, backend.EventComment)
	h.deliver(h.tg.Reply(bob, ping, "这单谁在跟？明天再说"))
	bobChat.next("回复提醒不会发给报告人", number)
	if n := h.events(number, backend.EventComment); n != comments {
		t.Fatalf("a reply to the ping became a comment (%d → %d)", comments, n)
	}

	// Open: the card, contacts unmasked for the assignee.
	h.press(bob, ping, "打开")
	card := bobChat.next(number, "13800138000")
	if strings.Contains(card.Text, "****") {
		t.Fatalf("card masked for the assignee: %q", card.Text)
	}
	// and a one-time sign-in that lands on the ticket's page.
	bobChat.next(botkittest.BaseURL+"/console/magic/", "?next=%2Fconsole%2Ft%2F"+number)

	// Reassign pages through a large team: 24 people a page, then More.
	for i := range 25 {
		p := &backend.Person{Name: fmt.Sprintf("助理%02d", i+1), Roles: []backend.Role{backend.RoleAssistant}}
		if err := h.store.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	h.press(bob, ping, "改派")
	menu := h.waitCard(ping, "the first page", func(m *models.Message) bool { return telegramtest.ButtonData(m, "更多 ▶") != "" })
	if telegramtest.ButtonData(menu, "Carol") == "" || telegramtest.ButtonData(menu, "助理23") == "" || telegramtest.ButtonData(menu, "助理24") != "" {
		t.Fatalf("first page: %+v", menu.ReplyMarkup)
	}
	h.press(bob, menu, "更多 ▶")
	menu = h.waitCard(ping, "the second page", func(m *models.Message) bool { return telegramtest.ButtonData(m, "助理25") != "" })
	if telegramtest.ButtonData(menu, "助理24") == "" || telegramtest.ButtonData(menu, "Carol") != "" || telegramtest.ButtonData(menu, "更多 ▶") != "" {
		t.Fatalf("second page: %+v", menu.ReplyMarkup)
	}
	h.press(bob, menu, "返回")
	ping = h.waitCard(ping, "the ping's buttons again", func(m *models.Message) bool { return telegramtest.ButtonData(m, "改派") != "" })

	// Reassign: the team's staff (here: every assistant) but not the
	// assignee; picking Carol assigns her.
	h.press(bob, ping, "改派")
	menu = h.waitCard(ping, "the reassign menu", func(m *models.Message) bool { return telegramtest.ButtonData(m, "Carol") != "" })
	if telegramtest.ButtonData(menu, "Bob") != "" {
		t.Fatalf("the assignee is offered: %+v", menu.ReplyMarkup)
	}
	h.press(bob, menu, "Carol")
	h.tg.Wait(t, 15*time.Second, "Carol to be assigned", func() bool {
		tk, err := h.store.Ticket(ctx, number)
		return err == nil && tk.AssigneeID == carolP.ID
	})
	ping = h.waitCard(ping, "the ping to say so", func(m *models.Message) bool {
		return strings.Contains(m.Text, "改派给 Carol") && telegramtest.ButtonData(m, "确认") != ""
	})

	// Acknowledge: once; the ping shows who and loses its buttons.
	h.press(bob, ping, "确认")
	acked := h.waitCard(ping, "the acknowledgement", func(m *models.Message) bool { return strings.Contains(m.Text, "Bob 已确认") })
	if acked.ReplyMarkup != nil && len(acked.ReplyMarkup.InlineKeyboard) > 0 {
		t.Fatalf("buttons left after acknowledging: %+v", acked.ReplyMarkup)
	}
	if n := h.events(number, backend.EventAcknowledged); n != 1 {
		t.Fatalf("%d acknowledged events, want 1", n)
	}
	// A second press (a stale copy of the ping) is told it is done.
	second := h.tg.Press(bob, ping, telegramtest.ButtonData(ping, "确认"))
	h.deliver(second)
	if a := h.answerTo(second); !strings.Contains(a.Params["text"], "已经有人确认") {
		t.Fatalf("second press: %v", a.Params)
	}
	if n := h.events(number, backend.EventAcknowledged); n != 1 {
		t.Fatalf("%d acknowledged events after a second press, want 1", n)
	}
	pings := 0
	for _, m := range h.tg.Messages(bob.ID) {
		if strings.Contains(m.Text, number) && strings.Contains(m.Text, "升级第 1 级") {
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
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	_, carolP, number := h.bobAndCarol()
	h.escalate(number)
	ping := h.follow(bob.ID).next(number, "升级")
	if telegramtest.ButtonData(ping, "确认") == "" {
		t.Fatalf("no buttons on the ping: %+v", ping.ReplyMarkup)
	}
	if _, err := h.svc.Acknowledge(ctx, carolP, number, ""); err != nil {
		t.Fatal(err)
	}
	closed := h.waitCard(ping, "the ping to be closed", func(m *models.Message) bool {
		return strings.Contains(m.Text, "Carol 已确认") && (m.ReplyMarkup == nil || len(m.ReplyMarkup.InlineKeyboard) == 0)
	})
	if !strings.Contains(closed.Text, number) || !strings.Contains(closed.Text, "升级") {
		t.Fatalf("the closed ping lost what it was about: %q", closed.Text)
	}
}

// A ping acknowledged elsewhere while it is on its way (sent, not yet
// saved as the bot's message) is closed once it is saved: the
// acknowledgement's own sweep found no ping to close.
func TestPingAcknowledgedInFlight(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	_, carolP, number := h.bobAndCarol()
	var once sync.Once
	t.Cleanup(func() { h.tg.SetOnCall(nil) })
	h.tg.SetOnCall(func(c telegramtest.Call) {
		if c.Method != "sendMessage" || c.Result == nil || c.Result.Chat.ID != bob.ID || !strings.Contains(c.Result.Text, "升级") {
			return
		}
		once.Do(func() {
			// The bot waits for this answer before it saves the ping.
			if _, err := h.svc.Acknowledge(ctx, carolP, number, ""); err != nil {
				t.Error(err)
			}
			time.Sleep(300 * time.Millisecond) // let the acknowledgement's sweep run first
		})
	})
	h.escalate(number)
	ping := h.follow(bob.ID).next(number, "升级")
	h.waitCard(ping, "the ping acknowledged in flight to be closed", func(m *models.Message) bool {
		return strings.Contains(m.Text, "Carol 已确认") && (m.ReplyMarkup == nil || len(m.ReplyMarkup.InlineKeyboard) == 0)
	})
}

// bobAndCarol links bob and carol as assistants and files a ticket that
// bob claims; it returns both and the ticket's number.
func (h *harness) bobAndCarol() (bobP, carolP *backend.Person, number string) {
	h.t.Helper()
	bobP, carolP = h.linkAssistant(bob), h.linkAssistant(carol)
	return bobP, carolP, h.claimed(bobP)
}

// TestOwnerWarning: the supervisor clock is the manager's duty (policy
// owner: manager), so its 80% warning reaches the manager's private chat
// as a plain notice, without the ping's buttons, and not the assignee.
func TestOwnerWarning(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	code, err := h.svc.CreateInvite(ctx, backend.RoleManager, 0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	carolChat := h.follow(carol.ID)
	h.deliver(h.tg.Text(carol, "/start "+code))
	carolChat.next("已绑定")
	number := h.claimed(bobP)
	if _, err := h.svc.RecordMilestone(ctx, bobP, number, backend.MilestoneResourceRequested); err != nil {
		t.Fatal(err)
	}
	pol, err := sla.ParsePolicy(sla.DefaultPolicyYAML(), "default")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := pol.NewCalendarFor(sla.DefaultHolidays(), sla.CalendarConfig{})
	if err != nil {
		t.Fatal(err)
	}
	eng := sla.NewEngine(sla.Config{Store: h.store, Policy: pol, Calendar: cal, Changed: func(int64) { h.disp.Wake() }})
	tk, err := h.store.Ticket(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Sync(ctx, tk.ID); err != nil {
		t.Fatal(err)
	}
	clocks, err := h.store.Clocks(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	fired := false
	for _, c := range clocks {
		if c.Name == "supervisor" && c.State == backend.ClockRunning {
			if err := eng.Fire(ctx, sla.Timer{What: sla.TimerWarn, TicketID: tk.ID, Clock: c.Name, Run: c.Run, Generation: c.Generation}); err != nil {
				t.Fatal(err)
			}
			fired = true
		}
	}
	if !fired {
		t.Fatalf("no running supervisor clock: %+v", clocks)
	}
	warn := carolChat.next(number, "主管处理资源申请", "80%")
	if warn.ReplyMarkup != nil {
		t.Errorf("the warning carries buttons: %+v", warn.ReplyMarkup)
	}
	if n := h.count(bob.ID, "主管处理资源申请"); n != 0 {
		t.Errorf("the assignee got the manager's warning (%d)", n)
	}
}

// TestUnrecordedPingReply: a reply to a ping deskbot failed to record (a
// database error right after the send) is read by the number in its text;
// from staff it is not a comment to the reporter, they are told where to
// reply; the reporter may still add to their ticket that way.
func TestUnrecordedPingReply(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	_, _, number := h.bobAndCarol()
	bobChat := h.follow(bob.ID)
	h.escalate(number)
	ping := bobChat.next(number, "升级")
	h.tg.Wait(t, 15*time.Second, "the ping to be recorded", func() bool {
		_, err := h.store.ChatMessage(ctx, Platform, itoa(bob.ID), strconv.Itoa(ping.ID))
		return err == nil
	})
	lost := *ping // the same ping, as if deskbot had not recorded it
	lost.ID += 1000
	comments := h.events(number, backend.EventComment)
	h.deliver(h.tg.Reply(bob, &lost, "这单谁在跟？明天再说"))
	bobChat.next("没有记录", number, "不会发给报告人")
	if n := h.events(number, backend.EventComment); n != comments {
		t.Fatalf("a staff reply to an unrecorded ping became a comment (%d → %d)", comments, n)
	}
	for _, m := range h.tg.Messages(alice.ID) {
		if strings.Contains(m.Text, "谁在跟") {
			t.Fatalf("the reporter got the reply to the ping: %q", m.Text)
		}
	}

	// The reporter replying to an unrecorded bot message naming their
	// ticket still adds to it.
	mine := lost
	mine.Chat = models.Chat{ID: alice.ID, Type: models.ChatTypePrivate}
	h.deliver(h.tg.Reply(alice, &mine, "补充：换了浏览器也一样"))
	h.tg.Wait(t, 15*time.Second, "the reporter's comment", func() bool { return h.events(number, backend.EventComment) == comments+1 })
}
