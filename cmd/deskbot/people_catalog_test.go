package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestPeopleTexts checks that every text the console's People and Teams
// pages show by key, and every error their actions give, is in every
// catalog (the console's tests translate with the keys themselves).
func TestPeopleTexts(t *testing.T) {
	ids := map[string]bool{}
	text := regexp.MustCompile(`"(web\.[a-z_.]+)"`)
	// backend.Keyed takes the key without its "err." prefix.
	keyed := regexp.MustCompile(`Keyed\(E[A-Z]+, "([a-z_]+)"`)
	for _, f := range []struct {
		path string
		re   *regexp.Regexp
		pre  string
	}{
		{"../../backend/web/templates/people.html", text, ""}, {"../../backend/web/people.go", text, ""},
		{"../../backend/web/templates/teams.html", text, ""}, {"../../backend/web/teams.go", text, ""},
		{"../../backend/people.go", keyed, "err."}, {"../../backend/deactivate.go", keyed, "err."}, {"../../backend/teams.go", keyed, "err."},
	} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range f.re.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasSuffix(m[1], ".") { // a prefix, completed below
				ids[f.pre+m[1]] = true
			}
		}
	}
	for _, r := range backend.Roles {
		ids["web.role."+string(r)] = true // printf "web.role.%s"
	}
	for _, f := range chatFlags { // the Teams page's platforms (team.go)
		for _, id := range []string{"web.teams.chat.%s", "web.teams.chat.%s.hint", "web.platform.%s", "err.field.chats.%s", "err.problem.chat.%s"} {
			ids[strings.ReplaceAll(id, "%s", f.platform)] = true
		}
	}
	for _, want := range []string{"web.people.deactivated", "web.people.invite.how", "err.last_admin", "err.not_yourself",
		"web.teams.chat.shared", "web.teams.readonly", "err.team_exists", "err.teams_admins_only"} {
		if !ids[want] {
			t.Fatalf("%s not found in the sources; is the pattern right? %v", want, ids)
		}
	}
	c, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	for id := range ids {
		if !c.Has(id) {
			t.Errorf("%s is not in every catalog", id)
		}
	}
	for _, id := range []string{"err.field.lead_id", "err.problem.not_staff", "err.problem.no_person", "err.problem.length"} {
		if !c.Has(id) {
			t.Errorf("%s (a Teams page refusal) is not in every catalog", id)
		}
	}
}
