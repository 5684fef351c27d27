// Package slacktest is a fake Slack for tests: an httptest server that
// speaks the parts of the Web API deskbot uses (auth.test, chat.*,
// views.*, users.info, reactions.add, files.info and file downloads,
// conversations.open, file uploads: files.getUploadURLExternal, the upload
// URL and files.completeUploadExternal; apps.connections.open), a real
// Socket Mode websocket that sends
// envelopes and waits for their acks, and signed HTTP requests for HTTP
// mode (Events API, interactivity, slash commands).
//
//	fake := slacktest.New(t)
//	ch, _ := slack.New(slack.Config{BotToken: "xoxb-1", AppToken: "xapp-1", APIURL: fake.APIURL()}, deps)
//	fake.Slash(t, "U1", "D1", "/ticket", "")    // opens the modal
//	v := fake.WaitView(t, "U1")
package slacktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BotUserID is the bot's user id in the fake workspace.
const BotUserID = "UBOT"

// Message is a message the bot posted (or updated).
type Message struct {
	Channel   string
	TS        string
	ThreadTS  string
	Text      string
	Blocks    json.RawMessage
	Ephemeral string // the user an ephemeral message was shown to
	Updates   int    // how often chat.update changed it
}

// File is a file the bot uploaded (files.getUploadURLExternal, a POST to
// the upload URL, files.completeUploadExternal). Shared files are not
// among Messages: Files lists them.
type File struct {
	ID     string
	Name   string // filename given to files.getUploadURLExternal
	Length int    // length given to files.getUploadURLExternal
	AltTxt string
	Bytes  []byte // what was posted to the upload URL
	// Set by files.completeUploadExternal:
	Title          string
	Channel        string // channel_id
	InitialComment string
	ThreadTS       string
	TS             string // when it was shared, in the order of messages' TS
}

// Upload names the upload URL that files.getUploadURLExternal hands out,
// for RateLimit and Calls.
const Upload = "upload"

// View is a modal or App Home the bot opened, updated or published.
type View struct {
	ID     string
	User   string
	Type   string
	Hash   string
	Raw    map[string]any // the view as sent
	Closed bool
}

// CallbackID is the view's callback_id.
func (v *View) CallbackID() string { s, _ := v.Raw["callback_id"].(string); return s }

// Metadata is the view's private_metadata.
func (v *View) Metadata() string { s, _ := v.Raw["private_metadata"].(string); return s }

