package slack

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Platform is the name of the channel in chat accounts and sessions.
const Platform = "slack"

// Store is the part of backend.Store the channel uses (botkit.ChatStore).
type Store = botkit.ChatStore

// Deps are the channel's collaborators.
type Deps struct {
	Service *backend.Service // required
	Engine  *dialogs.Engine  // required
	Catalog *catalog.Catalog // required
	Files   *botkit.Files    // required: where attachments go
	// Dedup remembers event ids; default: the store (StoreDeduper). Give
	// RedisDeduper when REDIS_URL is set.
	Dedup  Deduper
	Logger *slog.Logger // default: discard
	// Now is the clock; default time.Now.
	Now func() time.Time
	// HTTPClient talks to the Web API; default a pooled client.
	HTTPClient *http.Client
	// Console makes the one-time sign-in links that "/ticket console"
	// shows to staff (backend/web.Console). Nil: the console is off.
	Console MagicLinker
	// ConsoleURL is the console's base URL (PUBLIC_URL), for the link to
	// the full report under "/ticket report"; empty: no link.
	ConsoleURL string
}

// MagicLinker makes one-time console sign-in links (botkit.MagicLinker).
type MagicLinker = botkit.MagicLinker

// Channel is the Slack channel. Create it with New, mount its HTTP
// endpoints with Register (HTTP mode), start it with Run, and register it
// with the outbox dispatcher (it is a notify.Sender).
type Channel struct {
	cfg     Config
	svc     *backend.Service
	store   Store
	engine  *dialogs.Engine
	cat     *catalog.Catalog
	files   *botkit.Files
	render  *botkit.Renderer
	words   *botkit.Words
	console MagicLinker
	// consoleURL is Deps.ConsoleURL.
	consoleURL string
	dedup      Deduper
	log        *slog.Logger
	now        func() time.Time
	http       *http.Client
	api        *slack.Client
	botID      string // the bot's user id, from auth.test

	shards  []chan func(context.Context)
	running atomic.Bool
	stop    chan struct{}
	wg      sync.WaitGroup

	cards *botkit.Cards
	pings *botkit.Pings

	homeMu      sync.Mutex
	homePending map[string]bool // users whose App Home refresh is scheduled
}

// New builds the channel. It does not talk to Slack yet.
func New(cfg Config, deps Deps) (*Channel, error) {
	if !cfg.Enabled() {
		return nil, errors.New("slack: SLACK_BOT_TOKEN is not set")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Service == nil || deps.Engine == nil || deps.Catalog == nil || deps.Files == nil {
		return nil, errors.New("slack: Deps.Service, Engine, Catalog and Files are required")
	}
	st, ok := deps.Service.Store().(Store)
	if !ok {
		return nil, errors.New("slack: the store does not support chat messages and keys")
	}
	cfg.defaults()
	c := &Channel{
		cfg: cfg, svc: deps.Service, store: st, engine: deps.Engine, cat: deps.Catalog, files: deps.Files,
		dedup: deps.Dedup, log: deps.Logger, now: deps.Now, http: deps.HTTPClient, console: deps.Console,
		consoleURL: deps.ConsoleURL,
		stop:       make(chan struct{}), homePending: map[string]bool{},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("channel", Platform)
	if c.now == nil {
		c.now = time.Now
	}
	if c.dedup == nil {
		c.dedup = StoreDeduper{Store: st, Prefix: "slack:", Now: c.now}
	}
	if c.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 4 * cfg.Workers
		tr.MaxIdleConnsPerHost = 2 * cfg.Workers
		c.http = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	}
	c.render = &botkit.Renderer{Cat: c.cat, People: st.Person, Tasks: deps.Service.Store().Task, Location: deps.Service.Location(),
		Similar: deps.Service.SimilarOpenTickets,
		TaskHow: func(loc string, kind backend.TaskKind) string {
			return c.T(loc, botkit.TaskKey(kind, "task.how.slack"), map[string]any{"Command": c.cfg.Command})
		}}
	c.words = botkit.NewWords(c.cat)
	c.pings = &botkit.Pings{Store: st, Clocks: deps.Service.Store(), Platform: Platform, Render: c.render, Log: c.log,
		// A ping's DM channel does not name its person: the triage language.
		Locale: func(context.Context, *backend.ChatMessage) string { return c.cfg.TriageLocale },
		Close: func(ctx context.Context, cm *backend.ChatMessage, text string) {
			c.update(ctx, cm.ChatID, cm.MessageID, text, []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)})
		}}
	// Never Off: without SLACK_TRIAGE_CHANNEL, cards may be in the teams'
	// own channels.
	c.cards = &botkit.Cards{Store: st, Platform: Platform, Kind: kindCard, Log: c.log, Edit: c.editCard}
	opts := []slack.Option{slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(c.http)}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	c.api = slack.New(cfg.BotToken, opts...)
	c.shards = make([]chan func(context.Context), cfg.Workers)
	for i := range c.shards {
		c.shards[i] = make(chan func(context.Context), 256)
	}
	return c, nil
}

