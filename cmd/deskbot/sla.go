package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres"
	"github.com/deskbot/deskbot/backend/sla"
	"github.com/deskbot/deskbot/backend/sqlite"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/bot/email"
	"github.com/deskbot/deskbot/bot/smshook"
)

// SLAConfig is the deadlines and escalation part of Config (backend/sla).
type SLAConfig struct {
	// PolicyFile (SLA_POLICY_FILE) replaces the embedded SLA policy and
	// routing rules (DESIGN §4). Default: empty, the embedded policy.
	PolicyFile string
	// HolidaysFile (SLA_HOLIDAYS_FILE) adds or replaces whole years of the
	// holiday table (2027 and later). Default: empty, the embedded 2025–2026.
	HolidaysFile string
	// SMTPURL (SMTP_URL, secret) sends escalations and notices also by
	// e-mail to people with an "email" account. Default: empty, no e-mail.
	SMTPURL string
	// SMSWebhookURL (SMS_WEBHOOK_URL) posts them also as SMS to people with
	// an "sms" account. Default: empty, no SMS. SMSWebhookToken
	// (SMS_WEBHOOK_TOKEN, secret) is sent as a bearer token.
	SMSWebhookURL   string
	SMSWebhookToken string
	// Poll (SLA_POLL) bounds how late a timer fires. Default 500ms.
	Poll time.Duration

	policy   *sla.Policy
	holidays sla.Holidays
	smtp     email.Config
}

// loadSLAConfig reads the SLA variables; every error names its variable.
func loadSLAConfig(get func(name, def string) string) (SLAConfig, []string) {
	var errs []string
	c := SLAConfig{
		PolicyFile: get("SLA_POLICY_FILE", ""), HolidaysFile: get("SLA_HOLIDAYS_FILE", ""),
		SMTPURL: get("SMTP_URL", ""), SMSWebhookURL: get("SMS_WEBHOOK_URL", ""), SMSWebhookToken: get("SMS_WEBHOOK_TOKEN", ""),
	}
	src, name := sla.DefaultPolicyYAML(), "embedded policy"
	if c.PolicyFile != "" {
		b, err := os.ReadFile(c.PolicyFile)
		if err != nil {
			errs = append(errs, fmt.Sprintf("SLA_POLICY_FILE: cannot read %s: %v", c.PolicyFile, err))
		}
		src, name = b, c.PolicyFile
	}
	if p, err := sla.ParsePolicy(src, name); err != nil {
		errs = append(errs, "SLA_POLICY_FILE: "+err.Error())
	} else {
		c.policy = p
	}
	c.holidays = sla.DefaultHolidays()
	if c.HolidaysFile != "" {
		f, err := os.Open(c.HolidaysFile)
		if err != nil {
			errs = append(errs, fmt.Sprintf("SLA_HOLIDAYS_FILE: cannot read %s: %v", c.HolidaysFile, err))
		} else {
			h, err := sla.ParseHolidays(f, c.HolidaysFile)
			f.Close()
			if err != nil {
				errs = append(errs, "SLA_HOLIDAYS_FILE: "+err.Error())
			} else {
				c.holidays = c.holidays.Merge(h)
			}
		}
	}
	if c.SMTPURL != "" {
		sc, err := email.ParseURL(c.SMTPURL)
		if err != nil {
			errs = append(errs, "SMTP_URL: "+err.Error())
		}
		c.smtp = sc
	}
	if c.SMSWebhookURL != "" {
		if u, err := url.Parse(c.SMSWebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, "SMS_WEBHOOK_URL: must be an http(s) URL")
		}
	}
	d, err := time.ParseDuration(get("SLA_POLL", "500ms"))
	if err != nil || d < 10*time.Millisecond || d > time.Minute {
		errs = append(errs, "SLA_POLL: must be a duration between 10ms and 1m, like 500ms")
	}
	c.Poll = d
	return c, errs
}

