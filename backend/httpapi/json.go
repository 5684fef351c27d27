package httpapi

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// ticketInput is the body of POST /api/v1/tickets.
type ticketInput struct {
	Prefix       string               `json:"prefix"`
	Form         string               `json:"form"`
	Summary      string               `json:"summary"`
	ReferenceID  string               `json:"reference_id"`
	CategoryPath []string             `json:"category"`
	Attachments  []backend.Attachment `json:"attachments"`
	OccurredAt   string               `json:"occurred_at"` // RFC 3339
	// OccurredDateOnly: occurred_at is the start of a day named without
	// a time; cards show the day alone.
	OccurredDateOnly bool              `json:"occurred_date_only"`
	Region           string            `json:"region"`
	Severity         backend.Severity  `json:"severity"`
	OrderNumber      string            `json:"order_number"`
	Account          string            `json:"account"`
	Contacts         backend.Contacts  `json:"contacts"`
	Extra            map[string]string `json:"extra"`
	ReporterID       int64             `json:"reporter_id"`
}

// toDomain converts the request to the service's input, adding to p what
// cannot be converted (an unknown form, a time that is not RFC 3339).
func (in *ticketInput) toDomain(p *problems) backend.NewTicket {
	nt := backend.NewTicket{
		Prefix: in.Prefix, Form: in.Form, Summary: in.Summary, ReferenceID: in.ReferenceID,
		CategoryPath: in.CategoryPath, Region: in.Region,
		Severity: in.Severity, OrderNumber: in.OrderNumber, Account: in.Account,
		Contacts: in.Contacts, Extra: in.Extra, Channel: "api", ReporterID: in.ReporterID,
	}
	switch nt.Form {
	case "", backend.FormFeedback, backend.FormSuggestion, backend.FormComplaint:
		// The forms whose rules the backend holds tickets to; any other
		// name would skip them.
	default:
		p.add("form", "must be feedback, suggestion or complaint")
	}
	if nt.Prefix == "" {
		nt.Prefix = map[string]string{backend.FormSuggestion: "SG", backend.FormComplaint: "CP"}[nt.Form]
	}
	if nt.Prefix == "" {
		nt.Prefix = "FB"
	}
	if in.OccurredAt != "" {
		t, err := time.Parse(time.RFC3339, in.OccurredAt)
		if err != nil {
			p.add("occurred_at", "must be an RFC 3339 time like 2026-11-20T10:00:00+08:00")
		}
		nt.OccurredAt, nt.OccurredDateOnly = t, in.OccurredDateOnly
	}
	return nt
}

// uploadJSON is the answer to POST /api/v1/attachments.
type uploadJSON struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// ticketJSON is a ticket as the API shows it.
type ticketJSON struct {
	Number       string               `json:"number"`
	Form         string               `json:"form"`
	Summary      string               `json:"summary"`
	ReferenceID  string               `json:"reference_id,omitempty"`
	CategoryPath []string             `json:"category"`
	Attachments  []backend.Attachment `json:"attachments"`
	OccurredAt   time.Time            `json:"occurred_at,omitzero"` // left out for forms that do not ask (complaint, suggestion)
	// OccurredDateOnly: occurred_at is the start of a day the reporter
	// named without a time.
	OccurredDateOnly bool                 `json:"occurred_date_only,omitempty"`
	Region           string               `json:"region"`
	Severity         backend.Severity     `json:"severity"`
	OrderNumber      string               `json:"order_number,omitempty"`
	Account          string               `json:"account,omitempty"`
	Contacts         backend.Contacts     `json:"contacts"`
	Extra            map[string]string    `json:"extra,omitempty"`
	Status           backend.Status       `json:"status"`
	NextStatuses     []backend.Status     `json:"next_statuses"`
	ReporterID       int64                `json:"reporter_id"`
	AssigneeID       int64                `json:"assignee_id,omitempty"`
	AcceptedAt       *time.Time           `json:"accepted_at,omitempty"` // the assignee confirmed it (seed 002); absent until then
	TeamID           int64                `json:"team_id,omitempty"`
	IncidentID       int64                `json:"incident_id,omitempty"`
	Satisfaction     backend.Satisfaction `json:"satisfaction,omitempty"`
	Solution         string               `json:"solution,omitempty"`
	Channel          string               `json:"channel,omitempty"`
	Source           string               `json:"source,omitempty"` // the group chat message reported: "telegram:<chat>:<message>"
	CreatedAt        time.Time            `json:"created_at"`
	UpdatedAt        time.Time            `json:"updated_at"`
	ResolvedAt       *time.Time           `json:"resolved_at,omitempty"`
	Events           []eventJSON          `json:"events,omitempty"`
}

