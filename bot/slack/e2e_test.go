package slack

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// TestModalToCSAT runs the whole life of a ticket in both modes: the
// modal submitted with missing fields shows the errors, then complete
// files the ticket; the triage card appears; the assistant claims it and
// answers in the card's thread, which reaches the reporter's DM thread;
// the reporter's reply there reaches the card's thread; resolving asks
// the reporter to rate, and the rating is recorded.
func TestModalToCSAT(t *testing.T) {
	for _, mode := range []string{ModeSocket, ModeHTTP} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, mode)
			fake := h.fake
			staff := h.linkStaff(helper)

			// /ticket opens the modal built from the feedback form.
			fake.Slash(t, reporter, dmChannel(reporter), "/ticket", "")
			v := fake.WaitView(t, reporter, nil)
			blocks := v.BlockIDs()
			for _, want := range []string{"summary", "reference", "category", "occurred_at", "region", "severity", "screenshots", "order_number", "account", "contact"} {
				if !slices.Contains(blocks, want) {
					t.Fatalf("modal blocks %v lack %s", blocks, want)
				}
			}
			if v.CallbackID() != cbTicket {
				t.Fatalf("callback id %q", v.CallbackID())
			}

			// The category root dispatches: its children appear below it.
			fake.PickInView(t, reporter, v, "category", actRoot, "product")
			v = fake.WaitView(t, reporter, func(v *slacktest.View) bool { return slices.Contains(v.BlockIDs(), "category__child") })

			// Missing fields: per-field errors, the conditional ones included.
			action, errs := fake.Submit(t, reporter, v, slacktest.Values{
				"summary":  {actValue: {Text: "放心房上线后在前台不显示，已经两个小时了"}},
				"category": {actRoot: {Selected: "product"}},
				"severity": {actValue: {Selected: "P2"}},
			})
			if action != "errors" {
				t.Fatalf("response_action %q, want errors", action)
			}
			var keys []string
			for k := range errs {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			want := []string{"account", "category", "contact", "occurred_at", "order_number", "region", "screenshots"}
			if !slices.Equal(keys, want) {
				t.Fatalf("errors on %v, want %v (%v)", keys, want, errs)
			}
			if !strings.Contains(errs["order_number"], "P2") {
				t.Fatalf("conditional error does not name the rule: %q", errs["order_number"])
			}
			if len(h.tickets()) != 0 {
				t.Fatal("a ticket was filed from an incomplete modal")
			}

			// Complete: the modal closes and the ticket is filed.
			shot := fake.AddFile("F1", "shot.png", "image/png", pngBytes(t))
			complete := slacktest.Values{
				"summary":         {actValue: {Text: "放心房上线后在前台不显示，已经两个小时了"}},
				"category":        {actRoot: {Selected: "product"}},
				"category__child": {actValue: {Selected: "product/house"}},
				"occurred_at":     {actValue: {Text: "现在"}},
				"region":          {actValue: {Selected: "north"}},
				"severity":        {actValue: {Selected: "P2"}},
				"screenshots":     {actValue: {Files: []map[string]any{shot}}},
				"order_number":    {actValue: {Text: "ORD-12345"}},
				"account":         {actValue: {Text: "shop_bj_2026"}},
				"contact":         {actValue: {Text: "13800138000"}},
			}
			// A file Slack cannot serve: the modal stays open with the
			// problem on the file input, and nothing is filed.
			broken := map[string]any{"id": "FGONE", "name": "gone.png", "mimetype": "image/png", "size": 100,
				"url_private_download": strings.TrimSuffix(fake.APIURL(), "api/") + "files/FGONE"}
			withBroken := slacktest.Values{}
			for k, v := range complete {
				withBroken[k] = v
			}
			withBroken["screenshots"] = map[string]slacktest.Value{actValue: {Files: []map[string]any{broken}}}
			if action, errs := fake.Submit(t, reporter, v, withBroken); action != "errors" || !strings.Contains(errs["screenshots"], "下载失败") {
				t.Fatalf("a file that cannot be downloaded answered %q %v", action, errs)
			}
			if len(h.tickets()) != 0 {
				t.Fatal("filed without its screenshot")
			}
			// Submitted twice (a double click): one ticket.
			for range 2 {
				if action, errs = fake.Submit(t, reporter, v, complete); action != "clear" || len(errs) != 0 {
					t.Fatalf("complete modal answered %q %v", action, errs)
				}
			}
			created := fake.WaitMessage(t, "the reporter's receipt", inChannel(dmChannel(reporter), "", "FB-"))
			card := fake.WaitMessage(t, "the triage card", inChannel(triage, "", "FB-"))
			ts := h.tickets()
			if len(ts) != 1 {
				t.Fatalf("%d tickets", len(ts))
			}
			tk := ts[0]
			if tk.Channel != Platform || len(tk.Attachments) != 1 || tk.Severity != backend.P2 ||
				strings.Join(tk.CategoryPath, "/") != "产品线问题/房产放心房" || tk.Contacts.Phone != "13800138000" {
				t.Fatalf("ticket %+v", tk)
			}
			if strings.Contains(card.Text, "13800138000") {
				t.Fatal("the triage card shows the phone number unmasked")
			}
			if _, ok := card.Buttons()["tk:claim"]; !ok {
				t.Fatalf("card buttons %v", card.Buttons())
			}

			// A follow-up before anyone claims reaches the card's thread,
			// escaped: a reporter cannot @channel the triage channel.
			// (once deskbot has stored the receipt it answers: a reporter
			// cannot reply before the post returns, a test can)
			poll(t, "the receipt to be remembered", func() bool {
				_, err := h.ch.store.ChatMessage(context.Background(), Platform, created.Channel, created.TS)
				return err == nil
			})
			fake.DM(t, reporter, "<!channel> 补充：刷新也不行", created.TS)
			early := fake.WaitMessage(t, "the early follow-up in the card's thread", inChannel(triage, card.TS, "刷新也不行"))
			if strings.Contains(early.Text, "<!channel>") || !strings.Contains(early.Text, "&lt;!channel&gt;") {
				t.Fatalf("the follow-up reached the triage channel unescaped: %q", early.Text)
			}

			// Claim: the card is updated in place; the reporter hears it in
			// the ticket's DM thread.
			fake.Press(t, helper, card, "tk:claim", tk.Number, "")
			fake.WaitMessage(t, "the claim notice", inChannel(dmChannel(reporter), created.TS, tk.Number))
			poll(t, "the card to be updated", func() bool {
				m, _ := fake.Message(triage, card.TS)
				_, claim := m.Buttons()["tk:claim"]
				return m.Updates > 0 && !claim
			})

			// The assistant's reply in the card's thread reaches the reporter.
			fake.Post(t, helper, triage, "请问是哪个城市的放心房？", card.TS)
			fake.WaitMessage(t, "the reply in the reporter's thread", inChannel(dmChannel(reporter), created.TS, "请问是哪个城市的放心房"))

			// The reporter's reply in that thread reaches the ticket and the card's thread.
			fake.DM(t, reporter, "北京朝阳区的", created.TS)
			fake.WaitMessage(t, "the follow-up in the card's thread", inChannel(triage, card.TS, "北京朝阳区的"))

			// Resolve needs a solution: a modal.
			fake.Press(t, helper, card, "tk:resolve", tk.Number, "")
			av := fake.WaitView(t, helper, func(v *slacktest.View) bool { return v.CallbackID() == cbAct })
			if action, errs := fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: ""}}}); action != "errors" || errs["text"] == "" {
				t.Fatalf("an empty solution answered %q %v", action, errs)
			}
			fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: "已重新推送，刷新后可见"}}})
			resolved := fake.WaitMessage(t, "the resolution with rating buttons", func(m slacktest.Message) bool {
				_, ok := m.Buttons()["rt:satisfied"]
				return inChannel(dmChannel(reporter), created.TS, "已重新推送")(m) && ok
			})
			fake.Press(t, reporter, resolved, "rt:satisfied", tk.Number, "")
			poll(t, "the rating", func() bool {
				cur, err := h.store.Ticket(context.Background(), tk.Number)
				return err == nil && cur.Satisfaction == backend.SatisfactionSatisfied
			})
			poll(t, "the card to show the ticket resolved", func() bool {
				m, _ := fake.Message(triage, card.TS)
				_, open := m.Buttons()["tk:resolve"]
				return !open
			})
			if cur, _ := h.store.Ticket(context.Background(), tk.Number); cur.AssigneeID != staff.ID || cur.Status != backend.StatusResolved {
				t.Fatalf("ticket after resolve: %+v", cur)
			}

			if n := len(h.tickets()); n != 1 {
				t.Fatalf("%d tickets from one modal", n)
			}
			// Nothing was delivered twice.
			seen := map[string]int{}
			for _, m := range fake.Messages() {
				if m.Ephemeral == "" {
					seen[m.Channel+"|"+m.ThreadTS+"|"+m.Text]++
				}
			}
			for k, n := range seen {
				if n > 1 {
					t.Fatalf("posted %d times: %s", n, k)
				}
			}
		})
	}
}

