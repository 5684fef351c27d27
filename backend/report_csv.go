package backend

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// WriteCSV writes r as CSV in one long table, a row per figure:
// section,key,count,share,value. Keys are the data's own (a category
// path joined with "/", an incident's title, a clock or factor id);
// shares are fractions (0.2500); hours have two decimals. The file
// starts with a UTF-8 byte order mark so that spreadsheet programs read
// the Chinese names right. Of personal data it holds the complaints'
// customers, as the report holds them (masked unless the reader is a
// manager or an admin).
func (r *Report) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	// A share or time with nothing under it (no P1, no decided clock run,
	// nothing resolved, no rating) is an empty cell, not a 0.
	frac := func(num, den int) string {
		if den == 0 {
			return ""
		}
		return strconv.FormatFloat(share(num, den), 'f', 4, 64)
	}
	hours := func(d time.Duration) string {
		if r.Resolved == 0 {
			return ""
		}
		return strconv.FormatFloat(d.Hours(), 'f', 2, 64)
	}
	n := strconv.Itoa
	team := "all"
	if r.TeamID != 0 {
		team = r.TeamName
	}
	// A period's days, the last included, as the console shows them.
	days := func(p Period) string {
		return p.Start.Format(time.DateOnly) + "/" + p.End.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	rows := [][]string{
		{"section", "key", "count", "share", "value"},
		{"period", r.Period.String(), "", "", days(r.Period)},
		{"team", text(team), "", "", ""},
		{"total", "created", n(r.Total), "", ""},
	}
	for _, c := range r.Categories {
		rows = append(rows, []string{"category", text(strings.Join(c.Path, "/")), n(c.Count.Count), frac(c.Count.Count, r.Total), ""})
	}
	for _, c := range r.Subcategories {
		rows = append(rows, []string{"subcategory", text(strings.Join(c.Path, "/")), n(c.Count.Count), frac(c.Count.Count, r.Total), ""})
	}
	for _, p := range r.TopProblems {
		key := strings.Join(p.Path, "/")
		if p.IncidentID != 0 {
			key = p.Title
		}
		rows = append(rows, []string{"top_problem", text(key), n(p.Count.Count), frac(p.Count.Count, r.Total), ""})
	}
	rows = append(rows,
		[]string{"handling", "resolved", n(r.Resolved), "", ""},
		[]string{"handling", "average_hours", "", "", hours(r.AvgHandling)},
		[]string{"handling", "median_hours", "", "", hours(r.MedianHandling)},
		[]string{"p1", "resolved", n(r.P1Solved), frac(r.P1Solved, r.P1), n(r.P1)},
	)
	for _, c := range r.Clocks {
		rows = append(rows,
			[]string{"sla_met", c.Name, n(c.Met), frac(c.Met, c.Decided()), n(c.Runs)},
			[]string{"sla_breached", c.Name, n(c.Breached), "", n(c.Runs)},
			[]string{"sla_open", c.Name, n(c.Open()), "", n(c.Runs)})
	}
	for _, p := range []struct {
		section string
		r       Ratings
	}{{"rating", r.Ratings}, {"rating_previous", r.PrevRates}} {
		t := p.r.Total()
		rows = append(rows,
			[]string{p.section, string(SatisfactionSatisfied), n(p.r.Satisfied), frac(p.r.Satisfied, t), ""},
			[]string{p.section, string(SatisfactionBasically), n(p.r.Basically), frac(p.r.Basically, t), ""},
			[]string{p.section, string(SatisfactionUnsatisfied), n(p.r.Unsatisfied), frac(p.r.Unsatisfied, t), ""})
	}
	// The trend: per period, the ratings given and the share of 满意 and
	// 基本满意 among them, with the period's days.
	for _, p := range r.Trend {
		rows = append(rows, []string{"satisfaction_trend", p.Period.String(), n(p.Total()), frac(p.Satisfied+p.Basically, p.Total()), days(p.Period)})
	}
	for _, f := range r.Factors {
		rows = append(rows, []string{"factor", string(f.Factor), n(f.Count.Count), strconv.FormatFloat(f.Share, 'f', 4, 64), ""})
	}
	for _, c := range r.Customers {
		cust := text(c.Customer)
		rows = append(rows,
			[]string{"complaints", cust, n(len(c.Numbers)), "", strings.Join(c.Numbers, " ")},
			[]string{"complaints_open", cust, n(c.Open), "", ""},
			[]string{"complaints_closed", cust, n(c.Closed), "", ""},
			[]string{"complaint_tasks_done", cust, n(c.TasksDone), "", ""},
			[]string{"complaint_tasks_open", cust, n(c.TasksOpen), "", ""},
			[]string{"complaint_tasks_overdue", cust, n(c.TasksOverdue), "", ""})
	}
	for _, p := range r.Prevention {
		rows = append(rows,
			[]string{"root_cause", p.Number, "", "", text(p.RootCause)},
			[]string{"prevention", p.Number, "", "", text(p.Prevention)},
			[]string{"prevention_approved", p.Number, "", "", strconv.FormatBool(p.Approved)},
			[]string{"prevention_sent", p.Number, "", "", strconv.FormatBool(p.Sent)})
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// text makes a cell of free text (a category, an incident's title, a
// team's name) safe to open in a spreadsheet: one starting like a formula
// (= + - @, a tab, a carriage return) is kept as text.
func text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
