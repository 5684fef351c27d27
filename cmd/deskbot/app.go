package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/httpapi"
	"github.com/deskbot/deskbot/backend/metrics"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/postgres"
	"github.com/deskbot/deskbot/backend/reportsend"
	"github.com/deskbot/deskbot/backend/sqlite"
	"github.com/deskbot/deskbot/backend/web"
	"github.com/deskbot/deskbot/backend/webhook"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/bot/email"
	slackbot "github.com/deskbot/deskbot/bot/slack"
	"github.com/deskbot/deskbot/bot/telegram"
	"github.com/deskbot/deskbot/bot/webchat"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Main is the running program: Run wires and starts everything, Close stops
// it in a fixed order. End-to-end tests drive the real program through it.
type Main struct {
	Config Config
	Log    *slog.Logger

	Store      backend.Store
	Service    *backend.Service
	Redis      *redis.Client // nil without REDIS_URL
	RedisHot   redis.Cmdable // the per-update commands (sessions, de-duplication), auto-pipelined; nil without REDIS_URL
	Catalog    *catalog.Catalog
	Dialogs    *dialogs.Engine
	Files      *botkit.Files
	Dispatcher *notify.Dispatcher
	Hub        *web.Hub               // wakes open console and chat pages
	Console    *web.Console           // /console
	Chat       *webchat.Chat          // /chat, and the "web" notice sender
	Telegram   *telegram.Channel      // nil without TELEGRAM_BOT_TOKEN
	Slack      *slackbot.Channel      // nil without SLACK_BOT_TOKEN
	SLA        slaParts               // routing, deadlines and escalation (sla.go)
	Reports    *reportsend.Dispatcher // weekly and monthly reports to subscribers (reports.go)
	mail       *email.Sender          // nil without SMTP_URL
	Metrics    *metrics.Metrics       // /metrics

	cancel context.CancelFunc // stops the background loops
	loops  sync.WaitGroup

	ln     net.Listener
	server *http.Server
	served chan error
}

// NewMain returns a program for cfg; nothing is opened yet.
func NewMain(cfg Config, log *slog.Logger) *Main {
	return &Main{Config: cfg, Log: log}
}

// openService opens the store (openStore) and a service on it for a
// command; the caller closes the service's store.
func openService(ctx context.Context, cfg Config, log *slog.Logger) (*backend.Service, error) {
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	return backend.NewService(store, backend.ServiceConfig{Location: cfg.Location()}), nil
}

// openStore opens the configured database and applies migrations.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (backend.Store, error) {
	if cfg.DatabaseURL != "" {
		s, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		s.Webhook = cfg.WebhookURL != ""
		if err := untilUp(ctx, log, cfg.StartTimeout, "postgres", databaseDown, s.Migrate); err != nil {
			s.Close()
			return nil, fmt.Errorf("migrate postgres: %w", err)
		}
		log.Info("database: postgres")
		return s, nil
	}
	s, err := sqlite.Open(ctx, cfg.SQLitePath())
	if err != nil {
		return nil, fmt.Errorf("DESKBOT_DATA: %w", err)
	}
	s.Webhook = cfg.WebhookURL != ""
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate sqlite: %w", err)
	}
	log.Info("database: embedded SQLite", "path", cfg.SQLitePath())
	return s, nil
}

// exclusive runs fn alone among the replicas that share the Postgres
// database (an advisory lock), for what must happen once at start-up. On
// SQLite one process owns the file, and fn just runs.
func (m *Main) exclusive(ctx context.Context, name string, fn func(context.Context) error) error {
	if s, ok := m.Store.(*postgres.Store); ok {
		return s.Exclusive(ctx, name, fn)
	}
	return fn(ctx)
}

