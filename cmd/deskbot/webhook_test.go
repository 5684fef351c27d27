package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/backend/webhook"
)

// TestMainWebhook: with WEBHOOK_URL every event of a ticket reaches the
// receiver signed, in order, once, although the receiver fails its first
// delivery (a 500 and a retry); notification_sent records are not posted,
// and the thread records each delivery.
func TestMainWebhook(t *testing.T) {
	const secret = "whsec-0123456789abcdef"
	var mu sync.Mutex
	var kinds []backend.EventKind
	var ids []string
	failed := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header.Get("X-Deskbot-Signature"), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("delivery not verified: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var d webhook.Delivery
		if err := json.Unmarshal(body, &d); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !failed {
			failed = true
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		if slices.Contains(ids, d.ID) {
			t.Errorf("delivery %s twice", d.ID)
		}
		ids = append(ids, d.ID)
		kinds = append(kinds, d.Event.Kind)
		if strings.Contains(string(body), "13912345678") {
			t.Errorf("the customer's phone leaves: %s", body)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	vars := map[string]string{"DATABASE_URL": pgtest.NewSchema(t), "DESKBOT_DATA": t.TempDir(),
		"WEBHOOK_URL": srv.URL + "/hooks/deskbot", "WEBHOOK_SECRET": secret}
	if err := run(context.Background(), []string{"migrate"}, env(vars), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	reporter := createToken(t, vars, "reporter")
	assistant := createToken(t, vars, "assistant")
	m := startMain(t, vars)
	call := func(path, token, body string) {
		t.Helper()
		if n, ok := apiOK(t, m, "POST", path, token, body)["number"].(string); ok {
			body = n
		}
		vars["last"] = body
	}
	call("/api/v1/tickets", reporter, `{"summary":"系统异常导致无法提单，换浏览器也不行","category":["CRM问题","提单系统"],"severity":"P3","occurred_at":"2026-11-20T10:00:00+08:00","region":"广州","contacts":{"phone":"13912345678"}}`)
	number := vars["last"]
	call("/api/v1/tickets/"+number+"/claim", assistant, "")
	call("/api/v1/tickets/"+number+"/transitions", assistant, `{"to":"resolved","note":"已修复提单接口"}`)

	tk, err := m.Store.Ticket(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	// every event of the ticket (the SLA engine's too) but the delivery
	// records, in order
	events := func() []backend.EventKind {
		evs, err := m.Store.Events(context.Background(), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []backend.EventKind
		for _, e := range evs {
			if e.Kind != backend.EventNotificationSent {
				out = append(out, e.Kind)
			}
		}
		return out
	}
	posted := func() []backend.EventKind {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(kinds)
	}
	poll(t, func() bool {
		return slices.Equal(posted(), events()) && slices.Contains(posted(), backend.EventStatusChanged)
	})
	time.Sleep(300 * time.Millisecond) // a doubled delivery would be here by now
	if got, want := posted(), events(); !slices.Equal(got, want) || !failed {
		t.Fatalf("posted %v, want every event once in order %v (the first attempt failing: %v)", got, want, failed)
	}
	if strings.Count(lastBodies(t, m, tk.ID), "sent via webhook to webhook") != len(events()) {
		t.Fatalf("the thread does not record each delivery:\n%s", lastBodies(t, m, tk.ID))
	}
}

// lastBodies is the bodies of a ticket's events, one per line.
func lastBodies(t *testing.T, m *Main, ticketID int64) string {
	t.Helper()
	evs, err := m.Store.Events(context.Background(), ticketID)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.Body + "\n")
	}
	return b.String()
}

func TestLoadConfigWebhook(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want string // the variable the error names; "" for none
	}{
		{map[string]string{"WEBHOOK_URL": "https://hooks.example.com/deskbot", "WEBHOOK_SECRET": "0123456789abcdef"}, ""},
		{map[string]string{"WEBHOOK_URL": "ftp://hooks.example.com", "WEBHOOK_SECRET": "0123456789abcdef"}, "WEBHOOK_URL"},
		{map[string]string{"WEBHOOK_URL": "https://hooks.example.com/deskbot"}, "WEBHOOK_SECRET"},
		{map[string]string{"WEBHOOK_URL": "https://hooks.example.com/deskbot", "WEBHOOK_SECRET": "short"}, "WEBHOOK_SECRET"},
		{map[string]string{"WEBHOOK_SECRET": "0123456789abcdef"}, "WEBHOOK_SECRET: set, but WEBHOOK_URL is empty"},
	} {
		c, err := LoadConfig(env(tc.vars))
		switch {
		case tc.want == "" && (err != nil || c.WebhookURL != tc.vars["WEBHOOK_URL"] || c.WebhookSecret != tc.vars["WEBHOOK_SECRET"]):
			t.Errorf("%v: %+v %v", tc.vars, c, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: error %v, want one naming %s", tc.vars, err, tc.want)
		}
	}
}
