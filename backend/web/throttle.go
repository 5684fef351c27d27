package web

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Sign-in throttling: a login name that fails maxNameFailures times, or a
// client address that fails maxAddrFailures times, within failureWindow
// is refused until the oldest of those failures leaves the window. Each
// process counts the failures it sees; with AuthConfig.Failures (Redis,
// with REDIS_URL) every replica also sees the others', so N replicas do not
// give an attacker N times the attempts. When the shared count cannot be
// reached, the process's own still applies.
const (
	failureWindow   = 15 * time.Minute
	maxNameFailures = 5
	maxAddrFailures = 20
	throttleKeys    = 100_000 // forget everything past this many keys
)

// Failures counts failed sign-ins by key over failureWindow, for every
// replica at once.
type Failures interface {
	// Wait is how long key must wait before trying again (0: go ahead)
	// when it may fail at most max times per window.
	Wait(ctx context.Context, key string, max int, now time.Time) (time.Duration, error)
	// Fail records a failed attempt of key.
	Fail(ctx context.Context, key string, now time.Time) error
	// Undo takes back the latest attempt of key.
	Undo(ctx context.Context, key string) error
	// Forget clears key.
	Forget(ctx context.Context, key string) error
}

// throttle remembers recent failed sign-ins by key.
type throttle struct {
	mu       sync.Mutex
	failures map[string][]time.Time
}

// wait is how long key must wait before trying again (0: go ahead) when
// it may fail at most max times per window.
func (t *throttle) wait(key string, max int, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := t.prune(key, now)
	if len(recent) < max {
		return 0
	}
	return recent[len(recent)-max].Add(failureWindow).Sub(now)
}

// fail records a failed attempt of key.
func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failures == nil || len(t.failures) > throttleKeys {
		t.failures = map[string][]time.Time{}
	}
	t.failures[key] = append(t.prune(key, now), now)
}

// forget clears key after a successful sign-in.
func (t *throttle) forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
}

// undo takes back the latest attempt of key (it succeeded).
func (t *throttle) undo(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fs := t.failures[key]; len(fs) > 1 {
		t.failures[key] = fs[:len(fs)-1]
	} else {
		delete(t.failures, key)
	}
}

// prune drops key's failures older than the window; t.mu is held.
func (t *throttle) prune(key string, now time.Time) []time.Time {
	fs := t.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= failureWindow {
		i++
	}
	if i == len(fs) {
		delete(t.failures, key)
		return nil
	}
	fs = fs[i:]
	t.failures[key] = fs
	return fs
}

// SignInWait is how long a sign-in as name from addr must wait (0: go
// ahead): too many recent failures for the name or from the address.
func (a *Auth) SignInWait(ctx context.Context, name, addr string) time.Duration {
	now := a.cfg.Now()
	var wait time.Duration
	for _, k := range []struct {
		key string
		max int
	}{{"name:" + NormalizeLogin(name), maxNameFailures}, {"addr:" + addr, maxAddrFailures}} {
		wait = max(wait, a.fails.wait(k.key, k.max, now))
		if a.shared() {
			w, err := a.cfg.Failures.Wait(ctx, k.key, k.max, now)
			a.sharedErr(err)
			wait = max(wait, w)
		}
	}
	return wait
}

// SignInAttempt counts a sign-in as name from addr as failed before the
// password is checked, so tries sent all at once are counted too;
// SignedIn takes it back when it succeeds.
func (a *Auth) SignInAttempt(ctx context.Context, name, addr string) {
	now := a.cfg.Now()
	for _, key := range []string{"name:" + NormalizeLogin(name), "addr:" + addr} {
		a.fails.fail(key, now)
		if a.shared() {
			a.sharedErr(a.cfg.Failures.Fail(ctx, key, now))
		}
	}
}

// SignInUncounted takes back the attempt of a sign-in that neither
// failed nor succeeded (the database was down).
func (a *Auth) SignInUncounted(ctx context.Context, name, addr string) {
	for _, key := range []string{"name:" + NormalizeLogin(name), "addr:" + addr} {
		a.fails.undo(key)
		if a.shared() {
			a.sharedErr(a.cfg.Failures.Undo(ctx, key))
		}
	}
}

// SignedIn clears the failures of name and takes back the attempt counted
// for addr, after a successful sign-in.
func (a *Auth) SignedIn(ctx context.Context, name, addr string) {
	name = "name:" + NormalizeLogin(name)
	a.fails.forget(name)
	a.fails.undo("addr:" + addr)
	if a.shared() {
		a.sharedErr(a.cfg.Failures.Forget(ctx, name))
		a.sharedErr(a.cfg.Failures.Undo(ctx, "addr:"+addr))
	}
}

// sharedPause is how long the shared count is left alone after it failed,
// so that a Redis that is down does not slow every sign-in.
const sharedPause = 10 * time.Second

// shared reports whether to use the shared count now.
func (a *Auth) shared() bool {
	return a.cfg.Failures != nil && time.Now().UnixNano() >= a.sharedDown.Load()
}

// sharedErr notes a failure of the shared count: it is left alone for
// sharedPause, and the process's own count applies meanwhile.
func (a *Auth) sharedErr(err error) {
	if err == nil {
		return
	}
	until := time.Now().Add(sharedPause).UnixNano()
	if old := a.sharedDown.Load(); old < time.Now().UnixNano() && a.sharedDown.CompareAndSwap(old, until) {
		a.cfg.Logger.Warn("web: shared sign-in throttle unavailable; this process's count applies", "pause", sharedPause, "err", err)
	}
}

// clientAddr is the address a request came from (without the port).
// X-Forwarded-For is believed only from a proxy on this host or a private
// network, and then only its last entry (the one that proxy added): from
// anywhere else anyone could set it.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil || !(ip.IsLoopback() || ip.IsPrivate()) {
		return host
	}
	xff := r.Header.Values("X-Forwarded-For")
	if len(xff) == 0 {
		return host
	}
	parts := strings.Split(xff[len(xff)-1], ",")
	if last := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(last) != nil {
		return last
	}
	return host
}
