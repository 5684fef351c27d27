package backend

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"
)

// ServiceConfig holds the Service's collaborators and settings.
type ServiceConfig struct {
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Location is the zone ticket numbers are dated in. Default Asia/Shanghai.
	Location *time.Location
	// Route picks the team for a new ticket from its form and category
	// path; 0 leaves it unrouted (visible to every assistant). Default:
	// everything unrouted.
	Route func(form string, categoryPath []string) int64
	// TriagePlatforms are the platforms whose triage chats get new and
	// returned tickets; each gets its own outbox row, so each chat gets
	// every card exactly once. Empty: one row, delivered to the first
	// triage chat the dispatcher knows.
	TriagePlatforms []string
	// NoTriage says no chat has a triage chat: new and returned tickets
	// are seen in the console's queues only, and no triage rows are
	// written (they could never be delivered) — but for the teams' own
	// chats (TeamChatPlatforms).
	NoTriage bool
	// TeamChatPlatforms are the platforms that post to the teams' own
	// chats (Team.Chats, DESIGN §11: a triage chat per team), those whose
	// channel is on. On each of them, what the triage chat hears about a
	// ticket goes to its team's chat there, when the team has one, instead
	// of the platform's triage chat (TriageAudience). A team's chat on a
	// platform not listed is ignored. Default: none.
	TeamChatPlatforms []string
	// AcceptBy, if set, returns when the person a ticket is dispatched to
	// at `at` must accept it (the SLA's confirm deadline, seed 002); the
	// assignment's event carries it (Data.Due), so their notice says it.
	// Zero: no deadline. Default: none.
	AcceptBy func(ctx context.Context, t *Ticket, at time.Time) time.Time
	// Watchers, if set, returns the people told of a complaint's plan and
	// of each task's result besides those who take part (seed 001: the
	// plan and its deadlines go to staff named beforehand, and a task done
	// is told to the sales manager): the SLA policy's notify.forms targets
	// of t's form. Default: nobody. An error fails the change that asked
	// (cmd/deskbot's logs its own and answers nobody, so that a task is
	// never held up by who watches it).
	Watchers func(ctx context.Context, t *Ticket) ([]int64, error)
	// Changed, if set, is called after every committed change to a ticket,
	// so that outbox senders and live pages can wake up at once instead of
	// polling. It must not block.
	Changed func(t *Ticket)
}

// defaultLocation is Asia/Shanghai, or China Standard Time where the
// zone data is missing.
func defaultLocation() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Service applies deskbot's business rules and permissions on top of a Store.
// Every method takes the acting person; the role checks live here, whatever
// the channel the request came from.
type Service struct {
	store    Store
	cfg      ServiceConfig
	reminded remindedMemo // RemindFollowUps
}

// NewService returns a Service on store.
func NewService(store Store, cfg ServiceConfig) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = defaultLocation()
	}
	return &Service{store: store, cfg: cfg}
}

// Store returns the underlying store (for senders and admin commands).
func (s *Service) Store() Store { return s.store }

// Location returns the service's time zone.
func (s *Service) Location() *time.Location { return s.cfg.Location }

// Now is the service's clock, as it stamps changes and validates tickets.
func (s *Service) Now() time.Time { return s.now() }

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// maxUpdateAttempts bounds the re-reads after a concurrent change.
const maxUpdateAttempts = 5

