// Package telegramtest is a fake Telegram Bot API server for tests and
// benchmarks: an httptest server that speaks the real HTTP API (multipart
// requests, {"ok":…,"result":…} answers) for the methods deskbot uses,
// records everything the bot sent, delivers updates by long polling or to
// a webhook, serves files (those the bot uploads too), and can be told to
// answer 429 or 5xx.
//
//	tg := telegramtest.New(t)
//	b, _ := bot.New(telegramtest.Token, bot.WithServerURL(tg.URL()), bot.WithSkipGetMe())
//	tg.Deliver(t, tg.Text(alice, "/start"))
//	msg := tg.WaitMessage(t, alice.ID, func(m *models.Message) bool { return strings.Contains(m.Text, "…") })
//
// It imports only the standard library and go-telegram/bot/models.
package telegramtest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // the sizes of uploaded photos
	_ "image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

// Token is the bot token the fake accepts.
const Token = "123456789:TEST-token"

// BotID is the bot's own user id (the part of Token before the colon).
const BotID = 123456789

// Call is one request the bot made.
type Call struct {
	Method string
	Params map[string]string // form fields as sent (JSON values for objects)
	At     time.Time
	Status int             // the HTTP status answered (200, 429, 5xx)
	Result *models.Message // the message sent or edited, if any
	// InWebhookReply: the bot made the call in its answer to a webhook
	// delivery, not as a request of its own.
	InWebhookReply bool
	// Uploads are the files sent in a multipart request, by field name
	// (Params holds "upload:<file name>" for them).
	Uploads map[string][]byte
}

// Fault is an injected failure for the next calls of a method.
type Fault struct {
	Code        int    // 429, a 5xx, or a 4xx with Description
	RetryAfter  int    // seconds, for 429
	Description string // default: the status text
}

// Server is the fake. All methods are safe for concurrent use.
type Server struct {
	srv   *httptest.Server
	conns atomic.Int64

	mu           sync.Mutex
	now          func() time.Time
	nextUpdate   int64
	nextCallback int64
	queue        []*models.Update // pending for getUpdates
	queued       chan struct{}    // closed and replaced when queue grows
	nextMsg      map[int64]int
	messages     map[int64]map[int]*models.Message // chat → id → message as it looks now
	order        map[int64][]int                   // chat → message ids in send order
	calls        []Call
	changed      chan struct{} // closed and replaced on every recorded call
	files        map[string]fileEntry
	nextFile     int
	faults       map[string][]Fault
	migrated     map[int64]int64                   // group → the supergroup it became
	users        map[int64]map[int]*models.Message // chat → id → a message people sent (forwardMessage reads them)
	protected    map[int64]bool                    // chats whose messages cannot be forwarded
	webhookURL   string
	secret       string
	client       *http.Client

	// OnCall, if set before use, is called after every recorded call
	// (benchmarks measure latency with it). It must not block.
	OnCall func(Call)
}

type fileEntry struct {
	path string
	data []byte
}

// New starts a fake server that is closed when tb ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := NewServer()
	tb.Cleanup(s.Close)
	return s
}

// NewServer starts a fake server; Close it when done.
func NewServer() *Server {
	s := &Server{
		now: time.Now, nextUpdate: 1000, queued: make(chan struct{}), changed: make(chan struct{}),
		nextMsg: map[int64]int{}, messages: map[int64]map[int]*models.Message{}, order: map[int64][]int{},
		files: map[string]fileEntry{}, faults: map[string][]Fault{}, migrated: map[int64]int64{},
		users: map[int64]map[int]*models.Message{}, protected: map[int64]bool{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: webhookTransport()},
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.srv.Start()
	return s
}

// webhookTransport delivers webhook updates as Telegram does: over at most
// 40 connections at once (setWebhook's default max_connections), kept
// open between updates.
func webhookTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost = 40, 40
	return tr
}

// URL is the server URL to give to bot.WithServerURL (no trailing slash).
func (s *Server) URL() string { return s.srv.URL }

// Conns is how many connections the server has accepted: a bot whose
// connection pool is too small for its concurrency dials again and again.
func (s *Server) Conns() int64 { return s.conns.Load() }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// BotUser is the bot as it appears in messages.
func BotUser() *models.User {
	return &models.User{ID: BotID, IsBot: true, FirstName: "deskbot", Username: "deskbot_test_bot"}
}

