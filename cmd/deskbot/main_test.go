package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfig(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		c, err := LoadConfig(env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if c.HTTPAddr != ":8080" || c.DataDir != "./data" || c.TZName != "Asia/Shanghai" || c.DatabaseURL != "" || c.Location() == nil {
			t.Fatalf("defaults = %+v", c)
		}
		if c.SQLitePath() != filepath.Join("data", "deskbot.db") {
			t.Fatalf("sqlite path %s", c.SQLitePath())
		}
		if !maps.Equal(c.ProgressEvery, backend.DefaultProgressEvery) {
			t.Fatalf("progress every %v, want seed 002's %v", c.ProgressEvery, backend.DefaultProgressEvery)
		}
	})
	t.Run("ProgressEvery", func(t *testing.T) {
		c, err := LoadConfig(env(map[string]string{"PROGRESS_EVERY": "p1=12h, P3=72h"}))
		if want := map[backend.Severity]time.Duration{backend.P1: 12 * time.Hour, backend.P3: 72 * time.Hour}; err != nil || !maps.Equal(c.ProgressEvery, want) {
			t.Fatalf("%v %v, want %v", c.ProgressEvery, err, want)
		}
		if c, err := LoadConfig(env(map[string]string{"PROGRESS_EVERY": "off"})); err != nil || len(c.ProgressEvery) != 0 {
			t.Fatalf("off: %v %v", c.ProgressEvery, err)
		}
	})
	t.Run("ErrTelegramWebhookWithoutSecret", func(t *testing.T) {
		_, err := LoadConfig(env(map[string]string{"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_MODE": "webhook"}))
		if err == nil || !strings.Contains(err.Error(), "TELEGRAM_WEBHOOK_SECRET") {
			t.Fatalf("error %v does not name TELEGRAM_WEBHOOK_SECRET", err)
		}
	})
	t.Run("FileVariant", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "db")
		if err := os.WriteFile(p, []byte("postgres://u@h/db\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig(env(map[string]string{"DATABASE_URL_FILE": p}))
		if err != nil || c.DatabaseURL != "postgres://u@h/db" {
			t.Fatalf("%+v %v", c, err)
		}
	})
	for _, tc := range []struct{ name, value string }{
		{"DATABASE_URL", "mysql://x"},
		{"REDIS_URL", "http://nope"},
		{"HTTP_ADDR", "8080"},
		{"TZ_NAME", "Mars/Olympus"},
		{"LOG_LEVEL", "loud"},
		{"DATABASE_URL_FILE", "/nonexistent/secret"},
		{"DIALOG_IDLE_TIMEOUT", "soon"},
		{"FORMS_DIR", "/nonexistent/forms"},
		{"PUBLIC_URL", "desk.example.com"},
		{"TELEGRAM_TRIAGE_CHAT", "group"},
		{"PROGRESS_EVERY", "P1=daily"},
		{"PROGRESS_EVERY", "P9=24h"},
		{"PROGRESS_EVERY", "P1=1m"},
	} {
		t.Run("Err"+tc.name, func(t *testing.T) {
			_, err := LoadConfig(env(map[string]string{tc.name: tc.value}))
			if err == nil || !strings.Contains(err.Error(), tc.name) {
				t.Fatalf("error %v does not name %s", err, tc.name)
			}
		})
	}
}

