package storetest

import (
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func testPerson(t *testing.T, newStore NewStoreFunc) {
	t.Run("CreatePerson/OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		inClock := clockRange(t)
		p := &backend.Person{Name: "李雷", Roles: []backend.Role{backend.RoleAssistant, backend.RoleManager}, Locale: "zh-CN",
			Accounts: []backend.ChatAccount{
				{Platform: "telegram", UserID: "1001", ChatID: "1001"},
				{Platform: "slack", UserID: "U01", ChatID: "D01"},
				{Platform: "web", UserID: "li"},
			}}
		must(t, s.CreatePerson(ctx, p))
		if p.ID == 0 {
			t.Fatal("ID not set")
		}
		inClock("CreatedAt", p.CreatedAt)
		got, err := s.Person(ctx, p.ID)
		must(t, err)
		equal(t, "Person", got, p)

		q := &backend.Person{Name: "韩梅梅", Roles: []backend.Role{backend.RoleReporter}, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6789, cst)}
		must(t, s.CreatePerson(ctx, q))
		if q.ID == p.ID || !q.CreatedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 6000, cst)) {
			t.Fatalf("second person: ID %d, CreatedAt %v", q.ID, q.CreatedAt)
		}
		got, err = s.Person(ctx, q.ID)
		must(t, err)
		equal(t, "Person without accounts", got, q)
	})
	t.Run("CreatePerson/ErrConflict", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		p := createPerson(t, s, "a", 0, backend.RoleReporter)
		q := &backend.Person{Name: "b", Roles: []backend.Role{backend.RoleReporter},
			Accounts: []backend.ChatAccount{{Platform: "slack", UserID: "U9"}, p.Accounts[0]}}
		wantCode(t, s.CreatePerson(ctx, q), backend.ECONFLICT)
		if q.ID != 0 {
			t.Error("ID set on failure")
		}
		people, err := s.PeopleWithRole(ctx, backend.RoleReporter, 0)
		must(t, err)
		equal(t, "people after conflict", people, []*backend.Person{p})
		_, err = s.PersonByAccount(ctx, "slack", "U9")
		wantCode(t, err, backend.ENOTFOUND)
	})
	t.Run("CreatePerson/ErrInvalidTeam", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		p := &backend.Person{Name: "a", Roles: []backend.Role{backend.RoleAssistant}, TeamID: missing}
		wantCode(t, s.CreatePerson(ctx, p), backend.EINVALID)
	})
	t.Run("Person/ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		_, err := s.Person(ctx, missing)
		wantCode(t, err, backend.ENOTFOUND)
	})
	t.Run("PersonByAccount/OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		createPerson(t, s, "a", 0, backend.RoleReporter)
		p := createPerson(t, s, "b", 0, backend.RoleReporter)
		got, err := s.PersonByAccount(ctx, "telegram", "tg-b")
		must(t, err)
		equal(t, "PersonByAccount", got, p)
	})
	t.Run("PersonByAccount/ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		createPerson(t, s, "a", 0, backend.RoleReporter)
		_, err := s.PersonByAccount(ctx, "slack", "tg-a") // right user, wrong platform
		wantCode(t, err, backend.ENOTFOUND)
	})
	t.Run("UpdatePerson/OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		team := createTeam(t, s, "tech")
		p := createPerson(t, s, "a", 0, backend.RoleReporter)
		p.Name, p.Roles, p.TeamID, p.Locale = "Alice", []backend.Role{backend.RoleAssistant, backend.RoleInfoSpecialist}, team.ID, "en"
		must(t, s.UpdatePerson(ctx, p))
		got, err := s.Person(ctx, p.ID)
		must(t, err)
		equal(t, "updated person", got, p)

		p.TeamID = 0
		must(t, s.UpdatePerson(ctx, p))
		got, err = s.Person(ctx, p.ID)
		must(t, err)
		equal(t, "person without team", got, p)
	})
	t.Run("UpdatePerson/ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		wantCode(t, s.UpdatePerson(ctx, &backend.Person{ID: missing, Name: "x", Roles: []backend.Role{backend.RoleReporter}}), backend.ENOTFOUND)
	})
	t.Run("UpdatePerson/ErrInvalidTeam", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		p := createPerson(t, s, "a", 0, backend.RoleReporter)
		want := *p
		p.TeamID = missing
		wantCode(t, s.UpdatePerson(ctx, p), backend.EINVALID)
		got, err := s.Person(ctx, p.ID)
		must(t, err)
		equal(t, "person after failed update", got, &want)
	})
	t.Run("LinkAccount/OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		p := createPerson(t, s, "a", 0, backend.RoleReporter)
		a := backend.ChatAccount{Platform: "slack", UserID: "U1", ChatID: "D1"}
		must(t, s.LinkAccount(ctx, p.ID, a))
		got, err := s.PersonByAccount(ctx, "slack", "U1")
		must(t, err)
		p.Accounts = append(p.Accounts, a)
		equal(t, "linked person", got, p)
	})
	t.Run("LinkAccount/Relink", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		p := createPerson(t, s, "a", 0, backend.RoleReporter)
		a := p.Accounts[0]
		a.ChatID = "new-chat"
		must(t, s.LinkAccount(ctx, p.ID, a))
		got, err := s.Person(ctx, p.ID)
		must(t, err)
		equal(t, "accounts", got.Accounts, []backend.ChatAccount{a})
	})
	t.Run("LinkAccount/ErrConflict", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		p := createPerson(t, s, "a", 0, backend.RoleReporter)
		q := createPerson(t, s, "b", 0, backend.RoleReporter)
		wantCode(t, s.LinkAccount(ctx, q.ID, p.Accounts[0]), backend.ECONFLICT)
		got, err := s.PersonByAccount(ctx, p.Accounts[0].Platform, p.Accounts[0].UserID)
		must(t, err)
		equal(t, "owner after conflict", got, p)
	})
	t.Run("LinkAccount/ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		wantCode(t, s.LinkAccount(ctx, missing, backend.ChatAccount{Platform: "web", UserID: "x"}), backend.ENOTFOUND)
	})
	t.Run("PeopleWithRole", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		a, b := createTeam(t, s, "a"), createTeam(t, s, "b")
		alice := createPerson(t, s, "alice", a.ID, backend.RoleAssistant)
		bob := createPerson(t, s, "bob", b.ID, backend.RoleAssistant, backend.RoleManager)
		carol := createPerson(t, s, "carol", 0, backend.RoleReporter)
		for _, tc := range []struct {
			role backend.Role
			team int64
			want []*backend.Person
		}{
			{backend.RoleAssistant, 0, []*backend.Person{alice, bob}},
			{backend.RoleAssistant, a.ID, []*backend.Person{alice}},
			{backend.RoleAssistant, b.ID, []*backend.Person{bob}},
			{backend.RoleManager, 0, []*backend.Person{bob}},
			{backend.RoleManager, a.ID, nil},
			{backend.RoleReporter, 0, []*backend.Person{carol}},
			{backend.RoleAdmin, 0, nil},
		} {
			got, err := s.PeopleWithRole(ctx, tc.role, tc.team)
			must(t, err)
			if len(got) == 0 && len(tc.want) == 0 {
				continue
			}
			equal(t, string(tc.role)+" in team "+dump(tc.team), got, tc.want)
		}
	})
	// A deactivated person keeps their row, roles and accounts, but no
	// listing of role holders names them until they are reactivated.
	t.Run("SetDeactivated", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		a := createTeam(t, s, "a")
		alice := createPerson(t, s, "alice", a.ID, backend.RoleAssistant)
		bob := createPerson(t, s, "bob", a.ID, backend.RoleAssistant, backend.RoleManager)
		must(t, s.LinkAccount(ctx, bob.ID, backend.ChatAccount{Platform: "telegram", UserID: "42", ChatID: "42"}))
		bob, err := s.Person(ctx, bob.ID)
		must(t, err)
		at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
		must(t, s.SetDeactivated(ctx, bob.ID, at))
		got, err := s.Person(ctx, bob.ID)
		must(t, err)
		want := *bob
		want.DeactivatedAt = at
		equal(t, "deactivated person", got, &want)
		byAccount, err := s.PersonByAccount(ctx, "telegram", "42")
		must(t, err)
		equal(t, "deactivated person by account", byAccount, &want)
		for _, r := range []backend.Role{backend.RoleAssistant, backend.RoleManager} {
			holders, err := s.PeopleWithRole(ctx, r, 0)
			must(t, err)
			if len(holders) != 1 && r == backend.RoleAssistant || len(holders) != 0 && r == backend.RoleManager {
				t.Fatalf("%s holders with bob deactivated: %s", r, dump(holders))
			}
		}
		gone, err := s.DeactivatedPeople(ctx)
		must(t, err)
		equal(t, "deactivated people", gone, []*backend.Person{&want})

		must(t, s.SetDeactivated(ctx, bob.ID, time.Time{}))
		holders, err := s.PeopleWithRole(ctx, backend.RoleAssistant, a.ID)
		must(t, err)
		equal(t, "assistants after reactivation", holders, []*backend.Person{alice, bob})
		gone, err = s.DeactivatedPeople(ctx)
		must(t, err)
		if len(gone) != 0 {
			t.Fatalf("deactivated after reactivation: %s", dump(gone))
		}
		wantCode(t, s.SetDeactivated(ctx, missing, at), backend.ENOTFOUND)
	})
}

