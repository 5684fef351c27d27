package web

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

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
	relay  *relay // nil: this process only
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

// Publish wakes every subscriber of topic, in every replica when the hub
// relays (Relay).
func (h *Hub) Publish(topic string) {
	h.wake(topic)
	h.mu.Lock()
	r := h.relay
	h.mu.Unlock()
	if r != nil {
		r.send(topic)
	}
}

// wake wakes this process's subscribers of topic.
func (h *Hub) wake(topic string) {
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

// relay carries a hub's topics to the hubs of the other replicas through
// Redis publish/subscribe. Topics are signals, so it coalesces them: a
// burst of changes is one message, and a message lost while Redis is
// away costs a page a live refresh, never data (a reload shows it).
type relay struct {
	rdb     *redis.Client
	channel string
	id      string // this hub's, to skip its own messages
	log     *slog.Logger

	mu      sync.Mutex
	pending map[string]struct{}
	kick    chan struct{}
}

// Relay makes h wake the pages of every replica whose hub relays on the
// same Redis channel, and returns once it listens there. It stops with
// ctx; wait returns once it has stopped (call it before closing rdb).
func (h *Hub) Relay(ctx context.Context, rdb *redis.Client, channel string, log *slog.Logger) (wait func(), err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sub := rdb.Subscribe(ctx, channel)
	if _, err := sub.Receive(ctx); err != nil { // the subscription's confirmation
		sub.Close()
		return nil, fmt.Errorf("web: hub relay: %w", err)
	}
	r := &relay{rdb: rdb, channel: channel, id: RandomToken(9), log: log, pending: map[string]struct{}{}, kick: make(chan struct{}, 1)}
	h.mu.Lock()
	h.relay = r
	h.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { r.sendLoop(ctx) })
	wg.Go(func() {
		defer sub.Close()
		defer func() { // this process's changes stay here from now on
			h.mu.Lock()
			if h.relay == r {
				h.relay = nil
			}
			h.mu.Unlock()
		}()
		ch := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-ch:
				if !ok {
					return
				}
				from, topics, _ := strings.Cut(m.Payload, "\n")
				if from == r.id {
					continue
				}
				for t := range strings.SplitSeq(topics, "\n") {
					if t != "" {
						h.wake(t)
					}
				}
			}
		}
	})
	return wg.Wait, nil
}

func (r *relay) send(topic string) {
	r.mu.Lock()
	r.pending[topic] = struct{}{}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *relay) sendLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		}
		r.mu.Lock()
		topics := slices.Sorted(maps.Keys(r.pending))
		clear(r.pending)
		r.mu.Unlock()
		msg := r.id + "\n" + strings.Join(topics, "\n")
		if err := r.rdb.Publish(ctx, r.channel, msg).Err(); err != nil && ctx.Err() == nil {
			r.log.Warn("web: the other replicas' pages miss a live refresh", "err", err)
		}
	}
}
