package telegram

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		n    int
		want []string
	}{
		{"fits", "短消息", 10, []string{"短消息"}},
		{"at a line break", "第一行内容\n第二行内容", 8, []string{"第一行内容", "第二行内容"}},
		{"at a space", "alpha beta gamma", 12, []string{"alpha beta", "gamma"}},
		{"hard cut", strings.Repeat("字", 10), 4, []string{"字字字字", "字字字字", "字字"}},
		{"emoji count twice", "😀😀😀", 4, []string{"😀😀", "😀"}},
		{"no blank last part", "abcd\n", 4, []string{"abcd"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := split(tc.in, tc.n)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("split(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
			for _, p := range got {
				if utf16Len(p) > tc.n {
					t.Fatalf("piece %q is over %d", p, tc.n)
				}
			}
		})
	}
}

// TestLongNotice: a solution longer than one Telegram message reaches the
// reporter whole, in several messages, with the rating buttons on the
// last.
func TestLongNotice(t *testing.T) {
	h := newHarness(t, ModePoll)
	number := h.directTicket(alice, "会员中心积分明细页面打不开")
	bobP := h.linkAssistant(bob)
	ctx := context.Background()
	if _, err := h.svc.Claim(ctx, bobP, number); err != nil {
		t.Fatal(err)
	}
	// Telegram refuses the second part once: it is sent again, alone; the
	// first part is not repeated.
	var once sync.Once
	h.tg.SetOnCall(func(c telegramtest.Call) {
		if c.Method == "sendMessage" && c.Params["chat_id"] == itoa(alice.ID) && strings.Contains(c.Params["text"], "第 1 步") {
			once.Do(func() { h.tg.FailNext("sendMessage", 1, telegramtest.Fault{Code: 429, RetryAfter: 1}) })
		}
	})
	defer h.tg.SetOnCall(nil)
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "第 %d 步：清除浏览器缓存后重新登录会员中心，再打开积分明细页面。\n", i+1)
	}
	solution := b.String() + "（完）"
	if _, err := h.svc.Resolve(ctx, bobP, number, solution); err != nil {
		t.Fatal(err)
	}
	last := h.tg.WaitMessage(t, alice.ID, telegramtest.Containing("（完）"))
	if telegramtest.ButtonData(last, "满意") == "" {
		t.Fatalf("no rating buttons on the last part: %+v", last.ReplyMarkup)
	}
	var got strings.Builder
	var parts int
	for _, m := range h.tg.Messages(alice.ID) {
		if strings.Contains(m.Text, "第 ") {
			got.WriteString(m.Text + "\n")
			parts++
		}
	}
	for i := range 300 {
		if n := strings.Count(got.String(), fmt.Sprintf("第 %d 步：", i+1)); n != 1 {
			t.Fatalf("step %d shown %d times (%d messages)", i+1, n, parts)
		}
	}
	if parts < 2 {
		t.Fatalf("%d messages for %d characters", parts, utf16Len(solution))
	}
}