// BlockIDs lists the view's block ids in order.
func (v *View) BlockIDs() []string {
	var ids []string
	blocks, _ := v.Raw["blocks"].([]any)
	for _, b := range blocks {
		if m, ok := b.(map[string]any); ok {
			if id, ok := m["block_id"].(string); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// Server is the fake Slack.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	seq       int
	messages  []*Message
	views     map[string]*View
	home      map[string]*View
	triggers  map[string]string // trigger id → user
	files     map[string][]byte
	uploads   []*File // in the order of files.getUploadURLExternal
	users     map[string]map[string]any
	calls     map[string]int
	limited   map[string]int // method → 429s still to answer
	retryAfer int

	// Socket Mode
	wsMu    sync.Mutex
	ws      *websocket.Conn
	acks    map[string]chan json.RawMessage
	connect chan struct{} // closed on the first connection
	conns   int           // connections so far

	// HTTP mode
	appURL string
	secret string
}

// New starts a fake Slack, closed when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{
		views: map[string]*View{}, home: map[string]*View{}, triggers: map[string]string{}, files: map[string][]byte{},
		users: map[string]map[string]any{}, calls: map[string]int{}, limited: map[string]int{},
		acks: map[string]chan json.RawMessage{}, connect: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.api)
	mux.HandleFunc("/socket", s.socket)
	mux.HandleFunc("/files/{id}", s.download)
	mux.HandleFunc("POST /upload/{id}", s.upload)
	mux.HandleFunc("POST /response/{channel}/{ts}", s.respond)
	s.srv = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

// respond serves the response_url of a press: replace_original replaces
// the message pressed (ephemeral or not), delete_original deletes it, and
// anything else is a new message in that channel, as in Slack.
func (s *Server) respond(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	channel, ts := r.PathValue("channel"), r.PathValue("ts")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["response_url"]++
	i := slices.IndexFunc(s.messages, func(m *Message) bool { return m.Channel == channel && m.TS == ts })
	switch {
	case i < 0:
		http.Error(w, "expired_url", http.StatusNotFound)
		return
	case in.DeleteOriginal:
		s.messages = slices.Delete(s.messages, i, i+1)
	case in.ReplaceOriginal:
		m := s.messages[i]
		m.Text, m.Blocks = in.Text, in.Blocks
		m.Updates++
	default:
		s.messages = append(s.messages, &Message{Channel: channel, TS: s.nextTS(), Text: in.Text, Blocks: in.Blocks})
	}
	w.Write([]byte("ok"))
}

// APIURL is the Web API base to give slack.OptionAPIURL (with the trailing slash).
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// Close stops the server and the socket.
func (s *Server) Close() {
	s.wsMu.Lock()
	if s.ws != nil {
		s.ws.Close()
	}
	s.wsMu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// UseHTTP makes Deliver send signed HTTP requests to the app at baseURL
// (its /slack/* endpoints) instead of Socket Mode envelopes.
func (s *Server) UseHTTP(baseURL, signingSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appURL, s.secret = strings.TrimRight(baseURL, "/"), signingSecret
}

// SetUser sets what users.info answers for a user.
func (s *Server) SetUser(id, name, locale string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = map[string]any{"id": id, "name": name, "real_name": name, "locale": locale}
}

// SetDisplayName sets the display name (profile.display_name) users.info
// answers for a user, the name Slack shows in a mention; the user's name
// and locale are SetUser's, or the id and zh-CN.
func (s *Server) SetDisplayName(id, display string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := map[string]any{"id": id, "name": id, "locale": "zh-CN"}
	maps.Copy(u, s.users[id]) // a new map: users.info may be encoding the old one
	u["profile"] = map[string]any{"display_name": display}
	s.users[id] = u
}

// NoSuchUser makes users.info answer user_not_found for a user id, as
// Slack does for an id it does not know (any other unknown id is a user
// named by the id).
func (s *Server) NoSuchUser(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = nil
}

// RateLimit makes the next n calls of method (a Web API method, or Upload
// for the upload URL) answer 429 with Retry-After.
func (s *Server) RateLimit(method string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited[method] = n
	s.retryAfer = int(retryAfter / time.Second)
}

// Calls is how often method was called (429s included).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// AddFile makes a file downloadable and returns its Slack file object
// (as JSON-able map) to put into events and file inputs.
func (s *Server) AddFile(id, name, mimetype string, data []byte) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[id] = data
	return map[string]any{"id": id, "name": name, "title": name, "mimetype": mimetype, "size": len(data),
		"url_private": s.srv.URL + "/files/" + id, "url_private_download": s.srv.URL + "/files/" + id}
}

func (s *Server) nextTS() string {
	s.seq++
	return fmt.Sprintf("1700000000.%06d", s.seq)
}

// dmOf is the DM channel of a user id; channel ids pass unchanged.
func dmOf(ch string) string {
	if strings.HasPrefix(ch, "U") {
		return "D" + ch[1:]
	}
	return ch
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	args := map[string]any{}
	body, _ := io.ReadAll(r.Body)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &args)
	} else if form, err := url.ParseQuery(string(body)); err == nil {
		for k := range form {
			args[k] = form.Get(k)
		}
	}
	str := func(k string) string { v, _ := args[k].(string); return v }
	s.mu.Lock()
	if s.limit(w, method) {
		return
	}
	var out map[string]any
	switch method {
	case "auth.test":
		out = map[string]any{"user": "deskbot", "user_id": BotUserID, "team_id": "T1", "bot_id": "B1"}
	case "apps.connections.open":
		out = map[string]any{"url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/socket"}
	case "chat.postMessage", "chat.postEphemeral":
		ch := str("channel")
		if ch == "" {
			out = map[string]any{"ok": false, "error": "channel_not_found"}
			break
		}
		m := &Message{Channel: dmOf(ch), TS: s.nextTS(), ThreadTS: str("thread_ts"), Text: str("text"), Blocks: json.RawMessage(str("blocks"))}
		if method == "chat.postEphemeral" {
			m.Ephemeral = str("user")
		}
		s.messages = append(s.messages, m)
		out = map[string]any{"channel": m.Channel, "ts": m.TS, "message_ts": m.TS}
	case "chat.update":
		out = map[string]any{"ok": false, "error": "message_not_found"}
		for _, m := range s.messages {
			if m.Channel == str("channel") && m.TS == str("ts") && m.Ephemeral == "" {
				m.Text, m.Blocks = str("text"), json.RawMessage(str("blocks"))
				m.Updates++
				out = map[string]any{"channel": m.Channel, "ts": m.TS, "text": m.Text}
			}
		}
	case "views.open":
		user, ok := s.triggers[str("trigger_id")]
		if !ok {
			out = map[string]any{"ok": false, "error": "invalid_trigger_id"}
			break
		}
		delete(s.triggers, str("trigger_id")) // a trigger works once
		v := &View{ID: fmt.Sprintf("V%04d", len(s.views)+1), User: user, Type: "modal"}
		v.Raw, _ = args["view"].(map[string]any)
		v.Hash = s.nextTS()
		s.views[v.ID] = v
		out = map[string]any{"view": s.viewJSON(v)}
	case "views.update":
		v := s.views[str("view_id")]
		switch {
		case v == nil:
			out = map[string]any{"ok": false, "error": "not_found"}
		case str("hash") != "" && str("hash") != v.Hash:
			out = map[string]any{"ok": false, "error": "hash_conflict"}
		default:
			v.Raw, _ = args["view"].(map[string]any)
			v.Hash = s.nextTS()
			out = map[string]any{"view": s.viewJSON(v)}
		}
	case "views.publish":
		v := &View{ID: "H" + str("user_id"), User: str("user_id"), Type: "home"}
		v.Raw, _ = args["view"].(map[string]any)
		s.home[v.User] = v
		out = map[string]any{"view": s.viewJSON(v)}
	case "users.info":
		u, ok := s.users[str("user")]
		switch {
		case ok && u == nil:
			out = map[string]any{"ok": false, "error": "user_not_found"}
		case !ok:
			u = map[string]any{"id": str("user"), "name": str("user"), "locale": "zh-CN"}
			fallthrough
		default:
			out = map[string]any{"user": u}
		}
	case "reactions.add":
		out = map[string]any{}
	case "files.info":
		id := str("file")
		if _, ok := s.files[id]; !ok {
			out = map[string]any{"ok": false, "error": "file_not_found"}
			break
		}
		out = map[string]any{"file": map[string]any{"id": id, "size": len(s.files[id]), "url_private_download": s.srv.URL + "/files/" + id}}
	case "conversations.open":
		users := strings.Split(str("users"), ",")
		if len(users) != 1 || !strings.HasPrefix(users[0], "U") {
			out = map[string]any{"ok": false, "error": "user_not_found"}
			break
		}
		out = map[string]any{"channel": map[string]any{"id": dmOf(users[0]), "is_im": true, "user": users[0]}}
	case "files.getUploadURLExternal":
		n, err := strconv.Atoi(str("length"))
		if str("filename") == "" || err != nil || n <= 0 {
			out = map[string]any{"ok": false, "error": "invalid_arguments"}
			break
		}
		f := &File{ID: fmt.Sprintf("F%04d", len(s.uploads)+1), Name: str("filename"), Length: n, AltTxt: str("alt_txt")}
		s.uploads = append(s.uploads, f)
		out = map[string]any{"upload_url": s.srv.URL + "/upload/" + f.ID, "file_id": f.ID}
	case "files.completeUploadExternal":
		out = s.completeUpload(str("files"), str("channel_id"), str("initial_comment"), str("thread_ts"))
	default:
		out = map[string]any{"ok": false, "error": "unknown_method"}
	}
	s.mu.Unlock()
	if _, set := out["ok"]; !set {
		out["ok"] = true
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// limit answers 429 with Retry-After, unlocks s.mu and returns true when
// method is rate limited; it counts the call. s.mu is held.
func (s *Server) limit(w http.ResponseWriter, method string) bool {
	s.calls[method]++
	n := s.limited[method]
	if n <= 0 {
		return false
	}
	s.limited[method] = n - 1
	after := max(s.retryAfer, 1)
	s.mu.Unlock()
	w.Header().Set("Retry-After", strconv.Itoa(after))
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
	return true
}

// upload takes a file's bytes at the URL files.getUploadURLExternal gave:
// a multipart form with a "file" part (as slack-go sends it) or the raw
// body. Like Slack's, it answers "OK - <length>" in plain text.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.limit(w, Upload) {
		return
	}
	s.mu.Unlock()
	var data []byte
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		var part io.ReadCloser
		if part, _, err = r.FormFile("file"); err == nil {
			data, err = io.ReadAll(part)
			part.Close()
		}
	} else {
		data, err = io.ReadAll(r.Body)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.uploads {
		if f.ID == r.PathValue("id") && f.TS == "" {
			f.Bytes = data
			fmt.Fprintf(w, "OK - %d", len(data))
			return
		}
	}
	http.NotFound(w, r)
}

