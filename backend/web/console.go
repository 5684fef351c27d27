package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// Files opens stored attachments by content hash; bot/botkit.Files
// implements it.
type Files interface {
	Open(sum string) (*os.File, error)
}

// Config holds the console's dependencies; the zero values of the
// optional fields take the defaults.
type Config struct {
	Service *backend.Service // required
	Auth    *Auth            // required
	Hub     *Hub             // required; ServiceConfig.Changed must call Hub.Changed
	Text    Translator       // required: the dialogs catalog
	Files   Files            // required: the attachment store
	// BaseURL is the public address of the server, for magic links.
	// Default http://localhost:8080.
	BaseURL string
	// Now is the clock (queues of tickets about to breach). Default time.Now.
	Now func() time.Time
	// SLA says the SLA engine keeps clocks for every ticket (cmd/deskbot
	// always runs it): the "about to breach" queue then reads only the
	// clocks. Without it, tickets that have no clocks fall back to the
	// fixed rule (unclaimed P1 after 1 h, P2 after 2 h).
	SLA bool
	// TeamChats are the platforms on which the Teams page lets an admin
	// give a team its own triage chat, in the order shown. None: the page
	// shows no chats.
	TeamChats []TeamChat
	// Logger; default discards.
	Logger *slog.Logger
}

// Console serves /console.
type Console struct {
	cfg   Config
	svc   *backend.Service
	auth  *Auth
	tr    Translator
	pages *Pages
	log   *slog.Logger
}

