package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/sqlite"
	"github.com/deskbot/deskbot/backend/web"
)

// keys is a Translator that shows the key and its data, so tests can see
// which text a page chose without depending on the dialogs catalog.
type keys struct{}

func (keys) T(_, id string, data map[string]any) string {
	if len(data) == 0 {
		return id
	}
	return fmt.Sprintf("%s%v", id, data)
}

// dirFiles is a minimal attachment store for the console's file route.
type dirFiles string

func (d dirFiles) Open(sum string) (*os.File, error) {
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(sum) {
		return nil, backend.Errorf(backend.ENOTFOUND, "no file")
	}
	return os.Open(filepath.Join(string(d), sum))
}

type fixture struct {
	t       testing.TB
	files   dirFiles
	store   backend.Store
	svc     *backend.Service
	auth    *web.Auth
	console *web.Console
	hub     *web.Hub
	srv     *httptest.Server
	now     time.Time
}

func newFixture(t *testing.T, opts ...func(*web.AuthConfig)) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "web.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return newFixtureOn(t, store, opts...)
}

// newFixtureOn is newFixture on a migrated store, e.g. Postgres:
//
//	store, _ := postgres.Open(ctx, pgtest.NewSchema(t))
//	store.Migrate(ctx)
//	f := newFixtureOn(t, store)
func newFixtureOn(t *testing.T, store backend.Store, opts ...func(*web.AuthConfig)) *fixture {
	t.Helper()
	ctx := context.Background()
	var err error
	f := &fixture{t: t, store: store, hub: web.NewHub(), now: time.Now(), files: dirFiles(t.TempDir())}
	clock := func() time.Time { return f.now }
	f.svc = backend.NewService(store, backend.ServiceConfig{Changed: f.hub.Changed})
	ac := web.AuthConfig{Now: clock, BcryptCost: bcrypt.MinCost, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))}
	for _, o := range opts {
		o(&ac)
	}
	f.auth, err = web.NewAuth(ctx, f.svc, store, ac)
	if err != nil {
		t.Fatal(err)
	}
	f.console, err = web.New(web.Config{Service: f.svc, Auth: f.auth, Hub: f.hub, Text: keys{}, Files: f.files, Now: clock,
		TeamChats: testTeamChats, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	f.console.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	t.Cleanup(f.hub.Close)
	return f
}

// client is a browser: a cookie jar, no automatic redirects.
type client struct {
	f    *fixture
	http *http.Client
	csrf string
}

func (f *fixture) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{f: f, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, hdr map[string]string) (int, string, http.Header) {
	c.f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.f.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login signs in with a password through the form and remembers the CSRF token.
func (c *client) login(name, password string) int {
	c.f.t.Helper()
	_, page, _ := c.do("GET", "/console/login", nil, nil)
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		c.f.t.Fatalf("no csrf on login page:\n%s", page)
	}
	code, _, hdr := c.do("POST", "/console/login", url.Values{"csrf": {m[1]}, "name": {name}, "password": {password}}, nil)
	if code == http.StatusSeeOther {
		c.fetchCSRF(hdr.Get("Location"))
	}
	return code
}

func (c *client) fetchCSRF(path string) {
	c.f.t.Helper()
	_, page, _ := c.do("GET", path, nil, nil)
	if m := csrfRE.FindStringSubmatch(page); m != nil {
		c.csrf = m[1]
	}
}

func (f *fixture) user(name string, role backend.Role) (*backend.Person, string) {
	f.t.Helper()
	p, pw, err := f.auth.CreateUser(context.Background(), name, role, 0, "")
	if err != nil {
		f.t.Fatal(err)
	}
	return p, pw
}

func (f *fixture) ticket(reporter *backend.Person, summary string) *backend.Ticket {
	f.t.Helper()
	t, err := f.svc.CreateTicket(context.Background(), reporter, backend.NewTicket{
		Prefix: "FB", Summary: summary, CategoryPath: []string{"CRM问题"}, OccurredAt: time.Now().Add(-time.Hour),
		Region: "east", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, OrderNumber: "ORD-42", Channel: "web",
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return t
}

func (f *fixture) reporter(id string) *backend.Person {
	f.t.Helper()
	p, err := f.svc.ReporterFor(context.Background(), backend.ChatAccount{Platform: "web", UserID: id, ChatID: id}, "r-"+id, "en")
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	_, pw := f.user("Alice", backend.RoleAssistant)
	t.Run("OK", func(t *testing.T) {
		c := f.client()
		if code := c.login("alice", pw); code != http.StatusSeeOther {
			t.Fatalf("login = %d", code)
		}
		code, page, _ := c.do("GET", "/console/", nil, nil)
		if code != 200 || !strings.Contains(page, "web.queue.new") {
			t.Fatalf("queue = %d\n%s", code, page)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		c := f.client()
		if code := c.login("alice", "not-the-password"); code != http.StatusUnauthorized {
			t.Fatalf("login = %d", code)
		}
		if code, _, hdr := c.do("GET", "/console/", nil, nil); code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/console/login") {
			t.Fatalf("queue without session = %d %s", code, hdr.Get("Location"))
		}
		// An htmx request is not redirected: it is told, in words.
		if code, body, _ := c.do("GET", "/console/", nil, map[string]string{"HX-Request": "true"}); code != http.StatusUnauthorized || !strings.Contains(body, "web.err.sign_in") {
			t.Fatalf("htmx without session = %d %q", code, body)
		}
	})
	t.Run("ErrReporterCannotSignIn", func(t *testing.T) {
		r := f.reporter("x1")
		if err := f.auth.SetPassword(context.Background(), r.ID, "rep", "long-enough-pw"); err != nil {
			t.Fatal(err)
		}
		if code := f.client().login("rep", "long-enough-pw"); code != http.StatusUnauthorized {
			t.Fatalf("reporter login = %d", code)
		}
	})
	t.Run("ErrLoginCSRF", func(t *testing.T) {
		c := f.client()
		c.do("GET", "/console/login", nil, nil)
		code, _, _ := c.do("POST", "/console/login", url.Values{"name": {"alice"}, "password": {pw}}, nil)
		if code != http.StatusForbidden {
			t.Fatalf("login without token = %d", code)
		}
	})
	t.Run("ErrForgedCookie", func(t *testing.T) {
		c := f.client()
		u, _ := url.Parse(f.srv.URL)
		c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "deskbot_console", Value: "1.99999999999.x~forged", Path: "/"}})
		if code, _, _ := c.do("GET", "/console/", nil, map[string]string{"HX-Request": "true"}); code != http.StatusUnauthorized {
			t.Fatalf("forged cookie = %d", code)
		}
	})
	t.Run("CookieFlags", func(t *testing.T) {
		c := f.client()
		_, page, _ := c.do("GET", "/console/login", nil, nil)
		tok := csrfRE.FindStringSubmatch(page)[1]
		_, _, hdr := c.do("POST", "/console/login", url.Values{"csrf": {tok}, "name": {"alice"}, "password": {pw}}, map[string]string{"X-Forwarded-Proto": "https"})
		sc := strings.Join(hdr.Values("Set-Cookie"), "\n")
		for _, want := range []string{"deskbot_console=", "HttpOnly", "SameSite=Lax", "Secure"} {
			if !strings.Contains(sc, want) {
				t.Errorf("Set-Cookie lacks %s: %s", want, sc)
			}
		}
	})
}