// completeUpload is files.completeUploadExternal: every file must have
// been uploaded, with the length announced, and channel_id (if any) be a
// conversation id, as Slack checks it (a user id is refused: a DM is
// shared to by its D… id, from conversations.open). s.mu is held.
func (s *Server) completeUpload(filesJSON, channel, comment, thread string) map[string]any {
	var want []struct{ ID, Title string }
	if err := json.Unmarshal([]byte(filesJSON), &want); err != nil || len(want) == 0 {
		return map[string]any{"ok": false, "error": "invalid_arguments"}
	}
	if channel != "" && !strings.ContainsAny(channel[:1], "CGDZ") {
		return map[string]any{"ok": false, "error": "invalid_arguments",
			"response_metadata": map[string]any{"messages": []string{"[ERROR] input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$ [json-pointer:/channel_id]"}}}
	}
	var done []*File
	for _, w := range want {
		var f *File
		for _, u := range s.uploads {
			if u.ID == w.ID && u.TS == "" && u.Bytes != nil && len(u.Bytes) == u.Length {
				f = u
			}
		}
		if f == nil {
			return map[string]any{"ok": false, "error": "file_not_found"}
		}
		f.Title = w.Title
		done = append(done, f)
	}
	var files []map[string]any
	for _, f := range done {
		f.Channel, f.InitialComment, f.ThreadTS, f.TS = channel, comment, thread, s.nextTS()
		files = append(files, map[string]any{"id": f.ID, "title": f.Title})
	}
	return map[string]any{"files": files}
}

