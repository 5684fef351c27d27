package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/sla"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// TestBatchGoesToTheDM: the weekly P4 batch reaches an info specialist
// on Slack in their DM, not in the triage card's thread (where they are
// not), and a reply under it is answered with where to act.
func TestBatchGoesToTheDM(t *testing.T) {
	h := newHarness(t, ModeSocket)
	ctx := context.Background()
	const spec = "USPEC"
	code, err := h.svc.CreateInvite(ctx, backend.RoleInfoSpecialist, 0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h.fake.DM(t, spec, code, "")
	h.fake.WaitMessage(t, "the invite accepted", inChannel(dmChannel(spec), "", ""))
	tk := h.fileTicket(backend.P4)
	h.fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	pol, err := sla.ParsePolicy(sla.DefaultPolicyYAML(), "default")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := pol.NewCalendarFor(sla.DefaultHolidays(), sla.CalendarConfig{})
	if err != nil {
		t.Fatal(err)
	}
	eng := sla.NewEngine(sla.Config{Store: h.store, Policy: pol, Calendar: cal, Changed: func(int64) { h.disp.Wake() }})
	if err := eng.Fire(ctx, sla.Timer{What: sla.TimerBatch, Day: "2026-11-23"}); err != nil {
		t.Fatal(err)
	}
	m := h.fake.WaitMessage(t, "the batch entry", func(m slacktest.Message) bool {
		return strings.Contains(m.Text, tk.Number) && (m.Channel == dmChannel(spec) || strings.Contains(m.Text, "<@"+spec+">"))
	})
	if m.Channel != dmChannel(spec) || m.ThreadTS != "" {
		t.Fatalf("the P4 batch went to channel %s thread %q: %q", m.Channel, m.ThreadTS, m.Text)
	}

	h.remembered(m.Channel, m.TS)
	h.fake.DM(t, spec, "这个我下周看", m.TS)
	h.fake.WaitMessage(t, "the hint", inChannel(dmChannel(spec), m.TS, "不会发给报告人"))
	for _, e := range h.comments(tk.Number) {
		if strings.Contains(e.Body, "下周看") {
			t.Errorf("the reply under the batch became a comment: %+v", e)
		}
	}
}
