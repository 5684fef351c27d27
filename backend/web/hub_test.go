package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend/redistest"
	"github.com/deskbot/deskbot/backend/web"
)

// Hubs that relay on one Redis channel wake each other's subscribers:
// a change one replica makes refreshes the pages another serves.
func TestHubRelay(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b, other := web.NewHub(), web.NewHub(), web.NewHub()
	var waits []func()
	for h, channel := range map[*web.Hub]string{a: "hub", b: "hub", other: "another-deployment"} {
		wait, err := h.Relay(ctx, rdb, prefix+channel, nil)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, wait)
	}
	onB, stopB := b.Subscribe("ticket:7")
	defer stopB()
	onA, stopA := a.Subscribe("ticket:7")
	defer stopA()
	onOther, stopOther := other.Subscribe("ticket:7")
	defer stopOther()

	a.Publish("ticket:7")
	select {
	case <-onA: // at once, in this process
	default:
		t.Fatal("a's own subscriber was not woken at once")
	}
	select {
	case <-onB:
	case <-time.After(10 * time.Second):
		t.Fatal("b was not woken through Redis")
	}
	// The message reached Redis and came back to a too: it must not wake
	// a's pages a second time.
	select {
	case <-onA:
		t.Fatal("a was woken again by its own message")
	case <-time.After(300 * time.Millisecond):
	}
	// A topic nobody on b watches wakes nothing there; another channel's
	// hub hears nothing.
	a.Publish("queue")
	b.Publish("ticket:8")
	a.Publish("ticket:7")
	select {
	case <-onB:
	case <-time.After(10 * time.Second):
		t.Fatal("b was not woken the second time")
	}
	select {
	case <-onOther:
		t.Fatal("a hub on another channel was woken")
	case <-time.After(300 * time.Millisecond):
	}

	// Stopped with its context, the relay's goroutines end.
	cancel()
	done := make(chan struct{})
	go func() {
		for _, w := range waits {
			w()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the relays did not stop")
	}
}
