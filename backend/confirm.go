package backend

import (
	"context"
	"strings"
	"time"
)

// EventConfirmation is the reporter's answer to a ticket pending their
// confirmation: Data.Solved, and Body their note.
const EventConfirmation EventKind = "confirmation"

// ConfirmSolution records the reporter's answer to a ticket that is
// pending their confirmation (seed 002 待客户确认: the solution is out and
// the customer's word is needed). Solved resolves the ticket with the
// solution that was put to them, and the reporter is asked to rate it as
// after any resolution; not solved puts it back in progress. Either way the
// assignee and the triage chats hear the answer, with the note.
//
// Reporter only (EFORBIDDEN "confirm_reporter_only"); ECONFLICT "not_pending" when
// the ticket is not pending confirmation (answered already, or moved on).
func (s *Service) ConfirmSolution(ctx context.Context, actor *Person, number string, solved bool, note string) (*Ticket, error) {
	note = strings.TrimSpace(note)
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if t.ReporterID != actor.ID {
			return nil, Keyed(EFORBIDDEN, "confirm_reporter_only", nil, "only the reporter may confirm the solution")
		}
		if t.Status != StatusPendingConfirmation {
			return nil, Keyed(ECONFLICT, "not_pending", map[string]any{"Number": t.Number, "Status": t.Status},
				"ticket %s is %s, not pending confirmation", t.Number, t.Status)
		}
		staff, err := s.staffAudience(ctx, t)
		if err != nil {
			return nil, err
		}
		ev := &Event{Kind: EventConfirmation, ActorID: actor.ID, At: now, Public: true, Body: note, Data: EventData{Solved: solved}}
		changes := []Change{{Event: ev, Notify: staff}}
		if !solved {
			// They hear nothing more: their answer was theirs.
			return append(changes, statusChange(t, actor, now, StatusInProgress, "", false)), nil
		}
		events, err := s.store.Events(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		t.Solution = proposedSolution(t, events)
		// The resolution notice asks them to rate it, as any does.
		return append(changes, statusChange(t, actor, now, StatusResolved, t.Solution, true)), nil
	})
}

// proposedSolution is the solution put to t's reporter, from its thread:
// the note of its latest move to pending confirmation, or the latest reply
// staff sent them, whichever came last; "" when there is neither.
func proposedSolution(t *Ticket, events []*Event) string {
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		switch {
		case e.Body == "":
		case e.Kind == EventStatusChanged && e.Data.To == StatusPendingConfirmation:
			return e.Body
		case e.Kind == EventComment && e.Public && e.ActorID != t.ReporterID && e.ActorID != 0:
			return e.Body
		}
	}
	return ""
}
