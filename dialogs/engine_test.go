package dialogs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConcurrentInputsMemory: like the Redis test, on the embedded store.
func TestConcurrentInputsMemory(t *testing.T) {
	cat, forms := textsForms(t)
	store := NewMemoryStore(nil, time.Minute)
	e, err := NewEngine(Config{Forms: forms, Sessions: store, Catalog: cat, Filer: &fakeFiler{}, MaxAttempts: 500})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e.Start(ctx, testKey, "texts", "en")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := e.Handle(ctx, testKey, Input{Text: fmt.Sprintf("answer %d", i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	rec, _ := store.Get(ctx, testKey)
	st, _ := decodeState(rec.Data)
	if len(st.Answers) != 8 || st.Step != stepReview {
		t.Fatalf("%d answers, step %s; want 8 and review", len(st.Answers), st.Step)
	}
}

func TestStartReplacesDialog(t *testing.T) {
	env := newTestEnv(t, nil)
	ctx := context.Background()
	env.eng.Start(ctx, testKey, "feedback", "en")
	mustHandle(t, env.eng, Input{Text: "Something is broken in the ordering system"})
	out, err := env.eng.Start(ctx, testKey, "suggestion", "en")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Replies[0].Text, "unfinished form was discarded") {
		t.Fatalf("replacing a dialog was silent: %q", out.Replies[0].Text)
	}
	out = mustHandle(t, env.eng, Input{Button: "start:feedback"})
	if !strings.Contains(out.Replies[0].Text, "form in progress") {
		t.Fatalf("a start button during a dialog: %q", out.Replies[0].Text)
	}
	if _, err := env.eng.Start(ctx, testKey, "nope", "en"); err == nil {
		t.Fatal("unknown form started")
	}
}

func TestFilingInProgress(t *testing.T) {
	env := newTestEnv(t, nil)
	ctx := context.Background()
	env.eng.Start(ctx, testKey, "suggestion", "en")
	st := &state{V: stateVersion, Form: "suggestion", Locale: "en", DraftID: "D1", Step: stepFiling, FilingAt: env.clock.Now(),
		Answers: map[string]*Answer{"summary": {Text: "Please add a night mode"}}}
	data, _ := encodeState(st)
	rec, _ := env.store.Get(ctx, testKey)
	env.store.Put(ctx, testKey, data, rec.Version)

	out := mustHandle(t, env.eng, Input{Button: "cmd:confirm"})
	if !strings.Contains(out.Replies[0].Text, "Filing your ticket") || len(env.filer.drafts) != 0 {
		t.Fatalf("confirm while filing: %q, %d filed", out.Replies[0].Text, len(env.filer.drafts))
	}
	// The filing replica died; after filingStale the reporter can confirm again.
	env.clock.Advance(filingStale + time.Second)
	out = mustHandle(t, env.eng, Input{Button: "cmd:confirm"})
	if out.TicketNumber != "SG-20261120-0001" || env.filer.drafts[0].ID != "D1" || env.filer.drafts[0].Severity != "P4" {
		t.Fatalf("out %+v, drafts %+v", out, env.filer.drafts)
	}
}

func TestUnreadableSession(t *testing.T) {
	env := newTestEnv(t, nil)
	ctx := context.Background()
	env.store.Put(ctx, testKey, []byte(`{"v":99}`), 0)
	out := mustHandle(t, env.eng, Input{Text: "hello", Locale: "en"})
	if !strings.Contains(out.Replies[0].Text, "cannot be continued") {
		t.Fatalf("unreadable session: %q", out.Replies[0].Text)
	}
	if ok, _ := env.eng.Active(ctx, testKey); ok {
		t.Fatal("unreadable session kept")
	}
}

// TestContinue: with no dialog in progress Continue changes nothing and
// says so; with one, it takes the input like Handle.
func TestContinue(t *testing.T) {
	env := newTestEnv(t, nil)
	ctx := context.Background()
	out, active, err := env.eng.Continue(ctx, testKey, Input{Text: "FB-20261120-0001", Locale: "en"})
	if err != nil || active || len(out.Replies) != 0 {
		t.Fatalf("no dialog: %+v %v %v", out, active, err)
	}
	if _, err := env.store.Get(ctx, testKey); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Continue without a dialog made a session: %v", err)
	}
	env.eng.Start(ctx, testKey, "suggestion", "en")
	out, active, err = env.eng.Continue(ctx, testKey, Input{Text: "Please add a night mode to the console"})
	if err != nil || !active || len(out.Replies) == 0 {
		t.Fatalf("in a dialog: %+v %v %v", out, active, err)
	}
	rec, err := env.store.Get(ctx, testKey)
	if err != nil {
		t.Fatal(err)
	}
	st, err := decodeState(rec.Data)
	if err != nil || st.Answers["summary"] == nil || st.Answers["summary"].Text != "Please add a night mode to the console" {
		t.Fatalf("the answer was not taken: %+v %v", st, err)
	}
}

func TestNewEngineConfig(t *testing.T) {
	if _, err := NewEngine(Config{}); err == nil {
		t.Fatal("empty config accepted")
	}
}

// TestButtonOfEarlierTurn: buttons carry the turn that showed them. A
// button tapped twice (the second tap from the same, older message) acts
// once: the second is told it is stale and changes nothing, even where
// the same command would fit the current question. A button of the
// current turn still works after a stale one, and so does an unmarked id.
func TestButtonOfEarlierTurn(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, nil)
	env.eng.Start(ctx, testKey, "feedback", "en")
	out, err := env.eng.Handle(ctx, testKey, Input{Text: "The shop page does not load at all"})
	if err != nil {
		t.Fatal(err)
	}
	skip := buttonID(t, out, "cmd:skip") // question 2, optional
	if _, err := env.eng.Handle(ctx, testKey, Input{Button: skip}); err != nil {
		t.Fatal(err)
	}
	state := func() *state { return storedState(t, env.store) }
	before := state()
	again, err := env.eng.Handle(ctx, testKey, Input{Button: skip})
	if err != nil || !again.Stale {
		t.Fatalf("second tap: stale %v, %v", again.Stale, err)
	}
	if after := state(); after.Field != before.Field || len(after.Answers) != len(before.Answers) || after.Shown != before.Shown {
		t.Fatalf("a stale tap changed the dialog: field %d→%d, %d→%d answers, shown %d→%d",
			before.Field, after.Field, len(before.Answers), len(after.Answers), before.Shown, after.Shown)
	}
	// The question shown again has the same turn's buttons as before.
	crm := buttonID(t, again, "opt:category:crm")
	if out, err := env.eng.Handle(ctx, testKey, Input{Button: crm}); err != nil || out.Stale {
		t.Fatalf("a current button after a stale one: stale %v, %v", out.Stale, err)
	}
	if st := state(); len(st.Path) != 1 || st.Path[0] != "crm" {
		t.Fatalf("the current button was not taken: path %v", st.Path)
	}
	if out, err := env.eng.Handle(ctx, testKey, Input{Button: "cmd:back"}); err != nil || out.Stale {
		t.Fatalf("an unmarked id: stale %v, %v", out.Stale, err)
	}
}

