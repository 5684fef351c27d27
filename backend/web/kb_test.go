package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

func TestKBPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dave, pw := f.user("dave", backend.RoleAssistant)
	tk := f.ticket(f.reporter("r1"), "房产放心房上线后在后台不显示")
	if _, err := f.svc.Claim(ctx, dave, tk.Number); err != nil {
		t.Fatal(err)
	}
	c := f.client()
	c.login("dave", pw)
	ticketPage := "/console/t/" + tk.Number

	t.Run("NoAddBeforeResolved", func(t *testing.T) {
		_, body, _ := c.do("GET", ticketPage, nil, nil)
		if strings.Contains(body, `id="kb-from-ticket"`) {
			t.Fatal("an open ticket offers to file it in the knowledge base")
		}
	})
	if _, err := f.svc.Resolve(ctx, dave, tk.Number, "在房源管理里重新同步放心房标识。"); err != nil {
		t.Fatal(err)
	}
	var entry string
	t.Run("AddFromTicket", func(t *testing.T) {
		c.fetchCSRF(ticketPage)
		_, body, _ := c.do("GET", ticketPage, nil, nil)
		if !strings.Contains(body, `action="/console/kb/from/`+tk.Number+`"`) || !strings.Contains(body, "web.kb.add") {
			t.Fatalf("a resolved ticket has no add-to-knowledge-base action:\n%s", body)
		}
		if code, _, _ := c.do("POST", "/console/kb/from/"+tk.Number, url.Values{}, nil); code != 403 {
			t.Fatalf("without CSRF = %d, want 403", code)
		}
		code, _, hdr := c.do("POST", "/console/kb/from/"+tk.Number, url.Values{"csrf": {c.csrf}}, nil)
		if code != 303 || !strings.HasPrefix(hdr.Get("Location"), "/console/kb/KB-") {
			t.Fatalf("filing = %d → %q", code, hdr.Get("Location"))
		}
		entry = hdr.Get("Location")
		_, body, _ = c.do("GET", entry, nil, nil)
		for _, want := range []string{"房产放心房上线后在后台不显示", "重新同步放心房标识", `href="/console/t/` + tk.Number + `"`, `id="kb-edit"`, "CRM问题"} {
			if !strings.Contains(body, want) {
				t.Fatalf("entry page lacks %q:\n%s", want, body)
			}
		}
		_, body, _ = c.do("GET", ticketPage, nil, nil)
		if strings.Contains(body, `id="kb-from-ticket"`) || !strings.Contains(body, `href="`+entry+`"`) {
			t.Fatalf("the ticket page does not link its entry instead of offering to file it again:\n%s", body)
		}
	})
	t.Run("EditSearchDelete", func(t *testing.T) {
		c.fetchCSRF(entry)
		code, _, _ := c.do("POST", entry+"/save", url.Values{"csrf": {c.csrf}, "version": {"1"}, "title": {"放心房标识不显示"},
			"body": {"重新同步即可"}, "category": {"CRM问题 / 会员中心"}}, nil)
		if code != 303 {
			t.Fatalf("save = %d", code)
		}
		code, body, _ := c.do("POST", entry+"/save", url.Values{"csrf": {c.csrf}, "version": {"1"}, "title": {"lost"}, "body": {"x"}}, nil)
		if code != 409 || !strings.Contains(body, "err.kb_changed") || !strings.Contains(body, `value="lost"`) {
			t.Fatalf("stale save = %d:\n%s", code, body)
		}
		_, body = c.searchKB("放心房")
		if !strings.Contains(body, "放心房标识不显示") || !strings.Contains(body, "CRM问题 / 会员中心") {
			t.Fatalf("search does not find the entry:\n%s", body)
		}
		_, body = c.searchKB("发票")
		if !strings.Contains(body, `id="kb-none"`) {
			t.Fatalf("search finds something unrelated:\n%s", body)
		}
		if code, _, _ := c.do("POST", entry+"/delete", url.Values{"csrf": {c.csrf}}, nil); code != 303 {
			t.Fatalf("delete = %d", code)
		}
		if code, _, _ := c.do("GET", entry, nil, nil); code != 404 {
			t.Fatalf("deleted entry = %d, want 404", code)
		}
	})
	t.Run("CreateByHand", func(t *testing.T) {
		c.fetchCSRF("/console/kb")
		code, body, _ := c.do("POST", "/console/kb", url.Values{"csrf": {c.csrf}, "title": {""}, "body": {"重置密码"}}, nil)
		if code != 422 || !strings.Contains(body, `id="kb-new"`) || !strings.Contains(body, "重置密码") {
			t.Fatalf("empty title = %d:\n%s", code, body)
		}
		code, _, hdr := c.do("POST", "/console/kb", url.Values{"csrf": {c.csrf}, "title": {"会员中心登录失败"}, "body": {"重置密码"}}, nil)
		if code != 303 {
			t.Fatalf("create = %d", code)
		}
		_, body, _ = c.do("GET", "/console/kb", nil, nil)
		if !strings.Contains(body, `href="`+hdr.Get("Location")+`"`) || !strings.Contains(body, `id="nav-kb"`) {
			t.Fatalf("the list lacks the new entry:\n%s", body)
		}
	})
}

