package dialogs

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidateAll(t *testing.T) {
	env := newTestEnv(t, nil)
	complete := func() map[string]string {
		return map[string]string{
			"summary":     "房产放心房上线后在后台不显示",
			"category":    "product/house",
			"occurred_at": "今天 9:00",
			"region":      "north",
			"severity":    "P3",
			"contact":     "13800138000",
		}
	}
	keys := func(m map[string]string) []string {
		var k []string
		for id := range m {
			k = append(k, id)
		}
		slices.Sort(k)
		return k
	}

	t.Run("OK", func(t *testing.T) {
		d, problems, ok := env.eng.ValidateAll("feedback", complete(), nil, "zh-CN")
		if !ok || len(problems) != 0 {
			t.Fatalf("ok=%v problems=%v", ok, problems)
		}
		if d.Prefix != "FB" || d.Summary != "房产放心房上线后在后台不显示" || strings.Join(d.CategoryPath, "/") != "product/house" ||
			d.Severity != "P3" || d.Region != "north" || d.Contacts.Phone != "13800138000" || d.OccurredAt.IsZero() || d.ID == "" {
			t.Fatalf("draft = %+v", d)
		}
		if len(d.Fields) != len(mustForm(t, env, "feedback").Fields) {
			t.Fatalf("draft fields = %d", len(d.Fields))
		}
	})

	t.Run("ErrMissingRequired", func(t *testing.T) {
		_, problems, _ := env.eng.ValidateAll("feedback", map[string]string{"summary": "房产放心房上线后在后台不显示"}, nil, "en")
		want := []string{"category", "contact", "occurred_at", "region", "severity"}
		if got := keys(problems); !slices.Equal(got, want) {
			t.Fatalf("problems %v, want %v", got, want)
		}
		if problems["region"] != `"Region" is required.` && !strings.Contains(problems["region"], "required") {
			t.Fatalf("region problem = %q", problems["region"])
		}
	})

	t.Run("ErrConditionalRequired", func(t *testing.T) {
		a := complete()
		a["severity"] = "P1"
		_, problems, _ := env.eng.ValidateAll("feedback", a, nil, "zh-CN")
		want := []string{"account", "order_number", "screenshots"}
		if got := keys(problems); !slices.Equal(got, want) {
			t.Fatalf("problems %v, want %v", got, want)
		}
		if !strings.Contains(problems["order_number"], "P1") {
			t.Fatalf("the conditional problem should name the rule: %q", problems["order_number"])
		}
		a["order_number"], a["account"] = "SO-20261120", "zhang.san"
		files := []FileRef{{ID: "abc", Name: "shot.png", ContentType: "image/png", Size: 1000}}
		d, problems, _ := env.eng.ValidateAll("feedback", a, files, "zh-CN")
		if len(problems) != 0 {
			t.Fatalf("problems = %v", problems)
		}
		if len(d.Attachments) != 1 || d.OrderNumber != "SO-20261120" {
			t.Fatalf("draft = %+v", d)
		}
	})

	t.Run("ErrBadValues", func(t *testing.T) {
		a := complete()
		a["summary"] = "short"
		a["contact"] = "1380013800"
		a["occurred_at"] = "tomorrow 9:00"
		a["category"] = "product"
		a["reference"] = "has space"
		files := []FileRef{{ID: "x", Name: "a.exe", ContentType: "application/x-msdownload", Size: 10}}
		_, problems, _ := env.eng.ValidateAll("feedback", a, files, "en")
		want := []string{"category", "contact", "occurred_at", "reference", "screenshots", "summary"}
		if got := keys(problems); !slices.Equal(got, want) {
			t.Fatalf("problems %v, want %v", got, want)
		}
		for id, p := range problems {
			if strings.Contains(p, "dialog.") || p == "" {
				t.Fatalf("%s: untranslated problem %q", id, p)
			}
		}
	})

	t.Run("TreeOther", func(t *testing.T) {
		a := complete()
		a["category"] = "crm/other"
		_, problems, _ := env.eng.ValidateAll("feedback", a, nil, "en")
		if _, bad := problems["category"]; !bad {
			t.Fatal("an other leaf without text must be refused")
		}
		a["category_other"] = "报表导出"
		d, problems, _ := env.eng.ValidateAll("feedback", a, nil, "en")
		if len(problems) != 0 || d.Extra["category_other"] != "报表导出" {
			t.Fatalf("problems=%v extra=%v", problems, d.Extra)
		}
	})

	t.Run("UnknownForm", func(t *testing.T) {
		if _, _, ok := env.eng.ValidateAll("nope", nil, nil, "en"); ok {
			t.Fatal("unknown form accepted")
		}
	})

	t.Run("FileDraft", func(t *testing.T) {
		d, _, _ := env.eng.ValidateAll("feedback", complete(), nil, "zh-CN")
		n, err := env.eng.FileDraft(context.Background(), testKey, d)
		if err != nil || !strings.HasPrefix(n, "FB-") {
			t.Fatalf("FileDraft = %q, %v", n, err)
		}
	})

	t.Run("RuleText", func(t *testing.T) {
		f := mustForm(t, env, "feedback")
		if got := env.eng.RuleText(f, f.Field("order_number"), "en"); !strings.Contains(got, "P1") {
			t.Fatalf("RuleText = %q", got)
		}
		if got := env.eng.RuleText(f, f.Field("summary"), "en"); got != "" {
			t.Fatalf("RuleText of a plain field = %q", got)
		}
	})
}

