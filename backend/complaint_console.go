package backend

import (
	"context"
	"slices"
	"strings"
	"time"
)

// What the console and the API need of complaints beyond the chat's
// calls (complaint.go): which forms to offer a person, the rules of a new
// task checked before the call (so that a request's own conversion
// problems and the rules are named in one answer), and every task for
// managers.

// MayPlan reports whether actor may add tasks to the complaint, write its
// record and mark its report sent: managers and admins, and the staff
// member it is assigned to. The service checks again on every call.
func (c *Complaint) MayPlan(actor *Person) bool {
	return c != nil && handlesComplaint(actor, c.Ticket) == nil
}

// MayComplete reports whether actor may close task: its owner, or whoever
// may plan the complaint.
func (c *Complaint) MayComplete(actor *Person, task *Task) bool {
	return c != nil && !task.Done() && (task.OwnerID == actor.ID || c.MayPlan(actor))
}

// CheckTask names every bad field of a new task as AddTask would (nil
// when it has none), without adding it. EINVALID.
func (s *Service) CheckTask(ctx context.Context, in NewTask) error {
	in.Title = strings.TrimSpace(in.Title)
	owner, err := s.ownerNamed(ctx, in.OwnerID)
	if err != nil {
		return err
	}
	return in.validate(s.now(), owner)
}

// maxTasks bounds the lists of tasks: the oldest this many that match.
const maxTasks = 1000

// AllTasks lists every person's tasks (managers and admins): the open
// ones only unless done, ordered as MyTasks, at most maxTasks.
// EFORBIDDEN for anyone else.
func (s *Service) AllTasks(ctx context.Context, actor *Person, done bool) ([]*Task, error) {
	if !actor.SeesAll() {
		return nil, Keyed(EFORBIDDEN, "tasks_manager", nil, "only managers may list everyone's tasks")
	}
	return s.tasks(ctx, TaskFilter{Open: !done})
}

// tasks reads the tasks f matches, page by page up to maxTasks, ordered
// by sortTasks.
func (s *Service) tasks(ctx context.Context, f TaskFilter) ([]*Task, error) {
	var all []*Task
	for f.Limit = 200; ; {
		page, err := s.store.Tasks(ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < f.Limit || len(all) >= maxTasks {
			break
		}
		f.After = page[len(page)-1].ID
	}
	sortTasks(all)
	return all, nil
}

// sortTasks puts open tasks first, by deadline (the earliest first), then
// the done ones, as MyTasks does.
func sortTasks(tasks []*Task) {
	slices.SortStableFunc(tasks, func(a, b *Task) int {
		if a.Done() != b.Done() {
			if a.Done() {
				return 1
			}
			return -1
		}
		return a.Due.Compare(b.Due)
	})
}

// TaskState is how a task stands at now: "done", "overdue" or "open".
func (t *Task) State(now time.Time) string {
	switch {
	case t.Done():
		return "done"
	case t.Overdue(now):
		return "overdue"
	}
	return "open"
}
