package botkit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/deskbot/deskbot/backend/redistest"
)

// TestRedisDeduper: a key is first once; the same call sent twice (a
// go-redis retry after a network error) is still first, not a duplicate
// of itself; the key expires with its TTL. Both ways: SET NX GET, and the
// script a Redis before 7.0 gets.
func TestRedisDeduper(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Open(t)
	for _, script := range []bool{false, true} {
		noSetNXGet.Store(script)
		t.Cleanup(func() { noSetNXGet.Store(false) })
		d := RedisDeduper{Client: rdb, Prefix: fmt.Sprintf("%sscript=%v:", prefix, script)}
		if first, err := d.First(ctx, "u1", time.Minute); err != nil || !first {
			t.Fatalf("script %v: first: %v %v", script, first, err)
		}
		if first, err := d.First(ctx, "u1", time.Minute); err != nil || first {
			t.Fatalf("script %v: second: %v %v, want a duplicate", script, first, err)
		}
		call := func(token string) bool {
			first, err := d.first(ctx, "u2", token, 200*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			return first
		}
		if a, b, c := call("call-1"), call("call-1"), call("call-2"); !a || !b || c {
			t.Fatalf("script %v: call, the same call again, another call: %v %v %v, want true true false", script, a, b, c)
		}
		time.Sleep(300 * time.Millisecond)
		if !call("call-3") {
			t.Fatalf("script %v: the key did not expire with its TTL", script)
		}
	}
	if noSetNXGet.Store(false); isSyntaxError(rdb.SetArgs(ctx, prefix+"x", "v", redis.SetArgs{Mode: "NX", Get: true, KeepTTL: true, TTL: time.Second}).Err()) != true {
		t.Fatal("a refused SET is not recognised as a syntax error, so a Redis before 7.0 would never get the script")
	}
}
