package backend

import (
	"cmp"
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Incidents at intake (集中反馈, seed 000 Q6, DESIGN §2 and §3): the dialog
// shows a reporter the open incidents that look like their problem ("12
// others reported this — join INC-3?"). Joining files no ticket: the
// reporter follows the incident (Store.FollowIncident). An update staff
// post on the incident reaches every reporter of its linked tickets — an
// event on each ticket, so it is in their thread — and every follower who
// has no linked ticket of their own, through a message on the oldest
// linked ticket's event: the outbox delivers per ticket, and the follower
// is told about the incident only (the text names neither that ticket
// nor its reporter).

// IncidentRef names incident id as people see it: INC-3.
func IncidentRef(id int64) string { return "INC-" + strconv.FormatInt(id, 10) }

// ParseIncidentRef reads an incident id written as INC-3, inc-3 or 3.
func ParseIncidentRef(s string) (id int64, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) > 4 && strings.EqualFold(s[:4], "INC-") {
		s = s[4:]
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// maxOpenIncidents bounds the open incidents one suggestion reads.
const maxOpenIncidents = 500

// SuggestIncidents returns up to limit open incidents whose title looks
// like the reporter's summary (as SuggestKB), best first and each
// reported at least once. It needs no role: the dialog asks it.
func (s *Service) SuggestIncidents(ctx context.Context, summary string, limit int) ([]*Incident, error) {
	q := kbTerms(summary)
	if len(q) == 0 {
		return []*Incident{}, nil
	}
	open, err := s.store.OpenIncidents(ctx, maxOpenIncidents)
	if err != nil {
		return nil, err
	}
	open = slices.DeleteFunc(open, func(i *Incident) bool { return i.Reports == 0 })
	return bestMatches(open, q, limit, func(i *Incident) string { return i.Title }), nil
}

// bestMatches returns up to limit (at least one) of items whose text looks
// like the query terms q, by the score a suggestion needs, best first.
func bestMatches[T any](items []T, q map[string]bool, limit int, text func(T) string) []T {
	type hit struct {
		item  T
		score float64
	}
	var hits []hit
	for _, it := range items {
		terms := kbTerms(text(it))
		if sc := max(overlap(terms, q), overlap(q, terms)); sc >= minSuggestScore {
			hits = append(hits, hit{it, sc})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return cmp.Compare(b.score, a.score) })
	out := make([]T, 0, min(len(hits), max(limit, 1)))
	for i := 0; i < len(hits) && i < max(limit, 1); i++ {
		out = append(out, hits[i].item)
	}
	return out
}

// maxOwnTickets bounds the open tickets of one reporter a suggestion reads.
const maxOwnTickets = 50

// SuggestOwnTickets returns up to limit of the open tickets of form
// ("": any) reported from chat account acct whose summary looks like
// summary (as SuggestIncidents), best first: someone about to report again a problem
// being handled for them (seed 000: 对解决中的问题不停提交…重复提问) can add to
// the ticket they have instead. It needs no role: the dialog asks it for
// the account it talks to; an account nobody is linked to has none.
func (s *Service) SuggestOwnTickets(ctx context.Context, acct ChatAccount, form, summary string, limit int) ([]*Ticket, error) {
	q := kbTerms(summary)
	if len(q) == 0 || acct.Platform == "" || acct.UserID == "" {
		return []*Ticket{}, nil
	}
	page, err := s.store.Tickets(ctx, TicketFilter{ReporterAccount: &acct, Form: form, Status: openStatuses(), Limit: maxOwnTickets})
	if err != nil {
		return nil, err
	}
	return bestMatches(page.Tickets, q, limit, func(t *Ticket) string { return t.Summary }), nil
}

// SimilarTicketsFor is SimilarOpenTickets as actor may see them: staff
// get the tickets they may open, anyone else none.
func (s *Service) SimilarTicketsFor(ctx context.Context, actor *Person, t *Ticket) ([]*Ticket, error) {
	if !actor.Handles() {
		return []*Ticket{}, nil
	}
	similar, err := s.SimilarOpenTickets(ctx, t)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(similar, func(o *Ticket) bool { return canSee(actor, o) != nil }), nil
}

// RegionCount is how many of a list of tickets are of one region ("":
// none given).
type RegionCount struct {
	Region string
	Count  int
}

// ByRegion counts tickets by region, the most first (by name among
// equals): where the similar tickets come from.
func ByRegion(tickets []*Ticket) []RegionCount {
	var out []RegionCount
	for _, t := range tickets {
		if i := slices.IndexFunc(out, func(rc RegionCount) bool { return rc.Region == t.Region }); i >= 0 {
			out[i].Count++
		} else {
			out = append(out, RegionCount{Region: t.Region, Count: 1})
		}
	}
	slices.SortFunc(out, func(a, b RegionCount) int { return cmp.Or(b.Count-a.Count, strings.Compare(a.Region, b.Region)) })
	return out
}

// openStatuses are the statuses of tickets still being handled.
func openStatuses() []Status {
	var open []Status
	for _, st := range Statuses {
		if st.Open() {
			open = append(open, st)
		}
	}
	return open
}

// SimilarWindow is how far back SimilarOpenTickets looks.
const SimilarWindow = 7 * 24 * time.Hour

// maxSimilarRead bounds the recent open tickets SimilarOpenTickets reads.
const maxSimilarRead = 200

// SimilarOpenTickets returns the other open tickets of t's form and team
// filed in the last SimilarWindow whose summary looks like t's (as
// SuggestIncidents), best first, for staff to see how many report the
// same problem and where (seed 000 Q3: 根据发生时间和区域,综合同类问题数量集中反馈)
// and to group them into an incident. Only t's team's (those of no team
// for a ticket of none): its card goes to its team's people, who may not
// see another team's tickets. Tickets of t's incident are left out: they
// are grouped already.
func (s *Service) SimilarOpenTickets(ctx context.Context, t *Ticket) ([]*Ticket, error) {
	q := kbTerms(t.Summary)
	if len(q) == 0 {
		return []*Ticket{}, nil
	}
	page, err := s.store.Tickets(ctx, TicketFilter{Form: t.Form, TeamID: t.TeamID, Status: openStatuses(),
		CreatedAfter: s.now().Add(-SimilarWindow), Limit: maxSimilarRead})
	if err != nil {
		return nil, err
	}
	others := slices.DeleteFunc(page.Tickets, func(o *Ticket) bool {
		return o.ID == t.ID || o.TeamID != t.TeamID || t.IncidentID != 0 && o.IncidentID == t.IncidentID
	})
	return bestMatches(others, q, len(others), func(o *Ticket) string { return o.Summary }), nil
}

// JoinIncident makes actor a follower of an open incident instead of
// filing a ticket about the same problem; joining again changes nothing.
// ENOTFOUND; ECONFLICT when it was resolved meanwhile.
func (s *Service) JoinIncident(ctx context.Context, actor *Person, id int64) (*Incident, error) {
	i, err := s.incident(ctx, id)
	if err != nil {
		return nil, err
	}
	if !i.ResolvedAt.IsZero() {
		return nil, incidentResolved(id)
	}
	if _, err := s.store.FollowIncident(ctx, id, actor.ID, s.now()); err != nil {
		return nil, err
	}
	// Resolved meanwhile (UpdateIncident read its followers before this
	// join): say so, as a join after the resolution does.
	if i, err = s.store.Incident(ctx, id); err == nil && !i.ResolvedAt.IsZero() {
		return nil, incidentResolved(id)
	}
	return i, err
}

// incident reads incident id; ENOTFOUND names it as people do (INC-3).
func (s *Service) incident(ctx context.Context, id int64) (*Incident, error) {
	i, err := s.store.Incident(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, incidentNotFound(id)
	}
	return i, err
}

func incidentNotFound(id int64) error {
	return Keyed(ENOTFOUND, "incident", map[string]any{"ID": IncidentRef(id)}, "incident %s not found", IncidentRef(id))
}

// incidentResolved is the ECONFLICT of joining, linking a ticket to or
// resolving again a resolved incident.
func incidentResolved(id int64) error {
	return Keyed(ECONFLICT, "incident_resolved", map[string]any{"ID": IncidentRef(id)}, "incident %s is resolved", IncidentRef(id))
}

// maxIncidentUpdate bounds an update's text.
const maxIncidentUpdate = 2000

// UpdateIncident posts an update on an incident (staff only) and, with
// resolve, resolves it: a public event on each of its linked tickets that
// is not archived tells its reporter, and the followers without a linked
// ticket are told through the oldest one's event. Each ticket's event
// commits on its own, its messages with it: when one fails, the tickets
// before it were told, and the incident is not resolved. Posting the
// update again tells them again, but resolving again does not: a ticket
// whose thread holds the resolution is skipped, which also keeps two
// staff resolving at once from telling anyone twice (the second then
// gets ECONFLICT). EINVALID for an empty
// or too long body; ENOTFOUND; EFORBIDDEN for staff who may open none of
// its tickets; ECONFLICT when resolving a resolved
// incident, or when it has followers but no linked ticket to carry their
// messages.
//
// Resolving the incident resolves with body, as their solution, each
// linked ticket that is still open and may be resolved (not one returned
// to triage): the tickets were linked because they have the incident's
// cause, so its solution answers them (seed 000 Q6 集中反馈), and each
// reporter is asked to rate it as for any resolution (seed 002 step 5;
// 不满意 reopens that ticket alone). The ticket is resolved as Transition
// resolves it, in the same commit as the incident's event, so the SLA
// clocks stop and the channels show the rating buttons. Its reporter is
// told once: by the resolved notice, which carries the same text, and
// not also by the incident event, which then only records the resolution
// in the thread (and still carries the followers' messages). A ticket
// that cannot be resolved — resolved already, or returned — gets the
// incident's notice as an update does. Staff who may open one linked
// ticket resolve all of them: linking a ticket to the incident put it in
// the incident's hands.
func (s *Service) UpdateIncident(ctx context.Context, actor *Person, id int64, body string, resolve bool) (*Incident, error) {
	if !actor.Handles() {
		return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may update incidents")
	}
	body = strings.TrimSpace(body)
	if n := utf8.RuneCountInString(body); n == 0 {
		return nil, Invalid("invalid incident update", "body", "required", Problem{Key: "required"})
	} else if n > maxIncidentUpdate {
		return nil, Invalid("invalid incident update", "body", "too long", Problem{Key: "length", Args: map[string]any{"Min": 1, "Max": maxIncidentUpdate, "Got": n}})
	}
	i, err := s.incident(ctx, id)
	if err != nil {
		return nil, err
	}
	if resolve && !i.ResolvedAt.IsZero() {
		return nil, incidentResolved(id)
	}
	numbers, err := s.store.IncidentTickets(ctx, id)
	if err != nil {
		return nil, err
	}
	followers, err := s.store.IncidentFollowers(ctx, id)
	if err != nil {
		return nil, err
	}
	var tickets, archived []*Ticket
	for _, n := range numbers {
		t, err := s.store.Ticket(ctx, n)
		if err != nil {
			return nil, err
		}
		if t.Status == StatusArchived {
			archived = append(archived, t) // its reporter, if they follow the incident, is told as a follower
			continue
		}
		tickets = append(tickets, t)
		followers = slices.DeleteFunc(followers, func(p int64) bool { return p == t.ReporterID }) // told on their own ticket
	}
	// The followers' messages ride on the first ticket's event; with
	// every linked ticket archived, on an internal event of an archived
	// one (its thread records the update; its reporter is not told again).
	carriers := tickets
	if len(carriers) == 0 {
		carriers = archived
	}
	if len(carriers) == 0 && len(followers) > 0 {
		return nil, Keyed(ECONFLICT, "incident_no_ticket", map[string]any{"ID": IncidentRef(id)}, "incident %s has followers but no linked ticket to carry the update", IncidentRef(id))
	}
	// An incident speaks to its reporters on their tickets: whoever posts
	// to it must be able to open one of them (a manager any).
	if len(carriers) > 0 && !actor.SeesAll() && !slices.ContainsFunc(carriers, func(t *Ticket) bool { return canSee(actor, t) == nil }) {
		return nil, Keyed(EFORBIDDEN, "incident_other_team", map[string]any{"ID": IncidentRef(id)},
			"incident %s has no ticket %s may open", IncidentRef(id), actor.Name)
	}
	for k, t := range tickets {
		_, err := s.updateWith(ctx, func() (*Ticket, error) { return s.store.Ticket(ctx, t.Number) }, func(t *Ticket, now time.Time) ([]Change, error) {
			if resolve {
				// Another resolve of the incident (posted at the same
				// time, or before and cut short) told this ticket already:
				// its reporter, and with the first ticket the followers,
				// are not told twice. Two resolves of one ticket at once
				// meet in its version check, and the second looks again.
				if told, err := s.incidentResolutionTold(ctx, t.ID, id); err != nil || told {
					return nil, cmp.Or(err, errToldAlready)
				}
			}
			ev := &Event{Kind: EventIncidentUpdate, ActorID: actor.ID, At: now, Public: true, Body: body,
				Data: EventData{IncidentID: id, IncidentTitle: i.Title, IncidentResolved: resolve}}
			var notify []*OutboxMessage
			if k == 0 {
				for _, p := range followers {
					notify = append(notify, &OutboxMessage{Audience: AudiencePerson, RecipientID: p})
				}
			}
			changes := []Change{{Event: ev, Notify: notify}}
			if resolve && t.Status.Open() && t.Status.CanTransition(StatusResolved) {
				// The resolved notice tells the reporter (see above).
				resolved, err := s.transition(ctx, actor, t, now, StatusResolved, body)
				if err != nil {
					return nil, err
				}
				return append(changes, resolved...), nil
			}
			changes[0].Notify = append([]*OutboxMessage{{Audience: AudienceReporter, RecipientID: t.ReporterID}}, notify...)
			return changes, nil
		})
		if err != nil && !errors.Is(err, errToldAlready) {
			return nil, err
		}
	}
	if len(tickets) == 0 && len(followers) > 0 {
		if err := s.tellFollowers(ctx, actor, i, body, resolve, carriers[0], followers); err != nil {
			return nil, err
		}
	}
	if resolve {
		switch err := s.store.ResolveIncident(ctx, id, s.now()); ErrorCode(err) {
		case "":
		case ECONFLICT: // resolved by someone else meanwhile
			return nil, incidentResolved(id)
		case ENOTFOUND:
			return nil, incidentNotFound(id)
		default:
			return nil, err
		}
		if err := s.tellLateFollowers(ctx, actor, i, body, carriers, followers); err != nil {
			return nil, err
		}
	}
	return s.store.Incident(ctx, id)
}

// errToldAlready ends UpdateIncident's change of a ticket that was told
// the incident's resolution already.
var errToldAlready = errors.New("told the resolution already")

// incidentResolutionTold reports whether ticket ticketID's thread holds
// incident id's resolution.
func (s *Service) incidentResolutionTold(ctx context.Context, ticketID, id int64) (bool, error) {
	events, err := s.store.Events(ctx, ticketID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(events, func(e *Event) bool {
		return e.Kind == EventIncidentUpdate && e.Data.IncidentID == id && e.Data.IncidentResolved
	}), nil
}

// tellLateFollowers tells the resolution to whoever joined incident i
// after UpdateIncident read its followers (told) and before it was
// resolved: a join checks the incident afterwards (JoinIncident), so one
// that lands after this read hears it is resolved there. They are told
// through the first ticket, on an internal event (its reporter was told
// already).
func (s *Service) tellLateFollowers(ctx context.Context, actor *Person, i *Incident, body string, tickets []*Ticket, told []int64) error {
	now, err := s.store.IncidentFollowers(ctx, i.ID)
	if err != nil || len(tickets) == 0 {
		return err
	}
	var late []*OutboxMessage
	for _, p := range now {
		if !slices.Contains(told, p) && !slices.ContainsFunc(tickets, func(t *Ticket) bool { return t.ReporterID == p }) {
			late = append(late, &OutboxMessage{Audience: AudiencePerson, RecipientID: p})
		}
	}
	if len(late) == 0 {
		return nil
	}
	return s.carry(ctx, actor, i, body, true, tickets[0], late)
}

// tellFollowers tells followers an update of incident i (resolved with
// resolve) through carrier, an archived linked ticket, unless it holds
// the resolution already.
func (s *Service) tellFollowers(ctx context.Context, actor *Person, i *Incident, body string, resolve bool, carrier *Ticket, followers []int64) error {
	if resolve {
		if told, err := s.incidentResolutionTold(ctx, carrier.ID, i.ID); err != nil || told {
			return err
		}
	}
	var msgs []*OutboxMessage
	for _, p := range followers {
		msgs = append(msgs, &OutboxMessage{Audience: AudiencePerson, RecipientID: p})
	}
	return s.carry(ctx, actor, i, body, resolve, carrier, msgs)
}

// carry records an internal event of incident i's update on carrier,
// with msgs: the carrier's thread keeps it, its reporter is not told.
func (s *Service) carry(ctx context.Context, actor *Person, i *Incident, body string, resolve bool, carrier *Ticket, msgs []*OutboxMessage) error {
	_, err := s.updateWith(ctx, func() (*Ticket, error) { return s.store.Ticket(ctx, carrier.Number) }, func(t *Ticket, now time.Time) ([]Change, error) {
		ev := &Event{Kind: EventIncidentUpdate, ActorID: actor.ID, At: now, Body: body,
			Data: EventData{IncidentID: i.ID, IncidentTitle: i.Title, IncidentResolved: resolve}}
		return []Change{{Event: ev, Notify: msgs}}, nil
	})
	return err
}

// maxIncidentTitle bounds an incident title made from a ticket's summary.
const maxIncidentTitle = 200

// partialNumberRE is something meant as a ticket number that is not one
// (FB-2026112, fb-20261125-7): LinkDuplicate names it rather than opening
// an incident titled so. A code like HTTP-502 or E-1001 is a title.
var partialNumberRE = regexp.MustCompile(`^[A-Za-z]{1,8}-\d{6,}(-\d*)?$`)

// incidentOther is the ECONFLICT of grouping a ticket that is in another
// incident: the console moves it (LinkIncident), not a duplicate's link.
func incidentOther(t *Ticket) error {
	return Keyed(ECONFLICT, "incident_other", map[string]any{"Number": t.Number, "ID": IncidentRef(t.IncidentID)},
		"ticket %s is in incident %s already", t.Number, IncidentRef(t.IncidentID))
}

// LinkDuplicate groups ticket number with the problem it duplicates, the
// way staff say it in chat (集中反馈, seed 000 Q6; DESIGN §3): of is an
// incident (INC-3), another ticket (FB-20261125-0003), or else the title
// of a new incident. Given a ticket, number joins that ticket's incident;
// when only number has one, the other ticket joins it; when neither has,
// a new incident titled after the other ticket's summary (its personal
// data scrubbed: reporters see incident titles) takes both — the other
// ticket only while it is open: a closed one's reporter is not promised
// an answer the incident will not bring. Each reporter newly linked is
// told, as LinkIncident tells. A ticket in an incident stays there
// (ECONFLICT incident_other: the console moves tickets). Staff only;
// ENOTFOUND, EFORBIDDEN as Ticket for either ticket; EINVALID for the
// ticket itself or something like a ticket number that is not one;
// ECONFLICT as LinkIncident (linked already, the incident resolved).
func (s *Service) LinkDuplicate(ctx context.Context, actor *Person, number, of string) (*Ticket, error) {
	if !actor.Handles() {
		return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may link incidents")
	}
	of = strings.TrimSpace(of)
	this, err := s.ticketFor(ctx, actor, number, false)
	if err != nil {
		return nil, err
	}
	badOf := Keyed(EINVALID, "duplicate_of", map[string]any{"Of": of}, "%q is neither a ticket number nor an incident", of)
	if len(of) > 4 && strings.EqualFold(of[:4], "INC-") {
		id, ok := ParseIncidentRef(of)
		if !ok {
			return nil, badOf
		}
		return s.linkIncident(ctx, actor, this.Number, id, false)
	}
	if upper := strings.ToUpper(of); ValidNumber(upper) {
		if upper == this.Number {
			return nil, Keyed(EINVALID, "duplicate_self", map[string]any{"Number": this.Number}, "ticket %s cannot duplicate itself", this.Number)
		}
		other, err := s.Ticket(ctx, actor, upper)
		if err != nil {
			return nil, err
		}
		switch {
		case other.IncidentID != 0:
			return s.linkIncident(ctx, actor, this.Number, other.IncidentID, false)
		case this.IncidentID != 0 && !other.Status.Open():
			return nil, Keyed(ECONFLICT, "duplicate_closed", map[string]any{"Number": other.Number, "Status": other.Status},
				"ticket %s is %s: a closed ticket joins no incident", other.Number, other.Status)
		case this.IncidentID != 0:
			if _, err := s.linkIncident(ctx, actor, other.Number, this.IncidentID, false); err != nil {
				return nil, err
			}
			return s.Ticket(ctx, actor, this.Number)
		}
		title := []rune(ScrubPersonal(strings.TrimSpace(other.Summary), other))
		if len(title) > maxIncidentTitle {
			title = append(title[:maxIncidentTitle-1], '…')
		}
		i, err := s.CreateIncident(ctx, actor, string(title))
		if err != nil {
			return nil, err
		}
		if other.Status.Open() {
			if _, err := s.linkIncident(ctx, actor, other.Number, i.ID, false); err != nil {
				return nil, err
			}
		}
		return s.linkIncident(ctx, actor, this.Number, i.ID, false)
	}
	if partialNumberRE.MatchString(of) {
		return nil, badOf
	}
	if n := utf8.RuneCountInString(of); n > maxIncidentTitle {
		return nil, Invalid("invalid incident", "title", "too long", Problem{Key: "length", Args: map[string]any{"Min": 1, "Max": maxIncidentTitle, "Got": n}})
	}
	if this.IncidentID != 0 {
		return nil, incidentOther(this)
	}
	i, err := s.CreateIncident(ctx, actor, of)
	if err != nil {
		return nil, err
	}
	return s.linkIncident(ctx, actor, this.Number, i.ID, false)
}

// UpdateTicketIncident posts an update on ticket number's incident, or
// with resolve resolves it, as UpdateIncident does: staff answer every
// duplicate at once from any one of them. ENOTFOUND when the ticket is
// linked to no incident; errors as Ticket and UpdateIncident.
func (s *Service) UpdateTicketIncident(ctx context.Context, actor *Person, number, body string, resolve bool) (*Incident, error) {
	t, err := s.ticketFor(ctx, actor, number, false)
	if err != nil {
		return nil, err
	}
	if t.IncidentID == 0 {
		return nil, NoIncident(t)
	}
	return s.UpdateIncident(ctx, actor, t.IncidentID, body, resolve)
}

// NoIncident is the ENOTFOUND of acting on the incident of t, which is
// linked to none.
func NoIncident(t *Ticket) error {
	return Keyed(ENOTFOUND, "no_incident", map[string]any{"Number": t.Number}, "ticket %s is linked to no incident", t.Number)
}
