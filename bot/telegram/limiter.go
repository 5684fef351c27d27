package telegram

import (
	"sync"
	"time"
)

// limiter spaces out sends to keep to Telegram's limits: one bucket for
// everything, one per chat (private or group, with their own rates). It is
// GCRA: each bucket remembers when its next send is due, and a burst may
// run that far ahead. A 429 blocks a chat (or everything) until its
// retry_after has passed.
type limiter struct {
	mu     sync.Mutex
	now    func() time.Time
	lim    Limits
	global time.Time           // theoretical arrival time of the global bucket
	chats  map[int64]time.Time // per chat
	block  map[int64]time.Time // chat (0: all) → blocked until
}

func newLimiter(lim Limits, now func() time.Time) *limiter {
	return &limiter{now: now, lim: lim, chats: map[int64]time.Time{}, block: map[int64]time.Time{}}
}

// reserve books the earliest slot for a message to chat and returns how
// long to wait for it. If that is longer than maxWait nothing is booked
// and ok is false: the caller hands the message back to retry later.
func (l *limiter) reserve(chat int64, maxWait time.Duration) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	interval, burst := l.lim.Chat, l.lim.ChatBurst
	if chat < 0 {
		interval, burst = l.lim.Group, l.lim.GroupBurst
	}
	at := now
	at = later(at, l.global.Add(-time.Duration(l.lim.GlobalBurst-1)*l.lim.Global))
	at = later(at, l.chats[chat].Add(-time.Duration(burst-1)*interval))
	at = later(at, l.block[0])
	at = later(at, l.block[chat])
	wait = at.Sub(now)
	if wait > maxWait {
		return wait, false
	}
	l.global = later(l.global, at).Add(l.lim.Global)
	l.chats[chat] = later(l.chats[chat], at).Add(interval)
	if len(l.chats) > 50000 {
		l.sweep(now)
	}
	return wait, true
}

// blockFor stops sends to chat (0: all chats) for d after a 429.
func (l *limiter) blockFor(chat int64, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	until := l.now().Add(d)
	l.block[chat] = later(l.block[chat], until)
}

// sweep forgets idle buckets and expired blocks.
func (l *limiter) sweep(now time.Time) {
	for k, t := range l.chats {
		if t.Before(now) {
			delete(l.chats, k)
		}
	}
	for k, t := range l.block {
		if t.Before(now) {
			delete(l.block, k)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
