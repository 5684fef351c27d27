package backend

import (
	"context"
	"time"
)

// Objections to a complaint's tasks and changes to them (seed 001: "這些
// 任務明細就會發給具體的人員。若他們沒有反對意見的話,就會按這個方案執行"): the owner
// of a task may object to it as planned, with a reason; whoever plans the
// complaint (its assignee, a manager) then gives the task another owner
// or deadline, which stands as the new plan, or keeps it. Consultations
// (TaskConsult) are asked and answered, not planned: neither applies.

// Steps of a task's events (EventData.TaskStep) besides TaskAdded,
// TaskDone and TaskOverdue.
const (
	TaskObjected = "objected" // its owner objects to it as planned (staff-only)
	TaskChanged  = "changed"  // another owner or deadline
	TaskKept     = "kept"     // kept as planned despite the objection (staff-only)
)

// TaskChange is a new owner or deadline for a task; a zero field keeps
// what the task has.
type TaskChange struct {
	OwnerID int64
	Due     time.Time
}

// planned is nil when task is a complaint's task, which may be objected
// to and changed.
func planned(task *Task) error {
	if task.Consult() {
		return Keyed(ECONFLICT, "task_consult", map[string]any{"ID": TaskRef(task.ID)},
			"task %s is a consultation: it is answered, not planned", TaskRef(task.ID))
	}
	return nil
}

// mayObject is nil when actor may object to task: its owner, while it is
// open, a complaint's and not objected to already.
func mayObject(actor *Person, task *Task) error {
	switch {
	case task.Done():
		return Keyed(ECONFLICT, "task_done", map[string]any{"ID": TaskRef(task.ID)}, "task %s is done already", TaskRef(task.ID))
	case planned(task) != nil:
		return planned(task)
	case task.OwnerID != actor.ID:
		return Keyed(EFORBIDDEN, "task_objector", map[string]any{"ID": TaskRef(task.ID)}, "only the owner of task %s may object to it", TaskRef(task.ID))
	case task.Objected():
		return Keyed(ECONFLICT, "task_objected", map[string]any{"ID": TaskRef(task.ID)}, "task %s is objected to already", TaskRef(task.ID))
	}
	return nil
}

// TaskToObject returns task id and its ticket when actor may object to
// it now (a chat asks for the reason only then); the errors of Task and
// ObjectTask otherwise.
func (s *Service) TaskToObject(ctx context.Context, actor *Person, id int64) (*Task, *Ticket, error) {
	task, t, err := s.Task(ctx, actor, id)
	if err != nil {
		return nil, nil, err
	}
	if err := mayObject(actor, task); err != nil {
		return nil, nil, err
	}
	return task, t, nil
}

// ObjectTask records the owner's objection to a complaint's open task,
// with the reason: the one who set it and the complaint's assignee are
// told, to change it (ChangeTask) or keep it. The reporter is not: it is
// staff-only. EINVALID without a reason; EFORBIDDEN for anyone but its
// owner; ECONFLICT when it is done, objected to already or a
// consultation.
func (s *Service) ObjectTask(ctx context.Context, actor *Person, id int64, reason string) (*Task, error) {
	reason, err := taskText("reason", reason)
	if err != nil {
		return nil, err
	}
	return s.updateTask(ctx, actor, id, func(t *Ticket, cur *Task, now time.Time) ([]Change, error) {
		if err := mayObject(actor, cur); err != nil {
			return nil, err
		}
		if !t.Status.Open() {
			return nil, Keyed(ECONFLICT, "status", map[string]any{"Number": t.Number, "Status": t.Status}, "ticket %s is %s", t.Number, t.Status)
		}
		cur.Objection, cur.ObjectedAt = reason, now
		ev := &Event{Kind: EventTask, ActorID: actor.ID, At: now, Body: reason,
			Data: EventData{TaskID: id, TaskStep: TaskObjected, AssigneeID: cur.OwnerID, Due: cur.Due}}
		c := Change{Event: ev, Task: cur}
		if t.AssigneeID != 0 && t.AssigneeID != actor.ID {
			c.Notify = append(c.Notify, &OutboxMessage{Audience: AudienceAssignee, RecipientID: t.AssigneeID})
		}
		if cur.CreatedBy != 0 && cur.CreatedBy != actor.ID && cur.CreatedBy != t.AssigneeID {
			c.Notify = append(c.Notify, &OutboxMessage{Audience: AudiencePerson, RecipientID: cur.CreatedBy})
		}
		return []Change{c}, nil
	})
}

