package botkit

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
)

// TestFilesSweep: the sweep removes old files no ticket names (with their
// grants) and old upload leftovers; it keeps a ticket's files, files
// uploaded lately, and a file uploaded again since it grew old. On both
// stores.
func TestFilesSweep(t *testing.T) {
	stores := map[string]func(t *testing.T) backend.Store{
		"sqlite":   func(t *testing.T) backend.Store { return openStore(t) },
		"postgres": func(t *testing.T) backend.Store { return pgtest.NewStore(t) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			store := open(t)
			dir := t.TempDir()
			files, err := NewFiles(dir, 0, []string{"image/png", "text/plain"})
			if err != nil {
				t.Fatal(err)
			}
			put := func(body string) string {
				a, err := files.Put(bytes.NewReader([]byte(body)), "f.txt")
				if err != nil {
					t.Fatal(err)
				}
				return a.SHA256
			}
			day := time.Now().Add(-48 * time.Hour)
			age := func(name string) {
				if err := os.Chtimes(filepath.Join(dir, name), day, day); err != nil {
					t.Fatal(err)
				}
			}
			attached, abandoned, fresh, again := put("attached to a ticket"), put("a cancelled dialog's"), put("a dialog going on"), put("uploaded again")
			if err := files.Grant(abandoned, 7, "截图.png"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ".upload-123"), []byte("half"), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{attached, abandoned, again, abandoned + ".by-7", ".upload-123"} {
				age(n)
			}
			put("uploaded again") // new again

			r := &backend.Person{Name: "r", Roles: []backend.Role{backend.RoleReporter}}
			if err := store.CreatePerson(ctx, r); err != nil {
				t.Fatal(err)
			}
			tk := &backend.Ticket{Summary: "截图里的报错", Status: backend.StatusNew, Severity: backend.P3, ReporterID: r.ID,
				Attachments: []backend.Attachment{{Name: "a.txt", ContentType: "text/plain", Size: 20, SHA256: attached}}}
			if err := store.CreateTicket(ctx, tk, "FB", time.Now(), nil); err != nil {
				t.Fatal(err)
			}

			n, err := files.Sweep(ctx, time.Now().Add(-24*time.Hour), store.AttachmentsInUse)
			if err != nil || n != 2 {
				t.Fatalf("Sweep = %d, %v; want 2 (the abandoned file and the upload leftover)", n, err)
			}
			for name, want := range map[string]bool{attached: true, fresh: true, again: true,
				abandoned: false, abandoned + ".by-7": false, ".upload-123": false} {
				_, err := os.Stat(filepath.Join(dir, name))
				if got := err == nil; got != want {
					t.Errorf("%s kept = %v, want %v", name, got, want)
				}
			}
			if n, err := files.Sweep(ctx, time.Now().Add(-24*time.Hour), store.AttachmentsInUse); err != nil || n != 0 {
				t.Fatalf("a second sweep = %d, %v; want nothing to do", n, err)
			}
		})
	}
}
