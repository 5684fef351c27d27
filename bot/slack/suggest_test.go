package slack

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
	"github.com/deskbot/deskbot/dialogs"
)

// incidentSuggester suggests one open incident and one knowledge-base
// answer for a balance problem, and remembers who joined the incident.
type incidentSuggester struct {
	mu    sync.Mutex
	joins []dialogs.Draft
}

func (s *incidentSuggester) Suggest(_ context.Context, _ dialogs.SessionKey, d dialogs.Draft) ([]dialogs.Suggestion, error) {
	if !strings.Contains(d.Summary, "余额") {
		return nil, nil
	}
	return []dialogs.Suggestion{
		{Kind: dialogs.SuggestionIncident, ID: "INC-7", Title: "帮帮余额被清零", Count: 12},
		{Kind: dialogs.SuggestionKB, ID: "KB-3", Title: "余额显示为零怎么办", Body: "退出后重新登录即可刷新余额。"},
	}, nil
}

func (s *incidentSuggester) JoinIncident(_ context.Context, _ dialogs.SessionKey, id string, d dialogs.Draft) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "INC-7" {
		s.joins = append(s.joins, d)
	}
	return nil
}

func (s *incidentSuggester) joined() []dialogs.Draft {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.joins)
}

// TestModalSuggestions: a complete modal whose problem looks like an open
// incident or a knowledge-base answer shows them instead of filing; join
// and "this solved it" end it without a ticket, "file it anyway" files
// exactly what was submitted, once, however often it is pressed.
func TestModalSuggestions(t *testing.T) {
	sug := &incidentSuggester{}
	h := newHarnessSuggesting(t, ModeSocket, sug, nil)
	fake := h.fake
	values := slacktest.Values{
		"summary":         {actValue: {Text: "会员中心帮帮余额未到期被清零，客户很着急"}},
		"category":        {actRoot: {Selected: "product"}},
		"category__child": {actValue: {Selected: "product/member_center"}},
		"occurred_at":     {actValue: {Text: "现在"}},
		"region":          {actValue: {Selected: "east"}},
		"severity":        {actValue: {Selected: "P3"}},
		"contact":         {actValue: {Text: "13800138000"}},
	}
	// submit opens a modal, fills it in and submits it: the suggestions.
	submit := func(t *testing.T) *slacktest.View {
		t.Helper()
		fake.Slash(t, reporter, dmChannel(reporter), "/ticket", "")
		v := fake.WaitView(t, reporter, func(v *slacktest.View) bool { return v.CallbackID() == cbTicket })
		fake.PickInView(t, reporter, v, "category", actRoot, "product")
		v = fake.WaitView(t, reporter, func(v *slacktest.View) bool { return slices.Contains(v.BlockIDs(), "category__child") })
		if action, errs := fake.Submit(t, reporter, v, values); action != "update" {
			t.Fatalf("a complete modal with suggestions answered %q %v, want update", action, errs)
		}
		v, ok := fake.View(v.ID)
		if !ok || v.Closed || v.CallbackID() != cbSuggest {
			t.Fatalf("the modal shows %+v, want the suggestions", v)
		}
		for _, want := range []string{"sug:INC-7", "sug:KB-3"} {
			if !slices.Contains(v.BlockIDs(), want) {
				t.Fatalf("suggestions %v lack %s", v.BlockIDs(), want)
			}
		}
		if n := len(h.tickets()); n != 0 {
			t.Fatalf("%d tickets filed before the reporter chose", n)
		}
		return v
	}
	done := func(t *testing.T, v *slacktest.View, text string) {
		t.Helper()
		fake.WaitView(t, reporter, func(got *slacktest.View) bool {
			return got.ID == v.ID && got.CallbackID() == cbSuggestDone && strings.Contains(viewText(got), text)
		})
	}

	// released checks that nothing is held for v any more: no later
	// "file it anyway" can file it.
	released := func(t *testing.T, v *slacktest.View) {
		t.Helper()
		if _, _, err := h.ch.engine.Held(context.Background(), heldKey(reporter, v.ID)); !errors.Is(err, dialogs.ErrNoSession) {
			t.Fatalf("the submission is still held (%v)", err)
		}
	}

	t.Run("Join", func(t *testing.T) {
		v := submit(t)
		for range 2 { // a double click
			fake.PressInView(t, reporter, v, "sug:INC-7", prefixSuggest+":join", "INC-7")
		}
		done(t, v, "INC-7")
		time.Sleep(200 * time.Millisecond) // the second press, had it done anything
		joins := sug.joined()
		if len(joins) != 1 || joins[0].Summary != "会员中心帮帮余额未到期被清零，客户很着急" {
			t.Fatalf("joins %+v, want one with the submitted summary", joins)
		}
		if n := len(h.tickets()); n != 0 {
			t.Fatalf("joining filed %d tickets", n)
		}
		released(t, v)
	})

	t.Run("Solved", func(t *testing.T) {
		v := submit(t)
		fake.PressInView(t, reporter, v, "sug:KB-3", prefixSuggest+":solved", "KB-3")
		done(t, v, h.ch.cat.T("zh-CN", "dialog.suggest.solved", nil))
		released(t, v)
		if n := len(h.tickets()); n != 0 {
			t.Fatalf("\"this solved it\" left %d tickets", n)
		}
	})

	t.Run("FileAnyway", func(t *testing.T) {
		v := submit(t)
		var wg sync.WaitGroup
		for range 2 { // a double click
			wg.Go(func() {
				if action, errs := fake.Submit(t, reporter, v, nil); action != "clear" {
					t.Errorf("file anyway answered %q %v", action, errs)
				}
			})
		}
		wg.Wait()
		fake.Submit(t, reporter, v, nil) // and once more, later
		poll(t, "the ticket", func() bool { return len(h.tickets()) > 0 })
		time.Sleep(200 * time.Millisecond)
		ts := h.tickets()
		if len(ts) != 1 {
			t.Fatalf("%d tickets, want 1", len(ts))
		}
		tk := ts[0]
		if tk.Summary != "会员中心帮帮余额未到期被清零，客户很着急" || tk.Region == "" || tk.Contacts.Phone != "13800138000" ||
			strings.Join(tk.CategoryPath, "/") == "" || tk.Severity != "P3" {
			t.Fatalf("filed %+v, not what was submitted", tk)
		}
		fake.WaitMessage(t, "the receipt", inChannel(dmChannel(reporter), "", tk.Number))
		released(t, v)
	})
}

