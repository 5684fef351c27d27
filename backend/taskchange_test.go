package backend_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// TestTaskObjection: seed 001's plan goes ahead unless the owner of a
// task objects; its owner objects with a reason (staff hear it, the
// reporter does not), and the complaint's handler gives the task another
// owner or deadline, which settles the objection and is told to the new
// owner, the former one and the reporter.
func TestTaskObjection(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		tk := f.complaint(t, f.alice)
		due := f.now.Add(48 * time.Hour)
		task, err := f.svc.AddTask(ctx, f.ann, tk.Number, backend.NewTask{Title: "七天内查明原因并提出预防措施", OwnerID: f.amy.ID, Due: due})
		if err != nil {
			t.Fatal(err)
		}
		f.sent(t)

		// Only its owner objects, with a reason, once.
		_, err = f.svc.ObjectTask(ctx, f.ann, task.ID, "不是我的")
		wantKey(t, err, backend.EFORBIDDEN, "task_objector")
		_, err = f.svc.ObjectTask(ctx, f.amy, task.ID, " ")
		wantCode(t, err, backend.EINVALID)
		got, err := f.svc.ObjectTask(ctx, f.amy, task.ID, "运输环节归物流部，请改派给物流部")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Objected() || got.Objection != "运输环节归物流部，请改派给物流部" {
			t.Fatalf("objected: %+v", got)
		}
		if told := f.unsent(t, tk.ID); !slices.Equal(told[backend.AudienceAssignee], []int64{f.ann.ID}) || len(told[backend.AudienceReporter]) != 0 || len(told) != 1 {
			t.Fatalf("the objection told %v, want the assignee ann alone", told)
		}
		_, err = f.svc.ObjectTask(ctx, f.amy, task.ID, "再说一次")
		wantKey(t, err, backend.ECONFLICT, "task_objected")
		if read, _, err := f.svc.Task(ctx, f.ann, task.ID); err != nil || read.Objection != got.Objection || !read.ObjectedAt.Equal(f.now) {
			t.Fatalf("stored objection: %+v, %v", read, err)
		}
		// Staff-only: not in the reporter's thread, task or complaint.
		_, public, err := f.svc.Thread(ctx, f.alice, tk.Number)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range public {
			if e.Data.TaskStep == backend.TaskObjected {
				t.Fatal("the reporter sees the objection")
			}
		}
		if read, _, err := f.svc.Task(ctx, f.alice, task.ID); err != nil || read.Objection != "" || !read.ObjectedAt.IsZero() {
			t.Fatalf("the reporter's task: %+v, %v", read, err)
		}
		if c, err := f.svc.Complaint(ctx, f.alice, tk.Number); err != nil || c.Tasks[0].Objection != "" || c.Tasks[0].Objected() {
			t.Fatalf("the reporter's complaint: %+v, %v", c, err)
		}

		// Overdue, reminded once; a new deadline is reminded of anew.
		f.now = due.Add(time.Minute)
		if n, err := f.svc.RemindOverdueTasks(ctx); err != nil || n != 1 {
			t.Fatalf("RemindOverdueTasks = %d, %v", n, err)
		}
		f.sent(t)

		// The handler changes it: only a handler.
		_, err = f.svc.ChangeTask(ctx, f.amy, task.ID, backend.TaskChange{OwnerID: f.otherTeam.ID})
		wantKey(t, err, backend.EFORBIDDEN, "complaint_handler")
		_, err = f.svc.ChangeTask(ctx, f.ann, task.ID, backend.TaskChange{OwnerID: f.alice.ID, Due: f.now.Add(-time.Hour)})
		if fields := backend.ErrorFields(err); backend.ErrorCode(err) != backend.EINVALID || fields["owner"] == "" || fields["due"] == "" {
			t.Fatalf("a reporter as owner and a past deadline: %v %v", err, fields)
		}
		later := f.now.Add(72 * time.Hour)
		changed, err := f.svc.ChangeTask(ctx, f.ann, task.ID, backend.TaskChange{OwnerID: f.otherTeam.ID, Due: later})
		if err != nil {
			t.Fatal(err)
		}
		if changed.OwnerID != f.otherTeam.ID || !changed.Due.Equal(later) || changed.Objected() || changed.Objection != "" {
			t.Fatalf("changed: %+v", changed)
		}
		told := f.unsent(t, tk.ID)
		if !slices.Equal(told[backend.AudiencePerson], []int64{f.otherTeam.ID, f.amy.ID}) || !slices.Equal(told[backend.AudienceReporter], []int64{f.alice.ID}) {
			t.Fatalf("the change told %v, want the new owner olga, the former owner amy and the reporter", told)
		}
		f.now = later.Add(time.Minute)
		if n, err := f.svc.RemindOverdueTasks(ctx); err != nil || n != 1 {
			t.Fatalf("RemindOverdueTasks after the new deadline = %d, %v; want its reminder", n, err)
		}
		f.sent(t)

		// The new owner may object in turn; the former one no longer. Nothing
		// different keeps the plan, which settles it and tells the owner; a
		// plan nobody objects to needs no keeping.
		_, err = f.svc.ObjectTask(ctx, f.amy, task.ID, "不是我的")
		wantKey(t, err, backend.EFORBIDDEN, "task_objector")
		_, err = f.svc.ChangeTask(ctx, f.ann, task.ID, backend.TaskChange{})
		wantKey(t, err, backend.EINVALID, "")
		if _, err := f.svc.ObjectTask(ctx, f.otherTeam, task.ID, "物流部也没有车"); err != nil {
			t.Fatal(err)
		}
		f.sent(t)
		kept, err := f.svc.ChangeTask(ctx, f.ann, task.ID, backend.TaskChange{OwnerID: f.otherTeam.ID})
		if err != nil || kept.Objected() || kept.OwnerID != f.otherTeam.ID || !kept.Due.Equal(later) {
			t.Fatalf("kept: %+v, %v", kept, err)
		}
		if told := f.unsent(t, tk.ID); !slices.Equal(told[backend.AudiencePerson], []int64{f.otherTeam.ID}) || len(told) != 1 {
			t.Fatalf("keeping told %v, want the owner olga alone", told)
		}

		// Done, it is past objecting and changing.
		if _, err := f.svc.CompleteTask(ctx, f.otherTeam, task.ID, "物流部已加装防水包装"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ObjectTask(ctx, f.otherTeam, task.ID, "太晚了")
		wantKey(t, err, backend.ECONFLICT, "task_done")
		_, err = f.svc.ChangeTask(ctx, f.ann, task.ID, backend.TaskChange{Due: later.Add(time.Hour)})
		wantKey(t, err, backend.ECONFLICT, "task_done")

		// A consultation is answered, not planned.
		consult, err := f.svc.Consult(ctx, f.ann, tk.Number, backend.NewConsult{TeamID: f.teamB.ID, Question: "包装进水是否属于运输责任？"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ObjectTask(ctx, f.otherTeam, consult.ID, "不归我们")
		wantKey(t, err, backend.ECONFLICT, "task_consult")
		_, err = f.svc.ChangeTask(ctx, f.ann, consult.ID, backend.TaskChange{Due: later.Add(48 * time.Hour)})
		wantKey(t, err, backend.ECONFLICT, "task_consult")

		// On a closed complaint an open task is past objecting too.
		open, err := f.svc.AddTask(ctx, f.ann, tk.Number, backend.NewTask{Title: "回访客户确认处理结果", OwnerID: f.amy.ID, Due: later.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Resolve(ctx, f.ann, tk.Number, "已上门更换不良品并加装防水包装"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ObjectTask(ctx, f.amy, open.ID, "结案了")
		wantKey(t, err, backend.ECONFLICT, "status")
	})
}

func wantKey(t *testing.T, err error, code, key string) {
	t.Helper()
	if backend.ErrorCode(err) != code || key != "" && backend.ErrorKey(err) != key {
		t.Fatalf("error %v (%s %s), want %s %s", err, backend.ErrorCode(err), backend.ErrorKey(err), code, key)
	}
}
