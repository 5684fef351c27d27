package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// comments are the ticket's comments, internal ones included.
func (h *harness) comments(number string) []*backend.Event {
	h.t.Helper()
	_, evs, err := h.svc.Thread(context.Background(), &backend.Person{ID: -1, Roles: []backend.Role{backend.RoleAdmin}}, number)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []*backend.Event
	for _, e := range evs {
		if e.Kind == backend.EventComment {
			out = append(out, e)
		}
	}
	return out
}

// remembered waits until the channel has saved the message it posted at
// ts (the fake shows it a moment before).
func (h *harness) remembered(channel, ts string) {
	h.t.Helper()
	poll(h.t, "the message to be remembered", func() bool {
		_, err := h.store.ChatMessage(context.Background(), Platform, channel, ts)
		return err == nil
	})
}

// TestPingThreadReplyIsNotAComment: a staff member writing in the thread
// of an escalation ping in their DM is told where to act; nothing reaches
// the reporter or the ticket.
func TestPingThreadReplyIsNotAComment(t *testing.T) {
	h := newHarness(t, ModeSocket)
	bob := h.linkStaff(helper)
	tk, ping := h.pinged(bob)
	h.remembered(dmChannel(helper), ping.TS)
	h.fake.DM(t, helper, "这单谁在跟？明天再说", ping.TS)
	h.fake.WaitMessage(t, "the hint", inChannel(dmChannel(helper), ping.TS, "不会发给报告人"))
	time.Sleep(300 * time.Millisecond)
	for _, e := range h.comments(tk.Number) {
		if strings.Contains(e.Body, "谁在跟") {
			t.Errorf("the ping thread reply became a comment, public=%v", e.Public)
		}
	}
	for _, m := range h.fake.Messages() {
		if m.Channel == dmChannel(reporter) && strings.Contains(m.Text, "谁在跟") {
			t.Errorf("the reporter got the ping thread text: %q", m.Text)
		}
	}
}

// TestAssigneeNoticeThreadFollowsStaffRules: without a triage card the
// assignee follows the ticket in their DM; replying under a notice there
// answers the reporter, and "//" keeps it an internal note, as under the
// card.
func TestAssigneeNoticeThreadFollowsStaffRules(t *testing.T) {
	h := newHarnessConfig(t, ModeSocket, func(c *Config) { c.TriageChannel = "" })
	ctx := context.Background()
	bob := h.linkStaff(helper)
	tk := h.fileTicket(backend.P3)
	if _, err := h.svc.Claim(ctx, bob, tk.Number); err != nil {
		t.Fatal(err)
	}
	root := h.fake.WaitMessage(t, "the reporter's thread", inChannel(dmChannel(reporter), "", tk.Number))
	h.remembered(dmChannel(reporter), root.TS)
	h.fake.DM(t, reporter, "补充：只有北京站有问题", root.TS)
	notice := h.fake.WaitMessage(t, "the assignee's notice", inChannel(dmChannel(helper), "", tk.Number, "只有北京站"))
	h.remembered(dmChannel(helper), notice.TS)

	h.fake.DM(t, helper, "// 先查北京站的缓存", notice.TS)
	h.fake.DM(t, helper, "收到，我们正在查北京站", notice.TS)
	h.fake.WaitMessage(t, "the answer in the reporter's thread", inChannel(dmChannel(reporter), root.TS, "正在查北京站"))
	var note, reply *backend.Event
	poll(t, "both comments", func() bool {
		note, reply = nil, nil
		for _, e := range h.comments(tk.Number) {
			switch {
			case strings.Contains(e.Body, "缓存"):
				note = e
			case strings.Contains(e.Body, "正在查"):
				reply = e
			}
		}
		return note != nil && reply != nil
	})
	if note.Public || note.Body != "先查北京站的缓存" || note.ActorID != bob.ID {
		t.Errorf("the // note: %+v", note)
	}
	if !reply.Public || reply.ActorID != bob.ID {
		t.Errorf("the reply: %+v", reply)
	}
	time.Sleep(300 * time.Millisecond)
	for _, m := range h.fake.Messages() {
		if m.Channel == dmChannel(reporter) && strings.Contains(m.Text, "缓存") {
			t.Errorf("the reporter got the internal note: %q", m.Text)
		}
	}
}

// TestStaffReplyMentionsByName: mentions in a staff reply under the card
// reach the reporter as names, not as Slack's "<@U…>" markup: the name in
// the mention, else the linked person's name in deskbot, else the Slack
// display name (users.info), else the id; a channel as #name.
func TestStaffReplyMentionsByName(t *testing.T) {
	h := newHarness(t, ModeSocket)
	h.linkStaff(helper)
	h.fake.SetUser("UCAROL", "卡罗", "zh-CN")
	carol := h.linkStaff("UCAROL")
	h.fake.SetDisplayName("UCAROL", "carol-on-slack") // deskbot's name wins for a linked person
	h.fake.SetDisplayName("UWANG", "王五")
	h.fake.NoSuchUser("UGONE")
	tk := h.fileTicket(backend.P3)
	card := h.fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	h.remembered(triage, card.TS)

	h.fake.Post(t, helper, triage, "<@UZHANG|张三> <@UCAROL> <@UWANG> <@UGONE> 请看 <#C123|general> 的讨论", card.TS)
	const want = "@张三 @卡罗 @王五 @UGONE 请看 #general 的讨论"
	h.fake.WaitMessage(t, "the reply with names", inChannel(dmChannel(reporter), "*", want))
	if carol.Name != "卡罗" {
		t.Fatalf("linked as %q", carol.Name)
	}
	var bodies []string
	for _, e := range h.comments(tk.Number) {
		bodies = append(bodies, e.Body)
	}
	if len(bodies) != 1 || bodies[0] != want {
		t.Errorf("comments %q, want [%q]", bodies, want)
	}
	for _, m := range h.fake.Messages() {
		if m.Channel == dmChannel(reporter) && strings.Contains(m.Text, "<@") {
			t.Errorf("the reporter got Slack markup: %q", m.Text)
		}
	}
}

// TestLongReplyArrivesWhole: a reply of several thousand characters (a
// comment takes 10,000) reaches the reporter whole: Slack shows up to
// 40,000 characters of a message's text; only a message with blocks
// keeps its text short, as the notification.
func TestLongReplyArrivesWhole(t *testing.T) {
	h := newHarness(t, ModeSocket)
	staff := h.linkStaff(helper)
	tk := h.fileTicket(backend.P3)
	long := strings.Repeat("排查步骤：清缓存后重新登录，再看订单列表。", 400) + "结束"
	if _, err := h.svc.Comment(context.Background(), staff, tk.Number, long, true); err != nil {
		t.Fatal(err)
	}
	m := h.fake.WaitMessage(t, "the long reply", inChannel(dmChannel(reporter), "*", "结束"))
	if !strings.Contains(m.Text, long) {
		t.Fatalf("the reply arrived cut: %d of %d characters", len([]rune(m.Text)), len([]rune(long)))
	}
}
