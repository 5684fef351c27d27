package webchat

import (
	"sync"
	"time"
)

// uploadWindow is the window of Config.UploadsPerMinute.
const uploadWindow = time.Minute

// uploadKeys bounds the visitors remembered; past it the count starts
// afresh (as backend/web's sign-in throttle does).
const uploadKeys = 100_000

// uploadLimit counts each visitor's uploads over the last uploadWindow,
// in this process. It is the sign-in throttle's sliding window
// (backend/web/throttle.go), whose window is fixed at 15 minutes.
type uploadLimit struct {
	mu     sync.Mutex
	max    int
	recent map[string][]time.Time
}

// allow counts an upload of id unless id made max within the window; then
// it counts nothing and returns how long to wait.
func (l *uploadLimit) allow(id string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.recent == nil || len(l.recent) > uploadKeys {
		l.recent = map[string][]time.Time{}
	}
	ts := l.recent[id]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= uploadWindow {
		i++
	}
	ts = ts[i:]
	if len(ts) >= l.max {
		l.recent[id] = ts
		return ts[len(ts)-l.max].Add(uploadWindow).Sub(now)
	}
	l.recent[id] = append(ts, now)
	return 0
}
