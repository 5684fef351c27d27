package botkit

import (
	"bytes"
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// ReportText is a report (DESIGN §7) as the plain text of a chat message,
// in loc: the same figures as the console's report page, shortened to
// what reads well in a chat, with the keys of the chart (its bars are
// numbered 1, 2, 3 … as Report.Subcategories) and, when console is set
// (the console's base URL), a link to the full page.
func ReportText(cat *catalog.Catalog, loc string, r *backend.Report, console string) string {
	t := func(id string, data map[string]any) string { return cat.T(loc, id, data) }
	var b strings.Builder
	line := func(s string) {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	title := t("report.chat.title_"+r.Period.Kind, map[string]any{"Period": r.Period.String(),
		"From": r.Period.Start.Format("2006-01-02"), "To": r.Period.End.AddDate(0, 0, -1).Format("2006-01-02")})
	team := r.TeamName
	if team == "" {
		team = t("web.report.all_teams", nil)
	}
	line(title + " · " + team)
	line(t("report.chat.volume", map[string]any{"Total": r.Total, "Resolved": r.Resolved}))
	if r.Resolved > 0 {
		line(t("report.chat.handling", map[string]any{"Avg": hours(r.AvgHandling.Hours()), "Median": hours(r.MedianHandling.Hours())}))
	}
	if r.P1 > 0 {
		line(t("report.chat.p1", map[string]any{"Solved": r.P1Solved, "Total": r.P1, "Rate": pct(r.P1Rate)}))
	}
	if len(r.TopProblems) > 0 {
		line("")
		line(t("web.report.top", nil))
		for i, p := range r.TopProblems {
			name := path(p.Path)
			if p.IncidentID != 0 {
				name = t("web.report.incident", map[string]any{"ID": p.IncidentID, "Title": p.Title})
			}
			line(t("report.chat.row", map[string]any{"N": i + 1, "Name": name, "Count": p.Count.Count, "Share": pct(p.Share)}))
		}
	}
	if len(r.Subcategories) > 0 {
		line("")
		line(t("report.chat.chart_keys", nil))
		for i, c := range r.Subcategories {
			line(t("report.chat.row", map[string]any{"N": i + 1, "Name": path(c.Path), "Count": c.Count.Count, "Share": pct(c.Share)}))
		}
	}
	if len(r.Clocks) > 0 {
		line("")
		line(t("report.chat.sla", nil))
		for _, c := range r.Clocks {
			rate := "—"
			if c.Decided() > 0 {
				rate = pct(c.Compliance())
			}
			line(t("report.chat.clock", map[string]any{"Clock": t("sla.clock."+c.Name, nil), "Rate": rate,
				"Met": c.Met, "Breached": c.Breached, "Open": c.Open()}))
		}
	}
	line("")
	rate, prev := "—", "—"
	if r.Ratings.Total() > 0 {
		rate = pct(r.Ratings.Rate())
	}
	if r.PrevRates.Total() > 0 {
		prev = pct(r.PrevRates.Rate())
	}
	line(t("report.chat.satisfaction", map[string]any{"Rate": rate, "Prev": prev, "Satisfied": r.Ratings.Satisfied,
		"Basically": r.Ratings.Basically, "Unsatisfied": r.Ratings.Unsatisfied}))
	if len(r.Trend) > 2 {
		var ps []string
		for _, p := range r.Trend {
			rate := "—"
			if p.Total() > 0 {
				rate = pct(p.Rate())
			}
			ps = append(ps, shortPeriod(p.Period)+" "+rate)
		}
		line(t("report.chat.trend", map[string]any{"N": len(r.Trend), "Trend": strings.Join(ps, " → ")}))
	}
	if len(r.Factors) > 0 {
		var fs []string
		for _, f := range r.Factors {
			fs = append(fs, t("followup.factor."+string(f.Factor), nil)+" "+strconv.Itoa(f.Count.Count))
		}
		line(t("report.chat.factors", map[string]any{"Factors": strings.Join(fs, t("report.chat.sep", nil))}))
	}
	if len(r.Customers) > 0 {
		line("")
		line(t("report.chat.customers", nil))
		for _, c := range r.Customers {
			line(t("report.chat.customer", map[string]any{"Customer": c.Customer, "Count": len(c.Numbers), "Closed": c.Closed, "Open": c.Open,
				"Done": c.TasksDone, "Pending": c.TasksOpen, "Overdue": c.TasksOverdue}))
		}
	}
	if len(r.Prevention) > 0 {
		line("")
		line(t("report.chat.prevention", nil))
		for _, p := range r.Prevention {
			state := "report.chat.measure_draft"
			switch {
			case p.Sent:
				state = "report.chat.measure_sent"
			case p.Approved:
				state = "report.chat.measure_approved"
			}
			line(t("report.chat.measure", map[string]any{"Number": p.Number, "Customer": p.Customer, "Cause": clip(p.RootCause, 120),
				"Measures": clip(p.Prevention, 200), "State": t(state, nil)}))
		}
	}
	if console != "" {
		q := url.Values{"period": {r.Period.String()}}
		if r.TeamID != 0 {
			q.Set("team", strconv.FormatInt(r.TeamID, 10))
		}
		line("")
		line(t("report.chat.link", map[string]any{"URL": strings.TrimSuffix(console, "/") + "/console/reports?" + q.Encode()}))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// ReportCaption is the caption of a report's chart in loc.
func ReportCaption(cat *catalog.Catalog, loc string, r *backend.Report) string {
	return cat.T(loc, "report.chat.caption", map[string]any{"Period": r.Period.String()})
}

// shortPeriod names a period of a trend: W47 for a week, 2026-11 for a
// month.
func shortPeriod(p backend.Period) string {
	s := p.String()
	if p.Kind == backend.PeriodWeek {
		_, w, _ := strings.Cut(s, "-")
		return w
	}
	return s
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

func hours(h float64) string { return strconv.FormatFloat(h, 'f', 1, 64) }

func path(p []string) string {
	if len(p) == 0 {
		return "—"
	}
	return strings.Join(p, " / ")
}

// ReportPeriod reads the period a chat's report command names, at now in
// loc: nothing or 本周 / week is this week so far, 上周 / last last week,
// 本月 / month this month, 上月 / lastmonth last month; anything else is
// read by backend.ParsePeriod (2026-W47, 2026-11), EINVALID if it is none.
func ReportPeriod(arg string, now time.Time, loc *time.Location) (backend.Period, error) {
	week, month := backend.PeriodOf(backend.PeriodWeek, now, loc), backend.PeriodOf(backend.PeriodMonth, now, loc)
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "", "本周", "week", "this", "thisweek":
		return week, nil
	case "上周", "last", "lastweek":
		return week.Prev(), nil
	case "本月", "month", "thismonth":
		return month, nil
	case "上月", "lastmonth":
		return month.Prev(), nil
	}
	return backend.ParsePeriod(strings.TrimSpace(arg), loc)
}

// ReportNow computes, as p, the report a chat's report command asks for
// (arg as ReportPeriod reads it, at now in the service's zone) and its
// chart as PNG. The service decides what p may read.
func ReportNow(ctx context.Context, svc *backend.Service, p *backend.Person, arg string, now time.Time) (*backend.Report, []byte, error) {
	period, err := ReportPeriod(arg, now, svc.Location())
	if err != nil {
		return nil, nil, err
	}
	rep, err := svc.Report(ctx, p, backend.ReportQuery{Period: period})
	if err != nil {
		return nil, nil, err
	}
	var png bytes.Buffer
	if err := rep.Chart(&png); err != nil {
		return nil, nil, err
	}
	return rep, png.Bytes(), nil
}

// Subscribed reports whether subs (p's) hold the subscription to the
// report of kind that a chat's buttons switch: every team's for a manager,
// their own team's for an assistant.
func Subscribed(subs []*backend.ReportSubscription, p *backend.Person, kind string) bool {
	team := int64(0)
	if !p.SeesAll() {
		team = p.TeamID
	}
	return slices.ContainsFunc(subs, func(s *backend.ReportSubscription) bool { return s.Kind == kind && s.TeamID == team })
}
