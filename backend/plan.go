package backend

import (
	"context"
	"strings"
	"time"
)

// Suggestions taken into the product backlog (seed 002, 第四步: 建议类:
// 分析价值→纳入需求池→反馈规划进度; its example ticket stays 处理中 with
// "纳入Q4需求池,规划中"). A suggestion (or any P4, seed 002's 长期规划类需求)
// whose value its handler judged is planned: the reporter is told the
// plan ("已纳入下季度规划"), the ticket stays in progress until the plan is
// delivered and it is resolved, and the SLA solve clock, which measures
// handling, not a roadmap, stops (the default policy's solve clock stops
// on MilestonePlanned).

// EventPlanned is a ticket taken into the backlog: Body is the plan (纳入
// Q4 需求池，预计 12 月上线), Data.Due when it is expected (zero: not
// given). Public: the reporter is told. Planning again tells the new plan.
const EventPlanned EventKind = "planned"

// MilestonePlanned is recorded with each EventPlanned by PlanTicket
// itself; SLA clocks may stop on it (the default solve clock stops on it
// until the ticket is reopened).
const MilestonePlanned Milestone = "planned"

// maxPlan bounds a plan's text, in characters.
const maxPlan = 500

// Plannable reports whether t may be taken into the backlog: an open
// suggestion, or an open P4.
func (t *Ticket) Plannable() bool {
	return t.Status.Open() && (t.Form == FormSuggestion || t.Severity == P4)
}

// PlanTicket takes a suggestion (or a P4) into the backlog with plan, the
// reporter's answer ("已纳入 Q4 需求池"), and when it is expected (zero:
// not said): the reporter is told, and the assignee when a manager
// planned it. A ticket not in progress yet moves to in progress (its
// holder's own start, as Transition). Only its assignee and managers may;
// EINVALID for a plan of other than 2–500 characters or an expected time
// not in the future; ECONFLICT for a ticket of another kind, a closed one
// or one nobody holds.
func (s *Service) PlanTicket(ctx context.Context, actor *Person, number, plan string, expected time.Time) (*Ticket, error) {
	plan = strings.TrimSpace(plan)
	var fe fieldErrors
	checkText(&fe, "plan", plan, 2, maxPlan)
	if !expected.IsZero() && !expected.After(s.now()) {
		fe.add("expected_by", Problem{Key: "later"}, "must be later than now")
	}
	if err := fe.err("plan"); err != nil {
		return nil, err
	}
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if !holdsOrManages(actor, t) {
			return nil, Keyed(EFORBIDDEN, "plan_who", map[string]any{"Number": t.Number},
				"only the assignee of %s and managers may plan it", t.Number)
		}
		switch {
		case !t.Status.Open():
			return nil, Keyed(ECONFLICT, "plan_closed", map[string]any{"Number": t.Number, "Status": t.Status},
				"ticket %s is %s", t.Number, t.Status)
		case !t.Plannable():
			return nil, Keyed(ECONFLICT, "plan_kind", map[string]any{"Number": t.Number},
				"only suggestions and P4 tickets are taken into the backlog; %s is neither", t.Number)
		case t.AssigneeID == 0:
			return nil, Keyed(ECONFLICT, "plan_unclaimed", map[string]any{"Number": t.Number},
				"nobody holds %s: claim or assign it first", t.Number)
		}
		var changes []Change
		if t.Status != StatusInProgress {
			// A ticket dispatched to someone else who has not accepted
			// it is refused there (ECONFLICT "dispatched").
			start, err := s.transition(ctx, actor, t, now, StatusInProgress, "")
			if err != nil {
				return nil, err
			}
			changes = start
		}
		ev := &Event{Kind: EventPlanned, ActorID: actor.ID, At: now, Public: true, Body: plan}
		if !expected.IsZero() {
			ev.Data.Due = expected.UTC().Truncate(time.Second)
		}
		notify := []*OutboxMessage{{Audience: AudienceReporter, RecipientID: t.ReporterID}}
		if t.AssigneeID != actor.ID {
			notify = append(notify, &OutboxMessage{Audience: AudienceAssignee, RecipientID: t.AssigneeID})
		}
		milestone := &Event{Kind: EventMilestone, ActorID: actor.ID, At: now, Body: string(MilestonePlanned)}
		return append(changes, Change{Event: ev, Notify: notify}, Change{Event: milestone}), nil
	})
}
