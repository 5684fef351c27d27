package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisFailures is the Failures of every replica sharing one Redis: each
// key is a sorted set of its failed attempts, scored by time in
// milliseconds, that expires with the window.
type RedisFailures struct {
	Client redis.Cmdable
	Prefix string        // e.g. "deskbot:signin:"
	Window time.Duration // how long an attempt counts; default the sign-in throttle's 15 minutes
}

// KEYS: the key. ARGV: now ms, window ms, max, attempt id. Drops the
// failures that left the window; with fewer than max left it adds the
// attempt and returns -1, else the time (ms) of the failure that must leave
// the window before the next try.
var attemptScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local n = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[3])
if n >= max then
  local e = redis.call('ZRANGE', KEYS[1], n - max, n - max, 'WITHSCORES')
  return tonumber(e[2])
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return -1
`)

// Attempt implements Failures.
func (f RedisFailures) Attempt(ctx context.Context, key string, max int, now time.Time) (string, time.Duration, error) {
	id := strconv.FormatInt(now.UnixNano(), 36) + ":" + rand.Text()[:8]
	window := cmp.Or(f.Window, failureWindow)
	at, err := attemptScript.Run(ctx, f.Client, []string{f.Prefix + key},
		now.UnixMilli(), window.Milliseconds(), max, id).Int64()
	if err != nil {
		return "", 0, fmt.Errorf("sign-in failures: %w", err)
	}
	if at < 0 {
		return id, 0, nil
	}
	return "", time.UnixMilli(at).Add(window).Sub(now), nil
}

// Undo implements Failures.
func (f RedisFailures) Undo(ctx context.Context, key, id string) error {
	if err := f.Client.ZRem(ctx, f.Prefix+key, id).Err(); err != nil {
		return fmt.Errorf("sign-in failures: %w", err)
	}
	return nil
}

// Forget implements Failures.
func (f RedisFailures) Forget(ctx context.Context, key string) error {
	if err := f.Client.Del(ctx, f.Prefix+key).Err(); err != nil {
		return fmt.Errorf("sign-in failures: %w", err)
	}
	return nil
}
