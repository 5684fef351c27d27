package botkit

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Deduper remembers keys for a while and says whether one is new, so an
// update or event a platform delivers twice (a retry, a second replica) is
// handled once.
type Deduper interface {
	First(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// RedisDeduper keeps keys in Redis with SET NX and a TTL.
type RedisDeduper struct {
	Client redis.Cmdable
	Prefix string // e.g. "deskbot:tg:update:"
}

// First implements Deduper.
func (d RedisDeduper) First(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return d.Client.SetNX(ctx, d.Prefix+key, 1, ttl).Result()
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