// ChangeTask gives a complaint's open task another owner or deadline
// (managers and the complaint's assignee), whether or not its owner
// objected: the change is the plan now, and an objection is settled by
// it. The owner (the new one) is told, and so are the one it was taken
// from, the reporter (the plan) and the complaint's watchers. Nothing
// different for a task its owner objected to keeps it as planned: that
// settles the objection, and the owner is told the plan stands. EINVALID
// names bad fields (nothing different for a task nobody objected to; an
// owner who is not staff; a deadline past); ECONFLICT when it is done, a
// consultation or the ticket closed.
func (s *Service) ChangeTask(ctx context.Context, actor *Person, id int64, in TaskChange) (*Task, error) {
	in.Due = in.Due.UTC().Truncate(time.Microsecond)
	owner, err := s.ownerNamed(ctx, in.OwnerID)
	if err != nil {
		return nil, err
	}
	var fe fieldErrors
	if in.OwnerID != 0 && (owner == nil || !owner.Handles()) {
		fe.add("owner", Problem{Key: "task_owner"}, "must be an assistant or a manager")
	}
	if !in.Due.IsZero() && !in.Due.After(s.now()) {
		fe.add("due", Problem{Key: "past"}, "must be in the future")
	}
	if err := fe.err("task"); err != nil {
		return nil, err
	}
	return s.updateTask(ctx, actor, id, func(t *Ticket, cur *Task, now time.Time) ([]Change, error) {
		if err := s.complaintOpen(actor, t); err != nil {
			return nil, err
		}
		if cur.Done() {
			return nil, Keyed(ECONFLICT, "task_done", map[string]any{"ID": TaskRef(id)}, "task %s is done already", TaskRef(id))
		}
		if err := planned(cur); err != nil {
			return nil, err
		}
		from := cur.OwnerID
		if (in.OwnerID == 0 || in.OwnerID == cur.OwnerID) && (in.Due.IsZero() || in.Due.Equal(cur.Due)) {
			if !cur.Objected() {
				return nil, Invalid("nothing to change", "owner", "give another owner or deadline", Problem{Key: "task_change"})
			}
			return keepTask(actor, cur, now), nil
		}
		if in.OwnerID != 0 {
			cur.OwnerID = in.OwnerID
		}
		if !in.Due.IsZero() && !in.Due.Equal(cur.Due) {
			cur.Due, cur.RemindedAt = in.Due, time.Time{} // a new deadline is reminded of anew
		}
		cur.Objection, cur.ObjectedAt = "", time.Time{}
		ev := &Event{Kind: EventTask, ActorID: actor.ID, At: now, Public: true, Body: cur.Title,
			Data: EventData{TaskID: id, TaskStep: TaskChanged, AssigneeID: cur.OwnerID, Due: cur.Due}}
		c := Change{Event: ev, Task: cur, Notify: []*OutboxMessage{{Audience: AudienceReporter, RecipientID: t.ReporterID}}}
		told := map[int64]bool{actor.ID: true, t.ReporterID: true}
		for _, id := range []int64{cur.OwnerID, from} {
			if !told[id] {
				told[id] = true
				c.Notify = append(c.Notify, &OutboxMessage{Audience: AudiencePerson, RecipientID: id})
			}
		}
		watchers, err := s.watchers(ctx, t, told)
		if err != nil {
			return nil, err
		}
		c.Notify = append(c.Notify, watchers...)
		return []Change{c}, nil
	})
}

// keepTask settles the objection to cur by keeping it as planned: its
// owner is told the plan stands.
func keepTask(actor *Person, cur *Task, now time.Time) []Change {
	cur.Objection, cur.ObjectedAt = "", time.Time{}
	ev := &Event{Kind: EventTask, ActorID: actor.ID, At: now, Body: cur.Title,
		Data: EventData{TaskID: cur.ID, TaskStep: TaskKept, AssigneeID: cur.OwnerID, Due: cur.Due}}
	c := Change{Event: ev, Task: cur}
	if cur.OwnerID != actor.ID {
		c.Notify = []*OutboxMessage{{Audience: AudiencePerson, RecipientID: cur.OwnerID}}
	}
	return []Change{c}
}
