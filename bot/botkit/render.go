package botkit

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/web"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Renderer turns ticket events into the localized text people read in
// chat. Channels add their own buttons.
type Renderer struct {
	Cat *catalog.Catalog
	// People looks up names (the assignee in "claimed by …"). Usually
	// Store.Person.
	People func(ctx context.Context, id int64) (*backend.Person, error)
	// Location is the zone deadlines are shown in. Default Asia/Shanghai.
	Location *time.Location
	// Tasks looks up a complaint's task (its title in the notice of its
	// result). Usually Store.Task; nil: the task is named by its T-12.
	Tasks func(ctx context.Context, id int64) (*backend.Task, error)
	// TaskHow says, in loc, how the reader completes a task in this
	// channel (under the owner's notice). Nil: how in any chat
	// (task.how.any), as e-mail and SMS say it.
	TaskHow func(loc string, kind backend.TaskKind) string
	// Similar finds the other open tickets that look like a ticket
	// (Service.SimilarOpenTickets), counted on its card by region. Nil:
	// cards do not count them.
	Similar func(ctx context.Context, t *backend.Ticket) ([]*backend.Ticket, error)
}

// Locale is the language to write to p in.
func Locale(p *backend.Person) string {
	if p == nil || p.Locale == "" {
		return catalog.ZhCN
	}
	return catalog.Normalize(p.Locale)
}

// Notice is the text of one outbox message for its recipient, in the
// recipient's language.
func (r *Renderer) Notice(ctx context.Context, m notify.Message) string {
	return r.NoticeIn(ctx, Locale(m.Recipient), m)
}

