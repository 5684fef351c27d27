package dialogs

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend/redistest"
)

// feedbackAnswers is a whole feedback dialog, ten answers and the two
// presses that file it.
var feedbackAnswers = []Input{
	{Text: "会员中心帮帮余额未到期就被清零了，客户很着急"},
	{Text: "SHOP-88231"},
	{Button: "opt:category:product"},
	{Button: "opt:category:product/member_center"},
	{Text: "今天上午10点"},
	{Button: "opt:region:north"},
	{Button: "opt:severity:P2"},
	{Files: []FileRef{png("a.png")}},
	{Button: "cmd:done"},
	{Text: "20261120003"},
	{Text: "shop_bj_2026"},
	{Text: "13800138000 owner@example.com"},
	{Button: "cmd:submit"},
	{Button: "cmd:confirm"},
}

// benchStores returns the stores to compare: memory, and the real Redis on
// loopback when reachable.
func benchStores(b *testing.B) map[string]func(b *testing.B) SessionStore {
	return map[string]func(b *testing.B) SessionStore{
		"memory": func(b *testing.B) SessionStore { return NewMemoryStore(nil, time.Hour) },
		"redis": func(b *testing.B) SessionStore {
			rdb, prefix := redistest.Open(b)
			return NewRedisStore(rdb, prefix, time.Hour)
		},
	}
}

// BenchmarkTurn is one input on a live dialog: load, validate, render,
// store. It alternates a datetime answer and "back", both full turns.
func BenchmarkTurn(b *testing.B) {
	for name, newStore := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			env := newTestEnv(b, newStore(b))
			ctx := context.Background()
			if _, err := env.eng.Start(ctx, testKey, "feedback", "zh-CN"); err != nil {
				b.Fatal(err)
			}
			for _, in := range feedbackAnswers[:4] {
				mustHandle(b, env.eng, in)
			}
			inputs := []Input{{Text: "昨天上午9点"}, {Button: "cmd:back"}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := env.eng.Handle(ctx, testKey, inputs[i%2]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDialog is a whole feedback dialog: start, ten answers, submit,
// confirm (14 turns).
func BenchmarkDialog(b *testing.B) {
	for name, newStore := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			env := newTestEnv(b, newStore(b))
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				key := SessionKey{Platform: "bench", ChatID: "c", UserID: fmt.Sprint(i)}
				if _, err := env.eng.Start(ctx, key, "feedback", "zh-CN"); err != nil {
					b.Fatal(err)
				}
				for _, in := range feedbackAnswers {
					if _, err := env.eng.Handle(ctx, key, in); err != nil {
						b.Fatal(err)
					}
				}
			}
			if len(env.filer.drafts) == 0 {
				b.Fatal("no ticket filed")
			}
		})
	}
}

// liveSessionBytes returns the stored state of a feedback dialog answered
// up to the account question: a large, typical live session.
func liveSessionBytes(tb testing.TB) []byte {
	tb.Helper()
	env := newTestEnv(tb, nil)
	ctx := context.Background()
	env.eng.Start(ctx, testKey, "feedback", "zh-CN")
	for _, in := range feedbackAnswers[:11] {
		mustHandle(tb, env.eng, in)
	}
	rec, err := env.store.Get(ctx, testKey)
	if err != nil {
		tb.Fatal(err)
	}
	return rec.Data
}

// memoryOf10kSessions fills a MemoryStore with 10,000 live sessions and
// returns the heap they take, in MiB.
func memoryOf10kSessions(tb testing.TB) float64 {
	tb.Helper()
	data := liveSessionBytes(tb)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewMemoryStore(nil, time.Hour)
	ctx := context.Background()
	for i := range 10_000 {
		key := SessionKey{Platform: "telegram", ChatID: fmt.Sprint(-1001234567890 - i), UserID: fmt.Sprint(5000000000 + i)}
		if _, err := s.Put(ctx, key, data, 0); err != nil {
			tb.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	return float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
}

// TestMemory10kSessions: 10,000 live dialogs fit in 50 MiB.
func TestMemory10kSessions(t *testing.T) {
	mib := memoryOf10kSessions(t)
	t.Logf("10,000 live sessions: %.1f MiB (one session %d bytes of state)", mib, len(liveSessionBytes(t)))
	if mib > 50 {
		t.Fatalf("10,000 sessions take %.1f MiB, goal < 50", mib)
	}
}

func BenchmarkMemory10kSessions(b *testing.B) {
	var mib float64
	for b.Loop() {
		mib = memoryOf10kSessions(b)
	}
	b.ReportMetric(mib, "MiB/10k-sessions")
}
