package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// The People page (/console/people): managers and admins see who works
// the desk, make invite codes for new staff, and deactivate someone who
// left (optionally putting their open tickets back in the queue) or
// reactivate them; what deskbot user/invite do on the command line.

// inviteTTL is how long a code made on the page is valid (as deskbot
// invite's default).
const inviteTTL = 72 * time.Hour

type peopleData struct {
	*req
	R      *req
	Title  string
	Staff  []personRow
	Teams  []*backend.Team
	Roles  []backend.Role // the roles the reader may invite
	Reason string         // the default reason for releasing tickets
	// The outcome of the form just sent: a new invite code (shown once),
	// what happened, or why nothing did.
	Invite     string
	InviteRole backend.Role
	Done       string
	Error      string
}

type personRow struct {
	backend.StaffMember
	Team      string
	Platforms []string
	Manage    bool // the reader may deactivate or reactivate them
}

// People reports whether the signed-in person may open the People page.
func (r *req) People() bool { return r.Me.SeesAll() }

func (c *Console) loadPeople(ctx context.Context, rq *req) (*peopleData, error) {
	staff, err := c.svc.Staff(ctx, rq.Me)
	if err != nil {
		return nil, err
	}
	teams, err := c.svc.Store().Teams(ctx)
	if err != nil {
		return nil, err
	}
	d := &peopleData{req: rq, R: rq, Title: c.tr.T(rq.Loc, "web.people.title", nil), Teams: teams,
		Roles: invitable(rq.Me), Reason: c.tr.T(rq.Loc, "web.people.release.default", nil)}
	names := map[int64]string{}
	for _, t := range teams {
		names[t.ID] = t.Name
	}
	for _, m := range staff {
		row := personRow{StaffMember: m, Team: names[m.TeamID], Manage: backend.MayManage(rq.Me, m.Person) == nil}
		for _, a := range m.Accounts {
			row.Platforms = append(row.Platforms, a.Platform)
		}
		d.Staff = append(d.Staff, row)
	}
	return d, nil
}

// invitable are the staff roles p may invite (backend.MayInvite).
func invitable(p *backend.Person) []backend.Role {
	var roles []backend.Role
	for _, r := range backend.Roles {
		if r != backend.RoleReporter && backend.MayInvite(p, r) == nil {
			roles = append(roles, r)
		}
	}
	return roles
}

// page serves a page (GET) with the data load reads for the signed-in
// person: the People and Teams pages.
func page[D any](c *Console, name string, load func(context.Context, *req) (D, error)) func(http.ResponseWriter, *http.Request, *req) {
	return func(w http.ResponseWriter, r *http.Request, rq *req) {
		d, err := load(r.Context(), rq)
		if err != nil {
			c.fail(w, r, rq, err)
			return
		}
		c.pages.Render(w, http.StatusOK, name, "page", d)
	}
}

// peopleInvite: POST /console/people/invite (role, team) — a one-time
// code for a new member of staff, shown on the page once.
func (c *Console) peopleInvite(w http.ResponseWriter, r *http.Request, rq *req) {
	role := backend.Role(r.PostFormValue("role"))
	team, _ := strconv.ParseInt(r.PostFormValue("team"), 10, 64)
	code, err := c.svc.InviteBy(r.Context(), rq.Me, role, team, inviteTTL)
	c.peopleAfter(w, r, rq, err, func(d *peopleData) { d.Invite, d.InviteRole = code, role })
}

// peopleAct: POST /console/people/{id}/{action} — deactivate (release,
// reason) or reactivate.
func (c *Console) peopleAct(w http.ResponseWriter, r *http.Request, rq *req) {
	ctx := r.Context()
	id, perr := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if perr != nil {
		c.fail(w, r, rq, backend.Errorf(backend.ENOTFOUND, "no person %q", r.PathValue("id")))
		return
	}
	var done string
	var err error
	switch r.PathValue("action") {
	case "deactivate":
		var p *backend.Person
		var open, released []*backend.Ticket
		p, open, released, err = c.svc.DeactivateBy(ctx, rq.Me, id, r.PostFormValue("release") != "", r.PostFormValue("reason"))
		if p != nil {
			done = c.tr.T(rq.Loc, "web.people.deactivated", map[string]any{"Name": p.Name, "Released": len(released), "Open": len(open)})
			if len(open) > 0 {
				done += " " + numbers(open)
			}
		}
	case "reactivate":
		var p *backend.Person
		p, err = c.svc.ReactivateBy(ctx, rq.Me, id)
		if p != nil {
			done = c.tr.T(rq.Loc, "web.people.reactivated", map[string]any{"Name": p.Name})
		}
	default:
		c.fail(w, r, rq, backend.Errorf(backend.ENOTFOUND, "no action %q", r.PathValue("action")))
		return
	}
	c.peopleAfter(w, r, rq, err, func(d *peopleData) { d.Done = done })
}

// peopleAfter shows the page after a form: with its outcome (set), or
// with the reason it was refused, in the status that says so.
func (c *Console) peopleAfter(w http.ResponseWriter, r *http.Request, rq *req, err error, set func(*peopleData)) {
	after(c, w, r, rq, "people", c.loadPeople, err, set, func(d *peopleData, why string) { d.Error = why })
}

// after shows page name after a form, with the data load reads: changed
// by ok when the form's action succeeded (err nil), else by refused with
// the reason, in the status that says so.
func after[D any](c *Console, w http.ResponseWriter, r *http.Request, rq *req, name string, load func(context.Context, *req) (D, error),
	err error, ok func(D), refused func(D, string)) {
	d, lerr := load(r.Context(), rq)
	if lerr != nil {
		c.fail(w, r, rq, lerr)
		return
	}
	status := http.StatusOK
	if err != nil {
		status = StatusOf(err)
		refused(d, c.errorText(rq, r.URL.Path, err)) // kb.go
	} else {
		ok(d)
	}
	c.pages.Render(w, status, name, "page", d)
}

// numbers lists tickets' numbers, comma-separated.
func numbers(ts []*backend.Ticket) string {
	l := make([]string, len(ts))
	for i, t := range ts {
		l[i] = t.Number
	}
	return strings.Join(l, ", ")
}
