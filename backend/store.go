package backend

import (
	"context"
	"time"
)

// Store is what the Service needs from a database. Both backend/postgres and
// backend/sqlite implement it and pass storetest.Exercise.
//
// Every method is atomic. Methods return ENOTFOUND when a row is missing (never
// nil, nil), ECONFLICT on a unique violation or a stale Version, and
// EUNAVAILABLE when the database cannot be reached.
type Store interface {
	// CreatePerson stores p with its accounts and sets p.ID and p.CreatedAt.
	// ECONFLICT if one of its accounts is linked already.
	CreatePerson(ctx context.Context, p *Person) error
	// Person returns a person with its accounts. ENOTFOUND.
	Person(ctx context.Context, id int64) (*Person, error)
	// PersonByAccount finds the person linked to a chat account. ENOTFOUND.
	PersonByAccount(ctx context.Context, platform, userID string) (*Person, error)
	// UpdatePerson saves name, roles, team and locale. ENOTFOUND.
	UpdatePerson(ctx context.Context, p *Person) error
	// LinkAccount links a chat account to a person. ECONFLICT if it is linked
	// to someone else; linking it again to the same person updates ChatID.
	LinkAccount(ctx context.Context, personID int64, a ChatAccount) error
	// PeopleWithRole lists the people holding role r (for a team if
	// teamID != 0): deactivated people hold none.
	PeopleWithRole(ctx context.Context, r Role, teamID int64) ([]*Person, error)
	// SetDeactivated deactivates a person as of at, or reactivates them
	// when at is zero. ENOTFOUND.
	SetDeactivated(ctx context.Context, personID int64, at time.Time) error
	// DeactivatedPeople lists the deactivated people, in the order they
	// were created.
	DeactivatedPeople(ctx context.Context) ([]*Person, error)

	// CreateTeam stores t and sets t.ID. ECONFLICT on a duplicate name.
	CreateTeam(ctx context.Context, t *Team) error
	// Team returns a team. ENOTFOUND.
	Team(ctx context.Context, id int64) (*Team, error)
	// Teams lists every team by name.
	Teams(ctx context.Context) ([]*Team, error)
	// SetTeamLead makes person leadID the lead of team teamID (0: no
	// lead), the SLA chain's team_lead step and the related notice
	// target. ENOTFOUND for a missing team; EINVALID for a missing person.
	SetTeamLead(ctx context.Context, teamID, leadID int64) error
	// SetTeamChat makes chatID the team's own triage chat on platform
	// (Team.Chats); "" takes it away. Several teams may share a chat.
	// ENOTFOUND for a missing team; EINVALID for an empty platform.
	SetTeamChat(ctx context.Context, teamID int64, platform, chatID string) error
	// TeamsByChat lists the teams whose own chat on platform is chatID,
	// by name; empty when there are none.
	TeamsByChat(ctx context.Context, platform, chatID string) ([]*Team, error)

	// CreateTicket allocates the next number for (prefix, day), stores t and
	// its first changes in one transaction, and sets IDs, Number, Version
	// and the TicketID/EventID of every event and message. Numbers are
	// distinct and gap-free per prefix and day under concurrency.
	CreateTicket(ctx context.Context, t *Ticket, prefix string, day time.Time, changes []Change) error
	// Ticket returns a ticket by number. ENOTFOUND.
	Ticket(ctx context.Context, number string) (*Ticket, error)
	// TicketByRequest returns the ticket a reporter filed with a request id
	// (Ticket.RequestID, kept by CreateTicket; a second CreateTicket with
	// the same reporter and request id is ECONFLICT and writes nothing).
	// ENOTFOUND.
	TicketByRequest(ctx context.Context, reporterID int64, requestID string) (*Ticket, error)
	// TicketByID returns a ticket by ID. ENOTFOUND.
	TicketByID(ctx context.Context, id int64) (*Ticket, error)
	// Tickets lists tickets newest first, one page at a time.
	Tickets(ctx context.Context, f TicketFilter) (*TicketPage, error)
	// UpdateTicket saves t's fields and handling state if the stored Version
	// still equals t.Version, appends the changes, and bumps t.Version — all
	// in one transaction. ECONFLICT when someone else changed the ticket
	// first; then nothing is written.
	UpdateTicket(ctx context.Context, t *Ticket, changes []Change) error
	// Events returns a ticket's thread, oldest first.
	Events(ctx context.Context, ticketID int64) ([]*Event, error)
	// AttachmentsInUse reports which of the content hashes sums some
	// ticket's attachments name; the file store may remove the others
	// (the files of dialogs that were cancelled or abandoned).
	AttachmentsInUse(ctx context.Context, sums []string) (map[string]bool, error)

	// CreateIncident stores i and sets i.ID.
	CreateIncident(ctx context.Context, i *Incident) error
	// Incident returns an incident with its Reports. ENOTFOUND.
	Incident(ctx context.Context, id int64) (*Incident, error)
	// OpenIncidents returns up to limit incidents not resolved, newest
	// first, with their Reports.
	OpenIncidents(ctx context.Context, limit int) ([]*Incident, error)
	// ResolveIncident sets ResolvedAt. ENOTFOUND; ECONFLICT when it was
	// resolved already (then nothing changes).
	ResolveIncident(ctx context.Context, id int64, at time.Time) error
	// FollowIncident records that person joined the incident at `at` and
	// reports whether that is new: joining again changes nothing and
	// returns false. EINVALID for a missing incident or person.
	FollowIncident(ctx context.Context, incidentID, personID int64, at time.Time) (bool, error)
	// IncidentFollowers lists the people who joined the incident, in the
	// order they joined.
	IncidentFollowers(ctx context.Context, incidentID int64) ([]int64, error)
	// IncidentTickets lists the numbers of the tickets linked to the
	// incident, oldest first.
	IncidentTickets(ctx context.Context, incidentID int64) ([]string, error)

	// ClaimOutbox leases up to limit unsent messages that are due at now, the
	// oldest first and at most one per (ticket, audience, recipient) so that
	// a ticket's messages go out in order. A leased message is not returned
	// again until lease has passed; two callers never get the same message.
	ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*OutboxMessage, error)
	// MarkOutboxSent records delivery and appends a notification_sent event
	// with body note. Marking a sent message again is a no-op (ENOTFOUND
	// only if the message does not exist).
	MarkOutboxSent(ctx context.Context, id int64, at time.Time, note string) error
	// MarkOutboxRetry records a failed attempt; the message is due again at next.
	MarkOutboxRetry(ctx context.Context, id int64, next time.Time, lastErr string) error
	// DeferOutbox makes the message due again at next without counting an
	// attempt: the platform asked to wait, or the process is stopping.
	DeferOutbox(ctx context.Context, id int64, next time.Time, note string) error

	// CreateAPIToken stores a token hash for a person and sets tok.ID.
	CreateAPIToken(ctx context.Context, tok *APIToken) error
	// APITokenByHash finds a token by the hash of its secret, revoked or
	// not. ENOTFOUND.
	APITokenByHash(ctx context.Context, hash []byte) (*APIToken, error)
	// APITokens lists every token, revoked ones too, oldest first.
	APITokens(ctx context.Context) ([]*APIToken, error)
	// RevokeAPIToken marks a token revoked at at; a revoked token stays
	// revoked as of the first time. ENOTFOUND.
	RevokeAPIToken(ctx context.Context, id int64, at time.Time) error

	// SeenKey records key until now+ttl and reports whether it was new:
	// the first caller gets true, every other caller until the key expires
	// gets false, also under concurrency and across processes. Channels
	// use it to handle a delivered update once.
	SeenKey(ctx context.Context, key string, now time.Time, ttl time.Duration) (first bool, err error)

	// SaveChatMessage remembers a message a channel sent about a ticket
	// and sets m.CreatedAt if zero. Saving the same (platform, chat,
	// message) again replaces it. ECONFLICT when m.OutboxID was recorded
	// for another message already.
	SaveChatMessage(ctx context.Context, m *ChatMessage) error
	// ChatMessage finds a remembered message. ENOTFOUND.
	ChatMessage(ctx context.Context, platform, chatID, messageID string) (*ChatMessage, error)
	// ChatMessagesOf lists a ticket's remembered messages of one platform
	// and kind, oldest first.
	ChatMessagesOf(ctx context.Context, ticketID int64, platform, kind string) ([]*ChatMessage, error)
	// ChatMessageForOutbox finds the message that delivered an outbox
	// message on a platform. ENOTFOUND when it was not delivered there.
	ChatMessageForOutbox(ctx context.Context, platform string, outboxID int64) (*ChatMessage, error)

	// CreateInvite stores an invite (its code only as a hash) and sets inv.ID.
	CreateInvite(ctx context.Context, inv *Invite) error
	// UseInvite marks the invite with the code hash as used by personID
	// at now and returns it. ENOTFOUND for an unknown hash; ECONFLICT when
	// it was used already or has expired (then nothing changes). Of two
	// concurrent callers at most one succeeds.
	UseInvite(ctx context.Context, hash []byte, personID int64, now time.Time) (*Invite, error)

	// SetLogin creates or replaces the web console login of l.PersonID and
	// sets l.UpdatedAt if zero. ENOTFOUND if the person does not exist;
	// ECONFLICT if l.Name is another person's login.
	SetLogin(ctx context.Context, l *Login) error
	// LoginByName finds a console login by its name. ENOTFOUND.
	LoginByName(ctx context.Context, name string) (*Login, error)
	// LoginOf returns a person's console login. ENOTFOUND.
	LoginOf(ctx context.Context, personID int64) (*Login, error)
	// CreateMagicLink stores a one-time sign-in link (its secret only as a
	// hash), sets m.ID and m.CreatedAt if zero. EINVALID for a missing person.
	CreateMagicLink(ctx context.Context, m *MagicLink) error
	// UseMagicLink marks the link with that hash used at `at` and returns
	// it. ENOTFOUND for an unknown hash; ECONFLICT when it was used already
	// or expired (ExpiresAt not after at), and then nothing changes. Of two
	// concurrent callers at most one succeeds.
	UseMagicLink(ctx context.Context, hash []byte, at time.Time) (*MagicLink, error)
	// Secret returns the server secret called name, storing value as it
	// first when there is none; every caller, in every process, gets the
	// same bytes (the web cookie-signing key).
	Secret(ctx context.Context, name string, value []byte) ([]byte, error)

	// Clocks returns a ticket's SLA clocks, oldest first. ENOTFOUND for a
	// missing ticket.
	Clocks(ctx context.Context, ticketID int64) ([]*Clock, error)
	// SaveClocks writes a ticket's clocks and appends changes in one
	// transaction, and records that the clocks follow the ticket as of
	// version. A clock with ID 0 is inserted (ID set; ECONFLICT when the
	// ticket has that Name and Run already); any other is updated only if
	// the stored Generation is c.Generation-1, else ECONFLICT and nothing
	// is written. ENOTFOUND for a missing ticket.
	SaveClocks(ctx context.Context, ticketID, version int64, clocks []*Clock, changes []Change) error
	// RecordOnce appends changes to a ticket under an idempotency key: the
	// first call with key writes them and returns true; every later call,
	// also concurrent and from other processes, writes nothing and returns
	// false (escalation steps are sent exactly once).
	RecordOnce(ctx context.Context, key string, ticketID int64, changes []Change) (bool, error)
	// UnsyncedTickets returns up to limit tickets whose clocks were never
	// saved or were saved for an older Version, by ID (after a crash
	// between a ticket change and its clock update): open tickets, and
	// resolved ones changed at or after resolvedSince whose clocks were
	// saved before (their report and review clocks still run; a resolved
	// ticket never planned gets no late notices).
	UnsyncedTickets(ctx context.Context, resolvedSince time.Time, limit int) ([]int64, error)
	// LiveClocks returns up to limit running clocks with ID > after, by ID
	// (to re-arm timers at start-up).
	LiveClocks(ctx context.Context, after int64, limit int) ([]*Clock, error)

	// FollowUp returns a follow-up with its ticket's Number. ENOTFOUND.
	FollowUp(ctx context.Context, id int64) (*FollowUp, error)
	// FollowUps lists the follow-ups that match f, newest (highest ID)
	// first, each with its ticket's Number, one page at a time.
	FollowUps(ctx context.Context, f FollowUpFilter) (*FollowUpPage, error)

	// ReportData reads what a report needs of the span [f.From, f.Before)
	// for team f.TeamID (0: every ticket): the tickets created or last
	// resolved in it, by ID; the satisfaction ratings given in it; the SLA
	// clock runs started in it, tallied by clock name (by name); and the
	// factors of the surveys recorded in it; and the complaints filed
	// before its end and not resolved before its start, by ID, with
	// their tasks (by ID) and closing records. Ratings, clocks, surveys
	// and complaints count by their ticket's team.
	ReportData(ctx context.Context, f ReportFilter) (*ReportData, error)
	// ReportRatings counts, for each filter, the satisfaction ratings
	// given in its span for its team, as ReportData does, all in one
	// snapshot: the trend of several periods.
	ReportRatings(ctx context.Context, fs []ReportFilter) ([]map[Satisfaction]int, error)

	// The knowledge base (kb.go).
	KBStore
	// Report subscriptions and deliveries (reportsub.go).
	ReportStore
	// Complaint tasks and closing records (complaint.go).
	ComplaintStore
	ProgressStore
	// The customer directory (customer.go).
	CustomerStore

	// Ping checks that the database answers (readiness).
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Change is one event to append to a ticket's thread together with the
// outbox messages it causes; a store writes both in the same transaction.
//
// FollowUp, when set, is written in that transaction too: a FollowUp with
// ID 0 is opened for the event (the store sets its ID, EventID = the
// event's ID, TicketID, CreatedAt and UpdatedAt; ECONFLICT when the event
// has one already), any other is saved (ENOTFOUND unless it is a follow-up
// of the same ticket; EventID and CreatedAt are kept as stored). Writers
// change follow-ups through UpdateTicket, whose version check keeps two
// writers of one ticket's follow-up apart. CreateTicket refuses changes
// with a FollowUp (EINVALID): a new ticket has no rating to follow up.
//
// Task, when set, is written in that transaction too: a Task with ID 0 is
// inserted before the event (the store sets its ID, TicketID and, if zero,
// CreatedAt, and the event's Data.TaskID), any other is saved (ENOTFOUND
// unless it is a task of the same ticket; TicketID, CreatedBy and
// CreatedAt are kept as stored). Complaint, when set, replaces the
// ticket's closing record. CreateTicket refuses both (EINVALID).
type Change struct {
	Event     *Event
	Notify    []*OutboxMessage
	FollowUp  *FollowUp
	Task      *Task
	Complaint *ComplaintRecord
}
