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
		if w, ok := l.reserve(1, lim.MaxWait); !ok || w != 0 {
			t.Fatalf("first: %s %v", w, ok)
		}
		if w, ok := l.reserve(1, lim.MaxWait); !ok || w != time.Second {
			t.Fatalf("second to the same chat waits 1 s: %s %v", w, ok)
		}
		if w, ok := l.reserve(1, lim.MaxWait); !ok || w != 2*time.Second {
			t.Fatalf("third: %s %v", w, ok)
		}
		if w, ok := l.reserve(1, lim.MaxWait); ok || w != 3*time.Second {
			t.Fatalf("fourth is handed back: %s %v", w, ok)
		}
	})
	t.Run("Global", func(t *testing.T) {
		l := newLimiter(lim, clock)
		for i := range 3 {
			if w, _ := l.reserve(int64(10+i), lim.MaxWait); w != 0 {
				t.Fatalf("burst %d waits %s", i, w)
			}
		}
		if w, _ := l.reserve(20, lim.MaxWait); w != 100*time.Millisecond {
			t.Fatalf("after the burst: %s", w)
		}
	})
	t.Run("Group", func(t *testing.T) {
		l := newLimiter(lim, clock)
		l.reserve(-5, lim.MaxWait)
		if w, _ := l.reserve(-5, lim.MaxWait); w != 0 {
			t.Fatalf("group burst of 2: %s", w)
		}
		if w, ok := l.reserve(-5, 10*time.Second); !ok || w != 3*time.Second {
			t.Fatalf("third in the group waits 3 s: %s", w)
		}
	})
	t.Run("Blocked", func(t *testing.T) {
		l := newLimiter(lim, clock)
		l.blockFor(7, 5*time.Second)
		if w, ok := l.reserve(7, lim.MaxWait); ok || w != 5*time.Second {
			t.Fatalf("blocked chat: %s %v", w, ok)
		}
		if w, ok := l.reserve(8, lim.MaxWait); !ok || w != 0 {
			t.Fatalf("other chat: %s %v", w, ok)
		}
	})
}