// slaRunner is the job queue under the engine, whatever the database.
type slaRunner interface {
	sla.Scheduler
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// slaParts is what openSLA builds; Main keeps it.
type slaParts struct {
	Router  *sla.Router
	Engine  *sla.Engine
	runner  slaRunner
	started bool
	liteDB  *sql.DB // River's own connection to the SQLite file
}

// openRouting loads the routing rules before the service is built (its
// Route uses them).
func (m *Main) openRouting(ctx context.Context) error {
	if m.Config.SLA.policy == nil { // a Config not made by LoadConfig
		c, errs := loadSLAConfig(func(string, def string) string { return def })
		if len(errs) > 0 {
			return fmt.Errorf("sla: %v", errs)
		}
		m.Config.SLA = c
	}
	r := sla.NewRouter(m.Config.SLA.policy.Routing, m.Store, m.Log.With("component", "routing")).WatchGroups(m.Config.SLA.policy.Groups)
	if err := r.Load(ctx); err != nil {
		return fmt.Errorf("routing: %w", err)
	}
	m.SLA.Router = r
	return nil
}

// route is backend.ServiceConfig.Route.
func (m *Main) route(form string, path []string) int64 {
	if m.SLA.Router == nil {
		return 0
	}
	return m.SLA.Router.Route(form, path)
}

// openSLA builds the calendar, the engine and its River job queue (in the
// tickets' database; River's migrations run first), and registers the
// e-mail and SMS routes with the dispatcher.
func (m *Main) openSLA(ctx context.Context) error {
	cfg := m.Config.SLA
	log := m.Log.With("component", "sla")
	cal, err := cfg.policy.NewCalendarFor(cfg.holidays, sla.CalendarConfig{Logger: log})
	if err != nil {
		return fmt.Errorf("SLA_POLICY_FILE: %w", err)
	}
	text := &botkit.Renderer{Cat: m.Catalog, People: m.Store.Person, Tasks: m.Store.Task, Location: cal.Location()}
	var routes []string
	if cfg.SMTPURL != "" {
		m.mail = email.New(cfg.smtp, text)
		m.Dispatcher.Register(m.mail, false)
		routes = append(routes, email.Platform)
	}
	if cfg.SMSWebhookURL != "" {
		m.Dispatcher.Register(&smshook.Notifier{URL: cfg.SMSWebhookURL, Token: cfg.SMSWebhookToken, Text: text}, false)
		routes = append(routes, smshook.Platform)
	}
	// Automatic assignment (routing.assign) acts as deskbot itself: an
	// admin that is nobody (actor 0, "the system" in the thread).
	system := &backend.Person{Name: "deskbot", Roles: []backend.Role{backend.RoleAdmin}}
	var runner slaRunner // set below, before the engine runs
	engine := sla.NewEngine(sla.Config{Store: m.Store, Policy: cfg.policy, Calendar: cal, Logger: log, SecondRoutes: routes,
		Router: m.SLA.Router,
		// A warning nobody holds goes to the ticket's team chat, else
		// the triage chats.
		Triage: m.Service.TriageAudience,
		Assign: func(ctx context.Context, t *backend.Ticket, id int64) error {
			_, err := m.Service.Assign(ctx, system, t.Number, id)
			return err
		},
		// The job queue is made below, after the engine it fires; the
		// engine holds its own reference, because stopSLA forgets
		// m.SLA.runner while the engine's loop may still be syncing.
		Scheduler: schedulerFunc(func(ctx context.Context, ts []sla.Timer) error {
			if runner == nil {
				return errors.New("sla: no job queue")
			}
			return runner.Arm(ctx, ts)
		}),
		Changed: func(int64) {
			if m.Dispatcher != nil {
				m.Dispatcher.Wake()
			}
		}})
	fire := engine.Fire
	rc := sla.RiverConfig{Poll: cfg.Poll, Logger: log}
	switch s := m.Store.(type) {
	case *postgres.Store:
		// River's migrations take no lock of their own: replicas starting
		// at once on a fresh database take turns.
		err := s.Exclusive(ctx, "river migrations", func(ctx context.Context) error {
			r, err := sla.NewRiverPostgres(ctx, s.Pool(), fire, rc)
			if err != nil {
				return err
			}
			m.SLA.runner, runner = r, r
			return nil
		})
		if err != nil {
			return err
		}
	case *sqlite.Store:
		db, err := openRiverSQLite(s)
		if err != nil {
			return err
		}
		r, err := sla.NewRiverSQLite(ctx, db, fire, rc)
		if err != nil {
			db.Close()
			return err
		}
		m.SLA.runner, m.SLA.liteDB, runner = r, db, r
	default:
		return fmt.Errorf("sla: no job queue for store %T", m.Store)
	}
	m.SLA.Engine = engine
	log.Info("sla: on", "policy", cfg.policy.Version, "routes", routes)
	return nil
}

// openRiverSQLite opens the store's SQLite file for River: its own
// connection (one), waiting on the store's locks rather than failing.
func openRiverSQLite(s *sqlite.Store) (*sql.DB, error) {
	db, err := sql.Open("sqlite", s.Path()+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("river sqlite: %w", err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// migrateRiver applies the job queue's migrations, as "serve" does when
// it starts the SLA engine.
func migrateRiver(ctx context.Context, store backend.Store, log *slog.Logger) error {
	switch s := store.(type) {
	case *postgres.Store:
		return s.Exclusive(ctx, "river migrations", func(ctx context.Context) error {
			return sla.MigrateRiverPostgres(ctx, s.Pool(), log)
		})
	case *sqlite.Store:
		db, err := openRiverSQLite(s)
		if err != nil {
			return err
		}
		defer db.Close()
		return sla.MigrateRiverSQLite(ctx, db, log)
	default:
		return fmt.Errorf("sla: no job queue for store %T", store)
	}
}

type schedulerFunc func(ctx context.Context, ts []sla.Timer) error

func (f schedulerFunc) Arm(ctx context.Context, ts []sla.Timer) error { return f(ctx, ts) }

// startSLA starts the job queue and the engine's loop.
func (m *Main) startSLA(ctx context.Context) error {
	if m.SLA.runner == nil {
		return nil
	}
	if err := m.SLA.runner.Start(ctx); err != nil {
		return fmt.Errorf("sla: start job queue: %w", err)
	}
	m.SLA.started = true
	m.loops.Go(func() { m.SLA.Engine.Run(ctx) })
	return nil
}

// stopSLA stops the job queue (running timers finish; the rest stay in
// the database for the next process) before the store closes.
func (m *Main) stopSLA() error {
	var errs []error
	if m.SLA.runner != nil && m.SLA.started {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := m.SLA.runner.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("sla: stop: %w", err))
		}
	}
	m.SLA.runner, m.SLA.started = nil, false
	if m.SLA.liteDB != nil {
		errs = append(errs, m.SLA.liteDB.Close())
		m.SLA.liteDB = nil
	}
	return errors.Join(errs...)
}

// acceptBy is the confirm deadline of a ticket dispatched at `at` (in its
// assignment notice); zero while the engine is off.
func (m *Main) acceptBy(ctx context.Context, t *backend.Ticket, at time.Time) time.Time {
	if m.SLA.Engine == nil {
		return time.Time{}
	}
	return m.SLA.Engine.AcceptBy(ctx, t, at)
}

// watchers are the people told of a complaint's plan and results (the
// policy's notify.forms); nobody while the engine is off, or when they
// cannot be read (logged: the task goes ahead without them).
func (m *Main) watchers(ctx context.Context, t *backend.Ticket) ([]int64, error) {
	if m.SLA.Engine == nil {
		return nil, nil
	}
	ids, err := m.SLA.Engine.Watchers(ctx, t)
	if err != nil {
		m.Log.Warn("sla: the watchers of a complaint cannot be read; its task goes ahead without telling them", "ticket", t.Number, "err", err)
		return nil, nil
	}
	return ids, nil
}

// changedSLA tells the engine about a committed ticket change.
func (m *Main) changedSLA(t *backend.Ticket) {
	if m.SLA.Engine != nil {
		m.SLA.Engine.Changed(t)
	}
}

// slaCmd is "deskbot sla explain FB-…".
func slaCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "explain" {
		return fmt.Errorf("usage: deskbot sla explain TICKET-NUMBER")
	}
	fs := flag.NewFlagSet("sla explain", flag.ContinueOnError)
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: deskbot sla explain TICKET-NUMBER")
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	return sla.Explain(ctx, store, fs.Arg(0), cfg.Location(), stdout)
}
