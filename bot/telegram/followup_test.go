package telegram

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// TestFollowUpReminders: the week after a 不满意 rating, at 09:00 on
// Monday, the triage group is reminded of the survey under the ticket's
// card; an overdue callback is reminded on the Monday after its window.
func TestFollowUpReminders(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, sh) // a Monday
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	h := newHarnessServing(t, ModePoll, nil, func(c *backend.ServiceConfig) { c.Now, c.Location = clock, sh })
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	alicep, err := h.svc.ReporterFor(ctx, backend.ChatAccount{Platform: Platform, UserID: itoa(alice.ID), ChatID: itoa(alice.ID)}, alice.FirstName, "zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	tk, err := h.svc.CreateTicket(ctx, alicep, backend.NewTicket{Prefix: "FB", Form: "feedback", Summary: "会员积分在下单后一直没有到账",
		CategoryPath: []string{"CRM问题", "会员中心"}, OccurredAt: clock().Add(-time.Hour), Region: "华北",
		Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "api"})
	if err != nil {
		t.Fatal(err)
	}
	triage := h.follow(triageChat)
	card := triage.next(tk.Number, "会员积分在下单后一直没有到账")
	if _, err := h.svc.Claim(ctx, bobP, tk.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Resolve(ctx, bobP, tk.Number, "积分已补发"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.RecordSatisfaction(ctx, alicep, tk.Number, backend.SatisfactionUnsatisfied, "补发太慢"); err != nil {
		t.Fatal(err)
	}

	set(time.Date(2026, 11, 30, 9, 0, 0, 0, sh))
	if n, err := h.svc.RemindFollowUps(ctx); err != nil || n != 1 {
		t.Fatalf("RemindFollowUps = %d, %v; want 1", n, err)
	}
	m := triage.next("本周调研", tk.Number, "11-30 至 12-02")
	if m.ReplyToMessage == nil || m.ReplyToMessage.ID != card.ID {
		t.Fatalf("the reminder does not answer the ticket's card %d: %+v", card.ID, m.ReplyToMessage)
	}

	// Surveyed with a callback needed, and the ticket resolved again;
	// nobody called back that week: reminded, overdue, next Monday.
	fus, err := h.svc.FollowUpsOf(ctx, bobP, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.RecordSurvey(ctx, bobP, fus[0].ID, backend.SurveyInput{Factors: []backend.Factor{backend.FactorReturnedLate}, Callback: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Resolve(ctx, bobP, tk.Number, "积分已补发并致歉"); err != nil {
		t.Fatal(err)
	}
	set(time.Date(2026, 12, 7, 9, 0, 0, 0, sh))
	if n, err := h.svc.RemindFollowUps(ctx); err != nil || n != 1 {
		t.Fatalf("RemindFollowUps = %d, %v; want 1", n, err)
	}
	triage.next("回访逾期", tk.Number, "12-03 至 12-06")
	if got := h.count(alice.ID, "回访"); got != 0 {
		t.Fatalf("the reporter got %d reminders", got)
	}
}
