package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/web"
)

// saveClock stores a clock of tk as the SLA engine would.
func (f *fixture) saveClock(tk *backend.Ticket, c *backend.Clock) {
	f.t.Helper()
	ctx := context.Background()
	cur, err := f.store.Ticket(ctx, tk.Number)
	if err != nil {
		f.t.Fatal(err)
	}
	c.TicketID = tk.ID
	if err := f.store.SaveClocks(ctx, tk.ID, cur.Version, []*backend.Clock{c}, nil); err != nil {
		f.t.Fatal(err)
	}
}

// The ticket page lists the ticket's clocks with who acknowledged them;
// without clocks (SLA off) there is no section.
func TestTicketClocks(t *testing.T) {
	f := newFixture(t)
	me, pw := f.user("gus", backend.RoleAssistant)
	r := f.reporter("r9")
	tk := f.ticket(r, "clocks shown on the ticket page")
	bare := f.ticket(r, "a ticket without any clocks")
	start := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
	f.saveClock(tk, &backend.Clock{Name: "confirm", Run: 1, PolicyVersion: "v1", Severity: backend.P3, Unit: "business",
		Budget: 2 * time.Hour, State: backend.ClockRunning, StartedAt: start, RunningSince: start,
		WarnAt: start.Add(96 * time.Minute), DueAt: start.Add(2 * time.Hour), WarnedAt: start.Add(96 * time.Minute),
		BreachedAt: start.Add(2 * time.Hour), Step: 3, AckedAt: start.Add(150 * time.Minute), AckedBy: me.ID, Generation: 1, UpdatedAt: start})
	c := f.client()
	c.login("gus", pw)
	code, page, _ := c.do("GET", "/console/t/"+tk.Number, nil, nil)
	if code != 200 {
		t.Fatalf("ticket page = %d", code)
	}
	zone := f.svc.Location()
	for _, want := range []string{`id="clocks"`, "web.clocks", "sla.clock.confirm", "web.clock.state.running",
		start.In(zone).Format("2006-01-02 15:04"), start.Add(2 * time.Hour).In(zone).Format("2006-01-02 15:04"),
		"<td>3</td>", "web.clock.acked_by", "Who:gus", start.Add(150 * time.Minute).In(zone).Format("2006-01-02 15:04")} {
		if !strings.Contains(page, want) {
			t.Errorf("ticket page lacks %q", want)
		}
	}
	if _, page, _ = c.do("GET", "/console/t/"+bare.Number, nil, nil); strings.Contains(page, `id="clocks"`) {
		t.Error("a ticket without clocks shows a clocks section")
	}
}

// serveWithSLA serves the console as cmd/deskbot does, with the SLA engine
// on (web.Config.SLA), in place of the fixture's server.
func (f *fixture) serveWithSLA() {
	f.t.Helper()
	withSLA, err := web.New(web.Config{Service: f.svc, Auth: f.auth, Hub: f.hub, Text: keys{}, Files: dirFiles(f.t.TempDir()),
		Now: func() time.Time { return f.now }, SLA: true})
	if err != nil {
		f.t.Fatal(err)
	}
	mux := http.NewServeMux()
	withSLA.Register(mux)
	f.srv = httptest.NewServer(mux)
	f.t.Cleanup(f.srv.Close)
}

