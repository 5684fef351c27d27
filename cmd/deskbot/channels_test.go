package main

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/backend/redistest"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

// TestMainTelegramAndWeb runs the real program on Postgres and Redis with
// the Telegram channel pointed at a fake Bot API server: a reporter files
// through Telegram, an assistant linked by an invite claims the ticket in
// the triage group, and the reporter hears about it. The web chat and the
// console are served by the same process.
func TestMainTelegramAndWeb(t *testing.T) {
	ctx := context.Background()
	tg := telegramtest.New(t)
	vars := map[string]string{
		"DATABASE_URL":         pgtest.NewSchema(t),
		"DESKBOT_DATA":         t.TempDir(),
		"TELEGRAM_BOT_TOKEN":   telegramtest.Token,
		"TELEGRAM_API_URL":     tg.URL(),
		"TELEGRAM_TRIAGE_CHAT": "-100777",
	}
	maps.Copy(vars, redisEnv(t))
	if err := run(ctx, []string{"team", "create", "--name", "技术部"}, env(vars), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"invite", "--role", "assistant", "--team", "1"}, env(vars), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	code := lines[len(lines)-1]
	if !backend.IsInviteCode(code) {
		t.Fatalf("invite printed %q", out.String())
	}
	m := startMain(t, vars)

	for _, path := range []string{"/chat/", "/console/login"} {
		resp, err := http.Get(m.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}

	ann := telegramtest.User(501, "Ann", "zh-hans")
	tg.Enqueue(tg.Text(ann, "/start "+code))
	tg.WaitMessage(t, ann.ID, func(*models.Message) bool { return true })
	p, err := m.Store.PersonByAccount(ctx, "telegram", "501")
	if err != nil || !p.HasRole(backend.RoleAssistant) || p.TeamID != 1 {
		t.Fatalf("invite not redeemed: %+v %v", p, err)
	}

	// /console: a one-time sign-in link for staff, in private only.
	tg.Enqueue(tg.Text(ann, "/console"))
	link := tg.WaitMessage(t, ann.ID, telegramtest.Containing("/console/magic/"))
	url := link.Text[strings.Index(link.Text, "http"):]
	resp, err := http.Get(strings.TrimSpace(url))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("magic link %s: %d", url, resp.StatusCode)
	}
	tg.Enqueue(tg.TextIn(ann, -100777, "/console"))
	tg.WaitMessage(t, -100777, telegramtest.Containing("私聊"))

	// A reporter files through the API on behalf of a Telegram user would
	// skip the dialog; the dialog itself is covered in bot/telegram. Here
	// the reporter is a Telegram user created on first contact.
	zhang := telegramtest.User(601, "Zhang", "zh-hans")
	tg.Enqueue(tg.Text(zhang, "/help"))
	tg.WaitMessage(t, zhang.ID, func(*models.Message) bool { return true })
	reporter, err := m.Store.PersonByAccount(ctx, "telegram", "601")
	if err != nil {
		t.Fatalf("reporter not created on first contact: %v", err)
	}
	tg.Enqueue(tg.Text(zhang, "/console"))
	tg.WaitMessage(t, zhang.ID, telegramtest.Containing("只有已绑定的助理和主管"))
	tk, err := m.Service.CreateTicket(ctx, reporter, backend.NewTicket{
		Prefix: "FB", Summary: "放心商家不在专区显示，刷新无效", CategoryPath: []string{"产品线问题", "放心商家"},
		OccurredAt: time.Now().Add(-time.Hour), Region: "华北", Severity: backend.P3,
		Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "telegram",
	})
	if err != nil {
		t.Fatal(err)
	}
	if tk.TeamID != 1 {
		t.Fatalf("a feedback ticket routed to team %d, want 技术部 (1)", tk.TeamID)
	}
	card := tg.WaitMessage(t, -100777, telegramtest.Containing(tk.Number))
	if strings.Contains(card.Text, "13800138000") {
		t.Fatalf("triage card shows the full phone: %q", card.Text)
	}
	tg.Enqueue(tg.Press(ann, card, telegramtest.ButtonData(card, "✋ 受理")))
	tg.WaitMessage(t, zhang.ID, telegramtest.Containing(tk.Number, "Ann"))
	got, err := m.Store.Ticket(ctx, tk.Number)
	if err != nil || got.AssigneeID != p.ID || got.Status != backend.StatusAssigned {
		t.Fatalf("after Claim in the triage group: %+v %v", got, err)
	}
	// Once the solution is in the knowledge base, the program's dialog
	// (one engine for every channel) offers it to the next reporter with
	// the same problem, and "this solved it" files nothing.
	if _, err := m.Service.Resolve(ctx, p, tk.Number, "在商家后台重新提交专区申请，审核通过后即显示。"); err != nil {
		t.Fatal(err)
	}
	entry, err := m.Service.KBFromTicket(ctx, p, tk.Number, nil)
	if err != nil {
		t.Fatal(err)
	}
	li := telegramtest.User(602, "Li", "zh-hans")
	tg.Enqueue(tg.Text(li, "/new"))
	tg.WaitMessage(t, li.ID, telegramtest.Containing("（1/10）"))
	tg.Enqueue(tg.Text(li, "我们的放心商家也不在专区显示"))
	sug := tg.WaitMessage(t, li.ID, telegramtest.Containing("重新提交专区申请"))
	tg.Enqueue(tg.Press(li, sug, telegramtest.ButtonData(sug, "这解决了我的问题")))
	tg.WaitMessage(t, li.ID, telegramtest.Containing("本次不再提交工单"))
	if page, err := m.Service.Tickets(ctx, &backend.Person{Roles: []backend.Role{backend.RoleAdmin}}, backend.TicketFilter{}); err != nil || len(page.Tickets) != 1 {
		t.Fatalf("after %s solved it: %d tickets, %v; want only the first", entry.Ref(), len(page.Tickets), err)
	}

	// The updates were de-duplicated under REDIS_PREFIX, and nowhere else.
	keys, err := m.Redis.Keys(ctx, vars["REDIS_PREFIX"]+"tg:update:*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("no update keys under REDIS_PREFIX %q: %v %v", vars["REDIS_PREFIX"], keys, err)
	}
	if n, err := m.Redis.Exists(ctx, "deskbot:tg:update:"+strings.TrimPrefix(keys[0], vars["REDIS_PREFIX"]+"tg:update:")).Result(); err != nil || n != 0 {
		t.Fatalf("an update key outside REDIS_PREFIX: %d %v", n, err)
	}
}

// redisEnv points the program at the test Redis, with a key prefix of
// the test's own (deleted when the test ends): test runs can share Redis.
func redisEnv(tb testing.TB) map[string]string {
	tb.Helper()
	_, prefix := redistest.Open(tb)
	return map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
}
