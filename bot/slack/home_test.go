package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

// TestHomeHidesInternalNotes: the reporter's App Home shows the latest
// update they may read, never a staff-only note written after it.
func TestHomeHidesInternalNotes(t *testing.T) {
	h := newHarness(t, ModeSocket)
	staff := h.linkStaff(helper)
	tk := h.fileTicket(backend.P3)
	ctx := context.Background()
	if _, err := h.svc.Comment(ctx, staff, tk.Number, "我们正在排查，请稍候", true); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Comment(ctx, staff, tk.Number, "内部备注：这个代理商很难缠", false); err != nil {
		t.Fatal(err)
	}
	h.fake.HomeOpened(t, reporter)
	var home string
	poll(t, "the App Home", func() bool {
		v, ok := h.fake.Home(reporter)
		if !ok {
			return false
		}
		b, _ := json.Marshal(v.Raw)
		home = string(b)
		return strings.Contains(home, tk.Number)
	})
	if strings.Contains(home, "很难缠") {
		t.Fatalf("the reporter's App Home shows the internal note: %s", home)
	}
	if !strings.Contains(home, "正在排查") {
		t.Fatalf("the reporter's App Home does not show the latest public reply: %s", home)
	}
}
