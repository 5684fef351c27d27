package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisFailures is the Failures of every replica sharing one Redis: each
// key is a sorted set of its failures, scored by time in milliseconds,
// that expires with the window.
type RedisFailures struct {
	Client redis.Cmdable
	Prefix string // e.g. "deskbot:signin:"
}

// KEYS: the key. ARGV: now ms, window ms, max. Drops the failures that left
// the window and returns the time (ms) of the one that must leave it before
// the next try, or -1 when there are fewer than max.
var failuresWaitScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local n = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[3])
if n < max then return -1 end
local e = redis.call('ZRANGE', KEYS[1], n - max, n - max, 'WITHSCORES')
return tonumber(e[2])
`)

// Wait implements Failures.
func (f RedisFailures) Wait(ctx context.Context, key string, max int, now time.Time) (time.Duration, error) {
	at, err := failuresWaitScript.Run(ctx, f.Client, []string{f.Prefix + key},
		now.UnixMilli(), failureWindow.Milliseconds(), max).Int64()
	if err != nil {
		return 0, fmt.Errorf("sign-in failures: %w", err)
	}
	if at < 0 {
		return 0, nil
	}
	return time.UnixMilli(at).Add(failureWindow).Sub(now), nil
}

// Fail implements Failures.
func (f RedisFailures) Fail(ctx context.Context, key string, now time.Time) error {
	k := f.Prefix + key
	// A member of its own, so failures in the same millisecond all count.
	member := strconv.FormatInt(now.UnixNano(), 36) + ":" + rand.Text()[:8]
	_, err := f.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, k, redis.Z{Score: float64(now.UnixMilli()), Member: member})
		p.PExpire(ctx, k, failureWindow)
		return nil
	})
	if err != nil {
		return fmt.Errorf("sign-in failures: %w", err)
	}
	return nil
}

// Undo implements Failures.
func (f RedisFailures) Undo(ctx context.Context, key string) error {
	if err := f.Client.ZPopMax(ctx, f.Prefix+key).Err(); err != nil {
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
