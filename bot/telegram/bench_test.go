package telegram

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

// benchReporters is how many reporters run the dialog at once
// (DESKBENCH_REPORTERS, default 200).
func benchReporters() int {
	if n, err := strconv.Atoi(os.Getenv("DESKBENCH_REPORTERS")); err == nil && n > 0 {
		return n
	}
	return 200
}

// step is one turn of the benchmark dialog: what the reporter does, and
// a text the bot's answer contains.
type step struct {
	text, button string
	photo        bool
	expect       string
}

var benchDialog = []step{
	{text: "/start", expect: "（1/10）"},
	{text: "放心房上线后在前台不显示，已经两个小时了", expect: "（2/10）"},
	{button: "cmd:skip", expect: "（3/10）"},
	{button: "opt:category:product", expect: "具体位置"},
	{button: "opt:category:product/house", expect: "（4/10）"},
	{text: "现在", expect: "（5/10）"},
	{button: "opt:region:north", expect: "（6/10）"},
	{button: "opt:severity:P2", expect: "（7/10）"},
	{photo: true, expect: "已收到 1 个文件"},
	{button: "cmd:done", expect: "（8/10）"},
	{text: "ORD-12345", expect: "（9/10）"},
	{text: "shop_bj_2026", expect: "（10/10）"},
	{text: "13800138000", expect: "请核对"},
	{button: "cmd:submit", expect: "确认提交吗"},
	{button: "cmd:confirm", expect: "已提交"},
}

// turnMeter waits for the bot's answers and measures each turn from the
// update's delivery to the answer reaching the fake. An answer is a sent
// message, or a question edited in place into the next one.
type turnMeter struct {
	mu      sync.Mutex
	waiting map[int64]chan *models.Message // chat → the reporter waiting
	expect  map[int64]string
	lat     []time.Duration
	byStep  map[string][]time.Duration // expected text → latencies
}

func newTurnMeter(tg *telegramtest.Server) *turnMeter {
	m := &turnMeter{waiting: map[int64]chan *models.Message{}, expect: map[int64]string{}, byStep: map[string][]time.Duration{}}
	tg.OnCall = func(c telegramtest.Call) {
		if (c.Method != "sendMessage" && c.Method != "editMessageText") || c.Result == nil {
			return
		}
		m.mu.Lock()
		ch, ok := m.waiting[c.Result.Chat.ID]
		if ok && strings.Contains(c.Result.Text, m.expect[c.Result.Chat.ID]) {
			delete(m.waiting, c.Result.Chat.ID)
		} else {
			ok = false
		}
		m.mu.Unlock()
		if ok {
			ch <- c.Result
		}
	}
	return m
}

// turn delivers upd and waits for the answer containing expect.
func (m *turnMeter) turn(ctx context.Context, chat int64, expect string, deliver func()) (*models.Message, error) {
	ch := make(chan *models.Message, 1)
	m.mu.Lock()
	m.waiting[chat], m.expect[chat] = ch, expect
	m.mu.Unlock()
	start := time.Now()
	deliver()
	select {
	case msg := <-ch:
		d := time.Since(start)
		m.mu.Lock()
		m.lat = append(m.lat, d)
		m.byStep[expect] = append(m.byStep[expect], d)
		m.mu.Unlock()
		return msg, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("chat %d: no answer containing %q", chat, expect)
	}
}

type benchResult struct {
	turns    int
	elapsed  time.Duration
	p50, p99 time.Duration
	cpu      time.Duration            // CPU time of this process (bot, fake and reporters; not Postgres or Redis)
	machine  time.Duration            // CPU time of the whole machine (with Postgres and Redis); 0 where unknown
	services map[string]time.Duration // CPU time of the Postgres and Redis processes alive during the run
	calls    map[string]int           // Bot API calls by method, getUpdates excluded
	conns    int64                    // connections the bot opened to the fake
	slowest  []stepTimes              // the steps with the longest p99, slowest first
}

