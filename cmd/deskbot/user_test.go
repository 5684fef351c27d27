package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestUserCreate(t *testing.T) {
	cfg, err := LoadConfig(env(map[string]string{"DESKBOT_DATA": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	var out bytes.Buffer
	if err := userCmd(ctx, cfg, log, []string{"create", "--name", "Alice", "--role", "admin"}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "shown only once") {
		t.Fatalf("output %q", out.String())
	}
	out.Reset()
	err = userCmd(ctx, cfg, log, []string{"create", "--name", "bob", "--role", "assistant", "--password-stdin"}, strings.NewReader("a-long-secret-pw\n"), &out)
	if err != nil || strings.Contains(out.String(), "a-long-secret-pw") {
		t.Fatalf("stdin password: %v %q", err, out.String())
	}
	for _, args := range [][]string{
		{"create", "--name", "alice", "--role", "admin"},   // taken
		{"create", "--name", "carl", "--role", "reporter"}, // not staff
		{"create", "--role", "admin"},                      // no name
		{"delete"},                                         // unknown
	} {
		if err := userCmd(ctx, cfg, log, args, strings.NewReader(""), io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if err := userCmd(ctx, cfg, log, []string{"create", "--name", "dan", "--role", "manager", "--password-stdin"}, strings.NewReader("short\n"), io.Discard); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("short password: %v", err)
	}
}
