package botkit

import (
	"context"
	"crypto/rand"
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

// KEYS: the key. ARGV: the caller's token, TTL ms. 1: first (or the same
// call again), 0: seen before.
var firstScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == ARGV[1] then return 1 end
return 0
`)

// First implements Deduper.
func (d RedisDeduper) First(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	n, err := firstScript.Run(ctx, d.Client, []string{d.Prefix + key}, rand.Text(), ttl.Milliseconds()).Int()
	return n == 1, err
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
