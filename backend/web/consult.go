package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// Consultations on the ticket page (seed 002 跨部门协作): staff see the
// opinions asked of other teams; whoever holds the ticket (or a
// manager) asks a team, due within a day unless a time is given; the
// team asked answers under each open one. The service checks every
// role; the page offers only what it would allow.

// consultView is the ticket page's consultations section.
type consultView struct {
	Items []consultItem
	// Answerable are the open ones the viewer may answer.
	Answerable []consultItem
	Teams      []*backend.Team // the teams that may be asked: all but the ticket's
	CanAsk     bool
	Error      string
	// In is what a refused form held, shown in it again.
	In struct {
		Form                string // "consult" or "opinion"
		Team, Question, Due string
		Task, Opinion       string
	}
}

// consultItem is one consultation as the page shows it.
type consultItem struct {
	T         *backend.Task
	Ref       string
	Team      string
	Owner     string
	DoneBy    string
	State     string // open, overdue, done
	CanAnswer bool
}

// loadConsults reads the consultations of t for staff (nil for others).
func (c *Console) loadConsults(ctx context.Context, rq *req, t *backend.Ticket, name func(int64) string) (*consultView, error) {
	if !rq.Me.Handles() {
		return nil, nil
	}
	tasks, err := c.svc.Consults(ctx, rq.Me, t.Number)
	if err != nil {
		return nil, err
	}
	teams, err := c.svc.Store().Teams(ctx)
	if err != nil {
		return nil, err
	}
	v := &consultView{CanAsk: t.Status.Open() && (rq.Me.SeesAll() || t.AssigneeID == rq.Me.ID)}
	teamName := map[int64]string{}
	for _, tm := range teams {
		teamName[tm.ID] = tm.Name
		if tm.ID != t.TeamID {
			v.Teams = append(v.Teams, tm)
		}
	}
	v.CanAsk = v.CanAsk && len(v.Teams) > 0
	now := c.svc.Now()
	for _, k := range tasks {
		it := consultItem{T: k, Ref: backend.TaskRef(k.ID), Team: teamName[k.TeamID], Owner: name(k.OwnerID), State: k.State(now)}
		if it.Team == "" {
			it.Team = c.tr.T(rq.Loc, "team.none", nil)
		}
		if k.Done() {
			it.DoneBy = name(k.DoneBy)
		} else {
			me := rq.Me
			it.CanAnswer = k.OwnerID == me.ID || k.TeamID != 0 && me.TeamID == k.TeamID || me.SeesAll() || t.AssigneeID == me.ID
		}
		v.Items = append(v.Items, it)
		if it.CanAnswer {
			v.Answerable = append(v.Answerable, it)
		}
	}
	return v, nil
}

// consultAction asks a team for its opinion ("consult") or gives one
// ("opinion"), from the ticket page's forms.
func (c *Console) consultAction(ctx context.Context, r *http.Request, rq *req, number, action string) error {
	if action == "opinion" {
		id, ok := backend.ParseTaskRef(r.PostFormValue("task"))
		if !ok {
			return backend.Invalid("invalid task", "task", "required", backend.Problem{Key: "required"})
		}
		_, err := c.svc.CompleteTask(ctx, rq.Me, id, r.PostFormValue("opinion"))
		return err
	}
	team, err := formID(r.PostFormValue("team"), "team")
	if err != nil {
		return err
	}
	in := backend.NewConsult{TeamID: team, Question: r.PostFormValue("question")}
	if v := strings.TrimSpace(r.PostFormValue("due")); v != "" {
		if in.Due, err = time.ParseInLocation(dueLayout, v, rq.Zone); err != nil {
			return backend.Invalid("invalid due", "due", "must be a date and time like 2026-11-26T17:00", backend.Problem{Key: "datetime"})
		}
	}
	_, err = c.svc.Consult(ctx, rq.Me, number, in)
	return err
}

// keepConsult puts a refused consultation form's error and values back
// on the page (outside the live region, which the next change of the
// ticket redraws).
func keepConsult(d *ticketData, r *http.Request, action, msg string) {
	v := d.Consult
	if v == nil {
		return
	}
	v.Error = msg
	v.In.Form = action
	v.In.Team, v.In.Question, v.In.Due = r.PostFormValue("team"), r.PostFormValue("question"), r.PostFormValue("due")
	v.In.Task, v.In.Opinion = r.PostFormValue("task"), r.PostFormValue("opinion")
}
