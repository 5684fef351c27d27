package botkit

import (
	"context"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend/redistest"
)

// TestRedisDeduper: a key is first once; the same call sent twice (a
// go-redis retry after a network error) is still first, not a duplicate
// of itself; the key expires with its TTL.
func TestRedisDeduper(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Open(t)
	d := RedisDeduper{Client: rdb, Prefix: prefix}
	if first, err := d.First(ctx, "u1", time.Minute); err != nil || !first {
		t.Fatalf("first: %v %v", first, err)
	}
	if first, err := d.First(ctx, "u1", time.Minute); err != nil || first {
		t.Fatalf("second: %v %v, want a duplicate", first, err)
	}
	run := func(token string) int {
		n, err := firstScript.Run(ctx, rdb, []string{prefix + "u2"}, token, 200).Int()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if a, b, c := run("call-1"), run("call-1"), run("call-2"); a != 1 || b != 1 || c != 0 {
		t.Fatalf("call, the same call again, another call: %d %d %d, want 1 1 0", a, b, c)
	}
	time.Sleep(300 * time.Millisecond)
	if run("call-3") != 1 {
		t.Fatal("the key did not expire with its TTL")
	}
}
