package dialogs

import (
	"sync"
	"time"
)

// recent holds, per chat, the session record this engine wrote last, so
// that the chat's next turn, a few seconds later as a rule, starts without
// reading the session back from a shared store (a Redis round trip).
//
// It never decides anything on its own: a record is only ever used as the
// expected version of the compare-and-set that saves the turn. If another
// replica, or another of this engine's methods, changed the session since,
// or it expired, the save is refused as a concurrent change, the record is
// gone, and the turn runs again on what the store holds.
type recent struct {
	mu  sync.Mutex
	m   map[SessionKey]recentRecord
	ttl time.Duration // older records are read again
	max int           // records kept at most
}

type recentRecord struct {
	rec Record
	at  time.Time
}

func newRecent(ttl time.Duration, max int) *recent {
	return &recent{m: map[SessionKey]recentRecord{}, ttl: ttl, max: max}
}

// take removes and returns key's record if it is fresh. Taking it out
// means a concurrent turn of the same chat reads the store.
func (r *recent) take(key SessionKey, now time.Time) (Record, bool) {
	if r == nil {
		return Record{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.m[key]
	if !ok {
		return Record{}, false
	}
	delete(r.m, key)
	if now.Sub(e.at) >= r.ttl {
		return Record{}, false
	}
	return e.rec, true
}

// keep remembers the record just written for key.
func (r *recent) keep(key SessionKey, rec Record, now time.Time) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.m) >= r.max {
		for k, e := range r.m { // the stale first, else any
			if now.Sub(e.at) >= r.ttl || len(r.m) >= r.max {
				delete(r.m, k)
			}
		}
	}
	r.m[key] = recentRecord{rec: rec, at: now}
}

// drop forgets key's record (the session was written otherwise).
func (r *recent) drop(key SessionKey) {
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.m, key)
	r.mu.Unlock()
}