// stepTimes is the latency of one step of the dialog over all reporters.
type stepTimes struct {
	expect   string
	p50, p99 time.Duration
}

func percentiles(l []time.Duration) (p50, p99 time.Duration) {
	if len(l) == 0 {
		return 0, 0
	}
	l = slices.Clone(l)
	slices.Sort(l)
	return l[len(l)*50/100], l[min(len(l)-1, len(l)*99/100)]
}

// slowSteps says where the tail comes from.
func (r benchResult) slowSteps() string {
	var parts []string
	for _, s := range r.slowest {
		parts = append(parts, fmt.Sprintf("%q p50 %s p99 %s", s.expect, s.p50.Round(time.Millisecond), s.p99.Round(time.Millisecond)))
	}
	return strings.Join(parts, "; ")
}

// callsPerTurn says how many Bot API calls a turn took, by method.
func (r benchResult) callsPerTurn() string {
	var parts []string
	for _, m := range slices.Sorted(maps.Keys(r.calls)) {
		parts = append(parts, fmt.Sprintf("%s %.2f", m, float64(r.calls[m])/float64(max(r.turns, 1))))
	}
	return strings.Join(parts, ", ")
}

// cpuPerTurn is less disturbed by other load on the machine than turns/s.
func (r benchResult) cpuPerTurn() time.Duration { return r.cpu / time.Duration(max(r.turns, 1)) }

func (r benchResult) servicePerTurn(name string) time.Duration {
	return r.services[name] / time.Duration(max(r.turns, 1))
}

func (r benchResult) machinePerTurn() time.Duration {
	return r.machine / time.Duration(max(r.turns, 1))
}

// machineCPU is the busy time of all CPUs since boot, from /proc/stat (0
// where there is none).
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal
	if len(f) < 5 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:min(len(f), 9)] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}

// servicesCPU is the CPU time so far of the Postgres and Redis processes
// on this machine, by name (empty where /proc cannot tell): each one's
// own, and its reaped children's (a Postgres backend that exited during
// the run counts in the postmaster's), so the difference over a run is
// what the run cost them.
func servicesCPU() map[string]time.Duration {
	cpu := map[string]time.Duration{"postgres": 0, "redis-server": 0}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... utime stime cutime cstime: fields 14–17.
		open, close := strings.IndexByte(string(b), '('), strings.LastIndexByte(string(b), ')')
		if open < 0 || close < open {
			continue
		}
		name := string(b[open+1 : close])
		if _, ok := cpu[name]; !ok {
			continue
		}
		f := strings.Fields(string(b[close+1:])) // state is f[0]: utime f[11] … cstime f[14]
		if len(f) < 15 {
			continue
		}
		for _, v := range f[11:15] {
			n, _ := strconv.ParseInt(v, 10, 64)
			cpu[name] += time.Duration(n) * time.Second / 100 // USER_HZ
		}
	}
	return cpu
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (r benchResult) perSec() float64 { return float64(r.turns) / r.elapsed.Seconds() }

func (m *turnMeter) result(elapsed time.Duration) benchResult {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := benchResult{turns: len(m.lat), elapsed: elapsed}
	r.p50, r.p99 = percentiles(m.lat)
	for expect, l := range m.byStep {
		st := stepTimes{expect: expect}
		st.p50, st.p99 = percentiles(l)
		r.slowest = append(r.slowest, st)
	}
	slices.SortFunc(r.slowest, func(a, b stepTimes) int { return int(b.p99 - a.p99) })
	r.slowest = r.slowest[:min(3, len(r.slowest))]
	return r
}