func TestCSRF(t *testing.T) {
	f := newFixture(t)
	_, pw := f.user("bob", backend.RoleAssistant)
	tk := f.ticket(f.reporter("r1"), "the price list shows the old prices")
	c := f.client()
	c.login("bob", pw)
	t.Run("ErrMissing", func(t *testing.T) {
		code, _, _ := c.do("POST", "/console/t/"+tk.Number+"/claim", url.Values{}, nil)
		if code != http.StatusForbidden {
			t.Fatalf("claim without token = %d", code)
		}
		got, _ := f.svc.Ticket(context.Background(), f.mustPerson("bob"), tk.Number)
		if got.AssigneeID != 0 {
			t.Fatal("claimed without a CSRF token")
		}
	})
	t.Run("ErrOtherSessionsToken", func(t *testing.T) {
		other := f.client()
		other.login("bob", pw)
		if other.csrf == c.csrf {
			t.Fatal("two sign-ins share a CSRF token")
		}
		code, _, _ := c.do("POST", "/console/t/"+tk.Number+"/claim", url.Values{"csrf": {other.csrf}}, nil)
		if code != http.StatusForbidden {
			t.Fatalf("claim with another session's token = %d", code)
		}
	})
	t.Run("ErrCrossOrigin", func(t *testing.T) {
		code, _, _ := c.do("POST", "/console/t/"+tk.Number+"/claim", url.Values{"csrf": {c.csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
		if code != http.StatusForbidden {
			t.Fatalf("cross-site claim = %d", code)
		}
	})
	t.Run("OK", func(t *testing.T) {
		code, _, _ := c.do("POST", "/console/t/"+tk.Number+"/claim", url.Values{"csrf": {c.csrf}}, nil)
		if code != http.StatusSeeOther {
			t.Fatalf("claim = %d", code)
		}
		code, _, _ = c.do("POST", "/console/t/"+tk.Number+"/reply", url.Values{}, map[string]string{"X-CSRF-Token": c.csrf, "HX-Request": "true"})
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("empty reply with header token = %d, want 422", code)
		}
	})
}

func (f *fixture) mustPerson(login string) *backend.Person {
	f.t.Helper()
	l, err := f.store.LoginByName(context.Background(), login)
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := f.store.Person(context.Background(), l.PersonID)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func TestMagicLink(t *testing.T) {
	f := newFixture(t)
	p, _ := f.user("carol", backend.RoleManager)
	ctx := context.Background()
	link, err := f.console.CreateMagicLink(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(link, "http://localhost:8080")
	token := path[strings.LastIndexByte(path, '/')+1:]
	t.Run("PreviewDoesNotUseIt", func(t *testing.T) {
		code, page, hdr := f.client().do("GET", path, nil, nil)
		if code != 200 || !strings.Contains(page, `method="post"`) || hdr.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("magic page = %d %q", code, hdr.Get("Referrer-Policy"))
		}
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		if code, _, _ := f.client().do("POST", path, url.Values{}, nil); code != http.StatusForbidden {
			t.Fatalf("POST without token = %d", code)
		}
	})
	t.Run("OK", func(t *testing.T) {
		c := f.client()
		code, _, hdr := c.do("POST", path, url.Values{"csrf": {token}}, nil)
		if code != http.StatusSeeOther || hdr.Get("Location") != "/console/" {
			t.Fatalf("use link = %d %s", code, hdr.Get("Location"))
		}
		if code, _, _ := c.do("GET", "/console/", nil, nil); code != 200 {
			t.Fatalf("queue after magic link = %d", code)
		}
	})
	t.Run("ErrReused", func(t *testing.T) {
		code, page, _ := f.client().do("POST", path, url.Values{"csrf": {token}}, nil)
		if code != http.StatusUnauthorized || !strings.Contains(page, "web.login.link_bad") {
			t.Fatalf("reuse = %d", code)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		link, err := f.console.CreateMagicLink(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		path := strings.TrimPrefix(link, "http://localhost:8080")
		f.now = f.now.Add(16 * time.Minute)
		defer func() { f.now = f.now.Add(-16 * time.Minute) }()
		code, _, _ := f.client().do("POST", path, url.Values{"csrf": {path[strings.LastIndexByte(path, '/')+1:]}}, nil)
		if code != http.StatusUnauthorized {
			t.Fatalf("expired = %d", code)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		code, _, _ := f.client().do("POST", "/console/magic/nope", url.Values{"csrf": {"nope"}}, nil)
		if code != http.StatusUnauthorized {
			t.Fatalf("unknown = %d", code)
		}
	})
	t.Run("TicketLink", func(t *testing.T) {
		link, err := f.console.CreateTicketLink(ctx, p.ID, "FB-20261123-0001")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(link)
		c := f.client()
		code, page, _ := c.do("GET", u.RequestURI(), nil, nil)
		if code != 200 || !strings.Contains(page, `name="next" value="/console/t/FB-20261123-0001"`) {
			t.Fatalf("ticket link page = %d, lacks the next page:\n%s", code, page)
		}
		token := u.Path[strings.LastIndexByte(u.Path, '/')+1:]
		code, _, hdr := c.do("POST", u.Path, url.Values{"csrf": {token}, "next": {"/console/t/FB-20261123-0001"}}, nil)
		if code != http.StatusSeeOther || hdr.Get("Location") != "/console/t/FB-20261123-0001" {
			t.Fatalf("ticket link sign-in = %d → %s", code, hdr.Get("Location"))
		}
	})
	t.Run("ErrOffSiteNext", func(t *testing.T) {
		for _, next := range []string{"https://evil.example/console/", "//evil.example/console/", "/\\evil.example", "/chat", "javascript:alert(1)"} {
			link, err := f.console.CreateMagicLink(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			path := strings.TrimPrefix(link, "http://localhost:8080")
			token := path[strings.LastIndexByte(path, '/')+1:]
			code, _, hdr := f.client().do("POST", path, url.Values{"csrf": {token}, "next": {next}}, nil)
			if code != http.StatusSeeOther || hdr.Get("Location") != "/console/" {
				t.Fatalf("next %q sent the sign-in to %d %s, want the queue", next, code, hdr.Get("Location"))
			}
		}
	})
	t.Run("ErrReporter", func(t *testing.T) {
		if _, err := f.console.CreateMagicLink(ctx, f.reporter("r9").ID); backend.ErrorCode(err) != backend.EFORBIDDEN {
			t.Fatalf("link for a reporter: %v", err)
		}
	})
}

func TestEnsureFirstAdmin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	name, pw, created, err := f.auth.EnsureFirstAdmin(ctx)
	if err != nil || !created || name != "admin" || len(pw) < 12 {
		t.Fatalf("first = %q %q %v %v", name, pw, created, err)
	}
	if _, _, created, err := f.auth.EnsureFirstAdmin(ctx); err != nil || created {
		t.Fatalf("second = %v %v", created, err)
	}
	if code := f.client().login("ADMIN ", pw); code != http.StatusSeeOther {
		t.Fatalf("first admin login = %d", code)
	}
	if _, _, err := f.auth.CreateUser(ctx, "admin", backend.RoleAssistant, 0, ""); backend.ErrorCode(err) != backend.ECONFLICT {
		t.Fatalf("duplicate login: %v", err)
	}
	if _, _, err := f.auth.CreateUser(ctx, "shorty", backend.RoleAssistant, 0, "short"); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("short password: %v", err)
	}
}

// TestTicketPageSource: a ticket reported from a group message says so.
func TestTicketPageSource(t *testing.T) {
	f := newFixture(t)
	_, pw := f.user("dave", backend.RoleAssistant)
	r := f.reporter("r3")
	plain := f.ticket(r, "the order list export fails every time")
	grouped, err := f.svc.CreateTicket(context.Background(), r, backend.NewTicket{
		Prefix: "FB", Summary: "the member centre keeps spinning", CategoryPath: []string{"CRM问题"}, Region: "east", OccurredAt: time.Now().Add(-time.Hour),
		Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "telegram", Source: "telegram:-100555:3",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := f.client()
	c.login("dave", pw)
	if _, page, _ := c.do("GET", "/console/t/"+grouped.Number, nil, nil); !strings.Contains(page, `<span id="source">`) ||
		!strings.Contains(page, "telegram:-100555:3</span>") {
		t.Errorf("the ticket page does not show its source")
	}
	if _, page, _ := c.do("GET", "/console/t/"+plain.Number, nil, nil); strings.Contains(page, `id="source"`) {
		t.Errorf("a ticket without a source shows one")
	}
}

// TestTicketPageSimilar: staff see the other open tickets that look like
// the one they read, counted by region, each a link.
func TestTicketPageSimilar(t *testing.T) {
	f := newFixture(t)
	_, pw := f.user("dave", backend.RoleAssistant)
	a := f.ticket(f.reporter("r4"), "提单系统保存草稿后草稿丢失了")
	b := f.ticket(f.reporter("r5"), "提单系统保存草稿后草稿又丢失了")
	c := f.ticket(f.reporter("r6"), "提单系统保存草稿后草稿丢失")
	lone := f.ticket(f.reporter("r7"), "会员中心打不开，一直转圈圈")
	cl := f.client()
	cl.login("dave", pw)
	_, page, _ := cl.do("GET", "/console/t/"+a.Number, nil, nil)
	for _, want := range []string{`id="similar"`, "web.similar.countmap[Count:2 Days:7]east 2", `href="/console/t/` + b.Number + `"`, `href="/console/t/` + c.Number + `"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the page of %s lacks %q:\n%s", a.Number, want, page)
		}
	}
	if _, page, _ = cl.do("GET", "/console/t/"+lone.Number, nil, nil); strings.Contains(page, `id="similar"`) {
		t.Errorf("a ticket like no other lists similar ones")
	}
}

func TestTicketPage(t *testing.T) {
	f := newFixture(t)
	_, pw := f.user("dave", backend.RoleAssistant)
	r := f.reporter("r2")
	tk := f.ticket(r, `<script>alert("x")</script><img src=x onerror=alert(1)> broken`)
	c := f.client()
	c.login("dave", pw)
	t.Run("Inert", func(t *testing.T) {
		_, err := f.svc.Comment(context.Background(), r, tk.Number, `<b onmouseover="evil()">hi</b>`, true)
		if err != nil {
			t.Fatal(err)
		}
		code, page, hdr := c.do("GET", "/console/t/"+tk.Number, nil, nil)
		if code != 200 {
			t.Fatalf("ticket page = %d", code)
		}
		for _, bad := range []string{"<script>alert", "<img src=x", `<b onmouseover`} {
			if strings.Contains(page, bad) {
				t.Errorf("page contains live markup %q", bad)
			}
		}
		if !strings.Contains(page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Error("summary not shown escaped")
		}
		if !strings.Contains(hdr.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Error("no CSP")
		}
		code, page, _ = c.do("GET", "/console/?queue=new", nil, nil)
		if code != 200 || strings.Contains(page, "<script>alert") || !strings.Contains(page, tk.Number) {
			t.Errorf("queue = %d, escaped = %v", code, !strings.Contains(page, "<script>alert"))
		}
	})
	t.Run("Actions", func(t *testing.T) {
		post := func(action string, form url.Values) (int, string) {
			form.Set("csrf", c.csrf)
			code, page, _ := c.do("POST", "/console/t/"+tk.Number+"/"+action, form, map[string]string{"HX-Request": "true"})
			return code, page
		}
		for _, step := range []struct {
			action string
			form   url.Values
			code   int
		}{
			{"claim", url.Values{}, 200},
			{"claim", url.Values{}, 409},
			{"note", url.Values{"text": {"internal thoughts"}}, 200},
			{"reply", url.Values{"text": {"we are on it"}}, 200},
			{"severity", url.Values{"severity": {"P2"}}, 200},
			{"severity", url.Values{"severity": {"P9"}}, 422},
			{"status", url.Values{"status": {"archived"}}, 409},
			{"ask", url.Values{"text": {"which browser?"}}, 200},
			{"link", url.Values{"title": {"price list outage"}}, 200},
			{"resolve", url.Values{}, 422},
			{"resolve", url.Values{"text": {"cache cleared"}}, 200},
			{"fly", url.Values{}, 404},
		} {
			if code, page := post(step.action, step.form); code != step.code {
				t.Fatalf("%s %v = %d, want %d\n%s", step.action, step.form, code, step.code, page)
			}
		}
		got, _ := f.svc.Ticket(context.Background(), r, tk.Number)
		if got.Status != backend.StatusResolved || got.Solution != "cache cleared" || got.Severity != backend.P2 || got.IncidentID == 0 {
			t.Fatalf("ticket after actions = %+v", got)
		}
		_, events, _ := f.svc.Thread(context.Background(), r, tk.Number)
		for _, e := range events {
			if strings.Contains(e.Body, "internal thoughts") {
				t.Fatal("the reporter sees an internal note")
			}
		}
	})
	// A ticket a manager assigns to dave shows dave an Accept button
	// (seed 002 确认接收), and others that it waits for him.
	t.Run("Accept", func(t *testing.T) {
		ctx := context.Background()
		mgr, _ := f.user("mona", backend.RoleManager)
		dave := f.mustPerson("dave")
		tk := f.ticket(r, "order list does not load for the east region")
		if _, err := f.svc.Assign(ctx, mgr, tk.Number, dave.ID); err != nil {
			t.Fatal(err)
		}
		_, page, _ := c.do("GET", "/console/t/"+tk.Number, nil, nil)
		if !strings.Contains(page, `id="btn-accept"`) || !strings.Contains(page, `id="awaits-accept"`) || strings.Contains(page, `id="btn-claim"`) {
			t.Fatalf("assignee's page lacks the Accept button:\n%s", page)
		}
		code, page, _ := c.do("POST", "/console/t/"+tk.Number+"/accept", url.Values{"csrf": {c.csrf}}, map[string]string{"HX-Request": "true"})
		if code != 200 || strings.Contains(page, `id="btn-accept"`) || strings.Contains(page, `id="awaits-accept"`) {
			t.Fatalf("accept = %d\n%s", code, page)
		}
		if got, _ := f.svc.Ticket(ctx, mgr, tk.Number); got.AcceptedAt.IsZero() {
			t.Fatal("not accepted")
		}
		code, _, _ = c.do("POST", "/console/t/"+tk.Number+"/accept", url.Values{"csrf": {c.csrf}}, map[string]string{"HX-Request": "true"})
		if code != http.StatusConflict {
			t.Fatalf("accept again = %d, want 409", code)
		}
	})
	t.Run("ErrInfoSpecialistCannotAct", func(t *testing.T) {
		_, pw := f.user("erin", backend.RoleInfoSpecialist)
		c := f.client()
		c.login("erin", pw)
		tk := f.ticket(r, "another problem with orders")
		// The page offers none of the actions the service refuses.
		_, page, _ := c.do("GET", "/console/t/"+tk.Number, nil, nil)
		for _, id := range []string{`id="btn-claim"`, `id="btn-reply"`, `id="act"`, `class="more-actions"`, `id="handover"`} {
			if strings.Contains(page, id) {
				t.Errorf("info specialist's page has %s", id)
			}
		}
		if !strings.Contains(page, tk.Summary) {
			t.Fatalf("info specialist cannot read the ticket:\n%s", page)
		}
		code, _, _ := c.do("POST", "/console/t/"+tk.Number+"/claim", url.Values{"csrf": {c.csrf}}, nil)
		if code != http.StatusForbidden {
			t.Fatalf("info specialist claim = %d (the service must refuse)", code)
		}
	})
	t.Run("OccurredAt", func(t *testing.T) {
		// The day alone when the reporter named only the day, 00:00 for a
		// midnight given as a time: as the chat cards show it.
		zone := f.svc.Location()
		now := time.Now().In(zone)
		midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
		for _, tc := range []struct {
			dateOnly bool
			want     string
		}{
			{true, "<dd>" + midnight.Format(time.DateOnly) + "</dd>"},
			{false, "<dd>" + midnight.Format(time.DateOnly) + " 00:00</dd>"},
		} {
			tk, err := f.svc.CreateTicket(context.Background(), r, backend.NewTicket{
				Prefix: "FB", Summary: "the order page stays blank", CategoryPath: []string{"CRM问题"},
				OccurredAt: midnight, OccurredDateOnly: tc.dateOnly,
				Region: "east", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "web",
			})
			if err != nil {
				t.Fatal(err)
			}
			if code, page, _ := c.do("GET", "/console/t/"+tk.Number, nil, nil); code != 200 || !strings.Contains(page, tc.want) {
				t.Errorf("date only %v: %d, want %q in\n%s", tc.dateOnly, code, tc.want, page)
			}
		}
	})
	t.Run("ErrUnknownTicket", func(t *testing.T) {
		if code, _, _ := c.do("GET", "/console/t/FB-20200101-9999", nil, nil); code != 404 {
			t.Fatalf("unknown ticket = %d", code)
		}
		// For htmx, the error is the part it swaps in, not a whole page.
		code, body, _ := c.do("GET", "/console/t/FB-20200101-9999/live", nil, map[string]string{"HX-Request": "true"})
		if code != 404 || strings.Contains(strings.ToLower(body), "<!doctype") || !strings.Contains(body, `role="alert"`) {
			t.Fatalf("unknown ticket for htmx = %d:\n%s", code, body)
		}
	})
}

func TestQueues(t *testing.T) {
	f := newFixture(t)
	me, pw := f.user("fay", backend.RoleAssistant)
	r := f.reporter("r3")
	ctx := context.Background()
	old := f.ticket(r, "P1 problem filed long ago, unclaimed")
	if _, err := f.svc.ChangeSeverity(ctx, me, old.Number, backend.P1); err != nil {
		t.Fatal(err)
	}
	fresh := f.ticket(r, "P3 problem that is mine now")
	if _, err := f.svc.Claim(ctx, me, fresh.Number); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(90 * time.Minute)
	c := f.client()
	c.login("fay", pw)
	rows := map[string]string{"HX-Request": "true", "HX-Target": "rows"}
	for _, tc := range []struct {
		query     string
		want, not *backend.Ticket
	}{
		{"queue=new", old, fresh},
		{"queue=mine", fresh, old},
		{"queue=breach", old, fresh},
		{"queue=all&q=ORD-4", fresh, nil},
		{"queue=all&q=" + old.Number, old, fresh},
		{"queue=all&q=8000", old, nil},
		{"queue=all&severity=P1", old, fresh},
	} {
		form, _ := url.ParseQuery(tc.query)
		var code int
		var page string
		if form.Has("q") {
			// The search is posted; the address htmx shows has it sealed.
			form.Set("csrf", c.csrf)
			var hdr http.Header
			code, page, hdr = c.do("POST", "/console/search", form, rows)
			pushed := hdr.Get("HX-Push-Url")
			if u, err := url.Parse(pushed); err != nil || u.Path != "/console/" || u.Query().Get("qs") == "" || strings.Contains(pushed, url.QueryEscape(form.Get("q"))) || u.Query().Has("q") {
				t.Errorf("%s: pushed %q, want the queue with the search sealed", tc.query, pushed)
			}
			// The pushed address lists the same tickets (a reload, a live refresh).
			if code2, page2, _ := c.do("GET", pushed, nil, rows); code2 != code || !strings.Contains(page2, tc.want.Number) || tc.not != nil && strings.Contains(page2, tc.not.Number) {
				t.Errorf("%s: the pushed address lists other tickets (%d)", tc.query, code2)
			}
		} else {
			code, page, _ = c.do("GET", "/console/?"+tc.query, nil, rows)
		}
		if code != 200 || !strings.Contains(page, tc.want.Number) || tc.not != nil && strings.Contains(page, tc.not.Number) {
			t.Errorf("%s: code %d, has want %v, has not %v", tc.query, code, strings.Contains(page, tc.want.Number), tc.not != nil && strings.Contains(page, tc.not.Number))
		}
		if strings.Contains(page, "<html") {
			t.Errorf("%s: htmx request got a whole page", tc.query)
		}
	}
}

// A customer's phone or e-mail, searched in the console, is never
// readable in an address (DESIGN §10): not in the one the search goes
// to, not in the next page's, not in an old bookmark's.
func TestSearchKeepsPersonalDataOutOfURLs(t *testing.T) {
	f := newFixture(t)
	_, pw := f.user("ida", backend.RoleAssistant)
	r := f.reporter("r9")
	var phoneTicket *backend.Ticket
	for i := range 52 { // more than a page (50)
		phoneTicket = f.ticket(r, fmt.Sprintf("customer 13800138000 cannot log in, case %d", i))
	}
	c := f.client()
	c.login("ida", pw)
	const phone = "13800138000"

	// Without htmx the posted form is sent on to the sealed address.
	code, _, hdr := c.do("POST", "/console/search", url.Values{"csrf": {c.csrf}, "queue": {"all"}, "q": {phone}}, nil)
	to := hdr.Get("Location")
	if code != http.StatusSeeOther || strings.Contains(to, phone) || !strings.Contains(to, "qs=") {
		t.Fatalf("search = %d to %q, want 303 to a sealed address", code, to)
	}
	code, page, _ := c.do("GET", to, nil, nil)
	if code != 200 || !strings.Contains(page, phoneTicket.Number) || !strings.Contains(page, `value="`+phone+`"`) {
		t.Fatalf("sealed address = %d, want the results and the search text in the box", code)
	}
	more := regexp.MustCompile(`class="more" href="([^"]+)"`).FindStringSubmatch(page)
	if more == nil {
		t.Fatal("no next page link")
	}
	next := html.UnescapeString(more[1])
	if strings.Contains(next, phone) || !strings.Contains(next, "qs=") || !strings.Contains(next, "after=") {
		t.Fatalf("next page link %q", next)
	}
	if code, _, _ := c.do("GET", next, nil, nil); code != 200 {
		t.Fatalf("next page = %d", code)
	}

	// An old bookmark with the text in it is sent on to the sealed address.
	code, _, hdr = c.do("GET", "/console/?queue=all&q="+phone, nil, nil)
	if loc := hdr.Get("Location"); code != http.StatusSeeOther || strings.Contains(loc, phone) || !strings.Contains(loc, "qs=") {
		t.Fatalf("plain q = %d to %q", code, loc)
	}

	// A sealed text that was changed, or sealed for something else, is
	// refused with a clear answer.
	u, _ := url.Parse(to)
	qs := u.Query().Get("qs")
	bad := qs[:len(qs)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(qs, "AA")]
	if code, page, _ := c.do("GET", "/console/?queue=all&qs="+bad, nil, nil); code != http.StatusUnprocessableEntity || !strings.Contains(page, "err.search_link") {
		t.Fatalf("changed qs = %d", code)
	}
	if _, ok := f.auth.Open("another", qs); ok {
		t.Fatal("a sealed value opened for another purpose")
	}
	// The link opens for the person who searched, not for a colleague it
	// is passed on to (who may see contacts only masked), and not after
	// a working day.
	_, pw2 := f.user("jan", backend.RoleAssistant)
	other := f.client()
	other.login("jan", pw2)
	if code, page, _ := other.do("GET", to, nil, nil); code != http.StatusUnprocessableEntity || strings.Contains(page, phone) {
		t.Fatalf("a colleague opening the link = %d", code)
	}
	f.now = f.now.Add(9 * time.Hour)
	if code, page, _ := c.do("GET", to, nil, nil); code != http.StatusUnprocessableEntity || strings.Contains(page, phone) {
		t.Fatalf("the link 9 hours later = %d", code)
	}
}

func TestAttachmentAccess(t *testing.T) {
	f := newFixture(t)
	_, pw := f.user("gus", backend.RoleAssistant)
	c := f.client()
	c.login("gus", pw)
	code, _, _ := c.do("GET", "/console/t/FB-20200101-0001/files/"+strings.Repeat("a", 64), nil, nil)
	if code != 404 {
		t.Fatalf("file of unknown ticket = %d", code)
	}
	r := f.reporter("r4")
	tk := f.ticket(r, "a ticket without files at all")
	if code, _, _ := c.do("GET", "/console/t/"+tk.Number+"/files/"+strings.Repeat("a", 64), nil, nil); code != 404 {
		t.Fatalf("hash not on the ticket = %d", code)
	}
	// A file recorded with a type it does not have (an older API took the
	// type on trust) is served as what its bytes are.
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n")
	sum := fmt.Sprintf("%x", sha256.Sum256(pdf))
	if err := os.WriteFile(filepath.Join(string(f.files), sum), pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	att := backend.Attachment{Name: "logo.svg", ContentType: "image/svg+xml", Size: int64(len(pdf)), SHA256: sum}
	if _, err := f.svc.AddAttachment(context.Background(), r, tk.Number, att); err != nil {
		t.Fatal(err)
	}
	resp, err := c.http.Get(f.srv.URL + "/console/t/" + tk.Number + "/files/" + sum)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); resp.StatusCode != 200 || ct != "application/pdf" || !strings.HasPrefix(cd, "attachment") || !bytes.Equal(body, pdf) {
		t.Fatalf("file served %d as %q, %q (%d bytes); want application/pdf as an attachment", resp.StatusCode, ct, cd, len(body))
	}
}

func TestEvents(t *testing.T) {
	f := newFixture(t)
	_, pw := f.user("hal", backend.RoleAssistant)
	r := f.reporter("r5")
	tk := f.ticket(r, "live updates should arrive")
	c := f.client()
	c.login("hal", pw)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/console/t/"+tk.Number+"/events", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	buf := make([]byte, 256)
	n, _ := resp.Body.Read(buf) // the opening comment
	if !bytes.Contains(buf[:n], []byte("retry")) {
		t.Fatalf("stream start %q", buf[:n])
	}
	if _, err := f.svc.Comment(context.Background(), r, tk.Number, "a follow-up from chat", true); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for !bytes.Contains(got, []byte("event: changed")) {
		n, err := resp.Body.Read(buf)
		if err != nil {
			t.Fatalf("stream: %v (got %q)", err, got)
		}
		got = append(got, buf[:n]...)
	}
	f.hub.Close() // a shutdown ends the stream
	for {
		if _, err := resp.Body.Read(buf); err != nil {
			break
		}
	}
}

// TestSignInThrottle: five wrong passwords for a name, or twenty from one
// address, within 15 minutes make further sign-ins wait, even with the
// right password; the wait ends with the window.
func TestSignInThrottle(t *testing.T) {
	f := newFixture(t)
	_, pw := f.user("dave", backend.RoleAssistant)
	_, pw2 := f.user("erin", backend.RoleAssistant)
	c := f.client()
	for i := range 5 {
		if code := c.login("dave", "wrong-password-"+strconv.Itoa(i)); code != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d", i+1, code)
		}
	}
	if code := c.login("DAVE", pw); code != http.StatusTooManyRequests {
		t.Fatalf("sixth try with the right password = %d, want 429", code)
	}
	if code := f.client().login("erin", pw2); code != http.StatusSeeOther {
		t.Fatalf("another name from the same address = %d, want signed in", code)
	}
	f.now = f.now.Add(15*time.Minute + time.Second)
	if code := c.login("dave", pw); code != http.StatusSeeOther {
		t.Fatalf("after the window = %d, want signed in", code)
	}

	// Tries sent all at once are counted before their passwords are
	// checked: at most five of ten get through to a password check.
	checked := checkedOf(10, func(i int) int { return f.client().login("erin", "wrong-password-"+strconv.Itoa(i)) })
	if checked > 5 {
		t.Fatalf("%d of 10 parallel tries were checked, want at most 5", checked)
	}
	f.now = f.now.Add(15*time.Minute + time.Second)

	// One address guessing many names.
	for i := range 20 {
		if code := f.client().login("nobody"+strconv.Itoa(i), "wrong-password"); code != http.StatusUnauthorized {
			t.Fatalf("address failure %d = %d", i+1, code)
		}
	}
	if code := f.client().login("erin", pw2); code != http.StatusTooManyRequests {
		t.Fatalf("after 20 failures from one address = %d, want 429", code)
	}
}

// checkedOf runs n sign-ins at once (login(i) answers the status of the
// i-th) and counts those that reached a password check (401).
func checkedOf(n int, login func(i int) int) int {
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for i := range n {
		wg.Go(func() { codes <- login(i) })
	}
	wg.Wait()
	close(codes)
	checked := 0
	for code := range codes {
		if code == http.StatusUnauthorized {
			checked++
		}
	}
	return checked
}
