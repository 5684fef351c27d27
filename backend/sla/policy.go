package sla

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/deskbot/deskbot/backend"
)

//go:embed policy_default.yaml
var defaultPolicy []byte

// DefaultPolicyYAML returns the embedded default policy (DESIGN §4).
func DefaultPolicyYAML() []byte { return slices.Clone(defaultPolicy) }

// Unit says how a clock's time is counted.
type Unit string

const (
	Business  Unit = "business" // working hours on the calendar
	WallClock Unit = "calendar" // wall-clock time
)

// Budget is how long a clock may run.
type Budget struct {
	D    time.Duration // business or calendar time (workdays are converted)
	Unit Unit
	Text string // as written in the policy ("3 workdays")
}

// ClockSpec is one clock of the policy.
type ClockSpec struct {
	Name  string
	While []backend.Status
	// StartOn and StopOn are milestones (backend.Milestone): a clock with
	// StartOn runs only after the latest of them is later than the latest
	// StopOn milestone, and then while the status is in While (any status
	// when While is empty). A clock with only StopOn runs by While and a
	// StopOn milestone after a run started stops that run.
	StartOn, StopOn []backend.Milestone
	// RestartOn, for a clock with only StopOn, are the statuses whose
	// entry starts it again after a StopOn milestone ended a run
	// (restart_on: [reopened]: a suggestion planned into the backlog is
	// not timed again by an answer from its reporter, only once it is
	// reopened); empty: entering any status of While does.
	RestartOn []backend.Status
	Budget    map[backend.Severity]Budget // missing: no clock for that severity
	// Forms replaces Budget for tickets filed on a form (by its id, e.g.
	// "complaint": the deadlines the complaint form promises, seed 001).
	// A severity the form leaves out takes Budget; a zero Budget (written
	// "-") means no clock for that form and severity.
	Forms map[string]map[backend.Severity]Budget
	// Owner is the step of the escalation chain whose duty the clock is
	// (seed 004 E and L: the direct manager's, "manager"); empty for the
	// assignee's clocks. The 80% warning goes to the owner's people and a
	// breach starts the chain at the owner's step; when nobody of that
	// step is found, the warning goes to the assignee (the triage chat
	// when nobody holds the ticket) and the chain climbs from the owner's
	// step, else from its start, as for a clock without an owner.
	Owner string
	// PerAssignee makes the clock a duty of the person holding the
	// ticket (seed 002: the person it is dispatched to confirms it): each
	// handover — a dispatch to someone by someone else, a return to the
	// triage chat, a reopening — ends the run going on and starts a new
	// one, and a run a StopOn milestone (accepted) ended starts again
	// only after the next handover, not when the status enters While
	// again (an answer from the reporter, work set back to assigned).
	PerAssignee bool
}

// OwnerStep returns the 1-based step of the escalation chain of pol that
// is c's owner, 0 when c has none (or pol's chain lacks it).
func (c ClockSpec) OwnerStep(pol *Policy) int {
	if c.Owner == "" {
		return 0
	}
	return slices.Index(pol.Chain, c.Owner) + 1
}

// BudgetFor returns the budget of a ticket of severity sev filed on form:
// the form's own when the clock has one for that severity, else the
// clock's. ok is false when the clock does not run for them.
func (c ClockSpec) BudgetFor(form string, sev backend.Severity) (b Budget, ok bool) {
	if fb, has := c.Forms[form][sev]; has {
		return fb, fb.D > 0
	}
	b, ok = c.Budget[sev]
	return b, ok
}

// Policy is a parsed, validated SLA policy.
type Policy struct {
	Version   string
	Zone      string
	WorkStart time.Duration
	WorkEnd   time.Duration
	WarnAt    float64
	PauseWhen []backend.Status
	Chain     []string
	Interval  time.Duration
	Groups    map[string]string // group → team name
	// GroupRoles narrows a group to the people of its team with a role
	// (quality_manager: {team: 质量部, role: manager}); absent: everyone.
	GroupRoles map[string]backend.Role
	// GroupOwners are the groups of account managers
	// (account_manager: {team: 客户经理, customer_owner: true}): a ticket
	// whose customer (found by its contact's phone in the directory) has
	// an account manager goes to them alone, any other to the whole group.
	GroupOwners map[string]bool
	Clocks      []ClockSpec
	Notify      map[backend.Severity][]string
	// NotifyForms adds targets for the tickets of a form, whatever their
	// severity (seed 001: a complaint goes to the sales manager, the
	// quality and purchasing managers and the general manager).
	NotifyForms map[string][]string
	Digest      []backend.Severity
	Batch       []backend.Severity
	BatchDay    time.Weekday
	BatchAt     time.Duration
	Routing     RoutingRules
	Source      []byte // the YAML it was parsed from
	SourceName  string
}

