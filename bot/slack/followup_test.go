package slack

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// button finds the button labelled label among m's blocks: its action id
// and value ("" when there is none).
func button(m slacktest.Message, label string) (action, value string) {
	var blocks []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
			Text     struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"elements"`
	}
	json.Unmarshal(m.Blocks, &blocks)
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.Text.Text == label {
				return e.ActionID, e.Value
			}
		}
	}
	return "", ""
}

// TestFollowUpReminders: a survey reminder comes into the thread of the
// ticket's card with its buttons; linked staff tick the factors in place
// and submit; an overdue callback is recorded the same way.
func TestFollowUpReminders(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, sh) // a Monday
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	h := newHarnessServing(t, ModeSocket, nil, func(c *backend.ServiceConfig) { c.Now, c.Location = clock, sh }, nil)
	ctx := context.Background()
	staff := h.linkStaff(helper)
	rep, err := h.ch.reporter(ctx, reporter)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := h.svc.CreateTicket(ctx, rep, backend.NewTicket{Prefix: "FB", Summary: "会员积分在下单后一直没有到账", CategoryPath: []string{"产品线问题"},
		OccurredAt: clock().Add(-time.Hour), Region: "北京", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: Platform})
	if err != nil {
		t.Fatal(err)
	}
	card := h.fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	if _, err := h.svc.Claim(ctx, staff, tk.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Resolve(ctx, staff, tk.Number, "积分已补发"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.RecordSatisfaction(ctx, rep, tk.Number, backend.SatisfactionUnsatisfied, "补发太慢"); err != nil {
		t.Fatal(err)
	}
	set(time.Date(2026, 11, 30, 9, 0, 0, 0, sh))
	if n, err := h.svc.RemindFollowUps(ctx); err != nil || n != 1 {
		t.Fatalf("RemindFollowUps = %d, %v; want 1", n, err)
	}
	reminder := func(what string, ok func(slacktest.Message) bool) slacktest.Message {
		t.Helper()
		return h.fake.WaitMessage(t, what, func(m slacktest.Message) bool {
			return inChannel(triage, card.TS, "本周调研", tk.Number)(m) && ok(m)
		})
	}
	has := func(label string) func(slacktest.Message) bool {
		return func(m slacktest.Message) bool { a, _ := button(m, label); return a != "" }
	}
	press := func(user string, m slacktest.Message, label string) {
		t.Helper()
		a, v := button(m, label)
		if a == "" {
			t.Fatalf("no button %q on %q", label, m.Text)
		}
		h.fake.Press(t, user, m, a, v, "")
	}
	m := reminder("the survey reminder", has("📝 记录调研"))

	// Someone who is not staff is told so, and nothing changes.
	press("UOUTSIDER", m, "📝 记录调研")
	h.fake.WaitMessage(t, "not allowed", func(m slacktest.Message) bool {
		return m.Ephemeral == "UOUTSIDER" && strings.Contains(m.Text, "权限")
	})
	press(helper, m, "📝 记录调研")
	m = reminder("the picker", has("☐ 服务态度"))
	press(helper, m, "☐ 退单导致处理不及时")
	m = reminder("a factor ticked", has("☑ 退单导致处理不及时"))
	press(helper, m, "☐ 需回访")
	m = reminder("a callback asked for", has("☑ 需回访"))
	press(helper, m, "✅ 提交调研")
	reminder("the survey recorded", func(m slacktest.Message) bool {
		a, _ := button(m, "✅ 提交调研")
		return strings.Contains(m.Text, "记录了调研：退单导致处理不及时；未解决，需回访") && a == ""
	})
	fus, err := h.svc.FollowUpsOf(ctx, staff, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if fu := fus[0]; fu.Survey != backend.SurveyDone || fu.Callback != backend.CallbackNeeded || fu.SurveyedBy != staff.ID ||
		len(fu.Factors) != 1 || fu.Factors[0] != backend.FactorReturnedLate {
		t.Fatalf("after the survey from Slack: %+v", fu)
	}

	// Resolved again, not called back that week: overdue on Monday.
	if _, err := h.svc.Resolve(ctx, staff, tk.Number, "积分已补发并致歉"); err != nil {
		t.Fatal(err)
	}
	set(time.Date(2026, 12, 7, 9, 0, 0, 0, sh))
	if n, err := h.svc.RemindFollowUps(ctx); err != nil || n != 1 {
		t.Fatalf("RemindFollowUps = %d, %v; want 1", n, err)
	}
	callback := func(what string, ok func(slacktest.Message) bool) slacktest.Message {
		t.Helper()
		return h.fake.WaitMessage(t, what, func(m slacktest.Message) bool {
			return inChannel(triage, card.TS, "回访逾期", tk.Number, "12-03 至 12-06")(m) && ok(m)
		})
	}
	m = callback("the callback reminder", has("未联系上"))
	press(helper, m, "未联系上")
	m = callback("not reached", func(m slacktest.Message) bool {
		return strings.Contains(m.Text, "未联系上，回访仍待完成") && has("用户满意（接受）")(m)
	})
	press(helper, m, "用户满意（接受）")
	callback("called back", func(m slacktest.Message) bool {
		a, _ := button(m, "未联系上")
		return strings.Contains(m.Text, "记录了回访：用户满意（接受）") && a == ""
	})
	if fus, err = h.svc.FollowUpsOf(ctx, staff, tk.Number); err != nil || fus[0].Callback != backend.CallbackDone || fus[0].Outcome != backend.OutcomeAccepted {
		t.Fatalf("after the callback from Slack: %+v, %v", fus, err)
	}
}
