package telegram

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
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/redistest"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

const triageChat = -100777

// testReceiptWait shortens the wait of a receipt for the dialog's own
// answer (Config.ReceiptWait) for the tests that file tickets without the
// dialog, long enough that a dialog's answer is recorded before it even
// on a busy machine.
const testReceiptWait = 2 * time.Second

// testLimits keep the shape of Telegram's limits at test speed.
var testLimits = Limits{Global: time.Millisecond, GlobalBurst: 30, Chat: 20 * time.Millisecond, ChatBurst: 2,
	Group: 20 * time.Millisecond, GroupBurst: 5, MaxWait: time.Second}

// harness is one deskbot with its Telegram channel against a fake
// Telegram server, on the real store and Redis.
type harness struct {
	t       testing.TB
	mode    string
	tg      *telegramtest.Server
	ch      *Channel
	svc     *backend.Service
	store   backend.Store
	disp    *notify.Dispatcher
	files   *botkit.Files
	cat     *catalog.Catalog
	webhook *httptest.Server
	cancel  context.CancelFunc
	stopped chan struct{}
}

type harnessOpt func(*Config)

// testLogger logs warnings to stderr when DESKBOT_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("DESKBOT_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func newHarness(tb testing.TB, mode string, opts ...harnessOpt) *harness {
	tb.Helper()
	return newHarnessWith(tb, mode, nil, opts...)
}

// newHarnessWith is newHarness with a last word on the channel's Deps
// (deps may be nil).
func newHarnessWith(tb testing.TB, mode string, deps func(*Deps), opts ...harnessOpt) *harness {
	tb.Helper()
	return buildHarness(tb, mode, telegramtest.New(tb), nil, deps, opts...)
}

// newHarnessServing is newHarness on a store made ready by prepare (which
// may be nil), with a last word on the service's config.
func newHarnessServing(tb testing.TB, mode string, prepare func(backend.Store), svc func(*backend.ServiceConfig)) *harness {
	tb.Helper()
	return buildHarness(tb, mode, telegramtest.New(tb), func(st backend.Store, cfg *backend.ServiceConfig) {
		if prepare != nil {
			prepare(st)
		}
		svc(cfg)
	}, nil)
}

// newHarnessOn is a harness on a fake that another harness used (a
// restart): the fake keeps what Telegram would, the store is new.
func newHarnessOn(tb testing.TB, tg *telegramtest.Server) *harness {
	tb.Helper()
	return buildHarness(tb, ModePoll, tg, nil, nil)
}