// RoutingRules are the routing part of a policy.
type RoutingRules struct {
	Assign string // none, round_robin, least_open
	Rules  []RouteRule
}

// RouteRule sends tickets filed on Form (any form when empty) whose
// category path starts with Category to Team (or, for a cross-department
// rule naming Teams, to Lead).
type RouteRule struct {
	Form     string
	Category []string
	Team     string
	Teams    []string
	Lead     string
}

// NoticeTargets returns the targets told when t is filed and when it is
// solved: those of its severity, then those of its form not named yet.
func (p *Policy) NoticeTargets(t *backend.Ticket) []string {
	out := slices.Clone(p.Notify[t.Severity])
	for _, tg := range p.NotifyForms[t.Form] {
		if !slices.Contains(out, tg) {
			out = append(out, tg)
		}
	}
	return out
}

// Clock returns the spec called name.
func (p *Policy) Clock(name string) (ClockSpec, bool) {
	for _, c := range p.Clocks {
		if c.Name == name {
			return c, true
		}
	}
	return ClockSpec{}, false
}

// PolicyError is a validation failure pointing into the file.
type PolicyError struct {
	File   string
	Line   int
	Reason string
}

func (e *PolicyError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return e.File + ": " + e.Reason
}

// raw mirrors the YAML for decoding; lines come from the node tree.
type rawPolicy struct {
	Version  string `yaml:"version"`
	Calendar struct {
		Zone      string `yaml:"zone"`
		WorkHours string `yaml:"work_hours"`
	} `yaml:"calendar"`
	WarnAt     *float64 `yaml:"warn_at"`
	PauseWhen  []string `yaml:"pause_when"`
	Escalation struct {
		Chain    []string `yaml:"chain"`
		Interval string   `yaml:"interval"`
	} `yaml:"escalation"`
	Groups map[string]groupSpec `yaml:"groups"`
	Notify map[string]yaml.Node `yaml:"notify"`
	Digest struct {
		Severities []string `yaml:"severities"`
	} `yaml:"digest"`
	Batch struct {
		Severities []string `yaml:"severities"`
		Weekday    string   `yaml:"weekday"`
		At         string   `yaml:"at"`
	} `yaml:"batch"`
}

// groupSpec is a group: a team name, or {team: 质量部, role: manager},
// or {team: 客户经理, customer_owner: true}.
type groupSpec struct {
	Team          string
	Role          string
	CustomerOwner bool
}

func (g *groupSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		g.Team = n.Value
		return nil
	}
	var m struct {
		Team          string `yaml:"team"`
		Role          string `yaml:"role"`
		CustomerOwner bool   `yaml:"customer_owner"`
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a group is a team name or {team: 质量部, role: manager}", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "team" && k != "role" && k != "customer_owner" {
			return fmt.Errorf("line %d: a group has a team and may have a role and customer_owner, not %q", n.Content[i].Line, k)
		}
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	g.Team, g.Role, g.CustomerOwner = m.Team, m.Role, m.CustomerOwner
	return nil
}