// The "breach" queue reads the SLA clocks: a running clock past its
// warning time or breached lists its ticket whatever its severity; a
// ticket whose clocks are calm or stopped is not listed even when the
// fixed rule would list it; the fixed rule (unclaimed P1 after 1 h) still
// holds for tickets without clocks.
func TestBreachQueueReadsClocks(t *testing.T) {
	f := newFixture(t)
	me, pw := f.user("hal", backend.RoleAssistant)
	r := f.reporter("r10")
	ctx := context.Background()
	p1 := func(summary string) *backend.Ticket {
		tk := f.ticket(r, summary)
		if _, err := f.svc.ChangeSeverity(ctx, me, tk.Number, backend.P1); err != nil {
			t.Fatal(err)
		}
		return tk
	}
	start := f.now
	clock := func(warn, breached time.Time, state backend.ClockState) *backend.Clock {
		return &backend.Clock{Name: "solve", Run: 1, PolicyVersion: "v1", Severity: backend.P3, Unit: "business",
			Budget: 10 * time.Hour, State: state, StartedAt: start, RunningSince: start, WarnAt: warn,
			DueAt: warn.Add(2 * time.Hour), BreachedAt: breached, Generation: 1, UpdatedAt: start}
	}
	warned := f.ticket(r, "P3 ticket whose clock warned already")
	f.saveClock(warned, clock(start.Add(time.Hour), time.Time{}, backend.ClockRunning))
	calm := p1("P1 ticket with a calm clock, unclaimed")
	f.saveClock(calm, clock(start.Add(5*time.Hour), time.Time{}, backend.ClockRunning))
	breached := f.ticket(r, "claimed ticket whose clock breached")
	if _, err := f.svc.Claim(ctx, me, breached.Number); err != nil {
		t.Fatal(err)
	}
	f.saveClock(breached, clock(start.Add(10*time.Hour), start, backend.ClockRunning))
	stopped := p1("P1 ticket whose breached clock stopped")
	f.saveClock(stopped, clock(start, start, backend.ClockStopped))
	noSLA := p1("P1 ticket without clocks, unclaimed")
	fresh := f.ticket(r, "P3 ticket without clocks")

	f.now = start.Add(90 * time.Minute)
	c := f.client()
	c.login("hal", pw)
	_, page, _ := c.do("GET", "/console/?queue=breach", nil, map[string]string{"HX-Request": "true", "HX-Target": "rows"})
	for _, tk := range []*backend.Ticket{warned, breached, noSLA} {
		if !strings.Contains(page, tk.Number) {
			t.Errorf("breach queue lacks %s %q", tk.Number, tk.Summary)
		}
	}
	for _, tk := range []*backend.Ticket{calm, stopped, fresh} {
		if strings.Contains(page, tk.Number) {
			t.Errorf("breach queue lists %s %q", tk.Number, tk.Summary)
		}
	}
	_, page, _ = c.do("GET", "/console/?queue=breach&severity=P1", nil, map[string]string{"HX-Request": "true", "HX-Target": "rows"})
	if !strings.Contains(page, noSLA.Number) || strings.Contains(page, warned.Number) {
		t.Errorf("breach queue filtered to P1: has the P1 %v, has the P3 %v", strings.Contains(page, noSLA.Number), strings.Contains(page, warned.Number))
	}

	// With the SLA engine on (Config.SLA), only the clocks count: a ticket
	// without clocks is one the engine has not planned yet, not a breach.
	f.serveWithSLA()
	c = f.client()
	c.login("hal", pw)
	_, page, _ = c.do("GET", "/console/?queue=breach", nil, map[string]string{"HX-Request": "true", "HX-Target": "rows"})
	if !strings.Contains(page, warned.Number) || !strings.Contains(page, breached.Number) || strings.Contains(page, noSLA.Number) {
		t.Errorf("breach queue with the SLA engine on: warned %v, breached %v, the ticket without clocks %v (want true, true, false)",
			strings.Contains(page, warned.Number), strings.Contains(page, breached.Number), strings.Contains(page, noSLA.Number))
	}
}

