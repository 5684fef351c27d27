package web

import (
	"fmt"
	"net/http"
	"time"
)

// heartbeat keeps idle event streams open through proxies.
const heartbeat = 25 * time.Second

// ServeEvents streams server-sent events to one page: a "changed" event
// after every Publish on topics, until the client goes away or the hub is
// closed. The page then fetches the fresh fragment itself, so nothing but
// a signal crosses the stream.
func ServeEvents(w http.ResponseWriter, r *http.Request, hub *Hub, topics ...string) {
	rc := http.NewResponseController(w)
	// The server's WriteTimeout would cut a long-lived stream.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	ch, cancel := hub.Subscribe(topics...)
	defer cancel()
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n: open\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case _, ok := <-ch:
			if !ok {
				return
			}
			fmt.Fprint(w, "event: changed\ndata: 1\n\n")
		case <-tick.C:
			fmt.Fprint(w, ": ping\n\n")
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