// startMain runs the real program on a free port and returns it.
func startMain(t *testing.T, vars map[string]string) *Main {
	t.Helper()
	vars["HTTP_ADDR"] = "127.0.0.1:0"
	cfg, err := LoadConfig(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	m := NewMain(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := m.ln.Addr().String()
	t.Cleanup(func() {
		m.Close()
		if t.Failed() {
			t.Logf("logs of deskbot on %s:\n%s", addr, logs.String())
		}
	})
	return m
}

// syncBuffer collects a process's logs, shown when its test fails.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// apiCall makes an API request to m as the holder of token, and returns
// the status and the JSON answer.
func apiCall(t *testing.T, m *Main, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, m.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// apiOK is apiCall for a request that must succeed.
func apiOK(t *testing.T, m *Main, method, path, token, body string) map[string]any {
	t.Helper()
	status, out := apiCall(t, m, method, path, token, body)
	if status >= 300 {
		t.Fatalf("%s %s: %d %v", method, path, status, out)
	}
	return out
}

func createToken(t *testing.T, vars map[string]string, role string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--role", role, "--name", role + "-tok"}, env(vars), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1]
}

func TestMainEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars func(t *testing.T) map[string]string
	}{
		{"sqlite", func(t *testing.T) map[string]string { return map[string]string{"DESKBOT_DATA": t.TempDir()} }},
		{"postgres", func(t *testing.T) map[string]string {
			// Its own data directory too (attachments), not ./data of the package.
			return map[string]string{"DATABASE_URL": pgtest.NewSchema(t), "DESKBOT_DATA": t.TempDir()}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := tc.vars(t)
			if err := run(context.Background(), []string{"migrate"}, env(vars), io.Discard, io.Discard); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			reporter := createToken(t, vars, "reporter")
			assistant := createToken(t, vars, "assistant")
			vars["METRICS_TOKEN"] = "metrics-secret"
			m := startMain(t, vars)

			call := func(method, path, token, body string) (int, map[string]any) {
				t.Helper()
				return apiCall(t, m, method, path, token, body)
			}
			status, out := call("POST", "/api/v1/tickets", reporter, `{"summary":"系统异常导致无法提单，换浏览器也不行","category":["CRM问题","提单系统"],"occurred_at":"2026-11-20T10:00:00+08:00","region":"广州","severity":"P3","contacts":{"qq":"12345678"}}`)
			if status != http.StatusCreated {
				t.Fatalf("create: %d %v", status, out)
			}
			number := out["number"].(string)
			day := time.Now().In(m.Config.Location()).Format("20060102")
			if !strings.HasPrefix(number, "FB-"+day+"-") {
				t.Fatalf("number %s not dated %s", number, day)
			}
			if status, out = call("POST", "/api/v1/tickets/"+number+"/claim", assistant, ""); status != http.StatusOK || out["status"] != "assigned" {
				t.Fatalf("claim: %d %v", status, out)
			}
			if status, _ = call("GET", "/healthz", "", ""); status != http.StatusOK {
				t.Fatalf("healthz %d", status)
			}
			if status, _ = call("GET", "/readyz", "", ""); status != http.StatusOK {
				t.Fatalf("readyz %d", status)
			}
			// /metrics: the filing by channel and severity, requests by
			// route pattern (never the ticket number), behind METRICS_TOKEN.
			metrics := func(token string) (int, string) {
				req, _ := http.NewRequest("GET", m.URL()+"/metrics", nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			if code, _ := metrics(""); code != http.StatusUnauthorized {
				t.Fatalf("/metrics without the token = %d", code)
			}
			code, page := metrics("metrics-secret")
			for _, want := range []string{
				`deskbot_tickets_created_total{channel="api",severity="P3"} 1`,
				`deskbot_http_requests_total{code="201",route="POST /api/v1/tickets"} 1`,
				`deskbot_http_requests_total{code="200",route="POST /api/v1/tickets/{number}/claim"} 1`,
				"go_goroutines",
			} {
				if code != http.StatusOK || !strings.Contains(page, want) {
					t.Fatalf("/metrics = %d, lacks %s:\n%s", code, want, page)
				}
			}
			if strings.Contains(page, number) {
				t.Fatal("a ticket number became a metrics label")
			}
			url := m.URL()
			if err := m.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if _, err := http.Get(url + "/healthz"); err == nil {
				t.Fatal("server still answers after Close")
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	vars := map[string]string{"DESKBOT_DATA": t.TempDir()}
	for _, args := range [][]string{
		{"bogus"},
		{"token"},
		{"token", "create", "--role", "pope", "--name", "x"},
		{"token", "create", "--role", "assistant"},
	} {
		if err := run(context.Background(), args, env(vars), io.Discard, io.Discard); err == nil {
			t.Errorf("run %v: no error", args)
		}
	}
	if err := run(context.Background(), nil, env(map[string]string{"TZ_NAME": "Nowhere/Land"}), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "TZ_NAME") {
		t.Fatalf("bad TZ_NAME: %v", err)
	}
}

// TestHelp: -h/--help on any command prints help and does nothing else
// (serve --help must not start a server, migrate --help must not migrate).
func TestHelp(t *testing.T) {
	data := t.TempDir()
	vars := map[string]string{"DESKBOT_DATA": data, "HTTP_ADDR": "127.0.0.1:1"}
	for _, args := range [][]string{
		{"--help"}, {"serve", "--help"}, {"migrate", "-h"}, {"token", "--help"}, {"team", "create", "--help"},
		{"user", "create", "-h"}, {"invite", "--help"}, {"sla", "explain", "--help"},
		{"team", "set-lead", "--help"}, {"team", "set-chat", "--help"}, {"team", "list", "-h"}, {"user", "link", "--help"}, {"user", "list", "-h"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, env(vars), &out, io.Discard); err != nil || !strings.Contains(out.String(), "usage") {
			t.Errorf("run %v: %v, printed %q", args, err, out.String())
		}
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Fatalf("help touched the data directory: %v", entries)
	}
	if err := run(context.Background(), []string{"serve", "--port", "9"}, env(vars), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "takes no arguments") {
		t.Fatalf("serve with an argument: %v", err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"team", "create", "--nmae", "x"}, env(vars), &out, io.Discard); err == nil || !strings.Contains(err.Error(), "-name") {
		t.Fatalf("a mistyped flag should list the flags: %v", err)
	}
}

// TestCLIErrors: the CLI names what is wrong, without the database
// driver's text.
func TestCLIErrors(t *testing.T) {
	vars := map[string]string{"DESKBOT_DATA": t.TempDir()}
	ctx := context.Background()
	err := run(ctx, []string{"token", "create", "--role", "assistant", "--name", "helpdesk", "--team", "1"}, env(vars), io.Discard, io.Discard)
	if got := describe(err); !strings.Contains(got, "team 1 not found") || !strings.Contains(got, "deskbot team create") {
		t.Fatalf("token for a missing team: %q", got)
	}
	if err := run(ctx, []string{"team", "create", "--name", "技术部"}, env(vars), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"team", "create", "--name", "技术部"}, env(vars), io.Discard, io.Discard)
	if got := describe(err); !strings.Contains(got, "already exists") || strings.Contains(got, "constraint") {
		t.Fatalf("second team of that name: %q", got)
	}
	down := map[string]string{"DESKBOT_DATA": t.TempDir(), "DATABASE_URL": "postgres://postgres@127.0.0.1:1/test?connect_timeout=2"}
	err = run(ctx, []string{"team", "create", "--name", "x"}, env(down), io.Discard, io.Discard)
	if got := describe(err); !strings.Contains(got, "127.0.0.1") && !strings.Contains(got, "refused") {
		t.Fatalf("an unreachable database does not say why: %q", got)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"invite", "--team", "1"}, env(vars), &out, io.Discard); err != nil || !strings.Contains(out.String(), "no chat channel is configured") {
		t.Fatalf("invite without a channel: %v %q", err, out.String())
	}
}

// TestServeStopsOnSignal runs "deskbot serve" as main does and cancels its
// context, as SIGTERM does through signal.NotifyContext: it must shut down
// cleanly and release the port.
func TestServeStopsOnSignal(t *testing.T) {
	// Port 0: a port found free and closed again could be taken by another
	// test process before serve binds it. The log names the address.
	vars := map[string]string{"DESKBOT_DATA": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0"}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(vars), io.Discard, logs) }()
	healthRE := regexp.MustCompile(`health=(http://127\.0\.0\.1:\d+)/healthz`)
	var base string
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("serve returned before the signal: %v\n%s", err, logs.String())
		default:
		}
		if m := healthRE.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
			if resp, err := http.Get(base + "/healthz"); err == nil {
				resp.Body.Close()
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not come up:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after the signal: %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("serve did not stop after the signal")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still listening after shutdown")
	}
}
