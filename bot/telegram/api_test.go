package telegram

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-telegram/bot"
)

// TestCallErrors: a JSON call that fails says why, and never with the
// token (it is in the URL).
func TestCallErrors(t *testing.T) {
	const token = "123456:SECRET-token"
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html>502 Bad Gateway</html>"))
	}))
	defer proxy.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	for _, tc := range []struct {
		name, url, want string
	}{
		{"not JSON", proxy.URL, "502 Bad Gateway"},
		{"unreachable", down.URL, "connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Channel{cfg: Config{Token: token}, http: &http.Client{}, apiBase: tc.url + "/bot" + token + "/"}
			_, err := c.sendMessage(context.Background(), &bot.SendMessageParams{ChatID: int64(1), Text: "hi"})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "sendMessage") {
				t.Fatalf("err = %v, want one about sendMessage with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("the token is in the error: %v", err)
			}
		})
	}

	// A result deskbot does not read is skipped, whatever it is; a
	// refusal is go-telegram's own error, for errors.Is and errors.As.
	for _, tc := range []struct {
		reply string
		check func(error) bool
	}{
		{`{"ok":true,"result":true}`, func(err error) bool { return err == nil }},
		{`{"ok":true,"result":{"message_id":5,"chat":{"id":1,"type":"private"},"text":"x","reply_markup":{"inline_keyboard":[]}}}`,
			func(err error) bool { return err == nil }},
		{`{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`,
			func(err error) bool { return errors.Is(err, bot.ErrorForbidden) }},
		{`{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`,
			func(err error) bool { var e *bot.TooManyRequestsError; return errors.As(err, &e) && e.RetryAfter == 7 }},
		{`{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234}}`,
			func(err error) bool {
				var e *bot.MigrateError
				return errors.As(err, &e) && e.MigrateToChatID == -1001234
			}},
		{`{"ok":false,"error_code":400,"description":"Bad Request: message is not modified"}`,
			func(err error) bool { return errors.Is(err, bot.ErrorBadRequest) && notModified(err) }},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(tc.reply)) }))
		c := &Channel{cfg: Config{Token: token}, http: srv.Client(), apiBase: srv.URL + "/bot" + token + "/"}
		err := c.post(context.Background(), "editMessageText", &bot.EditMessageTextParams{ChatID: int64(1), MessageID: 2, Text: "x"})
		srv.Close()
		if !tc.check(err) {
			t.Errorf("%s: err = %#v", tc.reply, err)
		}
	}
}
