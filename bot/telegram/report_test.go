package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/reportsend"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

// as makes the harness's helpers report to t (a subtest) until t ends.
func (h *harness) as(t testing.TB) {
	prev := h.t
	h.t = t
	t.Cleanup(func() { h.t = prev })
}

// linkManager links u as a manager through an invite.
func (h *harness) linkManager(u models.User) *backend.Person {
	h.t.Helper()
	code, err := h.svc.CreateInvite(context.Background(), backend.RoleManager, 0, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	h.deliver(h.tg.Text(u, "/start "+code))
	h.follow(u.ID).next(u.FirstName) // linked: the answer names them in every language
	p := h.person(u)
	if !p.HasRole(backend.RoleManager) {
		h.t.Fatalf("after the invite: %+v", p)
	}
	return p
}

// reportTickets files tickets in two sub-categories this week.
func (h *harness) reportTickets() {
	h.t.Helper()
	h.directTicket(alice, "提单系统保存订单时报错")
	h.directTicket(alice, "提单系统打不开订单列表")
	p := h.person(alice)
	if _, err := h.svc.CreateTicket(context.Background(), p, backend.NewTicket{Prefix: "FB", Form: "feedback",
		Summary: "放心房上线后前台不显示", CategoryPath: []string{"产品线问题", "房产放心房"}, OccurredAt: time.Now().Add(-time.Hour),
		Region: "华北", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "api"}); err != nil {
		h.t.Fatal(err)
	}
}

// reportMessage subscribes the manager p to the weekly report, queues and
// claims this week's delivery in the store, and returns the message the
// dispatcher would hand a sender: the report computed as p, its chart,
// and Sent recording into the store.
func (h *harness) reportMessage(p *backend.Person) reportsend.Message {
	h.t.Helper()
	ctx := context.Background()
	now := time.Now()
	period := backend.PeriodOf(backend.PeriodWeek, now, h.svc.Location())
	if _, err := h.svc.SubscribeReport(ctx, p, backend.PeriodWeek, 0, true); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.store.QueueReports(ctx, backend.PeriodWeek, period.String(), now); err != nil {
		h.t.Fatal(err)
	}
	dl := h.claimReport(p)
	r, err := h.svc.Report(ctx, p, backend.ReportQuery{Period: period})
	if err != nil {
		h.t.Fatal(err)
	}
	var png bytes.Buffer
	if err := r.Chart(&png); err != nil {
		h.t.Fatal(err)
	}
	p, err = h.store.Person(ctx, p.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	m := reportsend.Message{Delivery: dl, Person: p, Report: r, Chart: png.Bytes(),
		Sent: func(ctx context.Context, n int) error { return h.store.ReportPartsSent(ctx, dl.ID, n) }}
	for _, a := range p.Accounts {
		if a.Platform == Platform {
			m.Account = a
		}
	}
	return m
}

// claimReport claims p's due report delivery.
func (h *harness) claimReport(p *backend.Person) *backend.ReportDelivery {
	h.t.Helper()
	ds, err := h.store.ClaimReports(context.Background(), time.Now(), time.Minute, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, d := range ds {
		if d.PersonID == p.ID {
			return d
		}
	}
	h.t.Fatalf("no report delivery to claim for person %d among %d", p.ID, len(ds))
	return nil
}

// delivery is p's latest report delivery as stored.
func (h *harness) delivery(p *backend.Person) *backend.ReportDelivery {
	h.t.Helper()
	ds, err := h.store.ReportDeliveries(context.Background(), p.ID, 1)
	if err != nil || len(ds) != 1 {
		h.t.Fatalf("report deliveries of %d: %v, %d", p.ID, err, len(ds))
	}
	return ds[0]
}

// photos are the bot's photos in chat, as sent.
func (h *harness) photos(chat int64) []*models.Message {
	var out []*models.Message
	for _, m := range h.tg.Messages(chat) {
		if len(m.Photo) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// checkReport checks that chat holds the report's text once, with every
// wanted part, and after it the chart with its caption and m's PNG.
func (h *harness) checkReport(chat int64, m reportsend.Message, title, caption string, want ...string) {
	h.t.Helper()
	msgs := h.tg.Messages(chat)
	text, photo := -1, -1
	for i, msg := range msgs {
		switch {
		case strings.Contains(msg.Text, title):
			if text >= 0 {
				h.t.Fatalf("the report's text is in chat %d twice", chat)
			}
			text = i
		case len(msg.Photo) > 0:
			if photo >= 0 {
				h.t.Fatalf("the chart is in chat %d twice", chat)
			}
			photo = i
		}
	}
	if text < 0 || photo < text {
		h.t.Fatalf("chat %d: the text is message %d and the chart %d, want the text and then the chart", chat, text, photo)
	}
	for _, w := range want {
		if !strings.Contains(msgs[text].Text, w) {
			h.t.Errorf("the report's text lacks %q:\n%s", w, msgs[text].Text)
		}
	}
	if got := msgs[photo].Caption; got != caption {
		h.t.Errorf("caption %q, want %q", got, caption)
	}
	ps := msgs[photo].Photo
	data, ok := h.tg.File(ps[len(ps)-1].FileID)
	if !ok || !bytes.HasPrefix(data, []byte("\x89PNG")) || !bytes.Equal(data, m.Chart) {
		h.t.Errorf("the photo is %d bytes starting %q, want the chart's %d bytes", len(data), data[:min(8, len(data))], len(m.Chart))
	}
	if ps[len(ps)-1].Width == 0 {
		h.t.Errorf("the photo has no size: %+v", ps)
	}
}

// TestSendReport: the Channel sends a report as reportsend.Sender, to the
// manager's private chat in their language: the text, then the chart as
// a photo; each part recorded in the store as it goes out, so a retry
// sends only what is missing.
func TestSendReport(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	h.reportTickets()

	t.Run("OK", func(t *testing.T) {
		h.as(t)
		carolP := h.linkManager(carol)
		m := h.reportMessage(carolP)
		if m.Report.Total != 3 || len(m.Report.Subcategories) != 2 {
			t.Fatalf("report: %d tickets, %d sub-categories", m.Report.Total, len(m.Report.Subcategories))
		}
		if err := h.ch.SendReport(ctx, m); err != nil {
			t.Fatal(err)
		}
		p := m.Report.Period.String()
		h.checkReport(carol.ID, m, "📊 周报 "+p, p+" 各子分类工单数量（柱下编号见报表文字）",
			"新建工单 3 张", "各子分类（即图中柱子的编号）", "1. CRM问题 / 提单系统：2（66.7%）", "2. 产品线问题 / 房产放心房：1（33.3%）")
		c := h.tg.CallsTo("sendPhoto")
		if up := c[len(c)-1]; up.Params["photo"] != "upload:report-"+p+".png" || !bytes.Equal(up.Uploads["photo"], m.Chart) {
			t.Errorf("sendPhoto %v with %d bytes", up.Params, len(up.Uploads["photo"]))
		}
		if d := h.delivery(carolP); d.Parts != 2 {
			t.Fatalf("parts sent: %d, want 2", d.Parts)
		}
	})

	t.Run("English", func(t *testing.T) {
		h.as(t)
		erin := telegramtest.User(5001, "Erin", "en")
		m := h.reportMessage(h.linkManager(erin))
		if err := h.ch.SendReport(ctx, m); err != nil {
			t.Fatal(err)
		}
		p := m.Report.Period.String()
		h.checkReport(erin.ID, m, "📊 Weekly report "+p, p+" tickets by sub-category (the numbers are keyed in the report's text)",
			"3 tickets filed", "By sub-category (the numbers under the chart's bars)", "1. CRM问题 / 提单系统: 2 (66.7%)")
	})

	// Telegram answers the photo 429: the text is recorded as sent, and
	// the next attempt sends only the photo.
	t.Run("RetryAfter", func(t *testing.T) {
		h.as(t)
		dave := telegramtest.User(5002, "Dave", "zh-hans")
		daveP := h.linkManager(dave)
		m := h.reportMessage(daveP)
		h.tg.FailNext("sendPhoto", 1, telegramtest.Fault{Code: 429, RetryAfter: 1})
		err := h.ch.SendReport(ctx, m)
		var ra *notify.RetryAfterError
		if !errors.As(err, &ra) || ra.After != time.Second {
			t.Fatalf("SendReport: %v, want a RetryAfterError of 1 s", err)
		}
		if d := h.delivery(daveP); d.Parts != 1 || !d.SentAt.IsZero() {
			t.Fatalf("after the 429: %+v, want 1 part sent", d)
		}
		if len(h.photos(dave.ID)) != 0 {
			t.Fatal("a photo arrived despite the 429")
		}
		// As the dispatcher does: released, claimed again (parts as stored).
		if err := h.store.MarkReportRetry(ctx, m.Delivery.ID, time.Now(), err.Error(), false); err != nil {
			t.Fatal(err)
		}
		m.Delivery = h.claimReport(daveP)
		if m.Delivery.Parts != 1 {
			t.Fatalf("claimed again with %d parts sent", m.Delivery.Parts)
		}
		if err := h.ch.SendReport(ctx, m); err != nil {
			t.Fatal(err)
		}
		p := m.Report.Period.String()
		h.checkReport(dave.ID, m, "📊 周报 "+p, p+" 各子分类工单数量（柱下编号见报表文字）")
		if d := h.delivery(daveP); d.Parts != 2 {
			t.Fatalf("parts sent: %d, want 2", d.Parts)
		}
	})

	// A server error is tried again, with the whole upload.
	t.Run("ServerError", func(t *testing.T) {
		h.as(t)
		frank := telegramtest.User(5003, "Frank", "zh-hans")
		m := h.reportMessage(h.linkManager(frank))
		h.tg.FailNext("sendPhoto", 1, telegramtest.Fault{Code: 502})
		if err := h.ch.SendReport(ctx, m); err != nil {
			t.Fatal(err)
		}
		p := m.Report.Period.String()
		h.checkReport(frank.ID, m, "📊 周报 "+p, p+" 各子分类工单数量（柱下编号见报表文字）")
	})

	t.Run("ErrBlocked", func(t *testing.T) {
		h.as(t)
		grace := telegramtest.User(5004, "Grace", "zh-hans")
		graceP := h.linkManager(grace)
		m := h.reportMessage(graceP)
		h.tg.FailNext("sendMessage", 1, telegramtest.Fault{Code: 403, Description: "Forbidden: bot was blocked by the user"})
		err := h.ch.SendReport(ctx, m)
		var perm *notify.PermanentError
		if !errors.As(err, &perm) {
			t.Fatalf("SendReport: %v, want a PermanentError", err)
		}
		if n := len(h.tg.Messages(grace.ID)); n != 1 || len(h.photos(grace.ID)) != 0 {
			t.Fatalf("%d messages in the chat, want only the invite's answer", n)
		}
		if d := h.delivery(graceP); d.Parts != 0 {
			t.Fatalf("parts sent: %d, want 0", d.Parts)
		}
	})

	// A report too long for one message comes in several, in order, and
	// the chart after the last; no sub-categories, no chart.
	t.Run("Long", func(t *testing.T) {
		h.as(t)
		heidi := telegramtest.User(5005, "Heidi", "zh-hans")
		m := h.reportMessage(h.linkManager(heidi))
		r := *m.Report
		r.Subcategories = nil
		for i := range 120 {
			r.Subcategories = append(r.Subcategories, backend.CategoryCount{
				Path: []string{"产品线问题", fmt.Sprintf("第 %d 个很长很长很长很长很长很长很长很长的子分类名称", i+1)}})
		}
		m.Report = &r
		if err := h.ch.SendReport(ctx, m); err != nil {
			t.Fatal(err)
		}
		msgs := h.tg.Messages(heidi.ID)[1:] // after the invite's answer
		if len(msgs) < 3 || len(msgs[len(msgs)-1].Photo) == 0 {
			t.Fatalf("%d messages, want the text in several and the chart last", len(msgs))
		}
		var text strings.Builder
		for _, msg := range msgs[:len(msgs)-1] {
			if utf16Len(msg.Text) > maxText {
				t.Fatalf("a part of %d units", utf16Len(msg.Text))
			}
			text.WriteString(msg.Text + "\n")
		}
		for i := range 120 {
			if n := strings.Count(text.String(), fmt.Sprintf("第 %d 个", i+1)); n != 1 {
				t.Fatalf("sub-category %d shown %d times", i+1, n)
			}
		}

		ivan := telegramtest.User(5006, "Ivan", "zh-hans")
		ivanP := h.linkManager(ivan)
		m = h.reportMessage(ivanP)
		r = *m.Report
		r.Subcategories = nil
		m.Report = &r
		if err := h.ch.SendReport(ctx, m); err != nil {
			t.Fatal(err)
		}
		if n := len(h.tg.Messages(ivan.ID)); n != 2 || len(h.photos(ivan.ID)) != 0 {
			t.Fatalf("%d messages, %d photos: want the text alone", n, len(h.photos(ivan.ID)))
		}
		if d := h.delivery(ivanP); d.Parts != 1 {
			t.Fatalf("parts sent: %d, want 1", d.Parts)
		}
	})
}

// TestReportDispatch: the whole way through reportsend's dispatcher. On
// Monday at 10:00 the manager who subscribed gets last week's report,
// text and chart, and the delivery is marked sent; the next tick sends
// nothing more.
func TestReportDispatch(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	h.reportTickets()
	carolP := h.linkManager(carol)
	loc := h.svc.Location()
	week := backend.PeriodOf(backend.PeriodWeek, time.Now(), loc)
	monday := week.End.Add(10 * time.Hour) // the tickets' week is "last week"
	d := reportsend.New(reportsend.Config{Store: h.store, Report: h.svc.Report, Location: loc,
		Now: func() time.Time { return monday }, Logger: testLogger()})
	d.Register(h.ch)
	if _, err := h.svc.SubscribeReport(ctx, carolP, backend.PeriodWeek, 0, true); err != nil {
		t.Fatal(err)
	}
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := h.svc.Report(ctx, carolP, backend.ReportQuery{Period: week})
	if err != nil {
		t.Fatal(err)
	}
	var png bytes.Buffer
	if err := r.Chart(&png); err != nil {
		t.Fatal(err)
	}
	p := week.String()
	h.checkReport(carol.ID, reportsend.Message{Chart: png.Bytes()}, "📊 周报 "+p, p+" 各子分类工单数量（柱下编号见报表文字）",
		"新建工单 3 张")
	dl := h.delivery(carolP)
	if dl.Period != p || dl.SentAt.IsZero() || dl.Parts != 2 || dl.LastError != "" {
		t.Fatalf("delivery: %+v", dl)
	}

	// Only carol's chat counts: the outbox goes on sending the tickets'
	// cards and receipts meanwhile.
	toCarol := func() int {
		n := 0
		for _, c := range h.tg.Calls() {
			if (c.Method == "sendMessage" || c.Method == "sendPhoto") && c.Params["chat_id"] == itoa(carol.ID) {
				n++
			}
		}
		return n
	}
	sends := toCarol()
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if n := toCarol(); n != sends {
		t.Fatalf("the second tick sent carol %d more", n-sends)
	}
	h.checkReport(carol.ID, reportsend.Message{Chart: png.Bytes()}, "📊 周报 "+p, p+" 各子分类工单数量（柱下编号见报表文字）")
}

// TestReportCommand: /report in a manager's private chat sends this
// week's report as a subscriber gets it, with the console's link, then
// the subscription buttons, which subscribe and unsubscribe in place. A
// reporter is told they may not read reports; another period is named in
// words or as 2026-W47, and a bad one is explained.
func TestReportCommand(t *testing.T) {
	h := newHarnessWith(t, ModePoll, func(d *Deps) { d.ConsoleURL = "https://desk.example.com" })
	ctx := context.Background()
	h.reportTickets()
	frank := telegramtest.User(4101, "Frank", "zh-hans")
	mgr := h.linkManager(frank)
	log := h.follow(frank.ID)
	week := backend.PeriodOf(backend.PeriodWeek, time.Now(), h.svc.Location())

	h.deliver(h.tg.Text(frank, "/report"))
	text := log.next("周报 "+week.String(), "https://desk.example.com/console/reports?period="+week.String())
	if !strings.Contains(text.Text, "新建工单 3 张") {
		t.Fatalf("report text:\n%s", text.Text)
	}
	log.next("各子分类工单数量")
	subs := log.next("定期推送到这个聊天")
	h.deliver(h.tg.Press(frank, subs, "rs:week:on"))
	h.tg.Wait(t, 10*time.Second, "the button to show the subscription", func() bool {
		m := h.tg.Message(frank.ID, subs.ID)
		return m != nil && strings.Contains(telegramtest.ButtonData(m, "rs:week:off"), "rs:week:off")
	})
	got, err := h.svc.ReportSubscriptions(ctx, mgr)
	if err != nil || len(got) != 1 || got[0].Kind != backend.PeriodWeek || got[0].TeamID != 0 {
		t.Fatalf("after pressing: %v, %v", got, err)
	}
	h.deliver(h.tg.Press(frank, h.tg.Message(frank.ID, subs.ID), "rs:week:off"))
	h.tg.Wait(t, 10*time.Second, "the subscription to end", func() bool {
		got, err := h.svc.ReportSubscriptions(ctx, mgr)
		return err == nil && len(got) == 0
	})

	h.deliver(h.tg.Text(frank, "/report 上周"))
	log.next("周报 " + week.Prev().String())
	h.deliver(h.tg.Text(frank, "/report 2026-W99"))
	log.next("2026-W99", "2026-W48")

	rep := h.follow(alice.ID)
	h.deliver(h.tg.Text(alice, "/report"))
	rep.next("只有主管和管理员")
}
