package slack

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/reportsend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// reportLoc is the zone of the test reports' periods.
var reportLoc = time.UTC

// reportManager links user as a manager (their Slack language locale)
// through an invite code, files two tickets by the reporter and
// subscribes the manager to the weekly report of every team. It returns
// the manager and the week the tickets were filed in.
//
//	mgr, week := h.reportManager("UMGR", "en-US")
func (h *harness) reportManager(user, locale string) (*backend.Person, backend.Period) {
	h.t.Helper()
	ctx := context.Background()
	h.fake.SetUser(user, "Mia "+user, locale)
	code, err := h.svc.CreateInvite(ctx, backend.RoleManager, 0, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	h.fake.DM(h.t, user, code, "")
	h.fake.WaitMessage(h.t, "the invite accepted", inChannel(dmChannel(user), "", "manager"))
	mgr, err := h.store.PersonByAccount(ctx, Platform, user)
	if err != nil || !mgr.SeesAll() {
		h.t.Fatalf("manager not linked: %v %+v", err, mgr)
	}
	h.fileTicket(backend.P3)
	tk := h.fileTicket(backend.P4)
	if _, err := h.svc.SubscribeReport(ctx, mgr, backend.PeriodWeek, 0, true); err != nil {
		h.t.Fatal(err)
	}
	return mgr, backend.PeriodOf(backend.PeriodWeek, tk.CreatedAt, reportLoc)
}

// reportMessage computes mgr's report of week with its chart, and queues
// and claims its delivery at now, as reportsend.Dispatcher does.
func (h *harness) reportMessage(mgr *backend.Person, week backend.Period, now time.Time) reportsend.Message {
	h.t.Helper()
	ctx := context.Background()
	r, err := h.svc.Report(ctx, mgr, backend.ReportQuery{Period: week})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(r.Subcategories) == 0 {
		h.t.Fatalf("the report has no sub-categories: %+v", r)
	}
	var chart bytes.Buffer
	if err := r.Chart(&chart); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.store.QueueReports(ctx, backend.PeriodWeek, week.String(), now); err != nil {
		h.t.Fatal(err)
	}
	dl := h.claimReport(mgr, now)
	var acct backend.ChatAccount
	for _, a := range mgr.Accounts {
		if a.Platform == Platform {
			acct = a
		}
	}
	return reportsend.Message{Delivery: dl, Person: mgr, Account: acct, Report: r, Chart: chart.Bytes(),
		Sent: func(ctx context.Context, n int) error {
			if err := h.store.ReportPartsSent(ctx, dl.ID, n); err != nil {
				return err
			}
			dl.Parts = n
			return nil
		}}
}

// claimReport claims mgr's due delivery at now.
func (h *harness) claimReport(mgr *backend.Person, now time.Time) *backend.ReportDelivery {
	h.t.Helper()
	ds, err := h.store.ClaimReports(context.Background(), now, time.Minute, 10)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, d := range ds {
		if d.PersonID == mgr.ID {
			return d
		}
	}
	h.t.Fatalf("no delivery for person %d claimed: %+v", mgr.ID, ds)
	return nil
}

// delivery is mgr's latest report delivery as stored.
func (h *harness) delivery(mgr *backend.Person) *backend.ReportDelivery {
	h.t.Helper()
	ds, err := h.store.ReportDeliveries(context.Background(), mgr.ID, 10)
	if err != nil || len(ds) == 0 {
		h.t.Fatalf("no delivery for person %d: %v", mgr.ID, err)
	}
	return ds[0]
}

// inDM lists what the fake received in user's DM: the messages and the
// files shared.
func inDM(fake *slacktest.Server, user string) (msgs []slacktest.Message, files []slacktest.File) {
	for _, m := range fake.Messages() {
		if m.Channel == dmChannel(user) {
			msgs = append(msgs, m)
		}
	}
	for _, f := range fake.Files() {
		if f.Channel == dmChannel(user) {
			files = append(files, f)
		}
	}
	return msgs, files
}

// checkReport checks that user's DM got, after the invite's answer, the
// report's text in loc and then its chart, once each.
func checkReport(t *testing.T, h *harness, user, loc string, m reportsend.Message) {
	t.Helper()
	msgs, files := inDM(h.fake, user)
	if len(msgs) != 2 || len(files) != 1 {
		t.Fatalf("DM of %s: want the invite's answer, the report and one file; got %d messages %+v and files %+v", user, len(msgs), msgs, files)
	}
	text := msgs[1]
	title := h.ch.T(loc, "report.chat.title_week", map[string]any{"Period": m.Report.Period.String(),
		"From": m.Report.Period.Start.Format("2006-01-02"), "To": m.Report.Period.End.AddDate(0, 0, -1).Format("2006-01-02")})
	if !strings.HasPrefix(text.Text, escape(title)) || !strings.Contains(text.Text, escape(h.ch.T(loc, "report.chat.chart_keys", nil))) ||
		text.ThreadTS != "" {
		t.Errorf("the report's text is not %s's in %s: %q", user, loc, text.Text)
	}
	if want := escape(botkit.ReportText(h.ch.cat, loc, m.Report, "")); text.Text != want {
		t.Errorf("report text:\n got %q\nwant %q", text.Text, want)
	}
	f := files[0]
	if f.Name != "report-"+m.Report.Period.String()+".png" || f.Title != f.Name {
		t.Errorf("file named %q, titled %q", f.Name, f.Title)
	}
	if f.InitialComment != botkit.ReportCaption(h.ch.cat, loc, m.Report) {
		t.Errorf("file's comment %q", f.InitialComment)
	}
	if !bytes.HasPrefix(f.Bytes, []byte("\x89PNG")) || !bytes.Equal(f.Bytes, m.Chart) || f.Length != len(m.Chart) {
		t.Errorf("file is %d bytes (announced %d) starting %q; the chart is %d bytes", len(f.Bytes), f.Length, f.Bytes[:min(8, len(f.Bytes))], len(m.Chart))
	}
	if f.TS <= text.TS || f.ThreadTS != "" {
		t.Errorf("the chart (ts %s, thread %q) is not shared after the text (ts %s)", f.TS, f.ThreadTS, text.TS)
	}
}

// TestReportToDM: a report reaches the subscriber's DM as its text, in
// their language, then its chart as a PNG file with the caption; a 429 on
// any step of the upload is a RetryAfterError with the text recorded as
// sent, and the next attempt uploads the chart alone.
func TestReportToDM(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		h := newHarness(t, ModeSocket)
		const user = "UMGREN"
		mgr, week := h.reportManager(user, "en-US")
		m := h.reportMessage(mgr, week, time.Now())
		if err := h.ch.SendReport(ctx, m); err != nil {
			t.Fatal(err)
		}
		checkReport(t, h, user, catalog.En, m)
		if d := h.delivery(mgr); d.Parts != 2 {
			t.Errorf("parts sent: %d, want 2", d.Parts)
		}
	})

	t.Run("ErrRateLimited", func(t *testing.T) {
		h := newHarness(t, ModeSocket)
		const user = "UMGRZH"
		mgr, week := h.reportManager(user, "zh-CN")
		now := time.Now()
		m := h.reportMessage(mgr, week, now)
		// Each step of the upload answers 429 in turn; every attempt after
		// the first starts with the upload.
		for i, method := range []string{"files.getUploadURLExternal", slacktest.Upload, "files.completeUploadExternal"} {
			h.fake.RateLimit(method, 1, 7*time.Second)
			err := h.ch.SendReport(ctx, m)
			var ra *notify.RetryAfterError
			if !errors.As(err, &ra) || ra.After != 7*time.Second {
				t.Fatalf("429 on %s: %v, want a RetryAfterError after 7s", method, err)
			}
			d := h.delivery(mgr)
			if d.Parts != 1 || !d.SentAt.IsZero() {
				t.Fatalf("after a 429 on %s: parts %d, sent at %v; want 1, not sent", method, d.Parts, d.SentAt)
			}
			if msgs, files := inDM(h.fake, user); len(msgs) != 2 || len(files) != 0 {
				t.Fatalf("after %d attempts (a 429 on %s) the DM has %d messages (want the invite's answer and the text) and files %+v",
					i+1, method, len(msgs), files)
			}
			// The dispatcher reschedules it; the next claim has the parts.
			if err := h.store.MarkReportRetry(ctx, d.ID, now, err.Error(), false); err != nil {
				t.Fatal(err)
			}
			m.Delivery = h.claimReport(mgr, now)
		}
		if err := h.ch.SendReport(ctx, m); err != nil {
			t.Fatal(err)
		}
		checkReport(t, h, user, catalog.ZhCN, m)
		if d := h.delivery(mgr); d.Parts != 2 {
			t.Errorf("parts sent: %d, want 2", d.Parts)
		}
	})
}

