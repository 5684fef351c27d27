package web

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Sign-in throttling: a login name that fails maxNameFailures times, or a
// client address that fails maxAddrFailures times, within failureWindow
// is refused until the oldest of those failures leaves the window. It is
// kept per process: with N replicas an attacker gets at most N times the
// attempts, still far too few to guess a password.
const (
	failureWindow   = 15 * time.Minute
	maxNameFailures = 5
	maxAddrFailures = 20
	throttleKeys    = 100_000 // forget everything past this many keys
)

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
func (a *Auth) SignInWait(name, addr string) time.Duration {
	now := a.cfg.Now()
	return max(a.fails.wait("name:"+NormalizeLogin(name), maxNameFailures, now), a.fails.wait("addr:"+addr, maxAddrFailures, now))
}

// SignInAttempt counts a sign-in as name from addr as failed before the
// password is checked, so tries sent all at once are counted too;
// SignedIn takes it back when it succeeds.
func (a *Auth) SignInAttempt(name, addr string) {
	now := a.cfg.Now()
	a.fails.fail("name:"+NormalizeLogin(name), now)
	a.fails.fail("addr:"+addr, now)
}

// SignInUncounted takes back the attempt of a sign-in that neither
// failed nor succeeded (the database was down).
func (a *Auth) SignInUncounted(name, addr string) {
	a.fails.undo("name:" + NormalizeLogin(name))
	a.fails.undo("addr:" + addr)
}

// SignedIn clears the failures of name and takes back the attempt counted
// for addr, after a successful sign-in.
func (a *Auth) SignedIn(name, addr string) {
	a.fails.forget("name:" + NormalizeLogin(name))
	a.fails.undo("addr:" + addr)
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
