package sla

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/sqlite"
)

func defaultPolicyT(tb testing.TB) *Policy {
	tb.Helper()
	p, err := ParsePolicy(DefaultPolicyYAML(), "policy_default.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// The embedded default is DESIGN §4's table.
func TestDefaultPolicy(t *testing.T) {
	p := defaultPolicyT(t)
	day := p.WorkEnd - p.WorkStart
	for _, tc := range []struct {
		clock string
		sev   backend.Severity
		want  time.Duration
		unit  Unit
		none  bool
	}{
		{"confirm", backend.P1, time.Hour, Business, false},
		{"confirm", backend.P4, 2 * time.Hour, Business, false},
		{"first_handling", backend.P1, 30 * time.Minute, WallClock, false},
		{"first_handling", backend.P3, 36 * time.Hour, Business, false},
		{"first_handling", backend.P4, 0, "", true},
		{"supervisor", backend.P2, 6 * time.Hour, Business, false},
		{"solve", backend.P1, 24 * time.Hour, WallClock, false},
		{"solve", backend.P2, 3 * day, Business, false},
		{"solve", backend.P3, 7 * day, Business, false},
		{"report", backend.P2, 16 * time.Hour, WallClock, false},
		{"review", backend.P3, 16 * time.Hour, Business, false},
	} {
		c, ok := p.Clock(tc.clock)
		if !ok {
			t.Fatalf("no clock %s", tc.clock)
		}
		b, ok := c.Budget[tc.sev]
		if ok == tc.none || b.D != tc.want || b.Unit != tc.unit {
			t.Errorf("%s %s = %+v (present %v), want %s %s", tc.clock, tc.sev, b, ok, tc.want, tc.unit)
		}
	}
	// Seed 001: the complaint form's promise, in calendar days.
	solve, _ := p.Clock("solve")
	for _, tc := range []struct {
		form string
		sev  backend.Severity
		want time.Duration
		unit Unit
	}{
		{backend.FormComplaint, backend.P2, 48 * time.Hour, WallClock},
		{backend.FormComplaint, backend.P3, 120 * time.Hour, WallClock},
		{backend.FormComplaint, backend.P1, 24 * time.Hour, WallClock}, // the clock's own
		{backend.FormFeedback, backend.P2, 3 * day, Business},
	} {
		if b, ok := solve.BudgetFor(tc.form, tc.sev); !ok || b.D != tc.want || b.Unit != tc.unit {
			t.Errorf("solve %s %s = %+v (present %v), want %s %s", tc.form, tc.sev, b, ok, tc.want, tc.unit)
		}
	}
	// Seed 004 E and L are the direct manager's duties.
	for _, tc := range []struct {
		clock, owner string
		step         int
	}{{"supervisor", "manager", 3}, {"review", "manager", 3}, {"confirm", "", 0}, {"solve", "", 0}} {
		if c, _ := p.Clock(tc.clock); c.Owner != tc.owner || c.OwnerStep(p) != tc.step {
			t.Errorf("%s: owner %q step %d, want %q step %d", tc.clock, c.Owner, c.OwnerStep(p), tc.owner, tc.step)
		}
	}
	if p.WarnAt != 0.8 || p.Interval != time.Hour || p.BatchDay != time.Monday || p.BatchAt != 9*time.Hour {
		t.Errorf("warn %v interval %v batch %v %v", p.WarnAt, p.Interval, p.BatchDay, p.BatchAt)
	}
	if got := strings.Join(p.Notify[backend.P1], ","); got != "manager,director_group,account_manager" {
		t.Errorf("notify P1 = %s", got)
	}
	if len(p.Notify[backend.P4]) != 0 {
		t.Errorf("P4 notifies %v, want nobody", p.Notify[backend.P4])
	}
	if _, err := p.NewCalendarFor(DefaultHolidays(), CalendarConfig{}); err != nil {
		t.Fatal(err)
	}
}

func TestParsePolicyErrors(t *testing.T) {
	base := string(DefaultPolicyYAML())
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"bad duration", "    P2: 12h\n", "    P2: twelve hours\n", "policy.yaml:64: clock first_handling P2: \"twelve hours\" is not like"},
		{"bad status", "while: [new, assigned, returned, reopened]\n    stop_on", "while: [new, lost]\n    stop_on", "policy.yaml:51: clock confirm: unknown status \"lost\""},
		{"per_assignee", "per_assignee: true", "per_assignee: always", "policy.yaml:56: clock confirm: per_assignee must be true or false"},
		{"per_assignee start_on", "per_assignee: true", "per_assignee: true\n    start_on: [report_submitted]", "policy.yaml:47: clock confirm: per_assignee clocks run by while and stop_on, not start_on"},
		{"restart_on status", "restart_on: [reopened]", "restart_on: [again]", "clock solve: unknown status \"again\""},
		{"restart_on without stop_on", "    stop_on: [planned]\n", "", "clock solve: restart_on is for clocks run by while and stopped by stop_on"},
		{"unknown key", "warn_at: 0.8", "warn_at: 0.8\nwarn_too: 1", "policy.yaml:16: unknown key \"warn_too\""},
		{"warn_at range", "warn_at: 0.8", "warn_at: 1.5", "policy.yaml:15: warn_at must be between 0 and 1"},
		{"chain step", "chain: [assignee, team_lead, manager, director_group]", "chain: [assignee, ceo]", "policy.yaml:22: unknown escalation step \"ceo\""},
		{"interval", "interval: 1h", "interval: 500ms", "policy.yaml:23: interval \"500ms\""},
		{"zone", "zone: Asia/Shanghai", "zone: Mars/Base", "policy.yaml:11: unknown time zone"},
		{"work hours", "work_hours: \"09:00-18:00\"", "work_hours: \"18:00-09:00\"", "policy.yaml:12: work_hours"},
		{"workdays", "P2: 3 workdays", "P2: 1.5 workdays", "clock solve P2: \"1.5 workdays\""},
		{"milestone", "start_on: [resource_requested]", "start_on: [coffee_break]", "clock supervisor: start_on unknown milestone \"coffee_break\""},
		{"owner", "owner: manager # the direct manager's duty", "owner: ceo", "policy.yaml:106: clock review: owner \"ceo\" is not a step of escalation.chain (assignee, team_lead, manager, director_group)"},
		{"owner off the chain", "chain: [assignee, team_lead, manager, director_group]", "chain: [assignee, team_lead, director_group]", "policy.yaml:75: clock supervisor: owner \"manager\" is not a step"},
		{"owner list", "owner: manager # the direct manager's duty", "owner: [manager]", "policy.yaml:106: clock review: owner must be one step of escalation.chain"},
		{"version", "version: default-2026-11h", "version: \"\"", "version is required"},
		{"weekday", "weekday: monday", "weekday: someday", "batch: weekday \"someday\""},
		{"routing", "  assign: none\n", "  assign: fastest\n", "routing: assign \"fastest\""},
		{"rule", "{category: [投诉类], team: 客服部}", "{category: [投诉类], teams: [a, b], lead: c}", "routing rule 7: give team"},
		{"rule match", "{form: complaint, team: 客服部}", "{team: 客服部}", "routing rule 3: give a form, a category or both"},
		{"form budget", "complaint: {P2: 48h calendar,", "complaint: {P2: two days,", "clock solve forms: form complaint P2: \"two days\""},
		{"form severity", "complaint: {P2: 48h calendar,", "complaint: {P7: 48h calendar,", "clock solve forms: form complaint: unknown severity \"P7\""},
		{"form shape", "complaint: {P2: 48h calendar, P3: 120h calendar}", "complaint: 48h calendar", "clock solve forms: form \"complaint\" must map"},
		{"group role", "quality_manager: {team: 质量部, role: manager}", "quality_manager: {team: 质量部, role: boss}", "policy.yaml:30: group quality_manager: unknown role \"boss\""},
		{"group team", "{team: 采购部, role: manager}", "{role: manager}", "policy.yaml:31: group purchasing_manager needs a team name"},
		{"group key", "{team: 总经办, role: manager}", "{team: 总经办, rank: 1}", "a group has a team and may have a role and customer_owner, not \"rank\""},
		{"notify key", "  P4: []\n", "  P5: []\n", "notify: unknown key \"P5\" (P1, P2, P3, P4 or forms)"},
		{"notify target", "complaint: [manager, quality_manager,", "complaint: [manager, ceo,", "notify forms complaint: unknown target \"ceo\""},
		{"notify forms shape", "complaint: [manager, quality_manager, purchasing_manager, general_manager]", "complaint: manager", "notify forms complaint: must be a list of targets"},
		{"yaml syntax", "warn_at: 0.8", "warn_at: [0.8", "policy.yaml:"},
		{"type", "warn_at: 0.8", "warn_at: lots", "policy.yaml:15: cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, tc.old, tc.new, 1)
			if src == base {
				t.Fatalf("%q not in the default policy", tc.old)
			}
			_, err := ParsePolicy([]byte(src), "policy.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// routerStore is a migrated SQLite store for t.
func routerStore(t *testing.T) *sqlite.Store {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return store
}

func TestRouter(t *testing.T) {
	ctx := context.Background()
	store := routerStore(t)
	teams := map[string]*backend.Team{}
	for _, n := range []string{"技术部", "产品部", "客服部"} {
		tm := &backend.Team{Name: n}
		if err := store.CreateTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
		teams[n] = tm
	}
	p := defaultPolicyT(t)
	p.Routing.Rules = append(p.Routing.Rules,
		RouteRule{Category: []string{"功能问题", "跨部门"}, Teams: []string{"技术部", "产品部"}, Lead: "产品部"},
		RouteRule{Category: []string{"其它"}, Team: "不存在"})
	r := NewRouter(p.Routing, store, nil)
	if err := r.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		form string
		path []string
		want int64
	}{
		// The shipped forms: the form decides.
		{"feedback", []string{"CRM问题", "提单系统"}, teams["技术部"].ID},
		{"feedback", []string{"产品线问题", "房产放心房"}, teams["技术部"].ID},
		{"suggestion", []string{"体验优化"}, teams["产品部"].ID},
		{"suggestion", nil, teams["产品部"].ID},
		{"complaint", nil, teams["客服部"].ID},
		// Seed 002's categories (the API): a category rule beats a form rule.
		{"feedback", []string{"投诉类"}, teams["客服部"].ID},
		{"", []string{"功能问题", "会员中心"}, teams["技术部"].ID},
		{"", []string{"体验优化"}, teams["产品部"].ID},
		{"", []string{"建议类", "x"}, teams["产品部"].ID},
		{"feedback", []string{"功能问题", "跨部门", "订单"}, teams["产品部"].ID}, // cross-department: the lead
		{"", []string{"CRM问题"}, 0},
		{"other", []string{"CRM问题"}, 0},
		{"", []string{"其它"}, 0},         // team missing
		{"feedback", []string{"其它"}, 0}, // the more specific rule's team is missing: not routed elsewhere
		{"", nil, 0},
	} {
		if got := r.Route(tc.form, tc.path); got != tc.want {
			t.Errorf("Route(%q, %v) = %d, want %d", tc.form, tc.path, got, tc.want)
		}
	}

	// A team created while deskbot runs gets its tickets once Run has
	// reloaded the teams.
	if got := r.Route("", []string{"其它"}); got != 0 {
		t.Fatalf("routed to a missing team: %d", got)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { defer close(ran); r.Run(runCtx, 10*time.Millisecond) }()
	other := &backend.Team{Name: "不存在"}
	if err := store.CreateTeam(ctx, other); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); r.Route("", []string{"其它"}) != other.ID; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after the team was created: Route = %d, want %d", r.Route("", []string{"其它"}), other.ID)
		}
	}
	stop()
	<-ran

	tech := teams["技术部"].ID
	var staff []*backend.Person
	for _, n := range []string{"a", "b", "c"} {
		pp := &backend.Person{Name: n, Roles: []backend.Role{backend.RoleAssistant}, TeamID: tech}
		if err := store.CreatePerson(ctx, pp); err != nil {
			t.Fatal(err)
		}
		staff = append(staff, pp)
	}
	t.Run("RoundRobin", func(t *testing.T) {
		rr := NewRouter(RoutingRules{Assign: "round_robin"}, store, nil)
		var got []int64
		for range 4 {
			id, err := rr.Pick(ctx, tech)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		want := []int64{staff[0].ID, staff[1].ID, staff[2].ID, staff[0].ID}
		if !equalIDs(got, want) {
			t.Fatalf("round robin = %v, want %v", got, want)
		}
	})
	t.Run("LeastOpen", func(t *testing.T) {
		reporter := &backend.Person{Name: "r", Roles: []backend.Role{backend.RoleReporter}}
		if err := store.CreatePerson(ctx, reporter); err != nil {
			t.Fatal(err)
		}
		for i, who := range []int64{staff[0].ID, staff[0].ID, staff[2].ID} {
			tk := &backend.Ticket{Summary: "something broke", Status: backend.StatusAssigned, Severity: backend.P3,
				ReporterID: reporter.ID, AssigneeID: who, TeamID: tech, CreatedAt: time.Now().Add(time.Duration(i) * time.Second)}
			if err := store.CreateTicket(ctx, tk, "FB", time.Now(), nil); err != nil {
				t.Fatal(err)
			}
		}
		lo := NewRouter(RoutingRules{Assign: "least_open"}, store, nil)
		if id, err := lo.Pick(ctx, tech); err != nil || id != staff[1].ID {
			t.Fatalf("least open = %d, %v; want %d", id, err, staff[1].ID)
		}
		if id, _ := NewRouter(RoutingRules{Assign: "none"}, store, nil).Pick(ctx, tech); id != 0 {
			t.Fatalf("assign none picked %d", id)
		}
	})
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A form's "-" means no clock for that form and severity; severities the
// form leaves out take the clock's own budgets.
func TestPolicyFormBudgets(t *testing.T) {
	src := strings.Replace(string(DefaultPolicyYAML()), "complaint: {P2: 48h calendar, P3: 120h calendar}", "complaint: {P2: 4h, P4: \"-\"}", 1)
	p, err := ParsePolicy([]byte(src), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	solve, _ := p.Clock("solve")
	if b, ok := solve.BudgetFor(backend.FormComplaint, backend.P2); !ok || b.D != 4*time.Hour || b.Unit != Business {
		t.Errorf("complaint P2 = %+v %v, want 4h business", b, ok)
	}
	if b, ok := solve.BudgetFor(backend.FormComplaint, backend.P4); ok {
		t.Errorf("complaint P4 = %+v, want no clock", b)
	}
	if b, ok := solve.BudgetFor(backend.FormComplaint, backend.P3); !ok || b.Text != "7 workdays" {
		t.Errorf("complaint P3 = %+v %v, want the clock's 7 workdays", b, ok)
	}
}

// The notice groups of the default policy name 质量部, 采购部 and 总经办
// (complaints): until those teams exist, start-up says which groups tell
// nobody, and says it again only when the list changes.
func TestRouterLogsGroupsWithoutTeam(t *testing.T) {
	ctx := context.Background()
	store := routerStore(t)
	var logs bytes.Buffer
	p := defaultPolicyT(t)
	if p.Groups["quality_manager"] != "质量部" {
		t.Fatalf("default groups = %v", p.Groups)
	}
	r := NewRouter(p.Routing, store, slog.New(slog.NewTextHandler(&logs, nil))).WatchGroups(p.Groups)
	for _, n := range []string{"技术部", "产品部", "客服部", "采购部"} {
		if err := store.CreateTeam(ctx, &backend.Team{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "quality_manager (质量部)") || strings.Contains(logs.String(), "(采购部)") {
		t.Fatalf("logs after the first load:\n%s", logs.String())
	}
	logs.Reset()
	if err := r.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "notice groups") {
		t.Fatalf("the same list logged again:\n%s", logs.String())
	}
	for _, n := range []string{"质量部", "总经办", "总监组", "客户经理"} {
		if err := store.CreateTeam(ctx, &backend.Team{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "every team the policy's notice groups name exists") {
		t.Fatalf("logs once every team exists:\n%s", logs.String())
	}
}
