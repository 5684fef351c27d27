package webchat_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/redistest"
	"github.com/deskbot/deskbot/backend/sqlite"
	"github.com/deskbot/deskbot/backend/web"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/bot/botkit/botkittest"
	"github.com/deskbot/deskbot/bot/webchat"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// harness is the whole web side on a real SQLite store: service, dialog
// engine, outbox dispatcher with the web sender, console and chat, served
// like cmd/deskbot serves them.
type harness struct {
	t       testing.TB
	store   *sqlite.Store
	svc     *backend.Service
	hub     *web.Hub
	auth    *web.Auth
	console *web.Console
	chat    *webchat.Chat
	engine  *dialogs.Engine
	cat     *catalog.Catalog
	files   *botkit.Files
	dir     string // where files stores attachments
	srv     *httptest.Server
	// idle moves the dialog sessions' clock on (to expire them).
	idle atomic.Int64
}

func newHarness(t testing.TB, maxFile int64) *harness {
	t.Helper()
	return newReplica(t, maxFile, openStore(t), nil, "", true)
}

// newReplicas is two replicas of the web side on one store, sharing
// dialog sessions, chat histories and live-page signals through Redis,
// as two processes of one deployment do. Only a delivers outbox
// messages, so every notice is a's doing.
func newReplicas(t testing.TB) (a, b *harness) {
	t.Helper()
	store := openStore(t)
	rdb, prefix := redistest.Open(t)
	return newReplica(t, 0, store, rdb, prefix, true), newReplica(t, 0, store, rdb, prefix, false)
}

func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "deskbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return store
}

