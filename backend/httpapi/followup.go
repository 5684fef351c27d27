package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// followUpJSON is a dissatisfaction follow-up (DESIGN §6) as the API
// shows it, with seed 003's windows for its survey and callback in the
// service's zone. It holds no personal data: the ticket has that.
type followUpJSON struct {
	ID             int64                 `json:"id"`
	Ticket         string                `json:"ticket"`
	RatedAt        time.Time             `json:"rated_at"`
	Survey         backend.SurveyState   `json:"survey"`
	Callback       backend.CallbackState `json:"callback"`
	SurveyWindow   windowJSON            `json:"survey_window"`
	CallbackWindow windowJSON            `json:"callback_window"`
	Factors        []backend.Factor      `json:"factors"`
	Solved         bool                  `json:"solved"`
	SurveyNotes    string                `json:"survey_notes,omitempty"`
	SurveyedBy     int64                 `json:"surveyed_by,omitempty"`
	SurveyedAt     *time.Time            `json:"surveyed_at,omitempty"`
	Outcome        backend.Outcome       `json:"outcome,omitempty"`
	CallbackNotes  string                `json:"callback_notes,omitempty"`
	CalledBy       int64                 `json:"called_by,omitempty"`
	CalledAt       *time.Time            `json:"called_at,omitempty"`
	UpdatedAt      time.Time             `json:"updated_at"`
}

// windowJSON is a time window; To is exclusive.
type windowJSON struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func followUpOut(f *backend.FollowUp, loc *time.Location) *followUpJSON {
	sf, st := f.SurveyWindow(loc)
	cf, ct := f.CallbackWindow(loc)
	factors := f.Factors
	if factors == nil {
		factors = []backend.Factor{}
	}
	return &followUpJSON{
		ID: f.ID, Ticket: f.Number, RatedAt: f.RatedAt, Survey: f.Survey, Callback: f.Callback,
		SurveyWindow: windowJSON{sf, st}, CallbackWindow: windowJSON{cf, ct},
		Factors: factors, Solved: f.Solved, SurveyNotes: f.SurveyNotes, SurveyedBy: f.SurveyedBy, SurveyedAt: optTime(f.SurveyedAt),
		Outcome: f.Outcome, CallbackNotes: f.CallbackNotes, CalledBy: f.CalledBy, CalledAt: optTime(f.CalledAt), UpdatedAt: f.UpdatedAt,
	}
}

func (s *Server) followUpsOut(list []*backend.FollowUp) []*followUpJSON {
	out := make([]*followUpJSON, 0, len(list))
	for _, f := range list {
		out = append(out, followUpOut(f, s.svc.Location()))
	}
	return out
}

// listFollowUps: GET /api/v1/follow-ups?open=true&cursor=&limit=
func (s *Server) listFollowUps(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	q := r.URL.Query()
	f := backend.FollowUpFilter{}
	fe := map[string]string{}
	switch q.Get("open") {
	case "", "false":
	case "true":
		f.Open = true
	default:
		fe["open"] = "must be true or false"
	}
	f.After, f.Limit = pageParams(q, fe)
	if len(fe) > 0 {
		return &backend.Error{Code: backend.EINVALID, Message: "invalid filter", Fields: fe}
	}
	page, err := s.svc.FollowUps(r.Context(), actor, f)
	if err != nil {
		return err
	}
	out := map[string]any{"follow_ups": s.followUpsOut(page.FollowUps)}
	if page.NextCursor != 0 {
		out["next_cursor"] = strconv.FormatInt(page.NextCursor, 10)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// followUpBoard: GET /api/v1/follow-ups/board — this week's surveys and
// callbacks by due state (due, overdue, later).
func (s *Server) followUpBoard(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	b, err := s.svc.FollowUpBoard(r.Context(), actor)
	if err != nil {
		return err
	}
	group := func(m map[backend.Due][]*backend.FollowUp) map[backend.Due][]*followUpJSON {
		out := map[backend.Due][]*followUpJSON{}
		for _, d := range []backend.Due{backend.DueNow, backend.DueOverdue, backend.DueWaiting, backend.DueLater} {
			out[d] = s.followUpsOut(m[d])
		}
		return out
	}
	writeJSON(w, http.StatusOK, map[string]any{"week_start": b.WeekStart, "surveys": group(b.Surveys),
		"callbacks": group(b.Callbacks), "truncated": b.Truncated})
	return nil
}

func followUpID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, backend.Errorf(backend.ENOTFOUND, "follow-up %q not found", r.PathValue("id"))
	}
	return id, nil
}

// getFollowUp: GET /api/v1/follow-ups/{id}
func (s *Server) getFollowUp(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	id, err := followUpID(r)
	if err != nil {
		return err
	}
	f, _, err := s.svc.FollowUp(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, followUpOut(f, s.svc.Location()))
	return nil
}

// ticketFollowUps: GET /api/v1/tickets/{number}/follow-ups
func (s *Server) ticketFollowUps(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	list, err := s.svc.FollowUpsOf(r.Context(), actor, r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"follow_ups": s.followUpsOut(list)})
	return nil
}

// markFollowUp: POST /api/v1/follow-ups/{id}/mark {"mark", "note"}
func (s *Server) markFollowUp(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		Mark backend.FollowUpMark `json:"mark"`
		Note string               `json:"note"`
	}
	return s.changeFollowUp(w, r, &in, func(id int64) (*backend.FollowUp, error) {
		f, err := s.svc.MarkFollowUp(r.Context(), actor, id, in.Mark, in.Note)
		return f, asRequest(err, map[string]string{"notes": "note"})
	})
}

// surveyFollowUp: POST /api/v1/follow-ups/{id}/survey
// {"factors", "solved", "notes", "callback"}
func (s *Server) surveyFollowUp(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		Factors  []backend.Factor `json:"factors"`
		Solved   bool             `json:"solved"`
		Notes    string           `json:"notes"`
		Callback bool             `json:"callback"`
	}
	return s.changeFollowUp(w, r, &in, func(id int64) (*backend.FollowUp, error) {
		return s.svc.RecordSurvey(r.Context(), actor, id, backend.SurveyInput{Factors: in.Factors, Solved: in.Solved, Notes: in.Notes, Callback: in.Callback})
	})
}

// callbackFollowUp: POST /api/v1/follow-ups/{id}/callback {"outcome", "notes"}
func (s *Server) callbackFollowUp(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		Outcome backend.Outcome `json:"outcome"`
		Notes   string          `json:"notes"`
	}
	return s.changeFollowUp(w, r, &in, func(id int64) (*backend.FollowUp, error) {
		return s.svc.RecordCallback(r.Context(), actor, id, in.Outcome, in.Notes)
	})
}

// urgeFollowUp urges the handler of a ticket whose callback waits for its
// result; it takes no body.
func (s *Server) urgeFollowUp(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	id, err := followUpID(r)
	if err != nil {
		return err
	}
	f, err := s.svc.UrgeFollowUp(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, followUpOut(f, s.svc.Location()))
	return nil
}

// changeFollowUp decodes the body into in, runs fn on the follow-up of the
// path and writes the follow-up it returns.
func (s *Server) changeFollowUp(w http.ResponseWriter, r *http.Request, in any, fn func(id int64) (*backend.FollowUp, error)) error {
	id, err := followUpID(r)
	if err != nil {
		return err
	}
	if err := decode(w, r, in); err != nil {
		return err
	}
	f, err := fn(id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, followUpOut(f, s.svc.Location()))
	return nil
}
