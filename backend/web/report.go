package web

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// The report pages (DESIGN §7): a week's or a month's figures as tables,
// the volume by category as a chart (/console/reports/chart.png) and the
// same report as CSV (/console/reports/report.csv). Managers and admins
// pick any team or all; assistants see their own team's (the service
// decides). Reports hold no personal data.

type periodLink struct {
	Key    string // catalog key of its name: web.report.this_week, …
	Period string // 2026-W48
	On     bool
}

type reportData struct {
	*req
	R       *req
	Title   string
	Rep     *backend.Report
	Period  string
	Periods []periodLink
	Teams   []*backend.Team // the team picker; nil for an assistant
	Team    int64
	Avg     string // hours, "35.3"
	Median  string
	// Subscribed to this team's (or every team's) weekly and monthly report.
	Week, Month bool
	NoAccount   bool // no chat account or e-mail to push reports to
	Saved       bool
	Deliveries  []*backend.ReportDelivery // the latest pushed to me
	// Chart is the volume chart as a data: URL (drawn from the report
	// the page shows, not computed again for an image request); empty
	// when there is nothing to draw.
	Chart template.URL
}

// reportQuery reads ?period= (default this week) and ?team= (default all).
func (c *Console) reportQuery(r *http.Request) (backend.ReportQuery, error) {
	loc := c.svc.Location()
	q := backend.ReportQuery{Period: backend.PeriodOf(backend.PeriodWeek, c.cfg.Now(), loc)}
	if v := r.URL.Query().Get("period"); v != "" {
		p, err := backend.ParsePeriod(v, loc)
		if err != nil {
			return q, err
		}
		q.Period = p
	}
	if v := r.URL.Query().Get("team"); v != "" && v != "0" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return q, backend.Invalid("bad team", "team", "must be a team id", backend.Problem{Key: "unknown", Args: map[string]any{"Value": v}})
		}
		q.TeamID = n
	}
	return q, nil
}

// loadReport computes the report the request asks for.
func (c *Console) loadReport(r *http.Request, rq *req) (*backend.Report, error) {
	q, err := c.reportQuery(r)
	if err != nil {
		return nil, err
	}
	return c.svc.Report(r.Context(), rq.Me, q)
}

func (c *Console) reports(w http.ResponseWriter, r *http.Request, rq *req) {
	rep, err := c.loadReport(r, rq)
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	hours := func(d time.Duration) string { return strconv.FormatFloat(d.Hours(), 'f', 1, 64) }
	d := &reportData{req: rq, R: rq, Title: c.tr.T(rq.Loc, "web.report.title", nil), Rep: rep,
		Period: rep.Period.String(), Team: rep.TeamID, Avg: hours(rep.AvgHandling), Median: hours(rep.MedianHandling)}
	now, loc := c.cfg.Now(), c.svc.Location()
	week, month := backend.PeriodOf(backend.PeriodWeek, now, loc), backend.PeriodOf(backend.PeriodMonth, now, loc)
	for _, p := range []struct {
		key string
		p   backend.Period
	}{{"this_week", week}, {"last_week", week.Prev()}, {"this_month", month}, {"last_month", month.Prev()}} {
		d.Periods = append(d.Periods, periodLink{Key: "web.report." + p.key, Period: p.p.String(), On: p.p.String() == d.Period})
	}
	if rq.Me.SeesAll() {
		if d.Teams, err = c.svc.Store().Teams(r.Context()); err != nil {
			c.fail(w, r, rq, err)
			return
		}
	}
	subs, err := c.svc.ReportSubscriptions(r.Context(), rq.Me)
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	for _, s := range subs {
		if s.TeamID == rep.TeamID {
			d.Week = d.Week || s.Kind == backend.PeriodWeek
			d.Month = d.Month || s.Kind == backend.PeriodMonth
		}
	}
	if len(rep.Subcategories) > 0 {
		var png bytes.Buffer
		if err := rep.Chart(&png); err != nil {
			c.log.Warn("web: report chart", "err", err)
		} else {
			d.Chart = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png.Bytes()))
		}
	}
	d.NoAccount = !slices.ContainsFunc(rq.Me.Accounts, func(a backend.ChatAccount) bool { return a.Platform != "web" })
	d.Saved = r.URL.Query().Get("saved") == "1"
	if d.Deliveries, err = c.svc.ReportDeliveries(r.Context(), rq.Me, 5); err != nil {
		c.fail(w, r, rq, err)
		return
	}
	c.pages.Render(w, http.StatusOK, "reports", "page", d)
}

// reportSubscribe: POST /console/reports/subscribe?period=…&team=… with
// week and month checkboxes sets the signed-in person's subscriptions to
// that team's (or every team's) reports, then shows the page again.
func (c *Console) reportSubscribe(w http.ResponseWriter, r *http.Request, rq *req) {
	q, err := c.reportQuery(r)
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	var teamID int64
	for _, kind := range []string{backend.PeriodWeek, backend.PeriodMonth} {
		sub, err := c.svc.SubscribeReport(r.Context(), rq.Me, kind, q.TeamID, r.PostFormValue(kind) == "on")
		if err != nil {
			c.fail(w, r, rq, err)
			return
		}
		teamID = sub.TeamID
	}
	v := url.Values{"period": {q.Period.String()}, "saved": {"1"}}
	if teamID != 0 {
		v.Set("team", strconv.FormatInt(teamID, 10))
	}
	http.Redirect(w, r, "/console/reports?"+v.Encode()+"#subscribe", http.StatusSeeOther)
}

// reportChart draws the volume by sub-category as a bar chart, the bars
// keyed 1, 2, 3 … as the page's table numbers its rows.
func (c *Console) reportChart(w http.ResponseWriter, r *http.Request, rq *req) {
	rep, err := c.loadReport(r, rq)
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	if err := rep.Chart(w); err != nil {
		c.log.Warn("web: report chart", "err", err)
	}
}

// reportCSV sends the report as CSV (backend.Report.WriteCSV).
func (c *Console) reportCSV(w http.ResponseWriter, r *http.Request, rq *req) {
	rep, err := c.loadReport(r, rq)
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	name := "report-" + rep.Period.String()
	if rep.TeamID != 0 {
		name += fmt.Sprintf("-team-%d", rep.TeamID)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := rep.WriteCSV(w); err != nil {
		c.log.Warn("web: report CSV", "err", err)
	}
}

// Reports says whether the signed-in person may read reports: managers
// and admins, and assistants of a team (their team's).
func (r *req) Reports() bool {
	return r.Me.SeesAll() || (r.Me.HasRole(backend.RoleAssistant) && r.Me.TeamID != 0)
}