// buttonID is the id of the button of out whose id is want plus a turn
// mark.
func buttonID(t *testing.T, out Output, want string) string {
	t.Helper()
	for _, r := range out.Replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				if id, _ := untag(b.ID, 0); id == want && id != b.ID {
					return b.ID
				}
			}
		}
	}
	t.Fatalf("no marked button %q in %+v", want, out.Replies)
	return ""
}

// TestFileRoom: files are wanted only while a form with an attachments
// field asks its questions, up to the field's limit; not with no dialog,
// not at the review, not in a form without attachments.
func TestFileRoom(t *testing.T) {
	env := newTestEnv(t, nil)
	ctx := context.Background()
	room := func(e *Engine) int {
		t.Helper()
		n, err := e.FileRoom(ctx, testKey)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := room(env.eng); n != 0 {
		t.Fatalf("no dialog: room %d", n)
	}
	f, _ := env.eng.Form("feedback")
	maxFiles := 0
	for _, fd := range f.Fields {
		if fd.Type == TypeAttachments {
			maxFiles = fd.MaxFiles
		}
	}
	env.eng.Start(ctx, testKey, "feedback", "en")
	if n := room(env.eng); n != maxFiles || n == 0 {
		t.Fatalf("first question: room %d, want %d", n, maxFiles)
	}
	mustHandle(t, env.eng, Input{Files: []FileRef{{ID: "abc", Name: "shot.png", ContentType: "image/png", Size: 100}}})
	if n := room(env.eng); n != maxFiles-1 {
		t.Fatalf("after a file: room %d, want %d", n, maxFiles-1)
	}
	rec, err := env.store.Get(ctx, testKey)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := decodeState(rec.Data)
	st.Step = stepReview
	data, _ := encodeState(st)
	if _, err := env.store.Put(ctx, testKey, data, rec.Version); err != nil {
		t.Fatal(err)
	}
	if n := room(env.eng); n != 0 {
		t.Fatalf("review: room %d", n)
	}
	cat, forms := textsForms(t)
	texts, err := NewEngine(Config{Forms: forms, Sessions: NewMemoryStore(nil, 0), Catalog: cat, Filer: &fakeFiler{}})
	if err != nil {
		t.Fatal(err)
	}
	texts.Start(ctx, testKey, "texts", "en")
	if n := room(texts); n != 0 {
		t.Fatalf("a form without attachments: room %d", n)
	}
}

// TestStartFromSource: the source a dialog was started from reaches the
// draft filed, and a dialog started otherwise has none.
func TestStartFromSource(t *testing.T) {
	env := newTestEnv(t, nil)
	ctx := context.Background()
	const src = "telegram:-1001234567890:42"
	suggest := func(start func() (Output, error)) {
		t.Helper()
		if _, err := start(); err != nil {
			t.Fatal(err)
		}
		for _, in := range []Input{{Text: "Please add a night mode to the console"}, {Button: "opt:category:feature"},
			{Text: "13800138000"}, {Button: "cmd:submit"}, {Button: "cmd:confirm"}} {
			out := mustHandle(t, env.eng, in)
			if out.Done {
				return
			}
		}
		t.Fatal("the suggestion was not filed")
	}
	suggest(func() (Output, error) { return env.eng.StartFrom(ctx, testKey, "suggestion", "en", src) })
	if len(env.filer.drafts) != 1 || env.filer.drafts[0].Source != src {
		t.Fatalf("drafts %+v; want one from %s", env.filer.drafts, src)
	}
	suggest(func() (Output, error) { return env.eng.Start(ctx, testKey, "suggestion", "en") })
	if len(env.filer.drafts) != 2 || env.filer.drafts[1].Source != "" {
		t.Fatalf("a dialog started without a source: %+v", env.filer.drafts[1:])
	}
}

// TestExpiredNotices: a dialog that expired idle is reported unasked, in
// its language and naming its form, once; the reporter's next input then
// does not report it again.
func TestExpiredNotices(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, nil)
	if _, err := env.eng.Start(ctx, testKey, "feedback", "en"); err != nil {
		t.Fatal(err)
	}
	zh := SessionKey{Platform: testKey.Platform, ChatID: "c2", UserID: "u2"}
	if _, err := env.eng.Start(ctx, zh, "feedback", "zh-CN"); err != nil {
		t.Fatal(err)
	}
	// A dialog whose ticket was being filed when it was last saved may
	// have been filed: it gets no "not filed" notice.
	filing := &state{V: stateVersion, Form: "suggestion", Locale: "en", DraftID: "D1", Step: stepFiling}
	data, _ := encodeState(filing)
	if _, err := env.eng.put(ctx, SessionKey{Platform: testKey.Platform, ChatID: "c3", UserID: "u3"}, filing, data, 0); err != nil {
		t.Fatal(err)
	}
	if n, err := env.eng.ExpiredNotices(ctx, testKey.Platform, 10); err != nil || len(n) != 0 {
		t.Fatalf("notices before the idle timeout: %+v, %v", n, err)
	}
	env.clock.Advance(31 * time.Minute)
	notices, err := env.eng.ExpiredNotices(ctx, testKey.Platform, 10)
	if err != nil || len(notices) != 2 {
		t.Fatalf("notices = %+v, %v; want two (none for the filing one)", notices, err)
	}
	for _, n := range notices {
		want := "Your “problem report” form expired"
		if n.Key == zh {
			want = "您填写的「问题反馈」因长时间未操作已过期"
		}
		if first := n.Out.Replies[0].Text; !strings.Contains(first, want) {
			t.Errorf("notice for %v: %q; want it to say %q", n.Key, first, want)
		}
		last := n.Out.Replies[len(n.Out.Replies)-1]
		if len(last.Buttons) == 0 || !strings.HasPrefix(last.Buttons[0][0].ID, "start:") {
			t.Errorf("notice for %v ends without the forms to start again: %+v", n.Key, last)
		}
	}
	if again, _ := env.eng.ExpiredNotices(ctx, testKey.Platform, 10); len(again) != 0 {
		t.Fatalf("notices handed out twice: %+v", again)
	}
	out := mustHandle(t, env.eng, Input{Text: "hello", Locale: "en"})
	if strings.Contains(out.Replies[0].Text, "expired") {
		t.Fatalf("the next input reported the expiry again: %q", out.Replies[0].Text)
	}
}

