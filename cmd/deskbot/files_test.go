package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMainSweepsFiles: a running deskbot removes an attachment that no
// ticket names once it is older than the sweep age, and keeps a new one.
func TestMainSweepsFiles(t *testing.T) {
	first := sweepFirst
	sweepFirst = 10 * time.Millisecond
	t.Cleanup(func() { sweepFirst = first })
	data := t.TempDir()
	dir := filepath.Join(data, "attachments")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	oldSum, newSum := strings.Repeat("a", 64), strings.Repeat("b", 64)
	for _, sum := range []string{oldSum, newSum} {
		if err := os.WriteFile(filepath.Join(dir, sum), []byte("a screenshot"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-72 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, oldSum), long, long); err != nil {
		t.Fatal(err)
	}
	startMain(t, map[string]string{"DESKBOT_DATA": data})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, oldSum)); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the old file no ticket names is still there")
		}
	}
	if _, err := os.Stat(filepath.Join(dir, newSum)); err != nil {
		t.Fatalf("the new file: %v", err)
	}
}
