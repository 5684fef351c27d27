package dialogs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend/redistest"
)

func TestRedisStore(t *testing.T) {
	// Real time: every step of a subtest must fit in the idle timeout, so
	// it is long enough for a loaded CI machine under -race.
	const idle = 2 * time.Second
	exerciseStore(t, func(tb testing.TB) storeHarness {
		rdb, prefix := redistest.Open(tb)
		s := NewRedisStore(rdb, prefix, idle)
		return storeHarness{store: s, expire: func() { time.Sleep(idle + 150*time.Millisecond) }}
	})
}

func TestRedisStoreTTL(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	ctx := context.Background()
	s := NewRedisStore(rdb, prefix, 90*time.Second).WithTombstoneTTL(time.Hour)
	if _, err := s.Put(ctx, testKey, []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	sk, mk := s.keys(testKey)
	if ttl := rdb.PTTL(ctx, sk).Val(); ttl <= 80*time.Second || ttl > 90*time.Second {
		t.Errorf("session TTL = %v, want the idle timeout (90s)", ttl)
	}
	if ttl := rdb.PTTL(ctx, mk).Val(); ttl <= time.Hour || ttl > time.Hour+90*time.Second {
		t.Errorf("marker TTL = %v, want idle + tombstone", ttl)
	}
}

// TestRedisEngineConcurrentInputs sends answers to one session from several
// goroutines through two engines (two "replicas") sharing the real Redis:
// every answer must land in its own field, none lost.
func TestRedisEngineConcurrentInputs(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	ctx := context.Background()
	cat, forms := textsForms(t)
	filer := &fakeFiler{}
	var engines []*Engine
	for range 2 {
		e, err := NewEngine(Config{Forms: forms, Sessions: NewRedisStore(rdb, prefix, time.Minute), Catalog: cat, Filer: filer, MaxAttempts: 200})
		if err != nil {
			t.Fatal(err)
		}
		engines = append(engines, e)
	}
	if _, err := engines[0].Start(ctx, testKey, "texts", "en"); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := engines[i%2].Handle(ctx, testKey, Input{Text: fmt.Sprintf("answer number %d", i)})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// All n answers are in the n fields, each exactly once, and the
	// dialog reached the summary.
	st := storedState(t, NewRedisStore(rdb, prefix, time.Minute))
	seen := map[string]bool{}
	for i := range n {
		a := st.Answers[fmt.Sprintf("t%d", i+1)]
		if a == nil {
			t.Fatalf("field t%d has no answer: an input was lost (answers %v)", i+1, seen)
		}
		if seen[a.Text] {
			t.Fatalf("answer %q stored twice", a.Text)
		}
		seen[a.Text] = true
	}
	if st.Step != stepReview {
		t.Fatalf("step = %s, want review", st.Step)
	}
}

// TestRedisEngineConcurrentConfirm presses "confirm" on two replicas at
// once: exactly one ticket is filed.
func TestRedisEngineConcurrentConfirm(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	ctx := context.Background()
	cat, forms := textsForms(t)
	filer := &fakeFiler{}
	var engines []*Engine
	for range 2 {
		e, _ := NewEngine(Config{Forms: forms, Sessions: NewRedisStore(rdb, prefix, time.Minute), Catalog: cat, Filer: filer})
		engines = append(engines, e)
	}
	engines[0].Start(ctx, testKey, "texts", "en")
	for i := range 8 {
		mustHandle(t, engines[0], Input{Text: fmt.Sprintf("answer number %d", i)})
	}
	mustHandle(t, engines[0], Input{Button: "cmd:submit"})
	var wg sync.WaitGroup
	outs := make([]Output, 2)
	for i := range 2 {
		wg.Go(func() {
			out, err := engines[i].Handle(ctx, testKey, Input{Button: "cmd:confirm"})
			if err != nil {
				t.Error(err)
			}
			outs[i] = out
		})
	}
	wg.Wait()
	if len(filer.drafts) != 1 {
		t.Fatalf("filed %d tickets, want 1", len(filer.drafts))
	}
	if outs[0].TicketNumber == "" && outs[1].TicketNumber == "" {
		t.Fatal("neither replica returned the ticket number")
	}
}

// TestRedisEngineExpiry lets a dialog on the real Redis expire and checks
// the reporter is told exactly once.
func TestRedisEngineExpiry(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	ctx := context.Background()
	cat := mustCatalog(t)
	forms, _ := DefaultForms(cat)
	// Real time: Start and the first Active must fit in the idle timeout.
	const idle = 2 * time.Second
	e, err := NewEngine(Config{Forms: forms, Sessions: NewRedisStore(rdb, prefix, idle), Catalog: cat, Filer: &fakeFiler{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Start(ctx, testKey, "feedback", "en"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.Active(ctx, testKey); !ok {
		t.Fatal("not active after Start")
	}
	time.Sleep(idle + 200*time.Millisecond)
	if ok, _ := e.Active(ctx, testKey); ok {
		t.Fatal("still active after the idle timeout")
	}
	out := mustHandle(t, e, Input{Text: "hello, is anyone there?", Locale: "en-US"})
	if !strings.Contains(out.Replies[0].Text, "expired") {
		t.Fatalf("first input after expiry: %q, want the expiry notice", out.Replies[0].Text)
	}
	out = mustHandle(t, e, Input{Text: "hello again", Locale: "en-US"})
	if strings.Contains(out.Replies[0].Text, "expired") {
		t.Fatalf("expiry notice repeated: %q", out.Replies[0].Text)
	}
}

// TestRedisPutReplayed: the same put run twice (go-redis sends a command
// again after a network error) returns its version the second time, not
// a conflict; a different put from the same version still conflicts.
func TestRedisPutReplayed(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Open(t)
	s := NewRedisStore(rdb, prefix, time.Minute)
	key := SessionKey{Platform: "test", ChatID: "1", UserID: "1"}
	v1, err := s.Put(ctx, key, []byte("a"), 0)
	if err != nil {
		t.Fatal(err)
	}
	put := func(id int64) (int64, error) { return s.put(ctx, key, []byte("b"), nil, v1, 1, id) }
	v2, err := put(42)
	if err != nil || v2 != v1+1 {
		t.Fatalf("put: %d %v, want %d", v2, err, v1+1)
	}
	if again, err := put(42); err != nil || again != v2 {
		t.Fatalf("the same put again: %d %v, want %d", again, err, v2)
	}
	if other, err := put(43); err != nil || other != -1 {
		t.Fatalf("another put from the old version: %d %v, want -1 (conflict)", other, err)
	}
	if rec, err := s.Get(ctx, key); err != nil || string(rec.Data) != "b" || rec.Version != v2 {
		t.Fatalf("stored %q v%d %v", rec.Data, rec.Version, err)
	}
}

// countingStore counts the session reads that reach the store.
type countingStore struct {
	SessionStore
	gets atomic.Int64
}

func (s *countingStore) Get(ctx context.Context, key SessionKey) (Record, error) {
	s.gets.Add(1)
	return s.SessionStore.Get(ctx, key)
}

// TestRedisEngineRecent: an engine starts a chat's next turn from the
// session it wrote last, without reading it back; and when another
// replica moved the session on in between, the turn is applied to what
// the store holds, not to the engine's older copy.
func TestRedisEngineRecent(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	ctx := context.Background()
	cat, forms := textsForms(t)
	var stores []*countingStore
	var engines []*Engine
	for range 2 {
		s := &countingStore{SessionStore: NewRedisStore(rdb, prefix, time.Minute)}
		e, err := NewEngine(Config{Forms: forms, Sessions: s, Catalog: cat, Filer: &fakeFiler{}})
		if err != nil {
			t.Fatal(err)
		}
		stores, engines = append(stores, s), append(engines, e)
	}
	if _, err := engines[0].Start(ctx, testKey, "texts", "en"); err != nil {
		t.Fatal(err)
	}
	before := stores[0].gets.Load()
	for i := range 3 {
		mustHandle(t, engines[0], Input{Text: fmt.Sprintf("answer number %d", i)})
	}
	if n := stores[0].gets.Load() - before; n != 0 {
		t.Fatalf("three turns in a row read the session %d times, want 0", n)
	}
	// Replica 1 takes the next turns, then 0 again with its copy behind.
	for i := 3; i < 8; i++ {
		mustHandle(t, engines[[]int{1, 0, 0, 1, 0}[i-3]], Input{Text: fmt.Sprintf("answer number %d", i)})
	}
	st := storedState(t, NewRedisStore(rdb, prefix, time.Minute))
	for i := range 8 {
		if a := st.Answers[fmt.Sprintf("t%d", i+1)]; a == nil || a.Text != fmt.Sprintf("answer number %d", i) {
			t.Fatalf("field t%d = %+v, want answer number %d (an answer applied to an old copy of the session)", i+1, a, i)
		}
	}
}

// storedState is the state of testKey's session in store.
func storedState(t *testing.T, store SessionStore) *state {
	t.Helper()
	rec, err := store.Get(context.Background(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	st, err := decodeState(rec.Data)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRedisDueTrimmed: a session nobody took when it expired leaves the
// due set once its marker ran out, at the next put on that platform.
func TestRedisDueTrimmed(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	ctx := context.Background()
	s := NewRedisStore(rdb, prefix, 100*time.Millisecond).WithTombstoneTTL(100 * time.Millisecond)
	if _, err := s.PutNoted(ctx, testKey, []byte("x"), []byte("n"), 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := s.PutNoted(ctx, SessionKey{Platform: testKey.Platform, ChatID: "c2", UserID: "u2"}, []byte("y"), []byte("n"), 0); err != nil {
		t.Fatal(err)
	}
	if n := rdb.ZCard(ctx, s.dueKey(testKey.Platform)).Val(); n != 1 {
		t.Fatalf("due set holds %d sessions, want 1 (the forgotten one trimmed)", n)
	}
}
