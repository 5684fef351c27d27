package dialogs

import (
	"context"
	"errors"
	"testing"
	"time"
)

// storeHarness is one SessionStore under test and a way to let its idle
// timeout pass.
type storeHarness struct {
	store SessionStore
	// expire makes more than the idle timeout pass.
	expire func()
}

// exerciseStore is the contract every SessionStore must pass.
//
//	exerciseStore(t, func(t testing.TB) storeHarness { … })
func exerciseStore(t *testing.T, newStore func(tb testing.TB) storeHarness) {
	ctx := context.Background()
	key := SessionKey{Platform: "test", ChatID: "chat:1", UserID: "u%1"}
	other := SessionKey{Platform: "test", ChatID: "chat", UserID: "1:u%1"} // same characters, different parts

	t.Run("ErrNoSession", func(t *testing.T) {
		h := newStore(t)
		if _, err := h.store.Get(ctx, key); !errors.Is(err, ErrNoSession) {
			t.Fatalf("Get on empty store: %v, want ErrNoSession", err)
		}
		if exp, err := h.store.TakeExpired(ctx, key); err != nil || exp {
			t.Fatalf("TakeExpired on empty store = %v, %v", exp, err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		h := newStore(t)
		v1, err := h.store.Put(ctx, key, []byte("one"), 0)
		if err != nil || v1 == 0 {
			t.Fatalf("Put new = %d, %v", v1, err)
		}
		rec, err := h.store.Get(ctx, key)
		if err != nil || string(rec.Data) != "one" || rec.Version != v1 {
			t.Fatalf("Get = %q@%d, %v; want one@%d", rec.Data, rec.Version, err, v1)
		}
		if _, err := h.store.Get(ctx, other); !errors.Is(err, ErrNoSession) {
			t.Fatalf("Get other key: %v, want ErrNoSession (keys must not collide)", err)
		}
		v2, err := h.store.Put(ctx, key, []byte("two"), v1)
		if err != nil || v2 == v1 {
			t.Fatalf("Put update = %d, %v", v2, err)
		}
		rec, _ = h.store.Get(ctx, key)
		if string(rec.Data) != "two" || rec.Version != v2 {
			t.Fatalf("after update Get = %q@%d", rec.Data, rec.Version)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		h := newStore(t)
		v1, _ := h.store.Put(ctx, key, []byte("one"), 0)
		if _, err := h.store.Put(ctx, key, []byte("again"), 0); !errors.Is(err, ErrConflict) {
			t.Fatalf("Put new over live session: %v, want ErrConflict", err)
		}
		v2, _ := h.store.Put(ctx, key, []byte("two"), v1)
		if _, err := h.store.Put(ctx, key, []byte("stale"), v1); !errors.Is(err, ErrConflict) {
			t.Fatalf("Put at stale version: %v, want ErrConflict", err)
		}
		if err := h.store.Delete(ctx, key, v1); !errors.Is(err, ErrConflict) {
			t.Fatalf("Delete at stale version: %v, want ErrConflict", err)
		}
		rec, _ := h.store.Get(ctx, key)
		if string(rec.Data) != "two" || rec.Version != v2 {
			t.Fatalf("a refused write changed the session: %q@%d", rec.Data, rec.Version)
		}
		if _, err := h.store.Put(ctx, other, []byte("x"), v2); !errors.Is(err, ErrConflict) {
			t.Fatalf("Put with a version on a missing session: %v, want ErrConflict", err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		h := newStore(t)
		v1, _ := h.store.Put(ctx, key, []byte("one"), 0)
		if err := h.store.Delete(ctx, key, v1); err != nil {
			t.Fatal(err)
		}
		if _, err := h.store.Get(ctx, key); !errors.Is(err, ErrNoSession) {
			t.Fatalf("Get after Delete: %v", err)
		}
		h.expire()
		if exp, _ := h.store.TakeExpired(ctx, key); exp {
			t.Fatal("a deleted session was reported as expired")
		}
		if err := h.store.Delete(ctx, key, 0); err != nil {
			t.Fatalf("Delete of a missing session: %v", err)
		}
		if _, err := h.store.Put(ctx, key, []byte("new"), v1); !errors.Is(err, ErrConflict) {
			t.Fatalf("Put at the deleted session's version: %v, want ErrConflict", err)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		h := newStore(t)
		v1, _ := h.store.Put(ctx, key, []byte("one"), 0)
		if exp, _ := h.store.TakeExpired(ctx, key); exp {
			t.Fatal("TakeExpired on a live session reported expiry")
		}
		h.expire()
		if _, err := h.store.Get(ctx, key); !errors.Is(err, ErrNoSession) {
			t.Fatalf("Get after idle timeout: %v, want ErrNoSession", err)
		}
		if _, err := h.store.Put(ctx, key, []byte("late"), v1); !errors.Is(err, ErrConflict) {
			t.Fatalf("Put on an expired session: %v, want ErrConflict", err)
		}
		exp, err := h.store.TakeExpired(ctx, key)
		if err != nil || !exp {
			t.Fatalf("TakeExpired after expiry = %v, %v; want true", exp, err)
		}
		if exp, _ := h.store.TakeExpired(ctx, key); exp {
			t.Fatal("expiry reported twice")
		}
		if _, err := h.store.Put(ctx, key, []byte("fresh"), 0); err != nil {
			t.Fatalf("new session after expiry: %v", err)
		}
	})
	t.Run("TakeExpiredDue", func(t *testing.T) {
		h := newStore(t)
		ns, ok := h.store.(NoticeStore)
		if !ok {
			t.Skip("not a NoticeStore")
		}
		elsewhere := SessionKey{Platform: "other", ChatID: "chat:1", UserID: "u%1"}
		deleted := SessionKey{Platform: "test", ChatID: "gone", UserID: "u"}
		unnoted := SessionKey{Platform: "test", ChatID: "quiet", UserID: "u"}
		v, err := ns.PutNoted(ctx, key, []byte("one"), []byte("note one"), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ns.PutNoted(ctx, key, []byte("two"), []byte("note two"), v); err != nil {
			t.Fatal(err)
		}
		if _, err := ns.PutNoted(ctx, elsewhere, []byte("x"), []byte("note x"), 0); err != nil {
			t.Fatal(err)
		}
		dv, _ := ns.PutNoted(ctx, deleted, []byte("d"), []byte("note d"), 0)
		if err := ns.Delete(ctx, deleted, dv); err != nil {
			t.Fatal(err)
		}
		// Noted, then put without a note (filing): no notice for it.
		uv, _ := ns.PutNoted(ctx, unnoted, []byte("u"), []byte("note u"), 0)
		if _, err := ns.Put(ctx, unnoted, []byte("u2"), uv); err != nil {
			t.Fatal(err)
		}
		if due, err := ns.TakeExpiredDue(ctx, "test", 10); err != nil || len(due) != 0 {
			t.Fatalf("before the idle timeout TakeExpiredDue = %v, %v; want none", due, err)
		}
		h.expire()
		live := SessionKey{Platform: "test", ChatID: "late", UserID: "u"}
		if _, err := ns.PutNoted(ctx, live, []byte("live"), []byte("note live"), 0); err != nil {
			t.Fatal(err)
		}
		due, err := ns.TakeExpiredDue(ctx, "test", 10)
		if err != nil || len(due) != 1 || due[0].Key != key {
			t.Fatalf("TakeExpiredDue = %+v, %v; want only %v (not the live, deleted, unnoted or other platform's)", due, err, key)
		}
		if string(due[0].Note) != "note two" {
			t.Fatalf("expired note = %q, want the last put's", due[0].Note)
		}
		if again, _ := ns.TakeExpiredDue(ctx, "test", 10); len(again) != 0 {
			t.Fatalf("an expiry was handed out twice: %+v", again)
		}
		if exp, _ := ns.TakeExpired(ctx, key); exp {
			t.Fatal("an expiry handed out by TakeExpiredDue was reported again at the next input")
		}
		if exp, _ := ns.TakeExpired(ctx, unnoted); !exp {
			t.Fatal("the unnoted session's expiry is not reported at its next input")
		}
		if other, _ := ns.TakeExpiredDue(ctx, "other", 1); len(other) != 1 || other[0].Key != elsewhere {
			t.Fatalf("other platform's TakeExpiredDue = %+v, want %v", other, elsewhere)
		}
	})
	t.Run("PutRefreshesIdle", func(t *testing.T) {
		h := newStore(t)
		v, _ := h.store.Put(ctx, key, []byte("one"), 0)
		v, err := h.store.Put(ctx, key, []byte("two"), v)
		if err != nil {
			t.Fatal(err)
		}
		if rec, err := h.store.Get(ctx, key); err != nil || rec.Version != v {
			t.Fatalf("Get = %v, %v", rec.Version, err)
		}
	})
}

func TestMemoryStore(t *testing.T) {
	exerciseStore(t, func(tb testing.TB) storeHarness {
		clock := &testClock{now: testNow}
		s := NewMemoryStore(clock.Now, time.Minute)
		return storeHarness{store: s, expire: func() { clock.Advance(time.Minute + time.Second) }}
	})
}

func TestMemoryStoreSweep(t *testing.T) {
	clock := &testClock{now: testNow}
	s := NewMemoryStore(clock.Now, time.Minute)
	ctx := context.Background()
	for i := range 300 {
		s.Put(ctx, SessionKey{Platform: "t", ChatID: "c", UserID: string(rune('a'+i%26)) + string(rune(i))}, []byte("x"), 0)
	}
	clock.Advance(DefaultTombstoneTTL + 2*time.Minute)
	for i := range 256 {
		s.Put(ctx, SessionKey{Platform: "t", ChatID: "d", UserID: string(rune(i))}, []byte("x"), 0)
	}
	s.mu.Lock()
	n := len(s.m)
	s.mu.Unlock()
	if n != 256 {
		t.Fatalf("after sweep the store holds %d entries, want 256 (old markers forgotten)", n)
	}
}
