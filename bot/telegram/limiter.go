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
//
// A message that must wait longer than it may block a sender (an outbox
// row for a busy group) keeps the slot it was given, under its key: the
// outbox hands it back until then, and it takes that slot when it comes
// back. So a backlog drains in order at the allowed rate, each row handed
// back once, instead of every waiting row coming back at the same moment
// to fight over the next slot.
type limiter struct {
	mu     sync.Mutex
	now    func() time.Time
	lim    Limits
	global time.Time           // theoretical arrival time of the global bucket
	chats  map[int64]time.Time // per chat
	block  map[int64]time.Time // chat (0: all) → blocked until
	booked map[int64]booking   // key → the slot kept for it
}

// booking is a slot kept for a message to chat.
type booking struct {
	chat int64
	at   time.Time
}

func newLimiter(lim Limits, now func() time.Time) *limiter {
	return &limiter{now: now, lim: lim, chats: map[int64]time.Time{}, block: map[int64]time.Time{}, booked: map[int64]booking{}}
}

// reserve books the earliest slot for a message to chat and returns how
// long to wait for it. If that is longer than maxWait, ok is false and the
// caller hands the message back to try again after wait; with a key (an
// outbox message id; 0 for none) the slot stays booked for that message,
// without one nothing is booked.
func (l *limiter) reserve(chat, key int64, maxWait time.Duration) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	interval, burst := l.lim.Chat, l.lim.ChatBurst
	if chat < 0 {
		interval, burst = l.lim.Group, l.lim.GroupBurst
	}
	blocked := later(l.block[0], l.block[chat])
	b, booked := l.booked[key]
	at := b.at
	booked = booked && key != 0 && b.chat == chat
	if booked && (at.Before(now.Add(-interval)) || blocked.After(at)) {
		// Back long after its slot, or a 429 since covers it: that slot is
		// gone, and going out at once with every other such message would
		// break the rate. It queues for a new one like any message.
		delete(l.booked, key)
		booked = false
	}
	if !booked {
		at = later(later(now, l.chats[chat].Add(-time.Duration(burst-1)*interval)), blocked)
	}
	// The global bucket is charged only when a message goes out, so a
	// group's backlog does not hold up everyone else's messages.
	send := later(at, l.global.Add(-time.Duration(l.lim.GlobalBurst-1)*l.lim.Global))
	wait = send.Sub(now)
	if wait > maxWait {
		if key == 0 {
			return wait, false
		}
		if !booked {
			l.chats[chat] = later(l.chats[chat], at).Add(interval)
		}
		l.booked[key] = booking{chat, at}
		return wait, false
	}
	if booked {
		delete(l.booked, key)
	} else {
		l.chats[chat] = later(l.chats[chat], send).Add(interval)
	}
	l.global = later(l.global, send).Add(l.lim.Global)
	if len(l.chats) > 50000 || len(l.booked) > 50000 {
		l.sweep(now)
	}
	return max(wait, 0), true
}

// charge counts a send to chat that goes out now, over the rate if it
// must: the chat's (and every) next slot moves behind it. An answer to
// someone in a group does not wait behind the group's backlog of cards,
// but the backlog waits for it, so the group's limit still holds.
func (l *limiter) charge(chat int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	interval := l.lim.Chat
	if chat < 0 {
		interval = l.lim.Group
	}
	l.chats[chat] = later(l.chats[chat], now).Add(interval)
	l.global = later(l.global, now).Add(l.lim.Global)
	for k, b := range l.booked { // the slots kept for the backlog move back one
		if b.chat == chat && !b.at.Before(now.Add(-interval)) {
			l.booked[k] = booking{chat, b.at.Add(interval)}
		}
	}
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
	for k, b := range l.booked { // never came back (sent by another replica)
		if b.at.Before(now.Add(-time.Hour)) {
			delete(l.booked, k)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
