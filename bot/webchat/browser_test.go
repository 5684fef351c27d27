package webchat_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/deskbot/deskbot/backend"
)

// chromiumPath finds Debian's chromium; without it the browser test is
// skipped, except under CI=true, where it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install -y chromium); CI must run the browser test")
	}
	t.Skip("chromium not installed; skipping the browser test")
	return ""
}

// TestBrowser is the end-to-end flow in a real browser: a reporter files a
// ticket with a screenshot in /chat; an assistant signs in, claims and
// replies in /console; the reporter's page shows the reply without a
// reload. A screenshot of each page is saved in the test's temp dir.
func TestBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	h := newHarness(t, 0)
	ctx := context.Background()
	_, pw, err := h.auth.CreateUser(ctx, "Ada", backend.RoleAssistant, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	shots := t.TempDir()
	if dir := os.Getenv("DESKBOT_SHOTS"); dir != "" { // keep them to look at
		shots = dir
	}
	t.Logf("screenshots in %s", shots)
	shot := filepath.Join(shots, "screenshot.png")
	if err := os.WriteFile(shot, pngBytes, 0o600); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 900), // a phone
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	timeout, cancelTimeout := context.WithTimeout(allocCtx, 50*time.Second)
	defer cancelTimeout()
	reporter, cancelReporter := chromedp.NewContext(timeout)
	defer cancelReporter()
	url := h.srv.URL

	save := func(bctx context.Context, name string) {
		t.Helper()
		buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), buf, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// waitJS polls a JavaScript predicate (chromedp.Poll's cached
	// execution context goes stale when htmx swaps the page).
	// runJS runs a script that returns true.
	runJS := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](js)(ctx, tg)
			return err
		})
	}
	waitJS := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			deadline := time.Now().Add(10 * time.Second)
			for {
				ok, err := chromedp.Evaluate[bool](js)(ctx, tg)
				if err == nil && ok {
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("timed out waiting for %s (last error %v)", js, err)
				}
				time.Sleep(30 * time.Millisecond)
			}
		})
	}
	// lastBubbleHas waits until the newest chat bubble contains s.
	lastBubbleHas := func(s string) chromedp.Action[chromedp.Void] {
		return waitJS(fmt.Sprintf(`(() => { const b = [...document.querySelectorAll('#log .bubble')]; if (!window.deskbotMark) { throw new Error("the page was reloaded"); } return b.length > 0 && b[b.length-1].innerText.includes(%q); })()`, s))
	}
	// press clicks the newest button with that id (followed by the mark of
	// the turn that showed it, "cmd:skip#2"), as a reporter would.
	press := func(id, then string) chromedp.Action[chromedp.Void] {
		// Click once htmx has taken over the button's form, as a person
		// (who needs longer than one settle delay to find it) would.
		js := fmt.Sprintf(`(() => { const b = [...document.querySelectorAll('#log button[value=%q], #log button[value^=%q]')]; const last = b[b.length-1];
			if (!last || !last.form['htmx-internal-data'] || document.querySelector('.htmx-request, .htmx-settling')) { return false; } last.click(); return true; })()`, id, id+"#")
		return chromedp.Steps(waitJS(js), lastBubbleHas(then))
	}
	answer := func(text, then string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(chromedp.SendKeys(chromedp.ID("text"), text), chromedp.Click(chromedp.ID("send")), lastBubbleHas(then))
	}
	step := func(bctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		start := time.Now()
		var err error
		for i, a := range actions {
			if err = chromedp.Do(bctx, a); err != nil {
				err = fmt.Errorf("action %d: %w", i, err)
				break
			}
		}
		if err != nil {
			html, _ := chromedp.Run(bctx, chromedp.OuterHTML(chromedp.CSS("body")))
			save(bctx, "failed-"+name+".png")
			t.Fatalf("%s: %v\n%s", name, err, html)
		}
		t.Logf("%s: %s", name, time.Since(start).Round(time.Millisecond))
	}
	text := func(bctx context.Context, sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	// The reporter files a ticket with a screenshot.
	step(reporter, "open chat",
		chromedp.Navigate(url+"/chat/"),
		chromedp.WaitVisible(chromedp.CSS(`button[value="start:feedback"]`)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`window.deskbotMark = true`)(ctx, tg)
			return err
		}),
	)
	if ok, err := chromedp.Run(reporter, chromedp.Evaluate[bool](`typeof htmx === 'object' && !!htmx.process`)); err != nil || !ok {
		t.Fatalf("htmx did not load: %v", err)
	}
	if dbg, err := chromedp.Run(reporter, chromedp.Evaluate[string](`JSON.stringify({cfg: htmx.config.responseHandling, processed: !!document.querySelector('form[hx-post]')['htmx-internal-data'], ver: htmx.version})`)); true {
		t.Logf("debug: %s %v", dbg, err)
	}
	step(reporter, "file",
		press("start:feedback", "(1/10)"),
		answer("Member-center balance was reset to zero before expiry", "(2/10)"),
		press("cmd:skip", "(3/10)"),
		press("opt:category:product", "(3/10)"),
		press("opt:category:product/member_center", "(4/10)"),
		answer("now", "(5/10)"),
		press("opt:region:east", "(6/10)"),
		press("opt:severity:P2", "(7/10)"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{shot}),
		chromedp.Click(chromedp.ID("send")),
		lastBubbleHas("Got 1 file"),
		press("cmd:done", "(8/10)"),
		answer("20261120003", "(9/10)"),
		answer("shop_bj_2026", "(10/10)"),
		answer("13800138000 owner@example.com", "Customer contact"),
		press("cmd:submit", "About to file"),
		press("cmd:confirm", "FB-"),
	)
	number := regexp.MustCompile(`FB-\d{8}-\d{4}`).FindString(text(reporter, "#log"))
	if number == "" {
		t.Fatalf("no ticket number in the chat:\n%s", text(reporter, "#log"))
	}
	save(reporter, "1-chat-filed.png")
	step(reporter, "open ticket",
		chromedp.Click(chromedp.CSS(`a.ticket-link[href="/chat/t/`+number+`"]`)),
		chromedp.WaitVisible(chromedp.ID("thread")),
		chromedp.WaitVisible(chromedp.CSS(`.files img`)),
		// Mark the document: a reload would lose the mark.
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`window.deskbotMark = true`)(ctx, tg)
			return err
		}),
	)
	save(reporter, "2-chat-ticket.png")

	// The assistant signs in, claims and replies, in a browser of their own.
	staff, cancelStaff := chromedp.NewContext(reporter, chromedp.WithNewBrowserContext())
	defer cancelStaff()
	const reply = "We restored the balance; please check your member center."
	step(staff, "sign in",
		chromedp.Navigate(url+"/console/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "ada"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), pw),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/console/t/`+number+`"]`)),
	)
	save(staff, "3-console-queue.png")
	step(staff, "claim and reply",
		chromedp.Click(chromedp.CSS(`a[href="/console/t/`+number+`"]`)),
		chromedp.WaitVisible(chromedp.ID("btn-claim")),
		chromedp.Click(chromedp.ID("btn-claim")),
		waitJS(`document.querySelector('#assignee').innerText === 'Ada'`),
		chromedp.SendKeys(chromedp.ID("text"), reply),
		chromedp.Click(chromedp.ID("btn-reply")),
		waitJS(fmt.Sprintf(`document.querySelector('#thread').innerText.includes(%q)`, reply)),
		waitJS(`document.querySelector('#text').value === ''`),
	)
	save(staff, "4-console-ticket.png")
	// A refused action (here a 404: no incident 999) shows its error on
	// the page, not only in the network log, and a live refresh after it
	// (the reply's delivery may land any moment) does not wipe it. The
	// form is filled and sent in one script, so that such a refresh
	// cannot close it half-way (and is bound to htmx first: a refresh may
	// have swapped it in a moment ago).
	step(staff, "refused action shows",
		runJS(`(() => {
			document.querySelector('details.more-actions').open = true;
			document.querySelector('input[name="incident"]').value = '999';
			const form = document.querySelector('form[action$="/link"]');
			htmx.process(form); // content a live refresh just swapped in may not be bound yet
			form.querySelector('button').click();
			return true;
		})()`),
		waitJS(`(() => { const e = document.querySelector('#flash'); return !!e && e.innerText.includes('999'); })()`),
		waitJS(`document.querySelector('#live .error') === null`),
	)
	step(staff, "the error outlives a live refresh",
		runJS(`(() => { htmx.ajax('GET', document.querySelector('#live').dataset.src, {target: '#live', swap: 'innerHTML'}); return true; })()`),
		chromedp.Sleep(300*time.Millisecond),
		waitJS(`(() => { const e = document.querySelector('#flash'); return !!e && e.innerText.includes('999'); })()`),
	)

	// The reporter's open page shows the reply, without a reload.
	step(reporter, "live reply",
		waitJS(fmt.Sprintf(`document.querySelector('#thread').innerText.includes(%q)`, reply)),
		waitJS(`window.deskbotMark === true`),
	)
	if status := text(reporter, "#status"); !strings.Contains(strings.ToLower(status), "assigned") {
		t.Errorf("reporter sees status %q, want assigned", status)
	}
	save(reporter, "5-chat-live-reply.png")
}
