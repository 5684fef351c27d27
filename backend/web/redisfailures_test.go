package web_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/redistest"
	"github.com/deskbot/deskbot/backend/web"
)

// TestSharedSignInThrottle: two replicas sharing the count in Redis
// throttle a name after five failures in all, wherever they happened;
// with the shared count unreachable, each replica still counts its own.
func TestSharedSignInThrottle(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	prefix += "signin:"
	shared := func(ac *web.AuthConfig) { ac.Failures = web.RedisFailures{Client: rdb, Prefix: prefix} }
	a, b := newFixture(t, shared), newFixture(t, shared)
	b.now = a.now
	for i := range 5 {
		f := a
		if i%2 == 1 {
			f = b
		}
		if code := f.client().login("dave", "wrong-password-"+strconv.Itoa(i)); code != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d", i+1, code)
		}
	}
	for name, f := range map[string]*fixture{"a": a, "b": b} {
		if code := f.client().login("dave", "wrong-password"); code != http.StatusTooManyRequests {
			t.Fatalf("replica %s after five failures across both = %d, want 429", name, code)
		}
	}
	// The window ends for everyone.
	a.now, b.now = a.now.Add(15*time.Minute+time.Second), b.now.Add(15*time.Minute+time.Second)
	if code := b.client().login("dave", "wrong-password"); code != http.StatusUnauthorized {
		t.Fatalf("after the window = %d, want a password check", code)
	}
	// A sign-in on one replica clears the name's failures on every one.
	_, pw := b.user("dave", backend.RoleAssistant)
	for i := range 3 {
		a.client().login("dave", "wrong-password-"+strconv.Itoa(i))
	}
	if code := b.client().login("dave", pw); code != http.StatusSeeOther {
		t.Fatalf("sign-in = %d", code)
	}
	for i := range 5 {
		if code := a.client().login("dave", "wrong-password-"+strconv.Itoa(i)); code != http.StatusUnauthorized {
			t.Fatalf("failure %d after a sign-in = %d, want a password check", i+1, code)
		}
	}

	// Tries sent at once to both replicas: checking and counting are one
	// step in Redis, so at most five of twenty reach a password check.
	a.now, b.now = a.now.Add(15*time.Minute+time.Second), b.now.Add(15*time.Minute+time.Second)
	checked := checkedOf(20, func(i int) int {
		return []*fixture{a, b}[i%2].client().login("frank", "wrong-password-"+strconv.Itoa(i))
	})
	if checked > 5 {
		t.Fatalf("%d of 20 parallel tries on two replicas were checked, want at most 5", checked)
	}

	// Redis unreachable: the replica's own count still throttles.
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { down.Close() })
	c := newFixture(t, func(ac *web.AuthConfig) { ac.Failures = web.RedisFailures{Client: down, Prefix: prefix} })
	for i := range 5 {
		if code := c.client().login("erin", "wrong-password-"+strconv.Itoa(i)); code != http.StatusUnauthorized {
			t.Fatalf("failure %d without Redis = %d", i+1, code)
		}
	}
	if code := c.client().login("erin", "wrong-password"); code != http.StatusTooManyRequests {
		t.Fatalf("after five failures without Redis = %d, want 429", code)
	}
}
