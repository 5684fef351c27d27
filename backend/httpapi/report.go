package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// reportJSON is a report (DESIGN §7) as the API shows it; see
// backend/report.go for what each figure counts. It holds no personal
// data.
type reportJSON struct {
	Period        string              `json:"period"`
	From          time.Time           `json:"from"`
	To            time.Time           `json:"to"` // exclusive
	Previous      string              `json:"previous"`
	Team          *teamJSON           `json:"team"` // null: every team
	Total         int                 `json:"total"`
	Categories    []categoryJSON      `json:"categories"`
	Subcategories []categoryJSON      `json:"subcategories"`
	TopProblems   []problemJSON       `json:"top_problems"`
	Handling      handlingJSON        `json:"handling"`
	P1            p1JSON              `json:"p1"`
	SLA           []clockCountJSON    `json:"sla"`
	Satisfaction  map[string]ratingsJ `json:"satisfaction"` // "current", "previous"
	Trend         []trendJSON         `json:"satisfaction_trend"`
	Factors       []factorJSON        `json:"factors"`
	Complaints    []customerJSON      `json:"complaints"`
	Prevention    []preventionJSON    `json:"prevention"`
}

type teamJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type categoryJSON struct {
	Path  []string `json:"path"`
	Count int      `json:"count"`
	Share float64  `json:"share"`
}

type problemJSON struct {
	IncidentID int64    `json:"incident_id,omitempty"`
	Title      string   `json:"title,omitempty"`
	Path       []string `json:"path,omitempty"`
	Count      int      `json:"count"`
	Share      float64  `json:"share"`
}

// The figures with nothing under them (no ticket resolved, no P1, no
// decided clock run, no rating) are null, not 0: "0% compliance" would
// say every run was missed.

type handlingJSON struct {
	Resolved       int    `json:"resolved"`
	AverageSeconds *int64 `json:"average_seconds"`
	MedianSeconds  *int64 `json:"median_seconds"`
}

type p1JSON struct {
	Created  int      `json:"created"`
	Resolved int      `json:"resolved"`
	Rate     *float64 `json:"rate"`
}

type clockCountJSON struct {
	Clock      string   `json:"clock"`
	Runs       int      `json:"runs"`
	Met        int      `json:"met"`
	Breached   int      `json:"breached"`
	Open       int      `json:"open"`
	Compliance *float64 `json:"compliance"`
}

type ratingsJ struct {
	Satisfied   int      `json:"satisfied"`
	Basically   int      `json:"basically"`
	Unsatisfied int      `json:"unsatisfied"`
	Rate        *float64 `json:"rate"` // 满意 and 基本满意 of all ratings
}

