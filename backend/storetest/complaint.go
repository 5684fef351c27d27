package storetest

import (
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// addTask appends a task to tk as the service does and returns it.
func addTask(tb testing.TB, s backend.Store, tk *backend.Ticket, title string, owner int64, due time.Time) *backend.Task {
	tb.Helper()
	k := &backend.Task{Title: title, OwnerID: owner, Due: due, CreatedBy: owner}
	ev := &backend.Event{Kind: backend.EventTask, ActorID: owner, Public: true, Body: title,
		Data: backend.EventData{TaskStep: backend.TaskAdded, AssigneeID: owner, Due: due}}
	must(tb, s.UpdateTicket(tb.Context(), tk, []backend.Change{{Event: ev, Task: k}}))
	if k.ID == 0 || k.TicketID != tk.ID || ev.Data.TaskID != k.ID {
		tb.Fatalf("task not stamped: %s (event data %s)", dump(k), dump(ev.Data))
	}
	k.Number = tk.Number // the reads fill it in
	return k
}

func taskIDs(ks []*backend.Task) []int64 { return ids(ks, func(k *backend.Task) int64 { return k.ID }) }

func testComplaint(t *testing.T, newStore NewStoreFunc) {
	at := time.Date(2026, 11, 24, 9, 30, 0, 123456789, cst)
	t.Run("Tasks", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		inClock := clockRange(t)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		a := createPerson(t, s, "quality", 0, backend.RoleAssistant)
		b := createPerson(t, s, "purchasing", 0, backend.RoleAssistant)
		tk := createTicket(t, s, fullTicket(rep.ID), "CP", day)
		other := createTicket(t, s, fullTicket(rep.ID), "CP", day)

		k1 := addTask(t, s, tk, "派人到客户现场处理不良品", a.ID, at.Add(24*time.Hour))
		inClock("CreatedAt", k1.CreatedAt)
		equal(t, "Due normalised", k1.Due, norm(at.Add(24*time.Hour)))
		k2 := addTask(t, s, tk, "七天内查明原因并提出预防措施", b.ID, at.Add(7*24*time.Hour))
		k3 := addTask(t, s, other, "回访客户", a.ID, at.Add(2*time.Hour))
		got, err := s.Task(ctx, k1.ID)
		must(t, err)
		equal(t, "Task", got, k1)
		_, err = s.Task(ctx, missing)
		wantCode(t, err, backend.ENOTFOUND)
		equal(t, "ticket version", getTicket(t, s, tk.Number).Version, int64(3))

		list := func(f backend.TaskFilter) []int64 {
			t.Helper()
			ks, err := s.Tasks(ctx, f)
			must(t, err)
			return taskIDs(ks)
		}
		equal(t, "all", list(backend.TaskFilter{}), []int64{k1.ID, k2.ID, k3.ID})
		equal(t, "of a ticket", list(backend.TaskFilter{TicketID: tk.ID}), []int64{k1.ID, k2.ID})
		equal(t, "of an owner", list(backend.TaskFilter{OwnerID: a.ID}), []int64{k1.ID, k3.ID})
		equal(t, "due by a day", list(backend.TaskFilter{DueUntil: at.Add(24 * time.Hour)}), []int64{k1.ID, k3.ID})
		equal(t, "after", list(backend.TaskFilter{After: k1.ID, Limit: 1}), []int64{k2.ID})
		equal(t, "none", list(backend.TaskFilter{OwnerID: rep.ID}), []int64{})

		// Done: saved with the ticket; ticket and creation stay as stored.
		done := *k1
		done.CreatedBy, done.CreatedAt = 0, time.Time{}
		done.DoneBy, done.DoneAt, done.Result = a.ID, at.Add(3*time.Hour+999), "已更换不良品 200 支"
		ev := &backend.Event{Kind: backend.EventTask, ActorID: a.ID, Public: true, Body: done.Result,
			Data: backend.EventData{TaskID: k1.ID, TaskStep: backend.TaskDone}}
		must(t, s.UpdateTicket(ctx, tk, []backend.Change{{Event: ev, Task: &done}}))
		if done.CreatedBy != k1.CreatedBy || !done.CreatedAt.Equal(k1.CreatedAt) || !done.DoneAt.Equal(norm(at.Add(3*time.Hour+999))) {
			t.Fatalf("saved task: %s", dump(done))
		}
		got, err = s.Task(ctx, k1.ID)
		must(t, err)
		equal(t, "done task", got, &done)
		equal(t, "open", list(backend.TaskFilter{Open: true}), []int64{k2.ID, k3.ID})

		// A task saved with another ticket is not found, and nothing is written.
		stray := *k2
		stray.Result = "错写到别的投诉"
		err = s.UpdateTicket(ctx, other, []backend.Change{{Event: &backend.Event{Kind: backend.EventTask}, Task: &stray}})
		wantCode(t, err, backend.ENOTFOUND)
		got, err = s.Task(ctx, k2.ID)
		must(t, err)
		equal(t, "untouched", got.Result, "")

		// Reminded once: the first time stays.
		must(t, s.MarkTaskReminded(ctx, k3.ID, at))
		must(t, s.MarkTaskReminded(ctx, k3.ID, at.Add(time.Hour)))
		got, err = s.Task(ctx, k3.ID)
		must(t, err)
		equal(t, "RemindedAt", got.RemindedAt, norm(at))
		equal(t, "unreminded", list(backend.TaskFilter{Unreminded: true}), []int64{k1.ID, k2.ID})
		wantCode(t, s.MarkTaskReminded(ctx, missing, at), backend.ENOTFOUND)

		// A copy read before the reminder keeps it while the deadline
		// stays; a new deadline is reminded of anew.
		stale := *k3
		stale.Objection, stale.ObjectedAt = "人手不够", at.Add(time.Minute)
		must(t, s.UpdateTicket(ctx, other, []backend.Change{{Event: &backend.Event{Kind: backend.EventTask}, Task: &stale}}))
		equal(t, "RemindedAt returned", stale.RemindedAt, norm(at))
		got, err = s.Task(ctx, k3.ID)
		must(t, err)
		equal(t, "RemindedAt kept", got.RemindedAt, norm(at))
		equal(t, "Objection", got.Objection, "人手不够")
		moved := *got
		moved.Due, moved.RemindedAt = at.Add(5*time.Hour), time.Time{}
		must(t, s.UpdateTicket(ctx, other, []backend.Change{{Event: &backend.Event{Kind: backend.EventTask}, Task: &moved}}))
		got, err = s.Task(ctx, k3.ID)
		must(t, err)
		equal(t, "RemindedAt after a new deadline", got.RemindedAt, time.Time{})
		equal(t, "unreminded again", list(backend.TaskFilter{Unreminded: true}), []int64{k1.ID, k2.ID, k3.ID})

		// A new ticket has no tasks.
		err = s.CreateTicket(ctx, fullTicket(rep.ID), "CP", day, []backend.Change{{Event: &backend.Event{Kind: backend.EventCreated}, Task: &backend.Task{Title: "x", OwnerID: a.ID, Due: at}}})
		wantCode(t, err, backend.EINVALID)
	})
	t.Run("Record", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		mgr := createPerson(t, s, "mgr", 0, backend.RoleManager)
		tk := createTicket(t, s, fullTicket(rep.ID), "CP", day)
		_, err := s.ComplaintRecord(ctx, tk.ID)
		wantCode(t, err, backend.ENOTFOUND)

		rec := &backend.ComplaintRecord{RootCause: "运输途中包装箱进水", Prevention: "托盘外包装加裹尼龙膜", RecordedBy: mgr.ID, RecordedAt: at}
		ev := &backend.Event{Kind: backend.EventComplaint, ActorID: mgr.ID, Data: backend.EventData{RecordStep: backend.StepCause}}
		must(t, s.UpdateTicket(ctx, tk, []backend.Change{{Event: ev, Complaint: rec}}))
		equal(t, "TicketID", rec.TicketID, tk.ID)
		got, err := s.ComplaintRecord(ctx, tk.ID)
		must(t, err)
		equal(t, "record", got, &backend.ComplaintRecord{TicketID: tk.ID, RootCause: rec.RootCause, Prevention: rec.Prevention,
			RecordedBy: mgr.ID, RecordedAt: norm(at)})

		// Replaced as a whole.
		approved := *got
		approved.ApprovedBy, approved.ApprovedAt = mgr.ID, at.Add(time.Hour)
		approved.SentBy, approved.SentAt = mgr.ID, at.Add(2*time.Hour)
		ev = &backend.Event{Kind: backend.EventComplaint, ActorID: mgr.ID, Data: backend.EventData{RecordStep: backend.StepApproved}}
		must(t, s.UpdateTicket(ctx, tk, []backend.Change{{Event: ev, Complaint: &approved}}))
		got, err = s.ComplaintRecord(ctx, tk.ID)
		must(t, err)
		if !got.Approved() || !got.Sent() || !got.ApprovedAt.Equal(norm(at.Add(time.Hour))) {
			t.Fatalf("approved record: %s", dump(got))
		}
		evs := events(t, s, tk.ID)
		equal(t, "record step", evs[len(evs)-1].Data.RecordStep, backend.StepApproved)
	})
}