// New returns the console.
func New(cfg Config) (*Console, error) {
	if cfg.Service == nil || cfg.Auth == nil || cfg.Hub == nil || cfg.Text == nil || cfg.Files == nil {
		return nil, errors.New("web: Service, Auth, Hub, Text and Files are required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://localhost:8080"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	pages, err := ParsePages(templateFS, Funcs(cfg.Text), []string{"templates/layout.html"},
		[]string{"templates/login.html", "templates/magic.html", "templates/queue.html", "templates/ticket.html", "templates/error.html",
			"templates/followups.html", "templates/followup.html", "templates/reports.html", "templates/kb.html", "templates/kbentry.html",
			"templates/complaintreport.html", "templates/tasks.html", "templates/people.html", "templates/teams.html", "templates/customers.html"}, cfg.Logger)
	if err != nil {
		return nil, err
	}
	return &Console{cfg: cfg, svc: cfg.Service, auth: cfg.Auth, tr: cfg.Text, pages: pages, log: cfg.Logger}, nil
}

// CreateMagicLink returns a one-time sign-in URL for a staff member (the
// chat /console command sends it). EFORBIDDEN for a non-staff person.
func (c *Console) CreateMagicLink(ctx context.Context, personID int64) (string, error) {
	token, err := c.auth.NewMagicLink(ctx, personID)
	if err != nil {
		return "", err
	}
	return c.cfg.BaseURL + "/console/magic/" + token, nil
}

// CreateTicketLink returns a one-time sign-in URL that opens the
// ticket's page once signed in (an escalation ping's Open button).
func (c *Console) CreateTicketLink(ctx context.Context, personID int64, number string) (string, error) {
	link, err := c.CreateMagicLink(ctx, personID)
	if err != nil {
		return "", err
	}
	return link + "?" + url.Values{"next": {ticketPath(number)}}.Encode(), nil
}

func ticketPath(number string) string { return "/console/t/" + url.PathEscape(number) }

// URL is the console's address.
func (c *Console) URL() string { return c.cfg.BaseURL + "/console/" }

// Register adds the console's routes to mux. Every route checks the
// origin of state-changing requests (http.CrossOriginProtection) and sets
// the security headers; signed-in routes also check the CSRF token.
func (c *Console) Register(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	h := func(pattern string, fn http.HandlerFunc) {
		mux.Handle(pattern, SecurityHeaders(cop.Handler(fn)))
	}
	mux.Handle("GET /console/static/", StaticHandler("/console/static/"))
	h("GET /console", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/console/", http.StatusSeeOther) })
	h("GET /console/login", c.loginPage)
	h("POST /console/login", c.login)
	h("GET /console/magic/{token}", c.magicPage)
	h("POST /console/magic/{token}", c.magic)
	h("POST /console/logout", c.staff(c.logout))
	h("POST /console/lang", c.staff(c.lang))
	h("GET /console/{$}", c.staff(c.queue))
	h("POST /console/search", c.staff(c.search))
	h("GET /console/events", c.staff(c.queueEvents))
	h("GET /console/t/{number}", c.staff(c.ticket))
	h("GET /console/t/{number}/live", c.staff(c.ticketLive))
	h("GET /console/t/{number}/events", c.staff(c.ticketEvents))
	h("GET /console/t/{number}/files/{sum}", c.staff(c.file))
	h("POST /console/t/{number}/{action}", c.staff(c.act))
	h("GET /console/t/{number}/complaint/report", c.staff(c.complaintReport))
	h("POST /console/t/{number}/complaint/{action}", c.staff(c.complaintAct))
	h("GET /console/tasks", c.staff(c.tasks))
	h("GET /console/followups", c.staff(c.followUpBoard))
	h("GET /console/followups/{id}", c.staff(c.followUp))
	h("POST /console/followups/{id}/{action}", c.staff(c.followUpAct))
	h("GET /console/kb", c.staff(c.kbList))
	h("POST /console/kb", c.staff(c.kbCreate))
	h("POST /console/kb/search", c.staff(c.kbSearch))
	h("POST /console/kb/from/{number}", c.staff(c.kbFromTicket))
	h("GET /console/kb/{id}", c.staff(c.kbEntry))
	h("POST /console/kb/{id}/{action}", c.staff(c.kbAct))
	h("GET /console/reports", c.staff(c.reports))
	h("GET /console/reports/chart.png", c.staff(c.reportChart))
	h("GET /console/reports/report.csv", c.staff(c.reportCSV))
	h("POST /console/reports/subscribe", c.staff(c.reportSubscribe))
	h("GET /console/people", c.staff(page(c, "people", c.loadPeople)))
	h("POST /console/people/invite", c.staff(c.peopleInvite))
	h("POST /console/people/{id}/{action}", c.staff(c.peopleAct))
	h("GET /console/customers", c.staff(page(c, "customers", c.loadCustomers)))
	h("POST /console/customers/lookup", c.staff(c.customersLookup))
	h("POST /console/customers/import", c.limitBody(maxImportBytes, c.staff(c.customersImport)))
	h("GET /console/teams", c.staff(page(c, "teams", c.loadTeams)))
	h("POST /console/teams", c.staff(c.teamCreate))
	h("POST /console/teams/{id}", c.staff(c.teamUpdate))
}

// req is one request of a signed-in staff member.
type req struct {
	Me   *backend.Person
	Loc  string
	CSRF string
	Zone *time.Location
}

// staff wraps a handler that needs a signed-in staff member: no or a bad
// session sends a page to the sign-in form (401 for scripts), and every
// POST must carry the session's CSRF token (403 otherwise).
func (c *Console) staff(next func(http.ResponseWriter, *http.Request, *req)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.auth.session(r)
		var me *backend.Person
		if ok {
			p, err := c.auth.store.Person(r.Context(), s.PersonID)
			if err == nil && IsStaff(p) {
				me = p
			} else if err != nil && backend.ErrorCode(err) != backend.ENOTFOUND {
				c.fail(w, r, nil, err)
				return
			}
		}
		if me == nil {
			if r.Method == http.MethodGet && r.Header.Get("HX-Request") == "" && !strings.HasSuffix(r.URL.Path, "/events") {
				http.Redirect(w, r, "/console/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, c.tr.T(acceptLocale(r), "web.err.sign_in", nil), http.StatusUnauthorized)
			return
		}
		rq := &req{Me: me, Loc: localeOf(me), CSRF: c.auth.CSRF(s), Zone: c.svc.Location()}
		if r.Method == http.MethodPost && !Equal(RequestToken(r), rq.CSRF) {
			c.log.Warn("web: CSRF token missing or wrong", "person", me.ID, "path", r.URL.Path)
			http.Error(w, c.tr.T(rq.Loc, "web.err.csrf", nil), http.StatusForbidden)
			return
		}
		next(w, r, rq)
	}
}

func localeOf(p *backend.Person) string {
	if p != nil && strings.HasPrefix(strings.ToLower(p.Locale), "en") {
		return "en"
	}
	return "zh-CN"
}

// fail shows err as a page with the status of its code; internal errors
// are logged and shown generically.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, rq *req, err error) {
	status := StatusOf(err)
	if status == http.StatusInternalServerError {
		c.log.Error("web: internal error", "path", r.URL.Path, "err", err)
	}
	loc := "zh-CN"
	if rq != nil {
		loc = rq.Loc
	}
	part := "page"
	if r.Header.Get("HX-Request") != "" {
		part = "fragment" // swapped into a part of a page, not a page in a page
	}
	c.pages.Render(w, status, "error", part, map[string]any{"Loc": loc, "R": rq, "Message": ErrorText(c.tr, loc, err), "Title": c.tr.T(loc, "web.console.title", nil)})
}

// safeNext is where a sign-in goes: next when it is a console page of
// this site, else the queue. Anything else (another host, "//evil", a
// backslash, a scheme) is ignored, so no link can redirect off the console.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/console/") ||
		!strings.HasPrefix(next, "/console/") || strings.Contains(next, "\\") {
		return "/console/"
	}
	return next
}

// --- sign-in ---

func (c *Console) preToken(w http.ResponseWriter, r *http.Request) string {
	nonce := ""
	if ck, err := r.Cookie(preCookie); err == nil && len(ck.Value) >= 16 && len(ck.Value) <= 64 {
		nonce = ck.Value
	} else {
		nonce = RandomToken(16)
		SetCookie(w, r, preCookie, nonce, "/console/", time.Hour)
	}
	return c.auth.MAC(purposePre, nonce)
}

func acceptLocale(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh-CN" {
		return l
	}
	al := strings.ToLower(r.Header.Get("Accept-Language"))
	if strings.HasPrefix(al, "en") {
		return "en"
	}
	return "zh-CN"
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.renderLogin(w, r, http.StatusOK, "")
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	loc := acceptLocale(r)
	c.pages.Render(w, status, "login", "page", map[string]any{
		"Loc": loc, "Title": c.tr.T(loc, "web.login.title", nil), "Pre": c.preToken(w, r),
		"Next": safeNext(r.FormValue("next")), "Error": msg, "Name": r.PostFormValue("name"),
	})
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	loc := acceptLocale(r)
	ck, err := r.Cookie(preCookie)
	if err != nil || !Equal(r.PostFormValue("csrf"), c.auth.MAC(purposePre, ck.Value)) {
		http.Error(w, c.tr.T(loc, "web.err.csrf", nil), http.StatusForbidden)
		return
	}
	name, addr := r.PostFormValue("name"), clientAddr(r)
	attempt, wait := c.auth.SignInAttempt(r.Context(), name, addr)
	if wait > 0 {
		minutes := int((wait + time.Minute - 1) / time.Minute)
		c.log.Warn("web: sign-in throttled", "addr", addr)
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		c.renderLogin(w, r, http.StatusTooManyRequests, c.tr.T(loc, "web.login.throttled", map[string]any{"Minutes": minutes}))
		return
	}
	p, err := c.auth.CheckPassword(r.Context(), name, r.PostFormValue("password"))
	if err != nil {
		if backend.ErrorCode(err) == backend.EUNAUTHORIZED {
			c.log.Info("web: failed sign-in", "addr", addr)
			c.renderLogin(w, r, http.StatusUnauthorized, c.tr.T(loc, "web.login.bad", nil))
			return
		}
		c.auth.SignInUncounted(r.Context(), attempt)
		c.fail(w, r, nil, err)
		return
	}
	c.auth.SignedIn(r.Context(), attempt)
	c.auth.startSession(w, r, p)
	c.log.Info("web: signed in", "person", p.ID, "with", "password")
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// magicPage asks for a click before using the link: chat apps fetch
// links to preview them, which must not burn a one-time link.
func (c *Console) magicPage(w http.ResponseWriter, r *http.Request) {
	loc := acceptLocale(r)
	w.Header().Set("Referrer-Policy", "no-referrer")
	c.pages.Render(w, http.StatusOK, "magic", "page", map[string]any{"Loc": loc, "Title": c.tr.T(loc, "web.login.title", nil), "Token": r.PathValue("token"),
		"Next": safeNext(r.URL.Query().Get("next"))})
}

func (c *Console) magic(w http.ResponseWriter, r *http.Request) {
	loc := acceptLocale(r)
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := r.PathValue("token")
	// The token itself is the unguessable part; the form repeats it so a
	// cross-site form without it is refused.
	if !Equal(r.PostFormValue("csrf"), token) {
		http.Error(w, c.tr.T(loc, "web.err.csrf", nil), http.StatusForbidden)
		return
	}
	p, err := c.auth.UseMagicLink(r.Context(), token)
	if err != nil {
		if backend.ErrorCode(err) == backend.EUNAUTHORIZED {
			c.renderLogin(w, r, http.StatusUnauthorized, c.tr.T(loc, "web.login.link_bad", nil))
			return
		}
		c.fail(w, r, nil, err)
		return
	}
	c.auth.startSession(w, r, p)
	c.log.Info("web: signed in", "person", p.ID, "with", "magic link")
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, rq *req) {
	SetCookie(w, r, sessionCookie, "", "/", -1)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

func (c *Console) lang(w http.ResponseWriter, r *http.Request, rq *req) {
	loc := r.PostFormValue("lang")
	if loc != "en" && loc != "zh-CN" {
		c.fail(w, r, rq, backend.Invalid("unknown language", "lang", "en or zh-CN", backend.Problem{Key: "lang"}))
		return
	}
	rq.Me.Locale = loc
	if err := c.svc.Store().UpdatePerson(r.Context(), rq.Me); err != nil {
		c.fail(w, r, rq, err)
		return
	}
	back := r.Referer()
	if u, err := url.Parse(back); err != nil || u.Host != r.Host {
		back = "/console/"
	} else {
		back = safeNext(u.RequestURI())
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// --- queues ---

// Queues, in the order of the tabs.
var queues = []string{"new", "mine", "team", "breach", "waiting", "open", "all"}

// openStatuses are the statuses that still need handling.
var openStatuses = func() []backend.Status {
	var out []backend.Status
	for _, s := range backend.Statuses {
		if s.Open() {
			out = append(out, s)
		}
	}
	return out
}()

// confirmDeadline is how long an assignee has to confirm or return a
// ticket (DESIGN §4, seed 002): 1 h for P1, 2 h for the others. The
// "breach" queue uses it only for tickets without SLA clocks.
func confirmDeadline(s backend.Severity) time.Duration {
	if s == backend.P1 {
		return time.Hour
	}
	return 2 * time.Hour
}

type queueData struct {
	*req
	R        *req
	Title    string
	Queue    string
	Queues   []string
	Q        string
	Status   string
	Severity string
	Statuses []backend.Status
	Sevs     []backend.Severity
	Tickets  []*backend.Ticket
	Next     string // URL of the next page, "" on the last
	Now      time.Time
}

// filterFor builds the listing filter of a queue and the form's filters.
func (c *Console) filterFor(rq *req, queue string, form url.Values) backend.TicketFilter {
	f := backend.TicketFilter{Query: strings.TrimSpace(form.Get("q")), Limit: 50}
	switch queue {
	case "new":
		f.Status = []backend.Status{backend.StatusNew, backend.StatusReturned, backend.StatusReopened}
	case "mine":
		f.AssigneeID, f.Status = rq.Me.ID, openStatuses
	case "team":
		f.Status = openStatuses
		if rq.Me.TeamID != 0 {
			f.TeamID = rq.Me.TeamID
		}
	case "waiting":
		f.Status = []backend.Status{backend.StatusWaitingReporter}
	case "open":
		f.Status = openStatuses
	}
	if s := backend.Status(form.Get("status")); s.Valid() {
		f.Status = []backend.Status{s}
	}
	if s := backend.Severity(form.Get("severity")); s.Valid() {
		f.Severity = []backend.Severity{s}
	}
	if a, err := strconv.ParseInt(form.Get("after"), 10, 64); err == nil && a > 0 {
		f.After = a
	}
	return f
}

// listQueue returns one page of a queue. "breach" lists the tickets
// whose SLA clocks warned or breached (breachQueue).
func (c *Console) listQueue(ctx context.Context, rq *req, queue string, form url.Values) (*backend.TicketPage, error) {
	f := c.filterFor(rq, queue, form)
	if queue != "breach" {
		return c.svc.Tickets(ctx, rq.Me, f)
	}
	return c.breachQueue(ctx, rq, f, backend.Status(form.Get("status")))
}

// breachQueue lists the tickets about to breach: those with a running SLA
// clock past its warning time or breached, and — for tickets without
// clocks (SLA off) — the fixed rule: unclaimed P1 after 1 h, P2 after 2 h.
func (c *Console) breachQueue(ctx context.Context, rq *req, f backend.TicketFilter, status backend.Status) (*backend.TicketPage, error) {
	now := c.cfg.Now()
	g := f
	g.Status, g.ClockAlarm = nil, now
	if status.Valid() {
		g.Status = []backend.Status{status}
	}
	if c.cfg.SLA {
		// Only the clocks count: an ordinary page, Next link included.
		return c.svc.Tickets(ctx, rq.Me, g)
	}
	g.After, g.Limit = 0, 200
	page, err := c.svc.Tickets(ctx, rq.Me, g)
	if err != nil {
		return nil, err
	}
	all := page.Tickets
	unclaimed := []backend.Status{backend.StatusNew, backend.StatusReturned, backend.StatusReopened}
	for _, sev := range []backend.Severity{backend.P1, backend.P2} {
		if len(f.Severity) > 0 && f.Severity[0] != sev {
			continue
		}
		g := f
		g.Severity, g.Status, g.After, g.Limit, g.NoClocks = []backend.Severity{sev}, unclaimed, 0, 200, true
		if status.Valid() {
			g.Status = []backend.Status{status}
		}
		g.CreatedBefore = now.Add(-confirmDeadline(sev))
		page, err := c.svc.Tickets(ctx, rq.Me, g)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Tickets...)
	}
	slices.SortFunc(all, func(a, b *backend.Ticket) int { return int(b.ID - a.ID) })
	return &backend.TicketPage{Tickets: all}, nil
}

// A queue's (or the knowledge base's) search text is sealed in its URL
// for the person who searched (the purpose names them, so a link passed
// on opens for nobody else) and for queryTTL (a link found later in a log
// or a history opens for nobody).
const queryTTL = 8 * time.Hour

// Each search seals with its own purpose, so a sealed text opens only in
// the search it was made for.
const (
	ticketSearchPurpose = "console-q"
	kbSearchPurpose     = "console-kb-q"
)

func queryPurpose(search string, me *backend.Person) string {
	return search + ":" + strconv.FormatInt(me.ID, 10)
}

// sealQuery seals q of search for me until queryTTL from now.
func (c *Console) sealQuery(search string, me *backend.Person, q string) string {
	return c.auth.Seal(queryPurpose(search, me), strconv.FormatInt(c.cfg.Now().Add(queryTTL).Unix(), 10)+"|"+q)
}

// openQuery is the text of search sealed for me, if it has not expired.
func (c *Console) openQuery(search string, me *backend.Person, qs string) (string, bool) {
	v, ok := c.auth.Open(queryPurpose(search, me), qs)
	until, q, found := strings.Cut(v, "|")
	exp, err := strconv.ParseInt(until, 10, 64)
	if !ok || !found || err != nil || !c.cfg.Now().Before(time.Unix(exp, 0)) {
		return "", false
	}
	return q, true
}

// queue lists a queue. Its search text comes sealed (qs), as search
// puts it in the URL: staff search by a customer's phone or e-mail,
// which must never be readable in a URL (DESIGN §10: logs, browser
// history, a Referer). A plain q, from an old bookmark, is sent on to
// its sealed address.
func (c *Console) queue(w http.ResponseWriter, r *http.Request, rq *req) {
	form := r.URL.Query()
	if form.Has("q") {
		http.Redirect(w, r, c.queueURL(rq.Me, form, form.Get("q")), http.StatusSeeOther)
		return
	}
	if qs := form.Get("qs"); qs != "" {
		q, ok := c.openQuery(ticketSearchPurpose, rq.Me, qs)
		if !ok {
			c.fail(w, r, rq, backend.Keyed(backend.EINVALID, "search_link", nil, "not a search link made for this person by this console, or expired"))
			return
		}
		form.Set("q", q)
	}
	c.renderQueue(w, r, rq, form)
}

// search runs the filter form, posted so its text stays out of the URL,
// and answers with the queue at its sealed address: htmx swaps the rows
// in and pushes that address; a plain form is redirected to it.
func (c *Console) search(w http.ResponseWriter, r *http.Request, rq *req) {
	form := url.Values{}
	for _, k := range []string{"queue", "q", "status", "severity"} {
		if v := strings.TrimSpace(r.PostFormValue(k)); v != "" {
			form.Set(k, v)
		}
	}
	to := c.queueURL(rq.Me, form, form.Get("q"))
	if r.Header.Get("HX-Request") == "" {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	w.Header().Set("HX-Push-Url", to)
	c.renderQueue(w, r, rq, form)
}

// queueURL is the address of a queue listing with form's filters and
// the search text q sealed for me.
func (c *Console) queueURL(me *backend.Person, form url.Values, q string) string {
	v := url.Values{}
	for k, vals := range form {
		if k != "q" && k != "qs" {
			v[k] = vals
		}
	}
	if q = strings.TrimSpace(q); q != "" {
		v.Set("qs", c.sealQuery(ticketSearchPurpose, me, q))
	}
	return "/console/?" + v.Encode()
}

// renderQueue renders a queue listing for form (its search text in q):
// the page, or the rows for htmx.
func (c *Console) renderQueue(w http.ResponseWriter, r *http.Request, rq *req, form url.Values) {
	queue := form.Get("queue")
	if !slices.Contains(queues, queue) {
		queue = "new"
	}
	page, err := c.listQueue(r.Context(), rq, queue, form)
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	d := &queueData{req: rq, R: rq, Title: c.tr.T(rq.Loc, "web.console.title", nil), Queue: queue, Queues: queues,
		Q: form.Get("q"), Status: form.Get("status"), Severity: form.Get("severity"),
		Statuses: backend.Statuses, Sevs: backend.Severities, Now: c.cfg.Now()}
	for _, t := range page.Tickets {
		d.Tickets = append(d.Tickets, t.RedactedFor(rq.Me))
	}
	if page.NextCursor != 0 {
		next := maps.Clone(form)
		next.Set("after", strconv.FormatInt(page.NextCursor, 10))
		next.Set("queue", queue)
		d.Next = c.queueURL(rq.Me, next, form.Get("q"))
	}
	if r.Header.Get("HX-Request") != "" && r.Header.Get("HX-Target") == "rows" {
		c.pages.Render(w, http.StatusOK, "queue", "rows", d)
		return
	}
	c.pages.Render(w, http.StatusOK, "queue", "page", d)
}

func (c *Console) queueEvents(w http.ResponseWriter, r *http.Request, rq *req) {
	ServeEvents(w, r, c.cfg.Hub, QueueTopic)
}

// --- the ticket page ---

type ticketData struct {
	*req
	R        *req
	Title    string
	T        *backend.Ticket
	Events   []eventView
	Next     []backend.Status
	Sevs     []backend.Severity
	CanClaim bool
	// CanAct: the viewer handles tickets (assistants, managers); an info
	// specialist reads them and gets no action the service would refuse.
	CanAct bool
	// CanAccept: the ticket was dispatched to the viewer, who has not
	// confirmed it yet (seed 002 确认接收).
	CanAccept bool
	Mine      bool
	Assignee  string
	Reporter  string
	Error     string
	Text      string // the action form's text, kept after an error
	// DelayText, DelayBy: what a refused delay form held (its reason and
	// expected time), shown in it again.
	DelayText, DelayBy string
	// PlanText, PlanBy: what a refused backlog form held; CanPlan: the
	// viewer may take the ticket into the backlog (a suggestion or a P4
	// they hold, or any for a manager).
	PlanText, PlanBy string
	CanPlan          bool
	Clocks           []clockView
	Marks            []backend.Milestone
	// KB is the knowledge-base entry filed from the ticket, if any;
	// CanKB: the viewer may file its solution (resolved, with one, not
	// filed yet).
	KB    *backend.KBEntry
	CanKB bool
	// Complaint is a complaint's tasks and closing record (nil for the
	// other forms).
	Complaint *complaintView
	// Handover is the assign and transfer forms (nil for a viewer who
	// does not handle tickets).
	Handover *handoverView
	// Consult is the opinions asked of other teams (staff only; nil for
	// the others).
	Consult *consultView
	// Similar are the other open tickets that look like it (staff, an
	// open ticket), and how many of them by region.
	Similar        []*backend.Ticket
	SimilarRegions []backend.RegionCount
	SimilarDays    int
}

// handoverView is the ticket page's 指派 / 转派 forms: whom the ticket may
// be assigned to, which teams it may be transferred to, and after a
// refused try its error and what was chosen and typed.
type handoverView struct {
	CanAssign   bool // the ticket is open
	CanTransfer bool // its status allows a transfer and there is another team
	Staff       []staffOption
	Teams       []*backend.Team // every team but the ticket's
	Error       string
	Assignee    string // the form's choices, kept after an error
	Team        string
	Reason      string
}

// staffOption is one person the ticket may be assigned to.
type staffOption struct {
	ID   int64
	Name string
	Team string // "" without a team
}

// clockView is one SLA clock as the ticket page shows it.
type clockView struct {
	C     *backend.Clock
	Name  string // from the catalog (sla.clock.<name>)
	State string
	Acked string // who and when, "" if nobody acknowledged
}

type eventView struct {
	E    *backend.Event
	Line string
	By   string
}

// loadTicket reads the ticket and its whole thread as rq.Me may see them.
func (c *Console) loadTicket(ctx context.Context, rq *req, number string) (*ticketData, error) {
	t, events, err := c.svc.Thread(ctx, rq.Me, number)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	name := func(id int64) string {
		if id == 0 {
			return c.tr.T(rq.Loc, "web.system", nil)
		}
		if n, ok := names[id]; ok {
			return n
		}
		n := "#" + strconv.FormatInt(id, 10)
		if p, err := c.svc.Store().Person(ctx, id); err == nil {
			n = p.Name
		}
		names[id] = n
		return n
	}
	d := &ticketData{req: rq, R: rq, Title: t.Number, T: t.RedactedFor(rq.Me), Next: t.Status.Next(), Sevs: backend.Severities, Marks: backend.Milestones,
		CanAct: c.svc.MayChange(ctx, rq.Me, t), CanAccept: t.AssigneeID == rq.Me.ID && t.AwaitsAccept(),
		Mine: t.AssigneeID == rq.Me.ID, Reporter: name(t.ReporterID)}
	d.CanClaim = d.CanAct && t.AssigneeID == 0 && t.Status.Open()
	d.CanPlan = d.CanAct && t.Plannable() && t.AssigneeID != 0 && (t.AssigneeID == rq.Me.ID || rq.Me.SeesAll())
	if t.AssigneeID != 0 {
		d.Assignee = name(t.AssigneeID)
	}
	for _, e := range events {
		d.Events = append(d.Events, eventView{E: e, Line: EventLineIn(c.tr, rq.Loc, rq.Zone, e, name), By: name(e.ActorID)})
	}
	clocks, err := c.svc.Store().Clocks(ctx, t.ID) // Thread checked that rq.Me may see t
	if err != nil {
		return nil, err
	}
	d.Clocks = c.clockViews(rq, clocks, name)
	if t.Form == backend.FormComplaint {
		if d.Complaint, err = c.loadComplaint(ctx, rq, t, name); err != nil {
			return nil, err
		}
	}
	if d.CanAct {
		if d.Handover, err = c.loadHandover(ctx, t); err != nil {
			return nil, err
		}
	}
	if d.Consult, err = c.loadConsults(ctx, rq, t, name); err != nil {
		return nil, err
	}
	if d.CanAct && t.Status.Open() {
		if d.Similar, err = c.svc.SimilarTicketsFor(ctx, rq.Me, t); err != nil {
			return nil, err
		}
		d.SimilarRegions, d.SimilarDays = backend.ByRegion(d.Similar), int(backend.SimilarWindow.Hours()/24)
	}
	if t.Status == backend.StatusResolved || t.Status == backend.StatusArchived {
		page, err := c.svc.KBEntries(ctx, rq.Me, backend.KBFilter{TicketID: t.ID, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(page.Entries) > 0 {
			d.KB = page.Entries[0]
		} else {
			d.CanKB = strings.TrimSpace(t.Solution) != ""
		}
	}
	return d, nil
}

// loadHandover lists whom t may be assigned to (the staff, with their
// teams) and the teams it may be transferred to (all but its own).
func (c *Console) loadHandover(ctx context.Context, t *backend.Ticket) (*handoverView, error) {
	h := &handoverView{CanAssign: t.Status.Open()}
	if !h.CanAssign {
		return h, nil
	}
	teams, err := c.svc.Store().Teams(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(teams))
	for _, tm := range teams {
		names[tm.ID] = tm.Name
		if tm.ID != t.TeamID {
			h.Teams = append(h.Teams, tm)
		}
	}
	h.CanTransfer = t.Status.Transferable() && len(h.Teams) > 0
	staff, err := c.staffList(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range staff {
		h.Staff = append(h.Staff, staffOption{ID: p.ID, Name: p.Name, Team: names[p.TeamID]})
	}
	return h, nil
}

// clockViews names the clocks, their states and who acknowledged them.
func (c *Console) clockViews(rq *req, clocks []*backend.Clock, name func(int64) string) []clockView {
	out := make([]clockView, 0, len(clocks))
	for _, k := range clocks {
		v := clockView{C: k, Name: c.tr.T(rq.Loc, "sla.clock."+k.Name, nil),
			State: c.tr.T(rq.Loc, "web.clock.state."+string(k.State), nil)}
		if !k.AckedAt.IsZero() {
			v.Acked = c.tr.T(rq.Loc, "web.clock.acked_by", map[string]any{"Who": name(k.AckedBy),
				"At": k.AckedAt.In(rq.Zone).Format("2006-01-02 15:04")})
		}
		out = append(out, v)
	}
	return out
}

func (c *Console) ticket(w http.ResponseWriter, r *http.Request, rq *req) {
	d, err := c.loadTicket(r.Context(), rq, r.PathValue("number"))
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	c.pages.Render(w, http.StatusOK, "ticket", "page", d)
}

func (c *Console) ticketLive(w http.ResponseWriter, r *http.Request, rq *req) {
	d, err := c.loadTicket(r.Context(), rq, r.PathValue("number"))
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	c.pages.Render(w, http.StatusOK, "ticket", "live", d)
}

func (c *Console) ticketEvents(w http.ResponseWriter, r *http.Request, rq *req) {
	t, err := c.svc.Ticket(r.Context(), rq.Me, r.PathValue("number"))
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	ServeEvents(w, r, c.cfg.Hub, TicketTopic(t.ID))
}

// file serves an attachment of a ticket the caller may see; the hash
// must be one of the ticket's, so a hash alone opens nothing.
func (c *Console) file(w http.ResponseWriter, r *http.Request, rq *req) {
	t, err := c.svc.Ticket(r.Context(), rq.Me, r.PathValue("number"))
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	ServeAttachment(w, r, c.cfg.Files, t, r.PathValue("sum"))
}

// ServeAttachment sends one of t's attachments: images inline, anything
// else as a download, always with its sniffed type and a sandbox policy.
// 404 when sum is not one of t's attachments.
func ServeAttachment(w http.ResponseWriter, r *http.Request, files Files, t *backend.Ticket, sum string) {
	var att *backend.Attachment
	for i := range t.Attachments {
		if t.Attachments[i].SHA256 == sum {
			att = &t.Attachments[i]
		}
	}
	if att == nil {
		http.NotFound(w, r)
		return
	}
	f, err := files.Open(sum)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	// The type is the bytes', as when they were stored: a ticket's own
	// record of it may come from an older API that took it on trust.
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		http.Error(w, "cannot read the file", http.StatusInternalServerError)
		return
	}
	ct, _, _ := strings.Cut(http.DetectContentType(head[:n]), ";")
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=3600")
	disp := "attachment"
	if strings.HasPrefix(ct, "image/") {
		disp = "inline"
	}
	h.Set("Content-Disposition", disp+"; filename*=UTF-8''"+url.PathEscape(att.Name))
	http.ServeContent(w, r, "", att.AddedAt, f)
}

// act runs one action on the ticket through the service, which checks
// the role; the page is shown again with the result or the error.
func (c *Console) act(w http.ResponseWriter, r *http.Request, rq *req) {
	ctx, number := r.Context(), r.PathValue("number")
	text := strings.TrimSpace(r.PostFormValue("text"))
	action := r.PathValue("action")
	var err error
	switch action {
	case "claim":
		_, err = c.svc.Claim(ctx, rq.Me, number)
	case "accept":
		_, err = c.svc.Accept(ctx, rq.Me, number)
	case "reply":
		_, err = c.svc.Comment(ctx, rq.Me, number, text, true)
	case "note":
		_, err = c.svc.Comment(ctx, rq.Me, number, text, false)
	case "ask":
		_, err = c.svc.Ask(ctx, rq.Me, number, text)
	case "return":
		_, err = c.svc.Return(ctx, rq.Me, number, text)
	case "resolve":
		_, err = c.svc.Resolve(ctx, rq.Me, number, text)
	case "status":
		_, err = c.svc.Transition(ctx, rq.Me, number, backend.Status(r.PostFormValue("status")), text)
	case "assign":
		var id int64
		if id, err = formID(r.PostFormValue("assignee"), "assignee_id"); err == nil {
			_, err = c.svc.Assign(ctx, rq.Me, number, id)
		}
	case "transfer":
		var id int64
		if id, err = formID(r.PostFormValue("team"), "team_id"); err == nil {
			_, err = c.svc.Transfer(ctx, rq.Me, number, id, r.PostFormValue("reason"))
		}
	case "severity":
		_, err = c.svc.ChangeSeverity(ctx, rq.Me, number, backend.Severity(r.PostFormValue("severity")))
	case "link":
		err = c.link(ctx, rq, number, r.PostFormValue("incident"), r.PostFormValue("title"))
	case "delay", "plan":
		// Seed 002: a delay is told to the reporter before the deadline,
		// the managers too; a suggestion taken into the backlog is told
		// with its plan. The expected time is optional.
		var by time.Time
		if v := strings.TrimSpace(r.PostFormValue("expected_by")); v != "" {
			if by, err = time.ParseInLocation(dueLayout, v, rq.Zone); err != nil {
				err = backend.Invalid("invalid expected_by", "expected_by", "must be a date and time like 2026-11-26T17:00", backend.Problem{Key: "datetime"})
			}
		}
		if err == nil && action == "delay" {
			_, err = c.svc.ExplainDelay(ctx, rq.Me, number, text, by)
		} else if err == nil {
			_, err = c.svc.PlanTicket(ctx, rq.Me, number, text, by)
		}
	case "milestone":
		_, err = c.svc.RecordMilestone(ctx, rq.Me, number, backend.Milestone(r.PostFormValue("milestone")))
	case "consult", "opinion":
		// Another team's opinion (seed 002 跨部门协作), asked or given.
		err = c.consultAction(ctx, r, rq, number, action)
	case "incident_update":
		// An update of the ticket's incident: its reporters and those
		// who joined it from the chat hear it (backend/incident.go).
		_, err = c.svc.UpdateTicketIncident(ctx, rq.Me, number, text, r.PostFormValue("resolve") == "true")
	default:
		err = backend.Errorf(backend.ENOTFOUND, "no action %q", action)
	}
	if err == nil && r.Header.Get("HX-Request") == "" {
		http.Redirect(w, r, "/console/t/"+url.PathEscape(number), http.StatusSeeOther)
		return
	}
	d, lerr := c.loadTicket(ctx, rq, number)
	if lerr != nil {
		c.fail(w, r, rq, lerr)
		return
	}
	status := http.StatusOK
	if err != nil {
		status = StatusOf(err)
		if status == http.StatusInternalServerError {
			c.log.Error("web: action failed", "ticket", number, "err", err)
		}
		// The assign and transfer forms post without htmx (the page
		// comes back whole, their lists up to date): their error goes
		// with them, outside the live region its next refresh replaces.
		if h := d.Handover; h != nil && r.Header.Get("HX-Request") == "" && (action == "assign" || action == "transfer") {
			h.Error, h.Assignee, h.Team, h.Reason = ErrorText(c.tr, rq.Loc, err), r.PostFormValue("assignee"), r.PostFormValue("team"), r.PostFormValue("reason")
		} else if d.Consult != nil && (action == "consult" || action == "opinion") {
			keepConsult(d, r, action, ErrorText(c.tr, rq.Loc, err))
		} else {
			d.Error, d.Text = ErrorText(c.tr, rq.Loc, err), text
		}
		switch action {
		case "delay":
			d.Text, d.DelayText, d.DelayBy = "", text, r.PostFormValue("expected_by")
		case "plan":
			d.Text, d.PlanText, d.PlanBy = "", text, r.PostFormValue("expected_by")
		}
	}
	if r.Header.Get("HX-Request") != "" {
		c.pages.Render(w, status, "ticket", "live", d)
		return
	}
	c.pages.Render(w, status, "ticket", "page", d)
}

// formID reads the id a form's select sent for field (as the service
// names it): EINVALID when none was chosen or it is not a number.
func formID(v, field string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, backend.Invalid("invalid "+field, field, "required", backend.Problem{Key: "required"})
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, backend.Invalid("invalid "+field, field, "a number", backend.Problem{Key: "number"})
	}
	return id, nil
}

// link links the ticket to incident id (3, #3, INC-3; from another
// incident too), to the incident of the duplicate ticket id names
// (backend.LinkDuplicate), or, with no id, to a new incident titled title.
func (c *Console) link(ctx context.Context, rq *req, number, id, title string) error {
	of := strings.TrimPrefix(strings.TrimSpace(id), "#")
	var incident int64
	switch n, ok := backend.ParseIncidentRef(of); {
	case of == "":
		i, err := c.svc.CreateIncident(ctx, rq.Me, title)
		if err != nil {
			return err
		}
		incident = i.ID
	case ok:
		incident = n
	case backend.ValidNumber(strings.ToUpper(of)):
		_, err := c.svc.LinkDuplicate(ctx, rq.Me, number, of)
		return err
	default:
		return backend.Keyed(backend.EINVALID, "duplicate_of", map[string]any{"Of": of}, "%q is neither a ticket number nor an incident", of)
	}
	_, err := c.svc.LinkIncident(ctx, rq.Me, number, incident)
	return err
}
