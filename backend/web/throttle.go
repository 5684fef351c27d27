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
// is refused until the oldest of those failures leaves the window. With
// AuthConfig.Failures (Redis, with REDIS_URL) the failures are counted for
// every replica at once, so N replicas do not give an attacker N times the
// attempts; while that count cannot be reached, and without it, each
// process counts the failures it sees.
const (
	failureWindow   = 15 * time.Minute
	maxNameFailures = 5
	maxAddrFailures = 20
	throttleKeys    = 100_000 // forget everything past this many keys
)

// Failures counts failed sign-ins by key over failureWindow, for every
// replica at once.
type Failures interface {
	// Attempt counts an attempt of key as failed, unless key failed max
	// times within the window already: then it counts nothing and says how
	// long to wait. Checking and counting are one step, so tries sent all
	// at once cannot all pass the check. id names the attempt for Undo.
	Attempt(ctx context.Context, key string, max int, now time.Time) (id string, wait time.Duration, err error)
	// Undo takes back the attempt id of key.
	Undo(ctx context.Context, key, id string) error
	// Forget clears key.
	Forget(ctx context.Context, key string) error
}

// throttle remembers recent failed sign-ins by key.
type throttle struct {
	mu       sync.Mutex
	failures map[string][]time.Time
}

// attempt counts an attempt of key unless it failed max times within the
// window; then it returns how long to wait, and counts nothing.
func (t *throttle) attempt(key string, max int, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := t.prune(key, now)
	if len(recent) >= max {
		return recent[len(recent)-max].Add(failureWindow).Sub(now)
	}
	if t.failures == nil || len(t.failures) > throttleKeys {
		t.failures = map[string][]time.Time{}
	}
	t.failures[key] = append(recent, now)
	return 0
}

// forget clears key after a successful sign-in.
func (t *throttle) forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
}

// undo takes back the latest attempt of key.
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

// SignIn is a sign-in attempt counted as failed until SignedIn or
// SignInUncounted takes it back.
type SignIn struct {
	keys [2]string // the login name's and the address's
	ids  [2]string // their attempts in the shared count; "": in this process's
}

// signInLimits are the failures allowed per window for SignIn.keys.
var signInLimits = [2]int{maxNameFailures, maxAddrFailures}

// SignInAttempt counts a sign-in as name from addr as failed before the
// password is checked, so tries sent all at once are counted too; SignedIn
// takes it back when it succeeds. When the name or the address failed too
// often lately it counts nothing and returns how long to wait instead.
func (a *Auth) SignInAttempt(ctx context.Context, name, addr string) (*SignIn, time.Duration) {
	now := a.cfg.Now()
	in := &SignIn{keys: [2]string{"name:" + NormalizeLogin(name), "addr:" + addr}}
	for i, key := range in.keys {
		wait, counted := time.Duration(0), false
		if a.shared() {
			sctx, cancel := sharedContext(ctx)
			id, w, err := a.cfg.Failures.Attempt(sctx, key, signInLimits[i], now)
			cancel()
			a.sharedErr(err)
			in.ids[i], wait, counted = id, w, err == nil
		}
		if !counted {
			wait = a.fails.attempt(key, signInLimits[i], now)
		}
		if wait > 0 {
			a.takeBack(ctx, in, i)
			return nil, wait
		}
	}
	return in, 0
}

// SignInUncounted takes back an attempt that neither failed nor
// succeeded (the database was down).
func (a *Auth) SignInUncounted(ctx context.Context, in *SignIn) { a.takeBack(ctx, in, len(in.keys)) }

// SignedIn clears the failures of the login name and takes back the
// attempt counted for the address, after a successful sign-in.
func (a *Auth) SignedIn(ctx context.Context, in *SignIn) {
	a.fails.forget(in.keys[0])
	if a.shared() {
		sctx, cancel := sharedContext(ctx)
		a.sharedErr(a.cfg.Failures.Forget(sctx, in.keys[0]))
		cancel()
	}
	a.undo(ctx, in, 1)
}

// takeBack takes back the first n attempts of in.
func (a *Auth) takeBack(ctx context.Context, in *SignIn, n int) {
	for i := range n {
		a.undo(ctx, in, i)
	}
}

// undo takes back attempt i of in, where it was counted.
func (a *Auth) undo(ctx context.Context, in *SignIn, i int) {
	if in.ids[i] == "" {
		a.fails.undo(in.keys[i])
		return
	}
	sctx, cancel := sharedContext(ctx)
	defer cancel()
	a.sharedErr(a.cfg.Failures.Undo(sctx, in.keys[i], in.ids[i]))
}

// sharedContext is a request's context for the shared count: a client
// that hangs up must not make the count look unavailable (and so switch
// it off), and a slow Redis must not hold up a sign-in for long.
func sharedContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
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
