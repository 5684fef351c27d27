package backend

import (
	"context"
	"strings"
)

// KeyAckOwn is the key of Acknowledge's error for the assignee: chat
// channels answer it with their own text and keep the ping's buttons.
const KeyAckOwn = "ack_own"

// Acknowledge records that actor has seen the escalation of a ticket's
// breached clock (clock names it; empty means every breached clock): the
// chain stops climbing for it. Staff other than the assignee only: the
// escalation is about the assignee being late, and it keeps climbing
// until someone above them acts (seed 004 F). It appends an acknowledged
// event. ECONFLICT when nothing is waiting for an acknowledgement;
// EFORBIDDEN (key "ack_own") for the assignee; ENOTFOUND/EFORBIDDEN as
// for Ticket.
//
// Chat channels call it from the Acknowledge button of an escalation ping
// (the outbox message's Event has Kind EventEscalation and Data.Clock).
func (s *Service) Acknowledge(ctx context.Context, actor *Person, number, clock string) (*Ticket, error) {
	clock = strings.TrimSpace(clock)
	if !actor.Handles() {
		return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may acknowledge escalations")
	}
	for attempt := 1; ; attempt++ {
		t, err := s.ticketFor(ctx, actor, number, false)
		if err != nil {
			return nil, err
		}
		clocks, err := s.store.Clocks(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		now := s.now()
		var acked []*Clock
		var changes []Change
		for _, c := range clocks {
			if !c.Breached() || !c.AckedAt.IsZero() || c.State == ClockStopped || (clock != "" && c.Name != clock) {
				continue
			}
			n := *c
			n.AckedAt, n.AckedBy, n.UpdatedAt = now, actor.ID, now
			n.Generation++
			acked = append(acked, &n)
			changes = append(changes, Change{Event: &Event{Kind: EventAcknowledged, ActorID: actor.ID, At: now,
				Body: n.Name, Data: EventData{Clock: n.Name, Due: n.DueAt, Step: n.Step}}})
		}
		if len(acked) == 0 {
			return nil, Keyed(ECONFLICT, "no_escalation", map[string]any{"Number": t.Number}, "ticket %s has no escalation waiting for an acknowledgement", t.Number)
		}
		if t.AssigneeID == actor.ID {
			return nil, Keyed(EFORBIDDEN, KeyAckOwn, map[string]any{"Number": t.Number},
				"ticket %s is yours: its escalation goes on until a team lead or manager acknowledges it", t.Number)
		}
		err = s.store.SaveClocks(ctx, t.ID, 0, acked, changes)
		if err == nil {
			s.changed(t)
			return t, nil
		}
		if ErrorCode(err) != ECONFLICT || attempt >= maxUpdateAttempts {
			return nil, err
		}
	}
}

// Clocks returns a ticket's SLA clocks, oldest first, to whoever may see
// the ticket (the same rules as Ticket: a reporter sees only their own
// ticket's clocks; ENOTFOUND for an unknown number). No clocks: SLA is off
// or the engine has not planned the ticket yet.
func (s *Service) Clocks(ctx context.Context, actor *Person, number string) (*Ticket, []*Clock, error) {
	t, err := s.Ticket(ctx, actor, number)
	if err != nil {
		return nil, nil, err
	}
	clocks, err := s.store.Clocks(ctx, t.ID)
	if err != nil {
		return nil, nil, err
	}
	return t, clocks, nil
}