func ticketOut(t *backend.Ticket, actor *backend.Person) *ticketJSON {
	t = t.RedactedFor(actor)
	out := &ticketJSON{
		Number: t.Number, Form: t.Form, Summary: t.Summary, ReferenceID: t.ReferenceID,
		CategoryPath: t.CategoryPath, Attachments: t.Attachments, OccurredAt: t.OccurredAt, OccurredDateOnly: t.OccurredDateOnly,
		Region: t.Region, Severity: t.Severity, OrderNumber: t.OrderNumber, Account: t.Account,
		Contacts: t.Contacts, Extra: t.Extra, Status: t.Status, NextStatuses: t.Status.Next(),
		ReporterID: t.ReporterID, AssigneeID: t.AssigneeID, TeamID: t.TeamID, IncidentID: t.IncidentID,
		Satisfaction: t.Satisfaction, Solution: t.Solution, Channel: t.Channel, Source: t.Source,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
	if out.Attachments == nil {
		out.Attachments = []backend.Attachment{}
	}
	if out.CategoryPath == nil {
		out.CategoryPath = []string{}
	}
	if !t.ResolvedAt.IsZero() {
		r := t.ResolvedAt
		out.ResolvedAt = &r
	}
	if !t.AcceptedAt.IsZero() {
		a := t.AcceptedAt
		out.AcceptedAt = &a
	}
	return out
}

type eventJSON struct {
	ID      int64             `json:"id"`
	Kind    backend.EventKind `json:"kind"`
	ActorID int64             `json:"actor_id,omitempty"`
	At      time.Time         `json:"at"`
	Public  bool              `json:"public"`
	Body    string            `json:"body,omitempty"`
	Data    backend.EventData `json:"data"`
}

func eventOut(e *backend.Event) eventJSON {
	return eventJSON{ID: e.ID, Kind: e.Kind, ActorID: e.ActorID, At: e.At, Public: e.Public, Body: e.Body, Data: e.Data}
}

type listJSON struct {
	Tickets    []*ticketJSON `json:"tickets"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// parseFilter reads list filters from the query string:
// reporter, assignee, team (ids), status and severity (comma lists),
// category (a/b path prefix), created_after / created_before (RFC 3339),
// q (search), cursor, limit.
func parseFilter(q url.Values) (backend.TicketFilter, error) {
	var f backend.TicketFilter
	fe := map[string]string{}
	id := func(name string) int64 {
		v := q.Get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			fe[name] = "must be a positive integer"
		}
		return n
	}
	f.ReporterID, f.AssigneeID, f.TeamID = id("reporter"), id("assignee"), id("team")
	f.After, f.Limit = pageParams(q, fe)
	for _, s := range splitList(q.Get("status")) {
		st := backend.Status(s)
		if !st.Valid() {
			fe["status"] = "unknown status " + s
		}
		f.Status = append(f.Status, st)
	}
	for _, s := range splitList(q.Get("severity")) {
		sv := backend.Severity(strings.ToUpper(s))
		if !sv.Valid() {
			fe["severity"] = "unknown severity " + s
		}
		f.Severity = append(f.Severity, sv)
	}
	if v := q.Get("category"); v != "" {
		f.CategoryPath = strings.Split(v, "/")
	}
	when := func(name string) time.Time {
		v := q.Get(name)
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fe[name] = "must be an RFC 3339 time"
		}
		return t
	}
	f.CreatedAfter, f.CreatedBefore = when("created_after"), when("created_before")
	f.Query = strings.TrimSpace(q.Get("q"))
	if len(fe) > 0 {
		return f, &backend.Error{Code: backend.EINVALID, Message: "invalid filter", Fields: fe}
	}
	return f, nil
}

// searchJSON is the body of POST /api/v1/tickets/search: the filter of
// GET /api/v1/tickets, out of the URL, for a search by a customer's phone
// or e-mail (personal data never goes into URLs, DESIGN §10).
type searchJSON struct {
	Q             string   `json:"q"`
	Status        []string `json:"status"`
	Severity      []string `json:"severity"`
	Category      []string `json:"category"`
	Reporter      int64    `json:"reporter"`
	Assignee      int64    `json:"assignee"`
	Team          int64    `json:"team"`
	CreatedAfter  string   `json:"created_after"`
	CreatedBefore string   `json:"created_before"`
	Limit         int      `json:"limit"`
	Cursor        string   `json:"cursor"`
}

// values is the search as GET /api/v1/tickets's query, for parseFilter.
func (s searchJSON) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	num := func(k string, n int64) {
		if n != 0 {
			v.Set(k, strconv.FormatInt(n, 10))
		}
	}
	set("q", s.Q)
	set("status", strings.Join(s.Status, ","))
	set("severity", strings.Join(s.Severity, ","))
	set("category", strings.Join(s.Category, "/"))
	num("reporter", s.Reporter)
	num("assignee", s.Assignee)
	num("team", s.Team)
	num("limit", int64(s.Limit))
	set("created_after", s.CreatedAfter)
	set("created_before", s.CreatedBefore)
	set("cursor", s.Cursor)
	return v
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// clocksJSON is the body of GET /api/v1/tickets/{number}/clocks.
type clocksJSON struct {
	Number string      `json:"number"`
	Clocks []clockJSON `json:"clocks"`
}

// clockJSON is one SLA clock; times that did not happen are left out.
type clockJSON struct {
	Name          string             `json:"name"`
	Run           int                `json:"run"`
	State         backend.ClockState `json:"state"`
	PolicyVersion string             `json:"policy_version"`
	Severity      backend.Severity   `json:"severity"`
	Budget        string             `json:"budget"` // e.g. "2h0m0s business"
	StartedAt     time.Time          `json:"started_at"`
	PausedAt      *time.Time         `json:"paused_at,omitempty"`
	StoppedAt     *time.Time         `json:"stopped_at,omitempty"`
	WarnAt        *time.Time         `json:"warn_at,omitempty"`
	DueAt         *time.Time         `json:"due_at,omitempty"`
	WarnedAt      *time.Time         `json:"warned_at,omitempty"`
	BreachedAt    *time.Time         `json:"breached_at,omitempty"`
	Step          int                `json:"step"`
	AckedBy       int64              `json:"acked_by,omitempty"`
	AckedAt       *time.Time         `json:"acked_at,omitempty"`
}

func clockOut(c *backend.Clock) clockJSON {
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return clockJSON{Name: c.Name, Run: c.Run, State: c.State, PolicyVersion: c.PolicyVersion, Severity: c.Severity,
		Budget: c.Budget.String() + " " + c.Unit, StartedAt: c.StartedAt, PausedAt: opt(c.PausedAt),
		StoppedAt: opt(c.StoppedAt), WarnAt: opt(c.WarnAt), DueAt: opt(c.DueAt), WarnedAt: opt(c.WarnedAt),
		BreachedAt: opt(c.BreachedAt), Step: c.Step, AckedBy: c.AckedBy, AckedAt: opt(c.AckedAt)}
}

// pageParams reads a list's cursor (a positive id) and limit (1–200)
// from q; a bad one is a problem in fe.
func pageParams(q url.Values, fe map[string]string) (after int64, limit int) {
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			fe["cursor"] = "must be a positive integer"
		}
		after = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			fe["limit"] = "must be 1–200"
		}
		limit = n
	}
	return after, limit
}
