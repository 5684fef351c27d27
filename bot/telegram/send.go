package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/dialogs"
)

// maxText is Telegram's limit on a message's text, in UTF-16 code units
// (an emoji can take two).
const maxText = 4096

// out is one message to send.
type out struct {
	chat    int64
	text    string
	markup  models.ReplyMarkup // nil: none
	replyTo int                // message id to reply to; 0: none
}

// replyMaxWait is the longest a reply waits out a 429: the person is
// waiting for it, but a late answer is better than none.
const replyMaxWait = 30

// groupReplyWait is the longest an answer in a group waits for the
// group's next slot.
const groupReplyWait = 3 * time.Second

// reply sends a message in answer to something a person just did. A 429
// is waited out once (up to 30 s, and the chat's notifications wait with
// it); other errors are logged and returned.
func (c *Channel) reply(ctx context.Context, o out) (*models.Message, error) {
	if o.chat < 0 {
		// A group allows 20 messages a minute, shared with the outbox's
		// cards: an answer there takes the next slot if it is close, and
		// goes at once (the backlog behind it) if it is not.
		if wait, ok := c.lim.reserve(o.chat, 0, groupReplyWait); ok {
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
		} else {
			c.lim.charge(o.chat)
		}
	}
	m, err := c.sendOnce(ctx, o)
	var tooMany *bot.TooManyRequestsError
	if errors.As(err, &tooMany) && tooMany.RetryAfter <= replyMaxWait && !errors.As(err, new(*partialError)) {
		c.lim.blockFor(o.chat, time.Duration(tooMany.RetryAfter)*time.Second)
		if err := sleep(ctx, time.Duration(tooMany.RetryAfter)*time.Second); err != nil {
			return nil, err
		}
		m, err = c.sendOnce(ctx, o)
	}
	if err != nil {
		c.log.Warn("telegram: send failed", "chat", o.chat, "err", err)
	}
	return m, err
}

