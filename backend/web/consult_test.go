package web_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

// TestTicketConsult (seed 002 跨部门协作): whoever holds a ticket asks
// another team for its opinion from the ticket page; a refused form keeps
// what was typed; someone of the team asked opens the ticket, answers
// under the consultation, and the thread shows both.
func TestTicketConsult(t *testing.T) {
	f := newFixture(t)
	tech, product := f.team("tech"), f.team("product")
	ivy, ivyPW := f.teamUser("ivy", backend.RoleAssistant, tech)
	_, pmPW := f.teamUser("pm", backend.RoleAssistant, product)
	tk := f.ticket(f.reporter("r21"), "the button text looks wrong")
	c := f.client()
	c.login("ivy", ivyPW)
	if _, page, _ := c.do("GET", "/console/t/"+tk.Number, nil, nil); strings.Contains(page, `id="consult-form"`) {
		t.Fatal("a ticket ivy does not hold offers her the consultation form")
	}
	if _, err := f.svc.Claim(context.Background(), ivy, tk.Number); err != nil {
		t.Fatal(err)
	}
	_, page, _ := c.do("GET", "/console/t/"+tk.Number, nil, nil)
	wantIn(t, "the ticket page", page, `id="consult-form"`, ">product</option>")

	// No question: refused, the team kept.
	team := url.Values{"team": {strconv.FormatInt(product.ID, 10)}, "question": {" "}}
	code, page, _ := c.post("/console/t/"+tk.Number+"/consult", team)
	if code != 422 || !strings.Contains(page, `id="consult-error"`) || !strings.Contains(page, `selected>product</option>`) {
		t.Fatalf("no question = %d, want 422 with the team kept\n%s", code, page)
	}
	code, _, _ = c.post("/console/t/"+tk.Number+"/consult", url.Values{"team": {strconv.FormatInt(product.ID, 10)}, "question": {"文案是否需要产品部确认？"}})
	if code != 303 {
		t.Fatalf("consult = %d, want 303", code)
	}
	_, page, _ = c.do("GET", "/console/t/"+tk.Number, nil, nil)
	wantIn(t, "the page after asking", page, `data-consult="T-1"`, "文案是否需要产品部确认？", "web.ev.consult.added", "web.task.state.open")

	// pm, of product, opens the ticket and answers.
	pm := f.client()
	pm.login("pm", pmPW)
	code, page, _ = pm.do("GET", "/console/t/"+tk.Number, nil, nil)
	if code != 200 || !strings.Contains(page, `id="opinion-form"`) || !strings.Contains(page, `<option value="T-1"`) {
		t.Fatalf("the team asked: %d, no answer form\n%s", code, page)
	}
	if strings.Contains(page, `id="consult-form"`) || strings.Contains(page, `id="btn-claim"`) || strings.Contains(page, `id="act"`) {
		t.Fatal("the team asked is offered to handle a ticket it only gives its opinion on")
	}
	// Their task list leads to it.
	_, page, _ = pm.do("GET", "/console/tasks", nil, nil)
	wantIn(t, "pm's tasks", page, `data-task="T-1"`, "web.consult.title", `href="/console/t/`+tk.Number+`#opinion-form"`)
	code, page, _ = pm.post("/console/t/"+tk.Number+"/opinion", url.Values{"task": {"T-1"}, "opinion": {"x"}})
	if code != 422 || !strings.Contains(page, ">x</textarea>") {
		t.Fatalf("a one-letter opinion = %d, want 422 with it kept\n%s", code, page)
	}
	if code, _, _ = pm.post("/console/t/"+tk.Number+"/opinion", url.Values{"task": {"T-1"}, "opinion": {"需要，按规范改为“提交”"}}); code != 303 {
		t.Fatalf("opinion = %d, want 303", code)
	}
	_, page, _ = c.do("GET", "/console/t/"+tk.Number, nil, nil)
	wantIn(t, "the page after the opinion", page, "web.task.state.done", "需要，按规范改为“提交”", "web.ev.consult.done")
	if strings.Contains(page, `id="opinion-form"`) {
		t.Fatal("an answered consultation still offers its form")
	}
	// Answered, the team asked no longer sees the ticket.
	if code, _, _ := pm.do("GET", "/console/t/"+tk.Number, nil, nil); code != 403 {
		t.Fatalf("pm after answering: %d, want 403", code)
	}
}
