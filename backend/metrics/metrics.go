// Package metrics holds deskbot's Prometheus metrics and serves them on
// /metrics. One Metrics is made per process and handed to the parts that
// count: the HTTP server, the outbox dispatcher, the ticket service hook.
package metrics

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/deskbot/deskbot/backend"
)

// Metrics are the collectors of one process, in their own registry.
type Metrics struct {
	reg *prometheus.Registry

	tickets      *prometheus.CounterVec
	changes      prometheus.Counter
	delivered    *prometheus.CounterVec
	deliveryTime *prometheus.HistogramVec
	requests     *prometheus.CounterVec
	requestTime  *prometheus.HistogramVec
}

// New registers the collectors, with the Go runtime and process ones.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		tickets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "deskbot_tickets_created_total", Help: "Tickets filed, by channel and severity.",
		}, []string{"channel", "severity"}),
		changes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "deskbot_ticket_changes_total", Help: "Committed ticket changes (filing included).",
		}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "deskbot_outbox_deliveries_total",
			Help: "Outbox delivery attempts by platform and outcome (sent, retry, rate_limited, undeliverable, released).",
		}, []string{"platform", "outcome"}),
		deliveryTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "deskbot_outbox_delivery_seconds", Help: "Time from an outbox row's creation to its delivery.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800},
		}, []string{"platform"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "deskbot_http_requests_total", Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		requestTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "deskbot_http_request_seconds", Help: "HTTP request duration by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	m.reg.MustRegister(m.tickets, m.changes, m.delivered, m.deliveryTime, m.requests, m.requestTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where further collectors go.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// TicketChanged counts a committed change, and a filing (version 1) by
// channel and severity; for backend.ServiceConfig.Changed.
func (m *Metrics) TicketChanged(t *backend.Ticket) {
	if m == nil {
		return
	}
	m.changes.Inc()
	if t.Version == 1 {
		m.tickets.WithLabelValues(t.Channel, string(t.Severity)).Inc()
	}
}

// Delivered counts one outbox delivery attempt; for a sent message,
// created is the row's creation time and its age is observed.
func (m *Metrics) Delivered(platform, outcome string, created, now time.Time) {
	if m == nil {
		return
	}
	if platform == "" {
		platform = "none"
	}
	m.delivered.WithLabelValues(platform, outcome).Inc()
	if outcome == "sent" && !created.IsZero() {
		m.deliveryTime.WithLabelValues(platform).Observe(now.Sub(created).Seconds())
	}
}

// Handler serves the metrics; with a token, only to requests bearing it
// (Authorization: Bearer <token>), 401 otherwise.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics: a bearer token is required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Instrument counts and times every request that next serves, by the
// route pattern the mux matched ("unmatched" when none did), so ticket
// numbers and tokens in paths never become labels.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		m.requestTime.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// statusWriter remembers the status code; it passes Flush on for the
// console's event streams.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
