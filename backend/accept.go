package backend

import (
	"context"
	"time"
)

// KeyNotAssignee is the key of Accept's error for anyone but the ticket's
// assignee.
const KeyNotAssignee = "not_assignee"

// Accept records that actor, the ticket's assignee, confirms they take it
// (seed 002 第三步: 责任人需在2小时内确认接收, P1 within 1 hour): it sets
// Ticket.AcceptedAt and appends an accepted milestone, so the SLA's
// confirm clock stops. The alternative is to return the ticket with a
// reason (Return). Claiming a ticket oneself and starting work on it
// accept it as well, and Claim by the assignee of a ticket dispatched to
// them is Accept (the chat cards' one button).
//
// EFORBIDDEN for anyone but the assignee (key "not_assignee", and
// "staff_only" for non-staff); ECONFLICT when the ticket is accepted
// already (key "accepted") or closed ("status"); ENOTFOUND/EFORBIDDEN as
// for Ticket.
func (s *Service) Accept(ctx context.Context, actor *Person, number string) (*Ticket, error) {
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if !actor.Handles() {
			return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may accept tickets")
		}
		if t.AssigneeID != actor.ID {
			return nil, Keyed(EFORBIDDEN, KeyNotAssignee, map[string]any{"Number": t.Number},
				"only the assignee of ticket %s may accept it", t.Number)
		}
		if !t.Status.Open() {
			return nil, Keyed(ECONFLICT, "status", map[string]any{"Number": t.Number, "Status": t.Status}, "ticket %s is %s", t.Number, t.Status)
		}
		if !t.AcceptedAt.IsZero() {
			return nil, Keyed(ECONFLICT, "accepted", map[string]any{"Number": t.Number}, "ticket %s is accepted already", t.Number)
		}
		return []Change{accept(t, actor, now)}, nil
	})
}

// AwaitsAccept reports whether t is held by someone who has not confirmed
// it yet (it was dispatched to them, or reopened): their Claim is Accept.
func (t *Ticket) AwaitsAccept() bool {
	return t.AssigneeID != 0 && t.AcceptedAt.IsZero() && t.Status.Open()
}

// accept marks t accepted by its assignee at now and returns the accepted
// milestone event (staff-only, like the other milestones). actor is who
// made it so: the assignee, or whoever moved the ticket into work.
func accept(t *Ticket, actor *Person, now time.Time) Change {
	t.AcceptedAt = now
	return Change{Event: &Event{Kind: EventMilestone, ActorID: actor.ID, At: now, Body: string(MilestoneAccepted)}}
}

// startsWork reports whether moving a ticket to s starts (or finishes)
// the work on it, which accepts it for its assignee.
func startsWork(s Status) bool {
	switch s {
	case StatusInProgress, StatusPendingTest, StatusPendingConfirmation, StatusResolved:
		return true
	}
	return false
}
