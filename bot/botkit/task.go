package botkit

import (
	"context"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
)

// Complaint tasks in chat (DESIGN §5, seed 001): the notices of a task's
// steps and of the closing record, the lines of a person's task list and
// a complaint's task progress. The texts are the catalog's task.* keys;
// a consultation's (another team's opinion, seed 002) are the matching
// consult.* keys (TaskKey).

// TaskKey is the catalog key of a text about a task of kind: key
// ("task.prompt") for a complaint's task, its consult.* twin
// ("consult.prompt") for a consultation.
func TaskKey(kind backend.TaskKind, key string) string {
	if kind == backend.TaskConsult {
		return "consult." + strings.TrimPrefix(key, "task.")
	}
	return key
}

// Objectable says whether the owner's notice e of their task offers to
// object to it (seed 001): a complaint's task, new, changed or overdue.
func Objectable(e *backend.Event) bool {
	switch e.Data.TaskStep {
	case backend.TaskAdded, backend.TaskChanged, backend.TaskOverdue:
		return e.Data.TaskKind != backend.TaskConsult
	}
	return false
}

// dueFormat is how a task's deadline reads.
const dueFormat = "2006-01-02 15:04"

// taskNotice is the text of an EventTask for its audience: the owner of
// a new task is told what, by when and how to complete it, the reporter
// the plan; a result goes to everyone told with the count of open tasks
// (all done: the last one); an overdue task reminds its owner, and its
// handler is told whose it is.
func (r *Renderer) taskNotice(ctx context.Context, loc string, m notify.Message, data map[string]any) string {
	e := m.Event
	data["Task"] = backend.TaskRef(e.Data.TaskID)
	data["Title"] = e.Body
	data["Owner"] = r.name(ctx, e.Data.AssigneeID)
	data["Due"] = r.due(e.Data.Due)
	data["Left"] = e.Data.TasksLeft
	data["How"] = r.taskHow(loc, e.Data.TaskKind)
	owner := m.Recipient != nil && m.Recipient.ID == e.Data.AssigneeID && m.Outbox.Audience != backend.AudienceReporter
	if e.Data.TaskKind == backend.TaskConsult {
		return r.consultNotice(ctx, loc, m, owner, data)
	}
	switch e.Data.TaskStep {
	case backend.TaskAdded:
		switch {
		case owner:
			return r.Cat.T(loc, "task.notify.owner", data)
		case m.Outbox.Audience == backend.AudienceReporter:
			return r.Cat.T(loc, "task.notify.plan", data)
		}
		return r.Cat.T(loc, "task.notify.added", data)
	case backend.TaskDone:
		data["Result"] = e.Body
		data["Title"] = r.taskTitle(ctx, e.Data.TaskID)
		data["Actor"] = r.name(ctx, e.ActorID)
		text := r.Cat.T(loc, "task.notify.done", data)
		if e.Data.TasksLeft == 0 {
			return text + "\n" + r.Cat.T(loc, "task.notify.all_done", data)
		}
		return text + "\n" + r.Cat.T(loc, "task.notify.left", data)
	case backend.TaskOverdue:
		if owner {
			return r.Cat.T(loc, "task.notify.overdue_owner", data)
		}
		return r.Cat.T(loc, "task.notify.overdue_staff", data)
	case backend.TaskObjected:
		// Staff-only: whoever planned it hears the owner's reason.
		data["Reason"] = e.Body
		data["Title"] = r.taskTitle(ctx, e.Data.TaskID)
		return r.Cat.T(loc, "task.notify.objected", data)
	case backend.TaskKept:
		return r.Cat.T(loc, "task.notify.kept", data) // to its owner
	case backend.TaskChanged:
		switch {
		case owner:
			return r.Cat.T(loc, "task.notify.changed_owner", data)
		case m.Outbox.Audience == backend.AudienceReporter:
			return r.Cat.T(loc, "task.notify.plan_changed", data)
		}
		return r.Cat.T(loc, "task.notify.changed", data)
	}
	return r.Cat.T(loc, "notify.status", data)
}

// consultNotice is the text of a step of a consultation (another team's
// opinion, seed 002 跨部门协作), told to staff only: the one asked gets
// the question and how to answer; the one who asked, the opinion; a
// late opinion reminds the one asked, and tells the others whose it is.
func (r *Renderer) consultNotice(ctx context.Context, loc string, m notify.Message, owner bool, data map[string]any) string {
	e := m.Event
	data["Team"] = TeamName(r.Cat, loc, e.Data.TeamName)
	data["Actor"] = r.name(ctx, e.ActorID)
	switch e.Data.TaskStep {
	case backend.TaskAdded:
		return r.Cat.T(loc, "consult.notify.owner", data)
	case backend.TaskDone:
		data["Result"] = e.Body
		data["Title"] = r.taskTitle(ctx, e.Data.TaskID)
		return r.Cat.T(loc, "consult.notify.done", data)
	case backend.TaskOverdue:
		if owner {
			return r.Cat.T(loc, "consult.notify.overdue_owner", data)
		}
		return r.Cat.T(loc, "consult.notify.overdue_staff", data)
	}
	return r.Cat.T(loc, "notify.status", data)
}