// Migrate upgrades the group chat to the supergroup to, as Telegram does
// when a group gets admins or a public link. The two are separate chats:
// the old messages stay in the old one, with their ids, and can still be
// edited there, while sending to the old id (or getChat on it) answers
// 400 with migrate_to_chat_id.
func (s *Server) Migrate(chat, to int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.migrated[chat] = to
}

func (s *Server) migratedTo(chatID string) int64 {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.migrated[id]
}

// FailNext makes the next n calls of method answer with f.
func (s *Server) FailNext(method string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], f)
	}
}

// AddFile stores a file the bot can fetch with getFile and download, and
// returns its file_id.
func (s *Server) AddFile(data []byte, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextFile++
	id := fmt.Sprintf("file-%d", s.nextFile)
	s.files[id] = fileEntry{path: fmt.Sprintf("documents/%d-%s", s.nextFile, name), data: data}
	return id
}

// ---- building updates ----

// User returns a private-chat user (chat id = user id) with a language.
func User(id int64, name, lang string) models.User {
	return models.User{ID: id, FirstName: name, LanguageCode: lang}
}

// updateID is 0: an update gets its id when it is delivered, so ids
// grow in delivery order as they do at Telegram.
func (s *Server) updateID() int64 { return 0 }

// stamp gives upd the next id if it has none (call with s.mu held).
func (s *Server) stamp(upd *models.Update) {
	if upd.ID == 0 {
		s.nextUpdate++
		upd.ID = s.nextUpdate
	}
}

func chatOf(from models.User, chatID int64) models.Chat {
	switch {
	case chatID <= -1_000_000_000_000: // supergroup ids start with -100
		return models.Chat{ID: chatID, Type: models.ChatTypeSupergroup, Title: "triage"}
	case chatID < 0:
		return models.Chat{ID: chatID, Type: models.ChatTypeGroup, Title: "triage"}
	}
	return models.Chat{ID: chatID, Type: models.ChatTypePrivate, FirstName: from.FirstName}
}

func (s *Server) userMessage(from models.User, chatID int64) *models.Message {
	u := from
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMsg[chatID]++
	m := &models.Message{ID: s.nextMsg[chatID], From: &u, Chat: chatOf(from, chatID), Date: int(s.now().Unix())}
	if s.users[chatID] == nil {
		s.users[chatID] = map[int]*models.Message{}
	}
	s.users[chatID][m.ID] = m // as the caller completes it
	return m
}

// Protect makes chat's messages impossible to forward, as a group with
// "restrict saving content" on.
func (s *Server) Protect(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.protected[chat] = true
}

// Text is a text message from a user in their private chat.
func (s *Server) Text(from models.User, text string) *models.Update {
	return s.TextIn(from, from.ID, text)
}

// TextIn is a text message from a user in a chat (negative ids are groups).
func (s *Server) TextIn(from models.User, chatID int64, text string) *models.Update {
	m := s.userMessage(from, chatID)
	m.Text = text
	return &models.Update{ID: s.updateID(), Message: m}
}

// Reply is a text message replying to an earlier message.
func (s *Server) Reply(from models.User, to *models.Message, text string) *models.Update {
	u := s.TextIn(from, to.Chat.ID, text)
	u.Message.ReplyToMessage = to
	return u
}

// Photo is a photo (stored with AddFile) with an optional caption, in the
// sizes Telegram sends: a small thumbnail and the full picture.
func (s *Server) Photo(from models.User, data []byte, caption string) *models.Update {
	return s.PhotoIn(from, from.ID, data, caption)
}

// PhotoIn is Photo in a chat (negative ids are groups).
func (s *Server) PhotoIn(from models.User, chatID int64, data []byte, caption string) *models.Update {
	full := s.AddFile(data, "photo.jpg")
	thumb := s.AddFile(data[:min(len(data), 64)], "thumb.jpg")
	m := s.userMessage(from, chatID)
	m.Caption = caption
	m.Photo = []models.PhotoSize{
		{FileID: thumb, FileUniqueID: thumb, Width: 90, Height: 90, FileSize: min(len(data), 64)},
		{FileID: full, FileUniqueID: full, Width: 1280, Height: 720, FileSize: len(data)},
	}
	return &models.Update{ID: s.updateID(), Message: m}
}

