package web

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/size"
)

// Translator gives the text of a catalog key in a locale; the dialogs
// catalog (*catalog.Catalog) implements it.
type Translator interface {
	T(locale, id string, data map[string]any) string
}

//go:embed templates/*.html
var templateFS embed.FS

// Static holds the files pages load: htmx (htmx.org 2.0.11, from the npm
// registry's dist/htmx.min.js, BSD Zero Clause licence, see
// static/htmx.LICENSE), app.js and style.css. Serve it with StaticHandler.
//
//go:embed static
var staticFS embed.FS

// StaticHandler serves the static files under prefix (e.g. "/console/static/").
// They are immutable per build, so they may be cached for a day.
func StaticHandler(prefix string) http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.StripPrefix(prefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fsrv.ServeHTTP(w, r)
	})
}

// Funcs are the template functions pages share; t translates with
// key-value pairs: {{t $.Loc "web.x" "Number" .Number}}.
func Funcs(tr Translator) template.FuncMap {
	return template.FuncMap{
		"t": func(loc, key string, kv ...any) string {
			var data map[string]any
			if len(kv) > 1 {
				data = map[string]any{}
				for i := 0; i+1 < len(kv); i += 2 {
					data[fmt.Sprint(kv[i])] = kv[i+1]
				}
			}
			return tr.T(loc, key, data)
		},
		"status": func(loc string, s backend.Status) string { return tr.T(loc, "status."+string(s), nil) },
		"sev":    func(loc string, s backend.Severity) string { return tr.T(loc, "severity.name."+string(s), nil) },
		"when": func(t time.Time, loc *time.Location) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(loc).Format("2006-01-02 15:04")
		},
		"day": func(t time.Time, loc *time.Location) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(loc).Format("2006-01-02")
		},
		"dash": func(s string) string {
			if strings.TrimSpace(s) == "" {
				return "—"
			}
			return s
		},
		"join":  strings.Join,
		"size":  size.Text,
		"isImg": func(ct string) bool { return strings.HasPrefix(ct, "image/") },
		"str":   func(v any) string { return fmt.Sprint(v) },
		"i64":   func(n int64) string { return strconv.FormatInt(n, 10) },
		"extra": func(loc, form, field string) string { return ExtraLabel(tr, loc, form, field) },
		"extraval": func(loc, form, field, value string) string {
			return ExtraValue(tr, loc, form, field, value)
		},
		"pct": func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
		"inc": func(i int) int { return i + 1 },
	}
}

// Pages is a set of page templates, each parsed with the shared layout.
type Pages struct {
	set map[string]*template.Template
	log *slog.Logger
}

// ParsePages parses every page in fsys (glob pattern) together with the
// layout files; pages are known by their file name without ".html".
func ParsePages(fsys fs.FS, funcs template.FuncMap, layout []string, pages []string, log *slog.Logger) (*Pages, error) {
	p := &Pages{set: map[string]*template.Template{}, log: log}
	for _, page := range pages {
		files := append(append([]string{}, layout...), page)
		t, err := template.New(page).Funcs(funcs).ParseFS(fsys, files...)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", page, err)
		}
		name := strings.TrimSuffix(page[strings.LastIndexByte(page, '/')+1:], ".html")
		p.set[name] = t
	}
	return p, nil
}

