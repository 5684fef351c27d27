package slack

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

func TestUnformat(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"<mailto:zhang@example.com|zhang@example.com>", "zhang@example.com"},
		{"邮箱 <mailto:zhang@example.com|zhang@example.com> 谢谢", "邮箱 zhang@example.com 谢谢"},
		{"<https://example.com/a?x=1&amp;y=2|example.com/a?x=1&amp;y=2>", "https://example.com/a?x=1&y=2"},
		{"见 <https://example.com/b|说明文档>", "见 https://example.com/b"},
		{"<https://example.com/c>", "https://example.com/c"},
		{"<tel:13800138000|13800138000>", "tel:13800138000"},
		{"a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"},
		{"&amp;lt; stays an entity", "&lt; stays an entity"},
		{"<@U123> 请看一下", "@张三 请看一下"},
		{"<@U404> 请看一下", "@U404 请看一下"}, // nobody says who
		{"<@U123|zhang> and <#C456|triage> <!here> <!subteam^S1|@ops>", "@zhang and #triage <!here> <!subteam^S1|@ops>"},
		{"<#C456> <@>", "#C456 <@>"},
		{"&lt;@U123&gt; typed, not a mention", "<@U123> typed, not a mention"},
		{"unclosed <https://example.com", "unclosed <https://example.com"},
		{"<>", "<>"},
	} {
		user := func(id string) string { return map[string]string{"U123": "张三"}[id] }
		if got := unformat(tc.in, user); got != tc.want {
			t.Errorf("unformat(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestDMDialogTypedEmail: Slack delivers a typed e-mail as a mailto link;
// the DM dialog takes the address the reporter typed.
func TestDMDialogTypedEmail(t *testing.T) {
	h := newHarness(t, ModeSocket)
	fake := h.fake
	dm := dmChannel(reporter)
	wait := func(what string, parts ...string) slacktest.Message {
		t.Helper()
		return fake.WaitMessage(t, what, inChannel(dm, "", parts...))
	}
	fake.DM(t, reporter, "你好", "")
	menu := fake.WaitMessage(t, "a start button", func(m slacktest.Message) bool {
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
		{"3", "7/10"},
		{"跳过", "8/10"},
		{"跳过", "9/10"},
		{"跳过", "10/10"},
	} {
		fake.DM(t, reporter, step.say, "")
		wait("question "+step.next, step.next)
	}
	before := len(fake.Messages())
	fake.DM(t, reporter, "<mailto:zhang@example.com|zhang@example.com>", "")
	poll(t, "an answer", func() bool { return len(fake.Messages()) > before })
	time.Sleep(300 * time.Millisecond)
	for _, m := range fake.Messages()[before:] {
		if !strings.Contains(m.Text, "请核对") {
			t.Errorf("the typed e-mail was refused: %q", m.Text)
		} else if !strings.Contains(m.Text, "zhang@example.com") || strings.Contains(m.Text, "mailto") {
			t.Errorf("the summary does not show the e-mail as typed: %q", m.Text)
		}
	}
}

// TestThreadReplyUnformatted: a reporter's reply in their ticket thread is
// kept as typed, links and escaped characters undone.
func TestThreadReplyUnformatted(t *testing.T) {
	h := newHarness(t, ModeSocket)
	tk := h.fileTicket(backend.P3)
	root := h.fake.WaitMessage(t, "the reporter's thread", inChannel(dmChannel(reporter), "", tk.Number))
	h.remembered(dmChannel(reporter), root.TS)
	h.fake.DM(t, reporter, "见 <https://example.com/a?x=1&amp;y=2|example.com/a?x=1&amp;y=2> 且 a &lt; b", root.TS)
	var got string
	poll(t, "the comment", func() bool {
		for _, e := range h.comments(tk.Number) {
			got = e.Body
			return true
		}
		return false
	})
	if want := "见 https://example.com/a?x=1&y=2 且 a < b"; got != want {
		t.Fatalf("comment %q, want %q", got, want)
	}
}

// TestOutboundEscaped: what people typed reaches Slack as text, never as
// markup: a staff reply's "<!here>" or spoofed link in the reporter's DM
// stays visible characters.
func TestOutboundEscaped(t *testing.T) {
	h := newHarness(t, ModeSocket)
	tk := h.fileTicket(backend.P3)
	root := h.fake.WaitMessage(t, "the reporter's thread", inChannel(dmChannel(reporter), "", tk.Number))
	staff := h.linkStaff(helper)
	if _, err := h.svc.Comment(context.Background(), staff, tk.Number, "<!here> 请看 <https://evil.example|官方通知> & 回复", true); err != nil {
		t.Fatal(err)
	}
	got := h.fake.WaitMessage(t, "the reply in the reporter's DM", inChannel(dmChannel(reporter), root.TS, "请看"))
	if strings.Contains(got.Text, "<!here>") || strings.Contains(got.Text, "<https://") ||
		!strings.Contains(got.Text, "&lt;!here&gt; 请看 &lt;https://evil.example|官方通知&gt; &amp; 回复") {
		t.Fatalf("the reply reached Slack as markup: %q", got.Text)
	}
}

// TestSocketModeKeepsOrder: messages that come in quick succession over
// Socket Mode are taken in the order they were sent.
func TestSocketModeKeepsOrder(t *testing.T) {
	h := newHarness(t, ModeSocket)
	tk := h.fileTicket(backend.P3)
	root := h.fake.WaitMessage(t, "the reporter's thread", inChannel(dmChannel(reporter), "", tk.Number))
	h.remembered(dmChannel(reporter), root.TS)
	const n = 30
	var texts []string
	for i := range n {
		texts = append(texts, "补充 "+strconv.Itoa(i))
	}
	h.fake.DMs(t, reporter, root.TS, texts...)
	var got []string
	poll(t, "every follow-up", func() bool {
		got = got[:0]
		for _, e := range h.comments(tk.Number) {
			got = append(got, e.Body)
		}
		return len(got) == n
	})
	for i, body := range got {
		if body != "补充 "+strconv.Itoa(i) {
			t.Fatalf("follow-ups out of order: %q", got)
		}
	}
}

// TestDMAskStatus: a DM that is a ticket number, alone or with words of
// asking around it (查一下 fb-… 的进度), shows the status and is no
// follow-up; a sentence that says more is not taken for a question.
func TestDMAskStatus(t *testing.T) {
	h := newHarness(t, ModeSocket)
	tk := h.fileTicket(backend.P3)
	dm := dmChannel(reporter)
	isStatus := inChannel(dm, "", "*工单 "+tk.Number+"*", "状态：")
	for i, text := range []string{tk.Number, "查一下 " + strings.ToLower(tk.Number) + " 的进度", "工单" + tk.Number} {
		h.fake.DM(t, reporter, text, "")
		poll(t, "the status for "+text, func() bool {
			n := 0
			for _, m := range h.fake.Messages() {
				if isStatus(m) {
					n++
				}
			}
			return n == i+1
		})
	}
	if cs := h.comments(tk.Number); len(cs) != 0 {
		t.Fatalf("a question became a follow-up: %+v", cs)
	}
	if active, err := h.ch.engine.Active(context.Background(), h.ch.sessionKey(reporter)); err != nil || active {
		t.Fatalf("a question started a dialog: %v %v", active, err)
	}
}

// TestDMTypedRating: 不满意 typed in the DM, instead of pressed, rates the
// reporter's resolved ticket (and reopens it).
func TestDMTypedRating(t *testing.T) {
	h := newHarness(t, ModeSocket)
	ctx := context.Background()
	tk := h.fileTicket(backend.P3)
	mgr := &backend.Person{Name: "经理", Roles: []backend.Role{backend.RoleManager}}
	if err := h.svc.CreatePerson(ctx, mgr); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Resolve(ctx, mgr, tk.Number, "已恢复放心房标识"); err != nil {
		t.Fatal(err)
	}
	h.fake.DM(t, reporter, "不满意。", "")
	poll(t, "the thanks", func() bool {
		return slices.ContainsFunc(h.fake.Messages(), inChannel(dmChannel(reporter), "", "已记录您的评价「不满意」", tk.Number))
	})
	got, err := h.svc.Ticket(ctx, mgr, tk.Number)
	if err != nil || got.Satisfaction != backend.SatisfactionUnsatisfied || got.Status != backend.StatusReopened {
		t.Fatalf("after 不满意: %+v %v", got, err)
	}
}
