package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/backend/sla"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

// slaTestPolicy is the default policy with a P1 confirm clock of 3
// seconds and a 2-second escalation interval, so the test runs in real
// time: River fires the timers.
func slaTestPolicy(t *testing.T) string {
	t.Helper()
	src := string(sla.DefaultPolicyYAML())
	for _, r := range [][2]string{
		{"version: default-2026-11h", "version: e2e"},
		{"  chain: [assignee, team_lead, manager, director_group]\n  interval: 1h", "  chain: [assignee, manager, director_group]\n  interval: 2s"},
		{"    per_assignee: true\n    P1: 1h", "    per_assignee: true\n    P1: 3s calendar"},
		{"    P1: 30m calendar\n    P2: 12h", "    P1: \"-\"\n    P2: 12h"},
		{"    P1: 24h calendar", "    P1: \"-\""},
		{"  P1: [manager, director_group, account_manager]", "  P1: []"},
	} {
		if !strings.Contains(src, r[0]) {
			t.Fatalf("default policy lacks %q", r[0])
		}
		src = strings.Replace(src, r[0], r[1], 1)
	}
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// An unclaimed P1 pings the manager when its confirm clock breaches, then
// the director group an interval later — once each, although two deskbot
// processes share the Postgres and one of them restarts between the
// ticket's creation and the breach. A P3 raised to P1 is re-planned and
// escalates the same way.
func TestMainSLAEscalation(t *testing.T) {
	ctx := context.Background()
	tg := telegramtest.New(t)
	vars := map[string]string{
		"DATABASE_URL":         pgtest.NewSchema(t),
		"DESKBOT_DATA":         t.TempDir(),
		"TELEGRAM_BOT_TOKEN":   telegramtest.Token,
		"TELEGRAM_API_URL":     tg.URL(),
		"TELEGRAM_TRIAGE_CHAT": "-100777",
		"SLA_POLICY_FILE":      slaTestPolicy(t),
		"SLA_POLL":             "100ms",
	}
	for _, team := range []string{"技术部", "总监组"} {
		if err := run(ctx, []string{"team", "create", "--name", team}, env(vars), io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	a := startMain(t, vars)
	b := startMain(t, vars)
	person := func(name string, chat string, team int64, role backend.Role) *backend.Person {
		p := &backend.Person{Name: name, Roles: []backend.Role{role}, TeamID: team, Locale: "zh-CN",
			Accounts: []backend.ChatAccount{{Platform: "telegram", UserID: chat, ChatID: chat}}}
		if err := a.Store.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	reporter := person("张三", "601", 0, backend.RoleReporter)
	person("王经理", "701", 1, backend.RoleManager)
	person("李总监", "702", 2, backend.RoleManager)
	staff := person("助理", "703", 1, backend.RoleAssistant)

	file := func(sev backend.Severity) *backend.Ticket {
		in := backend.NewTicket{Prefix: "FB", Summary: "下单系统无法使用，客户要求退货", CategoryPath: []string{"功能问题"},
			OccurredAt: time.Now().Add(-time.Minute), Region: "华北", Severity: sev, Channel: "telegram",
			Contacts: backend.Contacts{Phone: "13800138000"}}
		if sev.Important() {
			in.OrderNumber, in.Account = "ORD-1", "acct"
			in.Attachments = []backend.Attachment{{Name: "s.png", ContentType: "image/png", Size: 1, SHA256: "ab"}}
		}
		tk, err := a.Service.CreateTicket(ctx, reporter, in)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	created := time.Now()
	p1 := file(backend.P1)
	p3 := file(backend.P3)
	if _, err := a.Service.ChangeSeverity(ctx, staff, p3.Number, backend.P1); err != nil {
		t.Fatal(err)
	}
	if p1.TeamID != 1 {
		t.Fatalf("P1 routed to team %d, want 技术部 (1)", p1.TeamID)
	}
	// Wait until a has planned both tickets, then restart it.
	tg.Wait(t, 10*time.Second, "clocks planned", func() bool {
		ids, err := a.Store.UnsyncedTickets(ctx, time.Time{}, 10)
		return err == nil && len(ids) == 0
	})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a = startMain(t, vars)

	pings := func(chat int64, number string) []*models.Message {
		var out []*models.Message
		for _, m := range tg.Messages(chat) {
			if strings.Contains(m.Text, number) && strings.Contains(m.Text, "🚨") {
				out = append(out, m)
			}
		}
		return out
	}
	for _, tk := range []*backend.Ticket{p1, p3} {
		tg.Wait(t, 30*time.Second, "manager pinged about "+tk.Number, func() bool { return len(pings(701, tk.Number)) > 0 })
		tg.Wait(t, 30*time.Second, "director pinged about "+tk.Number, func() bool { return len(pings(702, tk.Number)) > 0 })
		if !strings.Contains(pings(701, tk.Number)[0].Text, "直接主管") || !strings.Contains(pings(702, tk.Number)[0].Text, "总监组") {
			t.Fatalf("pings: %q / %q", pings(701, tk.Number)[0].Text, pings(702, tk.Number)[0].Text)
		}
	}
	if late := time.Since(created); late < 5*time.Second {
		t.Fatalf("the director was pinged %s after creation, before breach (3 s) + interval (2 s)", late)
	}
	// Every due timer done (stale ones of the re-planned P3 wait for their
	// time and will do nothing), every ping delivered: nothing more can
	// come. (The restarted process's leased chat messages wait for their
	// lease; they are not pings.)
	tg.Wait(t, 30*time.Second, "timers and outbox drained", func() bool {
		var jobs, unsent int
		pool := b.Store.(*postgres.Store).Pool()
		err := pool.QueryRow(ctx, `SELECT
  (SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'discarded', 'cancelled') AND scheduled_at <= now()),
  (SELECT count(*) FROM outbox WHERE sent_at IS NULL AND audience = 'person')`).Scan(&jobs, &unsent)
		return err == nil && jobs == 0 && unsent == 0
	})
	for _, tk := range []*backend.Ticket{p1, p3} {
		if n, m := len(pings(701, tk.Number)), len(pings(702, tk.Number)); n != 1 || m != 1 {
			t.Fatalf("%s: manager pinged %d times, director %d, want once each", tk.Number, n, m)
		}
	}

	var out bytes.Buffer
	if err := run(ctx, []string{"sla", "explain", p1.Number}, env(vars), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"confirm", "e2e", "step 2: manager; told 王经理", "step 3: director_group; told 李总监", "notification_sent"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("sla explain lacks %q:\n%s", want, out.String())
		}
	}
}

// TestMainComplaintWatchers: with the default policy, a complaint's plan
// reaches the quality manager (seed 001: staff named beforehand), in
// their Telegram chat, although they take no part in it.
func TestMainComplaintWatchers(t *testing.T) {
	ctx := context.Background()
	tg := telegramtest.New(t)
	vars := map[string]string{
		"DESKBOT_DATA":         t.TempDir(),
		"TELEGRAM_BOT_TOKEN":   telegramtest.Token,
		"TELEGRAM_API_URL":     tg.URL(),
		"TELEGRAM_TRIAGE_CHAT": "-100777",
	}
	if err := run(ctx, []string{"team", "create", "--name", "质量部"}, env(vars), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	m := startMain(t, vars)
	person := func(name, chat string, team int64, role backend.Role) *backend.Person {
		p := &backend.Person{Name: name, Roles: []backend.Role{role}, TeamID: team, Locale: "zh-CN",
			Accounts: []backend.ChatAccount{{Platform: "telegram", UserID: chat, ChatID: chat}}}
		if err := m.Store.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sales := person("销售小李", "601", 0, backend.RoleReporter)
	quality := person("质量部经理", "801", 1, backend.RoleManager)
	staff := person("客服助理", "703", 0, backend.RoleAssistant)
	tk, err := m.Service.CreateTicket(ctx, sales, backend.NewTicket{Prefix: "CP", Form: backend.FormComplaint, Severity: backend.P3,
		Summary: "客户投诉一批螺丝刀刀杆有铁锈，要求尽快处理", OrderNumber: "20080505003", Channel: "api",
		Contacts: backend.Contacts{Phone: "13800138000"}, Extra: map[string]string{"customer": "A企业", "requests": "上门处理"}})
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := m.watchers(ctx, tk); err != nil || len(ids) != 1 || ids[0] != quality.ID {
		t.Fatalf("watchers = %v, %v; want the quality manager #%d", ids, err, quality.ID)
	}
	if _, err := m.Service.Claim(ctx, staff, tk.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Service.AddTask(ctx, staff, tk.Number, backend.NewTask{Title: "七天内查明原因并提出预防措施", OwnerID: staff.ID, Due: time.Now().Add(48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	tg.Wait(t, 10*time.Second, "the plan in the quality manager's chat", func() bool {
		for _, msg := range tg.Messages(801) {
			if strings.Contains(msg.Text, "新增任务") && strings.Contains(msg.Text, "七天内查明原因") {
				return true
			}
		}
		return false
	})
}

func TestLoadConfigSLA(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: x\nwarn_at: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"SLA_POLICY_FILE": bad}, "SLA_POLICY_FILE: " + bad + ":2: warn_at must be between 0 and 1"},
		{map[string]string{"SLA_POLICY_FILE": "/nonexistent.yaml"}, "SLA_POLICY_FILE: cannot read"},
		{map[string]string{"SLA_HOLIDAYS_FILE": bad}, "SLA_HOLIDAYS_FILE: "},
		{map[string]string{"SMTP_URL": "smtp://mail.example.com"}, "SMTP_URL: ?from="},
		{map[string]string{"SMS_WEBHOOK_URL": "ftp://x"}, "SMS_WEBHOOK_URL: must be an http(s) URL"},
		{map[string]string{"SLA_POLL": "1h"}, "SLA_POLL: must be"},
	} {
		_, err := LoadConfig(env(tc.vars))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.vars, err, tc.want)
		}
	}
	c, err := LoadConfig(env(map[string]string{"SMTP_URL": "smtp://u:p@mail.example.com:25?from=desk@example.com"}))
	if err != nil || c.SLA.policy == nil || c.SLA.smtp.Port != "25" {
		t.Fatalf("%+v %v", c.SLA, err)
	}
}

// TestMigrateRiver: "deskbot migrate" applies the job queue's migrations
// too, so that serving needs no right to change the schema.
func TestMigrateRiver(t *testing.T) {
	ctx := context.Background()
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.NewSchema(t)
		if err := run(ctx, []string{"migrate"}, env(map[string]string{"DATABASE_URL": url, "DESKBOT_DATA": t.TempDir()}), io.Discard, io.Discard); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var table *string
		if err := conn.QueryRow(ctx, "SELECT to_regclass('river_job')::text").Scan(&table); err != nil || table == nil {
			t.Fatalf("river_job after migrate: %v, %v", table, err)
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		if err := run(ctx, []string{"migrate"}, env(map[string]string{"DESKBOT_DATA": dir}), io.Discard, io.Discard); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		db, err := sql.Open("sqlite", filepath.Join(dir, "deskbot.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'river_job'").Scan(&n); err != nil || n != 1 {
			t.Fatalf("river_job after migrate: %d, %v", n, err)
		}
	})
}