// Files returns a copy of every file shared so far (completed uploads),
// in the order they were shared.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.uploads {
		if f.TS != "" {
			c := *f
			c.Bytes = bytes.Clone(f.Bytes)
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.TS, b.TS) })
	return out
}

// WaitFile polls until a shared file matches, and returns it.
func (s *Server) WaitFile(tb testing.TB, what string, match func(File) bool) File {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, f := range s.Files() {
			if match(f) {
				return f
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	var got []string
	for _, f := range s.Files() {
		got = append(got, fmt.Sprintf("%s %s in %s (%d bytes): %.80q", f.ID, f.Name, f.Channel, len(f.Bytes), f.InitialComment))
	}
	tb.Fatalf("slacktest: no file %s; shared:\n%s", what, strings.Join(got, "\n"))
	return File{}
}

func (s *Server) viewJSON(v *View) map[string]any {
	out := map[string]any{"id": v.ID, "hash": v.Hash, "type": v.Type}
	for k, val := range v.Raw {
		out[k] = val
	}
	return out
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer xoxb-") {
		http.Error(w, "not authed", http.StatusForbidden)
		return
	}
	s.mu.Lock()
	data, ok := s.files[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(data)
}

// socket serves a Socket Mode connection: hello, pings, envelopes out,
// acks in.
func (s *Server) socket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.wsMu.Lock()
	if s.ws != nil {
		s.ws.Close()
	}
	s.ws = conn
	_ = conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1})
	s.wsMu.Unlock()
	s.mu.Lock()
	s.conns++
	select {
	case <-s.connect:
	default:
		close(s.connect)
	}
	s.mu.Unlock()
	stop := make(chan struct{})
	defer close(stop)
	go func() { // Slack pings; the client reconnects without them
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.wsMu.Lock()
				err := conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
				s.wsMu.Unlock()
				if err != nil {
					return
				}
			}
		}
	}()
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := conn.ReadJSON(&ack); err != nil {
			return
		}
		s.mu.Lock()
		ch := s.acks[ack.EnvelopeID]
		delete(s.acks, ack.EnvelopeID)
		s.mu.Unlock()
		if ch != nil {
			ch <- ack.Payload
		}
	}
}

// WaitConnected waits for the app's Socket Mode connection.
func (s *Server) WaitConnected(tb testing.TB) {
	tb.Helper()
	select {
	case <-s.connect:
	case <-time.After(15 * time.Second):
		tb.Fatal("slacktest: the app did not connect over Socket Mode")
	}
}

// Connections is how many Socket Mode connections the app has opened.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Disconnect sends the "disconnect" request Slack sends before it
// rotates a connection; the app must open a new one.
func (s *Server) Disconnect() error {
	s.wsMu.Lock()
	defer s.wsMu.Unlock()
	if s.ws == nil {
		return errors.New("slacktest: no Socket Mode connection")
	}
	return s.ws.WriteJSON(map[string]any{"type": "disconnect", "reason": "refresh_requested"})
}

