package botkit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
)

// TestRendererConsult: the steps of a consultation (seed 002 跨部门协作)
// read as another team's opinion, never as a complaint's task: the
// question to the one asked, the opinion to the assignee, a late opinion
// to the one asked and to the others, in both languages.
func TestRendererConsult(t *testing.T) {
	r := chinaRenderer(t, "王经理")
	tk := &backend.Ticket{Number: "FB-20261125-0003", Summary: "提单页面的按钮文案有歧义", Status: backend.StatusInProgress}
	due := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	data := backend.EventData{TaskKind: backend.TaskConsult, TaskID: 4, AssigneeID: 7, TeamID: 2, TeamName: "产品部", Due: due}
	for _, tc := range []struct {
		step      string
		recipient int64
		audience  backend.Audience
		loc       string
		want      []string
	}{
		{backend.TaskAdded, 7, backend.AudiencePerson, "zh-CN", []string{"请 产品部 就工单 FB-20261125-0003 反馈处理意见（2026-11-26 18:00 前）", "「按钮文案要改吗？」", "提单页面的按钮文案有歧义", "写下处理意见"}},
		{backend.TaskAdded, 7, backend.AudiencePerson, "en", []string{"asks 产品部 for its opinion on ticket FB-20261125-0003 (by 2026-11-26 18:00)", "write your opinion"}},
		{backend.TaskDone, 3, backend.AudienceAssignee, "zh-CN", []string{"工单 FB-20261125-0003 收到了 产品部 的处理意见（王经理）", "需要，改为“提交”", "（问题：「T-4」）"}},
		{backend.TaskOverdue, 7, backend.AudiencePerson, "zh-CN", []string{"协同意见 T-4「按钮文案要改吗？」已过期限（2026-11-26 18:00）", "请尽快反馈"}},
		{backend.TaskOverdue, 9, backend.AudiencePerson, "zh-CN", []string{"产品部 未在期限（2026-11-26 18:00）内就工单 FB-20261125-0003 反馈处理意见 T-4", "负责回复的是 王经理"}},
		{backend.TaskOverdue, 3, backend.AudienceAssignee, "en", []string{"产品部 did not give its opinion T-4", "王经理 is to answer"}},
	} {
		e := &backend.Event{Kind: backend.EventTask, ActorID: 5, Body: "按钮文案要改吗？", Data: data}
		e.Data.TaskStep = tc.step
		if tc.step == backend.TaskDone {
			e.Body = "需要，改为“提交”"
		}
		got := r.Notice(context.Background(), notify.Message{Ticket: tk, Event: e,
			Outbox: &backend.OutboxMessage{Audience: tc.audience}, Recipient: &backend.Person{ID: tc.recipient, Locale: tc.loc}})
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s to %d (%s): %q lacks %q", tc.step, tc.recipient, tc.loc, got, w)
			}
		}
		if strings.Contains(got, "投诉") || strings.Contains(got, "omplaint") {
			t.Errorf("%s to %d (%s) reads as a complaint's task: %q", tc.step, tc.recipient, tc.loc, got)
		}
	}
}
