package webchat

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/deskbot/deskbot/backend/web"
)

// uploadWindow is the window of Config.UploadsPerMinute.
const uploadWindow = time.Minute

// uploadKeys bounds the visitors remembered; past it the count starts
// afresh (as backend/web's sign-in throttle does).
const uploadKeys = 100_000

// uploadLimit counts each visitor's uploads over the last uploadWindow,
// in Redis for every replica (the sign-in throttle's sliding window,
// web.RedisFailures, with a window of its own) or in this process.
type uploadLimit struct {
	mu     sync.Mutex
	max    int
	recent map[string][]time.Time
	// shared, when set, counts for every replica (Redis); while it
	// cannot be reached each replica counts its own.
	shared *web.RedisFailures
	log    *slog.Logger
}

// allow counts an upload of id unless id made max within the window; then
// it counts nothing and returns how long to wait.
func (l *uploadLimit) allow(ctx context.Context, id string, now time.Time) time.Duration {
	if l.shared != nil {
		_, wait, err := l.shared.Attempt(ctx, id, l.max, now)
		if err == nil {
			return wait
		}
		l.log.Warn("webchat: the shared upload count is unreachable; counting in this process", "err", err)
	}
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
