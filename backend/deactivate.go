package backend

import (
	"context"
	"errors"
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
// them until someone reassigns them (the console's Assign) or
// ReleaseTickets puts them back in the queue, and their SLA clocks go on
// escalating meanwhile, so the caller shows the list. A person
// deactivated already, or the last active admin, is ECONFLICT.
func (s *Service) Deactivate(ctx context.Context, personID int64) (*Person, []*Ticket, error) {
	p, err := s.store.Person(ctx, personID)
	if err != nil {
		return nil, nil, err
	}
	if !p.Active() {
		day := p.DeactivatedAt.In(s.cfg.Location).Format(time.DateOnly)
		return nil, nil, Keyed(ECONFLICT, "deactivated_already", map[string]any{"Name": p.Name, "Date": day}, "%s (person %d) was deactivated already on %s", p.Name, p.ID, day)
	}
	if p.HasRole(RoleAdmin) {
		admins, err := s.store.PeopleWithRole(ctx, RoleAdmin, 0)
		if err != nil {
			return nil, nil, err
		}
		if len(admins) == 1 && admins[0].ID == p.ID {
			return nil, nil, Keyed(ECONFLICT, "last_admin", map[string]any{"Name": p.Name}, "%s (person %d) is the last admin: make another one first (deskbot user create --role admin)", p.Name, p.ID)
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
		return nil, Keyed(ECONFLICT, "active", map[string]any{"Name": p.Name}, "%s (person %d) is active", p.Name, p.ID)
	}
	if err := s.store.SetDeactivated(ctx, p.ID, time.Time{}); err != nil {
		return nil, err
	}
	p.DeactivatedAt = time.Time{}
	return p, nil
}

// openTicketsOf lists the open tickets assigned to a person, newest first.
func (s *Service) openTicketsOf(ctx context.Context, personID int64) ([]*Ticket, error) {
	f := openTickets()
	f.AssigneeID = personID
	return s.allTickets(ctx, f)
}

// openTickets selects the open tickets, 200 a page.
func openTickets() TicketFilter {
	f := TicketFilter{Limit: 200}
	for _, st := range Statuses {
		if st.Open() {
			f.Status = append(f.Status, st)
		}
	}
	return f
}

// allTickets lists every ticket f selects, page by page.
func (s *Service) allTickets(ctx context.Context, f TicketFilter) ([]*Ticket, error) {
	var all []*Ticket
	for {
		page, err := s.store.Tickets(ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Tickets...)
		if page.NextCursor == 0 {
			return all, nil
		}
		f.After = page.NextCursor
	}
}

// errDeactivated refuses a deactivated person in a chat.
func errDeactivated(p *Person) error {
	return Keyed(EFORBIDDEN, "deactivated", nil, "the account of %s was deactivated", p.Name)
}

// errSkip tells updateWith's caller that the change does not apply any
// more (ReleaseTickets: the ticket moved on meanwhile).
var errSkip = errors.New("backend: nothing to change")

// ReleaseTickets puts the open tickets of a deactivated person back in
// their team's queue, as if they had returned each (status returned,
// reason the why): nobody holds them, the triage chats are told to take
// them up again, with the claim buttons, and each reporter hears that
// their ticket is being reassigned. It returns the released tickets. An
// active person is ECONFLICT: their tickets are reassigned one by one
// (Assign), not dropped.
func (s *Service) ReleaseTickets(ctx context.Context, personID int64, reason string) ([]*Ticket, error) {
	p, err := s.store.Person(ctx, personID)
	if err != nil {
		return nil, err
	}
	if p.Active() {
		return nil, Errorf(ECONFLICT, "%s (person %d) is active: only a deactivated person's tickets are released (reassign an active person's with Assign)", p.Name, p.ID)
	}
	if reason == "" {
		return nil, Invalid("a reason is required to release tickets", "reason", "the reason is required", Problem{Key: "reason"})
	}
	open, err := s.openTicketsOf(ctx, personID)
	if err != nil {
		return nil, err
	}
	system := &Person{} // no one's act: the tickets of someone who left
	var released []*Ticket
	for _, o := range open {
		t, err := s.updateWith(ctx, func() (*Ticket, error) { return s.store.Ticket(ctx, o.Number) }, func(t *Ticket, now time.Time) ([]Change, error) {
			if t.AssigneeID != personID || !t.Status.Open() {
				return nil, errSkip // reassigned or closed meanwhile
			}
			t.AssigneeID = 0
			c := statusChange(t, system, now, StatusReturned, reason, true)
			triage, err := s.TriageAudience(ctx, t)
			if err != nil {
				return nil, err
			}
			c.Notify = append(c.Notify, triage...)
			return []Change{c}, nil
		})
		switch {
		case errors.Is(err, errSkip):
		case err != nil:
			return released, err
		default:
			released = append(released, t)
		}
	}
	return released, nil
}
