package webchat_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/web"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestEventLineLocalized (here, where the real catalog may be used):
// every event the engine and the outbox write
// reads as a sentence in the reader's language, never as a raw kind or
// an English body.
func TestEventLineLocalized(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	name := func(int64) string { return "安妮" }
	due := time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		e    backend.Event
		want string
	}{
		{backend.Event{Kind: backend.EventClock, Body: "first_handling started", Data: backend.EventData{Clock: "first_handling", Due: due}}, "时限「首次处理」开始计时"},
		{backend.Event{Kind: backend.EventClock, Body: "solve re-planned for P1", Data: backend.EventData{Clock: "solve"}}, "时限「解决」已重新计算"},
		{backend.Event{Kind: backend.EventClock, Body: "confirm warning", Data: backend.EventData{Clock: "confirm"}}, "即将到期"},
		{backend.Event{Kind: backend.EventEscalation, Body: "confirm breached; step 2: manager", Data: backend.EventData{Clock: "confirm", Step: 2}}, "已升级第 2 级"},
		// As the SLA engine writes them.
		{backend.Event{Kind: backend.EventEscalation, Body: "digest 2026-11-24; told 安妮", Data: backend.EventData{Clock: "digest"}}, "已发送下班前进展通报"},
		{backend.Event{Kind: backend.EventEscalation, Body: "notice created; told manager (#3)", Data: backend.EventData{Clock: "notice_created"}}, "已按级别通报相关管理人员"},
		{backend.Event{Kind: backend.EventEscalation, Body: "batch 2026-11-30", Data: backend.EventData{Clock: "batch"}}, "已列入每周建议汇总"},
		{backend.Event{Kind: backend.EventAcknowledged, ActorID: 3, Data: backend.EventData{Clock: "confirm"}}, "安妮 已确认「确认受理或退回」"},
		{backend.Event{Kind: backend.EventNotificationSent, Body: "sent via web to reporter"}, "已通过网页通知报告人"},
		{backend.Event{Kind: backend.EventNotificationSent, Body: "sent via telegram to triage"}, "Telegram 通知分诊群"},
	} {
		got := web.EventLine(cat, "zh-CN", &tc.e, name)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s %q: %q, want %q in it", tc.e.Kind, tc.e.Body, got, tc.want)
		}
	}
	if got := web.ExtraLabel(cat, "zh-CN", "feedback", "category_other"); got != "问题分类（其他）" {
		t.Errorf("category_other: %q", got)
	}
	if got := web.ExtraLabel(cat, "en", "complaint", "requests"); got != "Customer requests" {
		t.Errorf("complaint requests: %q", got)
	}
	if got := web.ExtraLabel(cat, "zh-CN", "it_request", "laptop"); got != "laptop" {
		t.Errorf("a field of an unknown form: %q", got)
	}
}

// TestErrorTextLocalized: a domain error reads in the reader's language,
// status names included, in pages and in chats alike.
func TestErrorTextLocalized(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	conflict := backend.Keyed(backend.ECONFLICT, "status", map[string]any{"Number": "FB-20261124-0001", "Status": backend.StatusResolved},
		"ticket %s is %s", "FB-20261124-0001", backend.StatusResolved)
	if got := web.ErrorText(cat, "zh-CN", conflict); got != "当前无法执行：工单 FB-20261124-0001 当前为「已完成」" {
		t.Errorf("web zh: %q", got)
	}
	if got := web.ErrorText(cat, "en", conflict); !strings.Contains(got, "ticket FB-20261124-0001 is resolved") {
		t.Errorf("web en: %q", got)
	}
	if got := botkit.ErrorText(cat, slog.New(slog.DiscardHandler), "telegram", "zh-CN", conflict); !strings.Contains(got, "当前为「已完成」") || strings.Contains(got, "resolved") {
		t.Errorf("telegram zh: %q", got)
	}
	if got := conflict.Error(); got != "ticket FB-20261124-0001 is resolved" {
		t.Errorf("the English message (logs, API): %q", got)
	}
}

// TestFieldProblemsLocalized: the bad fields of an EINVALID error read as
// labels and problems in the reader's language, in a stable order, in
// pages and in chats; a field the catalogs do not know keeps its text.
func TestFieldProblemsLocalized(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	nt := &backend.NewTicket{Prefix: "FB", Summary: "不显示", Severity: backend.P1, CategoryPath: []string{"CRM问题"},
		OccurredAt: time.Now().Add(-time.Hour), Region: "北京", Contacts: backend.Contacts{Phone: "12345"}}
	invalid := nt.Validate(time.Now())
	want := "请检查输入：账号：严重程度为「P1 紧急」时必填；截图：严重程度为「P1 紧急」时须附截图；电话：须为 11 位大陆手机号（13–19 开头）、带区号的固定电话或 400/800 电话；订单号：严重程度为「P1 紧急」时必填；问题摘要：须为 10–2000 个字（现为 3 个）"
	for range 5 { // map order must not show
		if got := web.ErrorText(cat, "zh-CN", invalid); got != want {
			t.Fatalf("web zh:\n got %q\nwant %q", got, want)
		}
	}
	if got := web.ErrorText(cat, "en", invalid); !strings.Contains(got, "summary: must be 10–2000 characters (it has 3)") || !strings.Contains(got, "order number: required for P1 urgent") {
		t.Errorf("web en: %q", got)
	}
	resolve := backend.Invalid("a solution is required to resolve", "note", "the solution is required", backend.Problem{Key: "solution"})
	if got := botkit.ErrorText(cat, slog.New(slog.DiscardHandler), "telegram", "zh-CN", resolve); got != "内容不完整：说明：请填写解决方案" {
		t.Errorf("telegram zh: %q", got)
	}
	if got := resolve.Error(); got != "a solution is required to resolve: note: the solution is required" {
		t.Errorf("the English message (logs, API): %q", got)
	}
	api := &backend.Error{Code: backend.EINVALID, Message: "invalid request", Fields: map[string]string{"to": "unknown field"}}
	if got := web.ErrorText(cat, "zh-CN", api); got != "请检查输入：invalid request（to: unknown field）" {
		t.Errorf("a field without a problem key: %q", got)
	}
}
