package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

// TestTicketHandover: the ticket page's 指派 / 转派 forms. A manager
// assigns a ticket to a named assistant and transfers it to another team
// with the reason; an assistant of that team transfers it on; refused
// tries show their error by the forms and change nothing.
func TestTicketHandover(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	team := func(name string) *backend.Team {
		tm := &backend.Team{Name: name}
		if err := f.store.CreateTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
		return tm
	}
	crm, billing := team("CRM组"), team("财务部")
	_, mpw := f.user("mona", backend.RoleManager)
	ann, _, err := f.auth.CreateUser(ctx, "ann", backend.RoleAssistant, crm.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	_, bpw, err := f.auth.CreateUser(ctx, "bob", backend.RoleAssistant, billing.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	r := f.reporter("r-handover")
	tk := f.ticket(r, "退款申请提交后一直没有到账")
	mona := f.client()
	mona.login("mona", mpw)
	page := "/console/t/" + tk.Number

	// post sends a form as the browser does (no htmx): a redirect when it
	// went through, else the page with the error.
	post := func(c *client, action string, form url.Values) (int, string) {
		t.Helper()
		form.Set("csrf", c.csrf)
		code, body, _ := c.do("POST", page+"/"+action, form, nil)
		return code, body
	}
	get := func(c *client) string {
		t.Helper()
		code, body, _ := c.do("GET", page, nil, nil)
		if code != http.StatusOK {
			t.Fatalf("ticket page = %d", code)
		}
		return body
	}
	now := func() *backend.Ticket {
		t.Helper()
		got, err := f.svc.Ticket(ctx, r, tk.Number)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// teamsOffered are the teams of the transfer form's select.
	teamsOffered := func(body string) []string {
		form := regexp.MustCompile(`(?s)<form[^>]*id="transfer-form".*?</form>`).FindString(body)
		var ids []string
		for _, m := range regexp.MustCompile(`<option value="(\d+)"`).FindAllStringSubmatch(form, -1) {
			ids = append(ids, m[1])
		}
		return ids
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }

	t.Run("Forms", func(t *testing.T) {
		body := get(mona)
		for _, want := range []string{`id="handover"`, `id="assign-form"`, `id="transfer-form"`, `name="reason"`,
			`<option value="` + id(ann.ID) + `" >ann · CRM组</option>`, "web.act.assign_to", "web.act.transfer_to"} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		if got := teamsOffered(body); strings.Join(got, ",") != id(crm.ID)+","+id(billing.ID) {
			t.Errorf("teams offered to an unrouted ticket = %v", got)
		}
	})

	t.Run("Assign", func(t *testing.T) {
		code, body := post(mona, "assign", url.Values{"assignee": {id(ann.ID)}})
		if code != http.StatusSeeOther {
			t.Fatalf("assign = %d\n%s", code, body)
		}
		if got := now(); got.AssigneeID != ann.ID || got.TeamID != crm.ID {
			t.Fatalf("after assign: assignee %d team %d", got.AssigneeID, got.TeamID)
		}
		body = get(mona)
		if !strings.Contains(body, `<b id="assignee">ann</b>`) {
			t.Error("the page does not show the new assignee")
		}
		// The ticket is with CRM组 now: only the other team is offered.
		if got := teamsOffered(body); len(got) != 1 || got[0] != id(billing.ID) {
			t.Errorf("teams offered = %v, want only %d", got, billing.ID)
		}
	})

	t.Run("ErrAssign", func(t *testing.T) {
		for _, tc := range []struct {
			assignee, problem string
		}{
			{id(r.ID), "err.problem.not_staff"}, // a reporter
			{"", "err.problem.required"},
			{"ann", "err.problem.number"},
		} {
			code, body := post(mona, "assign", url.Values{"assignee": {tc.assignee}})
			if code != http.StatusUnprocessableEntity || !regexp.MustCompile(`id="handover-error">[^<]*`+regexp.QuoteMeta(tc.problem)).MatchString(body) {
				t.Fatalf("assign %q = %d, want 422 with %s by the forms\n%s", tc.assignee, code, tc.problem, body)
			}
		}
		if got := now(); got.AssigneeID != ann.ID || got.TeamID != crm.ID {
			t.Fatalf("a refused assignment changed the ticket: assignee %d team %d", got.AssigneeID, got.TeamID)
		}
	})

	t.Run("ErrTransferWithoutReason", func(t *testing.T) {
		code, body := post(mona, "transfer", url.Values{"team": {id(billing.ID)}, "reason": {"  "}})
		if code != http.StatusUnprocessableEntity || !regexp.MustCompile(`id="handover-error">[^<]*err\.problem\.transfer_reason`).MatchString(body) {
			t.Fatalf("transfer without a reason = %d\n%s", code, body)
		}
		// The team chosen stays chosen.
		if !strings.Contains(body, `<option value="`+id(billing.ID)+`" selected>`) {
			t.Error("the team chosen is not kept after the error")
		}
		if got := now(); got.TeamID != crm.ID || got.AssigneeID != ann.ID {
			t.Fatalf("a refused transfer changed the ticket: team %d assignee %d", got.TeamID, got.AssigneeID)
		}
	})

	t.Run("ErrTransferSameTeam", func(t *testing.T) {
		code, body := post(mona, "transfer", url.Values{"team": {id(crm.ID)}, "reason": {"属于会员中心"}})
		if code != http.StatusConflict || !strings.Contains(body, "err.same_team") || !strings.Contains(body, "属于会员中心</textarea>") {
			t.Fatalf("transfer to its own team = %d, want 409 with err.same_team and the reason kept\n%s", code, body)
		}
		if code, _ := post(mona, "transfer", url.Values{"team": {"99999"}, "reason": {"nowhere"}}); code != http.StatusNotFound {
			t.Fatalf("transfer to an unknown team = %d, want 404", code)
		}
	})

	t.Run("Transfer", func(t *testing.T) {
		code, body := post(mona, "transfer", url.Values{"team": {id(billing.ID)}, "reason": {"退款问题归财务部处理"}})
		if code != http.StatusSeeOther {
			t.Fatalf("transfer = %d\n%s", code, body)
		}
		got := now()
		if got.TeamID != billing.ID || got.AssigneeID != 0 || got.Status != backend.StatusNew {
			t.Fatalf("after transfer: team %d assignee %d status %s", got.TeamID, got.AssigneeID, got.Status)
		}
		body = get(mona)
		line := regexp.MustCompile(`<li class="ev ev-transferred">.*?</li>`).FindString(body)
		if !strings.Contains(line, "web.ev.transferred") || !strings.Contains(line, "退款问题归财务部处理") || !strings.Contains(line, "CRM组") {
			t.Fatalf("the thread's transfer line = %q", line)
		}
		// An assistant of the new team sends it on.
		bob := f.client()
		bob.login("bob", bpw)
		if code, body := post(bob, "transfer", url.Values{"team": {id(crm.ID)}, "reason": {"其实是会员中心的问题"}}); code != http.StatusSeeOther {
			t.Fatalf("assistant's transfer = %d\n%s", code, body)
		}
		if got := now(); got.TeamID != crm.ID {
			t.Fatalf("after the assistant's transfer: team %d", got.TeamID)
		}
	})

	t.Run("ErrCSRF", func(t *testing.T) {
		code, _, _ := mona.do("POST", page+"/transfer", url.Values{"team": {id(billing.ID)}, "reason": {"x"}}, nil)
		if code != http.StatusForbidden || now().TeamID != crm.ID {
			t.Fatalf("transfer without the form's token = %d", code)
		}
	})

	t.Run("Closed", func(t *testing.T) {
		if _, err := f.svc.Resolve(ctx, f.mustPerson("mona"), tk.Number, "已退款"); err != nil {
			t.Fatal(err)
		}
		if body := get(mona); strings.Contains(body, `id="handover"`) {
			t.Error("a resolved ticket still offers assign and transfer")
		}
	})
}
