package slack

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"
)

// Register mounts the HTTP-mode endpoints on mux: /slack/events (Events
// API), /slack/interactivity (buttons, modals, shortcuts) and
// /slack/commands (/ticket). In Socket Mode they are not needed, and
// Register mounts nothing.
func (c *Channel) Register(mux *http.ServeMux) {
	if c.cfg.Mode() != ModeHTTP {
		return
	}
	mux.Handle("POST "+EventsPath, c.verified(c.eventsHandler))
	mux.Handle("POST "+InteractionPath, c.verified(c.interactionHandler))
	mux.Handle("POST "+CommandsPath, c.verified(c.commandsHandler))
}

// verified checks the request's signature with the signing secret and
// refuses a timestamp more than 5 minutes away (401, nothing processed),
// then hands the body to h.
func (c *Channel) verified(h func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, c.cfg.SigningSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			c.log.Warn("slack: request refused", "path", r.URL.Path, "err", err)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if !c.running.Load() {
			// Not serving (starting or stopping): Slack will retry.
			http.Error(w, "not running", http.StatusServiceUnavailable)
			return
		}
		h(w, r, body)
	})
}

func (c *Channel) eventsHandler(w http.ResponseWriter, r *http.Request, body []byte) {
	var probe struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if probe.Type == "url_verification" {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, probe.Challenge)
		return
	}
	retry := 0
	if r.Header.Get("X-Slack-Retry-Num") != "" {
		retry = 1
	}
	c.onEventPayload(r.Context(), body, retry)
	w.WriteHeader(http.StatusOK)
}

func (c *Channel) interactionHandler(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	writeJSON(w, c.onInteraction(r.Context(), cb))
}

func (c *Channel) commandsHandler(w http.ResponseWriter, r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		http.Error(w, "malformed command", http.StatusBadRequest)
		return
	}
	writeJSON(w, c.onCommand(r.Context(), cmd))
}

// writeJSON answers with payload, or an empty 200 when there is none.
func writeJSON(w http.ResponseWriter, payload any) {
	if payload == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	b, err := json.Marshal(payload)
	if err != nil || strings.TrimSpace(string(b)) == "null" {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