// The ticket page records a milestone and shows it in the thread.
func TestTicketMilestone(t *testing.T) {
	f := newFixture(t)
	_, pw := f.user("ivy", backend.RoleAssistant)
	tk := f.ticket(f.reporter("r11"), "needs resources from the manager")
	c := f.client()
	c.login("ivy", pw)
	code, page, _ := c.do("GET", "/console/t/"+tk.Number, nil, nil)
	if code != 200 || !strings.Contains(page, `value="resource_requested"`) {
		t.Fatalf("ticket page %d has no milestone choice", code)
	}
	code, page, _ = c.do("POST", "/console/t/"+tk.Number+"/milestone", url.Values{"csrf": {c.csrf}, "milestone": {"resource_requested"}},
		map[string]string{"HX-Request": "true"})
	if code != 200 || !strings.Contains(page, "web.ev.milestone") || !strings.Contains(page, "Milestone:sla.milestone.resource_requested") {
		t.Fatalf("milestone = %d\n%s", code, page)
	}
	if code, _, _ = c.do("POST", "/console/t/"+tk.Number+"/milestone", url.Values{"csrf": {c.csrf}, "milestone": {"nap"}},
		map[string]string{"HX-Request": "true"}); code != 422 {
		t.Fatalf("unknown milestone = %d, want 422", code)
	}
}

// With the SLA engine on, the "breach" queue pages like the others: more
// alarmed tickets than fit on a page give a "more" link, and following it
// lists the rest, each alarmed ticket once and no calm one.
func TestBreachQueuePages(t *testing.T) {
	f := newFixture(t)
	_, pw := f.user("pam", backend.RoleManager)
	r := f.reporter("r12")
	start := f.now
	alarmed := map[string]bool{}
	var calm []string
	for i := range 57 {
		tk := f.ticket(r, fmt.Sprintf("ticket number %d in the queue", i))
		warn := start.Add(time.Minute) // warned by the time the queue is read
		if i%10 == 9 {
			warn = start.Add(5 * time.Hour)
			calm = append(calm, tk.Number)
		} else {
			alarmed[tk.Number] = true
		}
		f.saveClock(tk, &backend.Clock{Name: "solve", Run: 1, PolicyVersion: "v1", Severity: backend.P3, Unit: "business",
			Budget: 10 * time.Hour, State: backend.ClockRunning, StartedAt: start, RunningSince: start, WarnAt: warn,
			DueAt: warn.Add(2 * time.Hour), Generation: 1, UpdatedAt: start})
	}
	if len(alarmed) <= 50 {
		t.Fatalf("%d alarmed tickets fit on one page; the test needs more", len(alarmed))
	}
	f.serveWithSLA()
	f.now = start.Add(time.Hour)
	c := f.client()
	c.login("pam", pw)

	numberRE := regexp.MustCompile(`<span class="num">([A-Z]+-\d{8}-\d{4})</span>`)
	moreRE := regexp.MustCompile(`<a class="more" href="([^"]+)"`)
	seen := map[string]int{}
	path, pages := "/console/?queue=breach", 0
	for path != "" {
		if pages++; pages > 3 {
			t.Fatal("the breach queue does not end")
		}
		code, page, _ := c.do("GET", path, nil, map[string]string{"HX-Request": "true", "HX-Target": "rows"})
		if code != 200 {
			t.Fatalf("GET %s = %d", path, code)
		}
		for _, m := range numberRE.FindAllStringSubmatch(page, -1) {
			seen[m[1]]++
		}
		path = ""
		if m := moreRE.FindStringSubmatch(page); m != nil {
			path = html.UnescapeString(m[1])
			if !strings.Contains(path, "queue=breach") {
				t.Fatalf("the more link leaves the breach queue: %s", path)
			}
		}
	}
	if pages != 2 {
		t.Errorf("%d alarmed tickets in %d pages, want 2", len(alarmed), pages)
	}
	for n := range alarmed {
		if seen[n] != 1 {
			t.Errorf("%s listed %d times, want once", n, seen[n])
		}
	}
	for _, n := range calm {
		if seen[n] != 0 {
			t.Errorf("calm %s listed", n)
		}
	}
}