// Document is a file sent as a document. size, if > 0, is the size
// Telegram announces (to test limits without big buffers).
func (s *Server) Document(from models.User, data []byte, name, mime string, size int64) *models.Update {
	id := s.AddFile(data, name)
	if size <= 0 {
		size = int64(len(data))
	}
	m := s.userMessage(from, from.ID)
	m.Document = &models.Document{FileID: id, FileUniqueID: id, FileName: name, MimeType: mime, FileSize: size}
	return &models.Update{ID: s.updateID(), Message: m}
}

// Press is a user pressing an inline button with data on a message.
func (s *Server) Press(from models.User, on *models.Message, data string) *models.Update {
	s.mu.Lock()
	s.nextCallback++
	id := s.nextCallback
	s.mu.Unlock()
	return &models.Update{CallbackQuery: &models.CallbackQuery{
		ID: "cb-" + strconv.FormatInt(id, 10), From: from, Data: data, ChatInstance: "ci",
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: on},
	}}
}

// ---- delivering updates ----

// Enqueue makes upd available to getUpdates.
func (s *Server) Enqueue(upd *models.Update) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stamp(upd)
	s.queue = append(s.queue, upd)
	close(s.queued)
	s.queued = make(chan struct{})
}

// WebhookURL is the URL the bot registered with setWebhook ("" if none).
func (s *Server) WebhookURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookURL
}

// Post sends upd to the registered webhook with the registered secret
// and returns the HTTP status.
func (s *Server) Post(ctx context.Context, upd *models.Update) (int, error) {
	s.mu.Lock()
	u, secret := s.webhookURL, s.secret
	s.stamp(upd)
	s.mu.Unlock()
	return s.PostWithSecret(ctx, u, upd, secret)
}

// PostWithSecret sends upd to url with the given secret header ("" for
// none) and returns the HTTP status.
func (s *Server) PostWithSecret(ctx context.Context, url string, upd *models.Update, secret string) (int, error) {
	s.mu.Lock()
	s.stamp(upd)
	s.mu.Unlock()
	body, err := json.Marshal(upd)
	if err != nil {
		return 0, err
	}
	return s.PostRaw(ctx, url, body, secret)
}

// PostRaw sends a raw body to url with the secret header.
func (s *Server) PostRaw(ctx context.Context, url string, body []byte, secret string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		s.webhookReply(resp.Header.Get("Content-Type"), reply)
	}
	return resp.StatusCode, nil
}

// webhookReply runs the method a bot may put in its answer to a webhook
// delivery ({"method": …, params…} as JSON), as Telegram does; its result
// goes nowhere.
func (s *Server) webhookReply(contentType string, body []byte) {
	if !strings.HasPrefix(contentType, "application/json") || len(bytes.TrimSpace(body)) == 0 {
		return
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return
	}
	var method string
	if json.Unmarshal(raw["method"], &method) != nil || method == "" || method == "getUpdates" {
		return
	}
	params := map[string]string{}
	jsonParams(raw, params)
	delete(params, "method")
	s.call(Call{Method: method, Params: params, InWebhookReply: true})
}

// call applies c's method and records c with its outcome. The call is
// recorded in the same critical section that applies it, so a test that
// sees its effect (a message sent or edited) also finds the call in Calls.
func (s *Server) call(c Call) (any, int, string) {
	markup := parseMarkup(c.Params["reply_markup"]) // the costliest part of a call: outside the lock
	s.mu.Lock()
	result, code, desc := s.apply(c.Method, c.Params, c.Uploads, markup)
	c.Status = code
	if m, ok := result.(*models.Message); ok && code == http.StatusOK {
		c.Result = m
	}
	hook := s.recordLocked(&c)
	s.mu.Unlock()
	if hook != nil {
		hook(c)
	}
	return result, code, desc
}