// viewText is every text in a view, for matching.
func viewText(v *slacktest.View) string {
	var b strings.Builder
	var walk func(x any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		case string:
			b.WriteString(x + "\n")
		}
	}
	walk(v.Raw["blocks"])
	return b.String()
}

// modalSuggesting has the reporter submit a complete modal with summary
// and returns it once it shows the suggestions.
func (h *harness) modalSuggesting(t *testing.T, summary string) *slacktest.View {
	t.Helper()
	fake := h.fake
	fake.Slash(t, reporter, dmChannel(reporter), "/ticket", "")
	v := fake.WaitView(t, reporter, func(v *slacktest.View) bool { return v.CallbackID() == cbTicket })
	fake.PickInView(t, reporter, v, "category", actRoot, "product")
	v = fake.WaitView(t, reporter, func(v *slacktest.View) bool { return slices.Contains(v.BlockIDs(), "category__child") })
	values := slacktest.Values{
		"summary":         {actValue: {Text: summary}},
		"category":        {actRoot: {Selected: "product"}},
		"category__child": {actValue: {Selected: "product/member_center"}},
		"occurred_at":     {actValue: {Text: "现在"}},
		"region":          {actValue: {Selected: "east"}},
		"severity":        {actValue: {Selected: "P3"}},
		"contact":         {actValue: {Text: "13800138000"}},
	}
	if action, errs := fake.Submit(t, reporter, v, values); action != "update" {
		t.Fatalf("the modal answered %q %v, want the suggestions", action, errs)
	}
	v, _ = fake.View(v.ID)
	return v
}

