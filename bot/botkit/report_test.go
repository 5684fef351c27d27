package botkit

import (
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestReportTextTrend: the chat report carries the satisfaction trend,
// oldest period first, a period without ratings shown as —.
func TestReportTextTrend(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	cst := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct {
		kind, zh, en string
	}{
		{backend.PeriodWeek, "近 3 期满意率：W45 — → W46 100.0% → W47 50.0%", "Satisfied over 3 periods: W45 — → W46 100.0% → W47 50.0%"},
		{backend.PeriodMonth, "近 3 期满意率：2026-09 — → 2026-10 100.0% → 2026-11 50.0%", "Satisfied over 3 periods: 2026-09 — → 2026-10 100.0% → 2026-11 50.0%"},
	} {
		p := backend.PeriodOf(tc.kind, time.Date(2026, 11, 18, 12, 0, 0, 0, cst), cst)
		r := &backend.Report{Period: p, Previous: p.Prev(), Ratings: backend.Ratings{Satisfied: 1, Unsatisfied: 1}, PrevRates: backend.Ratings{Basically: 2},
			Trend: []backend.PeriodRatings{{Period: p.Prev().Prev()}, {Period: p.Prev(), Ratings: backend.Ratings{Basically: 2}},
				{Period: p, Ratings: backend.Ratings{Satisfied: 1, Unsatisfied: 1}}}}
		for loc, want := range map[string]string{"zh-CN": tc.zh, "en": tc.en} {
			if got := ReportText(cat, loc, r, ""); !strings.Contains(got, "\n"+want+"\n") && !strings.HasSuffix(got, "\n"+want) {
				t.Errorf("%s %s report lacks the line %q:\n%s", tc.kind, loc, want, got)
			}
		}
	}
}