// Deliver hands upd to the bot the way Telegram would: to the webhook if
// one is registered (failing tb unless it answers 200), else to getUpdates.
func (s *Server) Deliver(tb testing.TB, upd *models.Update) {
	tb.Helper()
	if s.WebhookURL() == "" {
		s.Enqueue(upd)
		return
	}
	code, err := s.Post(context.Background(), upd)
	if err != nil || code != http.StatusOK {
		tb.Fatalf("telegramtest: webhook answered %d, %v", code, err)
	}
}

// ---- what the bot sent ----

// Calls returns every recorded call, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the recorded calls of one method.
func (s *Server) CallsTo(method string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the bot's messages in a chat, in send order, as they
// look now (edits applied).
func (s *Server) Messages(chatID int64) []*models.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*models.Message
	for _, id := range s.order[chatID] {
		m := *s.messages[chatID][id]
		out = append(out, &m)
	}
	return out
}

// Message returns one message as it looks now, or nil.
func (s *Server) Message(chatID int64, id int) *models.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.messages[chatID][id]; ok {
		c := *m
		return &c
	}
	return nil
}

// Wait polls until cond holds or timeout passes (failing tb then).
func (s *Server) Wait(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	if !s.Poll(timeout, cond) {
		tb.Fatalf("telegramtest: timed out after %s waiting for %s", timeout, what)
	}
}

// Poll checks cond after every call the bot makes (and at least every
// 50 ms) until it holds, and reports false if timeout passes first.
func (s *Server) Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		select {
		case <-ch:
		case <-time.After(min(left, 50*time.Millisecond)):
		}
	}
}

// WaitMessage waits (up to 15 s) for a bot message in chatID matching
// match and returns it.
func (s *Server) WaitMessage(tb testing.TB, chatID int64, match func(*models.Message) bool) *models.Message {
	tb.Helper()
	var found *models.Message
	s.Wait(tb, 15*time.Second, fmt.Sprintf("a message in chat %d", chatID), func() bool {
		for _, m := range s.Messages(chatID) {
			if match(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// Containing matches messages whose text (a photo's or document's
// caption) contains every part.
func Containing(parts ...string) func(*models.Message) bool {
	return func(m *models.Message) bool {
		text := cmp.Or(m.Text, m.Caption)
		for _, p := range parts {
			if !strings.Contains(text, p) {
				return false
			}
		}
		return true
	}
}

// ButtonData returns the callback data of the first inline button whose
// label contains label, or "".
func ButtonData(m *models.Message, label string) string {
	if m == nil || m.ReplyMarkup == nil {
		return ""
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			// A dialog button's data carries the turn that showed it
			// ("cmd:skip#3"): "cmd:skip" finds it.
			if b.CallbackData == label || strings.HasPrefix(b.CallbackData, label+"#") || strings.Contains(b.Text, label) {
				return b.CallbackData
			}
		}
	}
	return ""
}

// ---- the HTTP API ----

type apiResponse struct {
	OK          bool                `json:"ok"`
	Result      any                 `json:"result,omitempty"`
	ErrorCode   int                 `json:"error_code,omitempty"`
	Description string              `json:"description,omitempty"`
	Parameters  *responseParameters `json:"parameters,omitempty"`
}

type responseParameters struct {
	RetryAfter      int   `json:"retry_after,omitempty"`
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v apiResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+Token+"/"); ok {
		s.download(w, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot"+Token+"/")
	if !ok {
		writeJSON(w, http.StatusUnauthorized, apiResponse{ErrorCode: 401, Description: "Unauthorized"})
		return
	}
	method := rest
	params, uploads, err := readParams(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiResponse{ErrorCode: 400, Description: "Bad Request: " + err.Error()})
		return
	}
	if method == "getUpdates" {
		s.getUpdates(w, r, params)
		return
	}
	if f, ok := s.takeFault(method); ok {
		resp := apiResponse{ErrorCode: f.Code, Description: cmp.Or(f.Description, http.StatusText(f.Code))}
		if f.Code == http.StatusTooManyRequests {
			resp.Description = "Too Many Requests: retry after " + strconv.Itoa(f.RetryAfter)
			resp.Parameters = &responseParameters{RetryAfter: f.RetryAfter}
		}
		s.record(Call{Method: method, Params: params, Uploads: uploads, Status: f.Code})
		writeJSON(w, f.Code, resp)
		return
	}
	if to := s.migratedTo(params["chat_id"]); to != 0 && (strings.HasPrefix(method, "send") || method == "getChat") {
		s.record(Call{Method: method, Params: params, Uploads: uploads, Status: http.StatusBadRequest})
		writeJSON(w, http.StatusBadRequest, apiResponse{ErrorCode: 400,
			Description: "Bad Request: group chat was upgraded to a supergroup chat", Parameters: &responseParameters{MigrateToChatID: to}})
		return
	}
	result, code, desc := s.call(Call{Method: method, Params: params, Uploads: uploads})
	if code != http.StatusOK {
		writeJSON(w, code, apiResponse{ErrorCode: code, Description: desc})
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{OK: true, Result: result})
}

// readParams reads a request's parameters, and the files of a multipart
// one (nil if none).
func readParams(r *http.Request) (map[string]string, map[string][]byte, error) {
	params := map[string]string{}
	var uploads map[string][]byte
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "multipart/form-data"):
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			if strings.Contains(err.Error(), "EOF") {
				return params, nil, nil // a method called without parameters
			}
			return nil, nil, err
		}
		for k, v := range r.MultipartForm.Value {
			params[k] = v[0]
		}
		for k, fs := range r.MultipartForm.File {
			params[k] = "upload:" + fs[0].Filename
			f, err := fs[0].Open()
			if err != nil {
				return nil, nil, err
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, nil, err
			}
			if uploads == nil {
				uploads = map[string][]byte{}
			}
			uploads[k] = data
		}
	case strings.HasPrefix(ct, "application/json"):
		var raw map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&raw); err != nil && err != io.EOF {
			return nil, nil, err
		}
		jsonParams(raw, params)
	default:
		if err := r.ParseForm(); err != nil {
			return nil, nil, err
		}
		for k, v := range r.Form {
			params[k] = v[0]
		}
	}
	return params, uploads, nil
}

