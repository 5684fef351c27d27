package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/deskbot/deskbot/backend"
)

// The dissatisfaction follow-up pages (DESIGN §6, seed 003): the week's
// board and one follow-up with its survey and callback forms. The service
// checks every role; these pages show no personal data (the ticket page,
// linked from each, does, masked as §10 says).

// dueOrder is the order of the board's sections by kind: a callback may
// wait for the ticket's result (backend.DueWaiting), a survey never.
var dueOrder = map[string][]backend.Due{
	"survey":   {backend.DueOverdue, backend.DueNow, backend.DueLater},
	"callback": {backend.DueOverdue, backend.DueNow, backend.DueWaiting, backend.DueLater},
}

type boardSection struct {
	Kind string // "survey" or "callback"
	Due  backend.Due
	List []*backend.FollowUp
}

type boardData struct {
	*req
	R         *req
	Title     string
	WeekStart string
	Sections  []boardSection
	Truncated bool
}

func (c *Console) followUpBoard(w http.ResponseWriter, r *http.Request, rq *req) {
	b, err := c.svc.FollowUpBoard(r.Context(), rq.Me)
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	d := &boardData{req: rq, R: rq, Title: c.tr.T(rq.Loc, "web.fu.title", nil),
		WeekStart: b.WeekStart.In(rq.Zone).Format("2006-01-02"), Truncated: b.Truncated}
	for _, kind := range []string{"survey", "callback"} {
		m := b.Surveys
		if kind == "callback" {
			m = b.Callbacks
		}
		for _, due := range dueOrder[kind] {
			d.Sections = append(d.Sections, boardSection{Kind: kind, Due: due, List: m[due]})
		}
	}
	c.pages.Render(w, http.StatusOK, "followups", "page", d)
}

// factorView is one factor with its name and suggested script (话术).
type factorView struct {
	ID      backend.Factor
	Name    string
	Script  string
	Checked bool
}

type followUpData struct {
	*req
	R        *req
	Title    string
	F        *backend.FollowUp
	T        *backend.Ticket
	Factors  []factorView
	Marks    []backend.FollowUpMark
	Outcomes []backend.Outcome
	Survey   string // the survey window, "2026-11-30 – 2026-12-02"
	Callback string
	// Waiting: the callback waits for the ticket's result (seed 003);
	// the page offers to urge the handler.
	Waiting  bool
	SurveyBy string
	CalledBy string
	Error    string
}

func (c *Console) loadFollowUp(ctx context.Context, rq *req, idText string) (*followUpData, error) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return nil, backend.Keyed(backend.ENOTFOUND, "follow_up", map[string]any{"ID": idText}, "follow-up %q not found", idText)
	}
	f, t, err := c.svc.FollowUp(ctx, rq.Me, id)
	if err != nil {
		return nil, err
	}
	day := func(from, to string) string { return from + " – " + to }
	sf, st := f.SurveyWindow(rq.Zone)
	cf, ct := f.CallbackWindow(rq.Zone)
	d := &followUpData{req: rq, R: rq, Title: c.tr.T(rq.Loc, "web.fu.one", map[string]any{"ID": f.ID}), F: f, T: t.RedactedFor(rq.Me),
		Marks: backend.FollowUpMarks, Outcomes: backend.Outcomes,
		Survey:   day(sf.Format("2006-01-02"), st.AddDate(0, 0, -1).Format("2006-01-02")),
		Callback: day(cf.Format("2006-01-02"), ct.AddDate(0, 0, -1).Format("2006-01-02")),
		Waiting:  f.CallbackDue(c.cfg.Now(), rq.Zone) == backend.DueWaiting}
	for _, fa := range backend.Factors {
		d.Factors = append(d.Factors, factorView{ID: fa, Name: c.tr.T(rq.Loc, "followup.factor."+string(fa), nil),
			Script: c.tr.T(rq.Loc, "followup.script."+string(fa), nil), Checked: containsFactor(f.Factors, fa)})
	}
	name := func(id int64) string {
		if p, err := c.svc.Store().Person(ctx, id); err == nil {
			return p.Name
		}
		return "#" + strconv.FormatInt(id, 10)
	}
	if f.SurveyedBy != 0 {
		d.SurveyBy = name(f.SurveyedBy)
	}
	if f.CalledBy != 0 {
		d.CalledBy = name(f.CalledBy)
	}
	return d, nil
}

func containsFactor(list []backend.Factor, f backend.Factor) bool {
	for _, x := range list {
		if x == f {
			return true
		}
	}
	return false
}

func (c *Console) followUp(w http.ResponseWriter, r *http.Request, rq *req) {
	d, err := c.loadFollowUp(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	c.pages.Render(w, http.StatusOK, "followup", "page", d)
}

// followUpAct records a mark, survey or callback, or urges the handler,
// through the service and
// shows the follow-up again, with the error when there is one.
func (c *Console) followUpAct(w http.ResponseWriter, r *http.Request, rq *req) {
	ctx, idText := r.Context(), r.PathValue("id")
	id, perr := strconv.ParseInt(idText, 10, 64)
	var err error
	switch action := r.PathValue("action"); {
	case perr != nil || id <= 0:
		err = backend.Keyed(backend.ENOTFOUND, "follow_up", map[string]any{"ID": idText}, "follow-up %q not found", idText)
	case action == "mark":
		_, err = c.svc.MarkFollowUp(ctx, rq.Me, id, backend.FollowUpMark(r.PostFormValue("mark")), r.PostFormValue("notes"))
	case action == "survey":
		in := backend.SurveyInput{Solved: r.PostFormValue("solved") == "true", Notes: r.PostFormValue("notes"),
			Callback: r.PostFormValue("callback") == "true"}
		for _, f := range r.PostForm["factor"] {
			in.Factors = append(in.Factors, backend.Factor(f))
		}
		_, err = c.svc.RecordSurvey(ctx, rq.Me, id, in)
	case action == "callback":
		_, err = c.svc.RecordCallback(ctx, rq.Me, id, backend.Outcome(r.PostFormValue("outcome")), r.PostFormValue("notes"))
	case action == "urge":
		_, err = c.svc.UrgeFollowUp(ctx, rq.Me, id)
	default:
		err = backend.Errorf(backend.ENOTFOUND, "no action %q", action)
	}
	if err == nil {
		http.Redirect(w, r, "/console/followups/"+url.PathEscape(idText), http.StatusSeeOther)
		return
	}
	d, lerr := c.loadFollowUp(ctx, rq, idText)
	if lerr != nil {
		c.fail(w, r, rq, lerr)
		return
	}
	status := StatusOf(err)
	if status == http.StatusInternalServerError {
		c.log.Error("web: follow-up action failed", "follow_up", idText, "err", err)
	}
	d.Error = ErrorText(c.tr, rq.Loc, err)
	c.pages.Render(w, status, "followup", "page", d)
}