// TestModalJoinsIncident: with deskbot's own Suggester, a modal whose
// problem is an open incident someone reported offers it; joining files
// nothing, and the incident's next update reaches the reporter in Slack.
func TestModalJoinsIncident(t *testing.T) {
	sug := &botkit.Suggester{}
	h := newHarnessSuggesting(t, ModeSocket, sug, nil)
	sug.Service = h.svc
	ctx := context.Background()
	fake := h.fake
	staff := &backend.Person{Name: "ann", Roles: []backend.Role{backend.RoleAssistant}}
	other := &backend.Person{Name: "li", Roles: []backend.Role{backend.RoleReporter}}
	for _, p := range []*backend.Person{staff, other} {
		if err := h.svc.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	first, err := h.svc.CreateTicket(ctx, other, backend.NewTicket{Prefix: "FB", Summary: "帮帮余额未到期被清零", CategoryPath: []string{"产品线问题"},
		OccurredAt: time.Now().Add(-time.Hour), Region: "华东", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "api"})
	if err != nil {
		t.Fatal(err)
	}
	inc, err := h.svc.CreateIncident(ctx, staff, "帮帮余额被清零")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.LinkIncident(ctx, staff, first.Number, inc.ID); err != nil {
		t.Fatal(err)
	}
	ref := backend.IncidentRef(inc.ID)

	v := h.modalSuggesting(t, "会员中心帮帮余额被清零了，客户很着急")
	if !slices.Contains(v.BlockIDs(), "sug:"+ref) {
		t.Fatalf("suggestions %v lack %s", v.BlockIDs(), ref)
	}
	fake.PressInView(t, reporter, v, "sug:"+ref, prefixSuggest+":join", ref)
	fake.WaitView(t, reporter, func(got *slacktest.View) bool { return got.ID == v.ID && got.CallbackID() == cbSuggestDone })
	if n := len(h.tickets()); n != 1 {
		t.Fatalf("%d tickets after joining, want only the first", n)
	}

	if _, err := h.svc.UpdateIncident(ctx, staff, inc.ID, "已恢复余额，请客户重新登录查看", true); err != nil {
		t.Fatal(err)
	}
	got := fake.WaitMessage(t, "the incident's update in the reporter's DM", func(m slacktest.Message) bool {
		return strings.Contains(m.Text, "已恢复余额") && m.Ephemeral == ""
	})
	if got.Channel != reporter && got.Channel != dmChannel(reporter) || strings.Contains(got.Text, first.Number) {
		t.Fatalf("the update went to %s: %q", got.Channel, got.Text)
	}
	// The update rides on the first reporter's ticket: a reply under it
	// neither reaches that ticket nor names it.
	h.remembered(got.Channel, got.TS)
	fake.DM(t, reporter, "我的客户也是这样，能加急吗", got.TS)
	hint := fake.WaitMessage(t, "the hint under the update", inChannel(got.Channel, got.TS, "集中问题的进展通知"))
	if strings.Contains(hint.Text, first.Number) {
		t.Fatalf("the hint names the other reporter's ticket: %q", hint.Text)
	}
	for _, e := range h.comments(first.Number) {
		if strings.Contains(e.Body, "能加急吗") {
			t.Fatal("the follower's reply became a comment on another reporter's ticket")
		}
	}
}

// TestModalAddsToOwnTicket: with deskbot's own Suggester, a modal whose
// problem is the one of the reporter's ticket still open offers that
// ticket; adding to it files nothing and puts the description on it.
func TestModalAddsToOwnTicket(t *testing.T) {
	sug := &botkit.Suggester{}
	h := newHarnessSuggesting(t, ModeSocket, sug, nil)
	sug.Service = h.svc
	ctx := context.Background()
	fake := h.fake
	me, err := h.svc.ReporterFor(ctx, backend.ChatAccount{Platform: Platform, UserID: reporter, ChatID: dmChannel(reporter)}, "小王", "zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	mine, err := h.svc.CreateTicket(ctx, me, backend.NewTicket{Prefix: "FB", Summary: "会员中心帮帮余额未到期被清零", CategoryPath: []string{"产品线问题"},
		OccurredAt: time.Now().Add(-time.Hour), Region: "华东", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: Platform})
	if err != nil {
		t.Fatal(err)
	}

	v := h.modalSuggesting(t, "会员中心帮帮余额又被清零了，客户很着急")
	if !slices.Contains(v.BlockIDs(), "sug:"+mine.Number) || !strings.Contains(viewText(v), "您提交过的工单 "+mine.Number) {
		t.Fatalf("suggestions %v lack the reporter's own %s:\n%s", v.BlockIDs(), mine.Number, viewText(v))
	}
	fake.PressInView(t, reporter, v, "sug:"+mine.Number, prefixSuggest+":add", mine.Number)
	fake.WaitView(t, reporter, func(got *slacktest.View) bool {
		return got.ID == v.ID && got.CallbackID() == cbSuggestDone && strings.Contains(viewText(got), "已把您的描述补充到工单 "+mine.Number)
	})
	if n := len(h.tickets()); n != 1 {
		t.Fatalf("%d tickets after adding, want the reporter's first alone", n)
	}
	// The whole submission, the summary first: nothing typed is lost.
	var added bool
	for _, e := range h.comments(mine.Number) {
		added = added || e.ActorID == me.ID && strings.HasPrefix(e.Body, "会员中心帮帮余额又被清零了，客户很着急\n") && strings.Contains(e.Body, "13800138000")
	}
	if !added {
		t.Fatalf("the submission is not on the reporter's ticket: %+v", h.comments(mine.Number))
	}
}