func testTeam(t *testing.T, newStore NewStoreFunc) {
	t.Run("CreateTeam/OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		lead := createPerson(t, s, "lead", 0, backend.RoleAssistant)
		team := &backend.Team{Name: "技术支持", LeadID: lead.ID}
		must(t, s.CreateTeam(ctx, team))
		if team.ID == 0 {
			t.Fatal("ID not set")
		}
		got, err := s.Team(ctx, team.ID)
		must(t, err)
		equal(t, "Team", got, team)
	})
	t.Run("CreateTeam/ErrConflict", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		createTeam(t, s, "tech")
		team := &backend.Team{Name: "tech"}
		wantCode(t, s.CreateTeam(ctx, team), backend.ECONFLICT)
		if team.ID != 0 {
			t.Error("ID set on failure")
		}
	})
	t.Run("CreateTeam/ErrInvalidLead", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		wantCode(t, s.CreateTeam(ctx, &backend.Team{Name: "tech", LeadID: missing}), backend.EINVALID)
	})
	t.Run("SetTeamLead/OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		team := createTeam(t, s, "tech")
		lead := createPerson(t, s, "lead", team.ID, backend.RoleAssistant)
		must(t, s.SetTeamLead(ctx, team.ID, lead.ID))
		got, err := s.Team(ctx, team.ID)
		must(t, err)
		team.LeadID = lead.ID
		equal(t, "team with a lead", got, team)
		other := createPerson(t, s, "other", 0, backend.RoleManager)
		must(t, s.SetTeamLead(ctx, team.ID, other.ID))
		got, err = s.Team(ctx, team.ID)
		must(t, err)
		team.LeadID = other.ID
		equal(t, "team with another lead", got, team)
		must(t, s.SetTeamLead(ctx, team.ID, 0))
		got, err = s.Team(ctx, team.ID)
		must(t, err)
		team.LeadID = 0
		equal(t, "team without a lead", got, team)
	})
	t.Run("SetTeamLead/ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		lead := createPerson(t, s, "lead", 0, backend.RoleAssistant)
		wantCode(t, s.SetTeamLead(ctx, missing, lead.ID), backend.ENOTFOUND)
		wantCode(t, s.SetTeamLead(ctx, missing, missing), backend.ENOTFOUND)
	})
	t.Run("SetTeamLead/ErrInvalidLead", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		lead := createPerson(t, s, "lead", 0, backend.RoleAssistant)
		team := &backend.Team{Name: "tech", LeadID: lead.ID}
		must(t, s.CreateTeam(ctx, team))
		wantCode(t, s.SetTeamLead(ctx, team.ID, missing), backend.EINVALID)
		got, err := s.Team(ctx, team.ID)
		must(t, err)
		equal(t, "team after a failed SetTeamLead", got, team)
	})
	t.Run("Team/ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		_, err := s.Team(ctx, missing)
		wantCode(t, err, backend.ENOTFOUND)
	})
	t.Run("Teams", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		got, err := s.Teams(ctx)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("Teams of an empty store = %s", dump(got))
		}
		tech, product, service := createTeam(t, s, "tech"), createTeam(t, s, "Product"), createTeam(t, s, "service")
		got, err = s.Teams(ctx)
		must(t, err)
		equal(t, "Teams", got, []*backend.Team{product, service, tech})
	})
	testTeamChat(t, newStore)
}

