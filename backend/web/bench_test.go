package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/backend/web"
)

// benchTickets is how many tickets the queue benchmark loads.
const benchTickets = 100_000

// BenchmarkConsoleQueue measures the server time of the console's queue
// page on Postgres with 100,000 tickets (inserted with generate_series in
// one statement): the first page of the "new" queue and a search by order
// number, and the "breach" queue (SLA clocks), for a manager (sees all)
// and an assistant (team filter). It
// reports p50 and p99 in ms; the goal is p99 ≤ 50 ms.
//
//	go test ./backend/web -run '^$' -bench ConsoleQueue -benchtime 200x
func BenchmarkConsoleQueue(b *testing.B) {
	ctx := context.Background()
	store, err := postgres.Open(ctx, pgtest.NewSchema(b))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	svc := backend.NewService(store, backend.ServiceConfig{})
	reporter := &backend.Person{Name: "reporter", Roles: []backend.Role{backend.RoleReporter}}
	team := &backend.Team{Name: "tech"}
	if err := store.CreateTeam(ctx, team); err != nil {
		b.Fatal(err)
	}
	if err := svc.CreatePerson(ctx, reporter); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	_, err = store.Pool().Exec(ctx, `
INSERT INTO tickets (number, form, summary, category_path, category_key, attachments, occurred_at, region, severity,
    order_number, account, phone, email, qq, extra, status, reporter_id, team_id, channel, version, created_at, updated_at)
SELECT 'FB-20260101-' || lpad(g::text, 6, '0'), 'feedback',
       'member center balance problem number ' || g || ' shows the wrong amount',
       '["crm","ordering"]', E'crm\x1fordering\x1f', 'null', now() - (($2 - g) || ' minutes')::interval, 'east',
       (ARRAY['P1','P2','P3','P4'])[1 + g % 4],
       'ORD' || lpad(g::text, 8, '0'), 'acct_' || g, '138' || lpad(g::text, 8, '0'), 'user' || g || '@example.com', '', 'null',
       (ARRAY['new','assigned','in_progress','resolved','waiting_reporter'])[1 + g % 5], $1,
       CASE WHEN g % 3 = 0 THEN $3::bigint END, 'web', 1,
       now() - (($2 - g) || ' minutes')::interval, now() - (($2 - g) || ' minutes')::interval
FROM generate_series(1, $2) AS g`, reporter.ID, benchTickets, team.ID)
	if err != nil {
		b.Fatal(err)
	}
	// A running SLA clock for every other open ticket; 1 in 100 of them
	// past its warning time (the "breach" queue). The console runs as in
	// cmd/deskbot, with the SLA engine on (Config.SLA): the open tickets
	// without clocks are not planned yet and not listed.
	_, err = store.Pool().Exec(ctx, `
INSERT INTO sla_clocks (ticket_id, name, run, policy_version, severity, unit, budget, state, started_at, running_since,
    used, warn_at, due_at, step, acked_by, generation, updated_at)
SELECT id, 'solve', 1, 'bench', severity, 'business', 7200000000000, 'running', created_at, created_at,
    0, now() + (((id % 100) - 1) || ' hours')::interval, now() + ((id % 100) || ' hours')::interval, 0, 0, 1, created_at
FROM tickets WHERE status <> 'resolved' AND id % 2 = 0`)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.Pool().Exec(ctx, `ANALYZE tickets; ANALYZE sla_clocks`); err != nil {
		b.Fatal(err)
	}
	b.Logf("inserted %d tickets in %s", benchTickets, time.Since(start).Round(time.Millisecond))

	hub := web.NewHub()
	defer hub.Close()
	auth, err := web.NewAuth(ctx, svc, store, web.AuthConfig{BcryptCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	console, err := web.New(web.Config{Service: svc, Auth: auth, Hub: hub, Text: keys{}, Files: dirFiles(b.TempDir()), SLA: true})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	console.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := &fixture{t: b, srv: srv}
	cookies := map[string]string{}
	for _, u := range []struct {
		name string
		role backend.Role
		team int64
	}{{"manager", backend.RoleManager, 0}, {"assistant", backend.RoleAssistant, team.ID}} {
		if _, _, err := auth.CreateUser(ctx, u.name, u.role, u.team, "benchmark-password"); err != nil {
			b.Fatal(err)
		}
		c := f.client()
		if code := c.login(u.name, "benchmark-password"); code != http.StatusSeeOther {
			b.Fatalf("login %s = %d", u.name, code)
		}
		for _, ck := range c.http.Jar.Cookies(mustURL(srv.URL)) {
			if ck.Name == "deskbot_console" {
				cookies[u.name] = ck.Value
			}
		}
	}

	for _, tc := range []struct{ name, who, query, want string }{
		{"first-page/manager", "manager", "queue=new", "FB-20260101-"},
		{"first-page/assistant", "assistant", "queue=new", "FB-20260101-"},
		{"search-order/manager", "manager", "queue=all&q=ORD00054321", "FB-20260101-054321"},
		{"search-order/assistant", "assistant", "queue=all&q=ORD00054320", "FB-20260101-054320"},
		{"search-number/manager", "manager", "queue=all&q=FB-20260101-012345", "FB-20260101-012345"},
		{"breach/manager", "manager", "queue=breach", "FB-20260101-"},
		{"breach/assistant", "assistant", "queue=breach", "FB-20260101-"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				req := httptest.NewRequest("GET", "/console/?"+tc.query, nil)
				req.AddCookie(&http.Cookie{Name: "deskbot_console", Value: cookies[tc.who]})
				rec := httptest.NewRecorder()
				t0 := time.Now()
				mux.ServeHTTP(rec, req)
				times = append(times, time.Since(t0))
				if rec.Code != 200 || !strings.Contains(rec.Body.String(), tc.want) {
					b.Fatalf("%s = %d, want %s", tc.query, rec.Code, tc.want)
				}
			}
			slices.Sort(times)
			pct := func(p float64) float64 {
				return float64(times[min(len(times)-1, int(float64(len(times))*p))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}