// TestReportDispatcher: on Monday 10:00 the dispatcher queues last week's
// report for the Slack subscriber and sends it through the channel; the
// delivery is marked sent, and the next tick sends nothing.
func TestReportDispatcher(t *testing.T) {
	h := newHarness(t, ModeSocket)
	ctx := context.Background()
	const user = "UMGR"
	mgr, week := h.reportManager(user, "zh-CN")
	monday := week.End.Add(10 * time.Hour)
	if monday.Weekday() != time.Monday {
		t.Fatalf("%v is no Monday", monday)
	}
	d := reportsend.New(reportsend.Config{Store: h.store, Report: h.svc.Report, Location: reportLoc,
		Now: func() time.Time { return monday }, Logger: testLogger()})
	d.Register(h.ch)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := h.svc.Report(ctx, mgr, backend.ReportQuery{Period: week})
	if err != nil {
		t.Fatal(err)
	}
	var chart bytes.Buffer
	if err := r.Chart(&chart); err != nil {
		t.Fatal(err)
	}
	checkReport(t, h, user, catalog.ZhCN, reportsend.Message{Report: r, Chart: chart.Bytes()})
	dl := h.delivery(mgr)
	if dl.Period != week.String() || dl.SentAt.IsZero() || dl.Parts != 2 || dl.LastError != "" {
		t.Fatalf("delivery %+v: want %s sent, 2 parts", dl, week)
	}

	msgs, files := inDM(h.fake, user)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if m2, f2 := inDM(h.fake, user); len(m2) != len(msgs) || len(f2) != len(files) {
		t.Errorf("the second tick sent again: %d messages, %d files", len(m2)-len(msgs), len(f2)-len(files))
	}
}