// Run opens the database (migrating it), builds the service, the dialogs
// and the channels, and starts the HTTP server and the outbox dispatcher.
// It returns once everything is listening.
func (m *Main) Run(ctx context.Context) error {
	store, err := openStore(ctx, m.Config, m.Log)
	if err != nil {
		return err
	}
	m.Store = store
	m.Hub = web.NewHub()
	m.Metrics = metrics.New()
	if err := m.openRouting(ctx); err != nil {
		return err
	}
	m.Service = backend.NewService(store, backend.ServiceConfig{
		Route:             m.route,
		Location:          m.Config.Location(),
		TriagePlatforms:   m.Config.TriagePlatforms(),
		NoTriage:          len(m.Config.TriagePlatforms()) == 0,
		TeamChatPlatforms: m.Config.ChatPlatforms(),
		Changed:           m.changed,
		AcceptBy:          m.acceptBy,
		Watchers:          m.watchers,
	})
	if err := m.openRedis(ctx); err != nil {
		return err
	}
	if err := m.openDialogs(); err != nil {
		return err
	}
	m.Dispatcher = notify.New(store, notify.Config{Logger: m.Log.With("component", "outbox"), Observe: m.Metrics.Delivered})
	if u := m.Config.WebhookURL; u != "" {
		m.Dispatcher.Register(&webhook.Sender{URL: u, Secret: m.Config.WebhookSecret}, false)
		host := u // the log names the host only: the path may hold a token
		if pu, err := url.Parse(u); err == nil {
			host = pu.Scheme + "://" + pu.Host
		}
		m.Log.Info("webhook: every ticket event is posted, signed", "to", host)
	}
	if err := m.openSLA(ctx); err != nil {
		return err
	}

	// Listen before the channels are built: links they send name the
	// address actually bound when PUBLIC_URL is not set.
	ln, err := net.Listen("tcp", m.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	m.ln = ln
	if m.Config.PublicURL == "" {
		m.Config.PublicURL = m.URL()
	}
	mux := http.NewServeMux()
	httpapi.New(m.Service, httpapi.Config{Files: m.Files, Logger: m.Log}).Register(mux)
	mux.Handle("GET /metrics", m.Metrics.Handler(m.Config.MetricsToken))
	if err := m.openChannels(ctx, mux); err != nil {
		return err
	}
	m.openReports()
	m.server = &http.Server{
		Handler:           m.Metrics.Instrument(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	m.server.RegisterOnShutdown(m.Hub.Close) // open event streams end at shutdown
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(ln) }()

	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	if m.Redis != nil {
		// Live pages follow changes made by any replica.
		wait, err := m.Hub.Relay(loopCtx, m.Redis, m.Config.RedisPrefix+"hub", m.Log.With("component", "hub"))
		if err != nil {
			return err
		}
		m.loops.Go(wait) // Close waits for it before closing Redis
	}
	m.loops.Go(func() { m.Dispatcher.Run(loopCtx) })
	m.loops.Go(func() { m.Reports.Run(loopCtx) })
	m.loops.Go(func() { m.remindTasks(loopCtx) })
	m.loops.Go(func() { m.syncProgress(loopCtx) })
	m.loops.Go(func() { m.remindFollowUps(loopCtx) })
	m.loops.Go(func() { m.sweepFiles(loopCtx) })
	m.loops.Go(func() { m.SLA.Router.Run(loopCtx, time.Minute) }) // teams created while running get their tickets
	m.startChannels(loopCtx)
	if err := m.startSLA(loopCtx); err != nil {
		return err
	}
	m.Log.Info("deskbot is running", "api", m.URL()+"/api/v1/tickets", "health", m.URL()+"/healthz")
	return nil
}

// changed is called after every committed ticket change: the outbox has
// something new.
func (m *Main) changed(t *backend.Ticket) {
	m.Metrics.TicketChanged(t)
	if m.Hub != nil {
		m.Hub.Changed(t)
	}
	if m.Telegram != nil {
		m.Telegram.TicketChanged(t) // edits the triage card after changes made elsewhere
	}
	if m.Slack != nil {
		m.Slack.TicketChanged(t) // updates the Slack triage card in place
	}
	m.changedSLA(t)
	if m.Dispatcher != nil {
		m.Dispatcher.Wake()
	}
}

// openRedis connects to REDIS_URL when it is set.
func (m *Main) openRedis(ctx context.Context) error {
	if m.Config.RedisURL == "" {
		m.Log.Info("sessions: in-process (set REDIS_URL to share them between replicas)")
		return nil
	}
	opt, err := redis.ParseURL(m.Config.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	m.Redis = redis.NewClient(opt)
	ping := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return m.Redis.Ping(ctx).Err()
	}
	if err := untilUp(ctx, m.Log, m.Config.StartTimeout, "redis", redisDown, ping); err != nil {
		return fmt.Errorf("REDIS_URL: cannot reach %s: %w", opt.Addr, err)
	}
	// Closing m.Redis closes the pipeliner too.
	if m.RedisHot, err = m.Redis.AutoPipeline(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	m.Log.Info("sessions: redis", "addr", opt.Addr)
	return nil
}

// openDialogs loads the catalogs and forms (embedded, plus FORMS_DIR) and
// builds the dialog engine with its session store and the ticket filer.
func (m *Main) openDialogs() error {
	var opts []catalog.Option
	if m.Config.FormsDir != "" {
		opts = append(opts, catalog.WithMessages(os.DirFS(m.Config.FormsDir)))
	}
	cat, err := catalog.New(opts...)
	if err != nil {
		return fmt.Errorf("FORMS_DIR: %w", err)
	}
	m.Catalog = cat
	forms, err := dialogs.LoadForms(cat, m.Config.FormsDir)
	if err != nil {
		return fmt.Errorf("FORMS_DIR: %w", err)
	}
	files, err := botkit.NewFiles(filepath.Join(m.Config.DataDir, "attachments"), 0, nil)
	if err != nil {
		return fmt.Errorf("DESKBOT_DATA: %w", err)
	}
	m.Files = files
	var sessions dialogs.SessionStore = dialogs.NewMemoryStore(nil, m.Config.DialogIdle)
	if m.Redis != nil {
		sessions = dialogs.NewRedisStore(m.RedisHot, m.Config.RedisPrefix+"dialog:", m.Config.DialogIdle)
	}
	m.Dialogs, err = dialogs.NewEngine(dialogs.Config{
		Forms: forms, Sessions: sessions, Catalog: cat,
		Filer: &botkit.Filer{Service: m.Service, Files: files, Cat: cat},
		// One engine serves every channel (web chat, Telegram, Slack), so
		// all of them offer the knowledge base's answers after the summary.
		Suggester: &botkit.Suggester{Service: m.Service},
		// And the complaint form finds the caller in the customer directory.
		Directory: &botkit.Directory{Service: m.Service},
		Location:  m.Config.Location(),
		Logger:    m.Log.With("component", "dialogs"),
	})
	return err
}

// URL is the base URL the server listens on.
func (m *Main) URL() string {
	if m.ln == nil {
		return ""
	}
	addr := m.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// Close stops accepting requests, lets in-flight ones finish (up to 20 s),
// stops the channels and the dispatcher, then closes Redis and the
// database. Unsent outbox rows stay for the next process.
func (m *Main) Close() error {
	var errs []error
	m.stopChannels()
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := m.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("http: %w", err))
		}
		m.server = nil
	} else if m.ln != nil { // Run failed between Listen and Serve
		m.ln.Close()
	}
	m.ln = nil
	if err := m.stopSLA(); err != nil { // timers left wait in the database
		errs = append(errs, err)
	}
	if m.cancel != nil {
		m.cancel()
		m.loops.Wait()
		m.cancel = nil
	}
	if m.Redis != nil {
		if err := m.Redis.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close redis: %w", err))
		}
		m.Redis, m.RedisHot = nil, nil
	}
	if m.Store != nil {
		if err := m.Store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
		m.Store = nil
	}
	return errors.Join(errs...)
}