// testTeamChat: a team's own triage chats, one per platform (DESIGN §11).
func testTeamChat(t *testing.T, newStore NewStoreFunc) {
	t.Run("SetTeamChat/OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		team, other := createTeam(t, s, "tech"), createTeam(t, s, "product")
		must(t, s.SetTeamChat(ctx, team.ID, "telegram", "-1001234567890"))
		must(t, s.SetTeamChat(ctx, team.ID, "slack", "C0123ABCD"))
		got, err := s.Team(ctx, team.ID)
		must(t, err)
		team.Chats = map[string]string{"telegram": "-1001234567890", "slack": "C0123ABCD"}
		equal(t, "team with two chats", got, team)

		// Setting it again replaces the platform's chat; the other stays.
		must(t, s.SetTeamChat(ctx, team.ID, "telegram", "-1009"))
		team.Chats["telegram"] = "-1009"
		got, err = s.Team(ctx, team.ID)
		must(t, err)
		equal(t, "team with another Telegram chat", got, team)
		all, err := s.Teams(ctx)
		must(t, err)
		equal(t, "Teams", all, []*backend.Team{other, team})

		// "" takes one away; the last one gone, Chats is nil again.
		must(t, s.SetTeamChat(ctx, team.ID, "slack", ""))
		delete(team.Chats, "slack")
		got, err = s.Team(ctx, team.ID)
		must(t, err)
		equal(t, "team without its Slack chat", got, team)
		must(t, s.SetTeamChat(ctx, team.ID, "telegram", ""))
		must(t, s.SetTeamChat(ctx, team.ID, "telegram", "")) // clearing nothing is fine
		team.Chats = nil
		got, err = s.Team(ctx, team.ID)
		must(t, err)
		equal(t, "team without chats", got, team)
	})
	t.Run("SetTeamChat/ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		wantCode(t, s.SetTeamChat(ctx, missing, "telegram", "-100"), backend.ENOTFOUND)
		wantCode(t, s.SetTeamChat(ctx, missing, "telegram", ""), backend.ENOTFOUND)
	})
	t.Run("SetTeamChat/ErrInvalid", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		team := createTeam(t, s, "tech")
		wantCode(t, s.SetTeamChat(ctx, team.ID, "", "-100"), backend.EINVALID)
		got, err := s.Team(ctx, team.ID)
		must(t, err)
		equal(t, "team after a refused chat", got, team)
	})
	t.Run("CreateTeam/Chats", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		team := &backend.Team{Name: "tech", Chats: map[string]string{"telegram": "-100", "slack": "C1"}}
		must(t, s.CreateTeam(ctx, team))
		got, err := s.Team(ctx, team.ID)
		must(t, err)
		equal(t, "Team", got, team)
		wantCode(t, s.CreateTeam(ctx, &backend.Team{Name: "bad", Chats: map[string]string{"": "-100"}}), backend.EINVALID)
		all, err := s.Teams(ctx)
		must(t, err)
		equal(t, "Teams after a refused team", all, []*backend.Team{team})
	})
	t.Run("TeamsByChat", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		tech, product, service := createTeam(t, s, "tech"), createTeam(t, s, "product"), createTeam(t, s, "service")
		must(t, s.SetTeamChat(ctx, tech.ID, "telegram", "-100"))
		must(t, s.SetTeamChat(ctx, product.ID, "telegram", "-100")) // a shared group
		must(t, s.SetTeamChat(ctx, service.ID, "slack", "-100"))    // the same id on another platform
		tech.Chats = map[string]string{"telegram": "-100"}
		product.Chats = map[string]string{"telegram": "-100"}
		got, err := s.TeamsByChat(ctx, "telegram", "-100")
		must(t, err)
		equal(t, "teams of the group", got, []*backend.Team{product, tech})
		got, err = s.TeamsByChat(ctx, "telegram", "-200")
		must(t, err)
		if got == nil || len(got) != 0 {
			t.Fatalf("TeamsByChat of no team's chat = %s, want []", dump(got))
		}
	})
}