func mustForm(tb testing.TB, env *testEnv, id string) *Form {
	tb.Helper()
	f, ok := env.eng.Form(id)
	if !ok {
		tb.Fatalf("no form %s", id)
	}
	return f
}

// TestHold: a whole-form submission held for its suggestions comes back
// as it was, is released once, and expires like an idle dialog.
func TestHold(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, nil)
	d, problems, _ := env.eng.ValidateAll("feedback", map[string]string{
		"summary": "房产放心房上线后在后台不显示", "category": "product/house", "occurred_at": "今天 9:00",
		"region": "海南三亚", "severity": "P3", "contact": "13800138000",
	}, nil, "zh-CN")
	if len(problems) != 0 {
		t.Fatal(problems)
	}
	key := SessionKey{Platform: "test-modal", ChatID: "u1", UserID: "V1"}
	sugs := []Suggestion{{Kind: SuggestionIncident, ID: "INC-1", Title: "放心房不显示", Count: 3}}

	t.Run("OK", func(t *testing.T) {
		if err := env.eng.Hold(ctx, key, Held{Draft: d, Suggestions: sugs}); err != nil {
			t.Fatal(err)
		}
		h, v, err := env.eng.Held(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if h.Draft.ID != d.ID || h.Draft.Summary != d.Summary || h.Draft.Region != "海南三亚" ||
			h.Draft.Contacts.Phone != "13800138000" || !h.Draft.OccurredAt.Equal(d.OccurredAt) || !slices.Equal(h.Suggestions, sugs) {
			t.Fatalf("held %+v, submitted %+v", h, d)
		}
		if err := env.eng.Release(ctx, key, v); err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.eng.Held(ctx, key); !errors.Is(err, ErrNoSession) {
			t.Fatalf("released, still held: %v", err)
		}
	})

	t.Run("ErrExpired", func(t *testing.T) {
		if err := env.eng.Hold(ctx, key, Held{Draft: d, Suggestions: sugs}); err != nil {
			t.Fatal(err)
		}
		env.clock.Advance(31 * time.Minute)
		if _, _, err := env.eng.Held(ctx, key); !errors.Is(err, ErrNoSession) {
			t.Fatalf("held after the idle timeout: %v", err)
		}
	})

	t.Run("Suggest", func(t *testing.T) {
		// The whole-form channel asks the same Suggester the dialog asks.
		got := env.eng.Suggest(ctx, testKey, d)
		if len(got) != 2 || got[0].ID != "KB-12" || got[1].Kind != SuggestionIncident {
			t.Fatalf("suggestions %+v", got)
		}
		d.Summary = "会员余额显示为零"
		if got := env.eng.Suggest(ctx, testKey, d); len(got) != 0 {
			t.Fatalf("suggestions for an unrelated draft: %+v", got)
		}
	})
}
