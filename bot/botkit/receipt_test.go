package botkit

import (
	"errors"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
)

// TestDialogReceipt: a receipt for a ticket filed through the chat's
// dialog is skipped once the dialog's answer is recorded, waits for it a
// while, and goes out when it never came; other messages are untouched.
func TestDialogReceipt(t *testing.T) {
	filed := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	msg := func(audience backend.Audience, kind backend.EventKind, channel string) notify.Message {
		return notify.Message{Outbox: &backend.OutboxMessage{Audience: audience}, Ticket: &backend.Ticket{Channel: channel},
			Event: &backend.Event{Kind: kind, At: filed}}
	}
	receipt := msg(backend.AudienceReporter, backend.EventCreated, "telegram")
	said := func(ok bool) func() (bool, error) { return func() (bool, error) { return ok, nil } }
	for _, tc := range []struct {
		name     string
		m        notify.Message
		said     bool
		age      time.Duration
		skip     bool
		waitUpTo time.Duration // 0: no wait
		wait     time.Duration // the channel's ReceiptWait (0: the default)
	}{
		{"Said", receipt, true, time.Second, true, 0, 0},
		{"NotYet", receipt, false, time.Second, false, ReceiptPoll, 0},
		{"NeverCame", receipt, false, ReceiptWait + time.Second, false, 0, 0},
		{"FiledElsewhere", msg(backend.AudienceReporter, backend.EventCreated, "api"), true, time.Second, false, 0, 0},
		{"TriageCard", msg(backend.AudienceTriage, backend.EventCreated, "telegram"), true, time.Second, false, 0, 0},
		{"LaterNotice", msg(backend.AudienceReporter, backend.EventAssigned, "telegram"), true, time.Second, false, 0, 0},
		{"ShorterWaitOver", receipt, false, time.Second, false, 0, 500 * time.Millisecond},
		{"ShorterWaitNotYet", receipt, false, 100 * time.Millisecond, false, ReceiptPoll, 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			skip, err := DialogReceipt(tc.m, "telegram", filed.Add(tc.age), tc.wait, said(tc.said))
			var wait *notify.RetryAfterError
			switch {
			case skip != tc.skip:
				t.Fatalf("skip %v, want %v", skip, tc.skip)
			case tc.waitUpTo == 0 && err != nil:
				t.Fatalf("err %v, want none", err)
			case tc.waitUpTo > 0 && (!errors.As(err, &wait) || wait.After <= 0 || wait.After > tc.waitUpTo):
				t.Fatalf("err %v, want a wait of at most %s", err, tc.waitUpTo)
			}
		})
	}
}
