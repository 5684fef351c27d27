package web

import (
	"strconv"
	"sync"

	"github.com/deskbot/deskbot/backend"
)

// Hub tells open pages that something they show has changed. Topics are
// strings: TicketTopic(id) for one ticket, QueueTopic for any ticket, and
// whatever else a channel publishes ("web:<user>" for a chat page). A
// subscriber's channel holds at most one pending signal, so a burst of
// changes wakes a page once and Publish never blocks.
type Hub struct {
	mu     sync.Mutex
	subs   map[string]map[chan struct{}]struct{}
	closed bool
}

// QueueTopic is published on every ticket change.
const QueueTopic = "queue"

// TicketTopic is the topic of one ticket.
func TicketTopic(id int64) string { return "ticket:" + strconv.FormatInt(id, 10) }

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[string]map[chan struct{}]struct{}{}} }

// Changed is the backend.ServiceConfig.Changed hook: it wakes the pages
// showing t and the queues.
func (h *Hub) Changed(t *backend.Ticket) {
	h.Publish(TicketTopic(t.ID))
	h.Publish(QueueTopic)
}

// Publish wakes every subscriber of topic.
func (h *Hub) Publish(topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[topic] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Subscribe returns a channel that receives a signal after each Publish on
// any of topics, and a func that ends the subscription. The channel is
// closed when the hub is closed.
func (h *Hub) Subscribe(topics ...string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	for _, t := range topics {
		if h.subs[t] == nil {
			h.subs[t] = map[chan struct{}]struct{}{}
		}
		h.subs[t][ch] = struct{}{}
	}
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			for _, t := range topics {
				delete(h.subs[t], ch)
				if len(h.subs[t]) == 0 {
					delete(h.subs, t)
				}
			}
		})
	}
}

// Close ends every subscription, so that event streams return and a
// graceful shutdown does not wait for them. Register it with
// http.Server.RegisterOnShutdown.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	seen := map[chan struct{}]bool{}
	for _, m := range h.subs {
		for ch := range m {
			if !seen[ch] {
				seen[ch] = true
				close(ch)
			}
		}
	}
	h.subs = map[string]map[chan struct{}]struct{}{}
}

// Subscribers returns the number of live subscriptions to topic (tests).
func (h *Hub) Subscribers(topic string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[topic])
}
