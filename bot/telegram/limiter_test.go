package telegram

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	lim := Limits{Global: 100 * time.Millisecond, GlobalBurst: 3, Chat: time.Second, ChatBurst: 1, Group: 3 * time.Second, GroupBurst: 2, MaxWait: 2 * time.Second}

	t.Run("PerChat", func(t *testing.T) {
		l := newLimiter(lim, clock)
		if w, ok := l.reserve(1, 0, lim.MaxWait); !ok || w != 0 {
			t.Fatalf("first: %s %v", w, ok)
		}
		if w, ok := l.reserve(1, 0, lim.MaxWait); !ok || w != time.Second {
			t.Fatalf("second to the same chat waits 1 s: %s %v", w, ok)
		}
		if w, ok := l.reserve(1, 0, lim.MaxWait); !ok || w != 2*time.Second {
			t.Fatalf("third: %s %v", w, ok)
		}
		if w, ok := l.reserve(1, 0, lim.MaxWait); ok || w != 3*time.Second {
			t.Fatalf("fourth is handed back: %s %v", w, ok)
		}
	})
	t.Run("Global", func(t *testing.T) {
		l := newLimiter(lim, clock)
		for i := range 3 {
			if w, _ := l.reserve(int64(10+i), 0, lim.MaxWait); w != 0 {
				t.Fatalf("burst %d waits %s", i, w)
			}
		}
		if w, _ := l.reserve(20, 0, lim.MaxWait); w != 100*time.Millisecond {
			t.Fatalf("after the burst: %s", w)
		}
	})
	t.Run("Group", func(t *testing.T) {
		l := newLimiter(lim, clock)
		l.reserve(-5, 0, lim.MaxWait)
		if w, _ := l.reserve(-5, 0, lim.MaxWait); w != 0 {
			t.Fatalf("group burst of 2: %s", w)
		}
		if w, ok := l.reserve(-5, 0, 10*time.Second); !ok || w != 3*time.Second {
			t.Fatalf("third in the group waits 3 s: %s", w)
		}
	})
	t.Run("Blocked", func(t *testing.T) {
		l := newLimiter(lim, clock)
		l.blockFor(7, 5*time.Second)
		if w, ok := l.reserve(7, 0, lim.MaxWait); ok || w != 5*time.Second {
			t.Fatalf("blocked chat: %s %v", w, ok)
		}
		if w, ok := l.reserve(8, 0, lim.MaxWait); !ok || w != 0 {
			t.Fatalf("other chat: %s %v", w, ok)
		}
	})
	t.Run("Booked", func(t *testing.T) {
		// A backlog for a busy group: each message handed back keeps its
		// slot, comes back for it once, and the backlog drains in order.
		l := newLimiter(lim, clock)
		start := now
		defer func() { now = start }()
		var waits []time.Duration
		for id := int64(1); id <= 5; id++ {
			w, _ := l.reserve(-5, id, lim.MaxWait)
			waits = append(waits, w)
		}
		want := []time.Duration{0, 0, 3 * time.Second, 6 * time.Second, 9 * time.Second}
		for i := range want {
			if waits[i] != want[i] {
				t.Fatalf("waits %v, want %v", waits, want)
			}
		}
		if w, ok := l.reserve(-5, 5, lim.MaxWait); ok || w != 9*time.Second {
			t.Fatalf("back too early: %s %v", w, ok)
		}
		if w, ok := l.reserve(1, 0, lim.MaxWait); !ok || w != 0 {
			t.Fatalf("a private chat waits for the group's backlog: %s %v", w, ok)
		}
		now = start.Add(6 * time.Second)
		if w, ok := l.reserve(-5, 9, lim.MaxWait); ok || w != 6*time.Second {
			t.Fatalf("a newcomer queues behind the booked slots: %s %v", w, ok)
		}
		if w, ok := l.reserve(-5, 4, lim.MaxWait); !ok || w != 0 {
			t.Fatalf("message 4 back at its slot: %s %v", w, ok)
		}
		l.blockFor(-5, 5*time.Second) // a 429
		if w, ok := l.reserve(-5, 5, 4*time.Second); ok || w != 5*time.Second {
			t.Fatalf("message 5's slot is inside the block: %s %v", w, ok)
		}
		now = now.Add(5 * time.Second)
		if w, ok := l.reserve(-5, 5, lim.MaxWait); !ok || w != 0 {
			t.Fatalf("message 5 after the block: %s %v", w, ok)
		}
	})
}
