package smshook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

func TestNotifier(t *testing.T) {
	var got map[string]string
	var auth string
	status, retryAfter := http.StatusOK, "7"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		json.NewDecoder(r.Body).Decode(&got)
		if status == http.StatusTooManyRequests && retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	n := &Notifier{URL: srv.URL, Token: "tok", Text: &botkit.Renderer{Cat: cat}}
	m := notify.Message{
		Outbox: &backend.OutboxMessage{ID: 9, Audience: backend.AudiencePerson},
		Ticket: &backend.Ticket{Number: "FB-20261123-0002", Severity: backend.P2, Summary: "订单系统故障"},
		Event: &backend.Event{Kind: backend.EventEscalation, Body: "notice created",
			Data: backend.EventData{Clock: "notice_created"}},
		Recipient: &backend.Person{Locale: "zh-CN"},
		Account:   backend.ChatAccount{Platform: Platform, UserID: "13800138000"},
	}
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got["to"] != "13800138000" || got["id"] != "outbox-9" || !strings.Contains(got["text"], "FB-20261123-0002") || auth != "Bearer tok" {
		t.Fatalf("posted %v with %q", got, auth)
	}
	status = http.StatusTooManyRequests
	var ra *notify.RetryAfterError
	if err := n.Send(context.Background(), m); !errors.As(err, &ra) || ra.After != 7*time.Second {
		t.Fatalf("429: %v", err)
	}
	retryAfter = "" // a spent quota: a failure that counts, not a wait
	if err := n.Send(context.Background(), m); err == nil || errors.As(err, &ra) {
		t.Fatalf("429 without Retry-After: %v", err)
	}
	status = http.StatusBadRequest
	var perm *notify.PermanentError
	if err := n.Send(context.Background(), m); !errors.As(err, &perm) {
		t.Fatalf("400: %v", err)
	}
	status = http.StatusBadGateway
	if err := n.Send(context.Background(), m); err == nil || errors.As(err, &perm) {
		t.Fatalf("502: %v, want retryable", err)
	}
}