// ParsePolicy reads and validates a policy. Every error is a *PolicyError
// naming the file, the line and the reason.
func ParsePolicy(src []byte, name string) (*Policy, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&root); err != nil {
		if err == io.EOF {
			return nil, &PolicyError{File: name, Reason: "empty policy"}
		}
		return nil, yamlError(name, err)
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, &PolicyError{File: name, Line: doc.Line, Reason: "the policy must be a mapping"}
	}
	known := []string{"version", "calendar", "warn_at", "pause_when", "escalation", "groups", "clocks", "notify", "digest", "batch", "routing"}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if k := doc.Content[i]; !slices.Contains(known, k.Value) {
			return nil, &PolicyError{File: name, Line: k.Line, Reason: fmt.Sprintf("unknown key %q (known: %s)", k.Value, strings.Join(known, ", "))}
		}
	}
	var raw rawPolicy
	if err := doc.Decode(&raw); err != nil {
		return nil, yamlError(name, err)
	}
	fail := func(line int, format string, args ...any) error {
		return &PolicyError{File: name, Line: line, Reason: fmt.Sprintf(format, args...)}
	}
	line := func(path ...string) int { return lineOf(doc, path...) }
	p := &Policy{Version: strings.TrimSpace(raw.Version), Zone: raw.Calendar.Zone, WarnAt: 0.8,
		Groups: map[string]string{}, GroupRoles: map[string]backend.Role{}, GroupOwners: map[string]bool{}, Notify: map[backend.Severity][]string{},
		NotifyForms: map[string][]string{}, Source: slices.Clone(src), SourceName: name}
	for g, spec := range raw.Groups {
		if strings.TrimSpace(spec.Team) == "" {
			return nil, fail(line("groups", g), "group %s needs a team name", g)
		}
		p.Groups[g] = spec.Team
		if spec.CustomerOwner {
			p.GroupOwners[g] = true
		}
		if spec.Role != "" {
			r := backend.Role(spec.Role)
			if !slices.Contains(backend.Roles, r) {
				return nil, fail(line("groups", g), "group %s: unknown role %q", g, spec.Role)
			}
			p.GroupRoles[g] = r
		}
	}
	if p.Version == "" {
		return nil, fail(doc.Line, "version is required (clocks record it; change it when the policy changes)")
	}
	if p.Zone == "" {
		p.Zone = "Asia/Shanghai"
	}
	if _, err := time.LoadLocation(p.Zone); err != nil {
		return nil, fail(line("calendar", "zone"), "unknown time zone %q", p.Zone)
	}
	p.WorkStart, p.WorkEnd = 9*time.Hour, 18*time.Hour
	if wh := raw.Calendar.WorkHours; wh != "" {
		s, e, ok := parseSpan(wh)
		if !ok {
			return nil, fail(line("calendar", "work_hours"), "work_hours %q is not like 09:00-18:00", wh)
		}
		p.WorkStart, p.WorkEnd = s, e
	}
	if raw.WarnAt != nil {
		if *raw.WarnAt <= 0 || *raw.WarnAt >= 1 {
			return nil, fail(line("warn_at"), "warn_at must be between 0 and 1 (0.8 warns at 80%%)")
		}
		p.WarnAt = *raw.WarnAt
	}
	for i, s := range raw.PauseWhen {
		st := backend.Status(s)
		if !st.Valid() {
			return nil, fail(itemLine(doc, i, "pause_when"), "unknown status %q", s)
		}
		p.PauseWhen = append(p.PauseWhen, st)
	}
	chainRoles := []string{"assignee", "team_lead", "manager", "related"}
	p.Chain = raw.Escalation.Chain
	if len(p.Chain) == 0 {
		return nil, fail(line("escalation"), "escalation.chain must name at least one step")
	}
	for i, c := range p.Chain {
		if !slices.Contains(chainRoles, c) && p.Groups[c] == "" {
			return nil, fail(itemLine(doc, i, "escalation", "chain"), "unknown escalation step %q: use %s or a group from groups", c, strings.Join(chainRoles, ", "))
		}
	}
	p.Interval = time.Hour
	if iv := raw.Escalation.Interval; iv != "" {
		d, err := time.ParseDuration(iv)
		if err != nil || d < time.Second {
			return nil, fail(line("escalation", "interval"), "interval %q must be a duration of at least 1s", iv)
		}
		p.Interval = d
	}
	clocks := mapping(doc, "clocks")
	if clocks == nil || len(clocks.Content) == 0 {
		return nil, fail(line("clocks"), "clocks: at least one clock is required")
	}
	for i := 0; i+1 < len(clocks.Content); i += 2 {
		cname, cnode := clocks.Content[i], clocks.Content[i+1]
		if cnode.Kind != yaml.MappingNode {
			return nil, fail(cnode.Line, "clock %s must be a mapping of while and P1–P4", cname.Value)
		}
		spec := ClockSpec{Name: cname.Value, Budget: map[backend.Severity]Budget{}}
		for j := 0; j+1 < len(cnode.Content); j += 2 {
			k, v := cnode.Content[j], cnode.Content[j+1]
			switch sev := backend.Severity(k.Value); {
			case k.Value == "while" || k.Value == "restart_on":
				var ss []string
				if err := v.Decode(&ss); err != nil {
					return nil, fail(v.Line, "clock %s: %s must be a list of statuses", cname.Value, k.Value)
				}
				for n, s := range ss {
					st := backend.Status(s)
					if !st.Valid() {
						return nil, fail(v.Content[n].Line, "clock %s: unknown status %q", cname.Value, s)
					}
					if k.Value == "while" {
						spec.While = append(spec.While, st)
					} else {
						spec.RestartOn = append(spec.RestartOn, st)
					}
				}
			case k.Value == "start_on" || k.Value == "stop_on":
				ms, err := parseMilestones(v)
				if err != nil {
					return nil, fail(v.Line, "clock %s: %s %v", cname.Value, k.Value, err)
				}
				if k.Value == "start_on" {
					spec.StartOn = ms
				} else {
					spec.StopOn = ms
				}
			case k.Value == "forms":
				forms, err := parseForms(v, p.WorkEnd-p.WorkStart, func(line int, format string, args ...any) error {
					return fail(line, "clock %s forms: %s", cname.Value, fmt.Sprintf(format, args...))
				})
				if err != nil {
					return nil, err
				}
				spec.Forms = forms
			case k.Value == "per_assignee":
				if err := v.Decode(&spec.PerAssignee); err != nil {
					return nil, fail(v.Line, "clock %s: per_assignee must be true or false", cname.Value)
				}
			case k.Value == "owner":
				steps := strings.Join(p.Chain, ", ")
				if v.Kind != yaml.ScalarNode {
					return nil, fail(v.Line, "clock %s: owner must be one step of escalation.chain (%s), like owner: manager", cname.Value, steps)
				}
				if !slices.Contains(p.Chain, v.Value) {
					return nil, fail(v.Line, "clock %s: owner %q is not a step of escalation.chain (%s)", cname.Value, v.Value, steps)
				}
				spec.Owner = v.Value
			case sev.Valid():
				b, ok, err := parseBudget(v.Value, p.WorkEnd-p.WorkStart)
				if err != nil {
					return nil, fail(v.Line, "clock %s %s: %v", cname.Value, sev, err)
				}
				if ok {
					spec.Budget[sev] = b
				}
			default:
				return nil, fail(k.Line, "clock %s: unknown key %q (while, start_on, stop_on, restart_on, per_assignee, forms, owner, P1, P2, P3, P4)", cname.Value, k.Value)
			}
		}
		if len(spec.RestartOn) > 0 && (len(spec.StopOn) == 0 || len(spec.StartOn) > 0 || spec.PerAssignee) {
			return nil, fail(cname.Line, "clock %s: restart_on is for clocks run by while and stopped by stop_on", spec.Name)
		}
		if spec.PerAssignee && len(spec.StartOn) > 0 {
			return nil, fail(cname.Line, "clock %s: per_assignee clocks run by while and stop_on, not start_on", spec.Name)
		}
		if _, dup := p.Clock(spec.Name); dup {
			return nil, fail(cname.Line, "clock %s is defined twice", spec.Name)
		}
		p.Clocks = append(p.Clocks, spec)
	}
	targets := func(n *yaml.Node, what string) ([]string, error) {
		var out []string
		if err := n.Decode(&out); err != nil {
			return nil, fail(n.Line, "notify %s: must be a list of targets, like [manager, related]", what)
		}
		for i, tg := range out {
			if !slices.Contains(chainRoles, tg) && p.Groups[tg] == "" {
				return nil, fail(n.Content[i].Line, "notify %s: unknown target %q: use %s or a group from groups", what, tg, strings.Join(chainRoles, ", "))
			}
		}
		return out, nil
	}
	for key, n := range raw.Notify {
		if key == "forms" {
			if n.Kind != yaml.MappingNode {
				return nil, fail(n.Line, "notify forms: must map form ids to targets, like complaint: [manager, quality_manager]")
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				form := n.Content[i].Value
				ts, err := targets(n.Content[i+1], "forms "+form)
				if err != nil {
					return nil, err
				}
				p.NotifyForms[form] = ts
			}
			continue
		}
		sev := backend.Severity(key)
		if !sev.Valid() {
			return nil, fail(line("notify", key), "notify: unknown key %q (P1, P2, P3, P4 or forms)", key)
		}
		ts, err := targets(&n, string(sev))
		if err != nil {
			return nil, err
		}
		p.Notify[sev] = ts
	}
	sevs := func(what string, in []string) ([]backend.Severity, error) {
		var out []backend.Severity
		for i, s := range in {
			if !backend.Severity(s).Valid() {
				return nil, fail(itemLine(doc, i, what, "severities"), "%s: unknown severity %q", what, s)
			}
			out = append(out, backend.Severity(s))
		}
		return out, nil
	}
	var err error
	if p.Digest, err = sevs("digest", raw.Digest.Severities); err != nil {
		return nil, err
	}
	if p.Batch, err = sevs("batch", raw.Batch.Severities); err != nil {
		return nil, err
	}
	p.BatchDay, p.BatchAt = time.Monday, 9*time.Hour
	if wd := strings.ToLower(raw.Batch.Weekday); wd != "" {
		found := false
		for d := time.Sunday; d <= time.Saturday; d++ {
			if strings.ToLower(d.String()) == wd {
				p.BatchDay, found = d, true
			}
		}
		if !found {
			return nil, fail(line("batch", "weekday"), "batch: weekday %q is not a day like monday", raw.Batch.Weekday)
		}
	}
	if a := raw.Batch.At; a != "" {
		d, ok := parseClock(a)
		if !ok {
			return nil, fail(line("batch", "at"), "batch: at %q is not a time like 09:00", a)
		}
		p.BatchAt = d
	}
	if err := parseRouting(doc, p, fail); err != nil {
		return nil, err
	}
	return p, nil
}