func (s *Server) takeFault(method string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.faults[method]
	if len(fs) == 0 {
		return Fault{}, false
	}
	s.faults[method] = fs[1:]
	return fs[0], true
}

// SetOnCall sets OnCall while the server is in use: f is called after
// each recorded call and before its answer is written, so a test can act
// while the bot waits for the answer. Nil removes it.
func (s *Server) SetOnCall(f func(Call)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.OnCall = f
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	hook := s.recordLocked(&c)
	s.mu.Unlock()
	if hook != nil {
		hook(c)
	}
}

// recordLocked stamps c, appends it to the calls and wakes Poll (call
// with s.mu held); it returns the OnCall hook to call once s.mu is
// released.
func (s *Server) recordLocked(c *Call) func(Call) {
	c.At = time.Now()
	s.calls = append(s.calls, *c)
	close(s.changed)
	s.changed = make(chan struct{})
	return s.OnCall
}

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p map[string]string) {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	timeout, _ := strconv.Atoi(p["timeout"])
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	deadline := time.After(time.Duration(timeout) * time.Second)
	for {
		s.mu.Lock()
		// Confirm (drop) everything before offset, as Telegram does.
		kept := s.queue[:0]
		for _, u := range s.queue {
			if u.ID >= offset {
				kept = append(kept, u)
			}
		}
		s.queue = kept
		n := min(len(s.queue), limit)
		out := append([]*models.Update(nil), s.queue[:n]...)
		wait := s.queued
		s.mu.Unlock()
		if len(out) > 0 || timeout <= 0 {
			writeJSON(w, http.StatusOK, apiResponse{OK: true, Result: out})
			return
		}
		select {
		case <-wait:
		case <-deadline:
			writeJSON(w, http.StatusOK, apiResponse{OK: true, Result: []*models.Update{}})
			return
		case <-r.Context().Done():
			return
		}
	}
}

func chatIDParam(p map[string]string) (int64, bool) {
	id, err := strconv.ParseInt(p["chat_id"], 10, 64)
	return id, err == nil
}

func parseMarkup(s string) *models.InlineKeyboardMarkup {
	if s == "" {
		return nil
	}
	var m models.InlineKeyboardMarkup
	if json.Unmarshal([]byte(s), &m) != nil || m.InlineKeyboard == nil {
		return nil // a reply keyboard or force_reply: not shown on the message
	}
	return &m
}