// ReporterFor returns the person linked to a chat account, creating a
// reporter on first contact. EFORBIDDEN (key "deactivated") for a person
// an admin deactivated: they can no longer file or follow tickets.
func (s *Service) ReporterFor(ctx context.Context, acct ChatAccount, name, locale string) (*Person, error) {
	p, err := s.store.PersonByAccount(ctx, acct.Platform, acct.UserID)
	if err == nil {
		if !p.Active() {
			return nil, errDeactivated(p)
		}
		if acct.ChatID != "" && !hasAccount(p, acct) {
			if err := s.store.LinkAccount(ctx, p.ID, acct); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	if ErrorCode(err) != ENOTFOUND {
		return nil, err
	}
	if strings.TrimSpace(name) == "" {
		name = acct.Platform + ":" + acct.UserID
	}
	p = &Person{Name: name, Roles: []Role{RoleReporter}, Locale: locale, Accounts: []ChatAccount{acct}}
	if err := s.store.CreatePerson(ctx, p); err != nil {
		if ErrorCode(err) == ECONFLICT { // someone else created it first
			return s.store.PersonByAccount(ctx, acct.Platform, acct.UserID)
		}
		return nil, err
	}
	return p, nil
}

func hasAccount(p *Person, a ChatAccount) bool {
	for _, x := range p.Accounts {
		if x == a {
			return true
		}
	}
	return false
}

// CreateTicket files a ticket for actor (or, when a staff member sets
// in.ReporterID, for that reporter). EINVALID names every bad field.
func (s *Service) CreateTicket(ctx context.Context, actor *Person, in NewTicket) (*Ticket, error) {
	now := s.now()
	in.Defaults()
	if err := in.Validate(now); err != nil {
		return nil, err
	}
	reporter := actor.ID
	if in.ReporterID != 0 && in.ReporterID != actor.ID {
		if !actor.Handles() {
			return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only staff may file a ticket for someone else")
		}
		if _, err := s.store.Person(ctx, in.ReporterID); err != nil {
			return nil, err
		}
		reporter = in.ReporterID
	}
	form := in.Form
	if form == "" {
		form = "feedback"
	}
	t := &Ticket{
		Form: form, Summary: strings.TrimSpace(in.Summary), ReferenceID: in.ReferenceID,
		CategoryPath: in.CategoryPath, Attachments: in.Attachments, OccurredAt: in.OccurredAt.UTC(), OccurredDateOnly: in.OccurredDateOnly,
		Region: in.Region, Severity: in.Severity, OrderNumber: in.OrderNumber, Account: in.Account,
		Contacts: in.Contacts, Extra: in.Extra, Status: StatusNew, ReporterID: reporter,
		Channel: in.Channel, Source: in.Source, RequestID: in.RequestID, CreatedAt: now, UpdatedAt: now,
	}
	if s.cfg.Route != nil {
		t.TeamID = s.cfg.Route(t.Form, t.CategoryPath)
	}
	for i := range t.Attachments {
		if t.Attachments[i].AddedAt.IsZero() {
			t.Attachments[i].AddedAt = now
		}
	}
	ev := &Event{Kind: EventCreated, ActorID: actor.ID, At: now, Public: true}
	triage, err := s.TriageAudience(ctx, t)
	if err != nil {
		return nil, err
	}
	notify := append([]*OutboxMessage{{Audience: AudienceReporter, RecipientID: reporter}}, triage...)
	notify = append(notify, sourceAudience(t)...)
	changes := []Change{{Event: ev, Notify: notify}}
	day := now.In(s.cfg.Location)
	stamp(changes, now)
	if err := s.store.CreateTicket(ctx, t, in.Prefix, day, changes); err != nil {
		// A request filed before (a retried submit, or the same one won
		// a race) is refused by the store with ECONFLICT and uses no
		// number; its ticket is the answer. Checking first would cost
		// every filing a round trip for the rare retry.
		if ErrorCode(err) == ECONFLICT && in.RequestID != "" {
			t, ferr := s.store.TicketByRequest(ctx, reporter, in.RequestID)
			if ferr == nil {
				return t, nil
			}
			if ErrorCode(ferr) != ENOTFOUND {
				return nil, ferr
			}
		}
		return nil, err
	}
	s.changed(t)
	return t, nil
}

// Ticket returns a ticket actor may see. A reporter asking for someone
// else's ticket gets ENOTFOUND, so numbers do not leak; an assistant asking
// for another team's gets EFORBIDDEN.
//
// A number is read in any case ("fb-20261122-0007"), as people type it.
func (s *Service) Ticket(ctx context.Context, actor *Person, number string) (*Ticket, error) {
	return s.ticketFor(ctx, actor, number, true)
}

// ticketFor is Ticket; asked says whether an open consultation of the
// actor's own, or of their team, lets them see it: read-only access, which
// update does not give (they give their opinion, not handle the ticket).
func (s *Service) ticketFor(ctx context.Context, actor *Person, number string, asked bool) (*Ticket, error) {
	number = strings.ToUpper(strings.TrimSpace(number))
	notFound := Keyed(ENOTFOUND, "ticket", map[string]any{"Number": number}, "ticket %s not found", number)
	if !ValidNumber(number) {
		return nil, notFound
	}
	t, err := s.store.Ticket(ctx, number)
	if ErrorCode(err) == ENOTFOUND {
		return nil, notFound // in the person's language, like someone else's ticket
	}
	if err != nil {
		return nil, err
	}
	if err := canSee(actor, t); err != nil {
		if ErrorCode(err) == EFORBIDDEN && s.ownsTask(ctx, actor, t, asked) {
			return t, nil // a task of theirs (complaint.go), or a consultation (consult.go)
		}
		return nil, err
	}
	return t, nil
}

// MayChange reports whether actor may act on t as staff, not only read
// it: a team asked for its opinion reads the ticket and answers, and
// does not handle it (ticketFor).
func (s *Service) MayChange(ctx context.Context, actor *Person, t *Ticket) bool {
	if !actor.Handles() {
		return false
	}
	return canSee(actor, t) == nil || s.ownsTask(ctx, actor, t, false)
}

// ownsTask reports whether actor, a staff member of another team, owns a
// task of complaint t (they see it as its team does), or, when asked,
// whether an open consultation on t is theirs or their team's.
func (s *Service) ownsTask(ctx context.Context, actor *Person, t *Ticket, asked bool) bool {
	if !actor.Handles() {
		return false
	}
	has := func(f TaskFilter) bool {
		f.TicketID, f.Limit = t.ID, 1
		tasks, err := s.store.Tasks(ctx, f)
		return err == nil && len(tasks) > 0
	}
	switch {
	case t.Form == FormComplaint && has(TaskFilter{OwnerID: actor.ID, Kind: TaskComplaint}):
		return true
	case !asked:
		return false
	}
	return has(TaskFilter{OwnerID: actor.ID, Kind: TaskConsult, Open: true}) ||
		actor.TeamID != 0 && has(TaskFilter{TeamID: actor.TeamID, Kind: TaskConsult, Open: true})
}

func canSee(actor *Person, t *Ticket) error {
	switch {
	case actor.SeesAll(), t.ReporterID == actor.ID:
		return nil
	case actor.HasRole(RoleAssistant) || actor.HasRole(RoleInfoSpecialist):
		if t.TeamID == 0 || t.TeamID == actor.TeamID || t.AssigneeID == actor.ID {
			return nil
		}
		return Keyed(EFORBIDDEN, "other_team", map[string]any{"Number": t.Number}, "ticket %s belongs to another team", t.Number)
	default:
		return Keyed(ENOTFOUND, "ticket", map[string]any{"Number": t.Number}, "ticket %s not found", t.Number)
	}
}

// Thread returns the ticket's events that actor may read: reporters see the
// public ones, staff see all.
func (s *Service) Thread(ctx context.Context, actor *Person, number string) (*Ticket, []*Event, error) {
	t, err := s.Ticket(ctx, actor, number)
	if err != nil {
		return nil, nil, err
	}
	events, err := s.store.Events(ctx, t.ID)
	if err != nil {
		return nil, nil, err
	}
	if !actor.Handles() && !actor.HasRole(RoleInfoSpecialist) {
		public := events[:0]
		for _, e := range events {
			if e.Public {
				public = append(public, e)
			}
		}
		events = public
	}
	return t, events, nil
}

// Tickets lists the tickets actor may see that match f: reporters only
// their own, assistants their team's and the unrouted ones, managers and
// admins all.
func (s *Service) Tickets(ctx context.Context, actor *Person, f TicketFilter) (*TicketPage, error) {
	switch {
	case actor.SeesAll():
	case actor.HasRole(RoleAssistant) || actor.HasRole(RoleInfoSpecialist):
		f.VisibleToTeam, f.VisibleToAssignee = actor.TeamID, actor.ID // as canSee
	default:
		f.ReporterID = actor.ID
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 200 {
		f.Limit = 200
	}
	return s.store.Tickets(ctx, f)
}

// Comment adds a reply to the thread. A reporter's comment is always public
// and goes to the triage chats and to the assignee, if any; when the
// ticket was waiting for the reporter it goes back to the status it had
// before the question (see resumeStatus). A staff comment goes to the
// reporter when public and stays internal otherwise.
func (s *Service) Comment(ctx context.Context, actor *Person, number, body string, public bool) (*Ticket, error) {
	body, err := commentBody(body)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if !actor.Handles() {
			return s.reporterComment(ctx, actor, t, body, now)
		}
		ev := &Event{Kind: EventComment, ActorID: actor.ID, At: now, Public: public, Body: body}
		var notify []*OutboxMessage
		if public {
			notify = append(notify, &OutboxMessage{Audience: AudienceReporter, RecipientID: t.ReporterID})
		}
		return []Change{{Event: ev, Notify: notify}}, nil
	})
}

// AddToOwnTicket adds body to a ticket actor reported as its reporter's
// follow-up, as a reporter's Comment goes, whatever actor's roles (staff
// who reported a problem add to it as its reporter): a dialog's "add to
// your ticket" instead of reporting it again. source is the group chat
// message the dialog reported (Ticket.Source), or "": that group is told
// the problem went to the ticket, and a ticket without a source takes it
// on, so that the group hears when it is resolved as well. EFORBIDDEN for
// a ticket someone else reported; EINVALID for a malformed source.
func (s *Service) AddToOwnTicket(ctx context.Context, actor *Person, number, body, source string) (*Ticket, error) {
	body, err := commentBody(body)
	if err != nil {
		return nil, err
	}
	if _, _, _, ok := ParseSource(source); source != "" && !ok {
		return nil, Invalid("invalid source", "source", "must be platform:chat:message", Problem{Key: "format"})
	}
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		changes, err := s.reporterComment(ctx, actor, t, body, now)
		if err != nil || source == "" {
			return changes, err
		}
		if t.Source == "" {
			t.Source = source
		}
		platform, chat, _, _ := ParseSource(source)
		changes[0].Notify = append(changes[0].Notify, &OutboxMessage{Audience: AudienceSource, Platform: platform, Chat: chat})
		return changes, nil
	})
}