// runReporters runs n reporters at once through turns, each delivered by
// deliver.
func runReporters(b *testing.B, tg *telegramtest.Server, n int, base int64, turns []step, deliver func(*models.Update), profile string) benchResult {
	meter := newTurnMeter(tg)
	defer func() { tg.OnCall = nil }()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	photos := make([][]byte, n) // every reporter has a screenshot of their own
	for i := range photos {
		photos[i] = screenshot(b, int(base)+i)
	}
	callsBefore, connsBefore := len(tg.Calls()), tg.Conns()
	if profile != "" {
		defer profileTurns(b, profile)()
	}
	start, cpu, machine, services := time.Now(), processCPU(), machineCPU(), servicesCPU()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := telegramtest.User(base+int64(i), "R"+strconv.Itoa(i), "zh-hans")
			var last *models.Message
			for _, s := range turns {
				var upd *models.Update
				switch {
				case s.photo:
					upd = tg.Photo(u, photos[i], "")
				case s.button != "":
					data := telegramtest.ButtonData(last, s.button) // with the turn's mark
					if data == "" {
						data = s.button
					}
					upd = tg.Press(u, last, data)
				default:
					upd = tg.Text(u, s.text)
				}
				m, err := meter.turn(ctx, u.ID, s.expect, func() { deliver(upd) })
				if err != nil {
					msgs := tg.Messages(u.ID)
					if len(msgs) > 0 {
						err = fmt.Errorf("%w (update %d); last answer: %q", err, upd.ID, clip(msgs[len(msgs)-1].Text, 80))
					}
					errs <- err
					return
				}
				last = m
			}
		}()
	}
	wg.Wait()
	r := meter.result(time.Since(start))
	r.cpu = processCPU() - cpu
	r.machine = machineCPU() - machine
	r.services = servicesCPU()
	for name, d := range r.services {
		r.services[name] = d - services[name]
	}
	r.conns = tg.Conns() - connsBefore
	r.calls = map[string]int{}
	for _, c := range tg.Calls()[callsBefore:] {
		switch {
		case c.InWebhookReply:
			r.calls[c.Method+" (in webhook replies)"]++
		case c.Method != "getUpdates":
			r.calls[c.Method]++
		}
	}
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return r
}

