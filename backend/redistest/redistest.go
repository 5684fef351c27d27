// Package redistest gives tests the real Redis and a key prefix of their
// own, so that tests of any package, and test runs sharing one Redis, do
// not see each other's keys.
//
// The server is REDIS_URL, or redis://127.0.0.1:6379/0 without it. When it
// cannot be reached the test is skipped, or fails under CI=true so that CI
// never passes by skipping. Only tests import redistest.
package redistest

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultURL is the server used when REDIS_URL is not set.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL returns REDIS_URL or DefaultURL.
func URL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Client connects to URL(), closed when tb ends.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	opt, err := redis.ParseURL(URL())
	if err != nil {
		tb.Fatalf("REDIS_URL %q: %v", URL(), err)
	}
	opt.PoolSize = 64
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		if os.Getenv("CI") == "true" {
			tb.Fatalf("Redis at %s is required under CI=true: %v", opt.Addr, err)
		}
		tb.Skipf("Redis at %s is unreachable (set CI=true to make this fail): %v", opt.Addr, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// Prefix is a key prefix of the test's own ("deskbot:test:<random>:");
// its keys are deleted when tb ends.
func Prefix(tb testing.TB, c *redis.Client) string {
	tb.Helper()
	prefix := "deskbot:test:" + strings.ToLower(rand.Text()[:10]) + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return prefix
}

// Open is Client and Prefix.
func Open(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	c := Client(tb)
	return c, Prefix(tb, c)
}