// commentBody trims a comment and checks its length.
func commentBody(body string) (string, error) {
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > 10000 {
		return "", Invalid("invalid comment", "body", "must be 1–10000 characters", Problem{Key: "length", Args: map[string]any{"Min": 1, "Max": 10000, "Got": utf8.RuneCountInString(body)}})
	}
	return body, nil
}

// reporterComment is the reporter's comment on t: public, told to the
// triage chats and the assignee, and an answer when t waits for them.
func (s *Service) reporterComment(ctx context.Context, actor *Person, t *Ticket, body string, now time.Time) ([]Change, error) {
	if t.ReporterID != actor.ID {
		return nil, Keyed(EFORBIDDEN, "reporter_or_staff", nil, "only the reporter and staff may comment")
	}
	if t.Status == StatusArchived {
		return nil, Keyed(ECONFLICT, "archived", map[string]any{"Number": t.Number}, "ticket %s is archived", t.Number)
	}
	ev := &Event{Kind: EventComment, ActorID: actor.ID, At: now, Public: true, Body: body}
	staff, err := s.staffAudience(ctx, t)
	if err != nil {
		return nil, err
	}
	changes := []Change{{Event: ev, Notify: staff}}
	if t.Status == StatusWaitingReporter {
		events, err := s.store.Events(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		back := resumeStatus(statusBeforeWaiting(events), t.AssigneeID != 0)
		changes = append(changes, statusChange(t, actor, now, back, "", false))
	}
	return changes, nil
}

// statusBeforeWaiting returns the status a ticket had when it last moved
// to waiting_reporter, from its thread; "" when the thread does not say.
func statusBeforeWaiting(events []*Event) Status {
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e.Kind == EventStatusChanged && e.Data.To == StatusWaitingReporter {
			return e.Data.From
		}
	}
	return ""
}

// resumeStatus is where a ticket waiting for its reporter goes when they
// answer: back to the status it had before the question, as far as that
// still fits whether someone holds it now. Nobody holds it: new (or
// reopened, if it was), so its confirm clock runs again and the triage chat
// can claim it. Someone claimed it while it waited: assigned. Before
// unknown: new or, held, in progress.
func resumeStatus(before Status, held bool) Status {
	switch {
	case !held && (before == StatusNew || before == StatusReopened):
		return before
	case !held:
		return StatusNew
	case before == StatusAssigned || before == StatusInProgress || before == StatusReopened:
		return before
	case before == StatusNew:
		return StatusAssigned
	}
	return StatusInProgress
}