// TestCommandsAndHome covers /ticket status, /ticket my, the shortcut
// and the App Home.
func TestCommandsAndHome(t *testing.T) {
	h := newHarness(t, ModeSocket)
	fake := h.fake
	p, err := h.ch.reporter(context.Background(), reporter)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := h.svc.CreateTicket(context.Background(), p, backend.NewTicket{Prefix: "FB", Summary: "放心房上线后在前台不显示", CategoryPath: []string{"产品线问题", "房产放心房"},
		OccurredAt: time.Now().Add(-time.Hour), Region: "北京", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: Platform})
	if err != nil {
		t.Fatal(err)
	}
	fake.Slash(t, reporter, "C1", "/ticket", "status "+tk.Number)
	fake.WaitMessage(t, "the status", func(m slacktest.Message) bool { return m.Ephemeral == reporter && strings.Contains(m.Text, tk.Number) })
	fake.Slash(t, reporter, "C1", "/ticket", "my")
	fake.WaitMessage(t, "my tickets", func(m slacktest.Message) bool {
		return m.Ephemeral == reporter && strings.Contains(m.Text, "1 个未完成") && strings.Contains(m.Text, tk.Number)
	})
	fake.Slash(t, reporter, "C1", "/ticket", "status FB-20200101-0001")
	fake.WaitMessage(t, "not found", func(m slacktest.Message) bool {
		return m.Ephemeral == reporter && strings.Contains(m.Text, "没有这个工单")
	})

	fake.HomeOpened(t, reporter)
	poll(t, "the App Home", func() bool {
		v, ok := fake.Home(reporter)
		if !ok {
			return false
		}
		b, _ := json.Marshal(v.Raw)
		return strings.Contains(string(b), tk.Number) && strings.Contains(string(b), "待受理")
	})

	fake.Slash(t, reporter, "C1", "/ticket", "lang en")
	fake.WaitMessage(t, "the language change", func(m slacktest.Message) bool { return m.Ephemeral == reporter && m.Text == "Language set to English." })
	fake.Slash(t, reporter, "C1", "/ticket", "my")
	fake.WaitMessage(t, "my tickets in English", func(m slacktest.Message) bool {
		return m.Ephemeral == reporter && strings.Contains(m.Text, "You have 1 open")
	})

	// Slack rotates the connection: the app reconnects and goes on.
	if err := fake.Disconnect(); err != nil {
		t.Fatal(err)
	}
	poll(t, "the reconnection", func() bool { return fake.Connections() >= 2 })

	fake.Shortcut(t, reporter, "new_ticket")
	v := fake.WaitView(t, reporter, nil)
	if v.CallbackID() != cbTicket {
		t.Fatalf("shortcut opened %q", v.CallbackID())
	}
}