// TestAddToOwnTicket: a reporter describing again a problem their open
// ticket is about is offered that ticket first; "add" hands the draft to
// the Adder and ends the dialog without filing, and an Adder that fails
// keeps the dialog on the suggestions.
func TestAddToOwnTicket(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, nil)
	env.eng.Start(ctx, testKey, "feedback", "zh-CN")
	out := mustHandle(t, env.eng, Input{Text: "放心房上线后又不显示了，已经第二次了"})
	var all []string
	for _, r := range out.Replies {
		all = append(all, r.Text)
	}
	text := strings.Join(all, "\n")
	if i, j := strings.Index(text, "FB-20261119-0002"), strings.Index(text, "INC-20261120-0003"); i < 0 || j < i || !strings.Contains(text, "处理中") {
		t.Fatalf("the own ticket is not offered first, with its status:\n%s", text)
	}
	if keys := env.sug.keys; len(keys) != 1 || keys[0] != testKey {
		t.Fatalf("Suggest asked for %v, want the dialog's key", keys)
	}
	add := buttonID(t, out, "sug:add:FB-20261119-0002")

	env.sug.failAdd = 1
	out = mustHandle(t, env.eng, Input{Button: add})
	if out.Done || !strings.Contains(out.Replies[0].Text, "暂时无法补充到工单 FB-20261119-0002") {
		t.Fatalf("a failed add: done %v, %q", out.Done, out.Replies[0].Text)
	}
	out = mustHandle(t, env.eng, Input{Button: buttonID(t, out, "sug:add:FB-20261119-0002")})
	if !out.Done || out.Outcome != OutcomeAdded || out.SuggestionID != "FB-20261119-0002" || !strings.Contains(out.Replies[0].Text, "已把您的描述补充到工单 FB-20261119-0002") {
		t.Fatalf("added: %+v", out)
	}
	if want := []string{"FB-20261119-0002: 放心房上线后又不显示了，已经第二次了"}; !slices.Equal(env.sug.added, want) || len(env.filer.drafts) != 0 {
		t.Fatalf("added %q, filed %d; want %q and nothing filed", env.sug.added, len(env.filer.drafts), want)
	}
	if active, err := env.eng.Active(ctx, testKey); err != nil || active {
		t.Fatalf("the dialog goes on after the add: %v %v", active, err)
	}
}
