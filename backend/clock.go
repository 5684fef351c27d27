package backend

import "time"

// SLA events (backend/sla writes them; they are part of the thread and the
// audit log like every other event).
const (
	// EventClock records a clock change: started, paused, resumed, stopped,
	// re-planned, warned or breached. Data.Clock names it, Data.Due is the
	// deadline after the change, Body says what happened.
	EventClock EventKind = "sla_clock"
	// EventEscalation is a ping up the escalation chain (or a seed 004 §4
	// notice, digest or batch); its outbox rows are AudiencePerson.
	// Data.Clock and Data.Step say which clock and step.
	EventEscalation EventKind = "escalation"
	// EventAcknowledged records that someone acknowledged an escalation;
	// the chain stops climbing for that clock.
	EventAcknowledged EventKind = "acknowledged"
)

// ClockState is where an SLA clock stands.
type ClockState string

const (
	ClockRunning ClockState = "running"
	ClockPaused  ClockState = "paused"  // e.g. while waiting for the reporter
	ClockStopped ClockState = "stopped" // its condition was met (or the ticket closed)
)

// Clock is one SLA deadline of a ticket (DESIGN §4): for example "confirm
// within 2 business hours". A clock runs, pauses and stops as the ticket's
// status changes; a run that stopped and starts again is a new Clock with
// the next Run. Times are UTC.
type Clock struct {
	ID            int64
	TicketID      int64
	Name          string // confirm, first_handling, solve, …
	Run           int    // 1 for the first run of Name on the ticket
	PolicyVersion string // the policy it was planned with; policy changes apply to new tickets only
	Severity      Severity
	Unit          string        // "business" (work calendar) or "calendar"
	Budget        time.Duration // time allowed, in Unit
	State         ClockState
	StartedAt     time.Time
	RunningSince  time.Time     // start of the current running stretch; zero unless running
	Used          time.Duration // time counted before RunningSince, in Unit
	UsedOther     time.Duration // the same time in the other unit, for a re-plan that changes the unit; -1: unknown (saved before it was kept)
	WarnAt        time.Time     // zero unless running
	DueAt         time.Time     // zero unless running
	PausedAt      time.Time
	StoppedAt     time.Time
	WarnedAt      time.Time // the 80% warning was written
	BreachedAt    time.Time // the deadline passed while it ran
	Step          int       // escalation steps written after the breach
	AckedAt       time.Time
	AckedBy       int64
	// Generation is bumped by every save; timers carry it and do nothing
	// when the clock has moved on. SaveClocks checks it.
	Generation int64
	UpdatedAt  time.Time
}

// Breached reports whether the deadline passed while the clock ran.
func (c *Clock) Breached() bool { return !c.BreachedAt.IsZero() }