// complaintNotice is the text of an EventComplaint: the root cause
// written and its approval (staff), the report sent to the customer (the
// reporter too).
func (r *Renderer) complaintNotice(ctx context.Context, loc string, m notify.Message, data map[string]any) string {
	e := m.Event
	data["Actor"] = r.name(ctx, e.ActorID)
	switch e.Data.RecordStep {
	case backend.StepCause:
		data["Body"] = clip(e.Body, 500)
		return r.Cat.T(loc, "task.notify.cause", data)
	case backend.StepApproved:
		return r.Cat.T(loc, "task.notify.approved", data)
	case backend.StepSentToCustomer:
		return r.Cat.T(loc, "task.notify.sent", data)
	}
	return r.Cat.T(loc, "notify.status", data)
}

// taskHow says how to complete a task of kind where the reader reads it
// (Renderer.TaskHow), or in any chat.
func (r *Renderer) taskHow(loc string, kind backend.TaskKind) string {
	if r.TaskHow != nil {
		return r.TaskHow(loc, kind)
	}
	return r.Cat.T(loc, TaskKey(kind, "task.how.any"), nil)
}

// taskTitle is a task's title, or its reference when it cannot be read.
func (r *Renderer) taskTitle(ctx context.Context, id int64) string {
	if r.Tasks != nil && id != 0 {
		if t, err := r.Tasks(ctx, id); err == nil {
			return t.Title
		}
	}
	return backend.TaskRef(id)
}

// due is a deadline as people there read it ("—" for none).
func (r *Renderer) due(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(r.zone()).Format(dueFormat)
}

// TaskLine is one open task of a person's list (/tasks), marked when it
// is past its deadline at now, with the owner's objection while it waits
// for the handler.
func (r *Renderer) TaskLine(loc string, t *backend.Task, now time.Time) string {
	key := "task.list.line"
	if t.Overdue(now) {
		key = "task.list.line_overdue"
	}
	line := r.Cat.T(loc, TaskKey(t.Kind, key), map[string]any{"Task": backend.TaskRef(t.ID), "Title": clip(t.Title, 100), "Number": t.Number, "Due": r.due(t.Due)})
	if t.Objected() && !t.Done() {
		line += "\n" + r.Cat.T(loc, "task.list.objected", map[string]any{"Reason": clip(t.Objection, 100)})
	}
	return line
}

// TaskData is what the texts about one task (its button, the question
// for its result, the answer) are filled with.
func TaskData(t *backend.Task) map[string]any {
	return map[string]any{"Task": backend.TaskRef(t.ID), "Title": clip(t.Title, 100), "Number": t.Number}
}

// TaskProgress is a complaint's tasks as p may see them, in loc, for the
// answer to "status of CP-…": how many are done ("任务 2/3 已完成"), each
// task with its result or owner and deadline, and whether the report
// reached the customer. It is "" for a ticket of another form, and when
// the tasks cannot be read (the status itself still shows).
func (r *Renderer) TaskProgress(ctx context.Context, svc *backend.Service, p *backend.Person, loc string, t *backend.Ticket, now time.Time) string {
	if t.Form != backend.FormComplaint {
		return ""
	}
	c, err := svc.Complaint(ctx, p, t.Number)
	if err != nil {
		return ""
	}
	if len(c.Tasks) == 0 {
		return r.Cat.T(loc, "task.progress.none", nil)
	}
	lines := []string{r.Cat.T(loc, "task.progress", map[string]any{"Done": len(c.Tasks) - c.OpenTasks(), "Total": len(c.Tasks)})}
	const most = 10
	for i, task := range c.Tasks {
		if i == most {
			lines = append(lines, "…")
			break
		}
		d := map[string]any{"Task": backend.TaskRef(task.ID), "Title": clip(task.Title, 60), "Result": clip(task.Result, 100),
			"Owner": r.name(ctx, task.OwnerID), "Due": r.due(task.Due)}
		key := "task.progress.line_open"
		switch {
		case task.Done():
			key = "task.progress.line_done"
		case task.Overdue(now):
			key = "task.progress.line_overdue"
		}
		lines = append(lines, r.Cat.T(loc, key, d))
	}
	if c.Record.Sent() {
		lines = append(lines, r.Cat.T(loc, "task.progress.sent", nil))
	}
	return strings.Join(lines, "\n")
}
