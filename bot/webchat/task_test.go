package webchat_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// TestComplaintTasks: the reporter of a complaint follows its tasks in
// the web chat (the plan, the result, all done), and asking for the
// complaint by number shows their progress.
func TestComplaintTasks(t *testing.T) {
	h := newHarness(t, 0)
	b := h.browser()
	b.fileTicket("Member-center balance was reset to zero before expiry")
	ctx := context.Background()
	p, err := h.store.PersonByAccount(ctx, "web", b.visitorID())
	if err != nil {
		t.Fatal(err)
	}
	staff := func(name string) *backend.Person {
		s := &backend.Person{Name: name, Roles: []backend.Role{backend.RoleAssistant}}
		if err := h.svc.CreatePerson(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	handler, owner := staff("Hank"), staff("Olga")
	tk, err := h.svc.CreateTicket(ctx, p, backend.NewTicket{Prefix: "CP", Form: backend.FormComplaint,
		Summary: "A batch of screwdrivers arrived with rust on the shafts", OrderNumber: "20080505003", Severity: backend.P3, Channel: "api",
		Extra:    map[string]string{"customer": "A Corp", "requests": "replace the bad ones on site", "urgency": "normal"},
		Contacts: backend.Contacts{Phone: "13800138000"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Claim(ctx, handler, tk.Number); err != nil {
		t.Fatal(err)
	}
	task, err := h.svc.AddTask(ctx, handler, tk.Number, backend.NewTask{Title: "Replace the rusty screwdrivers on site", OwnerID: owner.ID, Due: time.Now().Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	b.waitLog("The plan for complaint " + tk.Number)
	if _, err := h.svc.CompleteTask(ctx, owner, task.ID, "200 replaced, the customer signed"); err != nil {
		t.Fatal(err)
	}
	page := b.waitLog("All tasks of complaint " + tk.Number + " are done")
	if !strings.Contains(page, "200 replaced, the customer signed") || !strings.Contains(page, "completed by Olga") {
		t.Fatalf("the result:\n%s", page)
	}
	_, page = b.say(url.Values{"text": {"status of " + tk.Number + "?"}})
	if !strings.Contains(page, "Tasks 1/1 done") || !strings.Contains(page, backend.TaskRef(task.ID)) {
		t.Fatalf("the complaint's status:\n%s", page)
	}
}
