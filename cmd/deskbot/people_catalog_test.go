package main

import (
	"os"
	"regexp"
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestPeopleTexts checks that every text the console's People page shows
// by key, and every error its actions give, is in every catalog (the
// console's tests translate with the keys themselves).
func TestPeopleTexts(t *testing.T) {
	c, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	text := regexp.MustCompile(`"(web\.[a-z_.]+)"`)
	for _, f := range []string{"../../backend/web/templates/people.html", "../../backend/web/people.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range text.FindAllStringSubmatch(string(b), -1) {
			ids[m[1]] = true
		}
	}
	// backend.Keyed takes the key without its "err." prefix.
	keyed := regexp.MustCompile(`Keyed\(E[A-Z]+, "([a-z_]+)"`)
	for _, f := range []string{"../../backend/people.go", "../../backend/deactivate.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyed.FindAllStringSubmatch(string(b), -1) {
			ids["err."+m[1]] = true
		}
	}
	for _, r := range backend.Roles {
		ids["web.role."+string(r)] = true // printf "web.role.%s"
	}
	for _, want := range []string{"web.people.deactivated", "web.people.invite.how", "err.last_admin", "err.not_yourself"} {
		if !ids[want] {
			t.Fatalf("%s not found in the sources; is the pattern right? %v", want, ids)
		}
	}
	for id := range ids {
		if !c.Has(id) {
			t.Errorf("%s is not in every catalog", id)
		}
	}
}