// staffAudience is who hears about a reporter's message (a follow-up: a
// comment, a file, a rating): every triage chat of the ticket
// (TriageAudience), in the card's thread, so each card shows the whole
// conversation whatever chat the assignee uses; and the assignee, when
// someone has the ticket. A sender that shows the assignee in the card's
// thread already can leave their row to the triage row (see
// IsReporterFollowUp).
func (s *Service) staffAudience(ctx context.Context, t *Ticket) ([]*OutboxMessage, error) {
	out, err := s.TriageAudience(ctx, t)
	if err != nil {
		return nil, err
	}
	if t.AssigneeID != 0 {
		out = append(out, &OutboxMessage{Audience: AudienceAssignee, RecipientID: t.AssigneeID})
	}
	return out, nil
}

// IsReporterFollowUp reports whether e is the reporter's own follow-up on t
// (a comment, a file, a rating or their answer to a solution put to them):
// its outbox rows go to the triage chats as well as to the assignee.
func IsReporterFollowUp(t *Ticket, e *Event) bool {
	if e.ActorID == 0 || e.ActorID != t.ReporterID {
		return false
	}
	switch e.Kind {
	case EventComment, EventAttachment, EventSatisfaction, EventConfirmation:
		return e.Public
	}
	return false
}

// TriageAudience returns the outbox rows for the triage chats of t, one
// per platform (DESIGN §11, a triage chat per team): on a platform of
// TeamChatPlatforms where t's team has a chat of its own (Team.Chats),
// that chat; on the other platforms of TriagePlatforms, the platform's
// triage chat. So each platform shows each ticket in one place, its
// team's chat when it has one there, and the triage chat stays the place
// of the tickets with no team or a team without a chat there. Everything
// that tells "the triage chat" about a ticket goes through it: new and
// returned tickets, reporters' follow-ups, urges, SLA warnings nobody
// holds (backend/sla).
func (s *Service) TriageAudience(ctx context.Context, t *Ticket) ([]*OutboxMessage, error) {
	return s.triageOfTeam(ctx, t.TeamID)
}

// triageOfTeam is TriageAudience for a ticket of team teamID (0: none).
func (s *Service) triageOfTeam(ctx context.Context, teamID int64) ([]*OutboxMessage, error) {
	var team *Team
	if teamID != 0 && len(s.cfg.TeamChatPlatforms) > 0 {
		var err error
		team, err = s.store.Team(ctx, teamID)
		if ErrorCode(err) == ENOTFOUND {
			team = nil // routed to a team that is gone: the triage chats
		} else if err != nil {
			return nil, err
		}
	}
	return s.triageOf(team), nil
}

// triageOf is triageOfTeam for a team already read (nil: none).
func (s *Service) triageOf(team *Team) []*OutboxMessage {
	var out []*OutboxMessage
	own := map[string]bool{}
	for _, p := range s.cfg.TeamChatPlatforms {
		if chat := team.Chat(p); chat != "" && !own[p] {
			own[p] = true
			out = append(out, &OutboxMessage{Audience: AudienceTriage, Platform: p, Chat: chat})
		}
	}
	switch {
	case s.cfg.NoTriage:
	case len(s.cfg.TriagePlatforms) == 0 && len(out) == 0:
		// Platforms unknown: one row, for the first triage chat the
		// dispatcher knows.
		out = append(out, &OutboxMessage{Audience: AudienceTriage})
	default:
		for _, p := range s.cfg.TriagePlatforms {
			if !own[p] {
				out = append(out, &OutboxMessage{Audience: AudienceTriage, Platform: p})
			}
		}
	}
	return out
}

// toNewTeam adds to changes (an assignment's, first) the triage rows that
// bring t to the chats of the team it moved to from team `from`: each
// chat that t's triage rows did not go to before gets them now, and the
// sender shows the ticket's card there (a chat with no card of the ticket
// gets the card for an assignment). Moving between teams without chats of
// their own changes nothing: the triage chat has the card already.
func (s *Service) toNewTeam(ctx context.Context, t *Ticket, from int64, changes []Change) error {
	if from == t.TeamID || len(changes) == 0 {
		return nil
	}
	before, err := s.triageOfTeam(ctx, from)
	if err != nil {
		return err
	}
	after, err := s.triageOfTeam(ctx, t.TeamID)
	if err != nil {
		return err
	}
	had := map[[2]string]bool{}
	for _, m := range before {
		had[[2]string{m.Platform, m.Chat}] = true
	}
	for _, m := range after {
		if !had[[2]string{m.Platform, m.Chat}] {
			changes[0].Notify = append(changes[0].Notify, m)
		}
	}
	return nil
}

// statusChange moves t to `to` and returns the event; public changes are
// told to the reporter, and resolving to the group chat t came from too.
// Returning and reopening take the acceptance back: whoever holds the
// ticket next confirms it afresh.
func statusChange(t *Ticket, actor *Person, now time.Time, to Status, body string, notifyReporter bool) Change {
	ev := &Event{Kind: EventStatusChanged, ActorID: actor.ID, At: now, Public: true, Body: body,
		Data: EventData{From: t.Status, To: to}}
	t.Status = to
	if to == StatusReturned || to == StatusReopened {
		t.AcceptedAt = time.Time{}
	}
	if to == StatusResolved {
		t.ResolvedAt = now
		// Each answer is rated afresh: a ticket reopened by 不满意 (seed
		// 002: the handling starts over) and answered again asks the
		// reporter again. Earlier ratings stay in the thread, the reports
		// and the follow-ups.
		t.Satisfaction = SatisfactionNone
	}
	c := Change{Event: ev}
	if notifyReporter {
		c.Notify = append(c.Notify, &OutboxMessage{Audience: AudienceReporter, RecipientID: t.ReporterID})
	}
	if to == StatusResolved {
		c.Notify = append(c.Notify, sourceAudience(t)...)
	}
	return c
}

