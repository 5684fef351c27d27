package web

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// Complaints in the console (DESIGN §5, seed 001): on a complaint's page
// its tasks and the forms to add and close them, the closing record (root
// cause, prevention) with its approval and sending; the printable report
// to the customer once the record is approved; and the task list of the
// signed-in person (everyone's for managers). The service decides who may
// do what; the forms are offered to those it would let through.

// dueLayout is how a task's deadline comes from the form (an
// <input type="datetime-local">), in the console's zone.
const dueLayout = "2006-01-02T15:04"

// complaintView is a complaint's section of the ticket page.
type complaintView struct {
	C     *backend.Complaint
	Tasks []taskView
	// Completable are the open tasks the viewer may close; Objectable,
	// those they own and may object to (seed 001); Changeable, those they
	// may give another owner or deadline.
	Completable []taskView
	Objectable  []taskView
	Changeable  []taskView
	Record      *backend.ComplaintRecord
	RecordedBy  string
	ApprovedBy  string
	SentBy      string
	// What the viewer is offered (the service checks again).
	CanPlan    bool // add tasks, write the record, mark it sent
	CanApprove bool
	CanSend    bool
	CanRecord  bool
	Staff      []*backend.Person // who may own a task
	// In is what was typed into the form that failed, kept for the next
	// try; Error says why it failed.
	In    complaintInput
	Error string
}

// complaintInput is what the complaint forms send.
type complaintInput struct {
	Form       string // which form: task, complete, object, change, record, approve, sent
	Title      string
	Reason     string
	Owner      string
	Due        string
	Task       string
	Result     string
	RootCause  string
	Prevention string
}

// taskView is one task as the console shows it.
type taskView struct {
	T           *backend.Task
	Ref         string
	Number      string
	Owner       string
	State       string // open, overdue, done
	DoneBy      string
	CanComplete bool
}

// namer returns a person's display name by id, looking each up once.
func (c *Console) namer(ctx context.Context, rq *req) func(int64) string {
	names := map[int64]string{}
	return func(id int64) string {
		if id == 0 {
			return c.tr.T(rq.Loc, "web.system", nil)
		}
		if n, ok := names[id]; ok {
			return n
		}
		n := "#" + strconv.FormatInt(id, 10)
		if p, err := c.svc.Store().Person(ctx, id); err == nil {
			n = p.Name
		}
		names[id] = n
		return n
	}
}

func (c *Console) taskViews(rq *req, cp *backend.Complaint, tasks []*backend.Task, name func(int64) string) []taskView {
	now := c.cfg.Now()
	out := make([]taskView, 0, len(tasks))
	for _, t := range tasks {
		v := taskView{T: t, Ref: backend.TaskRef(t.ID), Number: t.Number, Owner: name(t.OwnerID), State: t.State(now)}
		if t.Done() {
			v.DoneBy = name(t.DoneBy)
		}
		if cp != nil {
			v.CanComplete = cp.MayComplete(rq.Me, t)
		} else {
			v.CanComplete = !t.Done() && t.OwnerID == rq.Me.ID
		}
		out = append(out, v)
	}
	return out
}

