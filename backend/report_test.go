package backend_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func TestParsePeriod(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, sh) }
	for _, tc := range []struct {
		in         string
		start, end time.Time
		prev       string
	}{
		{"2026-W47", day(2026, 11, 16), day(2026, 11, 23), "2026-W46"},
		{"2026-w47", day(2026, 11, 16), day(2026, 11, 23), "2026-W46"}, // as typed
		{"2026-W01", day(2025, 12, 29), day(2026, 1, 5), "2025-W52"},
		{"2026-W53", day(2026, 12, 28), day(2027, 1, 4), "2026-W52"}, // 2026 begins on a Thursday: 53 weeks
		{"2026-11", day(2026, 11, 1), day(2026, 12, 1), "2026-10"},
		{"2026-01", day(2026, 1, 1), day(2026, 2, 1), "2025-12"},
	} {
		p, err := backend.ParsePeriod(tc.in, sh)
		if err != nil {
			t.Fatalf("ParsePeriod(%q): %v", tc.in, err)
		}
		if !p.Start.Equal(tc.start) || !p.End.Equal(tc.end) || p.String() != strings.ToUpper(tc.in) || p.Prev().String() != tc.prev {
			t.Errorf("ParsePeriod(%q) = %v – %v (%s, previous %s), want %v – %v (previous %s)", tc.in, p.Start, p.End, p, p.Prev(), tc.start, tc.end, tc.prev)
		}
	}
	for _, bad := range []string{"", "2025-W53", "2026-W00", "2026-W54", "2026-13", "2026-00", "2026-W4", "26-11", "2026-11-01", "this week"} {
		_, err := backend.ParsePeriod(bad, sh)
		wantCode(t, err, backend.EINVALID)
	}
	// The week and the month of an instant are the zone's: Sunday 22
	// November 16:30 UTC is Monday 23 November in Shanghai.
	at := time.Date(2026, 11, 22, 16, 30, 0, 0, time.UTC)
	if got := backend.PeriodOf(backend.PeriodWeek, at, sh).String(); got != "2026-W48" {
		t.Errorf("week of %v = %s, want 2026-W48", at, got)
	}
	if got := backend.PeriodOf(backend.PeriodMonth, time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC), sh).String(); got != "2026-12" {
		t.Errorf("month of 30 November 16:30 UTC = %s, want 2026-12", got)
	}
}