// Deliver sends one request to the app and returns its answer: over
// Socket Mode an envelope of kind ("events_api", "interactive",
// "slash_commands") whose ack payload is returned; in HTTP mode a signed
// POST to the matching endpoint whose body is returned (an error for a
// status other than 200). retry > 0 marks a redelivery.
func (s *Server) Deliver(kind string, payload any, retry int) (json.RawMessage, error) {
	s.mu.Lock()
	appURL, secret := s.appURL, s.secret
	s.seq++
	env := fmt.Sprintf("env-%d", s.seq)
	s.mu.Unlock()
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	if appURL != "" {
		return s.deliverHTTP(appURL, secret, kind, payload, raw, retry)
	}
	ch := make(chan json.RawMessage, 1)
	s.mu.Lock()
	s.acks[env] = ch
	s.mu.Unlock()
	s.wsMu.Lock()
	conn := s.ws
	if conn == nil {
		s.wsMu.Unlock()
		return nil, errors.New("slacktest: no Socket Mode connection")
	}
	err = conn.WriteJSON(map[string]any{"envelope_id": env, "type": kind, "payload": json.RawMessage(raw),
		"accepts_response_payload": kind != "events_api", "retry_attempt": retry})
	s.wsMu.Unlock()
	if err != nil {
		return nil, err
	}
	select {
	case ack := <-ch:
		return ack, nil
	case <-time.After(3 * time.Second): // Slack's limit
		return nil, fmt.Errorf("slacktest: envelope %s (%s) not acknowledged within 3 s", env, kind)
	}
}

func (s *Server) deliverHTTP(appURL, secret, kind string, payload any, raw []byte, retry int) (json.RawMessage, error) {
	var path, ctype string
	body := raw
	switch kind {
	case "events_api":
		path, ctype = "/slack/events", "application/json"
	case "interactive":
		path, ctype = "/slack/interactivity", "application/x-www-form-urlencoded"
		body = []byte(url.Values{"payload": {string(raw)}}.Encode())
	case "slash_commands":
		path, ctype = "/slack/commands", "application/x-www-form-urlencoded"
		form := url.Values{}
		for k, v := range payload.(map[string]any) {
			form.Set(k, fmt.Sprint(v))
		}
		body = []byte(form.Encode())
	}
	hdr := http.Header{}
	if retry > 0 {
		hdr.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		hdr.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	resp, err := s.PostSigned(appURL+path, ctype, body, time.Now(), secret, hdr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("slacktest: %s answered %d: %s", path, resp.StatusCode, out)
	}
	return out, nil
}

// Sign is Slack's v0 request signature of body at ts.
func Sign(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts.Unix())
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// PostSigned posts body to url signed with secret at ts, as Slack does.
func (s *Server) PostSigned(u, ctype string, body []byte, ts time.Time, secret string, hdr http.Header) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	return http.DefaultClient.Do(req)
}

// Trigger makes a trigger id for user, as Slack does for every
// interaction that may open a modal.
func (s *Server) Trigger(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("trig-%d", s.seq)
	s.triggers[id] = user
	return id
}

// Messages returns a copy of every message posted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	for i, m := range s.messages {
		out[i] = *m
	}
	return out
}

// WaitMessage polls until a posted message matches, and returns it.
func (s *Server) WaitMessage(tb testing.TB, what string, match func(Message) bool) Message {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range s.Messages() {
			if match(m) {
				return m
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	var got []string
	for _, m := range s.Messages() {
		got = append(got, fmt.Sprintf("%s/%s(thread %s): %.120q", m.Channel, m.TS, m.ThreadTS, m.Text))
	}
	tb.Fatalf("slacktest: no message %s; posted:\n%s", what, strings.Join(got, "\n"))
	return Message{}
}

// Message returns the current state of the message at channel/ts.
func (s *Server) Message(channel, ts string) (Message, bool) {
	for _, m := range s.Messages() {
		if m.Channel == channel && m.TS == ts {
			return m, true
		}
	}
	return Message{}, false
}

// WaitView polls until a modal is open for user whose blocks satisfy
// match (nil: any), and returns a copy.
func (s *Server) WaitView(tb testing.TB, user string, match func(*View) bool) *View {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		var found *View
		for _, v := range s.views {
			if v.User == user && !v.Closed && (match == nil || match(v)) {
				c := *v
				found = &c
			}
		}
		s.mu.Unlock()
		if found != nil {
			return found
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("slacktest: no modal open for %s", user)
	return nil
}

// Home returns the App Home last published for user.
func (s *Server) Home(user string) (*View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.home[user]
	if !ok {
		return nil, false
	}
	c := *v
	return &c, true
}

// View returns a copy of the modal with id as it looks now.
func (s *Server) View(id string) (*View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.views[id]
	if v == nil {
		return nil, false
	}
	c := *v
	return &c, true
}

// CloseView marks a modal closed (after a submission the app cleared).
func (s *Server) CloseView(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.views[id]; v != nil {
		v.Closed = true
	}
}
