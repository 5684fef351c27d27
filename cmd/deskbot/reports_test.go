package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

// TestMainReports: a manager subscribed in one process gets last week's
// report in their Telegram chat, the text with the console's link and
// then the chart, once, although two processes on the same Postgres tick
// at the same moment.
func TestMainReports(t *testing.T) {
	ctx := context.Background()
	tg := telegramtest.New(t)
	vars := map[string]string{
		"DATABASE_URL":       pgtest.NewSchema(t),
		"DESKBOT_DATA":       t.TempDir(),
		"TELEGRAM_BOT_TOKEN": telegramtest.Token,
		"TELEGRAM_API_URL":   tg.URL(),
		"PUBLIC_URL":         "https://desk.example.com",
	}
	a := startMain(t, vars)
	b := startMain(t, vars)
	mgr := &backend.Person{Name: "王经理", Roles: []backend.Role{backend.RoleManager}, Locale: "zh-CN",
		Accounts: []backend.ChatAccount{{Platform: "telegram", UserID: "701", ChatID: "701"}}}
	if err := a.Store.CreatePerson(ctx, mgr); err != nil {
		t.Fatal(err)
	}
	// A ticket filed last week, so the report has a chart.
	lastWeek := backend.PeriodOf(backend.PeriodWeek, time.Now(), a.Config.Location()).Prev()
	tk := &backend.Ticket{Summary: "会员中心积分明细页面打不开", Status: backend.StatusNew, Severity: backend.P3, ReporterID: mgr.ID,
		CategoryPath: []string{"CRM问题", "会员中心"}, CreatedAt: lastWeek.Start.Add(30 * time.Hour)}
	if err := a.Store.CreateTicket(ctx, tk, "FB", tk.CreatedAt, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Service.SubscribeReport(ctx, mgr, backend.PeriodWeek, 0, true); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, m := range []*Main{a, b, a, b} {
		wg.Go(func() {
			if err := m.Reports.Tick(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	week := lastWeek.String()
	// The ticket is overdue, so the SLA sweep of either process may also
	// ping the manager about it; only the report's messages count here.
	reportMsgs := func() []*models.Message {
		var ms []*models.Message
		for _, m := range tg.Messages(701) {
			if len(m.Photo) > 0 || strings.Contains(m.Text, "周报") {
				ms = append(ms, m)
			}
		}
		return ms
	}
	tg.Wait(t, 10*time.Second, "the report and its chart", func() bool { return len(reportMsgs()) >= 2 })
	time.Sleep(200 * time.Millisecond) // a doubled message would be here by now
	msgs := reportMsgs()
	if len(msgs) != 2 {
		t.Fatalf("the manager got %d report messages, want the text and the chart once", len(msgs))
	}
	if text := msgs[0].Text; !strings.Contains(text, "周报 "+week) || !strings.Contains(text, "https://desk.example.com/console/reports?period="+week) {
		t.Fatalf("report text:\n%s", text)
	}
	if len(msgs[1].Photo) == 0 || !strings.Contains(msgs[1].Caption, week) {
		t.Fatalf("the second message is not the chart: %+v", msgs[1])
	}
}
