package webchat_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/bot/webchat"
)

// Two replicas behind a load balancer that sends a reporter's requests
// to either: the dialog, the chat page's history and its live updates
// follow the reporter from one to the other (DESIGN §8).
func TestTwoReplicas(t *testing.T) {
	a, b := newReplicas(t)
	onA := a.browser()
	const summary = "the price on shop 12 page is old since 9:00"
	number := onA.fileTicket(summary) // on replica A
	onB := &browser{h: b, c: onA.c}   // the same browser, sent to replica B

	// B's page has the conversation held on A, its filing included.
	code, page := onB.open("/chat/")
	if code != 200 || !strings.Contains(page, summary) || !strings.Contains(page, number) {
		t.Fatalf("replica B's chat page (%d) lacks what was said on A:\n%s", code, page)
	}

	// A notice that replica A delivers wakes the page open on replica B,
	// and B shows it.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.srv.URL+"/chat/events", nil)
	resp, err := onB.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 256)
	if n, _ := resp.Body.Read(buf); !bytes.Contains(buf[:n], []byte("retry")) { // the stream is open
		t.Fatalf("stream start %q", buf[:n])
	}
	staff, _, err := a.auth.CreateUser(ctx, "una", backend.RoleAssistant, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.Claim(ctx, staff, number); err != nil {
		t.Fatal(err)
	}
	const reply = "we refreshed the cache of shop 12"
	if _, err := a.svc.Comment(ctx, staff, number, reply, true); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for !bytes.Contains(got, []byte("event: changed")) {
		n, err := resp.Body.Read(buf)
		if err != nil {
			t.Fatalf("replica B's stream did not wake: %v (got %q)", err, got)
		}
		got = append(got, buf[:n]...)
	}
	onB.waitLog(reply)

	// The limit on uploads (10 a minute) counts the reporter's uploads on
	// every replica, not 10 on each.
	for i := range 10 {
		on := []*browser{onA, onB}[i%2]
		on.open("/chat/t/" + number)
		if code, page := on.upload("/chat/t/"+number+"/comment", "shot.png", append(append([]byte{}, pngBytes...), byte(i)), ""); code == http.StatusTooManyRequests {
			t.Fatalf("upload %d refused:\n%s", i+1, page)
		}
	}
	for _, on := range []*browser{onA, onB} {
		if code, page := on.upload("/chat/t/"+number+"/comment", "one-more.png", pngBytes, ""); code != http.StatusTooManyRequests || !strings.Contains(page, "at most 10 a minute") {
			t.Fatalf("upload 11 on %s = %d\n%s", on.h.srv.URL, code, page)
		}
	}
}

// A notice that cannot be put on the chat page (Redis unreachable) is not
// reported as delivered: the outbox tries it again.
func TestNoticeNotLostWhenRedisIsDown(t *testing.T) {
	h := newHarness(t, 0)
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { dead.Close() })
	chat, err := webchat.New(webchat.Config{Service: h.svc, Engine: h.engine, Files: h.files, Catalog: h.cat, Auth: h.auth, Hub: h.hub, Redis: dead})
	if err != nil {
		t.Fatal(err)
	}
	number := h.browser().fileTicket("the invoice page of shop 7 is blank")
	tk, err := h.store.Ticket(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	m := notify.Message{Outbox: &backend.OutboxMessage{ID: 1, Audience: backend.AudienceReporter}, Ticket: tk,
		Event:   &backend.Event{Kind: backend.EventComment, Public: true, Body: "we are on it"},
		Account: backend.ChatAccount{Platform: webchat.Platform, UserID: "visitor-1"}}
	err = chat.Send(context.Background(), m)
	var perm *notify.PermanentError
	if err == nil || errors.As(err, &perm) {
		t.Fatalf("Send with Redis down = %v, want an error the outbox retries", err)
	}
}