// profileTurns writes a CPU profile of the turns alone to path, without
// the set-up of the round (a new schema, the reporters' screenshots) that
// -cpuprofile would mix in; it returns the function that ends it. Run
// with DESKBENCH_CPUPROFILE=path: the first round of each mode is
// profiled, to path.poll and path.webhook.
func profileTurns(b *testing.B, path string) func() {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatalf("%v (-cpuprofile and DESKBENCH_CPUPROFILE cannot be used together)", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}

// BenchmarkTelegram: N reporters complete the whole feedback dialog at
// once, in poll and webhook mode, against a bare go-telegram echo bot on
// the same fake as the baseline. Run with -benchtime=1x.
//
// A run takes a second or two, and what else the machine does moves both
// bots' turns/s by a third from one minute to the next; so each iteration
// runs benchRounds rounds, echo then deskbot, and reports the median of
// each and the median of the rounds' ratios.
func BenchmarkTelegram(b *testing.B) {
	n, rounds := benchReporters(), benchRounds()
	for _, mode := range []string{ModePoll, ModeWebhook} {
		b.Run(mode, func(b *testing.B) {
			var echos, desks []benchResult
			var ratios []float64
			for i := range b.N {
				for r := range rounds {
					iter := int64(i*rounds + r)
					// Labelled, so that a -cpuprofile tells the two apart
					// (pprof -tagfocus bot=deskbot): the goroutines each
					// starts, its fake's among them, inherit the label.
					var echo, desk benchResult
					pprof.Do(context.Background(), pprof.Labels("bot", "echo"), func(context.Context) {
						echo = benchEcho(b, mode, n, iter)
					})
					pprof.Do(context.Background(), pprof.Labels("bot", "deskbot"), func(context.Context) {
						h := newHarness(b, mode, func(c *Config) { c.Workers = benchWorkers(); c.Limits = DefaultLimits })
						deliver := func(u *models.Update) { h.deliver(u) }
						var profile string
						if p := os.Getenv("DESKBENCH_CPUPROFILE"); p != "" && r == 0 {
							profile = p + "." + mode
						}
						desk = runReporters(b, h.tg, n, 10_000_000+iter*100_000, benchDialog, deliver, profile)
						h.stop()
					})
					b.Logf("%s round %d: deskbot %.0f turns/s p99 %s, %s CPU/turn; echo %.0f turns/s p99 %s, %s CPU/turn; ratio %.2f",
						mode, r+1, desk.perSec(), desk.p99.Round(time.Millisecond), desk.cpuPerTurn().Round(time.Microsecond),
						echo.perSec(), echo.p99.Round(time.Millisecond), echo.cpuPerTurn().Round(time.Microsecond), desk.perSec()/echo.perSec())
					echos, desks = append(echos, echo), append(desks, desk)
					ratios = append(ratios, desk.perSec()/echo.perSec())
				}
			}
			echo, desk, ratio := medianRun(echos), medianRun(desks), median(ratios)
			b.ReportMetric(desk.perSec(), "turns/s")
			b.ReportMetric(float64(desk.p50.Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(desk.p99.Microseconds())/1000, "p99_ms")
			b.ReportMetric(echo.perSec(), "echo_turns/s")
			b.ReportMetric(ratio, "ratio")
			b.ReportMetric(float64(desk.cpuPerTurn().Microseconds()), "cpu_us/turn")
			b.ReportMetric(float64(echo.cpuPerTurn().Microseconds()), "echo_cpu_us/turn")
			b.Logf("%s: %d reporters, %d turns a round, median of %d rounds: deskbot %.0f turns/s p50 %s p99 %s, %s CPU/turn; echo %.0f turns/s p50 %s p99 %s, %s CPU/turn; ratio %.2f (rounds: %s)",
				mode, n, desk.turns, len(ratios), desk.perSec(), desk.p50, desk.p99, desk.cpuPerTurn().Round(time.Microsecond),
				echo.perSec(), echo.p50, echo.p99, echo.cpuPerTurn().Round(time.Microsecond), ratio, fmtRatios(ratios))
			b.Logf("%s: Bot API calls per turn: deskbot %s; echo %s", mode, desk.callsPerTurn(), echo.callsPerTurn())
			b.Logf("%s: connections opened to the fake: deskbot %d, echo %d", mode, desk.conns, echo.conns)
			b.Logf("%s: deskbot's slowest steps: %s", mode, desk.slowSteps())
			if desk.machine > 0 {
				// On a machine where Postgres and Redis share the CPUs, the
				// ratio cannot exceed the ratio of these.
				b.Logf("%s: machine CPU per turn (with Postgres and Redis): deskbot %s, echo %s; of deskbot's, Postgres %s, Redis %s",
					mode, desk.machinePerTurn().Round(time.Microsecond), echo.machinePerTurn().Round(time.Microsecond),
					desk.servicePerTurn("postgres").Round(time.Microsecond), desk.servicePerTurn("redis-server").Round(time.Microsecond))
			}
			b.Logf("%s: goal (issue #5) ratio ≥ 0.50: %s (%.2f); p99 ≤ 50 ms: %s (%s)", mode,
				verdict(ratio >= 0.5), ratio, verdict(desk.p99 <= 50*time.Millisecond), desk.p99.Round(time.Millisecond))
		})
	}
}

// benchRounds is how many echo/deskbot pairs an iteration runs
// (DESKBENCH_ROUNDS, default 3).
func benchRounds() int {
	if n, err := strconv.Atoi(os.Getenv("DESKBENCH_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 3
}

// medianRun is the run with the median turns/s.
func medianRun(runs []benchResult) benchResult {
	runs = slices.Clone(runs)
	slices.SortFunc(runs, func(a, b benchResult) int { return cmp.Compare(a.perSec(), b.perSec()) })
	return runs[len(runs)/2]
}

func median(l []float64) float64 {
	l = slices.Clone(l)
	slices.Sort(l)
	return l[len(l)/2]
}

func fmtRatios(l []float64) string {
	parts := make([]string, len(l))
	for i, r := range l {
		parts[i] = strconv.FormatFloat(r, 'f', 2, 64)
	}
	return strings.Join(parts, " ")
}

// benchEcho is the baseline: a bare go-telegram bot that echoes every
// text and answers every button, against the same fake, same turns.
func benchEcho(b *testing.B, mode string, n int, iter int64) benchResult {
	tg := telegramtest.New(b)
	handler := func(ctx context.Context, bt *bot.Bot, upd *models.Update) {
		switch {
		case upd.Message != nil:
			text := upd.Message.Text
			if text == "" {
				text = "photo"
			}
			bt.SendMessage(ctx, &bot.SendMessageParams{ChatID: upd.Message.Chat.ID, Text: "echo " + text})
		case upd.CallbackQuery != nil:
			bt.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: upd.CallbackQuery.ID})
			bt.SendMessage(ctx, &bot.SendMessageParams{ChatID: upd.CallbackQuery.Message.Message.Chat.ID, Text: "echo " + upd.CallbackQuery.Data})
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// go-telegram runs each update's handler in a goroutine of its own, so
	// with every reporter at once about as many requests are in flight:
	// the pool keeps them all, or the baseline spends its CPU dialling
	// (with 128 idle it opened ~800 connections a round, not ~200).
	tr.MaxIdleConnsPerHost, tr.MaxIdleConns = 512, 512
	bt, err := bot.New(telegramtest.Token, bot.WithServerURL(tg.URL()), bot.WithSkipGetMe(), bot.WithDefaultHandler(handler),
		bot.WithHTTPClient(2*time.Second, &http.Client{Transport: tr, Timeout: 10 * time.Second}), bot.WithWorkers(8))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deliver := func(u *models.Update) { tg.Enqueue(u) }
	if mode == ModeWebhook {
		srv := httptest.NewServer(bt.WebhookHandler())
		defer srv.Close()
		bt.SetWebhook(ctx, &bot.SetWebhookParams{URL: srv.URL, SecretToken: "echo"})
		go bt.StartWebhook(ctx)
		deliver = func(u *models.Update) { tg.Post(context.Background(), u) }
	} else {
		go bt.Start(ctx)
	}
	// The echo bot says "echo …": expect that instead of the dialog texts.
	turns := make([]step, len(benchDialog))
	for i, s := range benchDialog {
		s.expect = "echo"
		turns[i] = s
	}
	return runReporters(b, tg, n, 20_000_000+iter*100_000, turns, deliver, "")
}

func benchWorkers() int {
	if n, err := strconv.Atoi(os.Getenv("DESKBENCH_WORKERS")); err == nil && n > 0 {
		return n
	}
	return 64
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "not met"
}

// BenchmarkSendMessage is one sendMessage with a keyboard, one at a time,
// through go-telegram (a multipart form, the whole Message decoded) and as
// deskbot sends it (JSON, only where the message is decoded): the CPU of
// both ends of the call, the fake's too.
func BenchmarkSendMessage(b *testing.B) {
	h := newHarness(b, ModePoll)
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
		{button("产品问题", "opt:category:product"), button("CRM问题", "opt:category:crm")},
		{button("跳过", "cmd:skip"), button("取消", "cmd:cancel")}}}
	p := &bot.SendMessageParams{ChatID: int64(777), Text: "请选择问题分类（3/10）：放心房上线后在前台不显示。", ReplyMarkup: kb}
	ctx := context.Background()
	for _, way := range []struct {
		name string
		send func() (*models.Message, error)
	}{
		{"go-telegram", func() (*models.Message, error) { return h.ch.bot.SendMessage(ctx, p) }},
		{"json", func() (*models.Message, error) { return h.ch.sendMessage(ctx, p) }},
	} {
		b.Run(way.name, func(b *testing.B) {
			b.ReportAllocs()
			t0 := processCPU()
			for b.Loop() {
				if m, err := way.send(); err != nil || m.ID == 0 {
					b.Fatal(m, err)
				}
			}
			b.ReportMetric(float64((processCPU()-t0).Nanoseconds())/1000/float64(b.N), "cpu_us/op")
		})
	}
}
