package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Platform is the name of the channel in chat accounts and sessions.
const Platform = "telegram"

// Store is the part of backend.Store the channel uses (botkit.ChatStore).
type Store = botkit.ChatStore

// Deps are the channel's collaborators.
type Deps struct {
	Service *backend.Service // required
	Engine  *dialogs.Engine  // required
	Catalog *catalog.Catalog // required
	Files   *botkit.Files    // required: where attachments go
	// Dedup remembers update ids; default: the store (StoreDeduper). Give
	// RedisDeduper when REDIS_URL is set.
	Dedup  Deduper
	Logger *slog.Logger // default: discard
	// Now is the clock; default time.Now.
	Now func() time.Time
	// HTTPClient talks to the Bot API; default a client with a pool sized
	// for Workers.
	HTTPClient *http.Client
	// Console makes the one-time sign-in links that /console sends to
	// staff (backend/web.Console). Nil: /console says the console is off.
	Console MagicLinker
	// ConsoleURL is the console's base URL (PUBLIC_URL), for the link to
	// the full report under /report; empty: no link.
	ConsoleURL string
}

// MagicLinker makes one-time console sign-in links (botkit.MagicLinker).
type MagicLinker = botkit.MagicLinker

// Channel is the Telegram channel. Create it with New, mount its webhook
// with Register, start it with Run, and register it with the outbox
// dispatcher (it is a notify.Sender).
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
	apiBase    string // the Bot API's URL for this bot's methods: …/bot<token>/
	bot        *bot.Bot
	lim        *limiter
	botID      int64
	// triage is the triage group's id: TriageChat, until Telegram says the
	// group became a supergroup with another id.
	triage atomic.Int64
	// moved maps a group's old id to the supergroup it became (int64 →
	// int64), for the teams' groups and the triage group alike.
	moved sync.Map

	// Updates wait in a queue per chat, served by one goroutine per chat
	// while it has any, so a chat's updates are handled in order and no
	// chat waits behind another's; sem bounds how many run at once.
	qmu     sync.Mutex
	queues  map[int64][]*models.Update // a key is present while its chat is served
	closed  bool                       // no more updates are taken in
	served  sync.WaitGroup
	sem     chan struct{}
	work    context.Context // handlers' context: outlives Run's so taken updates finish
	running atomic.Bool
	done    chan struct{} // closed when the workers have drained
	// answered holds the ids of button presses answered in the reply to
	// their webhook delivery, until their update is processed.
	answered sync.Map
	// edits are the messages whose edit was answered already.
	editsMu sync.Mutex
	edits   map[[2]int64]bool

	// me is the bot's username (string), from getMe at start.
	me atomic.Value
	// srcKey signs source links (source.go), read once from the store.
	srcMu  sync.Mutex
	srcKey []byte

	cards   *botkit.Cards
	private *botkit.Cards // the assignee's full card in their private chat
	pings   *botkit.Pings
}

