package botkit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestOccurredDayOrMidnight follows an "occurred at" answer from the
// dialog through the filed ticket to the card: a day named alone
// ("昨天下午") shows as the day, a midnight given as a time ("昨晚12点")
// as 00:00.
func TestOccurredDayOrMidnight(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := backend.NewService(store, backend.ServiceConfig{})
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	forms, err := dialogs.DefaultForms(cat)
	if err != nil {
		t.Fatal(err)
	}
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	f := &Filer{Service: svc, Cat: cat}
	eng, err := dialogs.NewEngine(dialogs.Config{Forms: forms, Sessions: dialogs.NewMemoryStore(time.Now, time.Hour),
		Catalog: cat, Filer: f, Location: zone})
	if err != nil {
		t.Fatal(err)
	}
	r := &Renderer{Cat: cat, People: store.Person}
	now := time.Now().In(zone)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	for i, tc := range []struct {
		answer   string
		dateOnly bool
		want     string
	}{
		{"昨天下午", true, "发生时间：" + today.AddDate(0, 0, -1).Format(time.DateOnly) + "\n"},
		{"昨晚12点", false, "发生时间：" + today.Format(time.DateOnly) + " 00:00\n"},
	} {
		t.Run(tc.answer, func(t *testing.T) {
			d, problems, ok := eng.ValidateAll("feedback", map[string]string{
				"summary": "房产放心房上线后在后台不显示", "category": "product/house", "occurred_at": tc.answer,
				"region": "north", "severity": "P3", "contact": "13800138000",
			}, nil, catalog.ZhCN)
			if !ok || len(problems) != 0 {
				t.Fatalf("ok=%v problems=%v", ok, problems)
			}
			if d.OccurredDateOnly != tc.dateOnly {
				t.Fatalf("draft: OccurredAt %v, OccurredDateOnly %v, want %v", d.OccurredAt, d.OccurredDateOnly, tc.dateOnly)
			}
			d.ID = "draft-" + string(rune('a'+i))
			key := dialogs.SessionKey{Platform: "web", ChatID: "c1", UserID: "u1"}
			number, err := f.FileTicket(ctx, key, d)
			if err != nil {
				t.Fatal(err)
			}
			tk, err := store.Ticket(ctx, number)
			if err != nil {
				t.Fatal(err)
			}
			if tk.OccurredDateOnly != tc.dateOnly {
				t.Fatalf("ticket: OccurredAt %v, OccurredDateOnly %v, want %v", tk.OccurredAt, tk.OccurredDateOnly, tc.dateOnly)
			}
			if card := r.Card(ctx, catalog.ZhCN, tk, nil); !strings.Contains(card, tc.want) {
				t.Errorf("want %q in the card\n%s", tc.want, card)
			}
		})
	}
}