// NoticeIn is Notice in the language loc. A channel uses it where the
// reader is not one person: the triage group reads in the language the
// channel is configured with.
func (r *Renderer) NoticeIn(ctx context.Context, loc string, m notify.Message) string {
	t, e := m.Ticket, m.Event
	data := map[string]any{
		"Number":  t.Number,
		"Summary": clip(t.Summary, 200),
		"Body":    e.Body,
		"Status":  r.Status(loc, t.Status),
	}
	switch e.Kind {
	case backend.EventCreated:
		if m.Outbox.Audience == backend.AudienceTriage {
			return r.Card(ctx, loc, t, nil)
		}
		return r.Cat.T(loc, "notify.created", data)
	case backend.EventAssigned:
		data["Assignee"] = r.name(ctx, e.Data.AssigneeID)
		if m.Outbox.Audience == backend.AudienceReporter {
			return r.Cat.T(loc, "notify.assigned.reporter", data)
		}
		if !e.Data.Due.IsZero() {
			// Seed 002: they confirm it by the deadline, or return it.
			data["Due"] = e.Data.Due.In(r.zone()).Format("2006-01-02 15:04")
			return r.Cat.T(loc, "notify.assigned.assignee_due", data)
		}
		return r.Cat.T(loc, "notify.assigned.assignee", data)
	case backend.EventTransferred:
		data["Team"], data["From"] = TeamName(r.Cat, loc, e.Data.TeamName), TeamName(r.Cat, loc, e.Data.FromTeamName)
		if m.Outbox.Audience == backend.AudienceReporter {
			return r.Cat.T(loc, "notify.transferred.reporter", data)
		}
		data["Actor"] = r.name(ctx, e.ActorID)
		return r.Cat.T(loc, "notify.transferred.staff", data)
	case backend.EventProgress:
		data["Status"], data["Hours"] = r.Status(loc, e.Data.To), e.Data.QuietHours
		if m.Outbox.Audience == backend.AudienceReporter {
			data["Assignee"] = r.Cat.T(loc, "card.nobody", nil)
			if e.Data.AssigneeID != 0 {
				data["Assignee"] = r.name(ctx, e.Data.AssigneeID)
			}
			return r.Cat.T(loc, "notify.progress.reporter", data)
		}
		data["Severity"] = r.Severity(loc, t.Severity)
		return r.Cat.T(loc, "notify.progress.staff", data)
	case backend.EventDelay, backend.EventPlanned:
		// Seed 002: a delay is told before the deadline passes, and
		// reported to the direct managers; a suggestion taken into the
		// backlog is told with its plan.
		data["Actor"] = r.name(ctx, e.ActorID)
		key := "notify." + string(e.Kind) + ".staff"
		if m.Outbox.Audience == backend.AudienceReporter {
			key = "notify." + string(e.Kind) + ".reporter"
		}
		if !e.Data.Due.IsZero() {
			data["By"] = e.Data.Due.In(r.zone()).Format("2006-01-02 15:04")
			key += "_by"
		}
		return r.Cat.T(loc, key, data)
	case backend.EventStatusChanged:
		data["From"], data["To"] = r.Status(loc, e.Data.From), r.Status(loc, e.Data.To)
		switch {
		case m.Outbox.Audience == backend.AudienceTriage && e.Data.To == backend.StatusReturned:
			return r.Cat.T(loc, "notify.returned.triage", data)
		case e.Data.To == backend.StatusWaitingReporter:
			return r.Cat.T(loc, "notify.ask", data)
		case e.Data.To == backend.StatusPendingConfirmation && m.Outbox.Audience == backend.AudienceReporter:
			// Seed 002 待客户确认: the solution is put to them; the
			// channels add the buttons that answer it (ConfirmSolution).
			return r.Cat.T(loc, "notify.confirm.reporter", data)
		case e.Data.To == backend.StatusResolved && e.ActorID != 0 && e.ActorID == t.ReporterID:
			return r.Cat.T(loc, "notify.resolved_confirmed", data) // they confirmed it
		case e.Data.To == backend.StatusResolved:
			return r.Cat.T(loc, "notify.resolved", data)
		case e.Data.To == backend.StatusReturned:
			return r.Cat.T(loc, "notify.returned.reporter", data)
		case e.Data.To == backend.StatusReopened && m.Outbox.Audience != backend.AudienceReporter:
			return r.Cat.T(loc, "notify.reopened.staff", data)
		}
		return r.Cat.T(loc, "notify.status", data)
	case backend.EventComment:
		if m.Outbox.Audience == backend.AudienceReporter {
			return r.Cat.T(loc, "notify.reply", data)
		}
		return r.Cat.T(loc, "notify.followup", data)
	case backend.EventSeverityChanged:
		data["From"], data["To"] = r.Severity(loc, e.Data.FromSeverity), r.Severity(loc, e.Data.ToSeverity)
		return r.Cat.T(loc, "notify.severity", data)
	case backend.EventIncidentLinked:
		data["Incident"] = e.Data.IncidentID
		return r.Cat.T(loc, "notify.incident", data)
	case backend.EventIncidentUpdate:
		// Also sent to followers who joined from the dialog, whose
		// message rides on someone else's ticket: it names the incident
		// only.
		inc := map[string]any{"ID": backend.IncidentRef(e.Data.IncidentID), "Title": e.Data.IncidentTitle, "Body": e.Body}
		if e.Data.IncidentResolved {
			return r.Cat.T(loc, "notify.incident_resolved", inc)
		}
		return r.Cat.T(loc, "notify.incident_update", inc)
	case backend.EventAttachment:
		if e.Data.Attachment != nil {
			data["Name"] = e.Data.Attachment.Name
		}
		return r.Cat.T(loc, "notify.attachment", data)
	case backend.EventSatisfaction:
		data["Rating"] = r.Cat.T(loc, "rating."+string(e.Data.Satisfaction), nil)
		return r.Cat.T(loc, "notify.satisfaction", data)
	case backend.EventConfirmation:
		if e.Data.Solved {
			return r.Cat.T(loc, "notify.confirmed.solved", data)
		}
		return r.Cat.T(loc, "notify.confirmed.unsolved", data)
	case backend.EventClock, backend.EventEscalation, backend.EventAcknowledged:
		return r.slaNotice(ctx, loc, m, data) // sla.go
	case backend.EventTask:
		return r.taskNotice(ctx, loc, m, data) // task.go
	case backend.EventComplaint:
		return r.complaintNotice(ctx, loc, m, data)
	case backend.EventFollowUp:
		switch step := e.Data.FollowUpStep; step {
		case backend.StepUrged:
			data["Actor"] = r.name(ctx, e.ActorID)
			return r.Cat.T(loc, "notify.followup_urged", data)
		case backend.StepSurveyed: // told only when the problem is unsolved
			data["Actor"] = r.name(ctx, e.ActorID)
			data["Factors"] = FactorNames(r.Cat, loc, e.Data.Factors)
			return r.Cat.T(loc, "notify.followup_unsolved", data)
		case backend.StepSurveyDue, backend.StepCallbackDue:
			var overdue bool
			data["From"], data["Last"], overdue = e.ReminderWindow(r.zone())
			if overdue {
				return r.Cat.T(loc, "notify.followup_"+step+".overdue", data)
			}
			return r.Cat.T(loc, "notify.followup_"+step, data)
		}
	}
	return r.Cat.T(loc, "notify.status", data)
}

