package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// The methods deskbot calls on every turn (sendMessage, editMessageText,
// editMessageReplyMarkup, answerCallbackQuery) are posted here as JSON,
// with go-telegram's parameter types; the Bot API takes JSON bodies as
// well as forms. go-telegram sends every method as a multipart form,
// built by reflection in a goroutine of its own and streamed through a
// pipe, and decodes the whole Message of every reply. BenchmarkSendMessage
// measured a sendMessage with a keyboard at 175–190 µs of CPU (both
// ends of the call) through go-telegram and 120–135 µs here, with 40% fewer
// allocations. Everything else (getUpdates, uploads, getFile, webhook
// set-up) still goes through go-telegram, and the errors here are
// go-telegram's own (bot.ErrorForbidden, *bot.TooManyRequestsError,
// *bot.MigrateError, …), so callers handle both alike.

// apiReply is the Bot API's answer to a method whose result is a T,
// decoded in one pass.
type apiReply[T any] struct {
	OK          bool   `json:"ok"`
	Result      T      `json:"result"`
	ErrorCode   int    `json:"error_code,omitempty"`
	Description string `json:"description,omitempty"`
	Parameters  struct {
		MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
		RetryAfter      int   `json:"retry_after,omitempty"`
	} `json:"parameters"`
}

// sentMessage is the part of a sent Message deskbot reads: where it is.
type sentMessage struct {
	ID   int `json:"message_id"`
	Date int `json:"date"`
	Chat struct {
		ID   int64           `json:"id"`
		Type models.ChatType `json:"type"`
	} `json:"chat"`
}

// call posts params as JSON to method and decodes its result, a T.
func call[T any](ctx context.Context, c *Channel, method string, params any) (*T, error) {
	body, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("telegram: %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiBase+method, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("telegram: %s: %w", method, c.redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("error do request for method %s, %w", method, c.redact(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("error read response body for method %s, %w", method, err)
	}
	var r apiReply[T]
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("error decode response body for method %s, %s: %w", method, clip(string(data), 200), err)
	}
	if !r.OK {
		return nil, replyError(method, r.ErrorCode, r.Description, r.Parameters.MigrateToChatID, r.Parameters.RetryAfter)
	}
	return &r.Result, nil
}

// done is the result of a method deskbot does not read (true, or a
// Message): skipped.
type done struct{}

func (*done) UnmarshalJSON([]byte) error { return nil }

// post calls a method whose result deskbot does not read.
func (c *Channel) post(ctx context.Context, method string, params any) error {
	_, err := call[done](ctx, c, method, params)
	return err
}

// replyError is go-telegram's error for a refused call, so that the
// callers' errors.Is and errors.As work as for go-telegram's own calls.
func replyError(method string, code int, desc string, migrateTo int64, retryAfter int) error {
	switch code {
	case http.StatusForbidden:
		return fmt.Errorf("%w, %s", bot.ErrorForbidden, desc)
	case http.StatusBadRequest:
		if migrateTo != 0 {
			return &bot.MigrateError{Message: fmt.Sprintf("%s: %s", bot.ErrorBadRequest, desc),
				MigrateToChatID: int(migrateTo)}
		}
		return fmt.Errorf("%w, %s", bot.ErrorBadRequest, desc)
	case http.StatusUnauthorized:
		return fmt.Errorf("%w, %s", bot.ErrorUnauthorized, desc)
	case http.StatusNotFound:
		return fmt.Errorf("%w, %s", bot.ErrorNotFound, desc)
	case http.StatusConflict:
		return fmt.Errorf("%w, %s", bot.ErrorConflict, desc)
	case http.StatusTooManyRequests:
		return &bot.TooManyRequestsError{Message: fmt.Sprintf("%s, %s", bot.ErrorTooManyRequests, desc),
			RetryAfter: retryAfter}
	}
	return fmt.Errorf("error response from telegram for method %s, %d %s", method, code, desc)
}

// redact takes the token out of a request error's URL.
func (c *Channel) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = strings.ReplaceAll(ue.URL, c.cfg.Token, "***")
	}
	return err
}

// sendMessage is the Bot API's sendMessage. The Message returned has its
// id, date and chat.
func (c *Channel) sendMessage(ctx context.Context, p *bot.SendMessageParams) (*models.Message, error) {
	m, err := call[sentMessage](ctx, c, "sendMessage", p)
	if err != nil {
		return nil, err
	}
	return &models.Message{ID: m.ID, Date: m.Date, Chat: models.Chat{ID: m.Chat.ID, Type: m.Chat.Type}}, nil
}