// sourceAudience is the row that tells the group chat t was reported from
// (Ticket.Source) of an event: told when t is filed and when it is
// resolved. None for a ticket without a source.
func sourceAudience(t *Ticket) []*OutboxMessage {
	platform, chat, _, ok := ParseSource(t.Source)
	if !ok {
		return nil
	}
	return []*OutboxMessage{{Audience: AudienceSource, Platform: platform, Chat: chat}}
}

// Transition moves a ticket to another status (staff only). Resolving needs
// the solution, returning the reason and asking for information the
// question, all given in note. An illegal move is ECONFLICT naming both
// statuses. Moving a ticket nobody holds to assigned claims it for actor;
// starting work on a ticket its assignee has not accepted yet (in
// progress, pending test or confirmation, resolved) accepts it.
func (s *Service) Transition(ctx context.Context, actor *Person, number string, to Status, note string) (*Ticket, error) {
	note = strings.TrimSpace(note)
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		return s.transition(ctx, actor, t, now, to, note)
	})
}

// transition is Transition's change of t, read by the caller (who checked,
// or not, that actor may see it); note is trimmed.
func (s *Service) transition(ctx context.Context, actor *Person, t *Ticket, now time.Time, to Status, note string) ([]Change, error) {
	if !actor.Handles() {
		return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may change a ticket's status")
	}
	if err := CheckTransition(t.Status, to); err != nil {
		return nil, err
	}
	switch to {
	case StatusResolved:
		if note == "" {
			return nil, Invalid("a solution is required to resolve", "note", "the solution is required", Problem{Key: "solution"})
		}
		t.Solution = note
	case StatusReturned:
		if note == "" {
			return nil, Invalid("a reason is required to return", "note", "the reason is required", Problem{Key: "reason"})
		}
		t.AssigneeID = 0
	case StatusWaitingReporter:
		if note == "" {
			return nil, Invalid("a question is required", "note", "the question for the reporter is required", Problem{Key: "question"})
		}
	}
	// Starting work on a dispatched ticket is its assignee's own
	// confirmation (seed 002 首责制): a colleague cannot start it for
	// them (a manager may take it with Assign, or resolve it).
	if startsWork(to) && to != StatusResolved && t.AwaitsAccept() && t.AssigneeID != actor.ID {
		return nil, Keyed(ECONFLICT, "dispatched", map[string]any{"Number": t.Number}, "ticket %s is dispatched to someone else, who has not accepted it yet", t.Number)
	}
	claims, works := to == StatusAssigned && t.AssigneeID == 0, startsWork(to) && t.AwaitsAccept() && t.AssigneeID == actor.ID
	if claims {
		t.AssigneeID = actor.ID
	}
	c := statusChange(t, actor, now, to, note, true)
	if to == StatusReturned {
		triage, err := s.TriageAudience(ctx, t)
		if err != nil {
			return nil, err
		}
		c.Notify = append(c.Notify, triage...)
	}
	changes := []Change{c}
	if claims || works {
		changes = append(changes, accept(t, actor, now))
	}
	return changes, nil
}

// Claim makes actor the assignee of an unclaimed ticket (new, returned or
// reopened); claiming it oneself accepts it. The assignee of a ticket that
// awaits their acceptance (AwaitsAccept: dispatched to them, or reopened)
// accepts it by claiming it, as with Accept. ECONFLICT when someone else
// holds it (key "dispatched" while they have not accepted it yet,
// "claimed" after) or actor holds and accepted it ("yours").
func (s *Service) Claim(ctx context.Context, actor *Person, number string) (*Ticket, error) {
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if !actor.Handles() {
			return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may claim tickets")
		}
		switch {
		case t.AssigneeID == actor.ID && t.AwaitsAccept():
			return []Change{accept(t, actor, now)}, nil
		case t.AssigneeID == actor.ID:
			return nil, Keyed(ECONFLICT, "yours", map[string]any{"Number": t.Number}, "ticket %s is already yours", t.Number)
		case t.AwaitsAccept():
			return nil, Keyed(ECONFLICT, "dispatched", map[string]any{"Number": t.Number}, "ticket %s is dispatched to someone else, who has not accepted it yet", t.Number)
		case t.AssigneeID != 0:
			return nil, Keyed(ECONFLICT, "claimed", map[string]any{"Number": t.Number}, "ticket %s is already claimed by someone else", t.Number)
		}
		from := t.TeamID
		changes, err := assign(t, actor, actor, now)
		if err != nil {
			return nil, err
		}
		return changes, s.toNewTeam(ctx, t, from, changes)
	})
}

