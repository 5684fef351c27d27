package slack

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// TestDuplicatesFromCard: an assistant groups a ticket with another from
// its card's modal (a wrong number is refused on the field, Slack keeps
// the text), both cards show the incident and offer its update and
// resolution; resolving it from one card resolves both tickets, and the
// resolved card files the solution in the knowledge base, once.
func TestDuplicatesFromCard(t *testing.T) {
	h := newHarness(t, ModeSocket)
	ctx := context.Background()
	h.linkStaff(helper)
	first, second := h.fileTicket(backend.P3), h.fileTicket(backend.P3)
	cardFirst := h.fake.WaitMessage(t, "the first card", inChannel(triage, "", first.Number))
	cardSecond := h.fake.WaitMessage(t, "the second card", inChannel(triage, "", second.Number))
	if _, ok := cardSecond.Buttons()["tk:dup"]; !ok {
		t.Fatalf("no Duplicate of… on a new ticket's card: %v", cardSecond.Buttons())
	}

	h.fake.Press(t, helper, cardSecond, "tk:dup", second.Number, "")
	av := h.fake.WaitView(t, helper, func(v *slacktest.View) bool { return v.CallbackID() == cbAct })
	if action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: "FB-2026112"}}}); action != "errors" || !strings.Contains(errs["text"], "不是工单号") {
		t.Fatalf("a wrong number answered %q %v", action, errs)
	}
	if action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: first.Number}}}); action == "errors" {
		t.Fatalf("the duplicate was refused: %v", errs)
	}
	got, err := h.store.Ticket(ctx, second.Number)
	if err != nil || got.IncidentID == 0 {
		t.Fatalf("second after the modal: %+v, %v", got, err)
	}
	ref := backend.IncidentRef(got.IncidentID)
	if other, err := h.store.Ticket(ctx, first.Number); err != nil || other.IncidentID != got.IncidentID {
		t.Fatalf("first after the modal: %+v, %v", other, err)
	}
	for _, card := range []slacktest.Message{cardFirst, cardSecond} {
		poll(t, "the card in the incident", func() bool {
			m, _ := h.fake.Message(triage, card.TS)
			_, dup := m.Buttons()["tk:dup"]
			_, resolve := m.Buttons()["tk:incident_resolve"]
			return strings.Contains(m.Text, ref) && resolve && !dup
		})
	}

	h.fake.Press(t, helper, cardFirst, "tk:incident_resolve", first.Number, "")
	av = h.fake.WaitView(t, helper, func(v *slacktest.View) bool {
		return v.CallbackID() == cbAct && strings.HasPrefix(v.Metadata(), "incident_resolve|")
	})
	if action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: "放心房标识已批量恢复"}}}); action == "errors" {
		t.Fatalf("the incident's resolution was refused: %v", errs)
	}
	for _, tk := range []*backend.Ticket{first, second} {
		if got, err := h.store.Ticket(ctx, tk.Number); err != nil || got.Status != backend.StatusResolved || got.Solution != "放心房标识已批量恢复" {
			t.Fatalf("%s after the incident's resolution: %+v, %v", tk.Number, got, err)
		}
	}

	poll(t, "the resolved card with Add to knowledge base", func() bool {
		m, _ := h.fake.Message(triage, cardFirst.TS)
		_, ok := m.Buttons()["tk:kb"]
		return ok
	})
	h.fake.Press(t, helper, cardFirst, "tk:kb", first.Number, "")
	h.fake.WaitMessage(t, "the entry named", ephemeralTo(helper, "已加入知识库：KB-"))
	h.fake.Press(t, helper, cardFirst, "tk:kb", first.Number, "")
	h.fake.WaitMessage(t, "filed already", ephemeralTo(helper, first.Number, "已加入知识库（KB-"))
	admin := &backend.Person{ID: -1, Roles: []backend.Role{backend.RoleAdmin}}
	page, err := h.svc.KBEntries(ctx, admin, backend.KBFilter{Limit: 10})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Number != first.Number {
		t.Fatalf("knowledge base = %+v, %v; want one entry from %s", page, err, first.Number)
	}
}

// TestStaffFileReachesReporter: a file staff add to a ticket reaches its
// reporter's DM, under the notice naming it, in the ticket's thread.
func TestStaffFileReachesReporter(t *testing.T) {
	h := newHarness(t, ModeSocket)
	ctx := context.Background()
	staff := h.linkStaff(helper)
	tk := h.fileTicket(backend.P3)
	root := h.fake.WaitMessage(t, "the receipt", inChannel(dmChannel(reporter), "", tk.Number))
	shot := pngBytes(t)
	a, err := h.files.Put(bytes.NewReader(shot), "修复后.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.AddAttachment(ctx, staff, tk.Number, a); err != nil {
		t.Fatal(err)
	}
	h.fake.WaitMessage(t, "the notice", inChannel(dmChannel(reporter), root.TS, tk.Number, "新增附件：修复后.png"))
	f := h.fake.WaitFile(t, "the file", func(f slacktest.File) bool { return f.Channel == dmChannel(reporter) })
	if f.Name != "修复后.png" || f.ThreadTS != root.TS || !bytes.Equal(f.Bytes, shot) {
		t.Fatalf("shared %+v, want the screenshot in the ticket's thread %s", f, root.TS)
	}
	if n := len(h.fake.Files()); n != 1 {
		t.Fatalf("%d files shared, want 1", n)
	}
}

// TestCardFiles: a card with files offers them; a press sends them to the
// presser's DM (never the channel), each with its caption, and says so
// to them alone.
func TestCardFiles(t *testing.T) {
	h := newHarness(t, ModeSocket)
	ctx := context.Background()
	h.linkStaff(helper)
	tk := h.fileTicket(backend.P3)
	card := h.fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	if _, ok := card.Buttons()["tk:files"]; ok {
		t.Fatalf("a card without files offers them: %v", card.Buttons())
	}
	p, err := h.ch.reporter(ctx, reporter)
	if err != nil {
		t.Fatal(err)
	}
	shot := pngBytes(t)
	a, err := h.files.Put(bytes.NewReader(shot), "截图.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.AddAttachment(ctx, p, tk.Number, a); err != nil {
		t.Fatal(err)
	}
	poll(t, "the card offering the file", func() bool {
		m, _ := h.fake.Message(triage, card.TS)
		_, ok := m.Buttons()["tk:files"]
		return ok && strings.Contains(m.Text, tk.Number)
	})
	card, _ = h.fake.Message(triage, card.TS)
	h.fake.Press(t, helper, card, "tk:files", tk.Number, "")
	h.fake.WaitMessage(t, "the answer", ephemeralTo(helper, "已私信发给您 1 个附件"))
	f := h.fake.WaitFile(t, "the file in the DM", func(f slacktest.File) bool { return f.Name == "截图.png" })
	if f.Channel != dmChannel(helper) || !strings.Contains(f.InitialComment, tk.Number+" 附件 1/1") || !bytes.Equal(f.Bytes, shot) {
		t.Fatalf("sent %+v, want the screenshot in %s's DM with its caption", f, helper)
	}
	for _, f := range h.fake.Files() {
		if f.Channel == triage {
			t.Fatalf("a file went to the channel: %+v", f)
		}
	}
}
