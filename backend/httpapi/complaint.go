package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// Complaints (DESIGN §5, seed 001): a complaint's tasks and closing
// record, the caller's tasks, and the steps that close a complaint. The
// service checks every role.
//
//	GET  /api/v1/tickets/{number}/complaint          tasks and record
//	POST /api/v1/tickets/{number}/tasks              {"title", "owner_id", "due"}
//	PUT  /api/v1/tickets/{number}/complaint/record   {"root_cause", "prevention"}
//	POST /api/v1/tickets/{number}/complaint/approve  (managers)
//	POST /api/v1/tickets/{number}/complaint/sent
//	GET  /api/v1/tasks                               mine; ?all=1 everyone's (managers); ?done=1 with the done ones
//	GET  /api/v1/tasks/{id}                          id as 12 or T-12
//	POST /api/v1/tasks/{id}/complete                 {"result"}
//	POST /api/v1/tasks/{id}/objection                {"reason"}: its owner objects
//	PATCH /api/v1/tasks/{id}                         {"owner_id", "due"}: another owner or deadline

// taskJSON is a complaint's task, or a consultation, as the API shows it.
type taskJSON struct {
	ID        int64      `json:"id"`
	Ref       string     `json:"ref"` // T-12
	Ticket    string     `json:"ticket"`
	Kind      string     `json:"kind"`              // complaint, consult
	TeamID    int64      `json:"team_id,omitempty"` // the team a consultation asks
	Title     string     `json:"title"`
	OwnerID   int64      `json:"owner_id"`
	Due       time.Time  `json:"due"`
	State     string     `json:"state"` // open, overdue, done
	CreatedBy int64      `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	DoneBy    int64      `json:"done_by,omitempty"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
	Result    string     `json:"result,omitempty"`
	// Objection is its owner's objection, while it stands (seed 001).
	Objection  string     `json:"objection,omitempty"`
	ObjectedAt *time.Time `json:"objected_at,omitempty"`
}

func taskOut(t *backend.Task, now time.Time) *taskJSON {
	return &taskJSON{ID: t.ID, Ref: backend.TaskRef(t.ID), Ticket: t.Number, Kind: string(t.Kind.OrDefault()), TeamID: t.TeamID, Title: t.Title, OwnerID: t.OwnerID, Due: t.Due,
		State: t.State(now), CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, DoneBy: t.DoneBy, DoneAt: optTime(t.DoneAt), Result: t.Result,
		Objection: t.Objection, ObjectedAt: optTime(t.ObjectedAt)}
}

func (s *Server) tasksOut(list []*backend.Task) []*taskJSON {
	now := s.svc.Now()
	out := make([]*taskJSON, 0, len(list))
	for _, t := range list {
		out = append(out, taskOut(t, now))
	}
	return out
}

// recordJSON is a complaint's closing record; what did not happen yet is
// left out. A reporter sees only sent_at.
type recordJSON struct {
	RootCause  string     `json:"root_cause,omitempty"`
	Prevention string     `json:"prevention,omitempty"`
	RecordedBy int64      `json:"recorded_by,omitempty"`
	RecordedAt *time.Time `json:"recorded_at,omitempty"`
	Approved   bool       `json:"approved"`
	ApprovedBy int64      `json:"approved_by,omitempty"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
	Sent       bool       `json:"sent"`
	SentBy     int64      `json:"sent_by,omitempty"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
}

func recordOut(r *backend.ComplaintRecord) *recordJSON {
	if r == nil {
		return nil
	}
	return &recordJSON{RootCause: r.RootCause, Prevention: r.Prevention, RecordedBy: r.RecordedBy, RecordedAt: optTime(r.RecordedAt),
		Approved: r.Approved(), ApprovedBy: r.ApprovedBy, ApprovedAt: optTime(r.ApprovedAt),
		Sent: r.Sent(), SentBy: r.SentBy, SentAt: optTime(r.SentAt)}
}

// complaintJSON is the body of GET /api/v1/tickets/{number}/complaint.
type complaintJSON struct {
	Ticket    string      `json:"ticket"`
	Tasks     []*taskJSON `json:"tasks"`
	OpenTasks int         `json:"open_tasks"`
	Record    *recordJSON `json:"record"` // null until written
}

// getComplaint: GET /api/v1/tickets/{number}/complaint
func (s *Server) getComplaint(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	c, err := s.svc.Complaint(r.Context(), actor, r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, complaintJSON{Ticket: c.Ticket.Number, Tasks: s.tasksOut(c.Tasks), OpenTasks: c.OpenTasks(), Record: recordOut(c.Record)})
	return nil
}