// Assign gives the ticket to a staff member (staff only). Given to someone
// else it awaits their acceptance (Accept; the SLA's confirm clock runs
// for them); given to actor themselves it is claimed and accepted.
func (s *Service) Assign(ctx context.Context, actor *Person, number string, assigneeID int64) (*Ticket, error) {
	assignee, err := s.store.Person(ctx, assigneeID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil, Invalid("unknown assignee", "assignee_id", "no such person", Problem{Key: "no_person"})
		}
		return nil, err
	}
	if !assignee.Handles() {
		return nil, Invalid("the assignee must be staff", "assignee_id", "is not an assistant or manager", Problem{Key: "not_staff"})
	}
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if !actor.Handles() {
			return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may assign tickets")
		}
		if t.AssigneeID == assignee.ID {
			return nil, Keyed(ECONFLICT, "assigned", map[string]any{"Number": t.Number, "Name": assignee.Name}, "ticket %s is already assigned to %s", t.Number, assignee.Name)
		}
		from := t.TeamID
		changes, err := assign(t, actor, assignee, now)
		if err != nil {
			return nil, err
		}
		if assignee.ID != actor.ID && t.AwaitsAccept() && s.cfg.AcceptBy != nil {
			changes[0].Event.Data.Due = s.cfg.AcceptBy(ctx, t, now)
		}
		// Given to someone of another team, the ticket moves there, and
		// that team's chat gets its card.
		return changes, s.toNewTeam(ctx, t, from, changes)
	})
}

func assign(t *Ticket, actor, assignee *Person, now time.Time) ([]Change, error) {
	if !t.Status.Open() {
		return nil, Keyed(ECONFLICT, "status", map[string]any{"Number": t.Number, "Status": t.Status}, "ticket %s is %s", t.Number, t.Status)
	}
	t.AssigneeID = assignee.ID
	if assignee.TeamID != 0 {
		t.TeamID = assignee.TeamID
	}
	ev := &Event{Kind: EventAssigned, ActorID: actor.ID, At: now, Public: true,
		Data: EventData{AssigneeID: assignee.ID, TeamID: t.TeamID}}
	c := Change{Event: ev, Notify: []*OutboxMessage{{Audience: AudienceReporter, RecipientID: t.ReporterID}}}
	if assignee.ID != actor.ID {
		c.Notify = append(c.Notify, &OutboxMessage{Audience: AudienceAssignee, RecipientID: assignee.ID})
	}
	changes := []Change{c}
	switch t.Status {
	case StatusNew, StatusReturned, StatusReopened:
		changes = append(changes, statusChange(t, actor, now, StatusAssigned, "", false))
	}
	t.AcceptedAt = time.Time{} // the new assignee confirms it
	if startsWork(t.Status) {
		// Handed over while it is worked on: the work goes on with the
		// new holder; confirming (seed 002) is the duty of a dispatch
		// before work starts, and no confirm clock runs now.
		t.AcceptedAt = now
	}
	if assignee.ID == actor.ID {
		changes = append(changes, accept(t, actor, now))
	}
	return changes, nil
}

// Transfer hands the ticket to another team (转派; seed 002 第三步: a
// problem of another department goes to the department responsible),
// with the reason (staff only). Whoever held it lets it go: the ticket
// waits in the new team's queue to be claimed, back to new if it was
// assigned or worked on, and the new team confirms it afresh (the SLA's
// confirm clock counts from the transfer). Told: the reporter (it is a
// step of the handling), the former assignee, and the triage chats of
// both teams (the new one gets the card where it has none). Open tickets
// only, not while they wait for the reporter or a test or confirmation;
// to the team the ticket is already in is ECONFLICT "same_team".
func (s *Service) Transfer(ctx context.Context, actor *Person, number string, teamID int64, reason string) (*Ticket, error) {
	reason = strings.TrimSpace(reason)
	team, err := s.store.Team(ctx, teamID)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if !actor.Handles() {
			return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may transfer tickets")
		}
		if !t.Status.Transferable() {
			return nil, Keyed(ECONFLICT, "status", map[string]any{"Number": t.Number, "Status": t.Status}, "ticket %s is %s", t.Number, t.Status)
		}
		if t.TeamID == team.ID {
			return nil, Keyed(ECONFLICT, "same_team", map[string]any{"Number": t.Number, "Team": team.Name}, "ticket %s is already with %s", t.Number, team.Name)
		}
		if reason == "" {
			return nil, Invalid("a reason is required to transfer", "note", "the reason is required", Problem{Key: "transfer_reason"})
		}
		from, held := t.TeamID, t.AssigneeID
		var left *Team // nil: none, or a team that is gone (left unnamed)
		var fromName string
		if from != 0 {
			var err error
			switch left, err = s.store.Team(ctx, from); {
			case err == nil:
				fromName = left.Name
			case ErrorCode(err) == ENOTFOUND:
				left = nil
			default:
				return nil, err
			}
		}
		t.TeamID, t.AssigneeID, t.AcceptedAt = team.ID, 0, time.Time{}
		ev := &Event{Kind: EventTransferred, ActorID: actor.ID, At: now, Public: true, Body: reason,
			Data: EventData{TeamID: team.ID, TeamName: team.Name, FromTeamID: from, FromTeamName: fromName, AssigneeID: held}}
		c := Change{Event: ev, Notify: []*OutboxMessage{{Audience: AudienceReporter, RecipientID: t.ReporterID}}}
		if held != 0 && held != actor.ID {
			c.Notify = append(c.Notify, &OutboxMessage{Audience: AudiencePerson, RecipientID: held})
		}
		// The teams are read already: their chats need no second look.
		seen := map[[2]string]bool{}
		for _, m := range append(s.triageOf(team), s.triageOf(left)...) {
			if k := [2]string{m.Platform, m.Chat}; !seen[k] {
				seen[k] = true
				c.Notify = append(c.Notify, m)
			}
		}
		changes := []Change{c}
		if t.Status == StatusAssigned || t.Status == StatusInProgress {
			changes = append(changes, statusChange(t, actor, now, StatusNew, "", false)) // the reason is the transfer's
		}
		return changes, nil
	})
}

// Return gives the ticket back with a reason (退回).
func (s *Service) Return(ctx context.Context, actor *Person, number, reason string) (*Ticket, error) {
	return s.Transition(ctx, actor, number, StatusReturned, reason)
}