// TestDMDialog files a ticket by chatting with the bot, with a screenshot
// shared in the DM; every event is delivered twice (a Slack retry) and
// exactly one ticket is filed.
func TestDMDialog(t *testing.T) {
	for _, mode := range []string{ModeSocket, ModeHTTP} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, mode)
			fake := h.fake
			dm := dmChannel(reporter)
			n := 0
			say := func(text string, files ...map[string]any) {
				t.Helper()
				n++
				ev := map[string]any{"type": "message", "channel": dm, "channel_type": "im", "user": reporter, "text": text,
					"ts": "1800000000.0000" + string(rune('0'+n/10)) + string(rune('0'+n%10))}
				if len(files) > 0 {
					ev["subtype"], ev["files"] = "file_share", files
				}
				id := "EvDM" + ev["ts"].(string)
				if err := fake.Event(id, ev, 0); err != nil {
					t.Fatal(err)
				}
				if err := fake.Event(id, ev, 1); err != nil { // the retry
					t.Fatal(err)
				}
			}
			count := func() int { return len(fake.Messages()) }
			wait := func(what string, parts ...string) slacktest.Message {
				t.Helper()
				return fake.WaitMessage(t, what, inChannel(dm, "", parts...))
			}
			say("你好")
			menu := wait("the start menu", "")
			poll(t, "the menu buttons", func() bool { return len(menu.Buttons()) > 0 || count() > 0 })
			menu = fake.WaitMessage(t, "a start button", func(m slacktest.Message) bool {
				for _, v := range m.Buttons() {
					if v == "start:feedback" {
						return true
					}
				}
				return false
			})
			var startID string
			for id, v := range menu.Buttons() {
				if v == "start:feedback" {
					startID = id
				}
			}
			fake.Press(t, reporter, menu, startID, "start:feedback", "")
			wait("the first question", "1/10")
			for _, step := range []struct{ say, next string }{
				{"放心房上线后在前台不显示，已经两个小时了", "2/10"},
				{"跳过", "3/10"},
				{"2", "具体"},
				{"2", "4/10"},
				{"现在", "5/10"},
				{"1", "6/10"},
				{"2", "7/10"},
			} {
				say(step.say)
				wait("question "+step.next, step.next)
			}
			say("", fake.AddFile("F9", "shot.png", "image/png", pngBytes(t)))
			wait("the file receipt", "1 个文件")
			for _, step := range []struct{ say, next string }{
				{"完成", "8/10"},
				{"ORD-12345", "9/10"},
				{"shop_bj_2026", "10/10"},
				{"13800138000", "请核对"},
				{"提交", "确认提交"},
				{"确认", "FB-"},
			} {
				say(step.say)
				wait("after "+step.say, step.next)
			}
			poll(t, "the ticket", func() bool { return len(h.tickets()) == 1 })
			for _, m := range fake.Messages() {
				if strings.Contains(m.Text, "❌") || strings.Contains(m.Text, "已提交") && strings.Count(m.Text, "FB-") > 1 {
					t.Fatalf("a retried event was handled twice: %q", m.Text)
				}
			}
			ts := h.tickets()
			if len(ts) != 1 || len(ts[0].Attachments) != 1 {
				t.Fatalf("tickets: %d", len(ts))
			}
			// The App Home lists the new ticket, though no receipt came.
			poll(t, "the App Home with the ticket", func() bool {
				v, ok := fake.Home(reporter)
				if !ok {
					return false
				}
				b, _ := json.Marshal(v.Raw)
				return strings.Contains(string(b), ts[0].Number)
			})
			// A reply under the message that says it was filed goes into
			// the ticket (it started a new form).
			filed := wait("the filing message", "已提交", ts[0].Number)
			h.remembered(dm, filed.TS)
			fake.DM(t, reporter, "刷新以后还是不显示", filed.TS)
			poll(t, "the follow-up in the ticket", func() bool {
				for _, e := range h.comments(ts[0].Number) {
					if strings.Contains(e.Body, "刷新以后") {
						return true
					}
				}
				return false
			})
		})
	}
}

