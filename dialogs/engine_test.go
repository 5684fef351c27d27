package dialogs

import (
	"context"
	"errors"
	"fmt"
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