func parseRouting(doc *yaml.Node, p *Policy, fail func(int, string, ...any) error) error {
	r := mapping(doc, "routing")
	if r == nil {
		p.Routing.Assign = "none"
		return nil
	}
	var raw struct {
		Assign string `yaml:"assign"`
		Rules  []struct {
			Form     string   `yaml:"form"`
			Category []string `yaml:"category"`
			Team     string   `yaml:"team"`
			Teams    []string `yaml:"teams"`
			Lead     string   `yaml:"lead"`
		} `yaml:"rules"`
	}
	if err := r.Decode(&raw); err != nil {
		return fail(r.Line, "routing: %v", err)
	}
	switch raw.Assign {
	case "":
		raw.Assign = "none"
	case "none", "round_robin", "least_open":
	default:
		return fail(lineOf(doc, "routing", "assign"), "routing: assign %q must be none, round_robin or least_open", raw.Assign)
	}
	p.Routing.Assign = raw.Assign
	rules := mapping(r, "rules")
	for i, rr := range raw.Rules {
		ln := r.Line
		if rules != nil && i < len(rules.Content) {
			ln = rules.Content[i].Line
		}
		if len(rr.Category) == 0 && rr.Form == "" {
			return fail(ln, "routing rule %d: give a form, a category or both", i+1)
		}
		switch {
		case rr.Team != "" && len(rr.Teams) == 0:
		case rr.Team == "" && len(rr.Teams) > 1 && slices.Contains(rr.Teams, rr.Lead):
		default:
			return fail(ln, "routing rule %d: give team, or teams (two or more) with a lead among them", i+1)
		}
		p.Routing.Rules = append(p.Routing.Rules, RouteRule{Form: rr.Form, Category: rr.Category, Team: rr.Team, Teams: rr.Teams, Lead: rr.Lead})
	}
	return nil
}

