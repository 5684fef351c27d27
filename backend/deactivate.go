package backend

import (
	"context"
	"time"
)

// Deactivate takes every role from a person who left (deskbot user
// deactivate): from then on they cannot sign in to the console, press a
// triage button, act through the API or file a ticket in a chat, and
// nothing more is sent to them. Their name stays on their tickets and
// events, their chat accounts stay linked (so they are still recognized,
// and refused), and Reactivate gives everything back.
//
// It returns the person and their open tickets: those stay assigned to
// them until someone reassigns them (the console's Assign), and their SLA
// clocks go on escalating meanwhile, so the caller shows the list. A person
// deactivated already, or the last active admin, is ECONFLICT.
func (s *Service) Deactivate(ctx context.Context, personID int64) (*Person, []*Ticket, error) {
	p, err := s.store.Person(ctx, personID)
	if err != nil {
		return nil, nil, err
	}
	if !p.Active() {
		return nil, nil, Errorf(ECONFLICT, "%s (person %d) was deactivated already on %s", p.Name, p.ID, p.DeactivatedAt.In(s.cfg.Location).Format(time.DateOnly))
	}
	if p.HasRole(RoleAdmin) {
		admins, err := s.store.PeopleWithRole(ctx, RoleAdmin, 0)
		if err != nil {
			return nil, nil, err
		}
		if len(admins) == 1 && admins[0].ID == p.ID {
			return nil, nil, Errorf(ECONFLICT, "%s (person %d) is the last admin: make another one first (deskbot user create --role admin)", p.Name, p.ID)
		}
	}
	now := s.now()
	if err := s.store.SetDeactivated(ctx, p.ID, now); err != nil {
		return nil, nil, err
	}
	p.DeactivatedAt = now
	open, err := s.openTicketsOf(ctx, p.ID)
	return p, open, err
}

// Reactivate gives a deactivated person their roles back. A person who is
// active is ECONFLICT.
func (s *Service) Reactivate(ctx context.Context, personID int64) (*Person, error) {
	p, err := s.store.Person(ctx, personID)
	if err != nil {
		return nil, err
	}
	if p.Active() {
		return nil, Errorf(ECONFLICT, "%s (person %d) is active", p.Name, p.ID)
	}
	if err := s.store.SetDeactivated(ctx, p.ID, time.Time{}); err != nil {
		return nil, err
	}
	p.DeactivatedAt = time.Time{}
	return p, nil
}

// openTicketsOf lists the open tickets assigned to a person, newest first.
func (s *Service) openTicketsOf(ctx context.Context, personID int64) ([]*Ticket, error) {
	var open []*Ticket
	f := TicketFilter{AssigneeID: personID, Limit: 200}
	for _, st := range Statuses {
		if st.Open() {
			f.Status = append(f.Status, st)
		}
	}
	for {
		page, err := s.store.Tickets(ctx, f)
		if err != nil {
			return nil, err
		}
		open = append(open, page.Tickets...)
		if page.NextCursor == 0 {
			return open, nil
		}
		f.After = page.NextCursor
	}
}

// errDeactivated refuses a deactivated person in a chat.
func errDeactivated(p *Person) error {
	return Keyed(EFORBIDDEN, "deactivated", nil, "the account of %s was deactivated", p.Name)
}