// API returns the slack-go client (for tests and tools).
func (c *Channel) API() *slack.Client { return c.api }

// Mode is "socket" or "http".
func (c *Channel) Mode() string { return c.cfg.Mode() }

// Run serves requests until ctx ends: it checks the token (auth.test),
// starts the workers, and in Socket Mode keeps the websocket open. On
// return every request taken in has been handled.
func (c *Channel) Run(ctx context.Context) error {
	auth, err := c.api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("slack: auth.test (is SLACK_BOT_TOKEN right?): %w", err)
	}
	c.botID = auth.UserID
	work := context.WithoutCancel(ctx)
	for _, q := range c.shards {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.serveShard(ctx, work, q)
		}()
	}
	c.running.Store(true)
	c.log.Info("slack: running", "bot", auth.User, "mode", c.cfg.Mode(), "triage_channel", c.cfg.TriageChannel)
	if c.cfg.Mode() == ModeSocket {
		c.runSocket(ctx)
	} else {
		<-ctx.Done()
	}
	c.running.Store(false)
	c.wg.Wait()
	c.closeQueues()
	return nil
}

// Ready reports whether Run has started serving.
func (c *Channel) Ready() bool { return c.running.Load() }

func (c *Channel) serveShard(ctx, work context.Context, q chan func(context.Context)) {
	run := func(fn func(context.Context)) {
		hctx, cancel := context.WithTimeout(work, time.Minute)
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				c.log.Error("slack: panic handling a request", "panic", p)
			}
		}()
		fn(hctx)
	}
	for {
		select {
		case fn := <-q:
			run(fn)
		case <-ctx.Done():
			for {
				select {
				case fn := <-q:
					run(fn)
				default:
					return
				}
			}
		}
	}
}

// later queues work to run after the request is answered, in order with
// the other work of the same key (a user or a channel).
func (c *Channel) later(key string, fn func(ctx context.Context)) {
	h := fnv.New32a()
	h.Write([]byte(key))
	q := c.shards[int(h.Sum32()%uint32(len(c.shards)))]
	select {
	case q <- fn:
	case <-c.stop:
		c.log.Warn("slack: work dropped at shutdown", "key", key)
	}
}

// runSocket keeps a Socket Mode connection and handles its requests; each
// request is acknowledged by its handler.
func (c *Channel) runSocket(ctx context.Context) {
	smc := socketmode.New(c.api, socketmode.OptionLog(slogPrinter{c.log}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-smc.Events:
				c.onSocketEvent(ctx, smc, evt)
			}
		}
	}()
	if err := smc.RunContext(ctx); err != nil && ctx.Err() == nil {
		c.log.Error("slack: socket mode stopped", "err", err)
	}
	<-done
}

type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Output(_ int, s string) error {
	p.log.Debug("slack: socketmode", "msg", s)
	return nil
}

func (c *Channel) onSocketEvent(ctx context.Context, smc *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		c.log.Info("slack: socket mode connected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		c.log.Warn("slack: socket mode connection", "type", evt.Type)
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive, socketmode.EventTypeSlashCommand:
		req := evt.Request
		if req == nil {
			return
		}
		ack := func(payload any) {
			if err := smc.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
				c.log.Warn("slack: ack failed", "envelope", req.EnvelopeID, "err", err)
			}
		}
		switch data := evt.Data.(type) {
		case slack.InteractionCallback:
			// A modal's answer may wait for its filing: never hold up the
			// next envelope.
			go func() { ack(c.onInteraction(ctx, data)) }()
		case slack.SlashCommand:
			go func() { ack(c.onCommand(ctx, data)) }()
		default:
			// Messages are only de-duplicated and queued here, in the order
			// they came, so two quick DMs (a file, then "完成") are handled
			// in that order.
			if raw := req.Payload; len(raw) > 0 {
				c.onEventPayload(ctx, raw, req.RetryAttempt)
			}
			ack(nil)
		}
	}
}

// closeQueues makes later drop work once the workers are gone.
func (c *Channel) closeQueues() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
}
