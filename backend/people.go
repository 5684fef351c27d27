package backend

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// StaffMember is one person of the console's People page: who they are
// and how many open tickets they hold.
type StaffMember struct {
	*Person
	Open int // open tickets assigned to them
}

// staffRoles are the roles that make someone staff (every role but
// reporter).
var staffRoles = []Role{RoleAssistant, RoleInfoSpecialist, RoleManager, RoleAdmin}

// Staff lists everyone who holds a staff role, and everyone deactivated
// who held one (with the roles they had), by id: who works the desk, for
// the managers and admins who look after it. EFORBIDDEN for anyone else.
func (s *Service) Staff(ctx context.Context, actor *Person) ([]StaffMember, error) {
	if !actor.SeesAll() {
		return nil, Keyed(EFORBIDDEN, "managers_only", nil, "only managers and admins may list the staff")
	}
	seen := map[int64]bool{}
	var people []*Person
	for _, r := range staffRoles {
		ps, err := s.store.PeopleWithRole(ctx, r, 0)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if !seen[p.ID] {
				seen[p.ID] = true
				people = append(people, p)
			}
		}
	}
	// The deactivated hold no role, so PeopleWithRole leaves them out.
	gone, err := s.store.DeactivatedPeople(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range gone {
		if slices.ContainsFunc(staffRoles, func(r Role) bool { return slices.Contains(p.Roles, r) }) {
			people = append(people, p)
		}
	}
	slices.SortFunc(people, func(a, b *Person) int { return cmp.Compare(a.ID, b.ID) })
	staff := make([]StaffMember, len(people))
	for i, p := range people {
		open, err := s.openTicketsOf(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		staff[i] = StaffMember{Person: p, Open: len(open)}
	}
	return staff, nil
}

// MayManage says whether actor may deactivate or reactivate target (the
// console's People page): managers and admins may, not on themselves, and
// only an admin on an admin. EFORBIDDEN otherwise.
func MayManage(actor, target *Person) error {
	switch {
	case !actor.SeesAll():
		return Keyed(EFORBIDDEN, "managers_only", nil, "only managers and admins may deactivate or reactivate people")
	case actor.ID == target.ID:
		return Keyed(EFORBIDDEN, "not_yourself", nil, "you cannot deactivate or reactivate yourself")
	case slices.Contains(target.Roles, RoleAdmin) && !actor.HasRole(RoleAdmin):
		return Keyed(EFORBIDDEN, "admins_only", nil, "only an admin may deactivate or reactivate an admin")
	}
	return nil
}

// DeactivateBy is Deactivate done by actor (MayManage), and with release
// ReleaseTickets too, for the reason given (required then, and checked
// before anything changes). It returns the person, the open tickets they
// still hold and those released.
func (s *Service) DeactivateBy(ctx context.Context, actor *Person, personID int64, release bool, reason string) (p *Person, open, released []*Ticket, err error) {
	target, err := s.store.Person(ctx, personID)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := MayManage(actor, target); err != nil {
		return nil, nil, nil, err
	}
	reason = strings.TrimSpace(reason)
	if release && reason == "" {
		return nil, nil, nil, Invalid("a reason is required to release tickets", "reason", "the reason is required", Problem{Key: "reason"})
	}
	p, open, err = s.Deactivate(ctx, personID)
	if err != nil || !release {
		return p, open, nil, err
	}
	released, err = s.ReleaseTickets(ctx, personID, reason)
	if err != nil {
		return p, open, released, err
	}
	open, err = s.openTicketsOf(ctx, personID) // any moved meanwhile stay
	return p, open, released, err
}

// ReactivateBy is Reactivate done by actor (MayManage).
func (s *Service) ReactivateBy(ctx context.Context, actor *Person, personID int64) (*Person, error) {
	target, err := s.store.Person(ctx, personID)
	if err != nil {
		return nil, err
	}
	if err := MayManage(actor, target); err != nil {
		return nil, err
	}
	return s.Reactivate(ctx, personID)
}

// InviteBy is CreateInvite done by actor: managers and admins invite
// staff, and only an admin invites an admin (EFORBIDDEN otherwise).
func (s *Service) InviteBy(ctx context.Context, actor *Person, role Role, teamID int64, ttl time.Duration) (string, error) {
	if err := MayInvite(actor, role); err != nil {
		return "", err
	}
	return s.CreateInvite(ctx, role, teamID, ttl)
}

// MayInvite says whether actor may invite someone with role (InviteBy).
func MayInvite(actor *Person, role Role) error {
	switch {
	case !actor.SeesAll():
		return Keyed(EFORBIDDEN, "managers_only", nil, "only managers and admins may invite staff")
	case role == RoleAdmin && !actor.HasRole(RoleAdmin):
		return Keyed(EFORBIDDEN, "admins_only", nil, "only an admin may invite an admin")
	}
	return nil
}
