package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/deskbot/deskbot/backend"
)

// The Teams page (/console/teams): managers and admins see every team
// with its lead, people, open tickets and own triage chats; admins create
// teams and change their lead and chats, as deskbot team does on the
// command line.

// TeamChat is a chat platform on which a team may have a group of its
// own as its triage chat (Config.TeamChats).
type TeamChat struct {
	Platform string               // "telegram", "slack"
	Valid    func(id string) bool // the form of a group's id there
	On       bool                 // the channel runs here (its bot token is set)
}

type teamsData struct {
	*req
	R      *req
	Title  string
	Teams  []backend.TeamSummary
	Leads  []*backend.Person // who may lead a team (for an admin)
	Chats  []TeamChat
	Config bool // the reader may create and change teams
	Done   string
	Error  string
	// Form is what the form just refused held, to show it again: the
	// team it was for (0: the new team's form) and its values.
	FormTeam int64
	Form     map[string]string
}

// Value is what field of team id's form shows: what it held when it was
// just refused, else current.
func (d *teamsData) Value(team int64, field, current string) string {
	if v, ok := d.Form[field]; ok && d.FormTeam == team {
		return v
	}
	return current
}

// Teams reports whether the signed-in person may open the Teams page.
func (r *req) Teams() bool { return r.Me.SeesAll() }

func (c *Console) loadTeams(ctx context.Context, rq *req) (*teamsData, error) {
	teams, staff, err := c.svc.TeamSummaries(ctx, rq.Me)
	if err != nil {
		return nil, err
	}
	d := &teamsData{req: rq, R: rq, Title: c.tr.T(rq.Loc, "web.teams.title", nil), Teams: teams,
		Chats: c.cfg.TeamChats, Config: backend.MayConfigureTeams(rq.Me) == nil}
	if d.Config {
		d.Leads = staff
	}
	return d, nil
}

// teamCreate: POST /console/teams (name, lead).
func (c *Console) teamCreate(w http.ResponseWriter, r *http.Request, rq *req) {
	lead, err := formLead(r.PostFormValue("lead"))
	var t *backend.Team
	if err == nil {
		t, err = c.svc.CreateTeamBy(r.Context(), rq.Me, r.PostFormValue("name"), lead)
	}
	c.teamsAfter(w, r, rq, err, 0, func() string {
		return c.tr.T(rq.Loc, "web.teams.created", map[string]any{"Name": t.Name})
	})
}

// teamUpdate: POST /console/teams/{id} (lead, chat.<platform>).
func (c *Console) teamUpdate(w http.ResponseWriter, r *http.Request, rq *req) {
	id, perr := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if perr != nil {
		c.fail(w, r, rq, backend.Errorf(backend.ENOTFOUND, "no team %q", r.PathValue("id")))
		return
	}
	lead, err := formLead(r.PostFormValue("lead"))
	chats := map[string]string{}
	for _, tc := range c.cfg.TeamChats {
		v, ok := r.PostForm["chat."+tc.Platform]
		if !ok || err != nil {
			continue
		}
		chat := strings.TrimSpace(strings.Join(v, ""))
		if chat != "" && !tc.Valid(chat) {
			field := "chats." + tc.Platform
			err = backend.Invalid("not a "+tc.Platform+" group id", field, "not a group id", backend.Problem{Key: "chat." + tc.Platform})
		}
		chats[tc.Platform] = chat
	}
	var t *backend.Team
	if err == nil {
		t, err = c.svc.UpdateTeamBy(r.Context(), rq.Me, id, lead, chats)
	}
	c.teamsAfter(w, r, rq, err, id, func() string {
		done := c.tr.T(rq.Loc, "web.teams.saved", map[string]any{"Name": t.Name})
		for _, tc := range c.cfg.TeamChats {
			chat := t.Chat(tc.Platform)
			if chat == "" {
				continue
			}
			if !tc.On {
				done += " " + c.tr.T(rq.Loc, "web.teams.chat.off", map[string]any{"Platform": c.tr.T(rq.Loc, "web.platform."+tc.Platform, nil)})
			}
			if others, err := c.svc.Store().TeamsByChat(r.Context(), tc.Platform, chat); err == nil {
				for _, o := range others {
					if o.ID != t.ID {
						done += " " + c.tr.T(rq.Loc, "web.teams.chat.shared", map[string]any{"Team": o.Name})
					}
				}
			}
		}
		return done
	})
}

// formLead reads the lead picked in a form: a person id, or 0 for none.
func formLead(v string) (int64, error) {
	if v == "" || v == "0" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, backend.Invalid("no such person", "lead_id", "no such person", backend.Problem{Key: "no_person"})
	}
	return id, nil
}

// teamsAfter shows the page after a form: with what done says happened,
// or with the reason it was refused and the form as it was sent (team:
// which form; 0 for the new team's).
func (c *Console) teamsAfter(w http.ResponseWriter, r *http.Request, rq *req, err error, team int64, done func() string) {
	after(c, w, r, rq, "teams", c.loadTeams, err, func(d *teamsData) { d.Done = done() }, func(d *teamsData, why string) {
		d.Error, d.FormTeam, d.Form = why, team, map[string]string{}
		for k, v := range r.PostForm {
			d.Form[k] = strings.Join(v, "")
		}
	})
}
