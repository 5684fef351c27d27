// Package smshook sends notifications as text messages through an SMS
// gateway behind a webhook (seed 004 §4.2: the director group is told by
// SMS). It is a notify.Sender for the "sms" platform: a person is
// reachable by SMS through a chat account with Platform "sms" and UserID
// their mobile number.
//
// The webhook gets POST application/json {"to":"13800138000","text":"…",
// "id":"outbox-42"} with "Authorization: Bearer <SMS_WEBHOOK_TOKEN>" when a
// token is set. 2xx is delivered; 429 (with Retry-After) and 5xx are
// retried; other 4xx are given up. The id is the same on every retry, so
// the gateway can drop duplicates.
//
// It imports backend/notify, bot/botkit and the standard library.
package smshook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/bot/botkit"
)

// Platform is the chat-account platform of mobile numbers.
const Platform = "sms"

// Notifier posts outbox messages to an SMS webhook.
type Notifier struct {
	URL    string
	Token  string
	Text   *botkit.Renderer
	Client *http.Client // default: 15 s timeout
}

// Platform implements notify.Sender.
func (n *Notifier) Platform() string { return Platform }

var _ notify.SecondRoute = (*Notifier)(nil)

// SecondRoute implements notify.SecondRoute: messages that name no
// platform go to the person's chat first.
func (n *Notifier) SecondRoute() bool { return true }

// Send posts one message.
func (n *Notifier) Send(ctx context.Context, m notify.Message) error {
	body, err := json.Marshal(map[string]string{"to": m.Account.UserID, "text": n.Text.Notice(ctx, m), "id": m.Outbox.Key()})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(body))
	if err != nil {
		return &notify.PermanentError{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if n.Token != "" {
		req.Header.Set("Authorization", "Bearer "+n.Token)
	}
	c := n.Client
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests:
		// Only a gateway that says when to come back is waited for without
		// counting attempts; a bare 429 (a spent quota, say) is a failure
		// that backs off and is given up in the end.
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			return &notify.RetryAfterError{After: time.Duration(secs) * time.Second, Err: fmt.Errorf("sms: %s", resp.Status)}
		}
		return fmt.Errorf("sms: %s (no Retry-After)", resp.Status)
	case resp.StatusCode >= 500:
		return fmt.Errorf("sms: %s", resp.Status)
	default:
		return &notify.PermanentError{Err: fmt.Errorf("sms: %s", resp.Status)}
	}
}
