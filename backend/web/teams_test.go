package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/web"
)

// testTeamChats are the fixture's platforms for a team's own chat, as
// cmd/deskbot gives them (the forms are the bot packages'): Telegram on,
// Slack off.
var testTeamChats = []web.TeamChat{
	{Platform: "telegram", On: true, Valid: func(s string) bool {
		n, err := strconv.ParseInt(s, 10, 64)
		return err == nil && n < 0
	}},
	{Platform: "slack", Valid: func(s string) bool { return regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`).MatchString(s) }},
}

// TestTeamsPage: managers see every team with its lead, people and open
// tickets, read-only; admins create teams and set their lead and own
// chats, and a wrong value is refused with the field named and what was
// typed kept; an assistant may not open the page.
func TestTeamsPage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tech := &backend.Team{Name: "技术部"}
	if err := f.store.CreateTeam(ctx, tech); err != nil {
		t.Fatal(err)
	}
	ada, adaPW := f.user("ada", backend.RoleAdmin)
	_, maxPW := f.user("max", backend.RoleManager)
	bob, bobPW, err := f.auth.CreateUser(ctx, "bob", backend.RoleAssistant, tech.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	r1 := f.reporter("r1")
	tk := f.ticket(r1, "会员中心积分明细打不开")
	if _, err := f.svc.Transfer(ctx, ada, tk.Number, tech.ID, "积分属于技术部"); err != nil {
		t.Fatal(err)
	}
	f.ticket(r1, "另一个还没有分到组里的问题") // not the team's
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	row := func(body string, team int64) string {
		return regexp.MustCompile(`(?s)<tr class="team" data-team="` + id(team) + `">.*?</tr>`).FindString(body)
	}

	t.Run("AssistantsMayNot", func(t *testing.T) {
		c := f.client()
		c.login("bob", bobPW)
		if _, body, _ := c.do("GET", "/console/", nil, nil); strings.Contains(body, `id="nav-teams"`) {
			t.Fatal("an assistant's console links the Teams page")
		}
		if code, _, _ := c.do("GET", "/console/teams", nil, nil); code != 403 {
			t.Fatalf("an assistant's Teams page = %d, want 403", code)
		}
	})

	t.Run("ManagersRead", func(t *testing.T) {
		c := f.client()
		c.login("max", maxPW)
		if _, body, _ := c.do("GET", "/console/", nil, nil); !strings.Contains(body, `id="nav-teams"`) {
			t.Fatal("a manager's console does not link the Teams page")
		}
		code, body, _ := c.do("GET", "/console/teams", nil, nil)
		r := row(body, tech.ID)
		if code != 200 || !strings.Contains(r, "技术部") || !strings.Contains(r, "<td>1</td><td>1</td>") {
			t.Fatalf("Teams page = %d; 技术部's row (1 person, 1 open ticket): %s", code, r)
		}
		if strings.Contains(body, `id="team-create"`) || strings.Contains(body, `id="team-`+id(tech.ID)+`"`) || !strings.Contains(body, "web.teams.readonly") {
			t.Fatalf("a manager is offered to change teams:\n%s", body)
		}
		c.fetchCSRF("/console/teams")
		if code, body, _ := c.do("POST", "/console/teams", url.Values{"csrf": {c.csrf}, "name": {"产品部"}}, nil); code != 403 || !strings.Contains(body, "err.teams_admins_only") {
			t.Fatalf("a manager creating a team = %d:\n%s", code, body)
		}
	})

	c := f.client()
	c.login("ada", adaPW)
	c.fetchCSRF("/console/teams")
	t.Run("Create", func(t *testing.T) {
		code, body, _ := c.do("POST", "/console/teams", url.Values{"csrf": {c.csrf}, "name": {" 技术部 "}}, nil)
		if code != 409 || !strings.Contains(body, "err.team_exists") || !strings.Contains(body, `value=" 技术部 "`) {
			t.Fatalf("a second 技术部 = %d (want 409, the name kept):\n%s", code, body)
		}
		if code, body, _ := c.do("POST", "/console/teams", url.Values{"csrf": {c.csrf}, "name": {"  "}}, nil); code != 422 || !strings.Contains(body, `id="teams-error"`) {
			t.Fatalf("a blank name = %d:\n%s", code, body)
		}
		code, body, _ = c.do("POST", "/console/teams", url.Values{"csrf": {c.csrf}, "name": {"产品部"}, "lead": {id(bob.ID)}}, nil)
		if code != 200 || !strings.Contains(body, "web.teams.created") {
			t.Fatalf("create = %d:\n%s", code, body)
		}
		teams, _ := f.store.Teams(ctx)
		if len(teams) != 2 || teams[0].Name != "产品部" || teams[0].LeadID != bob.ID {
			t.Fatalf("teams after create: %+v", teams)
		}
	})

	t.Run("Update", func(t *testing.T) {
		path := "/console/teams/" + id(tech.ID)
		code, body, _ := c.do("POST", path, url.Values{"csrf": {c.csrf}, "lead": {id(bob.ID)}, "chat.telegram": {"-100777"}, "chat.slack": {""}}, nil)
		if code != 200 || !strings.Contains(body, "web.teams.saved") {
			t.Fatalf("update = %d:\n%s", code, body)
		}
		got, _ := f.store.Team(ctx, tech.ID)
		if got.LeadID != bob.ID || got.Chat("telegram") != "-100777" || got.Chat("slack") != "" {
			t.Fatalf("技术部 after update: %+v", got)
		}
		if r := row(body, tech.ID); !strings.Contains(r, `value="-100777"`) || !regexp.MustCompile(`<option value="`+id(bob.ID)+`" selected>bob`).MatchString(r) {
			t.Fatalf("the row does not show the new lead and group: %s", r)
		}

		// A wrong Slack channel: refused, nothing changes, what was typed stays.
		code, body, _ = c.do("POST", path, url.Values{"csrf": {c.csrf}, "lead": {"0"}, "chat.telegram": {"-100777"}, "chat.slack": {"#general"}}, nil)
		if code != 422 || !strings.Contains(body, "err.problem.chat.slack") || !strings.Contains(row(body, tech.ID), `value="#general"`) {
			t.Fatalf("a wrong channel = %d:\n%s", code, body)
		}
		if got, _ := f.store.Team(ctx, tech.ID); got.LeadID != bob.ID || got.Chat("slack") != "" {
			t.Fatalf("a refused update changed 技术部: %+v", got)
		}
		code, body, _ = c.do("POST", path, url.Values{"csrf": {c.csrf}, "lead": {id(r1.ID)}}, nil)
		if code != 422 || !strings.Contains(body, "err.problem.not_staff") {
			t.Fatalf("a reporter as lead = %d:\n%s", code, body)
		}

		// Slack is off here, and 产品部 takes the same group: both said.
		products, _ := f.store.Teams(ctx)
		code, body, _ = c.do("POST", "/console/teams/"+id(products[0].ID), url.Values{"csrf": {c.csrf}, "lead": {"0"}, "chat.telegram": {"-100777"}, "chat.slack": {"C0123ABC"}}, nil)
		if code != 200 || !strings.Contains(body, "web.teams.chat.off") || !strings.Contains(body, "web.teams.chat.shared") {
			t.Fatalf("a shared group and an off platform = %d:\n%s", code, body)
		}
		if got, _ := f.store.Team(ctx, products[0].ID); got.LeadID != 0 || got.Chat("slack") != "C0123ABC" {
			t.Fatalf("产品部 after update: %+v", got)
		}

		// Emptied: back to the triage chat.
		if code, _, _ := c.do("POST", path, url.Values{"csrf": {c.csrf}, "lead": {id(bob.ID)}, "chat.telegram": {""}}, nil); code != 200 {
			t.Fatalf("emptying the group = %d", code)
		}
		if got, _ := f.store.Team(ctx, tech.ID); got.Chat("telegram") != "" {
			t.Fatalf("技术部 still has a group: %+v", got)
		}
		if code, _, _ := c.do("POST", "/console/teams/999999", url.Values{"csrf": {c.csrf}}, nil); code != 404 {
			t.Fatalf("updating no team = %d, want 404", code)
		}
	})
}
