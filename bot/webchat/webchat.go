package webchat

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/web"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Platform is the chat platform name of web reporters' accounts.
const Platform = "web"

//go:embed templates/*.html
var templateFS embed.FS

// Config holds the chat's dependencies; zero optional fields take defaults.
type Config struct {
	Service *backend.Service // required
	Engine  *dialogs.Engine  // required; its Filer is a botkit.Filer
	Files   *botkit.Files    // required: where uploads go
	Catalog *catalog.Catalog // required
	Auth    *web.Auth        // required: signs the reporter cookie
	Hub     *web.Hub         // required: ServiceConfig.Changed must call Hub.Changed
	// Forms are the intake forms offered on the start page. Default
	// feedback, suggestion, complaint.
	Forms []string
	// Redis, when set, keeps each chat page's history (the bubbles a
	// reload shows) and each visitor's upload count for every replica,
	// under RedisPrefix; nil keeps them in this process.
	Redis       redis.Cmdable
	RedisPrefix string
	// UploadsPerMinute is how many files one visitor may send per minute
	// (counted in Redis for all replicas with Redis set, else in this
	// process). Default 10.
	UploadsPerMinute int
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// ReceiptWait is how long the reporter's receipt for a ticket filed
	// through the dialog waits for the dialog's own answer to be recorded
	// before it goes out anyway (botkit.DialogReceipt). Default
	// botkit.ReceiptWait (5 s).
	ReceiptWait time.Duration
	// Logger; default discards.
	Logger *slog.Logger
}

// transcriptLen is how many bubbles a chat page keeps; transcriptTTL how
// long a page's history in Redis outlives its last bubble.
const (
	transcriptLen = 100
	transcriptTTL = 7 * 24 * time.Hour
)

// Chat serves /chat and delivers "web" notices.
type Chat struct {
	cfg    Config
	svc    *backend.Service
	cat    *catalog.Catalog
	auth   *web.Auth
	hub    *web.Hub
	pages  *web.Pages
	render *botkit.Renderer
	words  *botkit.Words
	logs   transcriptStore
	limit  *uploadLimit
	log    *slog.Logger
}

