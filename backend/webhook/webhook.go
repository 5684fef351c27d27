// Package webhook posts every ticket event to an outside system, signed
// (DESIGN §11: signed outbound webhooks for every event).
//
// With WEBHOOK_URL set, the store gives every event it writes an outbox
// message for the webhook audience, in the event's own transaction, and
// the outbox dispatcher hands those messages to a Sender: nothing is lost
// when deskbot stops or the receiver is down, the events of one ticket
// arrive in order (the next waits until the one before is delivered), and
// a retry carries the same delivery id, so a receiver that saw it already
// can drop it. The deliveries themselves (notification_sent) are not
// posted.
//
// A delivery is POST application/json:
//
//	{"id":"outbox-42",
//	 "event":{"id":17,"kind":"assigned","at":"2026-11-24T08:00:00Z","public":true,"actor_id":3,"body":"…","data":{…}},
//	 "ticket":{"id":5,"number":"FB-20261124-0001","form":"feedback","status":"assigned","severity":"P2",…}}
//
// with the headers X-Deskbot-Delivery (the id), X-Deskbot-Event (the
// kind) and X-Deskbot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>" keyed by WEBHOOK_SECRET>. Verify checks one. Personal data
// stays inside (DESIGN §10): the ticket's contacts, account and personal
// form fields are masked, and phone numbers and e-mail addresses in event
// bodies too.
//
// A 2xx answer is delivered. 429 and 503 with Retry-After are waited for;
// other 5xx, 408, 429 without Retry-After and network errors are retried
// with backoff (the dispatcher gives up after its MaxAttempts); any other
// answer, a redirect included, is given up at once: retrying cannot fix it.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
)

// Platform is the notify.Sender platform of the webhook: the dispatcher
// gives it the messages of the webhook audience.
const Platform = string(backend.AudienceWebhook)

// Sender posts outbox messages of the webhook audience to URL.
type Sender struct {
	URL    string
	Secret string
	Client *http.Client     // default: 10 s timeout, no redirects
	Now    func() time.Time // the signature's time; default time.Now
}

var _ notify.Sender = (*Sender)(nil)

// Platform implements notify.Sender.
func (s *Sender) Platform() string { return Platform }

// Delivery is the JSON body of a delivery.
type Delivery struct {
	ID     string `json:"id"`
	Event  Event  `json:"event"`
	Ticket Ticket `json:"ticket"`
}

// Event is an event as posted.
type Event struct {
	ID      int64             `json:"id"`
	Kind    backend.EventKind `json:"kind"`
	At      time.Time         `json:"at"`
	Public  bool              `json:"public"`
	ActorID int64             `json:"actor_id"` // 0: the system
	Body    string            `json:"body"`
	Data    backend.EventData `json:"data"`
}

// Ticket is the ticket as it is when the event is posted (not as it was
// when the event happened: a receiver that is behind sees the latest).
type Ticket struct {
	ID          int64             `json:"id"`
	Number      string            `json:"number"`
	Form        string            `json:"form"`
	Status      backend.Status    `json:"status"`
	Severity    backend.Severity  `json:"severity"`
	Summary     string            `json:"summary"`
	Category    []string          `json:"category"`
	Region      string            `json:"region,omitempty"`
	OccurredAt  *time.Time        `json:"occurred_at,omitempty"`
	OrderNumber string            `json:"order_number,omitempty"`
	Account     string            `json:"account,omitempty"`  // masked
	Contacts    map[string]string `json:"contacts,omitempty"` // masked
	Extra       map[string]string `json:"extra,omitempty"`    // personal fields masked
	ReporterID  int64             `json:"reporter_id"`
	AssigneeID  int64             `json:"assignee_id"` // 0: nobody
	TeamID      int64             `json:"team_id"`     // 0: not routed
	IncidentID  int64             `json:"incident_id,omitempty"`
	Channel     string            `json:"channel"`
	Source      string            `json:"source,omitempty"` // the group chat message reported (Ticket.Source)
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	ResolvedAt  *time.Time        `json:"resolved_at,omitempty"`
}

// NewDelivery builds the body of m's delivery.
func NewDelivery(m notify.Message) Delivery {
	t := m.Ticket.RedactedFor(nil)
	e := m.Event
	d := Delivery{ID: m.Outbox.Key(),
		Event: Event{ID: e.ID, Kind: e.Kind, At: e.At.UTC(), Public: e.Public, ActorID: e.ActorID,
			Body: backend.ScrubPersonal(e.Body, m.Ticket), Data: e.Data},
		Ticket: Ticket{ID: t.ID, Number: t.Number, Form: t.Form, Status: t.Status, Severity: t.Severity, Summary: t.Summary,
			Category: t.CategoryPath, Region: t.Region, OrderNumber: t.OrderNumber, Account: t.Account, Extra: t.Extra,
			ReporterID: t.ReporterID, AssigneeID: t.AssigneeID, TeamID: t.TeamID, IncidentID: t.IncidentID, Channel: t.Channel, Source: t.Source,
			CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC()}}
	if d.Ticket.Category == nil {
		d.Ticket.Category = []string{}
	}
	if !t.OccurredAt.IsZero() {
		at := t.OccurredAt.UTC()
		d.Ticket.OccurredAt = &at
	}
	if !t.ResolvedAt.IsZero() {
		at := t.ResolvedAt.UTC()
		d.Ticket.ResolvedAt = &at
	}
	for k, v := range map[string]string{"phone": t.Contacts.Phone, "email": t.Contacts.Email, "qq": t.Contacts.QQ} {
		if v != "" {
			if d.Ticket.Contacts == nil {
				d.Ticket.Contacts = map[string]string{}
			}
			d.Ticket.Contacts[k] = v
		}
	}
	return d
}

// Send posts one delivery.
func (s *Sender) Send(ctx context.Context, m notify.Message) error {
	body, err := json.Marshal(NewDelivery(m))
	if err != nil {
		return &notify.PermanentError{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return &notify.PermanentError{Err: err}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "deskbot-webhook/1")
	req.Header.Set("X-Deskbot-Delivery", m.Outbox.Key())
	req.Header.Set("X-Deskbot-Event", string(m.Event.Kind))
	req.Header.Set("X-Deskbot-Signature", Sign(s.Secret, now(), body))
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		// Only a receiver that says when to come back is waited for
		// without counting the attempt.
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			return &notify.RetryAfterError{After: time.Duration(secs) * time.Second, Err: fmt.Errorf("webhook: %s", resp.Status)}
		}
		return fmt.Errorf("webhook: %s", resp.Status)
	case code >= 500 || code == http.StatusRequestTimeout:
		return fmt.Errorf("webhook: %s", resp.Status)
	case code >= 300 && code < 400:
		return &notify.PermanentError{Err: fmt.Errorf("webhook: %s to %q: set WEBHOOK_URL to the final address", resp.Status, resp.Header.Get("Location"))}
	default:
		return &notify.PermanentError{Err: fmt.Errorf("webhook: %s", resp.Status)}
	}
}

// Sign returns the X-Deskbot-Signature of body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("webhook: no signature")
	ErrBadSignature = errors.New("webhook: signature does not match")
	ErrStale        = errors.New("webhook: signature too old or in the future")
)

// Verify checks a delivery's X-Deskbot-Signature header against its raw
// body: the HMAC must match and t must be within tolerance of now (a
// replayed delivery is refused once it is older). A receiver written in
// Go can call it; others compute the same HMAC.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return ErrNoSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}
