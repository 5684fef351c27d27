package backend

import (
	"context"
	"slices"
	"time"
)

// EventMilestone records a step of seed 004's handling that no status
// marks: Body is the Milestone. SLA clocks start and stop on them
// (policy start_on / stop_on).
const EventMilestone EventKind = "sla_milestone"

// Milestone is a step of seed 004 §3.1 recorded on a ticket.
type Milestone string

const (
	// MilestoneResourceRequested: the assignee asked the direct manager
	// for resources (seed 004 D); the supervisor clock starts.
	MilestoneResourceRequested Milestone = "resource_requested"
	// MilestoneResourcesArranged: the supervisor arranged resources or
	// escalated the request (seed 004 E–G); the supervisor clock stops.
	MilestoneResourcesArranged Milestone = "resources_arranged"
	// MilestoneReportSubmitted: the external solution report went to the
	// direct manager (seed 004 K); the review clock starts.
	MilestoneReportSubmitted Milestone = "report_submitted"
	// MilestoneReportReviewed: the manager reviewed it (seed 004 L); the
	// review clock stops.
	MilestoneReportReviewed Milestone = "report_reviewed"
)

// MilestoneAccepted: the person holding the ticket confirmed they take it
// (seed 002 确认接收): they claimed it themselves, accepted it after
// someone dispatched it to them (Service.Accept), or started work on it.
// The service records it together with Ticket.AcceptedAt; it is not one
// of Milestones, which people record by hand. The confirm clock stops on
// it.
const MilestoneAccepted Milestone = "accepted"

// Milestones lists every milestone staff record by hand
// (RecordMilestone), in the order of seed 004's flow.
var Milestones = []Milestone{MilestoneResourceRequested, MilestoneResourcesArranged, MilestoneReportSubmitted, MilestoneReportReviewed}

// Valid reports whether m is a milestone staff may record by hand.
func (m Milestone) Valid() bool { return slices.Contains(Milestones, m) }

// Known reports whether m is a milestone an SLA policy may name in
// start_on and stop_on: one of Milestones, MilestoneAccepted or
// MilestonePlanned.
func (m Milestone) Known() bool { return m.Valid() || m == MilestoneAccepted || m == MilestonePlanned }

// RecordMilestone appends a milestone event to a ticket (staff only) and
// bumps its version, so the SLA clocks follow. EINVALID for an unknown
// milestone; ENOTFOUND/EFORBIDDEN as for Ticket.
func (s *Service) RecordMilestone(ctx context.Context, actor *Person, number string, m Milestone) (*Ticket, error) {
	if !m.Valid() {
		return nil, Invalid("unknown milestone", "milestone", "unknown milestone "+string(m), Problem{Key: "unknown", Args: map[string]any{"Value": string(m)}})
	}
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if !actor.Handles() {
			return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may record milestones")
		}
		return []Change{{Event: &Event{Kind: EventMilestone, ActorID: actor.ID, At: now, Body: string(m)}}}, nil
	})
}

// RecordedMilestones are the milestones among a ticket's events.
func RecordedMilestones(events []*Event) map[Milestone]bool {
	recorded := map[Milestone]bool{}
	for _, e := range events {
		if e.Kind == EventMilestone {
			recorded[Milestone(e.Body)] = true
		}
	}
	return recorded
}
