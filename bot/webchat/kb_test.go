package webchat_test

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/bot/webchat"
	"github.com/deskbot/deskbot/dialogs"
)

// tickets counts every ticket in the store.
func (h *harness) tickets() int {
	h.t.Helper()
	staff := &backend.Person{Name: "counter", Roles: []backend.Role{backend.RoleAdmin}}
	page, err := h.svc.Tickets(context.Background(), staff, backend.TicketFilter{Limit: 200})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(page.Tickets)
}

// kbEntry files a knowledge-base entry as an assistant and returns its ref.
func (h *harness) kbEntry(title, body string) string {
	h.t.Helper()
	ctx := context.Background()
	ann := &backend.Person{Name: "ann", Roles: []backend.Role{backend.RoleAssistant}}
	if err := h.svc.CreatePerson(ctx, ann); err != nil {
		h.t.Fatal(err)
	}
	e, err := h.svc.CreateKBEntry(ctx, ann, backend.KBInput{Title: title, Body: body})
	if err != nil {
		h.t.Fatal(err)
	}
	return e.Ref()
}

// button is the value of the last button on page whose id starts with
// prefix, with the tag the chat adds to it (sug:continue#2).
func button(t *testing.T, page, prefix string) string {
	t.Helper()
	m := regexp.MustCompile(`value="(`+regexp.QuoteMeta(prefix)+`[^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(m) == 0 {
		t.Fatalf("no button %s:\n%s", prefix, page)
	}
	return m[len(m)-1][1]
}

// TestKBSuggestion: with a knowledge-base entry like the reporter's
// problem, the web chat shows it after the summary, and "this solved it"
// ends the dialog without a ticket; "none of these" goes on with the form.
func TestKBSuggestion(t *testing.T) {
	h := newHarness(t, 0)
	ref := h.kbEntry("放心房标识在后台不显示", "在「房源管理」里点「重新同步」，放心房标识 10 分钟内恢复显示。")

	t.Run("Solved", func(t *testing.T) {
		b := h.browser()
		b.open("/chat/")
		b.say(url.Values{"button": {"start:feedback"}})
		_, page := b.say(url.Values{"text": {"我们门店的房产放心房上线后，在后台一直不显示"}})
		for _, want := range []string{"is your problem one of these?", "放心房标识在后台不显示", "重新同步", `value="sug:solved:` + ref + `#`} {
			if !strings.Contains(page, want) {
				t.Fatalf("the suggestion does not show %q:\n%s", want, page)
			}
		}
		_, page = b.say(url.Values{"button": {button(t, page, "sug:solved:"+ref)}})
		if !strings.Contains(page, "No ticket filed") {
			t.Fatalf("solved does not end the dialog:\n%s", page)
		}
		if n := h.tickets(); n != 0 {
			t.Fatalf("%d tickets filed, want none", n)
		}
	})
	t.Run("NoneOfThese", func(t *testing.T) {
		b := h.browser()
		b.open("/chat/")
		b.say(url.Values{"button": {"start:feedback"}})
		_, page := b.say(url.Values{"text": {"房产放心房上线后在后台不显示，重新同步也没用"}})
		_, page = b.say(url.Values{"button": {button(t, page, "sug:continue")}})
		if !strings.Contains(page, "cmd:skip") { // the optional reference id comes next
			t.Fatalf("none of these does not go on with the form:\n%s", page)
		}
	})
	t.Run("Unrelated", func(t *testing.T) {
		// fileTicket answers the question after the summary at once: it
		// would fail if a suggestion came in between.
		b := h.browser()
		if n := b.fileTicket("Member-center balance was reset to zero before expiry"); n == "" {
			t.Fatal("no ticket")
		}
	})
}