// newReplica is one replica on store; with rdb, its sessions, chat
// histories and hub go through Redis under prefix. deliver runs its
// outbox dispatcher.
func newReplica(t testing.TB, maxFile int64, store *sqlite.Store, rdb *redis.Client, prefix string, deliver bool) *harness {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	h := &harness{t: t, store: store, hub: web.NewHub()}
	var err error
	disp := notify.New(store, notify.Config{Poll: 200 * time.Millisecond, Logger: log})
	h.svc = backend.NewService(store, backend.ServiceConfig{Changed: func(tk *backend.Ticket) { h.hub.Changed(tk); disp.Wake() }})
	cat, forms := botkittest.Forms(t)
	h.dir = filepath.Join(t.TempDir(), "attachments")
	h.files, err = botkit.NewFiles(h.dir, maxFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sessions dialogs.SessionStore = dialogs.NewMemoryStore(func() time.Time { return time.Now().Add(time.Duration(h.idle.Load())) }, 0)
	if rdb != nil {
		sessions = dialogs.NewRedisStore(rdb, prefix+"dialog:", 0)
	}
	h.cat = cat
	engine, err := dialogs.NewEngine(dialogs.Config{Forms: forms, Sessions: sessions, Catalog: cat,
		Filer: &botkit.Filer{Service: h.svc, Files: h.files}, Suggester: &botkit.Suggester{Service: h.svc}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h.auth, err = web.NewAuth(ctx, h.svc, store, web.AuthConfig{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	h.console, err = web.New(web.Config{Service: h.svc, Auth: h.auth, Hub: h.hub, Text: cat, Files: h.files, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h.engine = engine
	cc := webchat.Config{Service: h.svc, Engine: engine, Files: h.files, Catalog: cat, Auth: h.auth, Hub: h.hub, Logger: log}
	if rdb != nil {
		cc.Redis, cc.RedisPrefix = rdb, prefix
	}
	h.chat, err = webchat.New(cc)
	if err != nil {
		t.Fatal(err)
	}
	disp.Register(h.chat, false)
	mux := http.NewServeMux()
	h.console.Register(mux)
	h.chat.Register(mux)
	h.srv = httptest.NewServer(mux)
	runCtx, stop := context.WithCancel(context.Background())
	if rdb != nil {
		wait, err := h.hub.Relay(runCtx, rdb, prefix+"hub", log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(wait) // after stop (cleanups run last first)
	}
	done := make(chan struct{})
	if deliver {
		go func() { disp.Run(runCtx); close(done) }()
	} else {
		close(done)
	}
	t.Cleanup(func() {
		h.hub.Close()
		h.srv.Close()
		stop()
		<-done
	})
	return h
}

// browser is an HTTP client with its own cookies, like one browser.
type browser struct {
	h    *harness
	c    *http.Client
	csrf string
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// open GETs a page and remembers its CSRF token.
func (b *browser) open(path string) (int, string) {
	b.h.t.Helper()
	code, page, _ := b.do("GET", path, "", nil, nil)
	if m := csrfRE.FindStringSubmatch(page); m != nil {
		b.csrf = m[1]
	}
	return code, page
}

func (b *browser) do(method, path, ctype string, body io.Reader, hdr map[string]string) (int, string, http.Header) {
	b.h.t.Helper()
	req, _ := http.NewRequest(method, b.h.srv.URL+path, body)
	req.Header.Set("Accept-Language", "en-US,en;q=0.9")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), resp.Header
}

// say posts to the chat as htmx does (token in the header) and returns the log.
func (b *browser) say(form url.Values) (int, string) {
	b.h.t.Helper()
	code, page, _ := b.do("POST", "/chat/say", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()),
		map[string]string{"HX-Request": "true", "X-CSRF-Token": b.csrf})
	return code, page
}

// upload posts a file (and text) to path as multipart, as htmx does.
func (b *browser) upload(path, name string, data []byte, text string) (int, string) {
	b.h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("text", text)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	code, page, _ := b.do("POST", path, mw.FormDataContentType(), &buf, map[string]string{"HX-Request": "true", "X-CSRF-Token": b.csrf})
	return code, page
}

// pngBytes is a 1×1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

var numberRE = regexp.MustCompile(`FB-\d{8}-\d{4}`)

// fileTicket runs the feedback dialog in the chat up to the ticket number,
// answering in English; summary is the first answer.
func (b *browser) fileTicket(summary string) string {
	b.h.t.Helper()
	if _, page := b.open("/chat/"); !strings.Contains(page, "start:feedback") {
		b.h.t.Fatalf("no start button:\n%s", page)
	}
	steps := []url.Values{
		{"button": {"start:feedback"}},
		{"text": {summary}},
		{"button": {"cmd:skip"}},
		{"button": {"opt:category:crm"}},
		{"button": {"opt:category:crm/ordering"}},
		{"text": {"now"}},
		{"button": {"opt:region:east"}},
		{"button": {"opt:severity:P3"}},
		{"button": {"cmd:skip"}}, // screenshots
		{"button": {"cmd:skip"}}, // order number
		{"button": {"cmd:skip"}}, // account
		{"text": {"13800138000"}},
		{"button": {"cmd:submit"}},
		{"button": {"cmd:confirm"}},
	}
	var page string
	for i, s := range steps {
		var code int
		if code, page = b.say(s); code != 200 {
			b.h.t.Fatalf("step %d %v = %d\n%s", i, s, code, page)
		}
	}
	n := numberRE.FindAllString(page, -1)
	if len(n) == 0 {
		b.h.t.Fatalf("no ticket number at the end:\n%s", page)
	}
	return n[len(n)-1]
}

// waitSent waits until the outbox delivered its message to audience about
// ticket number (a busy CI machine under -race needs more than a few
// seconds at times).
func (h *harness) waitSent(number string, audience backend.Audience) {
	h.t.Helper()
	ctx := context.Background()
	tk, err := h.store.Ticket(ctx, number)
	if err != nil {
		h.t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		events, err := h.store.Events(ctx, tk.ID)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, e := range events {
			if e.Kind == backend.EventNotificationSent && strings.HasSuffix(e.Body, " to "+string(audience)) {
				return
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: nothing delivered to %s: %+v", number, audience, events)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// visitorID is the reporter id in b's signed chat cookie.
func (b *browser) visitorID() string {
	b.h.t.Helper()
	u, _ := url.Parse(b.h.srv.URL + "/chat/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "deskbot_chat" {
			if id, ok := b.h.auth.Verify("chat-user", c.Value); ok {
				return id
			}
		}
	}
	b.h.t.Fatal("no chat cookie")
	return ""
}

// waitLog waits until b's chat log shows want, and returns the log.
func (b *browser) waitLog(want string) string {
	b.h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, page, _ := b.do("GET", "/chat/log", "", nil, nil)
		if strings.Contains(page, want) {
			return page
		}
		if time.Now().After(deadline) {
			b.h.t.Fatalf("the chat log does not show %q:\n%s", want, page)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lastNumber is the newest ticket number in b's chat log.
func (b *browser) lastNumber() string {
	b.h.t.Helper()
	_, page, _ := b.do("GET", "/chat/log", "", nil, nil)
	n := numberRE.FindAllString(page, -1)
	if len(n) == 0 {
		b.h.t.Fatalf("no ticket number in the log:\n%s", page)
	}
	return n[len(n)-1]
}

// stored counts the files kept under the attachments directory.
// assistant makes ivy, an assistant of no team, who handles the tickets.
func (h *harness) assistant() *backend.Person {
	h.t.Helper()
	p, _, err := h.auth.CreateUser(context.Background(), "ivy", backend.RoleAssistant, 0, "")
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// ticket reads ticket number from the store.
func (h *harness) ticket(number string) *backend.Ticket {
	h.t.Helper()
	tk, err := h.store.Ticket(context.Background(), number)
	if err != nil {
		h.t.Fatal(err)
	}
	return tk
}

func (h *harness) stored() int {
	h.t.Helper()
	n := 0
	err := filepath.WalkDir(h.dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		h.t.Fatal(err)
	}
	return n
}
