package dialogs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/deskbot/deskbot/dialogs/catalog"
)

// testNow is the fixed clock of engine tests: Friday 2026-11-20 15:04:05
// in Shanghai.
var testNow = time.Date(2026, 11, 20, 15, 4, 5, 0, shanghai())

func shanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// fakeFiler numbers tickets FB-20261120-0001… and can be told to fail.
type fakeFiler struct {
	mu     sync.Mutex
	fail   int      // fail this many calls first
	reject []string // reject the next call for these slots
	drafts []Draft
}

func (f *fakeFiler) FileTicket(_ context.Context, _ SessionKey, d Draft) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return "", errors.New("database is down")
	}
	if slots := f.reject; slots != nil {
		f.reject = nil
		return "", &RejectedError{Slots: slots, Err: errors.New("invalid ticket")}
	}
	f.drafts = append(f.drafts, d)
	return fmt.Sprintf("%s-20261120-%04d", d.Prefix, len(f.drafts)), nil
}

// fakeSuggester returns fixed suggestions when the summary mentions
// "放心房" or "listing", and the reporter's own ticket first when it says
// "又" (again).
type fakeSuggester struct {
	mu      sync.Mutex
	joined  []string
	added   []string // "<number>: <summary>"
	failAdd int      // AddToTicket fails this many times first
	keys    []SessionKey
}

func (s *fakeSuggester) Suggest(_ context.Context, key SessionKey, d Draft) ([]Suggestion, error) {
	s.mu.Lock()
	s.keys = append(s.keys, key)
	s.mu.Unlock()
	if !strings.Contains(d.Summary, "放心房") && !strings.Contains(d.Summary, "listing") {
		return nil, nil
	}
	sugs := []Suggestion{
		{Kind: SuggestionKB, ID: "KB-12", Title: "放心房上线后 10 分钟内不显示属正常 / listings show within 10 minutes", Body: "https://kb.example/12"},
		{Kind: SuggestionIncident, ID: "INC-20261120-0003", Title: "放心房不显示 / listings missing", Count: 12},
	}
	if strings.Contains(d.Summary, "又") {
		sugs = append([]Suggestion{{Kind: SuggestionTicket, ID: "FB-20261119-0002", Title: "放心房上线后前台不显示", Status: "in_progress"}}, sugs...)
	}
	return sugs, nil
}

func (s *fakeSuggester) AddToTicket(_ context.Context, _ SessionKey, number string, d Draft) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAdd > 0 {
		s.failAdd--
		return errors.New("database is down")
	}
	s.added = append(s.added, number+": "+d.Summary)
	return nil
}

func (s *fakeSuggester) JoinIncident(_ context.Context, _ SessionKey, id string, _ Draft) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.joined = append(s.joined, id)
	return nil
}

type testEnv struct {
	eng   *Engine
	filer *fakeFiler
	sug   *fakeSuggester
	store SessionStore
	clock *testClock
	cat   *catalog.Catalog
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var (
	catOnce sync.Once
	testCat *catalog.Catalog
	catErr  error
)

// mustCatalog returns the shared catalog.
func mustCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	catOnce.Do(func() { testCat, catErr = catalog.New() })
	if catErr != nil {
		tb.Fatal(catErr)
	}
	return testCat
}

// newTestEnv builds an engine on a memory store (or store, if given) with
// the default forms and a fixed clock.
//
//	env := newTestEnv(t, nil)
//	out := env.start(t, "feedback", "zh-CN")
func newTestEnv(tb testing.TB, store SessionStore) *testEnv {
	tb.Helper()
	cat := mustCatalog(tb)
	forms, err := DefaultForms(cat)
	if err != nil {
		tb.Fatal(err)
	}
	clock := &testClock{now: testNow}
	if store == nil {
		store = NewMemoryStore(clock.Now, 30*time.Minute)
	}
	env := &testEnv{filer: &fakeFiler{}, sug: &fakeSuggester{}, store: store, clock: clock, cat: cat}
	env.eng, err = NewEngine(Config{
		Forms: forms, Sessions: store, Catalog: cat, Filer: env.filer, Suggester: env.sug,
		Now: clock.Now, Location: shanghai(),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return env
}

var testKey = SessionKey{Platform: "test", ChatID: "c1", UserID: "u1"}

// textsForm has eight free-text fields and nothing else, for concurrency
// tests where any answer fits any field.
const textsForm = `
id: texts
prefix: TX
fields:
  - {id: t1, type: text, required: true, min_length: 3}
  - {id: t2, type: text, required: true, min_length: 3}
  - {id: t3, type: text, required: true, min_length: 3}
  - {id: t4, type: text, required: true, min_length: 3}
  - {id: t5, type: text, required: true, min_length: 3}
  - {id: t6, type: text, required: true, min_length: 3}
  - {id: t7, type: text, required: true, min_length: 3}
  - {id: t8, type: text, required: true, min_length: 3}
`

// textsMessages are the texts form's catalog entries, in both locales.
func textsMessages() fstest.MapFS {
	var b strings.Builder
	b.WriteString("form.texts.title: texts\nform.texts.intro: \"{{.Count}} texts\"\n")
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&b, "form.texts.t%d.label: T%d\nform.texts.t%d.prompt: Text %d?\n", i, i, i, i)
	}
	return fstest.MapFS{
		"texts.zh-CN.yaml": {Data: []byte(b.String())},
		"texts.en.yaml":    {Data: []byte(b.String())},
	}
}

// textsEngine returns a catalog and form set holding only the texts form.
func textsForms(tb testing.TB) (*catalog.Catalog, *FormSet) {
	tb.Helper()
	cat, err := catalog.New(catalog.WithMessages(textsMessages()))
	if err != nil {
		tb.Fatal(err)
	}
	forms, err := LoadFormsFS(cat, fstest.MapFS{"texts.yaml": {Data: []byte(textsForm)}})
	if err != nil {
		tb.Fatal(err)
	}
	return cat, forms
}

func mustHandle(tb testing.TB, e *Engine, in Input) Output {
	tb.Helper()
	out, err := e.Handle(context.Background(), testKey, in)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
