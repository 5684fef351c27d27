package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/web"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestComplaintTexts checks that every text the complaint pages and the
// console's complaint code name is in every catalog (the console's tests
// show keys, not texts), and that the thread reads a complaint's steps as
// sentences in the reader's language.
func TestComplaintTexts(t *testing.T) {
	c, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	re := regexp.MustCompile(`"((?:web\.(?:complaint|task|tasks|ev\.task|ev\.complaint)(?:[a-z_.]*[a-z])?|err\.tasks_manager))"`)
	for _, f := range []string{"../../backend/web/templates/ticket.html", "../../backend/web/templates/tasks.html",
		"../../backend/web/templates/complaintreport.html", "../../backend/web/templates/layout.html",
		"../../backend/web/complaint.go", "../../backend/web/render.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			ids[m[1]] = true
		}
	}
	// Built from a task's state and a record's step.
	for _, s := range []string{"open", "overdue", "done"} {
		ids["web.task.state."+s] = true
	}
	for _, s := range []string{backend.StepCause, backend.StepApproved, backend.StepSentToCustomer} {
		ids["web.ev.complaint."+s] = true
	}
	// backend.Keyed takes the key without its "err." prefix, a Problem
	// without "err.problem.".
	keyed := regexp.MustCompile(`Keyed\((?:backend\.)?E[A-Z]+, "([a-z_]+)"`)
	problem := regexp.MustCompile(`Problem\{Key: "([a-z_]+)"`)
	for _, f := range []string{"../../backend/complaint.go", "../../backend/complaint_console.go", "../../backend/web/complaint.go",
		"../../backend/httpapi/complaint.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyed.FindAllStringSubmatch(string(b), -1) {
			ids["err."+m[1]] = true
		}
		for _, m := range problem.FindAllStringSubmatch(string(b), -1) {
			ids["err.problem."+m[1]] = true
		}
	}
	for _, want := range []string{"web.complaint.report.heading", "web.tasks.all", "web.ev.task.added_due", "err.problem.datetime", "err.tasks_manager", "err.task_owner_only", "web.ev.task", "err.problem.past"} {
		if !ids[want] {
			t.Fatalf("%s not found in the sources; is the pattern right? %v", want, ids)
		}
	}
	for id := range ids {
		if !c.Has(id) {
			t.Errorf("%s is not in every catalog", id)
		}
	}

	zone := time.FixedZone("CST", 8*3600)
	due := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	name := func(id int64) string { return map[int64]string{1: "安妮", 2: "奥尔加"}[id] }
	for _, tc := range []struct {
		e    backend.Event
		want string
	}{
		{backend.Event{Kind: backend.EventTask, ActorID: 1, Body: "上门处理不良品", Data: backend.EventData{TaskID: 12, TaskStep: backend.TaskAdded, AssigneeID: 2, Due: due, TasksLeft: 1}},
			"安妮 添加了任务 T-12「上门处理不良品」，负责人 奥尔加，期限 2026-11-26 17:00"},
		{backend.Event{Kind: backend.EventTask, ActorID: 2, Body: "已更换 200 支", Data: backend.EventData{TaskID: 12, TaskStep: backend.TaskDone, AssigneeID: 2, TasksLeft: 1}},
			"奥尔加 完成了任务 T-12：已更换 200 支（还有 1 项未完成）"},
		{backend.Event{Kind: backend.EventTask, ActorID: 2, Body: "已更换 200 支", Data: backend.EventData{TaskID: 12, TaskStep: backend.TaskDone, AssigneeID: 2}},
			"（全部任务已完成）"},
		{backend.Event{Kind: backend.EventTask, Body: "上门处理不良品", Data: backend.EventData{TaskID: 12, TaskStep: backend.TaskOverdue, AssigneeID: 2}},
			"任务 T-12「上门处理不良品」已过期限，已提醒负责人 奥尔加"},
		{backend.Event{Kind: backend.EventComplaint, ActorID: 1, Body: "包装箱进水", Data: backend.EventData{RecordStep: backend.StepCause}},
			"安妮 填写了原因分析和预防措施。原因：包装箱进水"},
		{backend.Event{Kind: backend.EventComplaint, ActorID: 1, Data: backend.EventData{RecordStep: backend.StepApproved}}, "审核通过"},
		{backend.Event{Kind: backend.EventComplaint, ActorID: 1, Data: backend.EventData{RecordStep: backend.StepSentToCustomer}}, "处理报告已发送给客户"},
	} {
		got := web.EventLineIn(c, "zh-CN", zone, &tc.e, name)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s %s%s: %q, want %q in it", tc.e.Kind, tc.e.Data.TaskStep, tc.e.Data.RecordStep, got, tc.want)
		}
	}
	// Without a zone (the chats' EventLine), no deadline.
	e := backend.Event{Kind: backend.EventTask, ActorID: 1, Body: "上门处理不良品", Data: backend.EventData{TaskID: 12, TaskStep: backend.TaskAdded, AssigneeID: 2, Due: due}}
	if got := web.EventLine(c, "en", &e, name); got != "安妮 added task T-12 “上门处理不良品” for 奥尔加" {
		t.Errorf("en added without zone: %q", got)
	}
}

// TestExtraValue: a choice kept in a ticket's extra fields reads as its
// label on the console's page and the chat cards (一般, not normal);
// anything else as it is.
func TestExtraValue(t *testing.T) {
	c, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ loc, field, value, want string }{
		{"zh-CN", "urgency", "normal", "一般"},
		{"zh-CN", "urgency", "urgent", "紧急"},
		{"en", "urgency", "urgent", "Urgent"},
		{"zh-CN", "requests", "上门处理", "上门处理"},
		{"zh-CN", "urgency", "someday", "someday"},
	} {
		if got := web.ExtraValue(c, tc.loc, backend.FormComplaint, tc.field, tc.value); got != tc.want {
			t.Errorf("%s %s=%s reads %q, want %q", tc.loc, tc.field, tc.value, got, tc.want)
		}
	}
}
