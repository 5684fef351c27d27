package botkit

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/deskbot/deskbot/backend"
)

// StaffLister lists people by role (backend.Store implements it).
type StaffLister interface {
	PeopleWithRole(ctx context.Context, r backend.Role, teamID int64) ([]*backend.Person, error)
}

// Reassignees are the people an escalation ping's Reassign button offers:
// the assistants and managers of the ticket's team, or every assistant
// when the ticket has no team; never the current assignee; by name. It
// returns page number page (from 0) of size people, and whether more
// pages follow.
func Reassignees(ctx context.Context, people StaffLister, t *backend.Ticket, page, size int) ([]*backend.Person, bool, error) {
	roles := []backend.Role{backend.RoleAssistant}
	if t.TeamID != 0 {
		roles = append(roles, backend.RoleManager)
	}
	var out []*backend.Person
	for _, r := range roles {
		ps, err := people.PeopleWithRole(ctx, r, t.TeamID)
		if err != nil {
			return nil, false, err
		}
		for _, p := range ps {
			if p.ID == t.AssigneeID || (t.TeamID != 0 && p.TeamID != t.TeamID) || !p.Handles() ||
				slices.ContainsFunc(out, func(o *backend.Person) bool { return o.ID == p.ID }) {
				continue
			}
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b *backend.Person) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	from := min(max(page, 0)*size, len(out))
	to := min(from+size, len(out))
	return out[from:to], to < len(out), nil
}