// addTask: POST /api/v1/tickets/{number}/tasks {"title", "owner_id", "due"}
// (due RFC 3339). One 400 names every bad field.
func (s *Server) addTask(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		Title   string `json:"title"`
		OwnerID int64  `json:"owner_id"`
		Due     string `json:"due"`
	}
	var p problems
	if err := decodeBody(w, r, &in, &p); err != nil {
		return err
	}
	nt := backend.NewTask{Title: in.Title, OwnerID: in.OwnerID}
	if in.Due != "" {
		due, err := time.Parse(time.RFC3339, in.Due)
		if err != nil {
			p.add("due", "must be an RFC 3339 time like 2026-11-26T17:00:00+08:00")
		}
		nt.Due = due
	}
	if len(p.fields) > 0 {
		if err := p.merge(asRequest(s.svc.CheckTask(r.Context(), nt), taskFields)); err != nil {
			return err
		}
		return p.err("invalid task")
	}
	t, err := s.svc.AddTask(r.Context(), actor, r.PathValue("number"), nt)
	if err != nil {
		return asRequest(err, taskFields)
	}
	w.Header().Set("Location", "/api/v1/tasks/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, taskOut(t, s.svc.Now()))
	return nil
}

// taskFields names the service's fields of a task as the body does.
var taskFields = map[string]string{"owner": "owner_id"}

// listTasks: GET /api/v1/tasks?all=1&done=1
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	q := r.URL.Query()
	fe := map[string]string{}
	flag := func(name string) bool {
		switch v := q.Get(name); v {
		case "", "0", "false":
			return false
		case "1", "true":
			return true
		}
		fe[name] = "must be 1 or 0"
		return false
	}
	all, done := flag("all"), flag("done")
	if len(fe) > 0 {
		return &backend.Error{Code: backend.EINVALID, Message: "invalid filter", Fields: fe}
	}
	var list []*backend.Task
	var err error
	if all {
		list, err = s.svc.AllTasks(r.Context(), actor, done)
	} else {
		list, err = s.svc.MyTasks(r.Context(), actor, done)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": s.tasksOut(list)})
	return nil
}

// taskID reads the task of the path (12 or T-12); ENOTFOUND otherwise.
func taskID(r *http.Request) (int64, error) {
	id, ok := backend.ParseTaskRef(r.PathValue("id"))
	if !ok {
		return 0, backend.Keyed(backend.ENOTFOUND, "task", map[string]any{"ID": r.PathValue("id")}, "task %q not found", r.PathValue("id"))
	}
	return id, nil
}

// getTask: GET /api/v1/tasks/{id}
func (s *Server) getTask(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	id, err := taskID(r)
	if err != nil {
		return err
	}
	t, _, err := s.svc.Task(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, taskOut(t, s.svc.Now()))
	return nil
}

// completeTask: POST /api/v1/tasks/{id}/complete {"result"}
func (s *Server) completeTask(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	id, err := taskID(r)
	if err != nil {
		return err
	}
	var in struct {
		Result string `json:"result"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.svc.CompleteTask(r.Context(), actor, id, in.Result)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, taskOut(t, s.svc.Now()))
	return nil
}

// objectTask: POST /api/v1/tasks/{id}/objection {"reason"}: its owner
// objects to it as planned.
func (s *Server) objectTask(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	id, err := taskID(r)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.svc.ObjectTask(r.Context(), actor, id, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, taskOut(t, s.svc.Now()))
	return nil
}

// changeTask: PATCH /api/v1/tasks/{id} {"owner_id", "due"}: another owner
// or deadline (either may be left out).
func (s *Server) changeTask(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	id, err := taskID(r)
	if err != nil {
		return err
	}
	var in struct {
		OwnerID int64  `json:"owner_id"`
		Due     string `json:"due"`
	}
	var p problems
	if err := decodeBody(w, r, &in, &p); err != nil {
		return err
	}
	ch := backend.TaskChange{OwnerID: in.OwnerID}
	if in.Due != "" {
		if ch.Due, err = time.Parse(time.RFC3339, in.Due); err != nil {
			p.add("due", "must be an RFC 3339 time like 2026-11-26T17:00:00+08:00")
			return p.err("invalid task")
		}
	}
	t, err := s.svc.ChangeTask(r.Context(), actor, id, ch)
	if err != nil {
		return asRequest(err, taskFields)
	}
	writeJSON(w, http.StatusOK, taskOut(t, s.svc.Now()))
	return nil
}

// putRecord: PUT /api/v1/tickets/{number}/complaint/record
// {"root_cause", "prevention"}; rewriting an approved record takes the
// approval back.
func (s *Server) putRecord(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		RootCause  string `json:"root_cause"`
		Prevention string `json:"prevention"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	rec, err := s.svc.RecordCause(r.Context(), actor, r.PathValue("number"), in.RootCause, in.Prevention)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recordOut(rec))
	return nil
}

// approveComplaint: POST /api/v1/tickets/{number}/complaint/approve
func (s *Server) approveComplaint(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	rec, err := s.svc.ApproveComplaint(r.Context(), actor, r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recordOut(rec))
	return nil
}

// complaintSent: POST /api/v1/tickets/{number}/complaint/sent
func (s *Server) complaintSent(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	rec, err := s.svc.MarkSentToCustomer(r.Context(), actor, r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recordOut(rec))
	return nil
}