// trendJSON is one period of the satisfaction trend.
type trendJSON struct {
	Period string    `json:"period"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	ratingsJ
}

type factorJSON struct {
	Factor backend.Factor `json:"factor"`
	Count  int            `json:"count"`
	Share  float64        `json:"share"`
}

// customerJSON is one customer's complaints in the period, as they stood
// at its end.
type customerJSON struct {
	Customer     string   `json:"customer"`
	Numbers      []string `json:"numbers"`
	Closed       int      `json:"closed"`
	Open         int      `json:"open"`
	TasksDone    int      `json:"tasks_done"`
	TasksOpen    int      `json:"tasks_open"`
	TasksOverdue int      `json:"tasks_overdue"`
}

type preventionJSON struct {
	Number     string `json:"number"`
	Customer   string `json:"customer"`
	RootCause  string `json:"root_cause"`
	Prevention string `json:"prevention"`
	Approved   bool   `json:"approved"`
	Sent       bool   `json:"sent"`
}

func reportOut(r *backend.Report) *reportJSON {
	out := &reportJSON{Period: r.Period.String(), From: r.Period.Start, To: r.Period.End, Previous: r.Previous.String(), Total: r.Total,
		Categories: categoriesOut(r.Categories), Subcategories: categoriesOut(r.Subcategories), TopProblems: []problemJSON{},
		Handling: handlingJSON{Resolved: r.Resolved},
		P1:       p1JSON{Created: r.P1, Resolved: r.P1Solved, Rate: ratio(r.P1Solved, r.P1)}, SLA: []clockCountJSON{}, Factors: []factorJSON{},
		Complaints: []customerJSON{}, Prevention: []preventionJSON{},
		Satisfaction: map[string]ratingsJ{"current": ratingsOut(r.Ratings), "previous": ratingsOut(r.PrevRates)}}
	if r.TeamID != 0 {
		out.Team = &teamJSON{ID: r.TeamID, Name: r.TeamName}
	}
	out.Trend = make([]trendJSON, 0, len(r.Trend))
	for _, p := range r.Trend {
		out.Trend = append(out.Trend, trendJSON{Period: p.Period.String(), From: p.Period.Start, To: p.Period.End, ratingsJ: ratingsOut(p.Ratings)})
	}
	if r.Resolved > 0 {
		avg, med := int64(r.AvgHandling/time.Second), int64(r.MedianHandling/time.Second)
		out.Handling.AverageSeconds, out.Handling.MedianSeconds = &avg, &med
	}
	for _, p := range r.TopProblems {
		out.TopProblems = append(out.TopProblems, problemJSON{IncidentID: p.IncidentID, Title: p.Title, Path: p.Path, Count: p.Count.Count, Share: p.Share})
	}
	for _, c := range r.Clocks {
		out.SLA = append(out.SLA, clockCountJSON{Clock: c.Name, Runs: c.Runs, Met: c.Met, Breached: c.Breached, Open: c.Open(), Compliance: ratio(c.Met, c.Decided())})
	}
	for _, f := range r.Factors {
		out.Factors = append(out.Factors, factorJSON{Factor: f.Factor, Count: f.Count.Count, Share: f.Share})
	}
	for _, c := range r.Customers {
		out.Complaints = append(out.Complaints, customerJSON{Customer: c.Customer, Numbers: c.Numbers, Closed: c.Closed, Open: c.Open,
			TasksDone: c.TasksDone, TasksOpen: c.TasksOpen, TasksOverdue: c.TasksOverdue})
	}
	for _, p := range r.Prevention {
		out.Prevention = append(out.Prevention, preventionJSON(p))
	}
	return out
}

func categoriesOut(list []backend.CategoryCount) []categoryJSON {
	out := make([]categoryJSON, 0, len(list))
	for _, c := range list {
		path := c.Path
		if path == nil {
			path = []string{}
		}
		out = append(out, categoryJSON{Path: path, Count: c.Count.Count, Share: c.Share})
	}
	return out
}

func ratingsOut(r backend.Ratings) ratingsJ {
	return ratingsJ{Satisfied: r.Satisfied, Basically: r.Basically, Unsatisfied: r.Unsatisfied, Rate: ratio(r.Satisfied+r.Basically, r.Total())}
}

// ratio is num/den, or nil (JSON null) when den is 0.
func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	f := float64(num) / float64(den)
	return &f
}

// getReport: GET /api/v1/reports?period=2026-W48|2026-11&team=1&format=csv
// — the report of an ISO week or a month (default: this week) in the
// service's zone, overall or for one team; CSV with format=csv or
// Accept: text/csv.
func (s *Server) getReport(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	q := r.URL.Query()
	fe := map[string]string{}
	loc := s.svc.Location()
	period := backend.PeriodOf(backend.PeriodWeek, s.svc.Now(), loc)
	if v := q.Get("period"); v != "" {
		p, err := backend.ParsePeriod(v, loc)
		if err != nil {
			fe["period"] = "must be an ISO week like 2026-W48 or a month like 2026-11"
		}
		period = p
	}
	var team int64
	if v := q.Get("team"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			fe["team"] = "must be a team id"
		}
		team = n
	}
	csv := false
	switch q.Get("format") {
	case "":
		csv = strings.Contains(r.Header.Get("Accept"), "text/csv")
	case "csv":
		csv = true
	case "json":
	default:
		fe["format"] = "must be json or csv"
	}
	if len(fe) > 0 {
		return &backend.Error{Code: backend.EINVALID, Message: "invalid report request", Fields: fe}
	}
	rep, err := s.svc.Report(r.Context(), actor, backend.ReportQuery{Period: period, TeamID: team})
	if err != nil {
		return err
	}
	if !csv {
		writeJSON(w, http.StatusOK, reportOut(rep))
		return nil
	}
	name := "report-" + rep.Period.String()
	if rep.TeamID != 0 {
		name += fmt.Sprintf("-team-%d", rep.TeamID)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	w.WriteHeader(http.StatusOK)
	if err := rep.WriteCSV(w); err != nil {
		s.log.WarnContext(r.Context(), "report: writing the CSV failed", "err", err)
	}
	return nil
}
