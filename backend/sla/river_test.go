package sla

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	_ "github.com/deskbot/deskbot/backend/sqlite" // registers modernc.org/sqlite as "sqlite"
)

// fired counts how often each timer fired and when.
type fired struct {
	mu    sync.Mutex
	n     map[string]int
	delay []time.Duration
	at    map[string]time.Time // when each timer was due
}

func newFired() *fired { return &fired{n: map[string]int{}, at: map[string]time.Time{}} }

func (f *fired) fire(_ context.Context, t Timer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := t.Day
	f.n[k]++
	if due, ok := f.at[k]; ok {
		f.delay = append(f.delay, time.Since(due))
	}
	return nil
}

func (f *fired) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.n {
		n += c
	}
	return n
}

// timers returns n timers due at `at`, keyed by Day.
func (f *fired) timers(prefix string, n int, at time.Time) []Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ts []Timer
	for i := range n {
		k := fmt.Sprintf("%s-%d", prefix, i)
		f.at[k] = at
		ts = append(ts, Timer{What: TimerDigest, Day: k, At: at})
	}
	return ts
}

// waitDone polls until every River job is completed and n timers fired.
func waitDone(tb testing.TB, q func() (int, error), f *fired, n int) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		left, err := q()
		if err != nil {
			tb.Fatal(err)
		}
		if left == 0 && f.total() >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after 30 s: %d jobs not completed, %d of %d timers fired", left, f.total(), n)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
}

func checkOnce(tb testing.TB, f *fired, n int) {
	tb.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.n) != n {
		tb.Fatalf("%d distinct timers fired, want %d", len(f.n), n)
	}
	for k, c := range f.n {
		if c != 1 {
			tb.Fatalf("timer %s fired %d times", k, c)
		}
	}
}

func pgPool(tb testing.TB, url string) *pgxpool.Pool {
	tb.Helper()
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

func startRiver[TTx any](tb testing.TB, r *River[TTx], err error) *River[TTx] {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Stop(ctx)
	})
	return r
}

// Two deskbot processes on one Postgres, both arming the same timers:
// each timer fires once. A timer armed by a process that stopped before it
// was due fires in the process that is left.
func TestRiverPostgresTwoProcesses(t *testing.T) {
	url := pgtest.NewSchema(t)
	ctx := context.Background()
	f := newFired()
	poolA, poolB := pgPool(t, url), pgPool(t, url)
	ra, err := NewRiverPostgres(ctx, poolA, f.fire, RiverConfig{ID: "a", Poll: 200 * time.Millisecond})
	a := startRiver(t, ra, err)
	rb, err := NewRiverPostgres(ctx, poolB, f.fire, RiverConfig{ID: "b", Poll: 200 * time.Millisecond})
	b := startRiver(t, rb, err)
	left := func() (int, error) {
		var n int
		err := poolA.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state <> 'completed'`).Scan(&n)
		return n, err
	}

	ts := f.timers("both", 50, time.Now().Add(time.Second))
	if err := a.Arm(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if err := b.Arm(ctx, ts); err != nil {
		t.Fatal(err)
	}
	waitDone(t, left, f, 50)
	checkOnce(t, f, 50)

	// Restart: a arms and stops before the timers are due; b fires them.
	ts = f.timers("restart", 10, time.Now().Add(1500*time.Millisecond))
	if err := a.Arm(ctx, ts); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	waitDone(t, left, f, 60)
	checkOnce(t, f, 60)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.delay {
		if d > 3*time.Second {
			t.Errorf("a timer fired %s late", d)
		}
	}
}

// riversqlite works with modernc.org/sqlite: timers armed twice fire once.
func TestRiverSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "river.db")
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	f := newFired()
	rl, err := NewRiverSQLite(ctx, db, f.fire, RiverConfig{Poll: 200 * time.Millisecond})
	r := startRiver(t, rl, err)
	ts := f.timers("lite", 10, time.Now().Add(time.Second))
	if err := r.Arm(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if err := r.Arm(ctx, ts); err != nil {
		t.Fatal(err)
	}
	left := func() (int, error) {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state <> 'completed'`).Scan(&n)
		return n, err
	}
	waitDone(t, left, f, 10)
	checkOnce(t, f, 10)
}
