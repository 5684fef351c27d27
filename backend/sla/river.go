package sla

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// timerArgs is the River job of a Timer. Its encoded args are the
// uniqueness key: the same timer armed twice is inserted once.
type timerArgs struct {
	Timer
	Due time.Time `json:"due"` // Timer.At
}

func (timerArgs) Kind() string { return "deskbot_sla_timer" }

type timerWorker struct {
	river.WorkerDefaults[timerArgs]
	fire func(ctx context.Context, t Timer) error
}

func (w *timerWorker) Work(ctx context.Context, job *river.Job[timerArgs]) error {
	// A timer armed shortly before it is due was made available at once
	// (see Arm): wait here for its moment.
	if wait := time.Until(job.Args.Due); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return w.fire(ctx, job.Args.Timer)
}

// RiverConfig tunes the job queue; zero values take the defaults.
type RiverConfig struct {
	// Poll is how often due jobs are fetched when no notification came
	// (River's FetchPollInterval). It bounds how late a timer fires.
	// Default 500 ms.
	Poll time.Duration
	// Workers is how many timers run at once (a timer armed less than 6 s
	// before its moment holds a worker while it waits). Default 100.
	Workers int
	// ID names this process among River clients (default: River's).
	ID     string
	Logger *slog.Logger
}

// River is the Scheduler on River jobs (github.com/riverqueue/river),
// in the same database as the tickets: timers survive restarts, and with
// several deskbot processes on one database each timer fires once
// (River fetches with FOR UPDATE SKIP LOCKED; identical timers are
// de-duplicated by their args).
type River[TTx any] struct {
	client *river.Client[TTx]
}

// queue is River's queue for deskbot's timers.
const queue = "deskbot_sla"

// nearFuture is how close to its moment a timer is inserted as available
// rather than scheduled: River's scheduler interval (5 s) plus a margin.
const nearFuture = 6 * time.Second

// migrateRiver brings River's tables up to the version of the River
// deskbot is built with.
func migrateRiver[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], log *slog.Logger) error {
	mig, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: quiet(log)})
	if err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	if _, err := mig.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	return nil
}

// MigrateRiverPostgres applies River's migrations to pool's database (the
// schema of its search_path), as NewRiverPostgres does before it starts;
// "deskbot migrate" runs it so that a deployment can migrate with a
// privileged role and serve with one that may not change the schema.
// River's migrations take no lock of their own: callers on a database
// other processes use serialise them.
func MigrateRiverPostgres(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	return migrateRiver(ctx, riverpgxv5.New(pool), log)
}

// MigrateRiverSQLite does the same on an SQLite database.
func MigrateRiverSQLite(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	return migrateRiver(ctx, riversqlite.New(db), log)
}

func newRiver[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], fire func(context.Context, Timer) error, cfg RiverConfig) (*River[TTx], error) {
	if err := migrateRiver(ctx, driver, cfg.Logger); err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &timerWorker{fire: fire})
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 100
	}
	client, err := river.NewClient(driver, &river.Config{
		ID:                cfg.ID,
		Queues:            map[string]river.QueueConfig{queue: {MaxWorkers: cfg.Workers}},
		Workers:           workers,
		FetchPollInterval: cfg.Poll,
		FetchCooldown:     cfg.Poll / 5,
		Logger:            quiet(cfg.Logger),
		JobTimeout:        time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("river: %w", err)
	}
	return &River[TTx]{client: client}, nil
}

func quiet(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// NewRiverPostgres migrates River's tables into pool's database (the
// schema of its search_path) and returns a scheduler that calls fire.
func NewRiverPostgres(ctx context.Context, pool *pgxpool.Pool, fire func(context.Context, Timer) error, cfg RiverConfig) (*River[pgx.Tx], error) {
	return newRiver(ctx, riverpgxv5.New(pool), fire, cfg)
}

// NewRiverSQLite does the same on an SQLite database (riversqlite, with
// the modernc.org/sqlite driver). db should have one open connection and
// a busy timeout; it stays the caller's to close.
func NewRiverSQLite(ctx context.Context, db *sql.DB, fire func(context.Context, Timer) error, cfg RiverConfig) (*River[*sql.Tx], error) {
	return newRiver(ctx, riversqlite.New(db), fire, cfg)
}

// Start works jobs until Stop.
func (r *River[TTx]) Start(ctx context.Context) error { return r.client.Start(ctx) }

// Stop finishes running jobs and stops; unfinished timers stay in the
// database for the next process.
func (r *River[TTx]) Stop(ctx context.Context) error { return r.client.Stop(ctx) }

// Client is the River client (for tests and admin commands).
func (r *River[TTx]) Client() *river.Client[TTx] { return r.client }

// Arm inserts the timers as scheduled jobs; identical timers already
// waiting (or done) are not inserted again.
func (r *River[TTx]) Arm(ctx context.Context, timers []Timer) error {
	params := make([]river.InsertManyParams, 0, len(timers))
	soon := time.Now().Add(nearFuture)
	for _, t := range timers {
		at := t.At
		if at.Before(soon) {
			// River's scheduler releases future jobs every 5 s (with a 5 s
			// look-ahead), so a job due sooner than that could wait for
			// the next pass; insert it available now and let the worker
			// wait for the moment.
			at = time.Time{}
		}
		params = append(params, river.InsertManyParams{Args: timerArgs{Timer: t, Due: t.At.UTC().Truncate(time.Microsecond)},
			InsertOpts: &river.InsertOpts{Queue: queue, ScheduledAt: at, MaxAttempts: 10,
				UniqueOpts: river.UniqueOpts{ByArgs: true}}})
	}
	_, err := r.client.InsertMany(ctx, params)
	return err
}
