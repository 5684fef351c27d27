package dialogs

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/transcripts")

// tstep is one thing the reporter (or the test) does in a transcript.
type tstep struct {
	in      Input
	start   string        // start this form instead of sending in
	advance time.Duration // move the clock first
	failing int           // make the Filer fail this many times first
	rejects []string      // make the Filer reject the next draft for these slots
}

func say(s string) tstep       { return tstep{in: Input{Text: s}} }
func press(id string) tstep    { return tstep{in: Input{Button: id}} }
func files(f ...FileRef) tstep { return tstep{in: Input{Files: f}} }
func startForm(f string) tstep { return tstep{start: f} }
func filerFails(n int) tstep   { return tstep{failing: n} }

func filerRejects(slots ...string) tstep { return tstep{rejects: slots} }
func png(name string) FileRef {
	return FileRef{ID: "tg:" + name, Name: name, ContentType: "image/png", Size: 120 << 10}
}

// transcripts are whole dialogs; each runs in the locale in its name and is
// compared with testdata/transcripts/<name>.txt (go test -run
// TestTranscripts -update rewrites them).
var transcripts = map[string]struct {
	locale string
	steps  []tstep
}{}

func init() {
	for _, loc := range []string{"zh-CN", "en"} {
		zh := loc == "zh-CN"
		pick := func(a, b string) string {
			if zh {
				return a
			}
			return b
		}
		transcripts["feedback_happy_"+loc] = struct {
			locale string
			steps  []tstep
		}{loc, []tstep{
			startForm("feedback"),
			say(pick("会员中心帮帮余额未到期就被清零了，客户很着急", "Member-center balance was reset to zero before expiry")),
			say("SHOP-88231"),
			press("opt:category:product"),
			press("opt:category:product/member_center"),
			say(pick("今天上午10点", "today 10:00")),
			press("opt:region:north"),
			press("opt:severity:P2"),
			files(png("balance.png"), png("orders.png")),
			press("cmd:done"),
			say("20261120003"),
			say("shop_bj_2026"),
			say("13800138000 owner@example.com"),
			press("cmd:submit"),
			press("cmd:confirm"),
		}}
		transcripts["feedback_wrong_once_"+loc] = struct {
			locale string
			steps  []tstep
		}{loc, []tstep{
			startForm("feedback"),
			say(pick("不显示了", "broken")), // too short
			say(pick("房产帖子刷新后排名没有任何变化", "Post ranking does not change after a refresh")),
			say("P 2026"), // space in an id
			say("P2026"),
			say(pick("房子", "houses")), // no such category
			say("2"),
			say("99"), // no such child
			say(pick("房产放心房", "Verified housing")),
			say(pick("今天下午5点", "today 5pm")), // in the future
			say(pick("今天下午2点", "today 2pm")),
			say(strings.Repeat(pick("很长的区域", "long region "), 12)), // too long
			say(pick("华东", "East")),
			say("P9"), // no such level
			say(pick("紧急", "urgent")),
			files(FileRef{ID: "tg:x", Name: "setup.exe", ContentType: "application/x-msdownload", Size: 2 << 20}), // wrong type
			say(pick("截图在这", "here it is")), // text instead of a file
			files(png("listing.png")),
			press("cmd:done"),
			say("#1"), // bad order number
			say("20261120003"),
			say("shop bj"), // space in an account
			say("shop_bj"),
			say("1380013800"), // 10 digits
			say("QQ 123"),     // too short
			say("a@b"),        // third wrong answer in a row: help
			say("13800138000"),
			press("cmd:submit"),
			press("cmd:confirm"),
		}}
		transcripts["feedback_navigation_"+loc] = struct {
			locale string
			steps  []tstep
		}{loc, []tstep{
			startForm("feedback"),
			press("cmd:back"), // already first
			say(pick("放心商家不在专区显示，客户投诉", "Verified merchant missing from its section")),
			press("cmd:skip"),         // reference is optional
			press("opt:category:crm"), // tree root
			press("cmd:back"),         // back to the roots
			press("cmd:back"),         // back to the reference
			say("M-1001"),
			press("cmd:keep"), // keep the category? none yet: a stale-ish keep
			press("opt:category:crm/other"),
			say(pick("合同打印", "contract printing")),
			say(pick("昨天上午9点", "yesterday 9:00")),
			say(pick("西南", "Southwest")),
			press("cmd:skip"), // severity is required
			press("opt:severity:P3"),
			press("cmd:skip"), // screenshots optional for P3
			press("cmd:skip"), // order number optional for P3
			press("cmd:skip"), // account optional for P3
			say("QQ 5566778"),
			say(pick("修改 1", "edit 1")),
			press("cmd:back"), // back from editing: summary unchanged
			say(pick("修改 2", "edit 2")),
			say("M-2002"),
			say(pick("修改 12", "edit 12")), // no such item
			press("cmd:submit"),
			press("cmd:back"), // back from confirm to the summary
			press("cmd:cancel"),
			press("cmd:no"),
			say(pick("取消", "cancel")),
			say(pick("取消", "cancel")),
		}}
		transcripts["feedback_conditional_"+loc] = struct {
			locale string
			steps  []tstep
		}{loc, []tstep{
			startForm("feedback"),
			say(pick("促销活动的价格单在哪里下载？", "Where can I download the promotion price list?")),
			press("cmd:skip"),
			press("opt:category:crm"),
			press("opt:category:crm/ordering"),
			say(pick("现在", "now")),
			say(pick("北京", "Beijing")),
			press("opt:severity:P3"),
			press("cmd:skip"),
			press("cmd:skip"),
			press("cmd:skip"),
			say("a@b.cn"),
			// Raising the severity makes screenshots, order and account required.
			press("cmd:edit:6"),
			press("opt:severity:P1"),
			press("cmd:skip"), // refused: required now
			files(png("error.png")),
			press("cmd:done"),
			say("SO-7788"),
			say("acct_9"),
			// Lowering it again keeps the answers, asks nothing.
			press("cmd:edit:6"),
			press("opt:severity:P3"),
			press("cmd:submit"),
			filerRejects("contacts"),
			press("cmd:confirm"), // refused for its content: back to the review
			press("cmd:submit"),
			filerFails(1),
			press("cmd:confirm"), // the store is down: draft kept
			press("cmd:confirm"), // submit again
		}}
	}
	transcripts["suggestion_solved_zh-CN"] = struct {
		locale string
		steps  []tstep
	}{"zh-CN", []tstep{
		startForm("suggestion"),
		say("房产放心房上线后希望能马上在前台显示"),
		say("随便"), // no such button
		press("sug:solved:KB-12"),
	}}
	transcripts["feedback_join_en"] = struct {
		locale string
		steps  []tstep
	}{"en", []tstep{
		startForm("feedback"),
		say("Verified listing not shown after going live, again"),
		press("sug:join:INC-20261120-0003"),
	}}
	transcripts["complaint_zh-CN"] = struct {
		locale string
		steps  []tstep
	}{"zh-CN", []tstep{
		startForm("complaint"),
		say("a@b.cn"), // only a phone is asked
		say("139 1234 5678"),
		say("无"), // the customer's name is required (seed 002): no skipping
		say("李先生"),
		say("20080505003"),
		say("这批螺丝刀杆上有明显的铁锈，客户要求处理"),
		say("上门处理；查明原因并提出预防措施"),
		say("紧急"),
		press("cmd:done"),
		press("cmd:submit"),
		press("cmd:confirm"),
	}}
	transcripts["feedback_language_and_early_file_en"] = struct {
		locale string
		steps  []tstep
	}{"en", []tstep{
		startForm("feedback"),
		{in: Input{Text: "Refresh button does nothing on the shop page", Files: []FileRef{png("shop.png")}}},
		say("语言 中文"),
		press("cmd:skip"),
		say("lang en"),
		say("help"),
		press("cmd:restart"),
		press("cmd:yes"),
		press("opt:category:crm"), // stale: this is the summary question now
	}}
	transcripts["no_session_en"] = struct {
		locale string
		steps  []tstep
	}{"en", []tstep{
		{in: Input{Text: "hi", Locale: "en-US"}},
		{in: Input{Button: "start:suggestion", Locale: "en-US"}},
		{advance: 31 * time.Minute, in: Input{Text: "Please add a night mode to the app", Locale: "en-US"}},
		{in: Input{Text: "hello?", Locale: "en-US"}},
	}}
}