// Card is the ticket as shown to assistants (the triage card): every
// intake field, with contacts and account masked unless viewer may see
// them (nil viewer: a group chat, always masked).
func (r *Renderer) Card(ctx context.Context, loc string, t *backend.Ticket, viewer *backend.Person) string {
	shown := t.RedactedFor(viewer) // the rule the console and the API show by
	var contacts []string
	for _, kv := range [][2]string{{"phone", shown.Contacts.Phone}, {"email", shown.Contacts.Email}, {"qq", shown.Contacts.QQ}} {
		if kv[1] != "" {
			contacts = append(contacts, r.Cat.T(loc, "card.contact."+kv[0], nil)+" "+kv[1])
		}
	}
	assignee := r.Cat.T(loc, "card.nobody", nil)
	if t.AssigneeID != 0 {
		assignee = r.name(ctx, t.AssigneeID)
	}
	// When the problem happened as people there say it: in the renderer's
	// zone, whatever zone the store read it in, and as the day alone when
	// the reporter named only the day (the web console shows it the same
	// way); "" for a form that does not ask (a complaint, a suggestion).
	occurred := t.Occurred(r.zone())
	card := r.Cat.T(loc, "card.ticket", map[string]any{
		"Number":      t.Number,
		"Severity":    r.Severity(loc, t.Severity),
		"Status":      r.Status(loc, t.Status),
		"Summary":     clip(t.Summary, 500),
		"Category":    dash(strings.Join(t.CategoryPath, " / ")),
		"Region":      dash(t.Region),
		"OccurredAt":  dash(occurred),
		"OrderNumber": dash(shown.OrderNumber),
		"Account":     dash(shown.Account),
		"Contacts":    dash(strings.Join(contacts, ", ")),
		"Files":       len(t.Attachments),
		"Assignee":    assignee,
	})
	if t.IncidentID != 0 {
		card += "\n" + r.Cat.T(loc, "card.incident", map[string]any{"ID": backend.IncidentRef(t.IncidentID)})
	}
	if line := r.similar(ctx, loc, t); line != "" {
		card += "\n" + line
	}
	// The form's own fields (a complaint's customer, requests, urgency),
	// labelled as the form asked them. A choice is shown as its label; a
	// field about the customer's person (backend.PersonalField) is masked
	// like contacts on a masked card, while business text (their
	// requests, a category of one's own) is what the handler must read at
	// a glance (seed 001).
	for _, k := range slices.Sorted(maps.Keys(t.Extra)) {
		v := web.ExtraValue(r.Cat, loc, t.Form, k, shown.Extra[k]) // a choice: its label
		card += "\n" + web.ExtraLabel(r.Cat, loc, t.Form, k) + r.Cat.T(loc, "dialog.value.colon", nil) + clip(v, 300)
	}
	return card
}

// maxSimilarShown is how many similar tickets a card names.
const maxSimilarShown = 3

// similar is the card's line about the other open tickets that look like
// t (seed 000 Q3: 根据发生时间和区域,综合同类问题数量集中反馈): how many, by
// region, the most alike named; "" when there are none, t is closed, or
// they cannot be read (the card shows without it).
func (r *Renderer) similar(ctx context.Context, loc string, t *backend.Ticket) string {
	if r.Similar == nil || !t.Status.Open() {
		return ""
	}
	others, err := r.Similar(ctx, t)
	if err != nil || len(others) == 0 {
		return ""
	}
	var counts []string
	for _, rc := range backend.ByRegion(others) {
		name := rc.Region
		if name == "" {
			name = r.Cat.T(loc, "card.similar.no_region", nil)
		}
		counts = append(counts, r.Cat.T(loc, "card.similar.region", map[string]any{"Region": name, "Count": rc.Count}))
	}
	var named []string
	for _, o := range others[:min(len(others), maxSimilarShown)] {
		named = append(named, r.Cat.T(loc, "card.similar.ticket", map[string]any{"Number": o.Number, "Incident": incidentRef(o.IncidentID)}))
	}
	return r.Cat.T(loc, "card.similar", map[string]any{"Count": len(others), "Days": int(backend.SimilarWindow.Hours() / 24),
		"Regions": strings.Join(counts, r.Cat.T(loc, "dialog.list_sep", nil)), "Tickets": strings.Join(named, r.Cat.T(loc, "dialog.list_sep", nil)),
		"More": len(others) > maxSimilarShown})
}

// incidentRef is INC-3, or "" for no incident.
func incidentRef(id int64) string {
	if id == 0 {
		return ""
	}
	return backend.IncidentRef(id)
}

// Status is a status's localized name.
func (r *Renderer) Status(loc string, s backend.Status) string {
	return r.Cat.T(loc, "status."+string(s), nil)
}

// Severity is a level's localized name ("P1 紧急").
func (r *Renderer) Severity(loc string, s backend.Severity) string {
	return r.Cat.T(loc, "severity.name."+string(s), nil)
}

// TeamName is a team's name as a transfer recorded it; a ticket that had
// no team (or one whose name is unknown) came from "no team".
func TeamName(cat *catalog.Catalog, loc, name string) string {
	if name == "" {
		return cat.T(loc, "team.none", nil)
	}
	return name
}

func (r *Renderer) name(ctx context.Context, id int64) string {
	if r.People == nil || id == 0 {
		return "#" + itoa(id)
	}
	p, err := r.People(ctx, id)
	if err != nil {
		return "#" + itoa(id)
	}
	return p.Name
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