// TestReportCommand: "/ticket report" sends a manager this week's report
// in their DM (text with the console's link, then the chart), then the
// subscription buttons, which subscribe and stop in place; a reporter is
// told privately that only staff read reports.
func TestReportCommand(t *testing.T) {
	h := newHarnessWith(t, ModeSocket, func(d *Deps) { d.ConsoleURL = "https://desk.example.com" })
	ctx := context.Background()
	mgr, _ := h.reportManager("UREP", "zh-CN")
	if _, err := h.svc.SubscribeReport(ctx, mgr, backend.PeriodWeek, 0, false); err != nil {
		t.Fatal(err)
	}
	week := backend.PeriodOf(backend.PeriodWeek, time.Now(), h.svc.Location())
	h.fake.Slash(t, "UREP", "C1", "/ticket", "report")
	h.fake.WaitMessage(t, "the report", inChannel(dmChannel("UREP"), "", "周报 "+week.String(),
		"https://desk.example.com/console/reports?period="+week.String()))
	h.fake.WaitFile(t, "the chart", func(f slacktest.File) bool { return strings.Contains(f.InitialComment, week.String()) })
	subs := h.fake.WaitMessage(t, "the subscription buttons", inChannel(dmChannel("UREP"), "", "定期推送到这里"))
	if !strings.Contains(string(subs.Blocks), `"rs:week"`) || !strings.Contains(string(subs.Blocks), "订阅周报") {
		t.Fatalf("subscription blocks: %s", subs.Blocks)
	}
	h.fake.Press(t, "UREP", subs, "rs:week", "on", "")
	h.fake.WaitMessage(t, "the button to show the subscription", func(m slacktest.Message) bool {
		return m.TS == subs.TS && strings.Contains(string(m.Blocks), "已订阅周报")
	})
	if got, err := h.svc.ReportSubscriptions(ctx, mgr); err != nil || len(got) != 1 || got[0].Kind != backend.PeriodWeek {
		t.Fatalf("after pressing: %v, %v", got, err)
	}

	h.fake.SetUser("URPT", "Rita", "zh-CN")
	h.fake.Slash(t, "URPT", "C1", "/ticket", "report")
	h.fake.WaitMessage(t, "the refusal", func(m slacktest.Message) bool {
		return m.Ephemeral == "URPT" && strings.Contains(m.Text, "只有主管和管理员")
	})
}