// sendOnce sends o. A text over Telegram's limit goes out as several
// messages, split between lines where it can be; the first answers
// o.replyTo, the last carries the buttons and is the one returned.
//
// Once the first part is out, sending it all again would show it twice:
// each later part keeps to the chat's rate, waits out a 429 and retries a
// server error itself, and if it still fails the error is a
// *partialError, which callers do not retry.
func (c *Channel) sendOnce(ctx context.Context, o out) (*models.Message, error) {
	parts := split(o.text, maxText)
	// The later parts have partsTime in all, well inside the outbox's
	// lease: a message still going out when the lease ends would be taken
	// and sent again by another process. (Most messages have one part.)
	partsCtx := ctx
	if len(parts) > 1 {
		var cancel context.CancelFunc
		partsCtx, cancel = context.WithTimeout(ctx, partsTime)
		defer cancel()
	}
	var m *models.Message
	for i, part := range parts {
		p := &bot.SendMessageParams{ChatID: o.chat, Text: part}
		if i == len(parts)-1 {
			p.ReplyMarkup = o.markup
		}
		if o.replyTo != 0 && i == 0 {
			p.ReplyParameters = &models.ReplyParameters{MessageID: o.replyTo, AllowSendingWithoutReply: true}
		}
		var err error
		if i == 0 {
			m, err = c.sendMessage(ctx, p)
			if to, ok := c.migrated(ctx, err, o.chat); ok {
				o.chat, p.ChatID = to, to
				m, err = c.sendMessage(ctx, p)
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		if m, err = c.sendPart(partsCtx, p); err != nil {
			return nil, &partialError{sent: i, of: len(parts), err: err}
		}
	}
	return m, nil
}

// partialError: a long message was cut short after some parts went out.
type partialError struct {
	sent, of int
	err      error
}

func (e *partialError) Error() string {
	return fmt.Sprintf("telegram: sent %d of %d parts: %v", e.sent, e.of, e.err)
}
func (e *partialError) Unwrap() error { return e.err }

// partsTime bounds the time the later parts of one long message take.
const partsTime = 40 * time.Second

// waitSlot waits for chat's next slot, at most partsTime: a send that
// cannot wait longer goes then (one message over the rate, rather than
// a message lost).
func (c *Channel) waitSlot(ctx context.Context, chat int64) error {
	wait, ok := c.lim.reserve(chat, 0, partsTime)
	if !ok {
		wait = partsTime
	}
	return sleep(ctx, wait)
}

// sendPart sends a later part of a long message: in the chat's next slot,
// waiting out a 429 (up to replyMaxWait) and retrying a server error, a
// few times in all.
func (c *Channel) sendPart(ctx context.Context, p *bot.SendMessageParams) (*models.Message, error) {
	chat := p.ChatID.(int64)
	for attempt := 1; ; attempt++ {
		if err := c.waitSlot(ctx, chat); err != nil {
			return nil, err
		}
		m, err := c.sendMessage(ctx, p)
		var tooMany *bot.TooManyRequestsError
		switch {
		case err == nil:
			return m, nil
		case attempt >= sendAttempts:
			return nil, err
		case errors.As(err, &tooMany) && tooMany.RetryAfter <= replyMaxWait:
			c.lim.blockFor(chat, time.Duration(tooMany.RetryAfter)*time.Second)
			if err := sleep(ctx, time.Duration(tooMany.RetryAfter)*time.Second); err != nil {
				return nil, err
			}
		case errors.Is(err, bot.ErrorBadRequest), errors.Is(err, bot.ErrorForbidden):
			return nil, err
		default:
			if err := sleep(ctx, time.Duration(100<<attempt)*time.Millisecond); err != nil {
				return nil, err
			}
		}
	}
}

// sleep waits d, or until ctx ends (its error then).
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil // no timer for the common case
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// split cuts s into pieces of at most n UTF-16 code units, at the last
// line break (else space) of each piece where there is one in its second
// half.
func split(s string, n int) []string {
	var parts []string
	for utf16Len(s) > n {
		cut, units := 0, 0 // cut: byte offset of the last rune that fits
		for i, r := range s {
			units += utf16.RuneLen(r)
			if units > n {
				break
			}
			cut = i + utf8.RuneLen(r)
		}
		if cut == 0 { // n is below one rune: never here with maxText
			_, cut = utf8.DecodeRuneInString(s)
		}
		at := cut
		if nl := strings.LastIndexByte(s[:cut], '\n'); nl > cut/2 {
			at = nl + 1
		} else if sp := strings.LastIndexByte(s[:cut], ' '); sp > cut/2 {
			at = sp + 1
		}
		if part := strings.TrimRight(s[:at], "\n "); part != "" {
			parts = append(parts, part)
		}
		s = s[at:]
	}
	if s = strings.TrimRight(s, "\n "); s != "" || len(parts) == 0 {
		parts = append(parts, s)
	}
	return parts
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// edit replaces a message's text and buttons; "not modified" is not an error.
func (c *Channel) edit(ctx context.Context, chat int64, id int, text string, markup *models.InlineKeyboardMarkup) error {
	p := &bot.EditMessageTextParams{ChatID: chat, MessageID: id, Text: clip(text, maxText)}
	if markup != nil {
		p.ReplyMarkup = markup
	}
	// A card of a group that became a supergroup stays where it was, and
	// is edited there.
	err := c.post(ctx, "editMessageText", p)
	c.migrated(ctx, err, chat)
	if err != nil && !notModified(err) {
		c.log.Warn("telegram: edit failed", "chat", chat, "message", id, "err", err)
		return err
	}
	return nil
}

// editMarkup replaces only a message's buttons (nil removes them).
func (c *Channel) editMarkup(ctx context.Context, chat int64, id int, markup *models.InlineKeyboardMarkup) {
	p := &bot.EditMessageReplyMarkupParams{ChatID: chat, MessageID: id}
	if markup != nil {
		p.ReplyMarkup = markup
	} else {
		p.ReplyMarkup = &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}
	}
	err := c.post(ctx, "editMessageReplyMarkup", p)
	c.migrated(ctx, err, chat)
	if err != nil && !notModified(err) {
		c.log.Warn("telegram: edit buttons failed", "chat", chat, "message", id, "err", err)
	}
}

// answer stops the spinner on a pressed button, with an optional toast
// (alert: a dialog the user must close).
func (c *Channel) answer(ctx context.Context, q *models.CallbackQuery, text string, alert bool) {
	if id, _ := ctx.Value(answeredKey{}).(string); id == q.ID && text == "" {
		return // in the reply to the webhook delivery
	}
	if err := c.post(ctx, "answerCallbackQuery", &bot.AnswerCallbackQueryParams{CallbackQueryID: q.ID, Text: clip(text, 200), ShowAlert: alert}); err != nil {
		c.log.Debug("telegram: answerCallbackQuery", "err", err)
	}
}

func notModified(err error) bool {
	return err != nil && strings.Contains(err.Error(), "message is not modified")
}

// keyboard turns dialog buttons into an inline keyboard.
func keyboard(rows [][]dialogs.Button) *models.InlineKeyboardMarkup {
	if len(rows) == 0 {
		return nil
	}
	kb := &models.InlineKeyboardMarkup{}
	for _, row := range rows {
		var r []models.InlineKeyboardButton
		for _, b := range row {
			r = append(r, models.InlineKeyboardButton{Text: b.Label, CallbackData: b.ID})
		}
		if len(r) > 0 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, r)
		}
	}
	return kb
}

func button(label, data string) models.InlineKeyboardButton {
	return models.InlineKeyboardButton{Text: label, CallbackData: data}
}

// labelOf finds the label of the button with data on a message.
func labelOf(m *models.Message, data string) string {
	if m == nil || m.ReplyMarkup == nil {
		return ""
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == data {
				return b.Text
			}
		}
	}
	return ""
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// wholeBodies sends every request body in one piece. go-telegram streams
// its multipart form through a pipe, which net/http sends chunked and
// flushes chunk by chunk: a sendMessage took about ten small writes (and
// as many reads at the other end). Read into memory first, with a
// Content-Length, it is one write. Bot API requests are small; the files
// deskbot uploads (attachments sent to staff, a report's chart) are held
// in memory while they are sent.
type wholeBodies struct{ next http.RoundTripper }

func (t wholeBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength > 0 {
		return t.next.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.ContentLength = int64(len(body))
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return t.next.RoundTrip(r2)
}
