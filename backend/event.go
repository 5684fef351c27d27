package backend

import (
	"strconv"
	"time"
)

// EventKind says what happened to a ticket.
type EventKind string

const (
	EventCreated          EventKind = "created"
	EventComment          EventKind = "comment"           // Body; Public says whether the reporter sees it
	EventStatusChanged    EventKind = "status_changed"    // From, To, Body (reason or solution)
	EventAssigned         EventKind = "assigned"          // AssigneeID, TeamID
	EventReturned         EventKind = "returned"          // Body is the reason
	EventAttachment       EventKind = "attachment"        // Attachment
	EventIncidentLinked   EventKind = "incident_linked"   // IncidentID
	EventSatisfaction     EventKind = "satisfaction"      // Satisfaction, Body
	EventSeverityChanged  EventKind = "severity_changed"  // FromSeverity, ToSeverity
	EventNotificationSent EventKind = "notification_sent" // Body: channel and recipient
	EventIncidentUpdate   EventKind = "incident_update"   // IncidentID, IncidentTitle, IncidentResolved; Body (incident.go)
	EventTransferred      EventKind = "transferred"       // TeamID, TeamName (to), FromTeamID, FromTeamName, AssigneeID (who held it); Body is the reason (Service.Transfer)
	EventProgress         EventKind = "progress"          // To (the status then), AssigneeID (0: nobody), QuietHours (progress.go)
	// EventFollowUp (followup.go) is a step of a dissatisfaction follow-up.
)

// Event is one append-only entry of a ticket's thread, which is both what
// people read and the audit log.
type Event struct {
	ID       int64
	TicketID int64
	Kind     EventKind
	ActorID  int64 // 0: the system
	At       time.Time
	Public   bool // shown to the reporter
	Body     string
	Data     EventData
}

// EventData holds the kind-specific details of an event.
type EventData struct {
	From       Status `json:"from,omitempty"`
	To         Status `json:"to,omitempty"`
	AssigneeID int64  `json:"assignee_id,omitempty"`
	TeamID     int64  `json:"team_id,omitempty"`
	FromTeamID int64  `json:"from_team_id,omitempty"` // transferred: the team it left (0: none)
	// QuietHours: a progress note's hours without news to the reporter.
	QuietHours int `json:"quiet_hours,omitempty"`
	// TeamName and FromTeamName: a transfer's teams as they were named
	// then (the thread reads the same when a team is renamed or gone).
	TeamName     string       `json:"team_name,omitempty"`
	FromTeamName string       `json:"from_team_name,omitempty"`
	IncidentID   int64        `json:"incident_id,omitempty"`
	Satisfaction Satisfaction `json:"satisfaction,omitempty"`
	FromSeverity Severity     `json:"from_severity,omitempty"`
	ToSeverity   Severity     `json:"to_severity,omitempty"`
	Attachment   *Attachment  `json:"attachment,omitempty"`
	Clock        string       `json:"clock,omitempty"`  // SLA clock name (sla_clock, escalation, acknowledged)
	Due          time.Time    `json:"due,omitzero"`     // the clock's deadline
	Step         int          `json:"step,omitempty"`   // escalation step
	People       []int64      `json:"people,omitempty"` // escalation: the people it was sent to
	FollowUpID   int64        `json:"follow_up_id,omitempty"`
	FollowUpStep string       `json:"follow_up_step,omitempty"` // a FollowUpMark, StepSurveyed, StepCalled, StepUrged, StepSurveyDue or StepCallbackDue
	// WindowFrom: a follow-up reminder's window opens (Due: it closes).
	WindowFrom time.Time `json:"window_from,omitzero"`
	Factors    []Factor  `json:"factors,omitempty"` // a survey's dissatisfaction factors
	Solved     bool      `json:"solved,omitempty"`  // a survey found the problem solved
	Outcome    Outcome   `json:"outcome,omitempty"` // a callback's outcome
	// IncidentTitle and IncidentResolved: an incident's update (its
	// title as it was, and whether the update resolved it).
	IncidentTitle    string `json:"incident_title,omitempty"`
	IncidentResolved bool   `json:"incident_resolved,omitempty"`
	// A complaint's task (EventTask, complaint.go): which, the step, and
	// how many of the complaint's tasks are open after it.
	TaskID    int64    `json:"task_id,omitempty"`
	TaskStep  string   `json:"task_step,omitempty"`
	TaskKind  TaskKind `json:"task_kind,omitempty"` // set for a consultation (TaskConsult), with TeamID and TeamName
	TasksLeft int      `json:"tasks_left,omitempty"`
	// Step of a complaint's closing record (EventComplaint).
	RecordStep string `json:"record_step,omitempty"`
}

// Audience is who an outbox message is for.
type Audience string

const (
	AudienceReporter Audience = "reporter" // the ticket's reporter, in their chat and language
	AudienceAssignee Audience = "assignee" // the ticket's assignee
	AudienceTriage   Audience = "triage"   // the assistants' triage chat(s)
	AudiencePerson   Audience = "person"   // a named person (escalations)
	AudienceSource   Audience = "source"   // the group chat the report came from (Ticket.Source): Platform and Chat set
	// AudienceWebhook is the outbound webhook (WEBHOOK_URL): a store with
	// webhooks on gives every event it writes one such row.
	AudienceWebhook Audience = "webhook"
)

// OutboxMessage is a notification that must reach someone because of an
// event. It is written in the same transaction as the event, so a crash
// between commit and send loses nothing; senders claim, deliver and mark it.
type OutboxMessage struct {
	ID          int64
	TicketID    int64
	EventID     int64
	Audience    Audience
	RecipientID int64 // the person for reporter/assignee/person audiences; 0 for triage
	// Platform, when set, is the one platform to deliver on: for the triage
	// audience, whose triage chat gets it (one row per triage platform, so
	// each chat gets every card exactly once); for a person, which of their
	// accounts to use. Empty: the dispatcher chooses.
	Platform string
	// Chat, for the triage audience, is the chat on Platform that gets
	// the message: a team's own chat (Team.Chats). Empty: the platform's
	// triage chat.
	Chat        string
	Attempts    int
	NextAttempt time.Time
	SentAt      time.Time // zero until delivered
	LastError   string
	CreatedAt   time.Time
}

// Key identifies the message for idempotent delivery.
func (m *OutboxMessage) Key() string { return "outbox-" + strconv.FormatInt(m.ID, 10) }
