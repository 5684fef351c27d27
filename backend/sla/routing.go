package sla

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// TeamStore is what routing needs from the store.
type TeamStore interface {
	Teams(ctx context.Context) ([]*backend.Team, error)
	PeopleWithRole(ctx context.Context, r backend.Role, teamID int64) ([]*backend.Person, error)
	Tickets(ctx context.Context, f backend.TicketFilter) (*backend.TicketPage, error)
}

// Router applies a policy's routing rules: form and category → team
// (cross-department rules go to their lead team), and picks an assignee
// inside a team.
type Router struct {
	rules RoutingRules
	store TeamStore
	log   *slog.Logger

	mu      sync.Mutex
	teams   map[string]int64  // name → ID, loaded by Load
	missing string            // the teams named by rules but not found, as last logged
	groups  map[string]string // notice groups → team, checked by Load too
	lost    string            // the groups whose team is not found, as last logged
	next    map[int64]int     // round-robin position per team
}

// NewRouter returns a router for rules; call Load before Route.
func NewRouter(rules RoutingRules, store TeamStore, log *slog.Logger) *Router {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Router{rules: rules, store: store, log: log, teams: map[string]int64{}, next: map[int64]int{}}
}

// WatchGroups makes Load check the teams that a policy's notice groups
// name (Policy.Groups: group → team) as well: a group whose team does not
// exist tells nobody, and the operator should hear of it. Returns r.
func (r *Router) WatchGroups(groups map[string]string) *Router {
	r.groups = groups
	return r
}

// Load reads the teams, so that rules naming them resolve. Rules naming a
// team that does not exist route nowhere; the missing teams are logged in
// one line, again only when that list changes.
func (r *Router) Load(ctx context.Context) error {
	ts, err := r.store.Teams(ctx)
	if err != nil {
		return err
	}
	m := map[string]int64{}
	for _, t := range ts {
		m[t.Name] = t.ID
	}
	var missing []string
	for _, rule := range r.rules.Rules {
		if name := rule.target(); m[name] == 0 && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.teams = m
	if list := strings.Join(missing, ", "); list != r.missing {
		r.missing = list
		if list != "" {
			r.log.Info("routing: the rules name teams that do not exist yet; their tickets stay unrouted (visible to every assistant) until they are created with deskbot team create", "teams", list)
		} else {
			r.log.Info("routing: every team the rules name exists")
		}
	}
	var lost []string
	for _, g := range slices.Sorted(maps.Keys(r.groups)) {
		if team := r.groups[g]; m[team] == 0 {
			lost = append(lost, g+" ("+team+")")
		}
	}
	if list := strings.Join(lost, ", "); list != r.lost {
		r.lost = list
		if list != "" {
			r.log.Info("sla: notice groups of the policy name teams that do not exist; they tell nobody until the teams are created with deskbot team create", "groups", list)
		} else if len(r.groups) > 0 {
			r.log.Info("sla: every team the policy's notice groups name exists")
		}
	}
	return nil
}

// Run reloads the teams every interval until ctx ends, so that a team
// created while deskbot runs starts receiving its tickets.
func (r *Router) Run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := r.Load(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("routing: reloading teams", "err", err)
			}
		}
	}
}

func (rule RouteRule) target() string {
	if rule.Team != "" {
		return rule.Team
	}
	return rule.Lead
}

// matches says whether rule applies to a ticket of form with path, and
// how specific it is: a longer category prefix wins, and between equal
// prefixes a rule naming the form wins.
func (rule RouteRule) matches(form string, path []string) (int, bool) {
	if rule.Form != "" && rule.Form != form {
		return 0, false
	}
	if len(rule.Category) > len(path) || !slices.Equal(rule.Category, path[:len(rule.Category)]) {
		return 0, false
	}
	score := 2 * len(rule.Category)
	if rule.Form != "" {
		score++
	}
	return score, true
}

// TeamFor returns the name of the team for a ticket of form with a
// category path: the most specific matching rule wins; "" when none
// matches.
func (r *Router) TeamFor(form string, path []string) string {
	best, bestScore := "", -1
	for _, rule := range r.rules.Rules {
		if score, ok := rule.matches(form, path); ok && score > bestScore {
			best, bestScore = rule.target(), score
		}
	}
	return best
}

// Route is backend.ServiceConfig.Route: the team ID for a ticket of form
// with a category path, 0 when no rule matches or the team does not exist.
func (r *Router) Route(form string, path []string) int64 {
	name := r.TeamFor(form, path)
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