// TestReport files tickets at chosen times in week 2026-W47 (16–22
// November), the week before and the week after, handles and rates them,
// and checks every figure of the week's report, overall and per team.
func TestReport(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		sh := f.svc.Location()
		at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, sh) }
		do := func(when time.Time, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("at %v: %v", when, err)
			}
		}
		file := func(when time.Time, reporter *backend.Person, sev backend.Severity, path ...string) *backend.Ticket {
			t.Helper()
			f.now = when
			return f.create(t, reporter, func(n *backend.NewTicket) {
				n.Severity, n.CategoryPath, n.OccurredAt = sev, path, when.Add(-time.Hour)
				if sev.Important() {
					n.OrderNumber, n.Account = "ORD-1", "acct-1"
					n.Attachments = []backend.Attachment{{Name: "s.png", ContentType: "image/png", Size: 1, SHA256: "ab"}}
				}
			})
		}
		assign := func(when time.Time, tk *backend.Ticket, to *backend.Person) {
			f.now = when
			_, err := f.svc.Assign(ctx, f.manager, tk.Number, to.ID)
			do(when, err)
		}
		resolve := func(when time.Time, tk *backend.Ticket, by *backend.Person) {
			f.now = when
			_, err := f.svc.Resolve(ctx, by, tk.Number, "已修复")
			do(when, err)
		}
		rate := func(when time.Time, tk *backend.Ticket, r backend.Satisfaction) {
			f.now = when
			_, err := f.svc.RecordSatisfaction(ctx, f.alice, tk.Number, r, "")
			do(when, err)
		}
		member, order, quote := []string{"CRM问题", "会员中心"}, []string{"CRM问题", "订单"}, []string{"产品线问题", "报价"}

		// W45, outside the week before but in the trend: h rated unsatisfied.
		h := file(at(3, 9), f.alice, backend.P3, quote...)
		resolve(at(3, 11), h, f.manager)
		rate(at(3, 12), h, backend.SatisfactionUnsatisfied)
		// The week before: e filed (resolved in W47), g filed, resolved and rated.
		e := file(at(13, 9), f.alice, backend.P3, member...)
		assign(at(13, 10), e, f.ann)
		g := file(at(10, 9), f.alice, backend.P3, quote...)
		resolve(at(10, 11), g, f.manager)
		rate(at(10, 12), g, backend.SatisfactionSatisfied)
		// W47: a and b (P1, team A, one incident), c (team B: rated
		// unsatisfied, so reopened, and surveyed), d (unrouted).
		resolve(at(16, 9), e, f.ann) // 72 h
		a := file(at(16, 10), f.alice, backend.P1, member...)
		assign(at(16, 10), a, f.ann)
		b := file(at(17, 9), f.alice, backend.P1, member...)
		assign(at(17, 9), b, f.ann)
		f.now = at(17, 10)
		inc, err := f.svc.CreateIncident(ctx, f.manager, "APP 闪退")
		do(f.now, err)
		for _, tk := range []*backend.Ticket{a, b} {
			_, err := f.svc.LinkIncident(ctx, f.manager, tk.Number, inc.ID)
			do(f.now, err)
		}
		resolve(at(17, 18), a, f.ann)
		rate(at(17, 19), a, backend.SatisfactionSatisfied)
		c := file(at(18, 9), f.alice, backend.P3, order...)
		assign(at(18, 9), c, f.otherTeam)
		resolve(at(19, 9), c, f.otherTeam)
		rate(at(19, 10), c, backend.SatisfactionUnsatisfied)
		fus, err := f.svc.FollowUpsOf(ctx, f.otherTeam, c.Number)
		do(at(19, 10), err)
		f.now = at(20, 10)
		_, err = f.svc.RecordSurvey(ctx, f.otherTeam, fus[0].ID, backend.SurveyInput{Factors: []backend.Factor{backend.FactorAttitude, backend.FactorFeature}})
		do(f.now, err)
		d := file(at(19, 12), f.bob, backend.P3, quote...)
		resolve(at(19, 14), d, f.manager) // 2 h
		f.now = at(19, 15)
		_, err = f.svc.RecordSatisfaction(ctx, f.bob, d.Number, backend.SatisfactionBasically, "")
		do(f.now, err)
		// The week after.
		file(at(23, 0), f.alice, backend.P1, member...)

		w47, err := backend.ParsePeriod("2026-W47", sh)
		do(f.now, err)
		cnt := func(n, of int) backend.Count { return backend.Count{Count: n, Share: float64(n) / float64(of)} }
		// trend is W42 … W47 with the ratings of W45, W46 and W47.
		trend := func(r45, r46, r47 backend.Ratings) []backend.PeriodRatings {
			tr := make([]backend.PeriodRatings, backend.TrendPeriods)
			for i, p := len(tr)-1, w47; i >= 0; i, p = i-1, p.Prev() {
				tr[i].Period = p
			}
			tr[3].Ratings, tr[4].Ratings, tr[5].Ratings = r45, r46, r47
			return tr
		}

		t.Run("All", func(t *testing.T) {
			r, err := f.svc.Report(ctx, f.manager, backend.ReportQuery{Period: w47})
			if err != nil {
				t.Fatal(err)
			}
			want := &backend.Report{Period: w47, Previous: w47.Prev(),
				Total:      4,
				Categories: []backend.CategoryCount{{Path: []string{"CRM问题"}, Count: cnt(3, 4)}, {Path: []string{"产品线问题"}, Count: cnt(1, 4)}},
				Subcategories: []backend.CategoryCount{{Path: member, Count: cnt(2, 4)}, {Path: order, Count: cnt(1, 4)},
					{Path: quote, Count: cnt(1, 4)}},
				TopProblems: []backend.TopProblem{{IncidentID: inc.ID, Title: "APP 闪退", Count: cnt(2, 4)}, {Path: order, Count: cnt(1, 4)},
					{Path: quote, Count: cnt(1, 4)}},
				// e 72 h, a 32 h, d 2 h; c was reopened.
				Resolved: 3, AvgHandling: 106 * time.Hour / 3, MedianHandling: 32 * time.Hour,
				P1: 2, P1Solved: 1, P1Rate: 0.5,
				Clocks:    []backend.ClockCount{},
				Ratings:   backend.Ratings{Satisfied: 1, Basically: 1, Unsatisfied: 1},
				PrevRates: backend.Ratings{Satisfied: 1},
				Trend: trend(backend.Ratings{Unsatisfied: 1}, backend.Ratings{Satisfied: 1},
					backend.Ratings{Satisfied: 1, Basically: 1, Unsatisfied: 1}),
				Factors: []backend.FactorCount{{Factor: backend.FactorAttitude, Count: cnt(1, 2)},
					{Factor: backend.FactorFeature, Count: cnt(1, 2)}},
				FactorTotal: 2,
			}
			equalJSON(t, r, want)
			var csv strings.Builder
			if err := r.WriteCSV(&csv); err != nil {
				t.Fatal(err)
			}
			r.Clocks = []backend.ClockCount{{Name: "confirm", Runs: 4, Met: 2, Breached: 1}}
			var withClocks strings.Builder
			if err := r.WriteCSV(&withClocks); err != nil {
				t.Fatal(err)
			}
			if want := "\uFEFF" + `section,key,count,share,value
period,2026-W47,,,2026-11-16/2026-11-22
team,all,,,
total,created,4,,
category,CRM问题,3,0.7500,
category,产品线问题,1,0.2500,
subcategory,CRM问题/会员中心,2,0.5000,
subcategory,CRM问题/订单,1,0.2500,
subcategory,产品线问题/报价,1,0.2500,
top_problem,APP 闪退,2,0.5000,
top_problem,CRM问题/订单,1,0.2500,
top_problem,产品线问题/报价,1,0.2500,
handling,resolved,3,,
handling,average_hours,,,35.33
handling,median_hours,,,32.00
p1,resolved,1,0.5000,2
rating,satisfied,1,0.3333,
rating,basically,1,0.3333,
rating,unsatisfied,1,0.3333,
rating_previous,satisfied,1,1.0000,
rating_previous,basically,0,0.0000,
rating_previous,unsatisfied,0,0.0000,
satisfaction_trend,2026-W42,0,,2026-10-12/2026-10-18
satisfaction_trend,2026-W43,0,,2026-10-19/2026-10-25
satisfaction_trend,2026-W44,0,,2026-10-26/2026-11-01
satisfaction_trend,2026-W45,1,0.0000,2026-11-02/2026-11-08
satisfaction_trend,2026-W46,1,1.0000,2026-11-09/2026-11-15
satisfaction_trend,2026-W47,3,0.6667,2026-11-16/2026-11-22
factor,attitude,1,0.5000,
factor,feature,1,0.5000,
`; csv.String() != want {
				t.Errorf("CSV:\n%s\nwant:\n%s", csv.String(), want)
			}
			if want := "p1,resolved,1,0.5000,2\nsla_met,confirm,2,0.6667,4\nsla_breached,confirm,1,,4\nsla_open,confirm,1,,4\nrating,"; !strings.Contains(withClocks.String(), want) {
				t.Errorf("CSV with clocks:\n%s\nwant it to hold\n%s", withClocks.String(), want)
			}
			if c := (backend.ClockCount{Name: "solve", Runs: 3}); c.Decided() != 0 || c.Compliance() != 0 || c.Open() != 3 {
				t.Errorf("no run decided: decided %d, compliance %v, open %d; want 0, 0, 3", c.Decided(), c.Compliance(), c.Open())
			}
			if r.Ratings.Rate() != 2.0/3 || r.PrevRates.Rate() != 1 {
				t.Errorf("satisfaction rates = %v, %v; want 2/3, 1", r.Ratings.Rate(), r.PrevRates.Rate())
			}
		})
		t.Run("Team", func(t *testing.T) {
			// ann reads her own team's report, asked for or not.
			for _, team := range []int64{0, f.teamA.ID} {
				r, err := f.svc.Report(ctx, f.ann, backend.ReportQuery{Period: w47, TeamID: team})
				if err != nil {
					t.Fatal(err)
				}
				want := &backend.Report{Period: w47, Previous: w47.Prev(), TeamID: f.teamA.ID, TeamName: "tech",
					Total:         2,
					Categories:    []backend.CategoryCount{{Path: []string{"CRM问题"}, Count: cnt(2, 2)}},
					Subcategories: []backend.CategoryCount{{Path: member, Count: cnt(2, 2)}},
					TopProblems:   []backend.TopProblem{{IncidentID: inc.ID, Title: "APP 闪退", Count: cnt(2, 2)}},
					Resolved:      2, AvgHandling: 52 * time.Hour, MedianHandling: 52 * time.Hour,
					P1: 2, P1Solved: 1, P1Rate: 0.5,
					Clocks:  []backend.ClockCount{},
					Ratings: backend.Ratings{Satisfied: 1},
					Trend:   trend(backend.Ratings{}, backend.Ratings{}, backend.Ratings{Satisfied: 1}),
				}
				equalJSON(t, r, want)
			}
		})
		t.Run("ErrForbidden", func(t *testing.T) {
			_, err := f.svc.Report(ctx, f.ann, backend.ReportQuery{Period: w47, TeamID: f.teamB.ID})
			wantCode(t, err, backend.EFORBIDDEN)
			_, err = f.svc.Report(ctx, f.alice, backend.ReportQuery{Period: w47})
			wantCode(t, err, backend.EFORBIDDEN)
			loner := &backend.Person{Name: "lone", Roles: []backend.Role{backend.RoleAssistant}}
			if err := f.svc.CreatePerson(ctx, loner); err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.Report(ctx, loner, backend.ReportQuery{Period: w47})
			wantCode(t, err, backend.EFORBIDDEN)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := f.svc.Report(ctx, f.manager, backend.ReportQuery{Period: w47, TeamID: 987654})
			wantCode(t, err, backend.ENOTFOUND)
		})
	})
}

// equalJSON fails unless got deeply equals want, showing both as JSON.
func equalJSON(t *testing.T, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("got  %s\nwant %s", g, w)
	}
}

// A report with nothing under a figure leaves its cell empty rather than
// writing 0, and free text that starts like a formula stays text.
func TestReportCSVEmptyAndText(t *testing.T) {
	r := &backend.Report{Period: backend.PeriodOf(backend.PeriodWeek, time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC), time.UTC), Total: 1,
		TeamID: 3, TeamName: "@运营",
		Categories: []backend.CategoryCount{{Path: []string{"=HYPERLINK(\"http://x\")"}, Count: backend.Count{Count: 1, Share: 1}}},
		Clocks:     []backend.ClockCount{{Name: "solve", Runs: 2}},
	}
	var b strings.Builder
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"team,'@运营,,,\n",
		"category,\"'=HYPERLINK(\"\"http://x\"\")\",1,1.0000,\n",
		"handling,average_hours,,,\n", "handling,median_hours,,,\n",
		"p1,resolved,0,,0\n",
		"sla_met,solve,0,,2\n",
		"rating,satisfied,0,,\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("CSV lacks %q:\n%s", want, got)
		}
	}
}
