package botkit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestProgressNotices: a P1 ticket a day without news: its reporter reads,
// in Chinese, that it is still being worked on, its status and who has
// it; its assignee, in English, how long the reporter waited and what to
// do.
func TestProgressNotices(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	now := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	svc := backend.NewService(store, backend.ServiceConfig{Now: func() time.Time { return now }})
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	reporter := &backend.Person{Name: "销售小王", Roles: []backend.Role{backend.RoleReporter}, Locale: "zh-CN"}
	handler := &backend.Person{Name: "Hank", Roles: []backend.Role{backend.RoleAssistant}, Locale: "en"}
	for _, p := range []*backend.Person{reporter, handler} {
		if err := svc.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := store.LinkAccount(ctx, p.ID, backend.ChatAccount{Platform: "rec", UserID: p.Name, ChatID: p.Name}); err != nil {
			t.Fatal(err)
		}
	}
	tk, err := svc.CreateTicket(ctx, reporter, backend.NewTicket{Prefix: "FB", Summary: "支付系统崩溃，客户无法下单", Severity: backend.P1, Channel: "web",
		CategoryPath: []string{"system"}, OrderNumber: "ORD-1", Account: "acct-1", Region: "北京", OccurredAt: now,
		Attachments: []backend.Attachment{{Name: "s.png", ContentType: "image/png", Size: 1, SHA256: "ab"}},
		Contacts:    backend.Contacts{Phone: "13800138000"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Claim(ctx, handler, tk.Number); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{render: &Renderer{Cat: cat, People: store.Person}, got: map[string][]string{}}
	deliver := rec.deliverer(t, store, func() time.Time { return now })
	deliver()
	rec.got = map[string][]string{} // filing and claiming

	now = now.Add(25 * time.Hour)
	if n, err := svc.SyncProgress(ctx, backend.DefaultProgressEvery); err != nil || n != 1 {
		t.Fatalf("SyncProgress = %d, %v", n, err)
	}
	deliver()
	want := map[string][]string{
		"销售小王": {"【进度同步】", tk.Number, "仍在处理中", "当前状态：已分派", "处理人：Hank"},
		"Hank": {tk.Number, "P1", "25 hours without news", "assigned", "latest progress"},
	}
	for name, parts := range want {
		if len(rec.got[name]) != 1 {
			t.Fatalf("%s read %q, want one progress note", name, rec.got[name])
		}
		for _, p := range parts {
			if !strings.Contains(rec.got[name][0], p) {
				t.Errorf("%s read %q, want it to say %q", name, rec.got[name][0], p)
			}
		}
	}
}
