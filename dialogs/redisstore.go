package dialogs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore is the SessionStore for several replicas: every replica sees
// every dialog, and a dialog survives a restart. Each session is a hash
// {v: version, d: data} whose TTL is the idle timeout; a marker key with a
// longer TTL remembers that a session existed, so its expiry can be
// reported once, and holds PutNoted's note. A sorted set per platform
// holds the noted sessions by the time each falls due, for
// TakeExpiredDue. Put and Delete are compare-and-swap Lua scripts, one
// round trip each.
type RedisStore struct {
	rdb       redis.Cmdable
	prefix    string
	idle      time.Duration
	tombstone time.Duration
}

// NewRedisStore returns a store using client, with every key under prefix
// (for example "deskbot:dialog:"). idle ≤ 0 means DefaultIdleTimeout.
func NewRedisStore(client redis.Cmdable, prefix string, idle time.Duration) *RedisStore {
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	return &RedisStore{rdb: client, prefix: prefix, idle: idle, tombstone: DefaultTombstoneTTL}
}

// WithTombstoneTTL sets how long an expired session is remembered
// (default DefaultTombstoneTTL) and returns the store.
func (s *RedisStore) WithTombstoneTTL(d time.Duration) *RedisStore {
	s.tombstone = d
	return s
}

func (s *RedisStore) keys(key SessionKey) (session, marker string) {
	k := key.String()
	return s.prefix + "s:" + k, s.prefix + "x:" + k
}

// dueKey is the sorted set of platform's sessions, scored by the Unix
// millisecond at which each expires idle, member SessionKey.String().
func (s *RedisStore) dueKey(platform string) string {
	return s.prefix + "due:" + keyEscaper.Replace(platform)
}

// KEYS: session, marker, due set. ARGV: expected version ("0": none), data,
// idle ms, marker ms, first version, write id, due member, note ("":
// none, and the session leaves the due set). Due scores are Redis's
// clock (TIME), as its TTLs are. Returns the new version, or -1 on
// conflict. Members whose marker ran
// out (nobody took them) are trimmed from the set here, so it stays
// bounded. The session keeps the id of the write that made it (w), so the
// same write run again (go-redis retries a command, or a whole
// auto-pipelined batch, after a network error) returns its version instead
// of a conflict that would make the engine apply the input a second time.
var putScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then v = '0' end
if v ~= ARGV[1] then
  if v ~= '0' and redis.call('HGET', KEYS[1], 'w') == ARGV[6] then return tonumber(v) end
  return -1
end
local nv
if v == '0' then nv = tonumber(ARGV[5]) else nv = tonumber(v) + 1 end
redis.call('HSET', KEYS[1], 'v', nv, 'd', ARGV[2], 'w', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[8] == '' then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
  redis.call('ZREM', KEYS[3], ARGV[7])
else
  redis.call('SET', KEYS[2], ARGV[8], 'PX', ARGV[4])
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[7])
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - (tonumber(ARGV[4]) - tonumber(ARGV[3])))
return nv
`)

// KEYS: session, marker, due set. ARGV: expected version ("0": any), due
// member. Returns 1, or -1 on conflict.
var deleteScript = redis.NewScript(`
if ARGV[1] ~= '0' then
  local v = redis.call('HGET', KEYS[1], 'v')
  if v ~= ARGV[1] then return -1 end
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
`)

// KEYS: session, marker, due set. ARGV: due member. Returns 1 if the
// marker outlived the session.
var takeExpiredScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
return redis.call('DEL', KEYS[2])
`)

