package botkit

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Deduper remembers keys for a while and says whether one is new, so an
// update or event a platform delivers twice (a retry, a second replica) is
// handled once.
type Deduper interface {
	First(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// RedisDeduper keeps keys in Redis with a TTL. A key holds the token of
// the call that set it, so a call that the client sent twice (go-redis
// retries a command, or a whole auto-pipelined batch, after a network
// error) is still the first, not a duplicate of itself.
type RedisDeduper struct {
	Client redis.Cmdable
	Prefix string // e.g. "deskbot:tg:update:"
}

// firstScript is First for a Redis before 7.0. KEYS: the key. ARGV: the
// caller's token, TTL ms. 1: first (or the same call again), 0: seen
// before.
var firstScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == ARGV[1] then return 1 end
return 0
`)

// noSetNXGet is set once a Redis server refused SET with both NX and GET
// (before Redis 7.0); the script does the same in one round trip, at the
// cost of a Lua call.
var noSetNXGet atomic.Bool

// First implements Deduper: one SET NX GET, which sets the key unless it
// is there and answers what was there.
func (d RedisDeduper) First(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return d.first(ctx, key, rand.Text(), ttl)
}

// first is First with the call's token.
func (d RedisDeduper) first(ctx context.Context, key, token string, ttl time.Duration) (bool, error) {
	if !noSetNXGet.Load() {
		was, err := d.Client.SetArgs(ctx, d.Prefix+key, token, redis.SetArgs{Mode: "NX", TTL: ttl, Get: true}).Result()
		switch {
		case errors.Is(err, redis.Nil):
			return true, nil // it was not there
		case err == nil:
			return was == token, nil
		case !isSyntaxError(err):
			return false, err
		}
		noSetNXGet.Store(true)
	}
	n, err := firstScript.Run(ctx, d.Client, []string{d.Prefix + key}, token, ttl.Milliseconds()).Int()
	return n == 1, err
}

// isSyntaxError is Redis refusing a command's arguments.
func isSyntaxError(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.Contains(strings.ToLower(re.Error()), "syntax")
}

// KeyStore is the part of backend.Store the StoreDeduper needs.
type KeyStore interface {
	SeenKey(ctx context.Context, key string, now time.Time, ttl time.Duration) (bool, error)
}

// StoreDeduper keeps keys in the database (the embedded default).
type StoreDeduper struct {
	Store  KeyStore
	Prefix string // keeps one platform's keys apart from another's
	Now    func() time.Time
}

// First implements Deduper.
func (d StoreDeduper) First(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	return d.Store.SeenKey(ctx, d.Prefix+key, now(), ttl)
}