// TestHTTPSecurity: a bad signature or a stale timestamp is 401 and
// nothing happens.
func TestHTTPSecurity(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	body := []byte(`{"type":"event_callback","event_id":"EvBad","event":{"type":"message","channel":"DREP","channel_type":"im","user":"UREP","text":"你好","ts":"1.1"}}`)
	for _, tc := range []struct {
		name   string
		ts     time.Time
		secret string
	}{
		{"ErrBadSignature", time.Now(), "wrong-secret"},
		{"ErrStale", time.Now().Add(-6 * time.Minute), secret},
		{"ErrFuture", time.Now().Add(6 * time.Minute), secret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{EventsPath, InteractionPath, CommandsPath} {
				resp, err := h.fake.PostSigned(h.app.URL+path, "application/json", body, tc.ts, tc.secret, nil)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("%s: %d, want 401", path, resp.StatusCode)
				}
			}
		})
	}
	if n := len(h.fake.Messages()); n != 0 {
		t.Fatalf("%d messages after refused requests", n)
	}
	t.Run("URLVerification", func(t *testing.T) {
		resp, err := h.fake.PostSigned(h.app.URL+EventsPath, "application/json", []byte(`{"type":"url_verification","challenge":"3eZbrw1aB"}`), time.Now(), secret, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(b) != "3eZbrw1aB" {
			t.Fatalf("%d %q", resp.StatusCode, b)
		}
	})
	if _, err := h.store.PersonByAccount(context.Background(), Platform, "UREP"); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("a refused request created a person: %v", err)
	}
	t.Run("OK", func(t *testing.T) {
		resp, err := h.fake.PostSigned(h.app.URL+EventsPath, "application/json", body, time.Now(), secret, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d", resp.StatusCode)
		}
		h.fake.WaitMessage(t, "the answer to the signed message", inChannel("DREP", "", ""))
	})
}