func TestTranscripts(t *testing.T) {
	for name, tr := range transcripts {
		t.Run(name, func(t *testing.T) {
			got := runTranscript(t, tr.locale, tr.steps)
			path := filepath.Join("testdata", "transcripts", name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestTranscripts -update)", err)
			}
			if got != string(want) {
				t.Errorf("transcript %s differs from %s (run with -update to accept):\n%s", name, path, firstDiff(string(want), got))
			}
		})
	}
}

func runTranscript(t *testing.T, locale string, steps []tstep) string {
	t.Helper()
	env := newTestEnv(t, nil)
	ctx := context.Background()
	var b strings.Builder
	for _, s := range steps {
		if s.failing > 0 {
			env.filer.fail = s.failing
			fmt.Fprintf(&b, "## the Filer will fail %d time(s)\n\n", s.failing)
			continue
		}
		if len(s.rejects) > 0 {
			env.filer.reject = s.rejects
			fmt.Fprintf(&b, "## the Filer will reject the draft for %v\n\n", s.rejects)
			continue
		}
		if s.advance > 0 {
			env.clock.Advance(s.advance)
			fmt.Fprintf(&b, "## %s later\n\n", s.advance)
		}
		var out Output
		var err error
		if s.start != "" {
			fmt.Fprintf(&b, ">> /start %s\n", s.start)
			out, err = env.eng.Start(ctx, testKey, s.start, locale)
		} else {
			writeInput(&b, s.in)
			out, err = env.eng.Handle(ctx, testKey, s.in)
		}
		if err != nil {
			t.Fatalf("tstep %+v: %v", s, err)
		}
		writeOutput(&b, out)
	}
	if len(env.filer.drafts) > 0 {
		d := env.filer.drafts[len(env.filer.drafts)-1]
		d.ID = "<random>"
		j, _ := json.MarshalIndent(d, "", "  ")
		fmt.Fprintf(&b, "## draft filed\n%s\n", j)
	}
	return b.String()
}

