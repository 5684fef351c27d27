package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
)

func message() notify.Message {
	at := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	return notify.Message{
		Outbox: &backend.OutboxMessage{ID: 42, Audience: backend.AudienceWebhook},
		Ticket: &backend.Ticket{ID: 5, Number: "CP-20261124-0001", Form: "complaint", Status: backend.StatusAssigned, Severity: backend.P2,
			Summary: "螺丝刀杆上有铁锈", OrderNumber: "20080505003", Account: "acct-889900", ReporterID: 2, AssigneeID: 3,
			Contacts: backend.Contacts{Phone: "13800138000"}, Extra: map[string]string{"customer": "李先生", "requests": "上门处理"},
			Channel: "telegram", CreatedAt: at, UpdatedAt: at},
		Event: &backend.Event{ID: 17, Kind: backend.EventComment, At: at, Public: true, ActorID: 3,
			Body: "已联系李先生 13800138000，明天上门", Data: backend.EventData{AssigneeID: 3}},
	}
}

func TestSend(t *testing.T) {
	const secret = "s3cret-s3cret-s3cret"
	now := time.Date(2026, 11, 24, 8, 0, 5, 0, time.UTC)
	var got Delivery
	var header http.Header
	status, retryAfter, location := http.StatusOK, "", ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		header = r.Header.Clone()
		if err := Verify(secret, r.Header.Get("X-Deskbot-Signature"), body, now, 5*time.Minute); err != nil {
			t.Errorf("the receiver cannot verify the delivery: %v", err)
		}
		got = Delivery{}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		if location != "" {
			w.Header().Set("Location", location)
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	s := &Sender{URL: srv.URL, Secret: secret, Now: func() time.Time { return now }}
	ctx := context.Background()

	if err := s.Send(ctx, message()); err != nil {
		t.Fatal(err)
	}
	if header.Get("X-Deskbot-Delivery") != "outbox-42" || header.Get("X-Deskbot-Event") != "comment" ||
		header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", header)
	}
	tk := got.Ticket
	if got.ID != "outbox-42" || got.Event.ID != 17 || got.Event.Kind != backend.EventComment || got.Event.ActorID != 3 ||
		!got.Event.Public || tk.Number != "CP-20261124-0001" || tk.Status != backend.StatusAssigned || tk.AssigneeID != 3 ||
		tk.OrderNumber != "20080505003" || tk.Extra["requests"] != "上门处理" || got.Event.Data.AssigneeID != 3 {
		t.Errorf("delivery %+v", got)
	}
	// Personal data stays inside: contacts, account, the customer and the
	// phone number in the reply are masked.
	if tk.Contacts["phone"] != "138****8000" || tk.Extra["customer"] != "李**" || tk.Account == "acct-889900" ||
		strings.Contains(got.Event.Body, "13800138000") || strings.Contains(got.Event.Body, "李先生") {
		t.Errorf("personal data leaves: contacts %v extra %v account %q body %q", tk.Contacts, tk.Extra, tk.Account, got.Event.Body)
	}

	var ra *notify.RetryAfterError
	var perm *notify.PermanentError
	for _, tc := range []struct {
		status              int
		retryAfter, where   string
		wait                time.Duration // a RetryAfterError of this wait
		permanent, deferred bool
	}{
		{status: http.StatusNoContent},
		{status: http.StatusTooManyRequests, retryAfter: "30", wait: 30 * time.Second},
		{status: http.StatusServiceUnavailable, retryAfter: "5", wait: 5 * time.Second},
		{status: http.StatusTooManyRequests},
		{status: http.StatusInternalServerError},
		{status: http.StatusBadGateway},
		{status: http.StatusRequestTimeout},
		{status: http.StatusBadRequest, permanent: true},
		{status: http.StatusGone, permanent: true},
		{status: http.StatusFound, where: srv.URL + "/elsewhere", permanent: true},
	} {
		status, retryAfter, location = tc.status, tc.retryAfter, tc.where
		err := s.Send(ctx, message())
		switch {
		case tc.status < 300:
			if err != nil {
				t.Errorf("%d: %v", tc.status, err)
			}
		case tc.wait > 0:
			if !errors.As(err, &ra) || ra.After != tc.wait {
				t.Errorf("%d Retry-After %s: %v, want a wait of %s", tc.status, tc.retryAfter, err, tc.wait)
			}
		case tc.permanent:
			if !errors.As(err, &perm) {
				t.Errorf("%d: %v, want given up", tc.status, err)
			}
		default:
			if err == nil || errors.As(err, &perm) || errors.As(err, &ra) {
				t.Errorf("%d: %v, want a retry with backoff", tc.status, err)
			}
		}
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_795_000_000, 0)
	body := []byte(`{"id":"outbox-1"}`)
	sig := Sign("key", now, body)
	for _, tc := range []struct {
		name, secret, header string
		body                 []byte
		at                   time.Time
		want                 error
	}{
		{"ok", "key", sig, body, now.Add(time.Minute), nil},
		{"a second v1 (a rotated secret) matches", "key", "t=" + sig[2:12] + ",v1=00ff," + sig[13:], body, now, nil},
		{"other secret", "other", sig, body, now, ErrBadSignature},
		{"changed body", "key", sig, []byte(`{"id":"outbox-2"}`), now, ErrBadSignature},
		{"replayed later", "key", sig, body, now.Add(6 * time.Minute), ErrStale},
		{"from the future", "key", sig, body, now.Add(-6 * time.Minute), ErrStale},
		{"missing", "key", "", body, now, ErrNoSignature},
		{"no time", "key", sig[13:], body, now, ErrNoSignature},
		{"bad time", "key", "t=soon," + sig[13:], body, now, ErrNoSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Verify(tc.secret, tc.header, tc.body, tc.at, 5*time.Minute); !errors.Is(err, tc.want) {
				t.Fatalf("Verify(%q) = %v, want %v", tc.header, err, tc.want)
			}
		})
	}
}