// Ask asks the reporter for information; the ticket waits for them.
func (s *Service) Ask(ctx context.Context, actor *Person, number, question string) (*Ticket, error) {
	return s.Transition(ctx, actor, number, StatusWaitingReporter, question)
}

// Resolve closes the ticket with a solution; the reporter is asked to rate it.
func (s *Service) Resolve(ctx context.Context, actor *Person, number, solution string) (*Ticket, error) {
	return s.Transition(ctx, actor, number, StatusResolved, solution)
}

// ChangeSeverity re-grades a ticket (staff only).
func (s *Service) ChangeSeverity(ctx context.Context, actor *Person, number string, sev Severity) (*Ticket, error) {
	if !sev.Valid() {
		return nil, Invalid("unknown severity", "severity", "must be one of P1, P2, P3, P4", Problem{Key: "severity"})
	}
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if !actor.Handles() {
			return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may change the severity")
		}
		if t.Severity == sev {
			return nil, Keyed(ECONFLICT, "same_severity", map[string]any{"Number": t.Number, "Severity": sev}, "ticket %s is %s already", t.Number, sev)
		}
		ev := &Event{Kind: EventSeverityChanged, ActorID: actor.ID, At: now, Public: true,
			Data: EventData{FromSeverity: t.Severity, ToSeverity: sev}}
		t.Severity = sev
		return []Change{{Event: ev, Notify: []*OutboxMessage{{Audience: AudienceReporter, RecipientID: t.ReporterID}}}}, nil
	})
}

// AddAttachment attaches a stored file to the ticket (reporter or staff).
func (s *Service) AddAttachment(ctx context.Context, actor *Person, number string, a Attachment) (*Ticket, error) {
	if a.SHA256 == "" || a.Name == "" || a.Size <= 0 {
		return nil, Invalid("invalid attachment", "attachment", "name, size and hash are required", Problem{Key: "attachment"})
	}
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if !actor.Handles() && t.ReporterID != actor.ID {
			return nil, Keyed(EFORBIDDEN, "reporter_or_staff", nil, "only the reporter and staff may add files")
		}
		a.AddedAt = now
		t.Attachments = append(t.Attachments, a)
		ev := &Event{Kind: EventAttachment, ActorID: actor.ID, At: now, Public: true, Data: EventData{Attachment: &a}}
		var notify []*OutboxMessage
		if actor.ID == t.ReporterID {
			staff, err := s.staffAudience(ctx, t)
			if err != nil {
				return nil, err
			}
			notify = append(notify, staff...)
		} else {
			notify = append(notify, &OutboxMessage{Audience: AudienceReporter, RecipientID: t.ReporterID})
		}
		return []Change{{Event: ev, Notify: notify}}, nil
	})
}

// CreateIncident opens an incident that duplicates can be linked to (staff only).
func (s *Service) CreateIncident(ctx context.Context, actor *Person, title string) (*Incident, error) {
	if !actor.Handles() {
		return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may open incidents")
	}
	title = strings.TrimSpace(title)
	if title == "" {
		return nil, Invalid("invalid incident", "title", "required", Problem{Key: "required"})
	}
	i := &Incident{Title: title, CreatedAt: s.now()}
	if err := s.store.CreateIncident(ctx, i); err != nil {
		return nil, err
	}
	return i, nil
}

// LinkIncident links the ticket to an incident (staff only); the reporter
// is told that the problem is being handled together with others, and
// will hear when it is solved. ENOTFOUND; ECONFLICT when the incident is
// resolved: that promise could not be kept (its resolution was told
// before this ticket was linked), and the ticket is answered on its own.
func (s *Service) LinkIncident(ctx context.Context, actor *Person, number string, incidentID int64) (*Ticket, error) {
	return s.linkIncident(ctx, actor, number, incidentID, true)
}

// linkIncident is LinkIncident; without move, a ticket in another
// incident stays there (ECONFLICT incident_other), whatever was read
// before.
func (s *Service) linkIncident(ctx context.Context, actor *Person, number string, incidentID int64, move bool) (*Ticket, error) {
	i, err := s.incident(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if !actor.Handles() {
			return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may link incidents")
		}
		if t.IncidentID == incidentID {
			return nil, Keyed(ECONFLICT, "incident_linked", map[string]any{"Number": t.Number}, "ticket %s is linked to that incident already", t.Number)
		}
		if t.IncidentID != 0 && !move {
			return nil, incidentOther(t)
		}
		if !i.ResolvedAt.IsZero() {
			return nil, incidentResolved(incidentID)
		}
		t.IncidentID = incidentID
		ev := &Event{Kind: EventIncidentLinked, ActorID: actor.ID, At: now, Public: true, Data: EventData{IncidentID: incidentID}}
		return []Change{{Event: ev, Notify: []*OutboxMessage{{Audience: AudienceReporter, RecipientID: t.ReporterID}}}}, nil
	})
}