// TestIncidentUpdatePage: a ticket linked to an incident offers to post
// an update of the incident, which lands on the ticket's thread.
func TestIncidentUpdatePage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dave, pw := f.user("dave", backend.RoleAssistant)
	tk := f.ticket(f.reporter("r1"), "房产放心房上线后在后台不显示")
	inc, err := f.svc.CreateIncident(ctx, dave, "放心房标识批量丢失")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.LinkIncident(ctx, dave, tk.Number, inc.ID); err != nil {
		t.Fatal(err)
	}
	c := f.client()
	c.login("dave", pw)
	page := "/console/t/" + tk.Number
	c.fetchCSRF(page)
	_, body, _ := c.do("GET", page, nil, nil)
	if !strings.Contains(body, `id="incident-update"`) {
		t.Fatalf("no incident update form:\n%s", body)
	}
	code, _, _ := c.do("POST", page+"/incident_update", url.Values{"csrf": {c.csrf}, "text": {"已修复"}, "resolve": {"true"}}, nil)
	if code != 303 {
		t.Fatalf("update = %d", code)
	}
	got, err := f.store.Incident(ctx, inc.ID)
	if err != nil || got.ResolvedAt.IsZero() {
		t.Fatalf("incident = %+v, %v", got, err)
	}
	_, body, _ = c.do("GET", page, nil, nil)
	if !strings.Contains(body, "ev-incident_update") || !strings.Contains(body, `id="incident">`+backend.IncidentRef(inc.ID)+"<") {
		t.Fatalf("the thread lacks the update, or the incident its name:\n%s", body)
	}

	// A ticket linked to no incident has no incident to update: said so,
	// not "there is no incident 0".
	lone := f.ticket(f.reporter("r3"), "会员中心登录失败，提示密码错误")
	code, body, _ = c.do("POST", "/console/t/"+lone.Number+"/incident_update", url.Values{"csrf": {c.csrf}, "text": {"处理中"}}, nil)
	if code != 404 || !strings.Contains(body, "err.no_incident") || strings.Contains(body, "err.incident<") {
		t.Fatalf("update of no incident = %d:\n%s", code, body)
	}

	// Linking takes the incident as chats name it (INC-3) too; a
	// resolved incident takes no more tickets.
	second := f.ticket(f.reporter("r2"), "放心房标识又不显示了")
	code, body, _ = c.do("POST", "/console/t/"+second.Number+"/link", url.Values{"csrf": {c.csrf}, "incident": {backend.IncidentRef(inc.ID)}}, nil)
	if code != 409 || !strings.Contains(body, "err.incident_resolved") {
		t.Fatalf("link to a resolved incident = %d:\n%s", code, body)
	}
	open, err := f.svc.CreateIncident(ctx, dave, "放心房标识又丢失")
	if err != nil {
		t.Fatal(err)
	}
	code, _, _ = c.do("POST", "/console/t/"+second.Number+"/link", url.Values{"csrf": {c.csrf}, "incident": {backend.IncidentRef(open.ID)}}, nil)
	if got, err := f.store.Ticket(ctx, second.Number); code != 303 || err != nil || got.IncidentID != open.ID {
		t.Fatalf("link by INC- = %d: %+v, %v", code, got, err)
	}

	// Or by a duplicate ticket's number: the other ticket's incident
	// takes this one; a number that is not one is named.
	third := f.ticket(f.reporter("r4"), "放心房标识还是不显示")
	code, body, _ = c.do("POST", "/console/t/"+third.Number+"/link", url.Values{"csrf": {c.csrf}, "incident": {"FB-2026"}}, nil)
	if code != 422 || !strings.Contains(body, "err.duplicate_of") {
		t.Fatalf("link to FB-2026 = %d:\n%s", code, body)
	}
	code, _, _ = c.do("POST", "/console/t/"+third.Number+"/link", url.Values{"csrf": {c.csrf}, "incident": {strings.ToLower(second.Number)}}, nil)
	if got, err := f.store.Ticket(ctx, third.Number); code != 303 || err != nil || got.IncidentID != open.ID {
		t.Fatalf("link by a ticket number = %d: %+v, %v", code, got, err)
	}
}

