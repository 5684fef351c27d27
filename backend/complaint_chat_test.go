package backend_test

import (
	"context"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// TestTaskToComplete: who may complete a task is asked before the chat
// asks for the result, as CompleteTask decides it, and asking changes
// nothing.
func TestTaskToComplete(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		tk := f.complaint(t, f.alice)
		task, err := f.svc.AddTask(ctx, f.ann, tk.Number, backend.NewTask{Title: "上门处理不良品", OwnerID: f.otherTeam.ID, Due: f.now.Add(48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("OK", func(t *testing.T) {
			// The owner, the complaint's assignee and a manager.
			for _, p := range []*backend.Person{f.otherTeam, f.ann, f.manager} {
				got, gotTicket, err := f.svc.TaskToComplete(ctx, p, task.ID)
				if err != nil {
					t.Fatalf("%s: %v", p.Name, err)
				}
				if got.ID != task.ID || got.Title != "上门处理不良品" || gotTicket.Number != tk.Number {
					t.Fatalf("%s: %+v, %s", p.Name, got, gotTicket.Number)
				}
			}
		})
		t.Run("ErrForbidden", func(t *testing.T) {
			// The reporter and a colleague of the assignee see the
			// complaint, and may not complete its task.
			for _, p := range []*backend.Person{f.alice, f.amy} {
				_, _, err := f.svc.TaskToComplete(ctx, p, task.ID)
				wantCode(t, err, backend.EFORBIDDEN)
				if e := backend.ErrorKey(err); e != "task_owner_only" {
					t.Fatalf("%s: key %q", p.Name, e)
				}
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, _, err := f.svc.TaskToComplete(ctx, f.bob, task.ID) // may not know of the complaint
			wantCode(t, err, backend.ENOTFOUND)
			_, _, err = f.svc.TaskToComplete(ctx, f.otherTeam, task.ID+100)
			wantCode(t, err, backend.ENOTFOUND)
		})
		t.Run("ErrConflict", func(t *testing.T) {
			if _, err := f.svc.CompleteTask(ctx, f.otherTeam, task.ID, "已到现场处理"); err != nil {
				t.Fatal(err)
			}
			_, _, err := f.svc.TaskToComplete(ctx, f.otherTeam, task.ID)
			wantCode(t, err, backend.ECONFLICT)
		})
	})
}
