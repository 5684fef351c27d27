package slack

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// benchReporters is how many reporters submit modals at once.
const benchReporters = 32

// BenchmarkModalSubmit measures complete modal submissions over Socket
// Mode from benchReporters concurrent reporters against the fake Slack:
// submissions/s and the p50/p99 from the envelope being sent to the
// ticket being saved (the Service's commit). The baseline, in the same
// run and with the same b.N, is a bare slack-go Socket Mode client that
// only acks: the cost of the transport alone. ratio = deskbot / baseline.
//
//	go test ./bot/slack -run X -bench ModalSubmit -benchtime 400x
func BenchmarkModalSubmit(b *testing.B) {
	// Baseline: slack-go acking every envelope, nothing else.
	fake := slacktest.New(b)
	api := slack.New("xoxb-bench", slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken("xapp-bench"))
	smc := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-smc.Events:
				if evt.Request != nil && evt.Type == socketmode.EventTypeInteractive {
					go func() { _ = smc.Ack(*evt.Request) }()
				}
			}
		}
	}()
	go func() { _ = smc.RunContext(ctx) }()
	fake.WaitConnected(b)

	// deskbot: validate, ack, file.
	h := newHarness(b, ModeSocket)
	var mu sync.Mutex
	saved := map[string]chan struct{}{}
	waitFor := func(summary string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		if saved[summary] == nil {
			saved[summary] = make(chan struct{})
		}
		return saved[summary]
	}
	onSaved := func(t *backend.Ticket) {
		if t.Version == 1 {
			close(waitFor(t.Summary))
		}
	}
	h.saved.Store(&onSaved)

	b.ResetTimer()
	base := runModalBench(b, "base", func(i int, payload map[string]any) (time.Duration, error) {
		start := time.Now()
		_, err := fake.Deliver("interactive", payload, 0)
		return time.Since(start), err
	})
	desk := runModalBench(b, "desk", func(i int, payload map[string]any) (time.Duration, error) {
		summary := payload["view"].(map[string]any)["state"].(map[string]any)["values"].(map[string]any)["summary"].(map[string]any)[actValue].(map[string]any)["value"].(string)
		done := waitFor(summary)
		start := time.Now()
		raw, err := h.fake.Deliver("interactive", payload, 0)
		if err != nil {
			return 0, err
		}
		if !strings.Contains(string(raw), "clear") {
			return 0, fmt.Errorf("submission answered %s", raw)
		}
		select {
		case <-done:
			return time.Since(start), nil
		case <-time.After(30 * time.Second):
			return 0, fmt.Errorf("ticket %q not saved", summary)
		}
	})
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(desk.rate, "submits/s")
	b.ReportMetric(ms(desk.p99), "p99-ms")
	b.ReportMetric(base.rate, "base-submits/s")
	b.ReportMetric(ms(base.p99), "base-p99-ms")
	b.ReportMetric(desk.rate/base.rate, "ratio")
	b.Logf("%d reporters, %d submissions: deskbot %.0f/s p50 %.1f ms p99 %.1f ms (event to ticket saved); ack-only baseline %.0f/s p50 %.1f ms p99 %.1f ms; ratio %.3f",
		benchReporters, b.N, desk.rate, ms(desk.p50), ms(desk.p99), base.rate, ms(base.p50), ms(base.p99), desk.rate/base.rate)
}

type benchResult struct {
	rate     float64
	p50, p99 time.Duration
}

// runModalBench sends b.N complete modal submissions from benchReporters
// goroutines and returns the rate and latency percentiles.
func runModalBench(b *testing.B, tag string, one func(i int, payload map[string]any) (time.Duration, error)) benchResult {
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var failed atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for r := range benchReporters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("UBENCH%02d", r)
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				d, err := one(i, submission(user, tag, i))
				if err != nil {
					failed.Store(err)
					return
				}
				lat[i] = d
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(lat)
	return benchResult{rate: float64(b.N) / elapsed.Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100]}
}

// submission is a complete feedback modal as Slack submits it.
func submission(user, tag string, i int) map[string]any {
	val := func(v string) map[string]any {
		return map[string]any{actValue: map[string]any{"type": "plain_text_input", "value": v}}
	}
	sel := func(action, v string) map[string]any {
		return map[string]any{action: map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v}}}
	}
	return map[string]any{"type": "view_submission", "user": map[string]any{"id": user}, "view": map[string]any{
		"id": fmt.Sprintf("V%s%06d", tag, i), "callback_id": cbTicket, "private_metadata": "feedback|category=product", "hash": "h",
		"state": map[string]any{"values": map[string]any{
			"summary":         val(fmt.Sprintf("放心房上线后在前台不显示 %s#%d", tag, i)),
			"category":        sel(actRoot, "product"),
			"category__child": sel(actValue, "product/house"),
			"occurred_at":     val("现在"),
			"region":          sel(actValue, "north"),
			"severity":        sel(actValue, "P3"),
			"contact":         val("13800138000"),
		}},
	}}
}
