package slack

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// TestConsult (seed 002 跨部门协作): a claimed ticket's card offers 🤝 协同
// with the other teams; a pick opens the modal for the question, and its
// submission asks that team. Its member gets the question in a DM with
// Complete, answers in the modal, and the helper holding the ticket
// hears the opinion under the card; the reporter hears nothing of it.
func TestConsult(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	ctx := context.Background()
	product := &backend.Team{Name: "产品部"}
	if err := h.store.CreateTeam(ctx, product); err != nil {
		t.Fatal(err)
	}
	staff := h.linkStaff(helper)
	h.linkStaffIn(owner, backend.RoleAssistant, product.ID)
	tk := h.fileTicket(backend.P3)
	card := h.fake.WaitMessage(t, "the card", inChannel(triage, "", tk.Number))
	if opts := card.Options("tk:consult"); len(opts) != 0 {
		t.Fatalf("an unclaimed card offers 协同: %v", opts)
	}
	if _, err := h.svc.Claim(ctx, staff, tk.Number); err != nil {
		t.Fatal(err)
	}
	opt := strconv.FormatInt(product.ID, 10) + " " + tk.Number
	poll(t, "the claimed card offering 产品部", func() bool {
		m, _ := h.fake.Message(triage, card.TS)
		return len(m.Options("tk:consult")) == 1 && m.Options("tk:consult")[0] == opt
	})
	card, _ = h.fake.Message(triage, card.TS)

	h.fake.Press(t, helper, card, "tk:consult", "", opt)
	av := h.fake.WaitView(t, helper, func(v *slacktest.View) bool { return v.CallbackID() == cbAct })
	if !strings.HasPrefix(av.Metadata(), "consult="+strconv.FormatInt(product.ID, 10)+"|"+tk.Number) {
		t.Fatalf("the modal: %s", av.Metadata())
	}
	if action, errs := h.fake.Submit(t, helper, av, slacktest.Values{"text": {actValue: {Text: "文案需要产品部确认吗？"}}}); action == "errors" {
		t.Fatalf("the consultation was refused: %v", errs)
	}
	list, err := h.svc.Consults(ctx, staff, tk.Number)
	if err != nil || len(list) != 1 {
		t.Fatalf("consultations: %v, %v", list, err)
	}
	id := strconv.FormatInt(list[0].ID, 10)
	notice := h.fake.WaitMessage(t, "the question", inChannel(dmChannel(owner), "", "请 产品部 就工单 "+tk.Number+" 反馈处理意见", "文案需要产品部确认吗？", "写下处理意见"))
	if notice.Buttons()[actTask] != id {
		t.Fatalf("the question's buttons: %v", notice.Buttons())
	}
	h.fake.Press(t, owner, notice, actTask, id, "")
	v := h.fake.WaitView(t, owner, func(v *slacktest.View) bool { return v.CallbackID() == cbTask })
	if action, errs := h.fake.Submit(t, owner, v, slacktest.Values{"text": {actValue: {Text: "需要，按规范改为“提交”"}}}); action == "errors" {
		t.Fatalf("the opinion was refused: %v", errs)
	}
	// The assignee follows the ticket in its card's thread.
	h.fake.WaitMessage(t, "the opinion", inChannel(triage, card.TS, "<@"+helper+">", "工单 "+tk.Number+" 收到了 产品部 的处理意见", "需要，按规范改为“提交”"))
	h.noMessage(dmChannel(reporter), "处理意见", "the reporter is not told of consultations")
}
