package backend

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Complaints and their tasks (DESIGN §5, seed 001 利用CRM系统提高客户投诉处理
// 效率): a complaint is a ticket of the complaint form. A manager, or the
// staff member handling it, splits it into tasks (分解成具体的任务), each
// with an owner and a deadline (为任务设置具体的期限), which may be someone
// of another department: a task's owner sees the ticket as its assignee's
// team does. The reporter (the sales owner who filed the complaint) is
// told the plan and each result (任务处理完成后, 系统就会发消息通知销售人员), and
// when the last task is done; a task past its deadline reminds its owner
// and the complaint's handler once (RemindOverdueTasks).
//
// The closing record holds the root cause and the prevention measures
// (原因分析与预防措施). A manager approves it (经过销售经理审核), which makes
// the report to the customer ready (the console builds it from the
// customer's requests, the tasks' results and the record); sending it is
// recorded (预防措施有没有发送给客户, which the reports show).

// EventTask records a step of a complaint task: Data.TaskID and
// Data.TaskStep say which, Data.AssigneeID is the owner and Data.Due the
// deadline; Body is the task's title (added, overdue) or its result
// (done); Data.TasksLeft counts the open tasks after it. Added and done
// are public (the reporter follows the plan); overdue is staff-only.
const EventTask EventKind = "task"

// EventComplaint records the closing record of a complaint: Data.RecordStep is
// StepCause (root cause and prevention written; staff-only, Body the
// root cause), StepApproved (staff-only) or StepSentToCustomer (public).
const EventComplaint EventKind = "complaint"

// Task steps (Data.TaskStep of an EventTask).
const (
	TaskAdded   = "added"
	TaskDone    = "done"
	TaskOverdue = "overdue"
)

// Closing record steps (Data.RecordStep of an EventComplaint).
const (
	StepCause          = "cause"
	StepApproved       = "approved"
	StepSentToCustomer = "sent"
)

// TaskKind says what a task is for.
type TaskKind string

// Task kinds.
const (
	// TaskComplaint is a step of a complaint's plan (seed 001), which its
	// reporter follows.
	TaskComplaint TaskKind = "complaint"
	// TaskConsult is a consultation (consult.go): another team's opinion
	// on a ticket, asked by the team handling it (seed 002 跨部门协作);
	// staff-only.
	TaskConsult TaskKind = "consult"
)

// OrDefault is k, or TaskComplaint when k is not set.
func (k TaskKind) OrDefault() TaskKind {
	if k == "" {
		return TaskComplaint
	}
	return k
}

// Task is one task of a complaint, or a consultation of another team
// (Kind). Times are UTC.
type Task struct {
	ID       int64
	TicketID int64
	Kind     TaskKind
	// TeamID is the team a consultation asks (0 for a complaint's task).
	TeamID int64
	// Number is the ticket's number, filled in by the store on reads.
	Number    string
	Title     string // what is to be done (派质量部门人员去客户现场处理不良品), or the question asked
	OwnerID   int64
	Due       time.Time
	CreatedBy int64
	CreatedAt time.Time

	// Set when it is done: who closed it, when, and what was done (善后措施).
	DoneBy int64
	DoneAt time.Time
	Result string // or the opinion given

	// RemindedAt is when its owner was reminded that the deadline passed
	// (zero: not yet).
	RemindedAt time.Time

	// Objection is its owner's objection to the task as planned, with
	// ObjectedAt (seed 001: the plan goes ahead unless they object); it
	// stands until the task is changed (ChangeTask) or done.
	Objection  string
	ObjectedAt time.Time
}

// Objected reports whether the owner's objection to the task stands.
func (t *Task) Objected() bool { return !t.ObjectedAt.IsZero() }

// Done reports whether the task is closed.
func (t *Task) Done() bool { return !t.DoneAt.IsZero() }

// Consult reports whether the task is a consultation.
func (t *Task) Consult() bool { return t.Kind == TaskConsult }

// Overdue reports whether the task is open past its deadline at now.
func (t *Task) Overdue(now time.Time) bool { return !t.Done() && !now.Before(t.Due) }

// TaskRef names a task as people see it: T-12.
func TaskRef(id int64) string { return "T-" + strconv.FormatInt(id, 10) }

// ParseTaskRef reads a task id written as T-12, t-12 or 12.
func ParseTaskRef(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && strings.EqualFold(s[:2], "T-") {
		s = s[2:]
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// TaskFilter selects tasks. Zero fields do not filter.
type TaskFilter struct {
	TicketID int64
	OwnerID  int64
	Open     bool      // only tasks not done
	DueUntil time.Time // only tasks due at or before this
	// Unreminded: only tasks whose owner was not reminded yet.
	Unreminded bool
	Kind       TaskKind // only tasks of this kind ("": any)
	TeamID     int64    // only consultations of this team

	After int64 // cursor: only tasks with ID > After (oldest first)
	Limit int   // default 50, at most 200
}

// ComplaintRecord is a complaint's closing record (seed 001 投诉处理完成).
type ComplaintRecord struct {
	TicketID   int64
	RootCause  string // 原因分析
	Prevention string // 预防措施
	RecordedBy int64
	RecordedAt time.Time
	ApprovedBy int64     // the manager who approved it (销售经理审核); 0: not yet
	ApprovedAt time.Time // zero until approved
	SentBy     int64     // who recorded that the report reached the customer
	SentAt     time.Time // zero until sent
}

// Approved reports whether a manager approved the record as it stands.
func (r *ComplaintRecord) Approved() bool { return r != nil && !r.ApprovedAt.IsZero() }

// Sent reports whether the report went to the customer.
func (r *ComplaintRecord) Sent() bool { return r != nil && !r.SentAt.IsZero() }

// Complaint is a complaint's handling as one view: its tasks, oldest
// first, and its closing record (nil until written).
type Complaint struct {
	Ticket *Ticket
	Tasks  []*Task
	Record *ComplaintRecord
}

// OpenTasks counts the tasks not done.
func (c *Complaint) OpenTasks() int {
	n := 0
	for _, t := range c.Tasks {
		if !t.Done() {
			n++
		}
	}
	return n
}

// Limits of a task's and a record's texts.
const (
	maxTaskTitle  = 500
	maxTaskResult = 2000
	maxRecordText = 4000
)

// NewTask is what adding a task takes.
type NewTask struct {
	Title   string
	OwnerID int64
	Due     time.Time
}

// validate names every bad field of a new task at now; owner is the
// person OwnerID names (nil: none).
func (in *NewTask) validate(now time.Time, owner *Person) error {
	var fe fieldErrors
	checkText(&fe, "title", in.Title, 2, maxTaskTitle)
	switch {
	case in.OwnerID <= 0:
		fe.add("owner", Problem{Key: "required"}, "required")
	case owner == nil || !owner.Handles():
		fe.add("owner", Problem{Key: "task_owner"}, "must be an assistant or a manager")
	}
	switch {
	case in.Due.IsZero():
		fe.add("due", Problem{Key: "required"}, "required")
	case !in.Due.After(now):
		fe.add("due", Problem{Key: "past"}, "must be in the future")
	}
	return fe.err("task")
}

// checkText adds a problem when s (trimmed) is shorter than min or longer
// than max characters.
func checkText(fe *fieldErrors, field, s string, min, max int) {
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	switch {
	case n == 0 && min > 0:
		fe.add(field, Problem{Key: "required"}, "required")
	case n < min || n > max:
		fe.add(field, Problem{Key: "length", Args: map[string]any{"Min": min, "Max": max, "Got": n}}, "must be %d–%d characters, got %d", min, max, n)
	}
}

// notComplaint is the error for a task or record asked of another form.
func notComplaint(t *Ticket) error {
	return Keyed(ECONFLICT, "not_complaint", map[string]any{"Number": t.Number}, "ticket %s is not a complaint", t.Number)
}

// handlesComplaint is nil when actor may plan and close the complaint:
// managers and admins, and the staff member it is assigned to.
func handlesComplaint(actor *Person, t *Ticket) error {
	if actor.SeesAll() || (actor.Handles() && t.AssigneeID == actor.ID) {
		return nil
	}
	return Keyed(EFORBIDDEN, "complaint_handler", map[string]any{"Number": t.Number},
		"only managers and the assignee of %s may plan and close the complaint", t.Number)
}

// Complaint returns a complaint's tasks and closing record as actor may
// see them: staff all, the reporter the tasks (the plan and its results)
// and whether the report reached the customer, not the record's drafts.
// ENOTFOUND/EFORBIDDEN as Ticket; ECONFLICT for a ticket of another form.
func (s *Service) Complaint(ctx context.Context, actor *Person, number string) (*Complaint, error) {
	t, err := s.Ticket(ctx, actor, number)
	if err != nil {
		return nil, err
	}
	if t.Form != FormComplaint {
		return nil, notComplaint(t)
	}
	return s.complaintOf(ctx, actor, t)
}

func (s *Service) complaintOf(ctx context.Context, actor *Person, t *Ticket) (*Complaint, error) {
	tasks, err := s.store.Tasks(ctx, TaskFilter{TicketID: t.ID, Kind: TaskComplaint, Limit: 200})
	if err != nil {
		return nil, err
	}
	staffOnly(actor, tasks...)
	c := &Complaint{Ticket: t, Tasks: tasks}
	rec, err := s.store.ComplaintRecord(ctx, t.ID)
	switch {
	case ErrorCode(err) == ENOTFOUND:
	case err != nil:
		return nil, err
	case actor.Handles() || actor.HasRole(RoleInfoSpecialist):
		c.Record = rec
	case rec.Sent():
		c.Record = &ComplaintRecord{TicketID: rec.TicketID, SentAt: rec.SentAt}
	}
	return c, nil
}

// AddTask adds a task to a complaint (managers and its assignee): the
// owner is told, the reporter hears the plan, and so do its watchers
// (ServiceConfig.Watchers). EINVALID names bad
// fields (an owner who is not staff too); ECONFLICT for a closed ticket or
// another form.
func (s *Service) AddTask(ctx context.Context, actor *Person, number string, in NewTask) (*Task, error) {
	in.Title = strings.TrimSpace(in.Title)
	in.Due = in.Due.UTC().Truncate(time.Microsecond)
	owner, err := s.ownerNamed(ctx, in.OwnerID)
	if err != nil {
		return nil, err
	}
	if err := in.validate(s.now(), owner); err != nil {
		return nil, err
	}
	task := &Task{}
	_, err = s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if err := s.complaintOpen(actor, t); err != nil {
			return nil, err
		}
		left, err := s.openTasks(ctx, t.ID, TaskComplaint, 0)
		if err != nil {
			return nil, err
		}
		*task = Task{TicketID: t.ID, Number: t.Number, Kind: TaskComplaint, Title: in.Title, OwnerID: owner.ID, Due: in.Due, CreatedBy: actor.ID, CreatedAt: now}
		ev := &Event{Kind: EventTask, ActorID: actor.ID, At: now, Public: true, Body: in.Title,
			Data: EventData{TaskStep: TaskAdded, AssigneeID: owner.ID, Due: in.Due, TasksLeft: left + 1}}
		c := Change{Event: ev, Task: task,
			Notify: []*OutboxMessage{{Audience: AudienceReporter, RecipientID: t.ReporterID}}}
		if owner.ID != actor.ID && owner.ID != t.ReporterID {
			c.Notify = append(c.Notify, &OutboxMessage{Audience: AudiencePerson, RecipientID: owner.ID})
		}
		watchers, err := s.watchers(ctx, t, map[int64]bool{actor.ID: true, t.ReporterID: true, owner.ID: true})
		if err != nil {
			return nil, err
		}
		c.Notify = append(c.Notify, watchers...)
		return []Change{c}, nil
	})
	if err != nil {
		return nil, err
	}
	return task, nil
}

// watchers are the rows that tell a complaint's watchers
// (ServiceConfig.Watchers) of a task, but not those in told.
func (s *Service) watchers(ctx context.Context, t *Ticket, told map[int64]bool) ([]*OutboxMessage, error) {
	if s.cfg.Watchers == nil {
		return nil, nil
	}
	ids, err := s.cfg.Watchers(ctx, t)
	if err != nil {
		return nil, err
	}
	var out []*OutboxMessage
	for _, id := range ids {
		if !told[id] {
			told[id] = true
			out = append(out, &OutboxMessage{Audience: AudiencePerson, RecipientID: id})
		}
	}
	return out, nil
}

// complaintOpen is nil when actor may change the complaint t now.
func (s *Service) complaintOpen(actor *Person, t *Ticket) error {
	if t.Form != FormComplaint {
		return notComplaint(t)
	}
	if err := handlesComplaint(actor, t); err != nil {
		return err
	}
	if !t.Status.Open() {
		return Keyed(ECONFLICT, "status", map[string]any{"Number": t.Number, "Status": t.Status},
			"ticket %s is %s", t.Number, t.Status)
	}
	return nil
}

// openTasks counts a ticket's open tasks of a kind other than task
// except.
func (s *Service) openTasks(ctx context.Context, ticketID int64, kind TaskKind, except int64) (int, error) {
	tasks, err := s.store.Tasks(ctx, TaskFilter{TicketID: ticketID, Kind: kind, Open: true, Limit: 200})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range tasks {
		if t.ID != except {
			n++
		}
	}
	return n, nil
}

// Task returns a task and its ticket, for actor: anyone who may see the
// ticket. ENOTFOUND for a task that does not exist or is on a ticket actor
// may not know of.
func (s *Service) Task(ctx context.Context, actor *Person, id int64) (*Task, *Ticket, error) {
	notFound := Keyed(ENOTFOUND, "task", map[string]any{"ID": TaskRef(id)}, "task %s not found", TaskRef(id))
	task, err := s.store.Task(ctx, id)
	if ErrorCode(err) == ENOTFOUND || err == nil && task.Consult() && !actor.Handles() {
		return nil, nil, notFound // a consultation is staff-only
	}
	if err != nil {
		return nil, nil, err
	}
	t, err := s.Ticket(ctx, actor, task.Number)
	if err != nil {
		if ErrorCode(err) == EFORBIDDEN || ErrorCode(err) == ENOTFOUND {
			return nil, nil, notFound
		}
		return nil, nil, err
	}
	staffOnly(actor, task)
	return task, t, nil
}

// staffOnly takes from tasks what only staff read (an owner's objection)
// when actor is not staff.
func staffOnly(actor *Person, tasks ...*Task) {
	if actor.Handles() {
		return
	}
	for _, t := range tasks {
		t.Objection, t.ObjectedAt = "", time.Time{}
	}
}

// CompleteTask closes a task with what was done (its owner, the
// complaint's assignee or a manager), or a consultation with the team's
// opinion (its owner or other staff of the team too). The reporter of a
// complaint is told, and the assignee, the one who set the task and the
// complaint's watchers unless they closed it; when it was the last open
// task, the notice says the complaint's tasks are all done. A
// consultation's opinion is staff-only. EINVALID without a result;
// ECONFLICT when it is done already.
func (s *Service) CompleteTask(ctx context.Context, actor *Person, id int64, result string) (*Task, error) {
	result, err := taskText("result", result)
	if err != nil {
		return nil, err
	}
	return s.updateTask(ctx, actor, id, func(t *Ticket, cur *Task, now time.Time) ([]Change, error) {
		if cur.Done() {
			return nil, Keyed(ECONFLICT, "task_done", map[string]any{"ID": TaskRef(id)}, "task %s is done already", TaskRef(id))
		}
		if err := mayComplete(actor, cur, t); err != nil {
			return nil, err
		}
		left, err := s.openTasks(ctx, t.ID, cur.Kind, id)
		if err != nil {
			return nil, err
		}
		cur.DoneBy, cur.DoneAt, cur.Result = actor.ID, now, result
		ev := &Event{Kind: EventTask, ActorID: actor.ID, At: now, Public: !cur.Consult(), Body: result,
			Data: EventData{TaskID: id, TaskStep: TaskDone, AssigneeID: cur.OwnerID, Due: cur.Due, TasksLeft: left}}
		c := Change{Event: ev, Task: cur}
		told := map[int64]bool{actor.ID: true, t.ReporterID: true}
		if cur.Consult() {
			s.consultData(ctx, &ev.Data, cur)
		} else {
			c.Notify = []*OutboxMessage{{Audience: AudienceReporter, RecipientID: t.ReporterID}}
		}
		if t.AssigneeID != 0 && !told[t.AssigneeID] {
			told[t.AssigneeID] = true
			c.Notify = append(c.Notify, &OutboxMessage{Audience: AudienceAssignee, RecipientID: t.AssigneeID})
		}
		if !told[cur.CreatedBy] && cur.CreatedBy != 0 {
			told[cur.CreatedBy] = true
			c.Notify = append(c.Notify, &OutboxMessage{Audience: AudiencePerson, RecipientID: cur.CreatedBy})
		}
		if !cur.Consult() {
			watchers, err := s.watchers(ctx, t, told)
			if err != nil {
				return nil, err
			}
			c.Notify = append(c.Notify, watchers...)
		}
		return []Change{c}, nil
	})
}

// ownerNamed is the person a task's owner id names; nil for none or
// nobody (the task's validation says so).
func (s *Service) ownerNamed(ctx context.Context, id int64) (*Person, error) {
	if id <= 0 {
		return nil, nil
	}
	p, err := s.store.Person(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	return p, err
}

// taskText trims what is written about a task (a result, an objection)
// and checks its length; the error names field.
func taskText(field, text string) (string, error) {
	text = strings.TrimSpace(text)
	var fe fieldErrors
	checkText(&fe, field, text, 2, maxTaskResult)
	return text, fe.err("task")
}

// updateTask applies fn to task id as it is stored and to its ticket, as
// actor (who must see the task: Task's errors otherwise), re-reading both
// when another writer got there first; it returns the task fn saved
// (fn's changes must carry it).
func (s *Service) updateTask(ctx context.Context, actor *Person, id int64, fn func(t *Ticket, cur *Task, now time.Time) ([]Change, error)) (*Task, error) {
	_, t0, err := s.Task(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	var saved *Task
	_, err = s.updateWith(ctx, func() (*Ticket, error) { return s.store.TicketByID(ctx, t0.ID) }, func(t *Ticket, now time.Time) ([]Change, error) {
		cur, err := s.store.Task(ctx, id)
		if err != nil {
			return nil, err
		}
		saved = cur
		return fn(t, cur, now)
	})
	if err != nil {
		return nil, err
	}
	return saved, nil
}

// mayComplete is nil when actor may complete task of ticket t: its
// owner, the ticket's assignee and managers, and for a consultation the
// staff of the team asked too.
func mayComplete(actor *Person, task *Task, t *Ticket) error {
	if task.OwnerID == actor.ID || answersConsult(actor, task) || handlesComplaint(actor, t) == nil {
		return nil
	}
	if task.Consult() {
		return Keyed(EFORBIDDEN, "consult_answer_who", map[string]any{"ID": TaskRef(task.ID)},
			"only the team asked, the assignee of %s and managers may give the opinion %s", t.Number, TaskRef(task.ID))
	}
	return Keyed(EFORBIDDEN, "task_owner_only", map[string]any{"ID": TaskRef(task.ID)},
		"only the owner of %s, the complaint's assignee and managers may close it", TaskRef(task.ID))
}

// MyTasks lists actor's own tasks, open ones only unless all: the open
// ones by deadline, the earliest first, then the done ones.
func (s *Service) MyTasks(ctx context.Context, actor *Person, all bool) ([]*Task, error) {
	return s.tasks(ctx, TaskFilter{OwnerID: actor.ID, Open: !all})
}

// RecordCause writes (or rewrites) a complaint's root cause and
// prevention measures (managers and its assignee). Rewriting an approved
// record takes the approval back: the manager approves what the customer
// will read. ECONFLICT once the report went to the customer.
func (s *Service) RecordCause(ctx context.Context, actor *Person, number, rootCause, prevention string) (*ComplaintRecord, error) {
	rootCause, prevention = strings.TrimSpace(rootCause), strings.TrimSpace(prevention)
	var fe fieldErrors
	checkText(&fe, "root_cause", rootCause, 2, maxRecordText)
	checkText(&fe, "prevention", prevention, 2, maxRecordText)
	if err := fe.err("complaint record"); err != nil {
		return nil, err
	}
	return s.changeRecord(ctx, actor, number, func(t *Ticket, rec *ComplaintRecord, now time.Time) (*Event, error) {
		if err := handlesComplaint(actor, t); err != nil {
			return nil, err
		}
		if rec.Sent() {
			return nil, Keyed(ECONFLICT, "complaint_sent", map[string]any{"Number": t.Number},
				"the report of %s went to the customer already", t.Number)
		}
		*rec = ComplaintRecord{TicketID: t.ID, RootCause: rootCause, Prevention: prevention, RecordedBy: actor.ID, RecordedAt: now}
		return &Event{Body: rootCause, Data: EventData{RecordStep: StepCause}}, nil
	})
}

// ApproveComplaint approves the closing record (managers only), which
// makes the report to the customer ready. ECONFLICT without a record or
// when approved already.
func (s *Service) ApproveComplaint(ctx context.Context, actor *Person, number string) (*ComplaintRecord, error) {
	if !actor.SeesAll() {
		return nil, Keyed(EFORBIDDEN, "approve_manager", nil, "only managers may approve a complaint's record")
	}
	return s.changeRecord(ctx, actor, number, func(t *Ticket, rec *ComplaintRecord, now time.Time) (*Event, error) {
		if rec.RecordedAt.IsZero() {
			return nil, Keyed(ECONFLICT, "complaint_no_record", map[string]any{"Number": t.Number},
				"%s has no root cause and prevention measures yet", t.Number)
		}
		if rec.Approved() {
			return nil, Keyed(ECONFLICT, "complaint_approved", map[string]any{"Number": t.Number}, "the record of %s is approved already", t.Number)
		}
		rec.ApprovedBy, rec.ApprovedAt = actor.ID, now
		return &Event{Data: EventData{RecordStep: StepApproved}}, nil
	})
}

// MarkSentToCustomer records that the report reached the customer
// (managers and the complaint's assignee); the reporter is told.
// ECONFLICT until the record is approved, or when sent already.
func (s *Service) MarkSentToCustomer(ctx context.Context, actor *Person, number string) (*ComplaintRecord, error) {
	return s.changeRecord(ctx, actor, number, func(t *Ticket, rec *ComplaintRecord, now time.Time) (*Event, error) {
		if err := handlesComplaint(actor, t); err != nil {
			return nil, err
		}
		if !rec.Approved() {
			return nil, Keyed(ECONFLICT, "complaint_unapproved", map[string]any{"Number": t.Number},
				"the record of %s is not approved yet", t.Number)
		}
		if rec.Sent() {
			return nil, Keyed(ECONFLICT, "complaint_sent", map[string]any{"Number": t.Number},
				"the report of %s went to the customer already", t.Number)
		}
		rec.SentBy, rec.SentAt = actor.ID, now
		return &Event{Public: true, Data: EventData{RecordStep: StepSentToCustomer}}, nil
	})
}

// changeRecord reads a complaint's record (empty when there is none),
// lets fn change it and returns fn's event, and writes both with the
// ticket. A public event is told to the reporter.
func (s *Service) changeRecord(ctx context.Context, actor *Person, number string,
	fn func(t *Ticket, rec *ComplaintRecord, now time.Time) (*Event, error)) (*ComplaintRecord, error) {
	var rec *ComplaintRecord
	_, err := s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if t.Form != FormComplaint {
			return nil, notComplaint(t)
		}
		var err error
		rec, err = s.store.ComplaintRecord(ctx, t.ID)
		if ErrorCode(err) == ENOTFOUND {
			rec, err = &ComplaintRecord{TicketID: t.ID}, nil
		}
		if err != nil {
			return nil, err
		}
		ev, err := fn(t, rec, now)
		if err != nil {
			return nil, err
		}
		ev.Kind, ev.ActorID, ev.At = EventComplaint, actor.ID, now
		c := Change{Event: ev, Complaint: rec}
		if ev.Public {
			c.Notify = []*OutboxMessage{{Audience: AudienceReporter, RecipientID: t.ReporterID}}
		}
		return []Change{c}, nil
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// RemindOverdueTasks reminds the owner of every open task past its
// deadline, once: an event on the complaint's thread, told to the owner
// and to the complaint's assignee. Safe to run in every process at once
// (Store.RecordOnce); returns how many reminders this call sent.
func (s *Service) RemindOverdueTasks(ctx context.Context) (int, error) {
	now := s.now()
	sent := 0
	for f := (TaskFilter{Open: true, DueUntil: now, Unreminded: true, Limit: 100}); ; {
		tasks, err := s.store.Tasks(ctx, f)
		if err != nil {
			return sent, err
		}
		for _, task := range tasks {
			ok, err := s.remindTask(ctx, task, now)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
			f.After = task.ID
		}
		if len(tasks) < f.Limit {
			return sent, nil
		}
	}
}

func (s *Service) remindTask(ctx context.Context, task *Task, now time.Time) (bool, error) {
	t, err := s.store.TicketByID(ctx, task.TicketID)
	if err != nil {
		return false, err
	}
	if task.Consult() && !t.Status.Open() {
		// The ticket was solved or closed without it: nobody is chased
		// for an opinion no longer needed.
		return false, s.store.MarkTaskReminded(ctx, task.ID, now)
	}
	ev := &Event{TicketID: t.ID, Kind: EventTask, At: now, Body: task.Title,
		Data: EventData{TaskID: task.ID, TaskStep: TaskOverdue, AssigneeID: task.OwnerID, Due: task.Due}}
	c := Change{Event: ev, Notify: []*OutboxMessage{{Audience: AudiencePerson, RecipientID: task.OwnerID}}}
	if t.AssigneeID != 0 && t.AssigneeID != task.OwnerID {
		c.Notify = append(c.Notify, &OutboxMessage{Audience: AudienceAssignee, RecipientID: t.AssigneeID})
	}
	if task.Consult() {
		// The team asked is late: its managers hear it too (seed 002:
		// "避免流程卡顿").
		s.consultData(ctx, &ev.Data, task)
		managers, err := s.store.PeopleWithRole(ctx, RoleManager, task.TeamID)
		if err != nil {
			return false, err
		}
		for _, m := range managers {
			if m.TeamID == task.TeamID && m.ID != task.OwnerID && m.ID != t.AssigneeID {
				c.Notify = append(c.Notify, &OutboxMessage{Audience: AudiencePerson, RecipientID: m.ID})
			}
		}
	}
	stamp([]Change{c}, now)
	// Once per deadline: a task given a new one (ChangeTask) is reminded
	// of it anew.
	key := "task-overdue-" + strconv.FormatInt(task.ID, 10) + "-" + strconv.FormatInt(task.Due.UnixMicro(), 10)
	ok, err := s.store.RecordOnce(ctx, key, t.ID, []Change{c})
	if err != nil {
		return false, err
	}
	if ok {
		s.changed(t) // the outbox has the reminders
	}
	return ok, s.store.MarkTaskReminded(ctx, task.ID, now)
}

// ComplaintStore is what complaints need of a Store. Tasks and records
// are written with their ticket (Change.Task, Change.Complaint).
type ComplaintStore interface {
	// Task returns a task with its ticket's Number. ENOTFOUND.
	Task(ctx context.Context, id int64) (*Task, error)
	// Tasks lists the tasks that match f, by ID (oldest first), each with
	// its ticket's Number.
	Tasks(ctx context.Context, f TaskFilter) ([]*Task, error)
	// MarkTaskReminded records that the owner of task id was reminded at
	// `at`; marking again keeps the first time. ENOTFOUND.
	MarkTaskReminded(ctx context.Context, id int64, at time.Time) error
	// ComplaintRecord returns a ticket's closing record. ENOTFOUND when it
	// has none.
	ComplaintRecord(ctx context.Context, ticketID int64) (*ComplaintRecord, error)
}
