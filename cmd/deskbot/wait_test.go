package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/backend/redistest"
)

// freeAddr is a loopback address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// forward listens on addr and relays every connection to target: a
// server that comes up late.
func forward(t *testing.T, addr, target string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, in, out)
			mu.Unlock()
			wg.Go(func() { io.Copy(out, in); out.Close() })
			wg.Go(func() { io.Copy(in, out); in.Close() })
		}
	})
}

// withHost is u with its host:port replaced.
func withHost(t *testing.T, raw, host string) (changed, old string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	old, u.Host = u.Host, host
	return u.String(), old
}

// Start-up waits for a Postgres and a Redis that come up after deskbot,
// logging what it waits for, and gives up after START_TIMEOUT with an
// error that names it.
func TestStartWaitsForDatabases(t *testing.T) {
	dbAddr, redisAddr := freeAddr(t), freeAddr(t)
	dbURL, dbTarget := withHost(t, pgtest.NewSchema(t), dbAddr)
	_, prefix := redistest.Open(t)
	redisURL, redisTarget := withHost(t, redistest.URL(), redisAddr)

	t.Run("ComeUpLate", func(t *testing.T) {
		cfg, err := LoadConfig(env(map[string]string{"DATABASE_URL": dbURL, "REDIS_URL": redisURL, "REDIS_PREFIX": prefix,
			"DESKBOT_DATA": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0", "START_TIMEOUT": "30s"}))
		if err != nil {
			t.Fatal(err)
		}
		logs := &syncBuffer{}
		m := NewMain(cfg, slog.New(slog.NewTextHandler(logs, nil)))
		defer m.Close()
		ran := make(chan error, 1)
		go func() { ran <- m.Run(t.Context()) }()
		waitLog(t, logs, "waiting for postgres")
		forward(t, dbAddr, dbTarget)
		waitLog(t, logs, "waiting for redis")
		forward(t, redisAddr, redisTarget)
		select {
		case err := <-ran:
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, logs)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("Run did not return\n%s", logs)
		}
	})
	t.Run("GiveUp", func(t *testing.T) {
		down := freeAddr(t)
		gone, _ := withHost(t, dbURL, down)
		cfg, err := LoadConfig(env(map[string]string{"DATABASE_URL": gone, "DESKBOT_DATA": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0", "START_TIMEOUT": "1s"}))
		if err != nil {
			t.Fatal(err)
		}
		m := NewMain(cfg, slog.New(slog.DiscardHandler))
		defer m.Close()
		start := time.Now()
		err = m.Run(t.Context())
		if err == nil || !strings.Contains(err.Error(), "START_TIMEOUT") || !strings.Contains(err.Error(), "database unavailable") {
			t.Fatalf("Run with the database down = %v, want an error naming START_TIMEOUT", err)
		}
		if d := time.Since(start); d < time.Second || d > 15*time.Second {
			t.Fatalf("gave up after %s, want about START_TIMEOUT (1s)", d)
		}
	})
	t.Run("OtherCommandsDoNotWait", func(t *testing.T) {
		down := freeAddr(t)
		gone, _ := withHost(t, dbURL, down)
		start := time.Now()
		err := run(t.Context(), []string{"team", "list"}, env(map[string]string{"DATABASE_URL": gone, "START_TIMEOUT": "30s"}), io.Discard, io.Discard)
		if err == nil || strings.Contains(err.Error(), "START_TIMEOUT") || time.Since(start) > 10*time.Second {
			t.Fatalf("team list with the database down = %v after %s, want a prompt failure", err, time.Since(start))
		}
	})
}

// waitLog waits until logs hold s.
func waitLog(t *testing.T, logs *syncBuffer, s string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(logs.String(), s) {
			return
		}
	}
	t.Fatalf("no %q in the logs:\n%s", s, logs)
}

func TestUntilUpStopsOnLastingErrors(t *testing.T) {
	tries := 0
	err := untilUp(context.Background(), slog.New(slog.DiscardHandler), time.Minute, "x", func(error) bool { return false },
		func(context.Context) error { tries++; return io.ErrUnexpectedEOF })
	if err != io.ErrUnexpectedEOF || tries != 1 {
		t.Fatalf("untilUp = %v after %d tries, want the error after one", err, tries)
	}
}
