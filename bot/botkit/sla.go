package botkit

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
)

// SLA buttons: a channel shows them under an escalation ping (an outbox
// message whose Event.Kind is backend.EventEscalation and whose
// Event.Data.Step > 0) and maps them to
//   - SLAButtonAck → Service.Acknowledge(ctx, person, number, Event.Data.Clock)
//   - SLAButtonReassign → Service.Assign after picking someone
//   - SLAButtonOpen → a link to the ticket in the console (/console/tickets/{number})
//
// Their labels are the catalog keys "sla.button.ack", "sla.button.reassign"
// and "sla.button.open".
var stepRE = regexp.MustCompile(`step \d+: (\w+)`)

const (
	SLAButtonAck      = "ack"
	SLAButtonReassign = "reassign"
	SLAButtonOpen     = "open"
)

// IsEscalationPing reports whether an outbox message is an escalation step
// that should carry the SLA buttons.
func IsEscalationPing(m notify.Message) bool {
	return m.Event != nil && m.Event.Kind == backend.EventEscalation && m.Event.Data.Step > 0
}

// zone is where times are shown: the renderer's Location, else
// Asia/Shanghai.
func (r *Renderer) zone() *time.Location {
	if r.Location != nil {
		return r.Location
	}
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// slaNotice is the text of an SLA event: a warning, an escalation step, a
// seed 004 notice, a digest or a batch entry, or an acknowledgement.
func (r *Renderer) slaNotice(ctx context.Context, loc string, m notify.Message, data map[string]any) string {
	t, e := m.Ticket, m.Event
	data["Severity"] = r.Severity(loc, t.Severity)
	data["Clock"] = r.Cat.T(loc, "sla.clock."+e.Data.Clock, nil)
	data["Due"] = "—"
	if !e.Data.Due.IsZero() {
		data["Due"] = e.Data.Due.In(r.zone()).Format("2006-01-02 15:04")
	}
	data["Step"] = e.Data.Step
	switch e.Kind {
	case backend.EventAcknowledged:
		data["Who"] = r.name(ctx, e.ActorID)
		return r.Cat.T(loc, "sla.ack", data)
	case backend.EventClock:
		if strings.HasSuffix(e.Body, " warning") {
			if e.Data.Clock == "solve" && m.Outbox.Audience == backend.AudienceAssignee {
				// Seed 002: a ticket that will be late is explained to
				// the reporter before the deadline, by whoever holds it.
				return r.Cat.T(loc, "sla.warn.solve", data)
			}
			return r.Cat.T(loc, "sla.warn", data)
		}
		return r.Cat.T(loc, "sla.clock", data)
	}
	switch e.Data.Clock {
	case "notice_created":
		return r.Cat.T(loc, "sla.notice.created", data)
	case "notice_resolved":
		data["Solution"] = clip(t.Solution, 500)
		return r.Cat.T(loc, "sla.notice.resolved", data)
	case "digest":
		data["Assignee"] = r.Cat.T(loc, "card.nobody", nil)
		if t.AssigneeID != 0 {
			data["Assignee"] = r.name(ctx, t.AssigneeID)
		}
		// The staff's latest word of the day, after the first line
		// (sla.Engine's dayProgress); none asks for it.
		_, data["Progress"], _ = strings.Cut(e.Body, "\n")
		return r.Cat.T(loc, "sla.digest", data)
	case "batch":
		return r.Cat.T(loc, "sla.batch", data)
	}
	// "confirm breached; step 3: manager; told 王经理 (#5)"
	step := ""
	if m := stepRE.FindStringSubmatch(e.Body); m != nil {
		step = m[1]
	}
	data["StepName"] = r.Cat.T(loc, "sla.step."+step, nil)
	return r.Cat.T(loc, "sla.breach", data)
}
