package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

// TestPeoplePage: managers and admins see the staff with their open
// tickets, invite new staff with a code that works, deactivate someone
// who left (their tickets back in the queue, a reason required for that)
// and reactivate them; an assistant may not open the page, a manager may
// not touch an admin or invite one, nobody deactivates themselves.
func TestPeoplePage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ada, adaPW := f.user("ada", backend.RoleAdmin)
	max, maxPW := f.user("max", backend.RoleManager)
	bob, bobPW := f.user("bob", backend.RoleAssistant)
	tk := f.ticket(f.reporter("r1"), "会员中心积分明细打不开")
	if _, err := f.svc.Claim(ctx, bob, tk.Number); err != nil {
		t.Fatal(err)
	}
	id := func(p *backend.Person) string { return strconv.FormatInt(p.ID, 10) }

	t.Run("AssistantsMayNot", func(t *testing.T) {
		c := f.client()
		c.login("bob", bobPW)
		if _, body, _ := c.do("GET", "/console/", nil, nil); strings.Contains(body, `id="nav-people"`) {
			t.Fatal("an assistant's console links the People page")
		}
		if code, _, _ := c.do("GET", "/console/people", nil, nil); code != 403 {
			t.Fatalf("an assistant's People page = %d, want 403", code)
		}
		if code, _, _ := c.do("POST", "/console/people/invite", url.Values{"csrf": {c.csrf}, "role": {"assistant"}}, nil); code != 403 {
			t.Fatalf("an assistant's invite = %d, want 403", code)
		}
	})

	c := f.client()
	c.login("max", maxPW)
	c.fetchCSRF("/console/people")
	t.Run("List", func(t *testing.T) {
		_, body, _ := c.do("GET", "/console/", nil, nil)
		if !strings.Contains(body, `id="nav-people"`) {
			t.Fatal("a manager's console does not link the People page")
		}
		code, body, _ := c.do("GET", "/console/people", nil, nil)
		if code != 200 {
			t.Fatalf("People page = %d:\n%s", code, body)
		}
		row := regexp.MustCompile(`(?s)<tr class="person" data-person="` + id(bob) + `">.*?</tr>`).FindString(body)
		if !strings.Contains(row, "bob") || !strings.Contains(row, "web.role.assistant") || !strings.Contains(row, "<td>1</td>") || !strings.Contains(row, `id="deactivate-`+id(bob)+`"`) {
			t.Fatalf("bob's row (1 open ticket, Deactivate): %s", row)
		}
		// Max may not deactivate ada (an admin) nor himself.
		for _, p := range []*backend.Person{ada, max} {
			if !strings.Contains(body, `data-person="`+id(p)+`"`) || strings.Contains(body, `id="deactivate-`+id(p)+`"`) {
				t.Fatalf("%s: listed without a Deactivate form expected:\n%s", p.Name, body)
			}
		}
		if strings.Contains(body, `<option value="admin">`) {
			t.Fatal("a manager is offered to invite an admin")
		}
	})

	t.Run("Invite", func(t *testing.T) {
		if code, body, _ := c.do("POST", "/console/people/invite", url.Values{"csrf": {c.csrf}, "role": {"admin"}}, nil); code != 403 || !strings.Contains(body, "err.admins_only") {
			t.Fatalf("a manager inviting an admin = %d:\n%s", code, body)
		}
		code, body, _ := c.do("POST", "/console/people/invite", url.Values{"csrf": {c.csrf}, "role": {"assistant"}, "team": {"0"}}, nil)
		m := regexp.MustCompile(`<code id="invite-code">(inv_[A-Za-z0-9_-]+)</code>`).FindStringSubmatch(body)
		if code != 200 || m == nil {
			t.Fatalf("invite = %d, no code shown:\n%s", code, body)
		}
		p, err := f.svc.RedeemInvite(ctx, m[1], backend.ChatAccount{Platform: "telegram", UserID: "77", ChatID: "77"}, "cai", "zh-CN")
		if err != nil || !p.HasRole(backend.RoleAssistant) {
			t.Fatalf("the page's code redeemed: %+v, %v", p, err)
		}
		if _, body, _ := c.do("GET", "/console/people", nil, nil); strings.Contains(body, m[1]) {
			t.Fatal("the code is shown again")
		}
	})

	t.Run("Deactivate", func(t *testing.T) {
		path := "/console/people/" + id(bob) + "/deactivate"
		if code, body, _ := c.do("POST", path, url.Values{"csrf": {c.csrf}, "release": {"1"}, "reason": {" "}}, nil); code != 422 || !strings.Contains(body, `id="people-error"`) {
			t.Fatalf("releasing without a reason = %d:\n%s", code, body)
		}
		if p, _ := f.store.Person(ctx, bob.ID); !p.Active() {
			t.Fatal("a refused deactivation deactivated bob")
		}
		code, body, _ := c.do("POST", path, url.Values{"csrf": {c.csrf}, "release": {"1"}, "reason": {"bob 已离职"}}, nil)
		if code != 200 || !strings.Contains(body, "web.people.deactivated") || !strings.Contains(body, "Released:1") {
			t.Fatalf("deactivate = %d:\n%s", code, body)
		}
		if p, _ := f.store.Person(ctx, bob.ID); p.Active() {
			t.Fatal("bob is still active")
		}
		got, err := f.store.Ticket(ctx, tk.Number)
		if err != nil || got.Status != backend.StatusReturned || got.AssigneeID != 0 {
			t.Fatalf("bob's ticket after the release: %+v, %v", got, err)
		}
		if !strings.Contains(body, `data-person="`+id(bob)+`"`) || !strings.Contains(body, `id="reactivate-`+id(bob)+`"`) {
			t.Fatalf("bob is not listed as deactivated, with Reactivate:\n%s", body)
		}
		if code, body, _ := c.do("POST", path, url.Values{"csrf": {c.csrf}}, nil); code != 409 || !strings.Contains(body, "err.deactivated_already") {
			t.Fatalf("deactivating twice = %d:\n%s", code, body)
		}
		if code, body, _ := c.do("POST", "/console/people/"+id(ada)+"/deactivate", url.Values{"csrf": {c.csrf}}, nil); code != 403 || !strings.Contains(body, "err.admins_only") {
			t.Fatalf("a manager deactivating an admin = %d:\n%s", code, body)
		}
		if code, _, _ := c.do("POST", "/console/people/"+id(bob)+"/reactivate", url.Values{"csrf": {c.csrf}}, nil); code != 200 {
			t.Fatalf("reactivate = %d", code)
		}
		if p, _ := f.store.Person(ctx, bob.ID); !p.Active() {
			t.Fatal("bob was not reactivated")
		}
		if code, _, _ := c.do("POST", "/console/people/999999/deactivate", url.Values{"csrf": {c.csrf}}, nil); code != 404 {
			t.Fatalf("deactivating nobody = %d, want 404", code)
		}
	})

	t.Run("NotYourself", func(t *testing.T) {
		a := f.client()
		a.login("ada", adaPW)
		a.fetchCSRF("/console/people")
		if code, body, _ := a.do("POST", "/console/people/"+id(ada)+"/deactivate", url.Values{"csrf": {a.csrf}}, nil); code != 403 || !strings.Contains(body, "err.not_yourself") {
			t.Fatalf("an admin deactivating herself = %d:\n%s", code, body)
		}
		// An admin may deactivate the manager, and invite an admin.
		if code, _, _ := a.do("POST", "/console/people/"+id(max)+"/deactivate", url.Values{"csrf": {a.csrf}}, nil); code != 200 {
			t.Fatalf("an admin deactivating a manager = %d", code)
		}
		if code, body, _ := a.do("POST", "/console/people/invite", url.Values{"csrf": {a.csrf}, "role": {"admin"}}, nil); code != 200 || !strings.Contains(body, `id="invite-code"`) {
			t.Fatalf("an admin inviting an admin = %d", code)
		}
	})
}
