package slack

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// TestModalFreeTextChoice: a choice that takes free text (the region) has
// a text box under its select with the catalog's hint; either one answers
// it, both at once or neither is an error on the right block, and typed
// text is filed as the chat dialog files it.
func TestModalFreeTextChoice(t *testing.T) {
	h := newHarness(t, ModeSocket)
	fake := h.fake
	fake.Slash(t, reporter, dmChannel(reporter), "/ticket", "")
	v := fake.WaitView(t, reporter, nil)
	if !slices.Contains(v.BlockIDs(), "region"+sufText) {
		t.Fatalf("modal blocks %v lack region%s", v.BlockIDs(), sufText)
	}
	if slices.Contains(v.BlockIDs(), "severity"+sufText) {
		t.Fatal("a choice without free text got a text box")
	}
	raw, _ := json.Marshal(v.Raw)
	if hint := h.ch.cat.T("zh-CN", "dialog.choice.free_text", nil); !strings.Contains(string(raw), hint) {
		t.Fatalf("the text box lacks the hint %q", hint)
	}
	fake.PickInView(t, reporter, v, "category", actRoot, "crm")
	v = fake.WaitView(t, reporter, func(v *slacktest.View) bool { return slices.Contains(v.BlockIDs(), "category__child") })

	values := func(region map[string]slacktest.Value, typed string) slacktest.Values {
		vs := slacktest.Values{
			"summary":         {actValue: {Text: "会员中心余额显示异常，刷新后仍然为零"}},
			"category":        {actRoot: {Selected: "crm"}},
			"category__child": {actValue: {Selected: "crm/payment"}},
			"occurred_at":     {actValue: {Text: "现在"}},
			"severity":        {actValue: {Selected: "P3"}},
			"contact":         {actValue: {Text: "QQ 123456"}},
			"region":          region,
		}
		if typed != "" {
			vs["region"+sufText] = map[string]slacktest.Value{actValue: {Text: typed}}
		}
		return vs
	}
	picked := map[string]slacktest.Value{actValue: {Selected: "north"}}
	for _, tc := range []struct {
		name   string
		values slacktest.Values
		block  string
	}{
		{"ErrNeither", values(nil, ""), "region"},
		{"ErrBoth", values(picked, "海南三亚"), "region" + sufText},
		{"ErrTooLong", values(nil, strings.Repeat("长", 51)), "region" + sufText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			action, errs := fake.Submit(t, reporter, v, tc.values)
			if action != "errors" || errs[tc.block] == "" || len(errs) != 1 {
				t.Fatalf("answered %q %v, want one error on %s", action, errs, tc.block)
			}
			if len(h.tickets()) != 0 {
				t.Fatal("filed")
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		if action, errs := fake.Submit(t, reporter, v, values(nil, " 海南三亚 ")); action != "clear" {
			t.Fatalf("answered %q %v", action, errs)
		}
		poll(t, "the ticket", func() bool { return len(h.tickets()) == 1 })
		if got := h.tickets()[0].Region; got != "海南三亚" {
			t.Fatalf("region %q, want the typed text", got)
		}
	})
}