// buttonDataInvalid reports whether a keyboard has a callback button
// Telegram refuses: its data must be 1–64 bytes.
func buttonDataInvalid(m *models.InlineKeyboardMarkup) bool {
	if m == nil {
		return false
	}
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if b.URL == "" && (len(b.CallbackData) == 0 || len(b.CallbackData) > 64) {
				return true
			}
		}
	}
	return false
}

// apply runs one API method on the fake's state (call with s.mu held).
func (s *Server) apply(method string, p map[string]string, uploads map[string][]byte, markup *models.InlineKeyboardMarkup) (any, int, string) {
	if buttonDataInvalid(markup) {
		return nil, 400, "Bad Request: BUTTON_DATA_INVALID"
	}
	switch method {
	case "getMe":
		return BotUser(), 200, ""
	case "getChat":
		id, err := strconv.ParseInt(p["chat_id"], 10, 64)
		if err != nil {
			return nil, 400, "Bad Request: chat not found"
		}
		return models.ChatFullInfo{ID: id, Type: chatOf(models.User{}, id).Type}, 200, ""
	case "setWebhook":
		s.webhookURL, s.secret = p["url"], p["secret_token"]
		return true, 200, ""
	case "deleteWebhook":
		s.webhookURL, s.secret = "", ""
		if p["drop_pending_updates"] == "true" {
			s.queue = nil
		}
		return true, 200, ""
	case "answerCallbackQuery":
		if p["callback_query_id"] == "" {
			return nil, 400, "Bad Request: query id is empty"
		}
		return true, 200, ""
	case "sendMessage", "sendPhoto", "sendDocument":
		chat, ok := chatIDParam(p)
		if !ok {
			return nil, 400, "Bad Request: chat not found"
		}
		text := p["text"]
		if method != "sendMessage" {
			text = p["caption"]
			if len([]rune(text)) > 1024 {
				return nil, 400, "Bad Request: message caption is too long"
			}
		} else if strings.TrimSpace(text) == "" {
			return nil, 400, "Bad Request: message text is empty"
		}
		if len([]rune(text)) > 4096 {
			return nil, 400, "Bad Request: message is too long"
		}
		m := &models.Message{From: BotUser(), Chat: chatOf(models.User{}, chat),
			Date: int(s.now().Unix()), Text: text, ReplyMarkup: markup}
		if method != "sendMessage" {
			field := strings.TrimPrefix(method, "send")
			field = strings.ToLower(field[:1]) + field[1:] // photo, document
			f, ok := s.sentFile(p[field], uploads[field])
			if !ok {
				return nil, 400, "Bad Request: wrong file identifier/HTTP URL specified"
			}
			m.Text, m.Caption = "", text
			if method == "sendPhoto" {
				m.Photo = []models.PhotoSize{f.photoSize()}
			} else {
				m.Document = &models.Document{FileID: f.id, FileUniqueID: f.id,
					FileName: strings.TrimPrefix(p[field], "upload:"), FileSize: int64(len(f.data))}
			}
		}
		s.nextMsg[chat]++
		m.ID = s.nextMsg[chat]
		if rp := p["reply_parameters"]; rp != "" {
			var r models.ReplyParameters
			if json.Unmarshal([]byte(rp), &r) == nil {
				to, ok := s.messages[chat][r.MessageID]
				if !ok {
					to, ok = s.users[chat][r.MessageID]
				}
				if ok {
					c := *to
					m.ReplyToMessage = &c
				}
			}
		}
		if s.messages[chat] == nil {
			s.messages[chat] = map[int]*models.Message{}
		}
		s.messages[chat][m.ID] = m
		s.order[chat] = append(s.order[chat], m.ID)
		c := *m
		return &c, 200, ""
	case "editMessageText", "editMessageReplyMarkup":
		chat, ok := chatIDParam(p)
		if !ok {
			return nil, 400, "Bad Request: chat not found"
		}
		id, _ := strconv.Atoi(p["message_id"])
		m, ok := s.messages[chat][id]
		if !ok {
			return nil, 400, "Bad Request: message to edit not found"
		}
		if method == "editMessageText" {
			if m.Text == p["text"] && sameMarkup(m.ReplyMarkup, markup) {
				return nil, 400, "Bad Request: message is not modified"
			}
			m.Text = p["text"]
		}
		m.ReplyMarkup = markup
		m.EditDate = int(s.now().Unix())
		c := *m
		return &c, 200, ""
	case "forwardMessage":
		chat, ok := chatIDParam(p)
		if !ok {
			return nil, 400, "Bad Request: chat not found"
		}
		from, _ := strconv.ParseInt(p["from_chat_id"], 10, 64)
		id, _ := strconv.Atoi(p["message_id"])
		src, ok := s.users[from][id]
		if !ok {
			src, ok = s.messages[from][id]
		}
		switch {
		case !ok:
			return nil, 400, "Bad Request: message to forward not found"
		case s.protected[from]:
			return nil, 400, "Bad Request: message can't be forwarded"
		}
		m := *src
		s.nextMsg[chat]++
		m.ID, m.Chat, m.Date, m.ReplyToMessage, m.ReplyMarkup = s.nextMsg[chat], chatOf(models.User{}, chat), int(s.now().Unix()), nil, nil
		if m.From != nil {
			m.ForwardOrigin = &models.MessageOrigin{Type: models.MessageOriginTypeUser,
				MessageOriginUser: &models.MessageOriginUser{Type: "user", Date: src.Date, SenderUser: *m.From}}
		}
		m.From = BotUser()
		if s.messages[chat] == nil {
			s.messages[chat] = map[int]*models.Message{}
		}
		s.messages[chat][m.ID] = &m
		s.order[chat] = append(s.order[chat], m.ID)
		c := m
		return &c, 200, ""
	case "getFile":
		f, ok := s.files[p["file_id"]]
		if !ok {
			return nil, 400, "Bad Request: invalid file_id"
		}
		return &models.File{FileID: p["file_id"], FileUniqueID: p["file_id"], FileSize: int64(len(f.data)), FilePath: f.path}, 200, ""
	}
	return nil, 404, "Not Found: method " + method
}