// parseForms reads a clock's forms: a mapping of form id to a mapping of
// severity to budget ("-": no clock for that form and severity).
func parseForms(v *yaml.Node, day time.Duration, fail func(int, string, ...any) error) (map[string]map[backend.Severity]Budget, error) {
	if v.Kind != yaml.MappingNode {
		return nil, fail(v.Line, "must map form ids to budgets by severity, like complaint: {P2: 48h calendar}")
	}
	out := map[string]map[backend.Severity]Budget{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		fk, fv := v.Content[i], v.Content[i+1]
		if fk.Value == "" || fv.Kind != yaml.MappingNode {
			return nil, fail(fk.Line, "form %q must map severities to budgets, like {P2: 48h calendar}", fk.Value)
		}
		if _, dup := out[fk.Value]; dup {
			return nil, fail(fk.Line, "form %s is given twice", fk.Value)
		}
		budgets := map[backend.Severity]Budget{}
		for j := 0; j+1 < len(fv.Content); j += 2 {
			sk, sv := fv.Content[j], fv.Content[j+1]
			sev := backend.Severity(sk.Value)
			if !sev.Valid() {
				return nil, fail(sk.Line, "form %s: unknown severity %q (P1, P2, P3, P4)", fk.Value, sk.Value)
			}
			b, _, err := parseBudget(sv.Value, day)
			if err != nil {
				return nil, fail(sv.Line, "form %s %s: %v", fk.Value, sev, err)
			}
			budgets[sev] = b // zero for "-": no clock
		}
		out[fk.Value] = budgets
	}
	return out, nil
}