func writeInput(b *strings.Builder, in Input) {
	var parts []string
	if in.Text != "" {
		parts = append(parts, in.Text)
	}
	if in.Button != "" {
		parts = append(parts, "[press "+in.Button+"]")
	}
	for _, f := range in.Files {
		parts = append(parts, fmt.Sprintf("[file %s %s %d]", f.Name, f.ContentType, f.Size))
	}
	fmt.Fprintf(b, ">> %s\n", strings.Join(parts, " "))
}

func writeOutput(b *strings.Builder, out Output) {
	for _, r := range out.Replies {
		for i, line := range strings.Split(r.Text, "\n") {
			if i == 0 {
				b.WriteString("<< " + line + "\n")
			} else {
				b.WriteString("   " + line + "\n")
			}
		}
		if r.ExpectFile {
			b.WriteString("   (expects a file)\n")
		}
		if r.Summary != nil {
			fmt.Fprintf(b, "   (summary card: %d items)\n", len(r.Summary.Items))
		}
		for _, row := range r.Buttons {
			var cells []string
			for _, btn := range row {
				cells = append(cells, "["+btn.Label+"]("+btn.ID+")")
			}
			b.WriteString("   " + strings.Join(cells, " ") + "\n")
		}
	}
	if out.Stale {
		b.WriteString("== stale button: nothing recorded\n")
	}
	if out.Done {
		fmt.Fprintf(b, "== done: %s %s%s\n", out.Outcome, out.TicketNumber, out.SuggestionID)
	}
	b.WriteString("\n")
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n want %q\n got  %q", i+1, w, g)
		}
	}
	return ""
}