// sentFile is the file a send method names: one uploaded with the request
// (param "upload:<name>", stored so that the bot and tests can fetch it
// as Telegram keeps it), or an earlier one by its file_id (call with s.mu
// held).
func (s *Server) sentFile(param string, upload []byte) (sentFile, bool) {
	if name, ok := strings.CutPrefix(param, "upload:"); ok {
		s.nextFile++
		id := fmt.Sprintf("file-%d", s.nextFile)
		s.files[id] = fileEntry{path: fmt.Sprintf("uploads/%d-%s", s.nextFile, name), data: upload}
		return sentFile{id, upload}, true
	}
	f, ok := s.files[param]
	return sentFile{param, f.data}, ok
}

type sentFile struct {
	id   string
	data []byte
}

// photoSize describes the photo as Telegram does (one size: the fake
// makes no thumbnails); width and height are 0 unless it is a PNG or JPEG.
func (f sentFile) photoSize() models.PhotoSize {
	ps := models.PhotoSize{FileID: f.id, FileUniqueID: f.id, FileSize: len(f.data)}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(f.data)); err == nil {
		ps.Width, ps.Height = cfg.Width, cfg.Height
	}
	return ps
}

// File returns the bytes of a file the bot uploaded or the test added
// (a message's Photo[i].FileID, Document.FileID, or AddFile's id).
func (s *Server) File(id string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	return f.data, ok
}

func sameMarkup(a, b *models.InlineKeyboardMarkup) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func (s *Server) download(w http.ResponseWriter, path string) {
	s.mu.Lock()
	var data []byte
	found := false
	for _, f := range s.files {
		if f.path == path {
			data, found = f.data, true
			break
		}
	}
	s.mu.Unlock()
	if !found {
		http.NotFound(w, nil)
		return
	}
	s.record(Call{Method: "download", Params: map[string]string{"path": path}, Status: 200})
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// jsonParams adds the fields of a JSON object to params: strings as they
// are, other values as their JSON (as a form would carry them).
func jsonParams(raw map[string]json.RawMessage, params map[string]string) {
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			params[k] = s
		} else {
			params[k] = string(v)
		}
	}
}