// New builds the channel. It does not talk to Telegram yet.
func New(cfg Config, deps Deps) (*Channel, error) {
	if !cfg.Enabled() {
		return nil, errors.New("telegram: TELEGRAM_BOT_TOKEN is not set")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Service == nil || deps.Engine == nil || deps.Catalog == nil || deps.Files == nil {
		return nil, errors.New("telegram: Deps.Service, Engine, Catalog and Files are required")
	}
	st, ok := deps.Service.Store().(Store)
	if !ok {
		return nil, errors.New("telegram: the store does not support chat messages and keys")
	}
	cfg.defaults()
	c := &Channel{
		cfg: cfg, svc: deps.Service, store: st, engine: deps.Engine, cat: deps.Catalog, files: deps.Files,
		dedup: deps.Dedup, log: deps.Logger, now: deps.Now, http: deps.HTTPClient, console: deps.Console,
		consoleURL: deps.ConsoleURL,
		done:       make(chan struct{}),
		queues:     map[int64][]*models.Update{}, sem: make(chan struct{}, cfg.Workers), work: context.Background(),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("channel", Platform)
	if c.now == nil {
		c.now = time.Now
	}
	if c.dedup == nil {
		c.dedup = StoreDeduper{Store: st, Now: c.now}
	}
	if c.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 4 * cfg.Workers
		tr.MaxIdleConnsPerHost = 2 * cfg.Workers
		tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		c.http = &http.Client{Transport: wholeBodies{tr}, Timeout: cfg.PollTimeout + 15*time.Second}
	}
	c.render = &botkit.Renderer{Cat: c.cat, People: st.Person, Tasks: deps.Service.Store().Task, Location: deps.Service.Location(),
		Similar: deps.Service.SimilarOpenTickets,
		TaskHow: func(loc string, kind backend.TaskKind) string {
			return c.T(loc, botkit.TaskKey(kind, "task.how.telegram"), nil)
		}}
	c.words = botkit.NewWords(c.cat)
	c.cards = &botkit.Cards{Store: st, Platform: Platform, Kind: kindCard, Log: c.log, Edit: c.editCard}
	c.private = &botkit.Cards{Store: st, Platform: Platform, Kind: kindPrivateCard, Log: c.log, Edit: c.editPrivateCard}
	c.pings = &botkit.Pings{Store: st, Clocks: deps.Service.Store(), Platform: Platform, Render: c.render, Log: c.log,
		Locale: c.pingLocale, Close: c.closePing}
	c.lim = newLimiter(cfg.Limits, c.now)
	c.triage.Store(cfg.TriageChat)
	b, err := bot.New(cfg.Token,
		bot.WithServerURL(cfg.APIURL),
		bot.WithSkipGetMe(),
		bot.WithHTTPClient(cfg.PollTimeout, c.http),
		bot.WithDefaultHandler(c.intake),
		bot.WithNotAsyncHandlers(),
		bot.WithWorkers(1),
		bot.WithAllowedUpdates(bot.AllowedUpdates(allowedUpdates)),
		bot.WithErrorsHandler(func(err error) { c.log.Warn("telegram: bot API", "err", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	c.bot = b
	c.botID = b.ID()
	c.apiBase = cfg.APIURL + "/bot" + cfg.Token + "/"
	return c, nil
}

// Bot returns the underlying go-telegram bot (for tests and tools).
func (c *Channel) Bot() *bot.Bot { return c.bot }

// Mode is "poll" or "webhook".
func (c *Channel) Mode() string { return c.cfg.Mode }

// Run serves updates until ctx ends: in poll mode it long-polls
// getUpdates (removing any webhook first); in webhook mode it registers
// WebhookURL if set and serves what the webhook handler receives. On return
// every update taken in has been handled.
func (c *Channel) Run(ctx context.Context) error {
	me, err := c.setUp(ctx)
	if err != nil {
		return err
	}
	c.me.Store(me.Username)
	c.checkTriageChat(ctx)
	c.checkTeamChats(ctx)
	c.log.Info("telegram: running", "bot", me.Username, "mode", c.cfg.Mode, "triage_chat", c.cfg.TriageChat)

	// Handlers outlive ctx so that updates taken in are finished.
	c.qmu.Lock()
	c.work = context.WithoutCancel(ctx)
	c.qmu.Unlock()
	c.running.Store(true)
	if c.cfg.Mode == ModePoll {
		c.bot.Start(ctx) // returns when ctx ends
	} else {
		<-ctx.Done()
	}
	c.running.Store(false)
	c.qmu.Lock()
	c.closed = true
	c.qmu.Unlock()
	c.served.Wait()
	close(c.done)
	return nil
}

// setUp asks who the bot is and registers (webhook) or removes (poll) the
// webhook. Telegram or the network being down at start-up is waited out,
// with backoff up to a minute; a token or URL Telegram refuses is an
// error.
func (c *Channel) setUp(ctx context.Context) (*models.User, error) {
	wait := 500 * time.Millisecond
	for {
		me, err := c.bot.GetMe(ctx)
		if err != nil {
			err = fmt.Errorf("telegram: getMe (is TELEGRAM_BOT_TOKEN right?): %w", err)
		} else if c.cfg.Mode == ModeWebhook && c.cfg.WebhookURL != "" {
			if _, err = c.bot.SetWebhook(ctx, &bot.SetWebhookParams{URL: c.cfg.WebhookURL, SecretToken: c.cfg.WebhookSecret,
				AllowedUpdates: allowedUpdates, MaxConnections: 40}); err != nil {
				err = fmt.Errorf("telegram: setWebhook: %w", err)
			}
		} else if c.cfg.Mode == ModePoll {
			if _, err = c.bot.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil {
				err = fmt.Errorf("telegram: deleteWebhook: %w", err)
			}
		}
		switch {
		case err == nil:
			return me, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, bot.ErrorUnauthorized), errors.Is(err, bot.ErrorNotFound), errors.Is(err, bot.ErrorBadRequest),
			errors.Is(err, bot.ErrorForbidden):
			return nil, err // waiting will not change Telegram's mind
		}
		c.log.Warn("telegram: cannot start yet, will try again", "in", wait, "err", err)
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		wait = min(2*wait, time.Minute)
	}
}

// firstEdit reports whether chat's message id is edited for the first
// time this process has seen (bounded: forgetting costs one more answer).
func (c *Channel) firstEdit(chat int64, id int) bool {
	c.editsMu.Lock()
	defer c.editsMu.Unlock()
	if c.edits == nil || len(c.edits) > 10000 {
		c.edits = map[[2]int64]bool{}
	}
	k := [2]int64{chat, int64(id)}
	if c.edits[k] {
		return false
	}
	c.edits[k] = true
	return true
}

// allowedUpdates are the kinds of update deskbot asks Telegram for.
var allowedUpdates = []string{"message", "edited_message", "callback_query"}

// checkTriageChat asks Telegram about the triage group at start: one that
// became a supergroup is followed to its new id at once (not only at the
// first card), and one the bot cannot reach is logged.
func (c *Channel) checkTriageChat(ctx context.Context) {
	if c.cfg.TriageChat == 0 {
		return
	}
	_, err := c.bot.GetChat(ctx, &bot.GetChatParams{ChatID: c.cfg.TriageChat})
	if _, moved := c.migrated(ctx, err, c.cfg.TriageChat); err != nil && !moved {
		c.log.Warn("telegram: cannot reach the triage group; is the bot in it and TELEGRAM_TRIAGE_CHAT right?",
			"triage_chat", c.cfg.TriageChat, "err", err)
	}
}

// checkTeamChats asks Telegram about every team's own group at start, as
// checkTriageChat does about the triage group: one that became a
// supergroup is followed, and its new id stored; one the bot cannot reach
// is logged. (A team's group set while deskbot runs is checked at the
// next start, or followed at its first refused send.)
func (c *Channel) checkTeamChats(ctx context.Context) {
	teams, err := c.svc.Store().Teams(ctx)
	if err != nil {
		c.log.Warn("telegram: cannot read the teams' groups", "err", err)
		return
	}
	for _, t := range teams {
		chat, err := strconv.ParseInt(t.Chat(Platform), 10, 64)
		if err != nil {
			continue // none on Telegram
		}
		_, err = c.bot.GetChat(ctx, &bot.GetChatParams{ChatID: chat})
		if _, moved := c.migrated(ctx, err, chat); err != nil && !moved {
			c.log.Warn("telegram: cannot reach a team's group; is the bot in it and its id right (deskbot team list)?",
				"team", t.Name, "team_id", t.ID, "chat", chat, "err", err)
		}
	}
}

// intake is go-telegram's handler for every polled update.
func (c *Channel) intake(_ context.Context, _ *bot.Bot, upd *models.Update) {
	if !c.enqueue(upd) {
		c.log.Warn("telegram: update dropped at shutdown", "update_id", upd.ID)
	}
}

// enqueue queues upd behind the other updates of its chat and makes sure
// the chat is being served. It is false when the channel no longer takes
// updates in (shutting down).
func (c *Channel) enqueue(upd *models.Update) bool {
	chat := chatOf(upd)
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.closed {
		return false
	}
	pending, busy := c.queues[chat]
	c.queues[chat] = append(pending, upd)
	if !busy {
		c.served.Add(1)
		go c.serveChat(c.work, chat)
	}
	return true
}

// serveChat handles a chat's updates in order until its queue is empty.
func (c *Channel) serveChat(ctx context.Context, chat int64) {
	defer c.served.Done()
	for {
		c.qmu.Lock()
		q := c.queues[chat]
		if len(q) == 0 {
			delete(c.queues, chat)
			c.qmu.Unlock()
			return
		}
		upd := q[0]
		q[0] = nil
		c.queues[chat] = q[1:]
		c.qmu.Unlock()

		c.sem <- struct{}{}
		c.process(ctx, upd)
		<-c.sem
	}
}

// process handles an update unless it was seen before (a Telegram retry,
// or another replica took it). The de-duplication runs here, in the
// chat's turn, rather than on the intake path, so that its round trip
// does not hold up every other chat.
func (c *Channel) process(ctx context.Context, upd *models.Update) {
	if q := upd.CallbackQuery; q != nil {
		if _, ok := c.answered.LoadAndDelete(q.ID); ok {
			ctx = context.WithValue(ctx, answeredKey{}, q.ID)
		}
	}
	first, err := c.dedup.First(ctx, strconv.FormatInt(c.botID, 10)+":"+strconv.FormatInt(upd.ID, 10), c.cfg.DedupTTL)
	if err != nil {
		// Better twice than never: go on without de-duplication.
		c.log.Warn("telegram: cannot de-duplicate update", "update_id", upd.ID, "err", err)
	} else if !first {
		c.log.Info("telegram: duplicate update dropped", "update_id", upd.ID)
		return
	}
	c.handle(ctx, upd)
}

// chatOf is the chat an update belongs to, for ordering.
func chatOf(upd *models.Update) int64 {
	switch {
	case upd.Message != nil:
		return upd.Message.Chat.ID
	case upd.EditedMessage != nil:
		return upd.EditedMessage.Chat.ID
	case upd.CallbackQuery != nil:
		if m := upd.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		return upd.CallbackQuery.From.ID
	}
	return 0
}

// Register mounts the webhook handler on mux at /telegram/webhook.
func (c *Channel) Register(mux *http.ServeMux) {
	mux.Handle("POST "+WebhookPath, c.WebhookHandler())
}

// WebhookHandler checks the secret header (401 when wrong or missing),
// decodes the update (400 when malformed) and queues it; it answers as soon
// as the update is queued. Updates are de-duplicated by id.
func (c *Channel) WebhookHandler() http.Handler {
	secret := []byte(c.cfg.WebhookSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		if len(secret) == 0 || subtle.ConstantTimeCompare(got, secret) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var upd models.Update
		if err := json.Unmarshal(body, &upd); err != nil || upd.ID == 0 {
			http.Error(w, "malformed update", http.StatusBadRequest)
			return
		}
		q := upd.CallbackQuery
		inReply := q != nil && answeredInReply(q.Data)
		if inReply {
			c.answered.Store(q.ID, struct{}{}) // before its handler can run
		}
		if !c.running.Load() || !c.enqueue(&upd) {
			if inReply {
				c.answered.Delete(q.ID)
			}
			// Not serving (starting or stopping): Telegram will retry.
			http.Error(w, "not running", http.StatusServiceUnavailable)
			return
		}
		if inReply {
			// The spinner on the button stops now, without a call of
			// its own (Telegram runs a method given in the reply).
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]string{"method": "answerCallbackQuery", "callback_query_id": q.ID})
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// answeredKey marks, in a handler's context, the id of a button press
// already answered in the webhook reply.
type answeredKey struct{}

// answeredInReply reports whether a press of a button with data is always
// answered without a text, so that the reply to its webhook delivery can
// answer it: every button but the triage card's (tk:), the rating's (rt:),
// the escalation ping's (sl:) and a task's ✅ (tc:), whose answers may say
// something.
func answeredInReply(data string) bool {
	prefix, _, _ := strings.Cut(data, ":")
	return prefix != "tk" && prefix != "rt" && prefix != "sl" && prefix != "tc"
}

// handle runs one update to the end; a panic is logged, not fatal.
func (c *Channel) handle(ctx context.Context, upd *models.Update) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("telegram: panic handling update", "update_id", upd.ID, "panic", p)
		}
	}()
	switch {
	case upd.Message != nil:
		c.onMessage(ctx, upd.Message)
	case upd.EditedMessage != nil:
		c.onEdited(ctx, upd.EditedMessage)
	case upd.CallbackQuery != nil:
		c.onCallback(ctx, upd.CallbackQuery)
	}
}

// onEdited answers an edited message in a private chat: an answer or a
// comment is taken when it is sent, so the edit changes nothing, and
// the reporter is told how to correct it. Edits in groups are left alone.
func (c *Channel) onEdited(ctx context.Context, m *models.Message) {
	if m.Chat.Type != models.ChatTypePrivate || m.From == nil || m.From.IsBot || (m.Text == "" && m.Caption == "") {
		return // a live location moving is an edit too: nothing to say
	}
	if !c.firstEdit(m.Chat.ID, m.ID) {
		return // said once for this message
	}
	loc := catalog.Normalize(m.From.LanguageCode)
	if p, err := c.reporter(ctx, m.From, m.Chat.ID); err == nil {
		loc = botkit.Locale(p)
	}
	c.reply(ctx, out{chat: m.Chat.ID, text: c.T(loc, "telegram.edited", nil), replyTo: m.ID})
}
