package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/chart"
)

func TestReportPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	team := &backend.Team{Name: "tech"}
	if err := f.store.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	other := &backend.Team{Name: "product"}
	if err := f.store.CreateTeam(ctx, other); err != nil {
		t.Fatal(err)
	}
	mia, mpw := f.user("mia", backend.RoleManager)
	tess, tpw, err := f.auth.CreateUser(ctx, "tess", backend.RoleAssistant, team.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	_, dpw := f.user("dave", backend.RoleAssistant) // no team
	rep := f.reporter("r1")
	mine := f.ticket(rep, "会员中心订单详情打不开")
	if _, err := f.svc.Claim(ctx, tess, mine.Number); err != nil { // routes it to tess's team
		t.Fatal(err)
	}
	f.ticket(rep, "放心商家不在专区显示") // unrouted
	week := backend.PeriodOf(backend.PeriodWeek, f.now, f.svc.Location()).String()

	manager := f.client()
	manager.login("mia", mpw)
	t.Run("Page", func(t *testing.T) {
		code, body, _ := manager.do("GET", "/console/reports", nil, nil)
		if code != 200 {
			t.Fatalf("reports = %d:\n%s", code, body)
		}
		for _, want := range []string{`id="nav-reports"`, `<span id="total">2</span>`, `<td>CRM问题</td><td>2</td><td>100.0%</td>`,
			`<img id="report-chart" src="data:image/png;base64,`, `href="/console/reports/report.csv?period=` + week + `"`,
			`<option value="` + fmt.Sprint(team.ID) + `">tech</option>`, `class="swatch c0"`, "web.report.no_complaints",
			`<td>rating.unsatisfied</td>` + strings.Repeat(`<td>0</td>`, backend.TrendPeriods) + `</tr>`, `<th>` + week + `</th></tr></thead>`,
			`<tr id="satisfied-rate"><td>web.report.satisfied_rate</td>` + strings.Repeat(`<td>—</td>`, backend.TrendPeriods) + `</tr>`, `<dd id="avg">—</dd>`, `<dd id="p1">—</dd>`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		// The chart comes with the page, drawn from the same report.
		m := regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no chart in the page")
		}
		raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		if img, err := png.Decode(bytes.NewReader(raw)); err != nil || img.Bounds().Dx() < 100 {
			t.Fatalf("the page's chart: %v", err)
		}
		if strings.Contains(body, "13800138000") || strings.Contains(body, "138****8000") || strings.Contains(body, mine.Number) {
			t.Error("the report shows a contact or a ticket")
		}
	})
	t.Run("Chart", func(t *testing.T) {
		code, body, hdr := manager.do("GET", "/console/reports/chart.png?period="+week, nil, nil)
		if code != 200 || hdr.Get("Content-Type") != "image/png" {
			t.Fatalf("chart = %d %v", code, hdr)
		}
		img, err := png.Decode(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		// One sub-category, one bar, in the first colour, as high as the plot.
		plot, rects := chart.Layout([]chart.Bar{{Value: 2}}, img.Bounds().Dx(), img.Bounds().Dy())
		c := chart.Color(0)
		r, g, b, _ := img.At(rects[0].Min.X, plot.Min.Y).RGBA()
		if len(rects) != 1 || uint8(r>>8) != c.R || uint8(g>>8) != c.G || uint8(b>>8) != c.B {
			t.Errorf("the bar's top is not at the plot's top in colour %v", c)
		}
	})
	t.Run("CSV", func(t *testing.T) {
		code, body, hdr := manager.do("GET", fmt.Sprintf("/console/reports/report.csv?period=%s&team=%d", week, team.ID), nil, nil)
		if code != 200 || hdr.Get("Content-Type") != "text/csv; charset=utf-8" ||
			hdr.Get("Content-Disposition") != fmt.Sprintf(`attachment; filename="report-%s-team-%d.csv"`, week, team.ID) ||
			!strings.Contains(body, "\nteam,tech,,,\ntotal,created,1,,\n") {
			t.Fatalf("CSV = %d %v:\n%s", code, hdr, body)
		}
	})
	t.Run("Assistant", func(t *testing.T) {
		c := f.client()
		c.login("tess", tpw)
		code, body, _ := c.do("GET", "/console/reports", nil, nil)
		if code != 200 || !strings.Contains(body, `<span id="total">1</span>`) || !strings.Contains(body, "· tech</h1>") ||
			strings.Contains(body, `<option`) {
			t.Fatalf("tess's reports = %d:\n%s", code, body)
		}
		if code, _, _ := c.do("GET", fmt.Sprintf("/console/reports?team=%d", other.ID), nil, nil); code != 403 {
			t.Errorf("another team's report = %d, want 403", code)
		}
		d := f.client()
		d.login("dave", dpw)
		if code, _, _ := d.do("GET", "/console/reports", nil, nil); code != 403 {
			t.Errorf("an assistant without a team: reports = %d, want 403", code)
		}
		if _, body, _ := d.do("GET", "/console/followups", nil, nil); strings.Contains(body, `id="nav-reports"`) {
			t.Error("an assistant without a team sees the reports link")
		}
	})
	t.Run("Subscribe", func(t *testing.T) {
		path := fmt.Sprintf("/console/reports/subscribe?period=%s&team=%d", week, team.ID)
		code, _, hdr := manager.do("POST", path, url.Values{"csrf": {manager.csrf}, "week": {"on"}}, nil)
		if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "saved=1") {
			t.Fatalf("subscribe = %d %v", code, hdr)
		}
		code, body, _ := manager.do("GET", hdr.Get("Location"), nil, nil)
		if code != 200 || !strings.Contains(body, `name="week" checked`) || strings.Contains(body, `name="month" checked`) ||
			!strings.Contains(body, "web.report.subscribed") || !strings.Contains(body, "web.report.no_account") {
			t.Fatalf("page after subscribing = %d:\n%s", code, body)
		}
		// Every team's report is another subscription.
		if _, body, _ := manager.do("GET", "/console/reports?period="+week, nil, nil); strings.Contains(body, `name="week" checked`) {
			t.Error("subscribing to tech's report checks every team's")
		}
		subs, err := f.svc.ReportSubscriptions(ctx, mia)
		if err != nil || len(subs) != 1 || subs[0].Kind != backend.PeriodWeek || subs[0].TeamID != team.ID {
			t.Fatalf("subscriptions %v, %v", subs, err)
		}
		// The week's report is queued for mia, who has no chat account:
		// the page says it was not sent.
		if _, err := f.store.QueueReports(ctx, backend.PeriodWeek, "2026-W47", f.now); err != nil {
			t.Fatal(err)
		}
		ds, err := f.store.ClaimReports(ctx, f.now, time.Minute, 10)
		if err != nil || len(ds) != 1 {
			t.Fatalf("claim: %v, %v", ds, err)
		}
		if err := f.store.MarkReportFailed(ctx, ds[0].ID, f.now, "no chat account on a platform that sends reports"); err != nil {
			t.Fatal(err)
		}
		if _, body, _ := manager.do("GET", "/console/reports?period="+week, nil, nil); !strings.Contains(body, `<td>2026-W47</td><td>`+fmt.Sprint(team.ID)+`</td>`) ||
			!strings.Contains(body, `title="no chat account on a platform that sends reports">web.report.push_failed`) {
			t.Errorf("the page does not show the failed delivery:\n%s", body)
		}
		if code, _, _ := manager.do("POST", path, url.Values{"csrf": {manager.csrf}}, nil); code != http.StatusSeeOther {
			t.Fatalf("unsubscribe = %d", code)
		}
		if subs, _ := f.svc.ReportSubscriptions(ctx, mia); len(subs) != 0 {
			t.Fatalf("after unchecking both: %v", subs)
		}
		if code, _, _ := manager.do("POST", path, url.Values{"week": {"on"}}, nil); code != http.StatusForbidden {
			t.Errorf("without the CSRF token = %d, want 403", code)
		}
		c := f.client()
		c.login("tess", tpw)
		if code, _, _ := c.do("POST", fmt.Sprintf("/console/reports/subscribe?period=%s&team=%d", week, other.ID),
			url.Values{"csrf": {c.csrf}, "week": {"on"}}, nil); code != http.StatusForbidden {
			t.Errorf("an assistant subscribing to another team's report = %d, want 403", code)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		if code, _, _ := manager.do("GET", "/console/reports?period=2026-W99", nil, nil); code != http.StatusUnprocessableEntity {
			t.Errorf("a bad period = %d, want 422 (the console's EINVALID)", code)
		}
		if code, _, _ := f.client().do("GET", "/console/reports/chart.png", nil, nil); code != http.StatusSeeOther {
			t.Errorf("the chart without signing in = %d, want a redirect to the sign-in", code)
		}
	})
	t.Run("Swatches", func(t *testing.T) {
		// The table's swatches are the chart's colours.
		resp, err := http.Get(f.srv.URL + "/console/static/style.css")
		if err != nil {
			t.Fatal(err)
		}
		css, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for i := range chart.MaxBars {
			if want := fmt.Sprintf(".swatch.c%d { background: %s; }", i, chart.Hex(chart.Color(i))); !bytes.Contains(css, []byte(want)) {
				t.Errorf("style.css lacks %q", want)
			}
		}
	})
}
