package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestLayout keeps the architecture's import rules (DESIGN, README):
// backend/ imports neither bot/ nor dialogs/, and dialogs/ imports no
// chat SDK. Test files are not held to it.
func TestLayout(t *testing.T) {
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", "github.com/deskbot/deskbot/backend/...", "github.com/deskbot/deskbot/dialogs/...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/deskbot/deskbot/"
	dec := json.NewDecoder(out)
	seen := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		var banned []string
		switch {
		case strings.HasPrefix(p.ImportPath, mod+"backend"):
			banned = []string{mod + "bot/", mod + "dialogs"}
		case strings.HasPrefix(p.ImportPath, mod+"dialogs"):
			banned = []string{"github.com/go-telegram/", "github.com/slack-go/"}
		}
		for _, imp := range p.Imports {
			for _, b := range banned {
				if strings.HasPrefix(imp, b) {
					t.Errorf("%s imports %s", p.ImportPath, imp)
				}
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	if seen < 5 {
		t.Fatalf("go list listed %d packages", seen)
	}
}