// RecordSatisfaction stores the reporter's rating of a resolved ticket.
// Unsatisfied reopens it, tells the assignee and opens a follow-up
// (followup.go) in the same transaction.
func (s *Service) RecordSatisfaction(ctx context.Context, actor *Person, number string, rating Satisfaction, note string) (*Ticket, error) {
	if !rating.Valid() {
		return nil, Invalid("unknown rating", "satisfaction", "must be satisfied, basically or unsatisfied", Problem{Key: "rating"})
	}
	return s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if t.ReporterID != actor.ID {
			return nil, Keyed(EFORBIDDEN, "reporter_only", nil, "only the reporter may rate the answer")
		}
		if t.Status != StatusResolved {
			return nil, Keyed(ECONFLICT, "not_resolved", map[string]any{"Number": t.Number, "Status": t.Status}, "ticket %s is %s, not resolved", t.Number, t.Status)
		}
		if t.Satisfaction != SatisfactionNone {
			return nil, Keyed(ECONFLICT, "rated", map[string]any{"Number": t.Number}, "ticket %s was rated already", t.Number)
		}
		t.Satisfaction = rating
		ev := &Event{Kind: EventSatisfaction, ActorID: actor.ID, At: now, Public: true, Body: strings.TrimSpace(note),
			Data: EventData{Satisfaction: rating}}
		staff, err := s.staffAudience(ctx, t)
		if err != nil {
			return nil, err
		}
		changes := []Change{{Event: ev, Notify: staff}}
		if rating == SatisfactionUnsatisfied {
			// Seed 003: every unsatisfied reporter is followed up, and is
			// to be surveyed unless staff mark otherwise.
			changes[0].FollowUp = &FollowUp{RatedAt: now, Survey: SurveyNeeded}
			changes = append(changes, statusChange(t, actor, now, StatusReopened, "", true))
		}
		return changes, nil
	})
}

// update loads the ticket, checks actor may see it, applies fn and saves,
// re-reading and re-applying when another writer got there first.
func (s *Service) update(ctx context.Context, actor *Person, number string, fn func(t *Ticket, now time.Time) ([]Change, error)) (*Ticket, error) {
	return s.updateWith(ctx, func() (*Ticket, error) { return s.ticketFor(ctx, actor, number, false) }, fn)
}

// updateWith is update with the ticket read by load (which checks, or
// not, who may see it).
func (s *Service) updateWith(ctx context.Context, load func() (*Ticket, error), fn func(t *Ticket, now time.Time) ([]Change, error)) (*Ticket, error) {
	for attempt := 1; ; attempt++ {
		t, err := load()
		if err != nil {
			return nil, err
		}
		now := s.now()
		changes, err := fn(t, now)
		if err != nil {
			return nil, err
		}
		t.UpdatedAt = now
		stamp(changes, now)
		err = s.store.UpdateTicket(ctx, t, changes)
		if err == nil {
			s.changed(t)
			return t, nil
		}
		if ErrorCode(err) != ECONFLICT || attempt >= maxUpdateAttempts {
			return nil, err
		}
	}
}

// stamp dates the outbox messages of changes with the service's clock:
// they are due at once.
func stamp(changes []Change, now time.Time) {
	for _, c := range changes {
		for _, m := range c.Notify {
			if m.CreatedAt.IsZero() {
				m.CreatedAt = now
			}
			if m.NextAttempt.IsZero() {
				m.NextAttempt = now
			}
		}
	}
}

func (s *Service) changed(t *Ticket) {
	if s.cfg.Changed != nil {
		s.cfg.Changed(t)
	}
}

// CreatePerson adds a person (admin commands and tests).
func (s *Service) CreatePerson(ctx context.Context, p *Person) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := s.teamExists(ctx, p.TeamID); err != nil {
		return err
	}
	if p.Locale == "" {
		p.Locale = "zh-CN"
	}
	return s.store.CreatePerson(ctx, p)
}

// teamExists is ENOTFOUND, saying how to make one, for a team id that is
// set and does not exist.
func (s *Service) teamExists(ctx context.Context, id int64) error {
	if id == 0 {
		return nil
	}
	if _, err := s.store.Team(ctx, id); ErrorCode(err) == ENOTFOUND {
		return Keyed(ENOTFOUND, "team", map[string]any{"ID": id}, "team %d not found (deskbot team create --name NAME makes one and prints its id)", id)
	} else if err != nil {
		return err
	}
	return nil
}

// CreateAPIToken makes a service account with role and a token for it, and
// returns the secret, which is shown once and stored only as a hash.
func (s *Service) CreateAPIToken(ctx context.Context, name string, role Role, teamID int64) (string, *APIToken, error) {
	p := &Person{Name: name, Roles: []Role{role}, TeamID: teamID}
	if err := s.CreatePerson(ctx, p); err != nil {
		return "", nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	secret := "dbt_" + base64.RawURLEncoding.EncodeToString(raw)
	tok := &APIToken{Name: name, PersonID: p.ID, Hash: HashToken(secret), CreatedAt: s.now()}
	if err := s.store.CreateAPIToken(ctx, tok); err != nil {
		return "", nil, err
	}
	return secret, tok, nil
}

// Authenticate returns the person an API token acts as. EUNAUTHORIZED for
// an unknown or revoked token, or one whose person was deactivated.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Person, error) {
	if !strings.HasPrefix(secret, "dbt_") {
		return nil, Errorf(EUNAUTHORIZED, "invalid API token")
	}
	tok, err := s.store.APITokenByHash(ctx, HashToken(secret))
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil, Errorf(EUNAUTHORIZED, "invalid API token")
		}
		return nil, err
	}
	if !tok.RevokedAt.IsZero() {
		return nil, Errorf(EUNAUTHORIZED, "API token %q was revoked", tok.Name)
	}
	p, err := s.store.Person(ctx, tok.PersonID)
	if err != nil {
		return nil, err
	}
	if !p.Active() {
		return nil, Errorf(EUNAUTHORIZED, "the account of API token %q was deactivated", tok.Name)
	}
	return p, nil
}

// RevokeAPIToken stops a token from authenticating, for good (deskbot
// token revoke). ENOTFOUND for an unknown id.
func (s *Service) RevokeAPIToken(ctx context.Context, id int64) error {
	return s.store.RevokeAPIToken(ctx, id, s.now())
}

// HashToken is how API token secrets are stored.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
