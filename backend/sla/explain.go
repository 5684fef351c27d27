package sla

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// ExplainStore is what Explain reads.
type ExplainStore interface {
	Ticket(ctx context.Context, number string) (*backend.Ticket, error)
	Clocks(ctx context.Context, ticketID int64) ([]*backend.Clock, error)
	Events(ctx context.Context, ticketID int64) ([]*backend.Event, error)
	// Person names the people a warning went to.
	Person(ctx context.Context, id int64) (*backend.Person, error)
}

// names lists people as "王经理 (#5), 李总监 (#7)"; "#5" for one that
// cannot be read.
func names(ctx context.Context, s ExplainStore, ids []int64) string {
	var out []string
	for _, id := range ids {
		if p, err := s.Person(ctx, id); err == nil {
			out = append(out, fmt.Sprintf("%s (#%d)", p.Name, id))
		} else {
			out = append(out, fmt.Sprintf("#%d", id))
		}
	}
	return strings.Join(out, ", ")
}

// Explain prints every clock of a ticket (started, paused, due, breached,
// escalation step, acknowledgement) and the SLA history of its thread:
// each clock change, warning, escalation step and notice with who was told,
// each delay explained to the reporter (with the time it promised), and
// each delivery, with times in loc ("deskbot sla explain").
func Explain(ctx context.Context, s ExplainStore, number string, loc *time.Location, w io.Writer) error {
	t, err := s.Ticket(ctx, number)
	if err != nil {
		return err
	}
	clocks, err := s.Clocks(ctx, t.ID)
	if err != nil {
		return err
	}
	events, err := s.Events(ctx, t.ID)
	if err != nil {
		return err
	}
	ts := func(x time.Time) string {
		if x.IsZero() {
			return "-"
		}
		return x.In(loc).Format("2006-01-02 15:04:05")
	}
	fmt.Fprintf(w, "%s  %s  %s  created %s\n\n", t.Number, t.Severity, t.Status, ts(t.CreatedAt))
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "CLOCK\tRUN\tPOLICY\tSEV\tBUDGET\tSTATE\tSTARTED\tPAUSED\tDUE\tBREACHED\tSTEP\tACKED")
	for _, c := range clocks {
		budget := c.Budget.String() + " " + c.Unit
		acked := ts(c.AckedAt)
		if c.AckedBy != 0 {
			acked += fmt.Sprintf(" by #%d", c.AckedBy)
		}
		due := ts(c.DueAt)
		if c.State == backend.ClockStopped {
			due = "stopped " + ts(c.StoppedAt)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", c.Name, c.Run, c.PolicyVersion, c.Severity, budget,
			c.State, ts(c.StartedAt), ts(c.PausedAt), due, ts(c.BreachedAt), c.Step, acked)
	}
	if len(clocks) == 0 {
		fmt.Fprintln(tw, "(no clocks)")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nHISTORY")
	for _, e := range events {
		switch e.Kind {
		case backend.EventClock, backend.EventEscalation, backend.EventAcknowledged, backend.EventNotificationSent,
			backend.EventSeverityChanged, backend.EventStatusChanged, backend.EventAssigned, backend.EventMilestone, backend.EventDelay, backend.EventPlanned:
		default:
			continue
		}
		line := e.Body
		switch e.Kind {
		case backend.EventStatusChanged:
			line = fmt.Sprintf("%s → %s", e.Data.From, e.Data.To)
		case backend.EventSeverityChanged:
			line = fmt.Sprintf("%s → %s", e.Data.FromSeverity, e.Data.ToSeverity)
		case backend.EventAssigned:
			line = fmt.Sprintf("to #%d", e.Data.AssigneeID)
		case backend.EventAcknowledged:
			line = fmt.Sprintf("%s by #%d", e.Data.Clock, e.ActorID)
		case backend.EventMilestone:
			line = fmt.Sprintf("%s by #%d", e.Body, e.ActorID)
		case backend.EventEscalation:
			line = strings.ReplaceAll(line, "\n", ": ") // a digest's progress of the day
		case backend.EventDelay, backend.EventPlanned:
			line = fmt.Sprintf("by #%d: %s", e.ActorID, strings.Join(strings.Fields(e.Body), " "))
			if !e.Data.Due.IsZero() {
				line += " (expected by " + ts(e.Data.Due) + ")"
			}
		}
		if !e.Data.Due.IsZero() && e.Kind == backend.EventClock {
			line += " (due " + ts(e.Data.Due) + ")"
		}
		if e.Kind == backend.EventClock && len(e.Data.People) > 0 {
			// A warning to a clock's owner: escalations name their
			// people in the body, warnings only in Data.People.
			line += "; told " + names(ctx, s, e.Data.People)
		}
		fmt.Fprintf(w, "%s  %-17s  %s\n", ts(e.At), e.Kind, line)
	}
	return nil
}
