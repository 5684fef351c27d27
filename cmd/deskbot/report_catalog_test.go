package main

import (
	"os"
	"regexp"
	"testing"

	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestReportTexts checks that every text the report page names, and the
// report's error texts, are in every catalog: the console's tests show
// keys, not texts.
func TestReportTexts(t *testing.T) {
	c, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile("../../backend/web/templates/reports.html")
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`"((?:web|rating)\.[a-z_.]+[a-z])"`).FindAllStringSubmatch(string(page), -1)
	if len(ids) < 30 {
		t.Fatalf("found only %d message ids in reports.html; is the pattern right?", len(ids))
	}
	want := []string{"web.report.title", "err.report_forbidden", "err.problem.period", "err.field.period", "err.field.team", "err.field.format"}
	for _, m := range ids {
		want = append(want, m[1])
	}
	for _, id := range want {
		if !c.Has(id) {
			t.Errorf("%s is not in every catalog", id)
		}
	}
}
