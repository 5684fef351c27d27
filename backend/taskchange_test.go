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
		_, public, err := f.svc.Thread(ctx, f.alice, tk.Number)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range public {
			if e.Data.TaskStep == backend.TaskObjected {
				t.Fatal("the reporter sees the objection")
			}
		}

		// The handler changes it: only a handler, and only to something new.
		_, err = f.svc.ChangeTask(ctx, f.amy, task.ID, backend.TaskChange{OwnerID: f.otherTeam.ID})
		wantKey(t, err, backend.EFORBIDDEN, "complaint_handler")
		_, err = f.svc.ChangeTask(ctx, f.ann, task.ID, backend.TaskChange{})
		wantCode(t, err, backend.EINVALID)
		_, err = f.svc.ChangeTask(ctx, f.ann, task.ID, backend.TaskChange{OwnerID: f.amy.ID, Due: due})
		wantCode(t, err, backend.EINVALID)
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
		// The new owner may object in turn; the former one no longer.
		_, err = f.svc.ObjectTask(ctx, f.amy, task.ID, "不是我的")
		wantKey(t, err, backend.EFORBIDDEN, "task_objector")
		if _, _, err := f.svc.TaskToObject(ctx, f.otherTeam, task.ID); err != nil {
			t.Fatalf("the new owner cannot object: %v", err)
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
		_, err = f.svc.ChangeTask(ctx, f.ann, consult.ID, backend.TaskChange{Due: later})
		wantKey(t, err, backend.ECONFLICT, "task_consult")
	})
}

func wantKey(t *testing.T, err error, code, key string) {
	t.Helper()
	if backend.ErrorCode(err) != code || backend.ErrorKey(err) != key {
		t.Fatalf("error %v (%s %s), want %s %s", err, backend.ErrorCode(err), backend.ErrorKey(err), code, key)
	}
}