// TestJoinIncident: a web reporter whose problem looks like an open
// incident that someone reported sees it after the summary with how many
// reported it, joins it, files nothing, and later reads the incident's
// update in the chat.
func TestJoinIncident(t *testing.T) {
	h := newHarness(t, 0)
	ctx := context.Background()
	ann := &backend.Person{Name: "ann", Roles: []backend.Role{backend.RoleAssistant}}
	if err := h.svc.CreatePerson(ctx, ann); err != nil {
		t.Fatal(err)
	}
	first := h.browser().fileTicket("放心房标识批量丢失 listings missing everywhere")
	inc, err := h.svc.CreateIncident(ctx, ann, "放心房标识批量丢失")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.LinkIncident(ctx, ann, first, inc.ID); err != nil {
		t.Fatal(err)
	}
	ref := backend.IncidentRef(inc.ID)

	b := h.browser()
	b.open("/chat/")
	b.say(url.Values{"button": {"start:feedback"}})
	_, page := b.say(url.Values{"text": {"我们这边放心房标识也批量丢失了"}})
	for _, want := range []string{"Open incident " + ref, "放心房标识批量丢失", "reported by 1 so far", `value="sug:join:` + ref + `#`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the incident does not show %q:\n%s", want, page)
		}
	}
	_, page = b.say(url.Values{"button": {button(t, page, "sug:join:"+ref)}})
	if !strings.Contains(page, "You joined "+ref) || !strings.Contains(page, "no duplicate ticket") {
		t.Fatalf("joining does not end the dialog:\n%s", page)
	}
	if n := h.tickets(); n != 1 {
		t.Fatalf("%d tickets, want only the first reporter's", n)
	}
	if got, err := h.store.Incident(ctx, inc.ID); err != nil || got.Reports != 2 {
		t.Fatalf("incident = %+v, %v; want 2 reports", got, err)
	}

	if _, err := h.svc.UpdateIncident(ctx, ann, inc.ID, "已定位原因，预计 30 分钟内恢复", false); err != nil {
		t.Fatal(err)
	}
	log := b.waitLog("已定位原因，预计 30 分钟内恢复")
	if !strings.Contains(log, "Update on incident "+ref) || strings.Contains(log, first) {
		t.Fatalf("the joiner's update names the incident, not the other reporter's ticket:\n%s", log)
	}
}

// TestAddToOwnTicket: a web reporter who starts to report again the
// problem of their ticket still open is offered that ticket first, with
// its status; adding to it files nothing, puts the description on that
// ticket as their comment (the handler hears it) and ends the dialog.
func TestAddToOwnTicket(t *testing.T) {
	h := newHarness(t, 0)
	ctx := context.Background()
	b := h.browser()
	number := b.fileTicket("放心房上线后在前台一直不显示，客户看不到")
	b.say(url.Values{"button": {"start:feedback"}})
	_, page := b.say(url.Values{"text": {"放心房上线后又在前台不显示了"}})
	for _, want := range []string{"Your ticket " + number, "(new)", `value="sug:add:` + number + `#`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the own ticket does not show %q:\n%s", want, page)
		}
	}
	_, page = b.say(url.Values{"button": {button(t, page, "sug:add:"+number)}})
	if !strings.Contains(page, "Added your description to ticket "+number) {
		t.Fatalf("adding does not end the dialog:\n%s", page)
	}
	if n := h.tickets(); n != 1 {
		t.Fatalf("%d tickets, want the first one alone", n)
	}
	tk, err := h.store.Ticket(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	events, err := h.store.Events(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(events, func(e *backend.Event) bool { return e.Kind == backend.EventComment })
	if i < 0 {
		t.Fatal("no comment on the ticket")
	}
	added := events[i]
	if added.ActorID != tk.ReporterID || added.Body != "放心房上线后又在前台不显示了" || !added.Public {
		t.Fatalf("comment %+v, want the reporter's, with the new description", added)
	}
	if !backend.IsReporterFollowUp(tk, added) {
		t.Fatal("the added description does not reach the handler as the reporter's follow-up")
	}

	// Added again (a turn tried again): one comment.
	sug := &botkit.Suggester{Service: h.svc}
	key := dialogs.SessionKey{Platform: webchat.Platform, ChatID: b.visitorID(), UserID: b.visitorID()}
	if err := sug.AddToTicket(ctx, key, number, dialogs.Draft{Summary: "放心房上线后又在前台不显示了"}); err != nil {
		t.Fatal(err)
	}
	comments := func() int {
		events, err := h.store.Events(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(slices.DeleteFunc(events, func(e *backend.Event) bool { return e.Kind != backend.EventComment }))
	}
	if n := comments(); n != 1 {
		t.Fatalf("%d comments after adding the same text again, want 1", n)
	}
}