// searchKB posts the knowledge base's search box and follows the answer
// to its sealed address: that address and the page.
func (c *client) searchKB(q string) (string, string) {
	c.f.t.Helper()
	code, _, hdr := c.do("POST", "/console/kb/search", url.Values{"csrf": {c.csrf}, "q": {q}}, nil)
	to := hdr.Get("Location")
	if code != http.StatusSeeOther || !strings.HasPrefix(to, "/console/kb") {
		c.f.t.Fatalf("search %q = %d to %q, want 303 to the list", q, code, to)
	}
	code, body, _ := c.do("GET", to, nil, nil)
	if code != http.StatusOK {
		c.f.t.Fatalf("search %q: %s = %d", q, to, code)
	}
	return to, body
}

// The knowledge base's search text stays out of addresses as the queue's
// does (TestSearchKeepsPersonalDataOutOfURLs): posted, sealed for the
// person who searched, an old ?q= bookmark sent on to its sealed address;
// and the list still pages.
func TestKBSearchKeepsTextOutOfURLs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dave, pw := f.user("dave", backend.RoleAssistant)
	const phone = "13800138000"
	for i := range 52 { // more than a page (50)
		if _, err := f.svc.CreateKBEntry(ctx, dave, backend.KBInput{Title: fmt.Sprintf("会员中心登录失败 %d", i), Body: "重置密码"}); err != nil {
			t.Fatal(err)
		}
	}
	target, err := f.svc.CreateKBEntry(ctx, dave, backend.KBInput{Title: "客户 " + phone + " 收不到验证码", Body: "检查短信网关"})
	if err != nil {
		t.Fatal(err)
	}
	c := f.client()
	c.login("dave", pw)
	c.fetchCSRF("/console/kb")

	t.Run("Sealed", func(t *testing.T) {
		_, body, _ := c.do("GET", "/console/kb", nil, nil)
		if !strings.Contains(body, `action="/console/kb/search"`) || !strings.Contains(body, `method="post"`) {
			t.Fatalf("the search box is not posted:\n%s", body)
		}
		if code, _, _ := c.do("POST", "/console/kb/search", url.Values{"q": {phone}}, nil); code != http.StatusForbidden {
			t.Fatalf("search without CSRF = %d, want 403", code)
		}
		to, body := c.searchKB(phone)
		if strings.Contains(to, phone) || !strings.Contains(to, "qs=") {
			t.Fatalf("search went to %q", to)
		}
		if !strings.Contains(body, `data-kb="`+target.Ref()+`"`) || !strings.Contains(body, `value="`+phone+`"`) {
			t.Fatalf("sealed address lacks the match or the search text in the box:\n%s", body)
		}
		if strings.Contains(body, `id="kb-more"`) {
			t.Fatal("a search has no next page")
		}
		if to, _ := c.searchKB("  "); to != "/console/kb" {
			t.Fatalf("an empty search went to %q, want the list", to)
		}

		// An old bookmark with the text in it is sent on to the sealed address.
		code, _, hdr := c.do("GET", "/console/kb?q="+phone, nil, nil)
		if loc := hdr.Get("Location"); code != http.StatusSeeOther || strings.Contains(loc, phone) || !strings.Contains(loc, "qs=") {
			t.Fatalf("plain q = %d to %q", code, loc)
		}

		// A colleague, or a ticket search's seal, opens nothing.
		_, pw2 := f.user("jan", backend.RoleAssistant)
		other := f.client()
		other.login("jan", pw2)
		if code, page, _ := other.do("GET", to, nil, nil); code != http.StatusUnprocessableEntity || strings.Contains(page, phone) || !strings.Contains(page, "err.search_link") {
			t.Fatalf("a colleague opening the link = %d", code)
		}
		_, _, hdr = c.do("POST", "/console/search", url.Values{"csrf": {c.csrf}, "queue": {"all"}, "q": {phone}}, nil)
		u, _ := url.Parse(hdr.Get("Location"))
		if code, _, _ := c.do("GET", "/console/kb?qs="+url.QueryEscape(u.Query().Get("qs")), nil, nil); code != http.StatusUnprocessableEntity {
			t.Fatalf("a ticket search's seal in the knowledge base = %d, want 422", code)
		}
	})
	t.Run("Paging", func(t *testing.T) {
		_, body, _ := c.do("GET", "/console/kb", nil, nil)
		more := regexp.MustCompile(`href="([^"]+)" id="kb-more"`).FindStringSubmatch(body)
		if more == nil {
			t.Fatalf("no next page link:\n%s", body)
		}
		code, body, _ := c.do("GET", html.UnescapeString(more[1]), nil, nil)
		if code != http.StatusOK || !strings.Contains(body, "会员中心登录失败 0<") || strings.Contains(body, `id="kb-more"`) {
			t.Fatalf("next page = %d:\n%s", code, body)
		}
	})
}
