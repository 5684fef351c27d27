package dialogs

import (
	"context"
	"sync"
	"time"
)

// DefaultIdleTimeout is how long a dialog waits for the next input.
const DefaultIdleTimeout = 30 * time.Minute

// DefaultTombstoneTTL is how long after expiring a session the store still
// remembers it, to say "your session expired" once.
const DefaultTombstoneTTL = 24 * time.Hour

// MemoryStore is the embedded, in-process SessionStore: the default when no
// REDIS_URL is set. Sessions do not survive a restart and are not shared
// between replicas.
type MemoryStore struct {
	clock     func() time.Time
	idle      time.Duration
	tombstone time.Duration

	mu        sync.Mutex
	m         map[SessionKey]*memEntry
	next      int64 // version counter; never reused, so a recreated session never matches an old version
	puts      int
	lastSweep time.Time
}

type memEntry struct {
	data     []byte
	note     []byte // PutNoted's
	version  int64
	expires  time.Time // idle timeout
	forgetAt time.Time // end of the expiry marker
}

// NewMemoryStore returns an empty store. clock may be nil (time.Now); idle
// ≤ 0 means DefaultIdleTimeout.
func NewMemoryStore(clock func() time.Time, idle time.Duration) *MemoryStore {
	if clock == nil {
		clock = time.Now
	}
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	return &MemoryStore{clock: clock, idle: idle, tombstone: DefaultTombstoneTTL, m: map[SessionKey]*memEntry{}}
}

// Get implements SessionStore.
func (s *MemoryStore) Get(_ context.Context, key SessionKey) (Record, error) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	if e == nil || e.data == nil || !now.Before(e.expires) {
		return Record{}, ErrNoSession
	}
	return Record{Data: e.data, Version: e.version}, nil
}

// Put implements SessionStore.
func (s *MemoryStore) Put(ctx context.Context, key SessionKey, data []byte, version int64) (int64, error) {
	return s.PutNoted(ctx, key, data, nil, version)
}

// PutNoted implements NoticeStore.
func (s *MemoryStore) PutNoted(_ context.Context, key SessionKey, data, note []byte, version int64) (int64, error) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	live := e != nil && e.data != nil && now.Before(e.expires)
	switch {
	case live && e.version != version:
		return 0, ErrConflict
	case !live && version != 0:
		return 0, ErrConflict
	}
	if e == nil {
		e = &memEntry{}
		s.m[key] = e
	}
	s.next++
	// Stored data is never handed out for writing, so keep the caller's
	// slice only as a copy.
	e.data = append(e.data[:0:0], data...)
	e.note = append(note[:0:0], note...)
	e.version = s.next
	e.expires = now.Add(s.idle)
	e.forgetAt = e.expires.Add(s.tombstone)
	s.puts++
	if s.puts%256 == 0 && now.Sub(s.lastSweep) > s.idle/4 {
		s.sweep(now)
	}
	return e.version, nil
}

// Delete implements SessionStore.
func (s *MemoryStore) Delete(_ context.Context, key SessionKey, version int64) error {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	if e == nil {
		return nil
	}
	if version != 0 && (e.data == nil || !now.Before(e.expires) || e.version != version) {
		return ErrConflict
	}
	delete(s.m, key)
	return nil
}

// TakeExpired implements SessionStore.
func (s *MemoryStore) TakeExpired(_ context.Context, key SessionKey) (bool, error) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	if e == nil || now.Before(e.expires) {
		return false, nil
	}
	delete(s.m, key)
	return now.Before(e.forgetAt), nil
}

// TakeExpiredDue implements NoticeStore.
func (s *MemoryStore) TakeExpiredDue(_ context.Context, platform string, limit int) ([]ExpiredSession, error) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []ExpiredSession
	for k, e := range s.m {
		if len(due) >= limit {
			break
		}
		if k.Platform != platform || e.note == nil || now.Before(e.expires) || !now.Before(e.forgetAt) {
			continue
		}
		due = append(due, ExpiredSession{Key: k, Note: e.note})
		delete(s.m, k)
	}
	return due, nil
}

// Len returns the number of live sessions.
func (s *MemoryStore) Len() int {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.m {
		if now.Before(e.expires) {
			n++
		}
	}
	return n
}

// sweep frees the data of expired sessions (their notes stay) and
// forgets old markers. It runs from Put, so an idle store holds no
// goroutine.
func (s *MemoryStore) sweep(now time.Time) {
	s.lastSweep = now
	for k, e := range s.m {
		switch {
		case !now.Before(e.forgetAt):
			delete(s.m, k)
		case !now.Before(e.expires):
			e.data = nil // keep only the marker and the note
		}
	}
}