// TestRateLimited: a 429 on a notification is waited out and the
// notification is sent once.
func TestRateLimited(t *testing.T) {
	h := newHarness(t, ModeSocket)
	p, err := h.ch.reporter(context.Background(), reporter)
	if err != nil {
		t.Fatal(err)
	}
	h.fake.RateLimit("chat.postMessage", 2, time.Second)
	tk, err := h.svc.CreateTicket(context.Background(), p, backend.NewTicket{Prefix: "FB", Summary: "放心房上线后在前台不显示", CategoryPath: []string{"产品线问题"},
		OccurredAt: time.Now().Add(-time.Hour), Region: "北京", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: Platform})
	if err != nil {
		t.Fatal(err)
	}
	h.fake.WaitMessage(t, "the card after the 429s", inChannel(triage, "", tk.Number))
	h.fake.WaitMessage(t, "the receipt after the 429s", inChannel(dmChannel(reporter), "", tk.Number))
	if n := len(h.fake.Messages()); n != 2 {
		t.Fatalf("%d messages, want 2", n)
	}
}

// TestCardSelects: the status and severity selects on the card; a status
// that needs a text opens the modal that asks for it.
func TestCardSelects(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	fake := h.fake
	h.linkStaff(helper)
	p, err := h.ch.reporter(context.Background(), reporter)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := h.svc.CreateTicket(context.Background(), p, backend.NewTicket{Prefix: "FB", Summary: "放心房上线后在前台不显示", CategoryPath: []string{"产品线问题"},
		OccurredAt: time.Now().Add(-time.Hour), Region: "北京", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: Platform})
	if err != nil {
		t.Fatal(err)
	}
	card := fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	current := func() *backend.Ticket {
		cur, err := h.store.Ticket(context.Background(), tk.Number)
		if err != nil {
			t.Fatal(err)
		}
		return cur
	}
	fake.Press(t, helper, card, "tk:status", "", "in_progress "+tk.Number)
	poll(t, "in progress", func() bool { return current().Status == backend.StatusInProgress })
	fake.Press(t, helper, card, "tk:sev", "", "P1 "+tk.Number)
	poll(t, "P1", func() bool { return current().Severity == backend.P1 })
	poll(t, "the card to show P1", func() bool { m, _ := fake.Message(triage, card.TS); return strings.Contains(m.Text, "P1") })

	// A reporter may not press staff buttons.
	fake.Press(t, reporter, card, "tk:claim", tk.Number, "")
	fake.WaitMessage(t, "the refusal", func(m slacktest.Message) bool { return m.Ephemeral == reporter })
	if current().AssigneeID != 0 {
		t.Fatal("a reporter claimed a ticket")
	}

	// "//" in the card's thread is an internal note: on the ticket, not sent.
	before := len(fake.Messages())
	fake.Post(t, helper, triage, "// 可能是缓存问题", card.TS)
	poll(t, "the internal note", func() bool {
		_, events, err := h.svc.Thread(context.Background(), &backend.Person{ID: -1, Roles: []backend.Role{backend.RoleAdmin}}, tk.Number)
		if err != nil {
			return false
		}
		for _, e := range events {
			if e.Kind == backend.EventComment && e.Body == "可能是缓存问题" && !e.Public {
				return true
			}
		}
		return false
	})
	for _, m := range fake.Messages()[before:] {
		if strings.Contains(m.Text, "缓存") {
			t.Fatalf("the internal note was sent: %+v", m)
		}
	}
	// A file cannot be internal: refused in the thread, not attached.
	fake.Post(t, helper, triage, "// 网关日志截图", card.TS, fake.AddFile("F0LOG", "log.png", "image/png", pngBytes(t)))
	fake.WaitMessage(t, "the refusal of an internal file", inChannel(triage, card.TS, "内部备注不能带附件"))
	if n := len(current().Attachments); n != 0 {
		t.Fatalf("the internal file was attached: %d attachments", n)
	}

	fake.Press(t, helper, card, "tk:status", "", "waiting_reporter "+tk.Number)
	v := fake.WaitView(t, helper, func(v *slacktest.View) bool {
		return v.CallbackID() == cbAct && strings.HasPrefix(v.Metadata(), "ask|")
	})
	fake.Submit(t, helper, v, slacktest.Values{"text": {actValue: {Text: "请提供截图"}}})
	poll(t, "waiting for the reporter", func() bool { return current().Status == backend.StatusWaitingReporter })
	fake.WaitMessage(t, "the question to the reporter", inChannel(dmChannel(reporter), "*", "请提供截图"))
}