func testAPIToken(t *testing.T, newStore NewStoreFunc) {
	t.Run("CreateAPIToken/OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		inClock := clockRange(t)
		p := createPerson(t, s, "bot", 0, backend.RoleAdmin)
		tok := &backend.APIToken{Name: "ci", PersonID: p.ID, Hash: []byte{0, 1, 2, 0xfe, 0xff}}
		must(t, s.CreateAPIToken(ctx, tok))
		if tok.ID == 0 {
			t.Fatal("ID not set")
		}
		inClock("CreatedAt", tok.CreatedAt)
		other := &backend.APIToken{Name: "cron", PersonID: p.ID, Hash: []byte{0, 1, 2}}
		must(t, s.CreateAPIToken(ctx, other))
		got, err := s.APITokenByHash(ctx, []byte{0, 1, 2, 0xfe, 0xff})
		must(t, err)
		equal(t, "APITokenByHash", got, tok)
	})
	t.Run("CreateAPIToken/ErrConflict", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		p := createPerson(t, s, "bot", 0, backend.RoleAdmin)
		must(t, s.CreateAPIToken(ctx, &backend.APIToken{Name: "a", PersonID: p.ID, Hash: []byte("h")}))
		wantCode(t, s.CreateAPIToken(ctx, &backend.APIToken{Name: "b", PersonID: p.ID, Hash: []byte("h")}), backend.ECONFLICT)
	})
	t.Run("CreateAPIToken/ErrInvalidPerson", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		wantCode(t, s.CreateAPIToken(ctx, &backend.APIToken{Name: "a", PersonID: missing, Hash: []byte("h")}), backend.EINVALID)
	})
	t.Run("RevokeAPIToken", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		p := createPerson(t, s, "bot", 0, backend.RoleAdmin)
		ci := &backend.APIToken{Name: "ci", PersonID: p.ID, Hash: []byte("ci")}
		cron := &backend.APIToken{Name: "cron", PersonID: p.ID, Hash: []byte("cron")}
		must(t, s.CreateAPIToken(ctx, ci))
		must(t, s.CreateAPIToken(ctx, cron))
		at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
		must(t, s.RevokeAPIToken(ctx, ci.ID, at))
		must(t, s.RevokeAPIToken(ctx, ci.ID, at.Add(time.Hour))) // stays revoked as of the first time
		revoked := *ci
		revoked.RevokedAt = at
		got, err := s.APITokenByHash(ctx, []byte("ci"))
		must(t, err)
		equal(t, "revoked token by hash", got, &revoked)
		all, err := s.APITokens(ctx)
		must(t, err)
		equal(t, "APITokens", all, []*backend.APIToken{&revoked, cron})
		wantCode(t, s.RevokeAPIToken(ctx, missing, at), backend.ENOTFOUND)
	})
	t.Run("APITokenByHash/ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		_, err := s.APITokenByHash(ctx, []byte("nope"))
		wantCode(t, err, backend.ENOTFOUND)
	})
}

func testIncident(t *testing.T, newStore NewStoreFunc) {
	t.Run("CreateIncident/OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		inClock := clockRange(t)
		i := &backend.Incident{Title: "支付网关故障"}
		must(t, s.CreateIncident(ctx, i))
		if i.ID == 0 {
			t.Fatal("ID not set")
		}
		inClock("CreatedAt", i.CreatedAt)
		got, err := s.Incident(ctx, i.ID)
		must(t, err)
		equal(t, "Incident", got, i)

		j := &backend.Incident{Title: "login", CreatedAt: time.Date(2026, 11, 22, 8, 0, 0, 999, cst)}
		must(t, s.CreateIncident(ctx, j))
		got, err = s.Incident(ctx, j.ID)
		must(t, err)
		equal(t, "Incident with CreatedAt", got, &backend.Incident{ID: j.ID, Title: "login", CreatedAt: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
	})
	t.Run("Incident/ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		_, err := s.Incident(ctx, missing)
		wantCode(t, err, backend.ENOTFOUND)
	})
}