// parseBudget reads "2h", "24h calendar", "3 workdays" or "-".
func parseBudget(s string, day time.Duration) (Budget, bool, error) {
	s = strings.TrimSpace(s)
	if s == "-" || s == "" {
		return Budget{}, false, nil
	}
	f := strings.Fields(s)
	if len(f) == 2 && (f[1] == "workdays" || f[1] == "workday") {
		n, err := strconv.Atoi(f[0])
		if err != nil || n <= 0 {
			return Budget{}, false, fmt.Errorf("%q: the number of workdays must be a positive whole number", s)
		}
		return Budget{D: time.Duration(n) * day, Unit: Business, Text: s}, true, nil
	}
	unit := Business
	if len(f) == 2 && (f[1] == "calendar" || f[1] == "business") {
		unit = Unit(f[1])
	} else if len(f) != 1 {
		return Budget{}, false, fmt.Errorf("%q is not like 2h, 24h calendar, 3 workdays or -", s)
	}
	d, err := time.ParseDuration(f[0])
	if err != nil || d <= 0 {
		return Budget{}, false, fmt.Errorf("%q is not like 2h, 24h calendar, 3 workdays or -", s)
	}
	return Budget{D: d, Unit: unit, Text: s}, true, nil
}

func parseClock(s string) (time.Duration, bool) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true
}

func parseSpan(s string) (time.Duration, time.Duration, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, false
	}
	x, ok1 := parseClock(a)
	y, ok2 := parseClock(b)
	return x, y, ok1 && ok2 && y > x
}

// mapping returns the value node at key in a mapping node.
func mapping(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// lineOf returns the line of the value at path (or of the deepest part found).
func lineOf(n *yaml.Node, path ...string) int {
	ln := n.Line
	for _, k := range path {
		v := mapping(n, k)
		if v == nil {
			return ln
		}
		n, ln = v, v.Line
	}
	return ln
}

func itemLine(doc *yaml.Node, i int, path ...string) int {
	n := doc
	for _, k := range path {
		if n = mapping(n, k); n == nil {
			return doc.Line
		}
	}
	if n.Kind == yaml.SequenceNode && i < len(n.Content) {
		return n.Content[i].Line
	}
	return n.Line
}

// yamlError turns a yaml.v3 error ("yaml: line 3: …") into a PolicyError.
func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	var ln int
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ":"); ok {
			if n, err := strconv.Atoi(num); err == nil {
				ln, msg = n, strings.TrimSpace(tail)
			}
		}
	}
	return &PolicyError{File: name, Line: ln, Reason: msg}
}

// NewCalendarFor builds the policy's work calendar over holidays.
func (p *Policy) NewCalendarFor(h Holidays, cfg CalendarConfig) (*Calendar, error) {
	loc, err := time.LoadLocation(p.Zone)
	if err != nil {
		return nil, err
	}
	cfg.Location, cfg.Start, cfg.End, cfg.Holidays = loc, p.WorkStart, p.WorkEnd, h
	return NewCalendar(cfg)
}

// parseMilestones reads a list of backend.Milestone names.
func parseMilestones(v *yaml.Node) ([]backend.Milestone, error) {
	var ss []string
	if err := v.Decode(&ss); err != nil {
		return nil, fmt.Errorf("must be a list of milestones")
	}
	var out []backend.Milestone
	for _, s := range ss {
		m := backend.Milestone(s)
		if !m.Known() {
			return nil, fmt.Errorf("unknown milestone %q (%v)", s, append([]backend.Milestone{backend.MilestoneAccepted}, backend.Milestones...))
		}
		out = append(out, m)
	}
	return out, nil
}
