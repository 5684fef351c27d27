package botkit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

func TestRendererSLA(t *testing.T) {
	r := chinaRenderer(t, "王经理")
	due := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	tk := &backend.Ticket{Number: "FB-20261123-0001", Summary: "会员中心无法下单", Severity: backend.P1, Status: backend.StatusNew, Solution: "已修复"}
	msg := func(kind backend.EventKind, body string, data backend.EventData, actor int64) notify.Message {
		return notify.Message{Ticket: tk, Outbox: &backend.OutboxMessage{Audience: backend.AudiencePerson},
			Event: &backend.Event{Kind: kind, Body: body, Data: data, ActorID: actor}, Recipient: &backend.Person{Locale: "en"}}
	}
	for _, tc := range []struct {
		m    notify.Message
		want []string
		ping bool
	}{
		{msg(backend.EventEscalation, "confirm breached; step 3: manager; told 王经理 (#5) +email", backend.EventData{Clock: "confirm", Due: due, Step: 3}, 0),
			[]string{"FB-20261123-0001", "missed \"confirm or return\"", "due 2026-11-23 11:00", "step 3: direct manager"}, true},
		{msg(backend.EventClock, "solve warning", backend.EventData{Clock: "solve", Due: due}, 0),
			[]string{"\"solve\" is due at 2026-11-23 11:00"}, false},
		{msg(backend.EventEscalation, "notice created", backend.EventData{Clock: "notice_created"}, 0), []string{"New P1 urgent problem"}, false},
		{msg(backend.EventEscalation, "notice resolved", backend.EventData{Clock: "notice_resolved"}, 0), []string{"is solved: 已修复"}, false},
		{msg(backend.EventEscalation, "digest 2026-11-23", backend.EventData{Clock: "digest"}, 0), []string{"End-of-day progress", "unclaimed", "No progress recorded today"}, false},
		{msg(backend.EventEscalation, "digest 2026-11-23; told 王经理 (#5)\n已定位到支付网关超时", backend.EventData{Clock: "digest"}, 0), []string{"End-of-day progress", "Today: 已定位到支付网关超时"}, false},
		{msg(backend.EventEscalation, "batch 2026-11-30", backend.EventData{Clock: "batch"}, 0), []string{"Weekly batch"}, false},
		{msg(backend.EventAcknowledged, "confirm", backend.EventData{Clock: "confirm"}, 7), []string{"王经理 acknowledged"}, false},
	} {
		got := r.Notice(context.Background(), tc.m)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s %s: %q lacks %q", tc.m.Event.Kind, tc.m.Event.Body, got, w)
			}
		}
		if IsEscalationPing(tc.m) != tc.ping {
			t.Errorf("%s: IsEscalationPing = %v", tc.m.Event.Body, !tc.ping)
		}
	}
	zh := msg(backend.EventEscalation, "confirm breached; step 4: director_group", backend.EventData{Clock: "confirm", Due: due, Step: 4}, 0)
	zh.Recipient = &backend.Person{Locale: "zh-CN"}
	if got := r.Notice(context.Background(), zh); !strings.Contains(got, "升级第 4 级：总监组") {
		t.Errorf("zh-CN: %q", got)
	}
}

// TestRendererAssignedDue: the person a ticket is dispatched to is told
// to accept it by its confirm deadline (seed 002), in their language; an
// assignment without a deadline (SLA off) says only that it is theirs.
func TestRendererAssignedDue(t *testing.T) {
	r := chinaRenderer(t, "李助理")
	tk := &backend.Ticket{Number: "FB-20261123-0002", Summary: "会员积分兑换异常", Severity: backend.P1, Status: backend.StatusAssigned}
	m := notify.Message{Ticket: tk, Outbox: &backend.OutboxMessage{Audience: backend.AudienceAssignee},
		Event:     &backend.Event{Kind: backend.EventAssigned, Data: backend.EventData{AssigneeID: 9, Due: time.Date(2026, 11, 23, 3, 30, 0, 0, time.UTC)}},
		Recipient: &backend.Person{ID: 9, Locale: "zh-CN"}}
	if got := r.Notice(context.Background(), m); !strings.Contains(got, "已分派给您") || !strings.Contains(got, "请在 2026-11-23 11:30 前确认接收") {
		t.Errorf("zh-CN: %q", got)
	}
	m.Recipient.Locale = "en"
	if got := r.Notice(context.Background(), m); !strings.Contains(got, "Please accept it by 2026-11-23 11:30") {
		t.Errorf("en: %q", got)
	}
	m.Event.Data.Due = time.Time{}
	if got := r.Notice(context.Background(), m); strings.Contains(got, "accept") || !strings.Contains(got, "assigned to you") {
		t.Errorf("without a deadline: %q", got)
	}
}

