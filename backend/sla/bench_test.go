package sla

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
)

// counter is a pgx tracer counting the statements River sends.
type counter struct{ n atomic.Int64 }

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *counter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (c *counter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) { c.n.Add(1) }
func (c *counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// BenchmarkEscalation100k: 100,000 open P1 tickets on Postgres, each with
// a running clock and its breach timer armed in River (due 1–25 h ahead).
// It reports
//   - arm/s: timers armed per second (InsertMany, unique by args);
//   - idle-queries/s: statements River sends per second while nothing is
//     due (the store sends none: the engine works only on changes and
//     timers) — it must not grow with the number of tickets;
//   - far-late-p50/p99-ms: how long after its due time each of 1,000
//     escalations spread over 5 s was written (event + outbox rows
//     committed), for timers armed well ahead (the usual case), with
//     SLA_POLL's default of 500 ms; near-late-…: the same for timers armed
//     only 1.5–6.5 s ahead.
//
// go test ./backend/sla -run XXX -bench Escalation100k -benchtime 1x
func BenchmarkEscalation100k(b *testing.B) {
	const tickets, hot = 100_000, 1_000
	ctx := context.Background()
	url := pgtest.NewSchema(b)
	store, err := postgres.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	reporter := &backend.Person{Name: "r", Roles: []backend.Role{backend.RoleReporter}}
	mgr := &backend.Person{Name: "m", Roles: []backend.Role{backend.RoleManager}, Accounts: []backend.ChatAccount{{Platform: "telegram", UserID: "1", ChatID: "1"}}}
	for _, p := range []*backend.Person{reporter, mgr} {
		if err := store.CreatePerson(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	pool := store.Pool()
	for _, q := range []string{
		`INSERT INTO tickets (number, status, severity, summary, reporter_id, version, created_at, updated_at)
		 SELECT 'FB-20261123-' || lpad(g::text, 6, '0'), 'new', 'P1', 'bench ticket', $1, 1, now(), now()
		 FROM generate_series(1, 100000) g`,
		`INSERT INTO sla_clocks (ticket_id, name, run, policy_version, severity, unit, budget, state, started_at,
		   running_since, used, warn_at, due_at, step, acked_by, generation, updated_at)
		 SELECT id, 'confirm', 1, 'bench', 'P1', 'calendar', 3600000000000, 'running', now(), now(), 0,
		   now() + (3600 + id % 86400) * interval '1 second', now() + (3600 + id % 86400) * interval '1 second', 0, 0, 1, now()
		 FROM tickets`,
		`INSERT INTO sla_sync (ticket_id, version) SELECT id, 1 FROM tickets`,
		`ANALYZE`,
	} {
		if _, err := pool.Exec(ctx, q, reporter.ID); err != nil && q != `ANALYZE` {
			if _, err := pool.Exec(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	}

	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cnt := &counter{}
	cfg.ConnConfig.Tracer = cnt
	rpool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer rpool.Close()

	pol, err := ParsePolicy(DefaultPolicyYAML(), "default")
	if err != nil {
		b.Fatal(err)
	}
	cal, err := pol.NewCalendarFor(DefaultHolidays(), CalendarConfig{})
	if err != nil {
		b.Fatal(err)
	}
	var (
		mu   sync.Mutex
		due  = map[int64]time.Time{} // hot ticket → due
		late []time.Duration
	)
	var rv *River[pgx.Tx]
	eng := NewEngine(Config{Store: store, Policy: pol, Calendar: cal,
		Scheduler: schedulerFunc(func(ctx context.Context, ts []Timer) error { return rv.Arm(ctx, ts) })})
	fire := func(ctx context.Context, t Timer) error {
		err := eng.Fire(ctx, t)
		mu.Lock()
		if d, ok := due[t.TicketID]; ok && t.What == TimerBreach {
			late = append(late, time.Since(d))
		}
		mu.Unlock()
		return err
	}
	rv, err = NewRiverPostgres(ctx, rpool, fire, RiverConfig{})
	if err != nil {
		b.Fatal(err)
	}

	// Arm every clock's breach timer.
	start := time.Now()
	for after := int64(0); ; {
		cs, err := store.LiveClocks(ctx, after, 200)
		if err != nil {
			b.Fatal(err)
		}
		if len(cs) == 0 {
			break
		}
		var ts []Timer
		for _, c := range cs {
			ts = append(ts, Timer{What: TimerBreach, TicketID: c.TicketID, Clock: c.Name, Run: c.Run, Generation: c.Generation, At: c.DueAt})
		}
		if err := rv.Arm(ctx, ts); err != nil {
			b.Fatal(err)
		}
		after = cs[len(cs)-1].ID
	}
	armRate := float64(tickets) / time.Since(start).Seconds()

	if err := rv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		rv.Stop(sctx)
	}()
	// Let River elect its leader and settle, then count while nothing is due.
	time.Sleep(3 * time.Second) // a benchmark's measuring window, not a wait for a result
	cnt.n.Store(0)
	window := 10 * time.Second
	time.Sleep(window)
	idle := float64(cnt.n.Load()) / window.Seconds()

	// 1,000 tickets come due over 5 s: their clocks are re-planned
	// (generation 2) and re-armed, as Sync does after a change. "near":
	// armed 1.5–6.5 s before their moment (inserted available, the worker
	// waits); "far": armed 8–13 s before (River's scheduler releases them).
	phase := func(name string, lead time.Duration, first int64) {
		mu.Lock()
		late = late[:0]
		mu.Unlock()
		base := time.Now().Add(lead)
		var ts []Timer
		for i := first; i < first+hot; i++ {
			at := base.Add(time.Duration(i-first) * 5 * time.Second / hot)
			ticket := i*97%tickets + 1
			if _, err := pool.Exec(ctx, `UPDATE sla_clocks SET due_at = $2, warn_at = $2, generation = 2 WHERE ticket_id = $1`,
				ticket, at); err != nil {
				b.Fatal(err)
			}
			mu.Lock()
			due[ticket] = at
			mu.Unlock()
			ts = append(ts, Timer{What: TimerBreach, TicketID: ticket, Clock: "confirm", Run: 1, Generation: 2, At: at})
		}
		if err := rv.Arm(ctx, ts); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: armed %d timers; the first is due %s later", name, hot, time.Until(base))
		deadline := time.Now().Add(60 * time.Second)
		for {
			mu.Lock()
			n := len(late)
			mu.Unlock()
			if n >= hot {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s: only %d of %d escalations fired within 60 s", name, n, hot)
			}
			time.Sleep(50 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		slices.Sort(late)
		p := func(q float64) float64 { return float64(late[int(q*float64(len(late)-1))]) / float64(time.Millisecond) }
		b.ReportMetric(p(0.5), name+"-late-p50-ms")
		b.ReportMetric(p(0.99), name+"-late-p99-ms")
		b.ReportMetric(p(1), name+"-late-max-ms")
	}
	phase("far", 8*time.Second, 1)
	phase("near", 1500*time.Millisecond, hot+1)
	var pings int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE audience = 'person'`).Scan(&pings); err != nil {
		b.Fatal(err)
	}
	if pings != 2*hot {
		b.Fatalf("%d pings written, want %d (one per escalation)", pings, 2*hot)
	}
	b.ReportMetric(armRate, "arm/s")
	b.ReportMetric(idle, "idle-queries/s")
}

type schedulerFunc func(ctx context.Context, ts []Timer) error

func (f schedulerFunc) Arm(ctx context.Context, ts []Timer) error { return f(ctx, ts) }