// New returns the chat.
func New(cfg Config) (*Chat, error) {
	if cfg.Service == nil || cfg.Engine == nil || cfg.Files == nil || cfg.Catalog == nil || cfg.Auth == nil || cfg.Hub == nil {
		return nil, errors.New("webchat: Service, Engine, Files, Catalog, Auth and Hub are required")
	}
	if len(cfg.Forms) == 0 {
		cfg.Forms = []string{"feedback", "suggestion", "complaint"}
	}
	if cfg.UploadsPerMinute <= 0 {
		cfg.UploadsPerMinute = 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	pages, err := web.ParsePages(templateFS, web.Funcs(cfg.Catalog), []string{"templates/layout.html"},
		[]string{"templates/chat.html", "templates/ticket.html", "templates/notfound.html"}, cfg.Logger)
	if err != nil {
		return nil, err
	}
	store := cfg.Service.Store()
	var logs transcriptStore = newTranscripts(transcriptLen, 10000)
	limit := &uploadLimit{max: cfg.UploadsPerMinute, log: cfg.Logger}
	if cfg.Redis != nil {
		logs = &redisTranscripts{rdb: cfg.Redis, prefix: cfg.RedisPrefix + "webchat:log:", perUser: transcriptLen, ttl: transcriptTTL, log: cfg.Logger}
		limit.shared = &web.RedisFailures{Client: cfg.Redis, Prefix: cfg.RedisPrefix + "webchat:uploads:", Window: uploadWindow}
	}
	return &Chat{
		cfg: cfg, svc: cfg.Service, cat: cfg.Catalog, auth: cfg.Auth, hub: cfg.Hub, pages: pages,
		render: &botkit.Renderer{Cat: cfg.Catalog, People: store.Person, Tasks: store.Task, Location: cfg.Service.Location()}, words: botkit.NewWords(cfg.Catalog),
		logs: logs, limit: limit, log: cfg.Logger,
	}, nil
}

// Register adds the chat's routes to mux.
func (c *Chat) Register(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	h := func(pattern string, fn http.HandlerFunc) {
		mux.Handle(pattern, web.SecurityHeaders(cop.Handler(fn)))
	}
	mux.Handle("GET /chat/static/", web.StaticHandler("/chat/static/"))
	h("GET /chat", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/chat/", http.StatusSeeOther) })
	h("GET /chat/{$}", c.visitor(c.page))
	h("GET /chat/log", c.visitor(c.logFragment))
	h("GET /chat/events", c.visitor(c.events))
	h("POST /chat/say", c.visitor(c.say))
	h("POST /chat/lang", c.visitor(c.lang))
	h("GET /chat/t/{number}", c.visitor(c.ticket))
	h("GET /chat/t/{number}/live", c.visitor(c.ticketLive))
	h("GET /chat/t/{number}/events", c.visitor(c.ticketEvents))
	h("GET /chat/t/{number}/files/{sum}", c.visitor(c.file))
	h("POST /chat/t/{number}/comment", c.visitor(c.comment))
	h("POST /chat/t/{number}/rate", c.visitor(c.rate))
	h("POST /chat/t/{number}/confirm", c.visitor(c.confirm))
}

// --- the visitor: cookie, CSRF, person ---

const (
	userCookie   = "deskbot_chat"
	langCookie   = "deskbot_chat_lang"
	purposeUser  = "chat-user"
	purposeCSRF  = "chat-csrf"
	cookieMaxAge = 365 * 24 * time.Hour
)

// visitor is one request of a chat page.
type visitor struct {
	ID     string          // random, from the signed cookie
	Person *backend.Person // nil until the reporter did something
	Loc    string
	CSRF   string
	Zone   *time.Location
}

// Key is the dialog session of the visitor.
func (v *visitor) Key() dialogs.SessionKey {
	return dialogs.SessionKey{Platform: Platform, ChatID: v.ID, UserID: v.ID}
}

// visitor wraps a handler: it reads (or, on a GET, issues) the signed
// reporter cookie, checks the CSRF token on POSTs, and loads the person
// if the reporter has one already.
func (c *Chat) visitor(next func(http.ResponseWriter, *http.Request, *visitor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := &visitor{Zone: c.svc.Location()}
		if ck, err := r.Cookie(userCookie); err == nil {
			if id, ok := c.auth.Verify(purposeUser, ck.Value); ok && id != "" {
				v.ID = id
			}
		}
		if v.ID == "" {
			if r.Method != http.MethodGet {
				http.Error(w, c.cat.T(acceptLocale(r), "web.err.csrf", nil), http.StatusForbidden)
				return
			}
			v.ID = web.RandomToken(16)
			web.SetCookie(w, r, userCookie, c.auth.Sign(purposeUser, v.ID), "/chat/", cookieMaxAge)
		}
		v.CSRF = c.auth.MAC(purposeCSRF, v.ID)
		if r.Method == http.MethodPost {
			// Bound the body before anything reads it (the token may be a
			// form field): a file may be at most Files.MaxSize.
			r.Body = http.MaxBytesReader(w, r.Body, c.cfg.Files.MaxSize()+uploadSlack)
		}
		if r.Method == http.MethodPost && !web.Equal(web.RequestToken(r), v.CSRF) {
			c.log.Warn("webchat: CSRF token missing or wrong", "path", r.URL.Path)
			http.Error(w, c.cat.T(acceptLocale(r), "web.err.csrf", nil), http.StatusForbidden)
			return
		}
		p, err := c.svc.Store().PersonByAccount(r.Context(), Platform, v.ID)
		switch {
		case err == nil:
			v.Person = p
		case backend.ErrorCode(err) != backend.ENOTFOUND:
			c.fail(w, r, v, err)
			return
		}
		v.Loc = c.locale(r, v.Person)
		next(w, r, v)
	}
}

// locale: the language chosen on the page, else the reporter's, else the
// browser's.
func (c *Chat) locale(r *http.Request, p *backend.Person) string {
	if ck, err := r.Cookie(langCookie); err == nil && (ck.Value == catalog.En || ck.Value == catalog.ZhCN) {
		return ck.Value
	}
	if p != nil && p.Locale != "" {
		return catalog.Normalize(p.Locale)
	}
	return acceptLocale(r)
}

func acceptLocale(r *http.Request) string {
	al := r.Header.Get("Accept-Language")
	if i := strings.IndexAny(al, ",;"); i >= 0 {
		al = al[:i]
	}
	return catalog.Normalize(strings.TrimSpace(al))
}

// reporter returns the visitor's person, creating the reporter on first use.
func (c *Chat) reporter(ctx context.Context, v *visitor) (*backend.Person, error) {
	if v.Person != nil {
		return v.Person, nil
	}
	p, err := c.svc.ReporterFor(ctx, backend.ChatAccount{Platform: Platform, UserID: v.ID, ChatID: v.ID},
		c.cat.T(v.Loc, "web.chat.anonymous", nil), v.Loc)
	if err != nil {
		return nil, err
	}
	v.Person = p
	return p, nil
}

// fail shows err: 404 for anything the reporter may not see, so that
// ticket numbers do not leak; internal errors are logged.
func (c *Chat) fail(w http.ResponseWriter, r *http.Request, v *visitor, err error) {
	status := web.StatusOf(err)
	if status == http.StatusForbidden {
		status = http.StatusNotFound
	}
	if status == http.StatusInternalServerError {
		c.log.Error("webchat: internal error", "path", r.URL.Path, "err", err)
	}
	loc := catalog.ZhCN
	if v != nil {
		loc = v.Loc
	}
	msg := web.ErrorText(c.cat, loc, err)
	if status == http.StatusNotFound {
		msg = c.cat.T(loc, "web.chat.not_found", nil)
	}
	c.pages.Render(w, status, "notfound", "page", map[string]any{"Loc": loc, "V": v, "Title": c.cat.T(loc, "web.chat.title", nil), "Message": msg})
}

func (c *Chat) lang(w http.ResponseWriter, r *http.Request, v *visitor) {
	loc := r.PostFormValue("lang")
	if loc != catalog.En && loc != catalog.ZhCN {
		loc = catalog.ZhCN
	}
	web.SetCookie(w, r, langCookie, loc, "/chat/", cookieMaxAge)
	if v.Person != nil && v.Person.Locale != loc {
		v.Person.Locale = loc
		if err := c.svc.Store().UpdatePerson(r.Context(), v.Person); err != nil {
			c.fail(w, r, v, err)
			return
		}
	}
	back := "/chat/"
	if u, err := url.Parse(r.Referer()); err == nil && u.Host == r.Host && strings.HasPrefix(u.Path, "/chat/") {
		back = u.RequestURI()
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// --- notify.Sender ---

var _ notify.Sender = (*Chat)(nil)

// Platform implements notify.Sender.
func (c *Chat) Platform() string { return Platform }

// Send implements notify.Sender: the notice is added to the reporter's
// chat page and every open page of theirs is woken; a reporter who is not
// looking sees it on their next visit. It fails only when the page's
// history cannot be written (Redis unreachable): the outbox then tries
// again, so the notice is not lost.
func (c *Chat) Send(ctx context.Context, m notify.Message) error {
	id := m.Account.UserID
	if id == "" {
		return &notify.PermanentError{Err: errors.New("webchat: no web account")}
	}
	// Filed through the chat's dialog, whose 已提交 said so and links to
	// the ticket: the receipt would say it again.
	if skip, err := botkit.DialogReceipt(m, Platform, c.cfg.Now(), c.cfg.ReceiptWait, func() (bool, error) {
		said, err := c.svc.Store().ChatMessagesOf(ctx, m.Ticket.ID, Platform, kindFiled)
		return len(said) > 0, err
	}); skip || err != nil {
		return err
	}
	e := entry{Kind: "notice", Text: c.render.Notice(ctx, m), Number: m.Ticket.Number, At: c.cfg.Now()}
	if m.Outbox.Audience == backend.AudiencePerson && m.Event.Kind == backend.EventIncidentUpdate {
		e.Number = "" // an incident they joined, carried by someone else's ticket
	}
	t := m.Ticket
	if m.Outbox.Audience == backend.AudienceReporter && m.Event.Kind == backend.EventStatusChanged &&
		m.Event.Data.To == backend.StatusResolved && t.Status == backend.StatusResolved && t.Satisfaction == backend.SatisfactionNone {
		// "请评价本次处理": the answer is a button away, as on the ticket page.
		e.Buttons = c.ratingButtons(botkit.Locale(m.Recipient), t.Number)
	}
	if m.Outbox.Audience == backend.AudienceReporter && m.Event.Kind == backend.EventStatusChanged &&
		m.Event.Data.To == backend.StatusPendingConfirmation && t.Status == backend.StatusPendingConfirmation {
		e.Buttons = c.confirmButtons(botkit.Locale(m.Recipient), t.Number)
	}
	if err := c.logs.add(ctx, id, e); err != nil {
		return err // not on the page: the outbox tries again
	}
	c.hub.Publish(userTopic(id))
	return nil
}

// SendNotice implements botkit.NoticeSender: the dialog's notice (its form
// expired) is added to the chat page, as its answers are, and every open
// page of the reporter's is woken.
func (c *Chat) SendNotice(ctx context.Context, n dialogs.Notice) error {
	now := c.cfg.Now()
	es := make([]entry, 0, len(n.Out.Replies))
	for _, rep := range n.Out.Replies {
		es = append(es, entry{Kind: "bot", Text: rep.Text, Buttons: rep.Buttons, ExpectFile: rep.ExpectFile, At: now})
	}
	if err := c.logs.add(ctx, n.Key.UserID, es...); err != nil {
		return err
	}
	c.hub.Publish(userTopic(n.Key.UserID))
	return nil
}

func userTopic(id string) string { return "web:" + id }