// TestCardOccurredAt: the card shows when the problem happened in China
// time, whatever zone the store read it in, a day named alone as the day,
// and a midnight given as a time as 00:00.
func TestCardOccurredAt(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	r := &Renderer{Cat: cat, People: func(_ context.Context, id int64) (*backend.Person, error) { return &backend.Person{ID: id}, nil }}
	for _, tc := range []struct {
		at       time.Time
		dateOnly bool
		want     string
	}{
		{time.Date(2025, 1, 1, 2, 0, 0, 0, time.UTC), false, "发生时间：2025-01-01 10:00"},
		{time.Date(2025, 11, 25, 16, 0, 0, 0, time.UTC), true, "发生时间：2025-11-26\n"},        // "11月26日"
		{time.Date(2025, 11, 25, 16, 0, 0, 0, time.UTC), false, "发生时间：2025-11-26 00:00\n"}, // "昨晚12点"
	} {
		tk := &backend.Ticket{Number: "FB-20251126-0001", Summary: "会员中心无法下单", Severity: backend.P3, Status: backend.StatusNew,
			OccurredAt: tc.at, OccurredDateOnly: tc.dateOnly, CreatedAt: time.Date(2025, 11, 26, 3, 0, 0, 0, time.UTC)}
		if card := r.Card(context.Background(), "zh-CN", tk, nil); !strings.Contains(card, tc.want) {
			t.Errorf("%s: want %q in\n%s", tc.at, tc.want, card)
		}
	}
}

// TestRendererDelay: a delay reaches the reporter with its reason and, in
// the zone, the time it should be solved by; the managers read who said
// it.
func TestRendererDelay(t *testing.T) {
	r := chinaRenderer(t, "李助理")
	tk := &backend.Ticket{Number: "FB-20261123-0002", Summary: "会员积分兑换异常", Severity: backend.P2, Status: backend.StatusInProgress}
	m := notify.Message{Ticket: tk, Outbox: &backend.OutboxMessage{Audience: backend.AudienceReporter},
		Event:     &backend.Event{Kind: backend.EventDelay, ActorID: 9, Body: "等供应商排查接口", Data: backend.EventData{Due: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}},
		Recipient: &backend.Person{ID: 1, Locale: "zh-CN"}}
	for _, tc := range []struct {
		audience backend.Audience
		loc      string
		due      bool
		want     []string
	}{
		{backend.AudienceReporter, "zh-CN", true, []string{"需要更多时间处理，预计 2026-11-26 18:00 前解决", "李助理", "等供应商排查接口"}},
		{backend.AudienceReporter, "en", false, []string{"needs more time", "李助理", "等供应商排查接口", "keep you posted"}},
		{backend.AudiencePerson, "zh-CN", true, []string{"李助理 已向报告人说明工单 FB-20261123-0002 将延期，预计 2026-11-26 18:00 前解决", "等供应商排查接口"}},
		{backend.AudiencePerson, "en", false, []string{"李助理 told the reporter that ticket FB-20261123-0002 will be late:", "等供应商排查接口"}},
	} {
		m.Outbox.Audience, m.Recipient.Locale = tc.audience, tc.loc
		m.Event.Data.Due = time.Time{}
		if tc.due {
			m.Event.Data.Due = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		}
		got := r.Notice(context.Background(), m)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s %s: %q lacks %q", tc.audience, tc.loc, got, w)
			}
		}
	}

	// The solve clock's warning to the assignee says how to explain the
	// delay; the other clocks' do not, nor does one to the triage chat
	// (nobody holds the ticket).
	m.Recipient.Locale = "zh-CN"
	for _, tc := range []struct {
		clock    string
		audience backend.Audience
		want     bool
	}{
		{"solve", backend.AudienceAssignee, true},
		{"confirm", backend.AudienceAssignee, false},
		{"solve", backend.AudienceTriage, false},
	} {
		m.Outbox.Audience = tc.audience
		m.Event = &backend.Event{Kind: backend.EventClock, Body: tc.clock + " warning", Data: backend.EventData{Clock: tc.clock, Due: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}}
		got := r.Notice(context.Background(), m)
		if strings.Contains(got, "⏳ 延期说明") != tc.want || !strings.Contains(got, "2026-11-26 18:00") {
			t.Errorf("%s warning to %s: %q (the delay named: want %v)", tc.clock, tc.audience, got, tc.want)
		}
	}
}

// chinaRenderer renders in China time, everyone named name.
func chinaRenderer(t *testing.T, name string) *Renderer {
	t.Helper()
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	return &Renderer{Cat: cat, Location: time.FixedZone("CST", 8*3600), People: func(_ context.Context, id int64) (*backend.Person, error) {
		return &backend.Person{ID: id, Name: name}, nil
	}}
}
