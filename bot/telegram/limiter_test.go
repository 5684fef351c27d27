package telegram

import (
	"slices"
	"testing"
	"time"

	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
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
		if w, ok := l.reserve(-5, 5, 4*time.Second); ok || w != 9*time.Second {
			t.Fatalf("message 5's slot is inside the block: it queues behind the booked ones: %s %v", w, ok)
		}
		now = now.Add(9 * time.Second)
		if w, ok := l.reserve(-5, 5, lim.MaxWait); !ok || w != 0 {
			t.Fatalf("message 5 at its new slot: %s %v", w, ok)
		}
	})
	t.Run("Drain", func(t *testing.T) {
		// A backlog of 40 cards for a group under Telegram's real limits,
		// handed back and returning as the outbox does, in batches at its
		// polls: at their slot, or all together long after it, or after a
		// 429 block. Never more than 20 go out in any minute, and all go
		// out.
		for _, tc := range []struct {
			name  string
			poll  time.Duration // returns come at the next poll
			block time.Duration // a 429 at the start
		}{{"OnTime", 2 * time.Second, 0}, {"Late", 3 * time.Minute, 0}, {"Blocked", 2 * time.Second, 30 * time.Second}} {
			t.Run(tc.name, func(t *testing.T) {
				start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
				now := start
				l := newLimiter(DefaultLimits, func() time.Time { return now })
				type back struct {
					at time.Time
					id int64
				}
				var queue []back
				var sent []time.Time
				for id := int64(1); id <= 40; id++ {
					queue = append(queue, back{now, id})
				}
				if tc.block > 0 {
					l.blockFor(-9, tc.block)
				}
				for steps := 0; len(queue) > 0; steps++ {
					if steps > 10000 {
						t.Fatalf("%d cards never went out", len(queue))
					}
					slices.SortStableFunc(queue, func(a, b back) int { return a.at.Compare(b.at) })
					b := queue[0]
					queue = queue[1:]
					now = later(now, b.at)
					if w, ok := l.reserve(-9, b.id, DefaultLimits.MaxWait); ok {
						sent = append(sent, now.Add(w))
					} else {
						queue = append(queue, back{now.Add(w).Truncate(tc.poll).Add(tc.poll), b.id})
					}
				}
				slices.SortFunc(sent, time.Time.Compare)
				for i := range sent {
					j := i
					for j < len(sent) && sent[j].Sub(sent[i]) < time.Minute {
						j++
					}
					if j-i > 20 {
						t.Fatalf("%d cards in the minute from %s", j-i, sent[i].Sub(start))
					}
				}
			})
		}
	})
}

// TestLimiterCharge: an answer sent at once in a busy group moves the
// group's next slots behind it, so the group's rate still holds.
func TestLimiterCharge(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	l := newLimiter(Limits{Global: time.Millisecond, GlobalBurst: 30, Chat: time.Second, ChatBurst: 1, Group: 3 * time.Second, GroupBurst: 1},
		func() time.Time { return now })
	const group = -100
	if w, ok := l.reserve(group, 0, time.Second); !ok || w != 0 {
		t.Fatalf("first card: %s %v", w, ok)
	}
	if w, ok := l.reserve(group, 0, time.Second); ok || w != 3*time.Second {
		t.Fatalf("an answer in the group 0 s later may not wait 3 s: %s %v", w, ok)
	}
	l.charge(group) // it goes at once
	if w, _ := l.reserve(group, 7, 0); w != 6*time.Second {
		t.Fatalf("the next card waits for both: %s, want 6s", w)
	}

	// With cards handed back holding their slots, an answer sent at once
	// (one message over the rate) moves every one of them back a slot: the
	// answer counts as the next slot's message.
	l = newLimiter(Limits{Global: time.Millisecond, GlobalBurst: 30, Chat: time.Second, ChatBurst: 1, Group: 3 * time.Second, GroupBurst: 1},
		func() time.Time { return now })
	var sends []time.Duration
	if w, ok := l.reserve(group, 1, 0); ok {
		sends = append(sends, w)
	}
	for key := int64(2); key <= 4; key++ {
		if _, ok := l.reserve(group, key, 0); ok {
			t.Fatalf("card %d was not handed back", key)
		}
	}
	l.charge(group) // the answer, at 0 s
	sends = append(sends, 0)
	start := now
	for key := int64(2); key <= 4; key++ {
		for {
			w, ok := l.reserve(group, key, 0)
			if ok {
				sends = append(sends, now.Sub(start))
				break
			}
			now = now.Add(w)
		}
	}
	slices.Sort(sends)
	if want := []time.Duration{0, 0, 6 * time.Second, 9 * time.Second, 12 * time.Second}; !slices.Equal(sends, want) {
		t.Fatalf("sends at %v, want %v", sends, want)
	}
}

// TestGroupAnswersKeepTheRate: answers in the triage group take the
// group's slots like its cards do.
func TestGroupAnswersKeepTheRate(t *testing.T) {
	// The interval is long enough that the time a loaded machine takes to
	// carry a message to the fake (it is measured on arrival) does not
	// look like a broken rate; answers sent at once arrive milliseconds
	// apart.
	const interval, slack = time.Second, 300 * time.Millisecond
	h := newHarness(t, ModePoll, func(c *Config) { c.Limits.Group, c.Limits.GroupBurst = interval, 1 })
	h.linkAssistant(bob)
	number := h.directTicket(alice, "提单系统保存时一直转圈，无法提交")
	card := h.tg.WaitMessage(t, triageChat, telegramtest.Containing(number))
	h.deliver(h.tg.Reply(bob, card, "请刷新后再试一次"))
	h.deliver(h.tg.Reply(bob, card, "也请清一下浏览器缓存"))
	var sent []time.Time
	h.tg.Wait(t, 10*time.Second, "both answers", func() bool {
		sent = sent[:0]
		for _, c := range h.tg.Calls() {
			if c.Method == "sendMessage" && c.Result != nil && c.Result.Chat.ID == triageChat {
				sent = append(sent, c.At)
			}
		}
		return len(sent) == 3 // the card and two answers
	})
	for i := 1; i < len(sent); i++ {
		if d := sent[i].Sub(sent[i-1]); d < interval-slack {
			t.Fatalf("messages to the group %s apart, want at least %s", d, interval)
		}
	}
}
