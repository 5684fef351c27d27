package slack

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/postgres"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/backend/redistest"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/bot/botkit/botkittest"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
	"github.com/deskbot/deskbot/dialogs"
)

const (
	triage   = "CTRIAGE"
	secret   = "8f14e45fceea167a5a36dedd4bea2543"
	reporter = "UREP"
	helper   = "UHELP"
)

// harness is one deskbot with its Slack channel against the fake Slack,
// on the real Postgres and Redis.
type harness struct {
	t     testing.TB
	mode  string
	fake  *slacktest.Server
	ch    *Channel
	svc   *backend.Service
	store backend.Store
	disp  *notify.Dispatcher
	files *botkit.Files
	app   *httptest.Server // HTTP mode: the app's endpoints
	// saved, if set, is told about every committed ticket change.
	saved  atomic.Pointer[func(*backend.Ticket)]
	cancel context.CancelFunc
	done   chan struct{}
}

func testLogger() *slog.Logger {
	if os.Getenv("DESKBOT_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testReceiptWait shortens the wait of a receipt for the dialog's own
// answer (Config.ReceiptWait) for the tests that file tickets without the
// dialog, long enough that a dialog's answer is recorded before it even
// on a busy machine.
const testReceiptWait = 2 * time.Second

// openStore opens a migrated Postgres store in a fresh schema.
func openStore(tb testing.TB) backend.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.NewSchema(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return s
}

// newHarness starts the channel in mode ("socket" or "http") against a
// fresh fake Slack.
func newHarness(tb testing.TB, mode string) *harness {
	tb.Helper()
	return newHarnessWith(tb, mode, nil)
}

// newHarnessWith is newHarness with a last word on the channel's Deps
// (deps may be nil).
func newHarnessWith(tb testing.TB, mode string, deps func(*Deps)) *harness {
	tb.Helper()
	return newHarnessSuggesting(tb, mode, nil, deps)
}

// newHarnessSuggesting is newHarnessWith whose dialog engine asks sug for
// suggestions (sug may be nil).
func newHarnessSuggesting(tb testing.TB, mode string, sug dialogs.Suggester, deps func(*Deps)) *harness {
	tb.Helper()
	return startHarness(tb, mode, sug, nil, nil, deps)
}

// newHarnessConfig is newHarness with a last word on the channel's Config.
func newHarnessConfig(tb testing.TB, mode string, cfg func(*Config)) *harness {
	tb.Helper()
	return startHarness(tb, mode, nil, nil, cfg, nil)
}

// newHarnessServing is newHarness on a store made ready by prepare (which
// may be nil), with a last word on the service's and the channel's config
// (cfg may be nil).
func newHarnessServing(tb testing.TB, mode string, prepare func(backend.Store), svc func(*backend.ServiceConfig), cfg func(*Config)) *harness {
	tb.Helper()
	return startHarness(tb, mode, nil, func(st backend.Store, c *backend.ServiceConfig) {
		if prepare != nil {
			prepare(st)
		}
		svc(c)
	}, cfg, nil)
}

// startHarness starts the channel; sug, svc, config and deps may be nil.
// svc sees the store before the service is made and has a last word on
// its config.
func startHarness(tb testing.TB, mode string, sug dialogs.Suggester, svc func(backend.Store, *backend.ServiceConfig), config func(*Config), deps func(*Deps)) *harness {
	tb.Helper()
	h := &harness{t: tb, mode: mode, done: make(chan struct{})}
	h.store = openStore(tb)
	rdb := redistest.Client(tb)
	prefix := redistest.Prefix(tb, rdb)
	cat, forms := botkittest.Forms(tb)
	var err error
	if h.files, err = botkit.NewFiles(tb.TempDir(), 0, nil); err != nil {
		tb.Fatal(err)
	}
	svcCfg := backend.ServiceConfig{TriagePlatforms: []string{Platform}, Changed: func(t *backend.Ticket) {
		if f := h.saved.Load(); f != nil {
			(*f)(t)
		}
		if h.disp != nil {
			h.disp.Wake()
		}
		if h.ch != nil {
			h.ch.TicketChanged(t)
		}
	}}
	if svc != nil {
		svc(h.store, &svcCfg)
	}
	h.svc = backend.NewService(h.store, svcCfg)
	engine, err := dialogs.NewEngine(dialogs.Config{Forms: forms, Catalog: cat, Logger: testLogger(),
		Sessions: dialogs.NewRedisStore(rdb, prefix+"dialog:", 0),
		Filer:    &botkit.Filer{Service: h.svc, Files: h.files, Cat: cat}, Suggester: sug})
	if err != nil {
		tb.Fatal(err)
	}
	h.fake = slacktest.New(tb)
	cfg := Config{BotToken: "xoxb-test", APIURL: h.fake.APIURL(), TriageChannel: triage, Workers: 8, ReceiptWait: testReceiptWait}
	if mode == ModeSocket {
		cfg.AppToken = "xapp-test"
	} else {
		cfg.SigningSecret = secret
	}
	if config != nil {
		config(&cfg)
	}
	d := Deps{Service: h.svc, Engine: engine, Catalog: cat, Files: h.files,
		Dedup: RedisDeduper{Client: rdb, Prefix: prefix + "event:"}, Logger: testLogger()}
	if deps != nil {
		deps(&d)
	}
	h.ch, err = New(cfg, d)
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	h.ch.Register(mux)
	if mode == ModeHTTP {
		h.app = httptest.NewServer(mux)
		tb.Cleanup(h.app.Close)
		h.fake.UseHTTP(h.app.URL, secret)
	}
	// The outbox runs on the service's clock (a test may move it).
	h.disp = notify.New(h.store, notify.Config{Poll: 50 * time.Millisecond, Lease: 20 * time.Second, Now: svcCfg.Now})
	h.disp.Register(h.ch, true)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		defer close(h.done)
		if err := h.ch.Run(ctx); err != nil {
			tb.Errorf("Run: %v", err)
		}
	}()
	go h.disp.Run(ctx)
	tb.Cleanup(h.stop)
	if mode == ModeSocket {
		h.fake.WaitConnected(tb)
	}
	poll(tb, "the channel to run", h.ch.Ready)
	return h
}

func (h *harness) stop() {
	h.cancel()
	select {
	case <-h.done:
	case <-time.After(15 * time.Second):
		h.t.Errorf("channel did not stop")
	}
}

// poll waits until ok, or fails the test.
func poll(tb testing.TB, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// inChannel matches a message in channel (thread "" for top level, "*"
// for any) whose text contains every part.
func inChannel(channel, thread string, parts ...string) func(slacktest.Message) bool {
	return func(m slacktest.Message) bool {
		if m.Channel != channel || (thread != "*" && m.ThreadTS != thread) || m.Ephemeral != "" {
			return false
		}
		for _, p := range parts {
			if !strings.Contains(m.Text, p) {
				return false
			}
		}
		return true
	}
}

func dmChannel(user string) string { return "D" + user[1:] }

// pngBytes is a small real PNG screenshot.
func pngBytes(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		img.Set(x, x%30, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// linkStaff makes user an assistant through an invite code sent in a DM.
func (h *harness) linkStaff(user string) *backend.Person {
	h.t.Helper()
	code, err := h.svc.CreateInvite(context.Background(), backend.RoleAssistant, 0, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	h.fake.DM(h.t, user, code, "")
	h.fake.WaitMessage(h.t, "confirming the invite", inChannel(dmChannel(user), "", "已绑定"))
	p, err := h.store.PersonByAccount(context.Background(), Platform, user)
	if err != nil || !p.Handles() {
		h.t.Fatalf("staff not linked: %v %+v", err, p)
	}
	return p
}

// tickets lists every ticket in the store.
func (h *harness) tickets() []*backend.Ticket {
	h.t.Helper()
	admin := &backend.Person{ID: -1, Roles: []backend.Role{backend.RoleAdmin}}
	page, err := h.svc.Tickets(context.Background(), admin, backend.TicketFilter{Limit: 200})
	if err != nil {
		h.t.Fatal(err)
	}
	return page.Tickets
}

// fileTicket files a ticket of severity sev for the reporter, as the
// backend would from any channel.
func (h *harness) fileTicket(sev backend.Severity) *backend.Ticket {
	h.t.Helper()
	ctx := context.Background()
	p, err := h.ch.reporter(ctx, reporter)
	if err != nil {
		h.t.Fatal(err)
	}
	tk, err := h.svc.CreateTicket(ctx, p, backend.NewTicket{Prefix: "FB", Summary: "放心房上线后在前台不显示", CategoryPath: []string{"产品线问题"},
		OccurredAt: time.Now().Add(-time.Hour), Region: "北京", Severity: sev, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: Platform})
	if err != nil {
		h.t.Fatal(err)
	}
	return tk
}
