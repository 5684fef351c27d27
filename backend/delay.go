package backend

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// EventDelay is a delay explained to the reporter before the deadline
// passes (seed 002, 操作关键注意事项: "超时需提前向客户说明并报备主管"): Body
// is the reason, Data.Due the time the ticket is now expected to be
// solved by (zero: not given). Public; its outbox rows go to the reporter
// and to the direct managers (ExplainDelay).
const EventDelay EventKind = "delay"

// maxDelayReason bounds a delay's reason, in characters.
const maxDelayReason = 2000

// ExplainDelay tells the reporter of an open ticket that it will take
// longer, why, and (when expected is not zero) by when it should be
// solved, and reports it to the direct managers: the managers of the
// ticket's team, else the managers without a team (and to the assignee,
// when a manager explains it). Only the assignee and managers (and
// admins) may; the SLA clocks are unchanged (a late ticket is late
// however well it was explained).
func (s *Service) ExplainDelay(ctx context.Context, actor *Person, number, reason string, expected time.Time) (*Ticket, error) {
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return nil, Invalid("a reason is required", "reason", "the reason for the delay is required", Problem{Key: "delay_reason"})
	case n > maxDelayReason:
		return nil, Invalid("reason too long", "reason", "must be 1–2000 characters",
			Problem{Key: "length", Args: map[string]any{"Min": 1, "Max": maxDelayReason, "Got": n}})
	}
	if !expected.IsZero() && !expected.After(s.now()) {
		return nil, Invalid("expected_by is not in the future", "expected_by", "must be later than now", Problem{Key: "later"})
	}
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if !holdsOrManages(actor, t) {
			return nil, Keyed(EFORBIDDEN, "delay_who", map[string]any{"Number": t.Number},
				"only the assignee of %s and managers may explain its delay", t.Number)
		}
		if !t.Status.Open() {
			return nil, Keyed(ECONFLICT, "delay_closed", map[string]any{"Number": t.Number, "Status": t.Status},
				"ticket %s is %s: there is no delay to explain", t.Number, t.Status)
		}
		ev := &Event{Kind: EventDelay, ActorID: actor.ID, At: now, Public: true, Body: reason}
		if !expected.IsZero() {
			ev.Data.Due = expected.UTC().Truncate(time.Second)
		}
		notify := []*OutboxMessage{{Audience: AudienceReporter, RecipientID: t.ReporterID}}
		if t.AssigneeID != 0 && t.AssigneeID != actor.ID {
			// A manager spoke for the ticket: its assignee hears what
			// the reporter was told.
			notify = append(notify, &OutboxMessage{Audience: AudienceAssignee, RecipientID: t.AssigneeID})
		}
		managers, err := DirectManagers(ctx, s.store, t.TeamID)
		if err != nil {
			return nil, err
		}
		for _, id := range managers {
			if id != actor.ID && id != t.AssigneeID { // each hears it once
				notify = append(notify, &OutboxMessage{Audience: AudiencePerson, RecipientID: id})
			}
		}
		return []Change{{Event: ev, Notify: notify}}, nil
	})
}

// holdsOrManages reports whether actor is the assignee of t or a manager
// (or an admin): who speaks to the reporter for its handling (a delay, a
// plan).
func holdsOrManages(actor *Person, t *Ticket) bool {
	return actor.Handles() && (actor.SeesAll() || t.AssigneeID != 0 && t.AssigneeID == actor.ID)
}

// ManagerStore is what DirectManagers needs of a Store.
type ManagerStore interface {
	PeopleWithRole(ctx context.Context, r Role, teamID int64) ([]*Person, error)
}

// DirectManagers are the direct managers of a ticket of team teamID (0:
// none): the managers of that team, else the managers without a team
// (deactivated people hold no role).
func DirectManagers(ctx context.Context, st ManagerStore, teamID int64) ([]int64, error) {
	for _, team := range []int64{teamID, 0} {
		ps, err := st.PeopleWithRole(ctx, RoleManager, team)
		if err != nil {
			return nil, err
		}
		var ids []int64
		for _, p := range ps {
			if p.TeamID == team {
				ids = append(ids, p.ID)
			}
		}
		if len(ids) > 0 {
			return ids, nil
		}
		if team == 0 {
			break
		}
	}
	return nil, nil
}