// loadComplaint fills the complaint section of a complaint's page.
func (c *Console) loadComplaint(ctx context.Context, rq *req, t *backend.Ticket, name func(int64) string) (*complaintView, error) {
	cp, err := c.svc.Complaint(ctx, rq.Me, t.Number)
	if err != nil {
		return nil, err
	}
	v := &complaintView{C: cp, Record: cp.Record, CanPlan: cp.MayPlan(rq.Me)}
	v.Tasks = c.taskViews(rq, cp, cp.Tasks, name)
	for _, tv := range v.Tasks {
		if tv.CanComplete {
			v.Completable = append(v.Completable, tv)
		}
		if open := !tv.T.Done() && !tv.T.Consult() && t.Status.Open(); open && tv.T.OwnerID == rq.Me.ID && !tv.T.Objected() {
			v.Objectable = append(v.Objectable, tv)
		}
		if open := !tv.T.Done() && !tv.T.Consult() && t.Status.Open(); open && v.CanPlan {
			v.Changeable = append(v.Changeable, tv)
		}
	}
	rec := cp.Record
	if rec != nil {
		if rec.RecordedBy != 0 {
			v.RecordedBy = name(rec.RecordedBy)
		}
		if rec.ApprovedBy != 0 {
			v.ApprovedBy = name(rec.ApprovedBy)
		}
		if rec.SentBy != 0 {
			v.SentBy = name(rec.SentBy)
		}
		v.In.RootCause, v.In.Prevention = rec.RootCause, rec.Prevention
	}
	v.CanRecord = v.CanPlan && !rec.Sent()
	v.CanApprove = rq.Me.SeesAll() && rec != nil && !rec.RecordedAt.IsZero() && !rec.Approved()
	v.CanSend = v.CanPlan && rec.Approved() && !rec.Sent()
	if v.CanPlan {
		if v.Staff, err = c.staffList(ctx); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// staffList is everyone who may own a task (assistants, managers,
// admins), by name.
func (c *Console) staffList(ctx context.Context) ([]*backend.Person, error) {
	seen := map[int64]bool{}
	var out []*backend.Person
	for _, role := range []backend.Role{backend.RoleAssistant, backend.RoleManager, backend.RoleAdmin} {
		people, err := c.svc.Store().PeopleWithRole(ctx, role, 0)
		if err != nil {
			return nil, err
		}
		for _, p := range people {
			if !seen[p.ID] {
				seen[p.ID] = true
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b *backend.Person) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// complaintAct runs one of the complaint forms through the service: on
// success the page is shown again; on an error it is shown with the
// catalog's text next to the complaint's forms, and what was typed.
func (c *Console) complaintAct(w http.ResponseWriter, r *http.Request, rq *req) {
	ctx, number := r.Context(), r.PathValue("number")
	in := complaintInput{Form: r.PathValue("action"), Title: r.PostFormValue("title"), Owner: r.PostFormValue("owner"),
		Due: strings.TrimSpace(r.PostFormValue("due")), Task: r.PostFormValue("task"), Result: r.PostFormValue("result"), Reason: r.PostFormValue("reason"),
		RootCause: r.PostFormValue("root_cause"), Prevention: r.PostFormValue("prevention")}
	var err error
	switch in.Form {
	case "task":
		err = c.addTask(ctx, rq, number, in)
	case "complete":
		err = c.completeTask(ctx, rq, number, in)
	case "object":
		err = c.objectTask(ctx, rq, number, in)
	case "change":
		err = c.changeTask(ctx, rq, number, in)
	case "record":
		_, err = c.svc.RecordCause(ctx, rq.Me, number, in.RootCause, in.Prevention)
	case "approve":
		_, err = c.svc.ApproveComplaint(ctx, rq.Me, number)
	case "sent":
		_, err = c.svc.MarkSentToCustomer(ctx, rq.Me, number)
	default:
		err = backend.Errorf(backend.ENOTFOUND, "no action %q", in.Form)
	}
	if err == nil {
		http.Redirect(w, r, ticketPath(number)+"#complaint", http.StatusSeeOther)
		return
	}
	d, lerr := c.loadTicket(ctx, rq, number)
	if lerr != nil || d.Complaint == nil {
		c.fail(w, r, rq, cmp.Or(lerr, err))
		return
	}
	status := StatusOf(err)
	if status == http.StatusInternalServerError {
		c.log.Error("web: complaint action failed", "ticket", number, "action", in.Form, "err", err)
	}
	if in.Form != "record" && d.Complaint.Record != nil {
		in.RootCause, in.Prevention = d.Complaint.Record.RootCause, d.Complaint.Record.Prevention
	}
	d.Complaint.In, d.Complaint.Error = in, ErrorText(c.tr, rq.Loc, err)
	c.pages.Render(w, status, "ticket", "page", d)
}

// addTask adds the task of the form: a deadline that is not a date and
// time is named together with the service's word on the other fields.
func (c *Console) addTask(ctx context.Context, rq *req, number string, in complaintInput) error {
	nt := backend.NewTask{Title: in.Title}
	if s := strings.TrimSpace(in.Owner); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			id = -1 // not staff: the service says so
		}
		nt.OwnerID = id
	}
	if in.Due != "" {
		due, err := time.ParseInLocation(dueLayout, in.Due, rq.Zone)
		if err != nil {
			bad := backend.Invalid("invalid task", "due", "must be a date and time like 2026-11-26T17:00", backend.Problem{Key: "datetime"})
			return withFields(bad, c.svc.CheckTask(ctx, nt))
		}
		nt.Due = due
	}
	if nt.OwnerID < 0 {
		nt.OwnerID = 0
		err := backend.Invalid("invalid task", "owner", "must be an assistant or a manager", backend.Problem{Key: "task_owner"})
		return withFields(err, c.svc.CheckTask(ctx, nt))
	}
	_, err := c.svc.AddTask(ctx, rq.Me, number, nt)
	return err
}

// withFields adds to bad the fields of other (an EINVALID error) that bad
// does not name, and returns bad; any other error of other wins.
func withFields(bad *backend.Error, other error) error {
	if other == nil {
		return bad
	}
	if backend.ErrorCode(other) != backend.EINVALID {
		return other
	}
	e := other.(*backend.Error)
	for f, text := range e.Fields {
		if _, ok := bad.Fields[f]; ok {
			continue
		}
		bad.Fields[f] = text
		if p, ok := e.Problems[f]; ok {
			bad.Problems[f] = p
		}
	}
	return bad
}

// completeTask closes the task of the form, which must be one of the
// ticket's.
func (c *Console) completeTask(ctx context.Context, rq *req, number string, in complaintInput) error {
	id, err := c.ticketTask(ctx, rq, number, in.Task)
	if err != nil {
		return err
	}
	_, err = c.svc.CompleteTask(ctx, rq.Me, id, in.Result)
	return err
}

// objectTask records the viewer's objection to the task of the form.
func (c *Console) objectTask(ctx context.Context, rq *req, number string, in complaintInput) error {
	id, err := c.ticketTask(ctx, rq, number, in.Task)
	if err != nil {
		return err
	}
	_, err = c.svc.ObjectTask(ctx, rq.Me, id, in.Reason)
	return err
}

// changeTask gives the task of the form the owner and deadline it names
// (an empty one keeps the task's).
func (c *Console) changeTask(ctx context.Context, rq *req, number string, in complaintInput) error {
	id, err := c.ticketTask(ctx, rq, number, in.Task)
	if err != nil {
		return err
	}
	var ch backend.TaskChange
	if s := strings.TrimSpace(in.Owner); s != "" {
		if ch.OwnerID, err = strconv.ParseInt(s, 10, 64); err != nil || ch.OwnerID <= 0 {
			return backend.Invalid("invalid task", "owner", "must be an assistant or a manager", backend.Problem{Key: "task_owner"})
		}
	}
	if in.Due != "" {
		if ch.Due, err = time.ParseInLocation(dueLayout, in.Due, rq.Zone); err != nil {
			return backend.Invalid("invalid task", "due", "must be a date and time like 2026-11-26T17:00", backend.Problem{Key: "datetime"})
		}
	}
	_, err = c.svc.ChangeTask(ctx, rq.Me, id, ch)
	return err
}

// ticketTask is the id of the task a form names (T-3), which must be one
// of ticket number's: ENOTFOUND otherwise.
func (c *Console) ticketTask(ctx context.Context, rq *req, number, ref string) (int64, error) {
	id, ok := backend.ParseTaskRef(ref)
	notFound := backend.Keyed(backend.ENOTFOUND, "task", map[string]any{"ID": strings.TrimSpace(ref)}, "task %q not found", ref)
	if !ok {
		return 0, notFound
	}
	task, _, err := c.svc.Task(ctx, rq.Me, id)
	if err != nil {
		return 0, err
	}
	if !strings.EqualFold(task.Number, strings.TrimSpace(number)) {
		return 0, notFound
	}
	return id, nil
}

// customerReportData is the printable report to the customer (seed 001: the
// customer's requests, how each was handled, the root cause and the
// prevention measures, as the manager approved them).
type customerReportData struct {
	*req
	R          *req
	Title      string
	T          *backend.Ticket
	Customer   string
	Requests   string
	Done       []taskView
	Record     *backend.ComplaintRecord
	ApprovedBy string
	Date       string
}

// complaintReport shows the report to the customer, once the record is
// approved (409 before).
func (c *Console) complaintReport(w http.ResponseWriter, r *http.Request, rq *req) {
	ctx := r.Context()
	cp, err := c.svc.Complaint(ctx, rq.Me, r.PathValue("number"))
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	t := cp.Ticket.RedactedFor(rq.Me)
	if !cp.Record.Approved() {
		c.fail(w, r, rq, backend.Keyed(backend.ECONFLICT, "complaint_unapproved", map[string]any{"Number": t.Number},
			"the record of %s is not approved yet", t.Number))
		return
	}
	name := c.namer(ctx, rq)
	d := &customerReportData{req: rq, R: rq, Title: c.tr.T(rq.Loc, "web.complaint.report.title", map[string]any{"Number": t.Number}), T: t,
		Customer: t.Extra["customer"], Requests: t.Extra["requests"], Record: cp.Record, ApprovedBy: name(cp.Record.ApprovedBy),
		Date: c.cfg.Now().In(rq.Zone).Format("2006-01-02")}
	for _, tv := range c.taskViews(rq, cp, cp.Tasks, name) {
		if tv.T.Done() {
			d.Done = append(d.Done, tv)
		}
	}
	c.pages.Render(w, http.StatusOK, "complaintreport", "page", d)
}

// tasksData is the task list page.
type tasksData struct {
	*req
	R       *req
	Title   string
	All     bool // everyone's (managers)
	Done    bool // done ones too
	Manager bool
	Tasks   []taskView
}

// tasks lists the signed-in person's tasks, open ones first by deadline;
// ?all=1 everyone's (managers), ?done=1 the done ones too.
func (c *Console) tasks(w http.ResponseWriter, r *http.Request, rq *req) {
	ctx, q := r.Context(), r.URL.Query()
	d := &tasksData{req: rq, R: rq, Title: c.tr.T(rq.Loc, "web.tasks.title", nil), All: q.Get("all") == "1", Done: q.Get("done") == "1",
		Manager: rq.Me.SeesAll()}
	var list []*backend.Task
	var err error
	if d.All {
		list, err = c.svc.AllTasks(ctx, rq.Me, d.Done)
	} else {
		list, err = c.svc.MyTasks(ctx, rq.Me, d.Done)
	}
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	d.Tasks = c.taskViews(rq, nil, list, c.namer(ctx, rq))
	c.pages.Render(w, http.StatusOK, "tasks", "page", d)
}
