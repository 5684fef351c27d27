package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestKBTexts checks that every text the knowledge-base and incident
// pages, errors and suggestions show by key is in every catalog: the
// console's test translator echoes keys, so a missing text would only
// show in production.
func TestKBTexts(t *testing.T) {
	c, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	re := regexp.MustCompile(`"((?:web\.kb|err\.kb|err\.incident|err\.no_incident|web\.ev\.incident|notify\.incident|dialog\.suggest)[a-z_.]*)"`)
	sources := []string{"../../backend/kb.go", "../../backend/incident.go", "../../backend/service.go", "../../backend/web/kb.go",
		"../../backend/web/console.go", "../../backend/web/render.go", "../../bot/botkit/render.go", "../../dialogs/render.go",
		"../../dialogs/turn.go", "../../bot/slack/suggest.go"}
	files, _ := filepath.Glob("../../backend/web/templates/*.html")
	files = append(files, sources...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			ids[m[1]] = true
		}
	}
	// backend.Keyed takes the key without its "err." prefix.
	keyed := regexp.MustCompile(`Keyed\((?:backend\.)?E[A-Z]+, "((?:kb|incident|no_incident)[a-z_]*)"`)
	for _, f := range sources {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyed.FindAllStringSubmatch(string(b), -1) {
			ids["err."+m[1]] = true
		}
	}
	for _, want := range []string{"err.kb_changed", "err.incident", "err.incident_resolved", "err.no_incident", "dialog.suggest.incident", "notify.incident_resolved"} {
		if !ids[want] {
			t.Fatalf("%s not found in the sources; is the pattern right? %v", want, ids)
		}
	}
	for id := range ids {
		if !c.Has(id) {
			t.Errorf("%s is not in every catalog", id)
		}
	}
}

// TestIncidentCountText: an incident one person reported is not "1
// reports" (the catalog has no plural forms: the text avoids needing one).
func TestIncidentCountText(t *testing.T) {
	c, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2} {
		got := c.T(catalog.En, "dialog.suggest.incident", map[string]any{"ID": "INC-3", "Title": "放心房标识批量丢失", "Count": n})
		if strings.Contains(got, "1 reports") || !strings.Contains(got, "INC-3") {
			t.Errorf("Count %d: %q", n, got)
		}
	}
}