// KEYS: session, marker, due set. ARGV: due member. Returns the marker's
// note if this call took the expiry, else nil: the session is live (put
// again since the set was read: the member stays, at its new score),
// another replica took it first, or the marker is gone (the member
// leaves the set).
var takeDueScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
if redis.call('ZREM', KEYS[3], ARGV[1]) == 0 then return false end
local d = redis.call('GET', KEYS[2])
if d then redis.call('DEL', KEYS[2]) end
return d
`)

// Get implements SessionStore.
func (s *RedisStore) Get(ctx context.Context, key SessionKey) (Record, error) {
	sk, _ := s.keys(key)
	vals, err := s.rdb.HMGet(ctx, sk, "v", "d").Result()
	if err != nil {
		return Record{}, fmt.Errorf("%w: redis get session: %w", ErrUnavailable, err)
	}
	vs, ok1 := vals[0].(string)
	ds, ok2 := vals[1].(string)
	if !ok1 || !ok2 {
		return Record{}, ErrNoSession
	}
	v, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return Record{}, fmt.Errorf("dialogs: redis session %s: bad version %q", sk, vs)
	}
	return Record{Data: []byte(ds), Version: v}, nil
}

// Put implements SessionStore.
func (s *RedisStore) Put(ctx context.Context, key SessionKey, data []byte, version int64) (int64, error) {
	return s.PutNoted(ctx, key, data, nil, version)
}

// PutNoted implements NoticeStore.
func (s *RedisStore) PutNoted(ctx context.Context, key SessionKey, data, note []byte, version int64) (int64, error) {
	// A recreated session starts at a random version so a replica holding
	// the version of an earlier session with the same key cannot match it.
	n, err := s.put(ctx, key, data, note, version, rand.Int64N(1<<52)+1, rand.Int64())
	if err != nil {
		return 0, fmt.Errorf("%w: redis put session: %w", ErrUnavailable, err)
	}
	if n < 0 {
		return 0, ErrConflict
	}
	return n, nil
}

// put runs putScript: the write writeID of data and note over version,
// starting a new session at version first.
func (s *RedisStore) put(ctx context.Context, key SessionKey, data, note []byte, version, first, writeID int64) (int64, error) {
	sk, mk := s.keys(key)
	return putScript.Run(ctx, s.rdb, []string{sk, mk, s.dueKey(key.Platform)},
		version, data, s.idle.Milliseconds(), (s.idle + s.tombstone).Milliseconds(), first, writeID,
		key.String(), note).Int64()
}

// Delete implements SessionStore.
func (s *RedisStore) Delete(ctx context.Context, key SessionKey, version int64) error {
	sk, mk := s.keys(key)
	n, err := deleteScript.Run(ctx, s.rdb, []string{sk, mk, s.dueKey(key.Platform)}, strconv.FormatInt(version, 10), key.String()).Int64()
	if err != nil {
		return fmt.Errorf("%w: redis delete session: %w", ErrUnavailable, err)
	}
	if n < 0 {
		return ErrConflict
	}
	return nil
}

// TakeExpired implements SessionStore.
func (s *RedisStore) TakeExpired(ctx context.Context, key SessionKey) (bool, error) {
	sk, mk := s.keys(key)
	n, err := takeExpiredScript.Run(ctx, s.rdb, []string{sk, mk, s.dueKey(key.Platform)}, key.String()).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, fmt.Errorf("%w: redis take expired: %w", ErrUnavailable, err)
	}
	return n == 1, nil
}

// TakeExpiredDue implements NoticeStore: the set names the sessions due,
// and a script per session takes each one atomically.
func (s *RedisStore) TakeExpiredDue(ctx context.Context, platform string, limit int) ([]ExpiredSession, error) {
	dk := s.dueKey(platform)
	now, err := s.rdb.Time(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: redis time: %w", ErrUnavailable, err)
	}
	members, err := s.rdb.ZRangeByScore(ctx, dk, &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit)}).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: redis sessions due: %w", ErrUnavailable, err)
	}
	var due []ExpiredSession
	for _, m := range members {
		key, ok := parseSessionKey(m)
		if !ok {
			s.rdb.ZRem(ctx, dk, m) // not ours to report
			continue
		}
		sk, mk := s.keys(key)
		note, err := takeDueScript.Run(ctx, s.rdb, []string{sk, mk, dk}, m).Text()
		switch {
		case errors.Is(err, redis.Nil):
			continue
		case err != nil:
			return due, fmt.Errorf("%w: redis take expired session: %w", ErrUnavailable, err)
		}
		due = append(due, ExpiredSession{Key: key, Note: []byte(note)})
	}
	return due, nil
}
