package sla

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"github.com/deskbot/deskbot/backend"
)

// TeamStore is what routing needs from the store.
type TeamStore interface {
	Teams(ctx context.Context) ([]*backend.Team, error)
	PeopleWithRole(ctx context.Context, r backend.Role, teamID int64) ([]*backend.Person, error)
	Tickets(ctx context.Context, f backend.TicketFilter) (*backend.TicketPage, error)
}

// Router applies a policy's routing rules: category → team (cross-department
// rules go to their lead team), and picks an assignee inside a team.
type Router struct {
	rules RoutingRules
	store TeamStore
	log   *slog.Logger

	mu    sync.Mutex
	teams map[string]int64 // name → ID, loaded by Load
	next  map[int64]int    // round-robin position per team
}

// NewRouter returns a router for rules; call Load before Route.
func NewRouter(rules RoutingRules, store TeamStore, log *slog.Logger) *Router {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Router{rules: rules, store: store, log: log, teams: map[string]int64{}, next: map[int64]int{}}
}

// Load reads the teams, so that rules naming them resolve. Rules naming a
// team that does not exist are logged and route nowhere.
func (r *Router) Load(ctx context.Context) error {
	ts, err := r.store.Teams(ctx)
	if err != nil {
		return err
	}
	m := map[string]int64{}
	for _, t := range ts {
		m[t.Name] = t.ID
	}
	for _, rule := range r.rules.Rules {
		if name := rule.target(); m[name] == 0 {
			r.log.Warn("routing: no team with this name; its tickets stay unrouted (create it with deskbot team create)", "team", name)
		}
	}
	r.mu.Lock()
	r.teams = m
	r.mu.Unlock()
	return nil
}

func (rule RouteRule) target() string {
	if rule.Team != "" {
		return rule.Team
	}
	return rule.Lead
}

// TeamFor returns the name of the team for a category path: the rule with
// the longest category prefix of path wins; "" when none matches.
func (r *Router) TeamFor(path []string) string {
	best, bestLen := "", 0
	for _, rule := range r.rules.Rules {
		if len(rule.Category) > bestLen && len(rule.Category) <= len(path) && slices.Equal(rule.Category, path[:len(rule.Category)]) {
			best, bestLen = rule.target(), len(rule.Category)
		}
	}
	return best
}

// Route is backend.ServiceConfig.Route: the team ID for a category path,
// 0 when no rule matches or the team does not exist.
func (r *Router) Route(path []string) int64 {
	name := r.TeamFor(path)
	if name == "" {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.teams[name]
}

// Pick chooses the assignee for a ticket of team: round robin over the
// team's assistants (by ID), or the one with the fewest open tickets. 0
// when the policy does not assign or the team has nobody.
func (r *Router) Pick(ctx context.Context, teamID int64) (int64, error) {
	if r.rules.Assign == "none" || r.rules.Assign == "" || teamID == 0 {
		return 0, nil
	}
	people, err := r.store.PeopleWithRole(ctx, backend.RoleAssistant, teamID)
	if err != nil || len(people) == 0 {
		return 0, err
	}
	slices.SortFunc(people, func(a, b *backend.Person) int { return int(a.ID - b.ID) })
	if r.rules.Assign == "round_robin" {
		r.mu.Lock()
		defer r.mu.Unlock()
		i := r.next[teamID] % len(people)
		r.next[teamID] = i + 1
		return people[i].ID, nil
	}
	open := []backend.Status{}
	for _, s := range backend.Statuses {
		if s.Open() {
			open = append(open, s)
		}
	}
	best, bestN := int64(0), -1
	for _, p := range people {
		n, err := r.count(ctx, backend.TicketFilter{AssigneeID: p.ID, Status: open, Limit: 200})
		if err != nil {
			return 0, err
		}
		if bestN < 0 || n < bestN {
			best, bestN = p.ID, n
		}
	}
	return best, nil
}

func (r *Router) count(ctx context.Context, f backend.TicketFilter) (int, error) {
	n := 0
	for {
		page, err := r.store.Tickets(ctx, f)
		if err != nil {
			return 0, err
		}
		n += len(page.Tickets)
		if page.NextCursor == 0 {
			return n, nil
		}
		f.After = page.NextCursor
	}
}