// The ticket page explains a delay to the reporter (seed 002) once
// someone holds the ticket: the thread shows it with the expected time;
// a time that is not one is refused and the form keeps what was typed.
func TestTicketDelay(t *testing.T) {
	f := newFixture(t)
	me, pw := f.user("ivy", backend.RoleAssistant)
	tk := f.ticket(f.reporter("r12"), "waits for a supplier")
	c := f.client()
	c.login("ivy", pw)
	if _, page, _ := c.do("GET", "/console/t/"+tk.Number, nil, nil); strings.Contains(page, `id="delay-form"`) {
		t.Fatal("an unclaimed ticket offers the delay form")
	}
	if _, err := f.svc.Claim(context.Background(), me, tk.Number); err != nil {
		t.Fatal(err)
	}
	if _, page, _ := c.do("GET", "/console/t/"+tk.Number, nil, nil); !strings.Contains(page, `id="delay-form"`) {
		t.Fatal("a claimed ticket has no delay form")
	}
	code, page, _ := c.do("POST", "/console/t/"+tk.Number+"/delay", url.Values{"csrf": {c.csrf}, "text": {"等供应商排查"}, "expected_by": {"next week"}},
		map[string]string{"HX-Request": "true"})
	if code != 422 || !strings.Contains(page, `value="等供应商排查"`) || !strings.Contains(page, `value="next week"`) || !strings.Contains(page, "err.problem.datetime") {
		t.Fatalf("a bad time = %d, want 422 with the form as typed\n%s", code, page)
	}
	code, page, _ = c.do("POST", "/console/t/"+tk.Number+"/delay", url.Values{"csrf": {c.csrf}, "text": {"等供应商排查"}, "expected_by": {"2099-01-07T18:00"}},
		map[string]string{"HX-Request": "true"})
	if code != 200 || !strings.Contains(page, "web.ev.delay_by") || !strings.Contains(page, "By:2099-01-07 18:00") || !strings.Contains(page, "等供应商排查") {
		t.Fatalf("delay = %d\n%s", code, page)
	}
}

// The ticket page takes a suggestion its viewer holds into the backlog
// (seed 002: 纳入需求池): the thread shows the plan with the expected
// time; a feedback ticket has no such form, and a bad time is refused
// with the form as typed.
func TestTicketPlan(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	me, pw := f.user("ivy", backend.RoleAssistant)
	fb := f.ticket(f.reporter("r13"), "waits for a supplier")
	sg, err := f.svc.CreateTicket(ctx, f.reporter("r14"), backend.NewTicket{Prefix: "SG", Form: backend.FormSuggestion, Summary: "希望增加批量导出功能", Channel: "web"})
	if err != nil {
		t.Fatal(err)
	}
	c := f.client()
	c.login("ivy", pw)
	for _, n := range []string{fb.Number, sg.Number} {
		if _, err := f.svc.Claim(ctx, me, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, page, _ := c.do("GET", "/console/t/"+fb.Number, nil, nil); strings.Contains(page, `id="plan-form"`) {
		t.Fatal("a feedback ticket offers the backlog form")
	}
	if _, page, _ := c.do("GET", "/console/t/"+sg.Number, nil, nil); !strings.Contains(page, `id="plan-form"`) {
		t.Fatal("a claimed suggestion has no backlog form")
	}
	code, page, _ := c.do("POST", "/console/t/"+sg.Number+"/plan", url.Values{"csrf": {c.csrf}, "text": {"纳入 Q4 需求池"}, "expected_by": {"Q4"}},
		map[string]string{"HX-Request": "true"})
	if code != 422 || !strings.Contains(page, `value="纳入 Q4 需求池"`) || !strings.Contains(page, `value="Q4"`) || !strings.Contains(page, "err.problem.datetime") {
		t.Fatalf("a bad time = %d, want 422 with the form as typed\n%s", code, page)
	}
	code, page, _ = c.do("POST", "/console/t/"+sg.Number+"/plan", url.Values{"csrf": {c.csrf}, "text": {"纳入 Q4 需求池"}, "expected_by": {"2099-01-07T18:00"}},
		map[string]string{"HX-Request": "true"})
	if code != 200 || !strings.Contains(page, "web.ev.planned_by") || !strings.Contains(page, "By:2099-01-07 18:00") || !strings.Contains(page, "纳入 Q4 需求池") {
		t.Fatalf("plan = %d\n%s", code, page)
	}
}