// milestones lists the milestones recorded on a ticket by hand, in order,
// with who recorded each (not accepted, which the service records when
// someone claims it).
func (h *harness) milestones(number string) (ms []backend.Milestone, actors []int64) {
	h.t.Helper()
	admin := &backend.Person{ID: -1, Roles: []backend.Role{backend.RoleAdmin}}
	_, events, err := h.svc.Thread(context.Background(), admin, number)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range events {
		if e.Kind == backend.EventMilestone && backend.Milestone(e.Body).Valid() {
			ms, actors = append(ms, backend.Milestone(e.Body)), append(actors, e.ActorID)
		}
	}
	return ms, actors
}

// TestCardMilestone: the card's Milestone select offers seed 004's
// milestones; a choice by linked staff records it and the card is
// updated; anyone else is told they may not and nothing is recorded. A
// resolved ticket's card keeps only that select and the report is
// recorded there; an archived one has no controls.
func TestCardMilestone(t *testing.T) {
	h := newHarness(t, ModeSocket)
	fake := h.fake
	ctx := context.Background()
	staff := h.linkStaff(helper)
	p, err := h.ch.reporter(ctx, reporter)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := h.svc.CreateTicket(ctx, p, backend.NewTicket{Prefix: "FB", Summary: "放心房上线后在前台不显示", CategoryPath: []string{"产品线问题"},
		OccurredAt: time.Now().Add(-time.Hour), Region: "北京", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: Platform})
	if err != nil {
		t.Fatal(err)
	}
	card := fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	var want []string
	for _, m := range backend.Milestones {
		want = append(want, string(m)+" "+tk.Number)
	}
	if got := card.Options("tk:ms"); !slices.Equal(got, want) {
		t.Fatalf("milestone options %q, want %q", got, want)
	}
	now := func() slacktest.Message {
		m, ok := fake.Message(triage, card.TS)
		if !ok {
			t.Fatal("the card is gone")
		}
		return m
	}
	pick := func(user string, m backend.Milestone) {
		t.Helper()
		fake.Press(t, user, now(), "tk:ms", "", string(m)+" "+tk.Number)
	}

	// Neither the reporter nor a stranger may record one.
	refusal := h.ch.T(h.ch.cfg.TriageLocale, "slack.triage.not_allowed", nil)
	for _, user := range []string{reporter, "USTRANGER"} {
		pick(user, backend.MilestoneResourceRequested)
		fake.WaitMessage(t, "the refusal to "+user, func(m slacktest.Message) bool { return m.Ephemeral == user && m.Text == refusal })
	}
	if ms, _ := h.milestones(tk.Number); len(ms) != 0 {
		t.Fatalf("an outsider recorded %v", ms)
	}

	updates := now().Updates
	pick(helper, backend.MilestoneResourceRequested)
	poll(t, "resource_requested", func() bool { ms, _ := h.milestones(tk.Number); return len(ms) > 0 })
	if ms, actors := h.milestones(tk.Number); !slices.Equal(ms, []backend.Milestone{backend.MilestoneResourceRequested}) || actors[0] != staff.ID {
		t.Fatalf("milestones %v by %v, want [resource_requested] by %d", ms, actors, staff.ID)
	}
	poll(t, "the card to be updated", func() bool { m := now(); return m.Updates > updates && len(m.Options("tk:ms")) == len(want) })
	// The select marks what is recorded.
	poll(t, "the recorded milestone marked", func() bool {
		labels := now().OptionLabels("tk:ms")
		if len(labels) != len(backend.Milestones) {
			return false
		}
		for i, m := range backend.Milestones {
			if strings.HasPrefix(labels[i], "✓ ") != (m == backend.MilestoneResourceRequested) {
				return false
			}
		}
		return true
	})

	// Resolved: only the milestone select is left, and Add to knowledge
	// base for the solution.
	if _, err := h.svc.Claim(ctx, staff, tk.Number); err != nil {
		t.Fatal(err)
	}
	// The claim's edit first, so it cannot land over the resolution's.
	poll(t, "the claimed card", func() bool {
		b := now().Buttons()
		_, claim := b["tk:claim"]
		_, ms := b["tk:ms"]
		return !claim && ms
	})
	if _, err := h.svc.Resolve(ctx, staff, tk.Number, "已修复前台缓存"); err != nil {
		t.Fatal(err)
	}
	resolved := h.ch.render.Status(h.ch.cfg.TriageLocale, backend.StatusResolved)
	poll(t, "the resolved card with only the milestone select and Add to knowledge base", func() bool {
		m := now()
		ids := slices.Sorted(maps.Keys(m.Buttons()))
		return strings.Contains(m.Text, resolved) && slices.Equal(ids, []string{"tk:kb", "tk:ms"}) && slices.Equal(m.Options("tk:ms"), want)
	})
	updates = now().Updates
	pick(helper, backend.MilestoneReportSubmitted)
	poll(t, "report_submitted", func() bool { ms, _ := h.milestones(tk.Number); return len(ms) > 1 })
	if ms, _ := h.milestones(tk.Number); !slices.Equal(ms, []backend.Milestone{backend.MilestoneResourceRequested, backend.MilestoneReportSubmitted}) {
		t.Fatalf("milestones %v, want [resource_requested report_submitted]", ms)
	}
	poll(t, "the resolved card to be updated", func() bool { m := now(); return m.Updates > updates && slices.Equal(m.Options("tk:ms"), want) })

	// Archived: no controls left.
	if _, err := h.svc.Transition(ctx, staff, tk.Number, backend.StatusArchived, ""); err != nil {
		t.Fatal(err)
	}
	archived := h.ch.render.Status(h.ch.cfg.TriageLocale, backend.StatusArchived)
	poll(t, "the archived card without controls", func() bool {
		m := now()
		return strings.Contains(m.Text, archived) && len(m.Buttons()) == 0
	})
}
