package slack

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// TestHomeHidesInternalNotes: the reporter's App Home shows the latest
// update they may read, never a staff-only note written after it.
func TestHomeHidesInternalNotes(t *testing.T) {
	h := newHarness(t, ModeSocket)
	staff := h.linkStaff(helper)
	tk := h.fileTicket(backend.P3)
	ctx := context.Background()
	if _, err := h.svc.Comment(ctx, staff, tk.Number, "我们正在排查，请稍候", true); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Comment(ctx, staff, tk.Number, "内部备注：这个代理商很难缠", false); err != nil {
		t.Fatal(err)
	}
	h.fake.HomeOpened(t, reporter)
	var home string
	poll(t, "the App Home", func() bool {
		v, ok := h.fake.Home(reporter)
		if !ok {
			return false
		}
		b, _ := json.Marshal(v.Raw)
		home = string(b)
		return strings.Contains(home, tk.Number)
	})
	if strings.Contains(home, "很难缠") {
		t.Fatalf("the reporter's App Home shows the internal note: %s", home)
	}
	if !strings.Contains(home, "正在排查") {
		t.Fatalf("the reporter's App Home does not show the latest public reply: %s", home)
	}
}

// TestHomeTasks: a task's owner finds it on their App Home (refreshed by
// its notice) with its Complete button; completing it from there opens
// the result's modal, confirms in their DM, and the Home drops it.
func TestHomeTasks(t *testing.T) {
	h := newHarness(t, ModeSocket)
	ctx := context.Background()
	handler := h.linkStaff(helper)
	own := h.linkStaff(owner)
	tk := h.complaint(handler)
	task, err := h.svc.AddTask(ctx, handler, tk.Number, backend.NewTask{Title: "七天内查明原因并提出预防措施", OwnerID: own.ID, Due: time.Now().Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ref, id := backend.TaskRef(task.ID), strconv.FormatInt(task.ID, 10)
	home := func() (*slacktest.View, string) {
		v, ok := h.fake.Home(owner)
		if !ok {
			return nil, ""
		}
		b, _ := json.Marshal(v.Raw)
		return v, string(b)
	}
	poll(t, "the task on the owner's App Home", func() bool {
		_, s := home()
		return strings.Contains(s, "我的待办任务（1 项") && strings.Contains(s, ref) && strings.Contains(s, `"action_id":"tc"`)
	})
	v, _ := home()
	h.fake.PressInView(t, owner, v, "b", actTask, id)
	modal := h.fake.WaitView(t, owner, func(v *slacktest.View) bool { return v.CallbackID() == cbTask })
	if action, errs := h.fake.Submit(t, owner, modal, slacktest.Values{"text": {actValue: {Text: "运输中包装箱进水；以后托盘外包尼龙防水"}}}); action == "errors" {
		t.Fatalf("the result was refused: %v", errs)
	}
	if got, err := h.store.Task(ctx, task.ID); err != nil || !got.Done() {
		t.Fatalf("the task after the modal: %+v, %v", got, err)
	}
	h.fake.WaitMessage(t, "the confirmation in the DM", inChannel(dmChannel(owner), "*", "任务 "+ref+" 已完成"))
	poll(t, "the App Home without the task", func() bool {
		_, s := home()
		return !strings.Contains(s, ref) && !strings.Contains(s, `"action_id":"tc"`)
	})
}