// buildHarness starts a harness; svc, if set, sees the store before the
// service is made and has a last word on its config.
func buildHarness(tb testing.TB, mode string, tg *telegramtest.Server, svc func(backend.Store, *backend.ServiceConfig), deps func(*Deps), opts ...harnessOpt) *harness {
	tb.Helper()
	h := &harness{t: tb, mode: mode, stopped: make(chan struct{}), tg: tg}
	h.store = openStore(tb)
	rdb, prefix := redistest.Open(tb)
	// As in cmd/deskbot: the per-update commands go through the
	// auto-pipeliner.
	rc, err := rdb.AutoPipeline()
	if err != nil {
		tb.Fatal(err)
	}
	cat, err := catalog.New()
	if err != nil {
		tb.Fatal(err)
	}
	h.cat = cat
	forms, err := dialogs.DefaultForms(cat)
	if err != nil {
		tb.Fatal(err)
	}
	h.files, err = botkit.NewFiles(tb.TempDir(), 0, nil)
	if err != nil {
		tb.Fatal(err)
	}
	svcCfg := backend.ServiceConfig{Changed: func(t *backend.Ticket) {
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
	engine, err := dialogs.NewEngine(dialogs.Config{Forms: forms, Catalog: cat,
		Sessions: dialogs.NewRedisStore(rc, prefix+"dialog:", 0), Logger: testLogger(),
		// As cmd/deskbot: suggestions after the summary, and the directory.
		Filer: &botkit.Filer{Service: h.svc, Files: h.files}, Suggester: &botkit.Suggester{Service: h.svc}, Directory: &botkit.Directory{Service: h.svc}})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := Config{Token: telegramtest.Token, APIURL: h.tg.URL(), Mode: mode, WebhookSecret: "s3cret-Token",
		TriageChat: triageChat, PollTimeout: 2 * time.Second, Workers: 8, Limits: testLimits, ReceiptWait: testReceiptWait}
	mux := http.NewServeMux()
	if mode == ModeWebhook {
		h.webhook = httptest.NewServer(mux)
		tb.Cleanup(h.webhook.Close)
		cfg.WebhookURL = h.webhook.URL + WebhookPath
	}
	for _, o := range opts {
		o(&cfg)
	}
	d := Deps{Service: h.svc, Engine: engine, Catalog: cat, Files: h.files,
		Dedup: RedisDeduper{Client: rc, Prefix: prefix + "update:"}, Logger: testLogger()}
	if deps != nil {
		deps(&d)
	}
	h.ch, err = New(cfg, d)
	if err != nil {
		tb.Fatal(err)
	}
	h.ch.Register(mux)
	// The outbox runs on the service's clock (a test may move it).
	h.disp = notify.New(h.store, notify.Config{Poll: 50 * time.Millisecond, Lease: 20 * time.Second, Now: svcCfg.Now})
	h.disp.Register(h.ch, true)

	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		defer close(h.stopped)
		if err := h.ch.Run(ctx); err != nil {
			tb.Errorf("Run: %v", err)
		}
	}()
	go h.disp.Run(ctx)
	tb.Cleanup(h.stop)
	// Ready when the channel serves: the webhook registered, or polling.
	h.tg.Wait(tb, 15*time.Second, "the channel to start", func() bool {
		if mode == ModeWebhook {
			return h.tg.WebhookURL() != "" && h.ch.running.Load()
		}
		return len(h.tg.CallsTo("deleteWebhook")) > 0 && h.ch.running.Load()
	})
	return h
}

func (h *harness) stop() {
	h.cancel()
	select {
	case <-h.stopped:
	case <-time.After(15 * time.Second):
		h.t.Errorf("channel did not stop")
	}
}

// deliver hands an update to the bot as Telegram would in this mode.
func (h *harness) deliver(upd *models.Update) { h.tg.Deliver(h.t, upd) }

// chatLog follows one chat's bot messages in order. A message returned
// last may be returned again once edited (a question that took in the
// answer to its choice).
type chatLog struct {
	h        *harness
	chat     int64
	seen     int
	lastText string // of msgs[seen-1] when returned
}

func (h *harness) follow(chat int64) *chatLog { return &chatLog{h: h, chat: chat} }

// next waits for the first message after the last one returned that
// contains every part, and returns it.
func (l *chatLog) next(parts ...string) *models.Message {
	l.h.t.Helper()
	var found *models.Message
	ok := l.h.tg.Poll(15*time.Second, func() bool {
		msgs := l.h.tg.Messages(l.chat)
		from := l.seen
		if from > 0 && msgs[from-1].Text != l.lastText {
			from-- // edited since
		}
		for i := from; i < len(msgs); i++ {
			if telegramtest.Containing(parts...)(msgs[i]) {
				found = msgs[i]
				l.seen, l.lastText = i+1, msgs[i].Text
				return true
			}
		}
		return false
	})
	if !ok {
		var got []string
		for _, m := range l.h.tg.Messages(l.chat)[l.seen:] {
			got = append(got, clip(m.Text, 120))
		}
		l.h.t.Fatalf("timed out waiting for a message in chat %d containing %q; since the last one: %q", l.chat, parts, got)
	}
	return found
}

// say sends u's answers in turn, each once the bot's message before it
// (the next element of steps: answer, then what the bot says next)
// arrived, and returns the last message.
func (h *harness) say(u models.User, log *chatLog, steps ...string) *models.Message {
	h.t.Helper()
	var m *models.Message
	for i := 0; i+1 < len(steps); i += 2 {
		h.deliver(h.tg.Text(u, steps[i]))
		m = log.next(steps[i+1])
	}
	return m
}

// count is how many of chat's messages contain text.
func (h *harness) count(chat int64, text string) int {
	n := 0
	for _, m := range h.tg.Messages(chat) {
		if strings.Contains(m.Text, text) {
			n++
		}
	}
	return n
}

// press presses the button labelled label (or with that data) on m, and
// returns the update (for answerTo).
func (h *harness) press(u models.User, m *models.Message, label string) *models.Update {
	h.t.Helper()
	// Press on the message as it looks now.
	cur := h.tg.Message(m.Chat.ID, m.ID)
	data := telegramtest.ButtonData(cur, label)
	if data == "" {
		data = telegramtest.ButtonData(m, label)
	}
	if data == "" {
		data = label
	}
	upd := h.tg.Press(u, cur, data)
	h.deliver(upd)
	return upd
}

// pngBytes is a small real PNG screenshot.
func pngBytes(tb testing.TB) []byte { return screenshot(tb, 0) }

// screenshot is a small real PNG, different for every n.
func screenshot(tb testing.TB, n int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		img.Set(x, x%30, color.RGBA{R: 200, A: 255})
	}
	for bit := range 30 {
		if n>>bit&1 == 1 {
			img.Set(bit, 29, color.RGBA{B: 200, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// fileTicket runs the whole feedback dialog for u (with a screenshot) and
// returns the ticket number. confirmTwice delivers the final press twice,
// as a Telegram retry would.
func (h *harness) fileTicket(u models.User, log *chatLog, confirmTwice bool) string {
	h.t.Helper()
	h.toScreenshots(u, log)
	h.deliver(h.tg.Photo(u, pngBytes(h.t), ""))
	q := log.next("已收到 1 个文件")
	h.press(u, q, "cmd:done")
	return h.fromOrderNumber(u, log, confirmTwice)
}

// toSecondQuestion starts the feedback dialog for u, answers the summary
// with summary, and returns the second question (its buttons are choices).
func (h *harness) toSecondQuestion(u models.User, log *chatLog, summary string) *models.Message {
	h.t.Helper()
	h.deliver(h.tg.Text(u, "/start"))
	log.next("问题概述")
	h.deliver(h.tg.Text(u, summary))
	return log.next("（2/10）")
}

// toRegion runs the feedback dialog up to the region question and
// returns it.
func (h *harness) toRegion(u models.User, log *chatLog) *models.Message {
	h.t.Helper()
	return h.regionFrom(u, log, h.toSecondQuestion(u, log, "放心房上线后在前台不显示，已经两个小时了"))
}

// regionFrom answers the feedback dialog from its second question q up to
// the region question, and returns it.
func (h *harness) regionFrom(u models.User, log *chatLog, q *models.Message) *models.Message {
	h.t.Helper()
	h.press(u, q, "cmd:skip")
	q = log.next("（3/10）")
	h.press(u, q, "opt:category:product")
	q = log.next("具体位置")
	h.press(u, q, "opt:category:product/house")
	log.next("（4/10）")
	h.deliver(h.tg.Text(u, "现在"))
	return log.next("（5/10）")
}

// toScreenshots runs the feedback dialog up to the screenshots question.
func (h *harness) toScreenshots(u models.User, log *chatLog) {
	h.t.Helper()
	q := h.toRegion(u, log)
	h.press(u, q, "opt:region:north")
	q = log.next("（6/10）")
	h.press(u, q, "opt:severity:P2")
	log.next("（7/10）")
}

// fromOrderNumber answers the rest of the dialog after the screenshots,
// submits, and returns the ticket number.
func (h *harness) fromOrderNumber(u models.User, log *chatLog, confirmTwice bool) string {
	h.t.Helper()
	log.next("（8/10）")
	h.deliver(h.tg.Text(u, "ORD-12345"))
	log.next("（9/10）")
	h.deliver(h.tg.Text(u, "shop_bj_2026"))
	log.next("（10/10）")
	h.deliver(h.tg.Text(u, "13800138000"))
	q := log.next("请核对")
	h.press(u, q, "cmd:submit")
	q = log.next("确认提交吗")
	confirm := h.tg.Press(u, h.tg.Message(q.Chat.ID, q.ID), "cmd:confirm")
	if confirmTwice && h.mode == ModeWebhook {
		done := make(chan struct{})
		go func() { defer close(done); h.tg.Post(context.Background(), confirm) }()
		h.deliver(confirm)
		<-done
	} else {
		h.deliver(confirm)
		if confirmTwice {
			h.tg.Enqueue(confirm)
		}
	}
	filed := log.next("已提交")
	n := numberRE.FindString(filed.Text)
	if n == "" {
		h.t.Fatalf("no ticket number in %q", filed.Text)
	}
	return n
}

// linkAssistant links u as an assistant through an invite.
func (h *harness) linkAssistant(u models.User) *backend.Person {
	h.t.Helper()
	code, err := h.svc.CreateInvite(context.Background(), backend.RoleAssistant, 0, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	h.deliver(h.tg.Text(u, "/start "+code))
	h.follow(u.ID).next("已绑定")
	p, err := h.store.PersonByAccount(context.Background(), Platform, itoa(u.ID))
	if err != nil || !p.Handles() {
		h.t.Fatalf("after the invite: %v, %+v", err, p)
	}
	return p
}
