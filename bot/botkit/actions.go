package botkit

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// InternalPrefix starts a staff message under a card that stays internal
// (a note on the ticket, not a reply to the reporter), in every chat.
const InternalPrefix = "//"

// TextActions are the statuses a card's status menu cannot move to
// without a text, and the action (Act) that asks for it: the solution,
// the reason, the question, or the solution proposed to the reporter, who
// is then asked to confirm it (seed 002 待客户确认).
var TextActions = map[backend.Status]string{
	backend.StatusResolved: "resolve", backend.StatusReturned: "return",
	backend.StatusWaitingReporter: "ask", backend.StatusPendingConfirmation: "propose",
}

// NeedsText reports whether a card's button asks for a text before it
// acts (Act): a reason, a question, a solution, what a ticket duplicates,
// an incident's update or solution, why the ticket will be late, or the
// plan of a suggestion taken into the backlog.
func NeedsText(action string) bool {
	switch action {
	case "ask", "return", "resolve", "dup", "incident", "incident_resolve", "delay", "plan":
		return true
	}
	return false
}

// Act applies a card's staff action that needs a text, once the text is
// in: return, ask, resolve, propose (待客户确认), delay (why the ticket
// will be late, told to the reporter and the managers; seed 002), plan
// (a suggestion taken into the backlog, the plan told to the reporter;
// seed 002 纳入需求池),
// transfer=<team id>, consult=<team id> (the text is what that team is
// asked; seed 002 跨部门协作), dup
// (the text names what the ticket duplicates: another ticket, INC-n, or
// a new incident's title), incident (an update to every reporter of the
// ticket's incident) or incident_resolve (its solution, which resolves
// every ticket linked to it).
func Act(ctx context.Context, svc *backend.Service, p *backend.Person, number, action, text string) (*backend.Ticket, error) {
	switch action {
	case "dup":
		return svc.LinkDuplicate(ctx, p, number, text)
	case "incident", "incident_resolve":
		if _, err := svc.UpdateTicketIncident(ctx, p, number, text, action == "incident_resolve"); err != nil {
			return nil, err
		}
		return svc.Ticket(ctx, p, number)
	case "return":
		return svc.Return(ctx, p, number, text)
	case "ask":
		return svc.Ask(ctx, p, number, text)
	case "resolve":
		return svc.Resolve(ctx, p, number, text)
	case "propose":
		return svc.Transition(ctx, p, number, backend.StatusPendingConfirmation, text)
	case "delay":
		return svc.ExplainDelay(ctx, p, number, text, time.Time{})
	case "plan":
		return svc.PlanTicket(ctx, p, number, text, time.Time{})
	}
	if team, ok := strings.CutPrefix(action, "consult="); ok {
		id, err := strconv.ParseInt(team, 10, 64)
		if err != nil {
			return nil, backend.Errorf(backend.EINVALID, "bad team %q", team)
		}
		if _, err := svc.Consult(ctx, p, number, backend.NewConsult{TeamID: id, Question: text}); err != nil {
			return nil, err
		}
		return svc.Ticket(ctx, p, number)
	}
	if team, ok := strings.CutPrefix(action, "transfer="); ok {
		id, err := strconv.ParseInt(team, 10, 64)
		if err != nil {
			return nil, backend.Errorf(backend.EINVALID, "bad team %q", team)
		}
		return svc.Transfer(ctx, p, number, id, text)
	}
	return nil, backend.Errorf(backend.EINVALID, "unknown action %q", action)
}
