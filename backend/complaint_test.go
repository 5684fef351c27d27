package backend_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func TestParseTaskRef(t *testing.T) {
	for in, want := range map[string]int64{"T-12": 12, "t-3": 3, " 7 ": 7, "T-0": 0, "T-": 0, "INC-3": 0, "x": 0} {
		id, ok := backend.ParseTaskRef(in)
		if id != want || ok != (want > 0) {
			t.Errorf("ParseTaskRef(%q) = %d, %v; want %d", in, id, ok, want)
		}
	}
	if got := backend.TaskRef(12); got != "T-12" {
		t.Errorf("TaskRef(12) = %q", got)
	}
}

// complaint files a complaint as reporter (seed 001: the order, the
// customer and their requests) and has ann claim it, so that it belongs
// to team A.
func (f *fixture) complaint(t *testing.T, reporter *backend.Person) *backend.Ticket {
	t.Helper()
	tk := f.create(t, reporter, func(in *backend.NewTicket) {
		*in = backend.NewTicket{Prefix: "CP", Form: backend.FormComplaint, Summary: "客户投诉一批螺丝刀刀杆有铁锈，要求尽快处理",
			OrderNumber: "20080505003", Severity: backend.P3, Channel: "web",
			Extra:    map[string]string{"customer": "A企业", "requests": "上门处理不良品；查明原因并提出预防措施", "urgency": "normal"},
			Contacts: backend.Contacts{Phone: "13800138000"}}
	})
	if _, err := f.svc.Claim(context.Background(), f.ann, tk.Number); err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestComplaint(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		tk := f.complaint(t, f.alice)
		f.sent(t) // filing and claiming
		tasksOf := func(actor *backend.Person) *backend.Complaint {
			t.Helper()
			c, err := f.svc.Complaint(ctx, actor, tk.Number)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		// Olga, of another team, does not see the complaint until she has a task on it.
		_, err := f.svc.Complaint(ctx, f.otherTeam, tk.Number)
		wantCode(t, err, backend.EFORBIDDEN)

		due := f.now.Add(48 * time.Hour)
		// Who may split it, and what a task needs.
		for _, actor := range []*backend.Person{f.alice, f.amy} {
			_, err := f.svc.AddTask(ctx, actor, tk.Number, backend.NewTask{Title: "上门处理", OwnerID: f.amy.ID, Due: due})
			wantCode(t, err, backend.EFORBIDDEN)
		}
		_, err = f.svc.AddTask(ctx, f.ann, tk.Number, backend.NewTask{Title: " ", OwnerID: f.alice.ID, Due: f.now.Add(-time.Minute)})
		wantCode(t, err, backend.EINVALID)
		if fields := backend.ErrorFields(err); len(fields) != 3 || fields["title"] == "" || fields["owner"] == "" || fields["due"] == "" {
			t.Fatalf("fields of a bad task: %v", fields)
		}
		_, err = f.svc.AddTask(ctx, f.ann, tk.Number, backend.NewTask{Title: "上门处理", OwnerID: 987654, Due: due})
		wantCode(t, err, backend.EINVALID)

		visit, err := f.svc.AddTask(ctx, f.ann, tk.Number, backend.NewTask{Title: "明天派质量部人员去客户现场处理不良品", OwnerID: f.otherTeam.ID, Due: due})
		if err != nil {
			t.Fatal(err)
		}
		cause, err := f.svc.AddTask(ctx, f.manager, tk.Number, backend.NewTask{Title: "七天内查明原因并提出预防措施", OwnerID: f.amy.ID, Due: f.now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if visit.ID == 0 || visit.Number != tk.Number || !visit.Due.Equal(due) || visit.CreatedBy != f.ann.ID {
			t.Fatalf("added task: %+v", visit)
		}
		got := f.unsent(t, tk.ID)
		if !slices.Equal(got[backend.AudienceReporter], []int64{f.alice.ID, f.alice.ID}) ||
			!slices.Equal(got[backend.AudiencePerson], []int64{f.otherTeam.ID, f.amy.ID}) {
			t.Fatalf("told of the plan: %v", got)
		}

		// Now Olga sees it; the reporter sees the plan but not the record.
		if c := tasksOf(f.otherTeam); len(c.Tasks) != 2 || c.OpenTasks() != 2 {
			t.Fatalf("Olga's view: %+v", c.Tasks)
		}
		if _, err := f.svc.Ticket(ctx, f.otherTeam, tk.Number); err != nil {
			t.Fatalf("a task's owner cannot open the complaint: %v", err)
		}

		// Completing: the owner, the assignee or a manager, with a result, once.
		_, err = f.svc.CompleteTask(ctx, f.otherTeam, cause.ID, "找到了原因")
		wantCode(t, err, backend.EFORBIDDEN)
		_, err = f.svc.CompleteTask(ctx, f.otherTeam, visit.ID, " ")
		wantCode(t, err, backend.EINVALID)
		_, err = f.svc.CompleteTask(ctx, f.bob, visit.ID, "不相干的人")
		wantCode(t, err, backend.ENOTFOUND)
		done, err := f.svc.CompleteTask(ctx, f.otherTeam, visit.ID, "已到现场更换不良品 200 支，客户确认")
		if err != nil {
			t.Fatal(err)
		}
		if !done.Done() || done.DoneBy != f.otherTeam.ID || done.Result != "已到现场更换不良品 200 支，客户确认" {
			t.Fatalf("done task: %+v", done)
		}
		_, err = f.svc.CompleteTask(ctx, f.otherTeam, visit.ID, "再来一次")
		wantCode(t, err, backend.ECONFLICT)
		got = f.unsent(t, tk.ID)
		if !slices.Equal(got[backend.AudienceReporter], []int64{f.alice.ID}) || !slices.Equal(got[backend.AudienceAssignee], []int64{f.ann.ID}) ||
			len(got[backend.AudiencePerson]) != 0 {
			t.Fatalf("told of the first result: %v", got)
		}

		// Past its deadline, the open task reminds its owner and the assignee once.
		f.now = f.now.Add(2 * time.Hour)
		for want := range []int{1, 0} {
			n, err := f.svc.RemindOverdueTasks(ctx)
			if err != nil || n != 1-want {
				t.Fatalf("RemindOverdueTasks = %d, %v; want %d", n, err, 1-want)
			}
		}
		got = f.unsent(t, tk.ID)
		if !slices.Equal(got[backend.AudiencePerson], []int64{f.amy.ID}) || !slices.Equal(got[backend.AudienceAssignee], []int64{f.ann.ID}) ||
			len(got[backend.AudienceReporter]) != 0 {
			t.Fatalf("told of the overdue task: %v", got)
		}

		// The last task: the reporter hears that all are done, and the manager who set it.
		if _, err := f.svc.CompleteTask(ctx, f.amy, cause.ID, "运输途中包装箱进水"); err != nil {
			t.Fatal(err)
		}
		got = f.unsent(t, tk.ID)
		if !slices.Equal(got[backend.AudienceReporter], []int64{f.alice.ID}) || !slices.Equal(got[backend.AudiencePerson], []int64{f.manager.ID}) {
			t.Fatalf("told of the last result: %v", got)
		}
		_, events, err := f.svc.Thread(ctx, f.alice, tk.Number)
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, e := range events {
			if e.Kind == backend.EventTask {
				steps = append(steps, e.Data.TaskStep+":"+backend.TaskRef(e.Data.TaskID)+":"+string(rune('0'+e.Data.TasksLeft)))
			}
		}
		want := []string{"added:" + backend.TaskRef(visit.ID) + ":1", "added:" + backend.TaskRef(cause.ID) + ":2",
			"done:" + backend.TaskRef(visit.ID) + ":1", "done:" + backend.TaskRef(cause.ID) + ":0"}
		if !slices.Equal(steps, want) { // the overdue reminder is staff-only
			t.Fatalf("the reporter's thread: %v, want %v", steps, want)
		}

		// The closing record: written by the handler, approved by a manager, then sent.
		_, err = f.svc.RecordCause(ctx, f.amy, tk.Number, "运输途中包装箱进水", "托盘外包装加裹尼龙膜")
		wantCode(t, err, backend.EFORBIDDEN)
		_, err = f.svc.ApproveComplaint(ctx, f.manager, tk.Number)
		wantCode(t, err, backend.ECONFLICT)
		_, err = f.svc.MarkSentToCustomer(ctx, f.ann, tk.Number)
		wantCode(t, err, backend.ECONFLICT)
		_, err = f.svc.RecordCause(ctx, f.ann, tk.Number, "", "x")
		wantCode(t, err, backend.EINVALID)
		if _, err := f.svc.RecordCause(ctx, f.ann, tk.Number, "运输途中包装箱进水", "托盘外包装加裹尼龙膜"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ApproveComplaint(ctx, f.ann, tk.Number)
		wantCode(t, err, backend.EFORBIDDEN)
		if _, err := f.svc.ApproveComplaint(ctx, f.manager, tk.Number); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ApproveComplaint(ctx, f.manager, tk.Number)
		wantCode(t, err, backend.ECONFLICT)
		// Rewritten after approval: the manager approves what the customer reads.
		rec, err := f.svc.RecordCause(ctx, f.ann, tk.Number, "运输途中未做防水，包装箱进水", "托盘外包装加裹尼龙膜；发货前检查")
		if err != nil || rec.Approved() {
			t.Fatalf("rewritten record: %+v, %v", rec, err)
		}
		_, err = f.svc.MarkSentToCustomer(ctx, f.ann, tk.Number)
		wantCode(t, err, backend.ECONFLICT)
		if _, err := f.svc.ApproveComplaint(ctx, f.manager, tk.Number); err != nil {
			t.Fatal(err)
		}
		f.sent(t)
		if _, err := f.svc.MarkSentToCustomer(ctx, f.ann, tk.Number); err != nil {
			t.Fatal(err)
		}
		if got := f.unsent(t, tk.ID); !slices.Equal(got[backend.AudienceReporter], []int64{f.alice.ID}) || len(got) != 1 {
			t.Fatalf("told that the report was sent: %v", got)
		}
		_, err = f.svc.RecordCause(ctx, f.ann, tk.Number, "改一下", "改一下")
		wantCode(t, err, backend.ECONFLICT)

		staff, mine := tasksOf(f.manager), tasksOf(f.alice)
		if staff.Record == nil || staff.Record.RootCause != "运输途中未做防水，包装箱进水" || !staff.Record.Approved() || !staff.Record.Sent() {
			t.Fatalf("the manager's view of the record: %+v", staff.Record)
		}
		if mine.Record == nil || mine.Record.RootCause != "" || !mine.Record.Sent() || len(mine.Tasks) != 2 {
			t.Fatalf("the reporter's view: %+v %+v", mine.Record, mine.Tasks)
		}

		// Closed complaints take no tasks; other forms have none.
		if _, err := f.svc.Resolve(ctx, f.ann, tk.Number, "已按客户要求处理并通报"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.AddTask(ctx, f.manager, tk.Number, backend.NewTask{Title: "补充回访", OwnerID: f.amy.ID, Due: due})
		wantCode(t, err, backend.ECONFLICT)
		fb := f.create(t, f.alice, nil)
		_, err = f.svc.AddTask(ctx, f.manager, fb.Number, backend.NewTask{Title: "补充回访", OwnerID: f.amy.ID, Due: due})
		wantCode(t, err, backend.ECONFLICT)
		_, err = f.svc.Complaint(ctx, f.manager, fb.Number)
		wantCode(t, err, backend.ECONFLICT)

		// My tasks: open ones by deadline, then the done.
		mineTasks, err := f.svc.MyTasks(ctx, f.amy, true)
		if err != nil || len(mineTasks) != 1 || mineTasks[0].ID != cause.ID {
			t.Fatalf("Amy's tasks: %v, %v", mineTasks, err)
		}
		open, err := f.svc.MyTasks(ctx, f.amy, false)
		if err != nil || len(open) != 0 {
			t.Fatalf("Amy's open tasks: %v, %v", open, err)
		}
	})
}

// TestComplaintWatchers: the people named beforehand (seed 001; the SLA
// policy's notify.forms, through ServiceConfig.Watchers) hear the plan
// and each result of a complaint's tasks, once each, not when they took
// part themselves.
func TestComplaintWatchers(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		var asked []string
		f.svc = backend.NewService(f.store, backend.ServiceConfig{Now: func() time.Time { return f.now },
			Watchers: func(_ context.Context, tk *backend.Ticket) ([]int64, error) {
				asked = append(asked, tk.Number)
				return []int64{f.manager.ID, f.amy.ID}, nil
			}})
		tk := f.complaint(t, f.alice)
		f.sent(t)
		task, err := f.svc.AddTask(ctx, f.ann, tk.Number, backend.NewTask{Title: "七天内查明原因并提出预防措施", OwnerID: f.amy.ID, Due: f.now.Add(48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		got := f.unsent(t, tk.ID)
		if !slices.Equal(got[backend.AudiencePerson], []int64{f.amy.ID, f.manager.ID}) || !slices.Equal(got[backend.AudienceReporter], []int64{f.alice.ID}) {
			t.Fatalf("told of the plan: %v; want the owner amy #%d and the manager #%d once each", got, f.amy.ID, f.manager.ID)
		}
		if _, err := f.svc.CompleteTask(ctx, f.amy, task.ID, "运输途中包装进水，今后托盘外包尼龙"); err != nil {
			t.Fatal(err)
		}
		got = f.unsent(t, tk.ID)
		if !slices.Equal(got[backend.AudiencePerson], []int64{f.manager.ID}) || !slices.Equal(got[backend.AudienceAssignee], []int64{f.ann.ID}) {
			t.Fatalf("told of the result: %v; want the assignee and the manager, not amy who did it", got)
		}
		if len(asked) != 2 || asked[0] != tk.Number {
			t.Fatalf("Watchers asked for %v", asked)
		}
	})
}

// TestCompleteTaskOnce: two people closing the same task at once; one
// wins, the other hears it is done, and the reporter is told once.
func TestCompleteTaskOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		tk := f.complaint(t, f.alice)
		task, err := f.svc.AddTask(ctx, f.ann, tk.Number, backend.NewTask{Title: "上门处理不良品", OwnerID: f.amy.ID, Due: f.now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		f.sent(t)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, actor := range []*backend.Person{f.amy, f.ann} {
			wg.Go(func() { _, errs[i] = f.svc.CompleteTask(ctx, actor, task.ID, "已处理") })
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("errors: %v", errs)
		}
		for _, err := range errs {
			if err != nil && backend.ErrorKey(err) != "task_done" {
				t.Fatalf("the second one: %v", err)
			}
		}
		if got := f.unsent(t, tk.ID); len(got[backend.AudienceReporter]) != 1 {
			t.Fatalf("the reporter was told %d times", len(got[backend.AudienceReporter]))
		}
	})
}

// TestComplaintReport: the week's report has the complaint status per
// customer and the prevention measures, the customer in full for a
// manager and masked for an assistant.
func TestComplaintReport(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		a := f.complaint(t, f.alice) // A企业
		b := f.complaint(t, f.bob)
		if _, err := f.svc.Resolve(ctx, f.ann, b.Number, "已换货"); err != nil {
			t.Fatal(err)
		}
		visit, err := f.svc.AddTask(ctx, f.ann, a.Number, backend.NewTask{Title: "上门处理不良品", OwnerID: f.amy.ID, Due: f.now.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddTask(ctx, f.ann, a.Number, backend.NewTask{Title: "查明原因", OwnerID: f.amy.ID, Due: f.now.Add(48 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(2 * time.Hour)
		if _, err := f.svc.CompleteTask(ctx, f.amy, visit.ID, "已更换不良品"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RecordCause(ctx, f.ann, a.Number, "运输途中包装箱进水", "托盘外包装加裹尼龙膜"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ApproveComplaint(ctx, f.manager, a.Number); err != nil {
			t.Fatal(err)
		}
		week := backend.PeriodOf(backend.PeriodWeek, f.now, f.svc.Location())
		f.now = week.End.Add(time.Hour) // sent after the week: not in its report
		if _, err := f.svc.MarkSentToCustomer(ctx, f.ann, a.Number); err != nil {
			t.Fatal(err)
		}

		r, err := f.svc.Report(ctx, f.manager, backend.ReportQuery{Period: week})
		if err != nil {
			t.Fatal(err)
		}
		want := []backend.CustomerComplaints{
			{Customer: "A企业", Numbers: []string{a.Number, b.Number}, Closed: 1, Open: 1, TasksDone: 1, TasksOpen: 1, TasksOverdue: 1},
		}
		if !reflect.DeepEqual(r.Customers, want) {
			t.Fatalf("customers:\n%+v\nwant\n%+v", r.Customers, want)
		}
		if len(r.Prevention) != 1 || r.Prevention[0] != (backend.PreventionMeasure{Number: a.Number, Customer: "A企业",
			RootCause: "运输途中包装箱进水", Prevention: "托盘外包装加裹尼龙膜", Approved: true}) {
			t.Fatalf("prevention: %+v", r.Prevention)
		}
		r, err = f.svc.Report(ctx, f.ann, backend.ReportQuery{Period: week})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Customers) != 1 || r.Customers[0].Customer != backend.MaskPersonal("A企业") || r.Prevention[0].Customer == "A企业" {
			t.Fatalf("an assistant reads the customer: %+v %+v", r.Customers, r.Prevention)
		}
	})
}

// TestMyTasksPages: an owner with more tasks than one page of the store
// sees them all, the earliest deadline first.
func TestMyTasksPages(t *testing.T) {
	ctx := context.Background()
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		f := newFixture(t, newStore(t))
		tk := f.complaint(t, f.alice)
		const n = 203
		for i := range n {
			due := f.now.Add(time.Duration(n-i) * time.Hour) // the newest is due first
			if _, err := f.svc.AddTask(ctx, f.manager, tk.Number, backend.NewTask{Title: fmt.Sprintf("任务 %d", i), OwnerID: f.amy.ID, Due: due}); err != nil {
				t.Fatal(err)
			}
		}
		tasks, err := f.svc.MyTasks(ctx, f.amy, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) != n || tasks[0].Title != fmt.Sprintf("任务 %d", n-1) || tasks[n-1].Title != "任务 0" {
			t.Fatalf("%d tasks, first %q", len(tasks), tasks[0].Title)
		}
	})
}