// Render executes template name (a page's "page" template, or one of its
// fragments) of page into w with status. It renders into a buffer first
// so that a template error is a clean 500, never half a page.
func (p *Pages) Render(w http.ResponseWriter, status int, page, name string, data any) {
	t, ok := p.set[page]
	if !ok {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		p.log.Error("web: render", "page", page, "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// SecurityHeaders sets the headers every page gets: a strict content
// security policy (scripts and styles only from this origin, so injected
// markup cannot run), no framing, no MIME sniffing, no referrer beyond
// this origin.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// StatusOf maps a domain error code to an HTTP status, in one place.
func StatusOf(err error) int {
	switch backend.ErrorCode(err) {
	case backend.ENOTFOUND:
		return http.StatusNotFound
	case backend.EFORBIDDEN:
		return http.StatusForbidden
	case backend.ECONFLICT:
		return http.StatusConflict
	case backend.EINVALID:
		return http.StatusUnprocessableEntity
	case backend.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case backend.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ErrorText is what a person reads about err: a catalog text per code,
// with the domain message (never an internal one) as detail.
func ErrorText(tr Translator, loc string, err error) string {
	code := backend.ErrorCode(err)
	detail := backend.ErrorText(err, func(id string, data map[string]any) string { return tr.T(loc, id, data) })
	switch code {
	case backend.ENOTFOUND, backend.EFORBIDDEN, backend.ECONFLICT, backend.EINVALID, backend.EUNAUTHORIZED:
		return tr.T(loc, "web.err."+code, map[string]any{"Detail": detail})
	case backend.EUNAVAILABLE:
		return tr.T(loc, "web.err.unavailable", nil)
	}
	return tr.T(loc, "web.err.internal", nil)
}

// ExtraLabel is the label of a form field kept in Ticket.Extra, in loc:
// the form's own label ("客户要求"), "分类（其他）" for a tree's free text
// (<field>_other), or the field id for a form the catalog does not know.
func ExtraLabel(tr Translator, loc, form, field string) string {
	label := func(f string) (string, bool) {
		id := "form." + cmp.Or(form, "feedback") + "." + f + ".label"
		s := tr.T(loc, id, nil)
		return s, s != id
	}
	if s, ok := label(field); ok {
		return s
	}
	if base, ok := strings.CutSuffix(field, "_other"); ok {
		if s, ok := label(base); ok {
			return tr.T(loc, "web.field.other", map[string]any{"Label": s})
		}
	}
	return field
}

// ExtraValue is a form field's value as people read it: a choice's label
// (form.<form>.<field>.opt.<value>: 一般, not normal), anything else as it is.
func ExtraValue(tr Translator, loc, form, field, value string) string {
	id := "form." + cmp.Or(form, "feedback") + "." + field + ".opt." + value
	if s := tr.T(loc, id, nil); s != id {
		return s
	}
	return value
}

// EventLine is one entry of a ticket's thread as people read it; name
// gives a person's display name. A task's deadline is left out: it needs
// the reader's zone (EventLineIn).
func EventLine(tr Translator, loc string, e *backend.Event, name func(int64) string) string {
	return EventLineIn(tr, loc, nil, e, name)
}

// EventLineIn is EventLine with times in zone (nil: no times are shown).
func EventLineIn(tr Translator, loc string, zone *time.Location, e *backend.Event, name func(int64) string) string {
	d := map[string]any{"Actor": name(e.ActorID), "Body": e.Body}
	switch e.Kind {
	case backend.EventCreated:
		return tr.T(loc, "web.ev.created", d)
	case backend.EventComment:
		if e.Public {
			return tr.T(loc, "web.ev.reply", d)
		}
		return tr.T(loc, "web.ev.note", d)
	case backend.EventStatusChanged:
		d["From"] = tr.T(loc, "status."+string(e.Data.From), nil)
		d["To"] = tr.T(loc, "status."+string(e.Data.To), nil)
		if e.Body != "" {
			return tr.T(loc, "web.ev.status_note", d)
		}
		return tr.T(loc, "web.ev.status", d)
	case backend.EventAssigned:
		d["Assignee"] = name(e.Data.AssigneeID)
		return tr.T(loc, "web.ev.assigned", d)
	case backend.EventTransferred:
		d["Team"], d["From"] = e.Data.TeamName, e.Data.FromTeamName
		for _, k := range []string{"Team", "From"} {
			if d[k] == "" {
				d[k] = tr.T(loc, "team.none", nil)
			}
		}
		return tr.T(loc, "web.ev.transferred", d)
	case backend.EventProgress:
		d["To"], d["Hours"] = tr.T(loc, "status."+string(e.Data.To), nil), e.Data.QuietHours
		return tr.T(loc, "web.ev.progress", d)
	case backend.EventDelay, backend.EventPlanned:
		if zone != nil && !e.Data.Due.IsZero() {
			d["By"] = e.Data.Due.In(zone).Format("2006-01-02 15:04")
			return tr.T(loc, "web.ev."+string(e.Kind)+"_by", d)
		}
		return tr.T(loc, "web.ev."+string(e.Kind), d)
	case backend.EventReturned:
		return tr.T(loc, "web.ev.status_note", d)
	case backend.EventAttachment:
		if e.Data.Attachment != nil {
			d["Name"] = e.Data.Attachment.Name
		}
		return tr.T(loc, "web.ev.attachment", d)
	case backend.EventIncidentLinked:
		d["Incident"] = e.Data.IncidentID
		return tr.T(loc, "web.ev.incident", d)
	case backend.EventIncidentUpdate:
		d["ID"], d["Title"] = backend.IncidentRef(e.Data.IncidentID), e.Data.IncidentTitle
		if e.Data.IncidentResolved {
			return tr.T(loc, "web.ev.incident_resolved", d)
		}
		return tr.T(loc, "web.ev.incident_update", d)
	case backend.EventSatisfaction:
		d["Rating"] = tr.T(loc, "rating."+string(e.Data.Satisfaction), nil)
		return tr.T(loc, "web.ev.satisfaction", d)
	case backend.EventConfirmation:
		if e.Data.Solved {
			return tr.T(loc, "web.ev.confirmed_solved", d)
		}
		return tr.T(loc, "web.ev.confirmed_unsolved", d)
	case backend.EventSeverityChanged:
		d["From"], d["To"] = string(e.Data.FromSeverity), string(e.Data.ToSeverity)
		return tr.T(loc, "web.ev.severity", d)
	case backend.EventNotificationSent:
		// notify writes "sent via <platform> to <audience>", or why not.
		var platform, audience string
		if n, _ := fmt.Sscanf(e.Body, "sent via %s to %s", &platform, &audience); n == 2 {
			d["Platform"] = tr.T(loc, "web.platform."+platform, nil)
			d["Audience"] = tr.T(loc, "web.audience."+audience, nil)
			return tr.T(loc, "web.ev.sent", d)
		}
		return tr.T(loc, "web.ev.notified", d)
	case backend.EventMilestone:
		d["Milestone"] = tr.T(loc, "sla.milestone."+e.Body, nil)
		return tr.T(loc, "web.ev.milestone", d)
	case backend.EventClock: // Body: "<clock> started|paused|resumed|stopped|warning|re-planned for P2"
		d["Clock"] = tr.T(loc, "sla.clock."+e.Data.Clock, nil)
		what, _, _ := strings.Cut(strings.TrimPrefix(e.Body, e.Data.Clock+" "), " ")
		switch what {
		case "started", "paused", "resumed", "stopped", "warning", "re-planned":
			return tr.T(loc, "web.ev.clock."+what, d)
		}
		return tr.T(loc, "web.ev.clock", d)
	case backend.EventEscalation:
		// A notice, digest or batch (Clock notice_created, digest, …): its
		// body's first word says which.
		switch what, _, _ := strings.Cut(e.Body, " "); what {
		case "notice", "digest", "batch":
			return tr.T(loc, "web.ev.escalation."+what, d)
		}
		if e.Data.Clock == "" {
			return tr.T(loc, "web.ev.notified", d)
		}
		d["Clock"], d["Step"] = tr.T(loc, "sla.clock."+e.Data.Clock, nil), e.Data.Step
		return tr.T(loc, "web.ev.escalation", d)
	case backend.EventAcknowledged:
		d["Clock"] = tr.T(loc, "sla.clock."+e.Data.Clock, nil)
		return tr.T(loc, "web.ev.acknowledged", d)
	case backend.EventFollowUp:
		return followUpLine(tr, loc, zone, e, d)
	case backend.EventTask:
		return taskLine(tr, loc, zone, e, d, name)
	case backend.EventComplaint:
		switch step := e.Data.RecordStep; step {
		case backend.StepCause, backend.StepApproved, backend.StepSentToCustomer:
			return tr.T(loc, "web.ev.complaint."+step, d)
		}
		return tr.T(loc, "web.ev.complaint", d)
	}
	return string(e.Kind)
}

// taskLine is a step of a complaint's task: added (with its owner and,
// given a zone, its deadline), done (with what is left) or overdue.
func taskLine(tr Translator, loc string, zone *time.Location, e *backend.Event, d map[string]any, name func(int64) string) string {
	d["Owner"] = name(e.Data.AssigneeID)
	d["ID"] = ""
	if e.Data.TaskID != 0 {
		d["ID"] = backend.TaskRef(e.Data.TaskID)
	}
	d["Left"] = e.Data.TasksLeft
	if e.Data.TaskKind == backend.TaskConsult {
		// Another team's opinion (seed 002 跨部门协作).
		d["Team"] = e.Data.TeamName
		d["Due"] = "—"
		if zone != nil && !e.Data.Due.IsZero() {
			d["Due"] = e.Data.Due.In(zone).Format("2006-01-02 15:04")
		}
		switch step := e.Data.TaskStep; step {
		case backend.TaskAdded, backend.TaskDone, backend.TaskOverdue:
			return tr.T(loc, "web.ev.consult."+step, d)
		}
	}
	switch e.Data.TaskStep {
	case backend.TaskAdded:
		if zone != nil && !e.Data.Due.IsZero() {
			d["Due"] = e.Data.Due.In(zone).Format("2006-01-02 15:04")
			return tr.T(loc, "web.ev.task.added_due", d)
		}
		return tr.T(loc, "web.ev.task.added", d)
	case backend.TaskDone:
		if e.Data.TasksLeft == 0 {
			return tr.T(loc, "web.ev.task.done_all", d)
		}
		return tr.T(loc, "web.ev.task.done", d)
	case backend.TaskOverdue:
		return tr.T(loc, "web.ev.task.overdue", d)
	case backend.TaskObjected:
		return tr.T(loc, "web.ev.task.objected", d) // the body is the reason
	case backend.TaskKept:
		return tr.T(loc, "web.ev.task.kept", d)
	case backend.TaskChanged:
		d["Due"] = "—"
		if zone != nil && !e.Data.Due.IsZero() {
			d["Due"] = e.Data.Due.In(zone).Format("2006-01-02 15:04")
		}
		return tr.T(loc, "web.ev.task.changed", d)
	}
	return tr.T(loc, "web.ev.task", d)
}

// followUpLine is a follow-up step of the thread (staff only): a mark, a
// survey with its factors, a callback with its outcome, an urge, or a
// reminder that a survey or callback is due (its window in zone).
func followUpLine(tr Translator, loc string, zone *time.Location, e *backend.Event, d map[string]any) string {
	switch step := e.Data.FollowUpStep; step {
	case backend.StepSurveyDue, backend.StepCallbackDue:
		var overdue bool
		d["From"], d["Last"], overdue = e.ReminderWindow(zone)
		if overdue {
			return tr.T(loc, "web.ev.follow_up."+step+".overdue", d)
		}
		return tr.T(loc, "web.ev.follow_up."+step, d)
	case backend.StepSurveyed:
		names := make([]string, 0, len(e.Data.Factors))
		for _, f := range e.Data.Factors {
			names = append(names, tr.T(loc, "followup.factor."+string(f), nil))
		}
		d["Factors"] = strings.Join(names, " / ")
		d["Solved"] = tr.T(loc, "followup.solved."+strconv.FormatBool(e.Data.Solved), nil)
		return tr.T(loc, "web.ev.follow_up.surveyed", d)
	case backend.StepCalled:
		d["Outcome"] = tr.T(loc, "followup.outcome."+string(e.Data.Outcome), nil)
		return tr.T(loc, "web.ev.follow_up.called", d)
	case backend.StepUrged:
		return tr.T(loc, "web.ev.follow_up.urged", d)
	default:
		d["Step"] = tr.T(loc, "followup.mark."+step, nil)
		return tr.T(loc, "web.ev.follow_up", d)
	}
}
