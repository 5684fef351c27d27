package backend_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// TestConsult (seed 002 跨部门协作: 主责部门需牵头协调, 协同部门需在24小时内反馈处理
// 意见): the assignee of a ticket of team A asks team B for its opinion;
// team B's assistant sees the ticket and answers, the assignee hears it;
// the reporter hears nothing of it, and a complaint's plan does not count
// it. Mistakes lose nothing and say which field is wrong.
func TestConsult(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := teamChats(t, newStore(t), backend.ServiceConfig{})
		tk := f.annHolds(t)
		f.sent(t)
		ask := backend.NewConsult{TeamID: f.teamB.ID, Question: "  这个按钮的文案是否需要产品部确认？  "}

		// Before: team B does not see the ticket.
		if _, err := f.svc.Ticket(ctx, f.otherTeam, tk.Number); backend.ErrorCode(err) != backend.EFORBIDDEN {
			t.Fatalf("olga sees the ticket before she is asked: %v", err)
		}
		// Mistakes: every bad field is named; nothing is written.
		_, err := f.svc.Consult(ctx, f.ann, tk.Number, backend.NewConsult{TeamID: 987654, Question: "x", Due: f.now.Add(-time.Hour)})
		wantFields(t, err, "due", "question", "team")
		_, err = f.svc.Consult(ctx, f.ann, tk.Number, backend.NewConsult{TeamID: f.teamA.ID, Question: "问问自己"})
		wantFields(t, err, "team")
		if be := (*backend.Error)(nil); !errors.As(err, &be) || be.Problems["team"].Key != "consult_own_team" {
			t.Fatalf("own team: %#v", err)
		}
		_, err = f.svc.Consult(ctx, f.ann, tk.Number, backend.NewConsult{TeamID: f.teamB.ID, OwnerID: f.amy.ID, Question: "请确认"})
		wantFields(t, err, "owner")                                          // amy is of team A
		for _, who := range []*backend.Person{f.amy, f.alice, f.otherTeam} { // a teammate, the reporter, team B
			if _, err := f.svc.Consult(ctx, who, tk.Number, ask); err == nil {
				t.Errorf("%s asked for an opinion", who.Name)
			}
		}
		// The reporter learns nothing of teams and staff from the fields.
		_, err = f.svc.Consult(ctx, f.alice, tk.Number, backend.NewConsult{TeamID: 987654, OwnerID: f.amy.ID, Question: "x"})
		wantCode(t, err, backend.EFORBIDDEN)
		if got := f.toldOf(t, tk, backend.EventTask); len(got) != 0 {
			t.Fatalf("refused consultations were sent: %v", got)
		}

		// The assignee asks team B: its only staff member, olga, answers
		// within a day; only she is told.
		task, err := f.svc.Consult(ctx, f.ann, tk.Number, ask)
		if err != nil {
			t.Fatal(err)
		}
		if !task.Consult() || task.TeamID != f.teamB.ID || task.OwnerID != f.otherTeam.ID || task.Title != "这个按钮的文案是否需要产品部确认？" ||
			!task.Due.Equal(f.now.Add(backend.ConsultDue)) || task.CreatedBy != f.ann.ID {
			t.Fatalf("consultation = %+v", task)
		}
		olga := "person:" + strconv.FormatInt(f.otherTeam.ID, 10)
		if got := f.toldOf(t, tk, backend.EventTask); !slices.Equal(got, []string{olga}) {
			t.Fatalf("asked: told %v, want %v", got, []string{olga})
		}
		e := f.lastTaskEvent(t, tk)
		if e.Public || e.Data.TaskKind != backend.TaskConsult || e.Data.TeamName != "product" ||
			e.Data.AssigneeID != f.otherTeam.ID || e.Body != task.Title {
			t.Fatalf("event = %+v, want a staff-only consultation of product", e)
		}
		_, err = f.svc.Consult(ctx, f.manager, tk.Number, ask)
		if backend.ErrorCode(err) != backend.ECONFLICT || backend.ErrorKey(err) != "consult_open" {
			t.Fatalf("asked twice: %v, want consult_open", err)
		}

		// Team B sees the ticket now, and its consultations; the
		// reporter sees neither. Team B reads the ticket and answers; it
		// does not handle it.
		if _, err := f.svc.Ticket(ctx, f.otherTeam, tk.Number); err != nil {
			t.Fatalf("olga cannot open the ticket she is asked about: %v", err)
		}
		if _, err := f.svc.Resolve(ctx, f.otherTeam, tk.Number, "我来解决"); backend.ErrorCode(err) != backend.EFORBIDDEN {
			t.Fatalf("olga, asked for her opinion, resolved the ticket: %v", err)
		}
		if _, err := f.svc.Comment(ctx, f.otherTeam, tk.Number, "直接回复报告人", true); backend.ErrorCode(err) != backend.EFORBIDDEN {
			t.Fatalf("olga, asked for her opinion, replied to the reporter: %v", err)
		}
		if _, _, err := f.svc.Task(ctx, f.alice, task.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Fatalf("the reporter reads the consultation: %v", err)
		}
		list, err := f.svc.Consults(ctx, f.otherTeam, tk.Number)
		if err != nil || len(list) != 1 || list[0].ID != task.ID {
			t.Fatalf("olga's list: %v, %v", list, err)
		}
		_, err = f.svc.Consults(ctx, f.alice, tk.Number)
		wantCode(t, err, backend.EFORBIDDEN)
		if mine, err := f.svc.MyTasks(ctx, f.otherTeam, false); err != nil || len(mine) != 1 || mine[0].ID != task.ID {
			t.Fatalf("olga's tasks: %v, %v", mine, err)
		}

		// A colleague of olga's joins team B: staff of the team asked may
		// answer, others may not.
		bea := &backend.Person{Name: "bea", Roles: []backend.Role{backend.RoleAssistant}, TeamID: f.teamB.ID}
		if err := f.svc.CreatePerson(ctx, bea); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CompleteTask(ctx, f.amy, task.ID, "我觉得不用"); backend.ErrorCode(err) != backend.EFORBIDDEN {
			t.Fatalf("amy (team A) gave team B's opinion: %v", err)
		}
		if _, _, err := f.svc.TaskToComplete(ctx, f.amy, task.ID); backend.ErrorKey(err) != "consult_answer_who" {
			t.Fatalf("amy's ✅: %v, want consult_answer_who", err)
		}
		if _, _, err := f.svc.TaskToComplete(ctx, bea, task.ID); err != nil {
			t.Fatalf("bea's ✅: %v", err)
		}
		done, err := f.svc.CompleteTask(ctx, bea, task.ID, "需要，文案按产品规范改为“提交”")
		if err != nil {
			t.Fatal(err)
		}
		if !done.Done() || done.DoneBy != bea.ID || !done.Consult() {
			t.Fatalf("answered: %+v", done)
		}
		ann := "assignee:" + strconv.FormatInt(f.ann.ID, 10)
		if got := f.toldOf(t, tk, backend.EventTask); !slices.Equal(got, []string{ann}) {
			t.Fatalf("answered: told %v, want %v (never the reporter)", got, []string{ann})
		}
		if e := f.lastTaskEvent(t, tk); e.Public || e.Data.TaskStep != backend.TaskDone || e.Data.TaskKind != backend.TaskConsult || e.Data.TeamName != "product" {
			t.Fatalf("opinion event = %+v", e)
		}
		if got, err := f.svc.Ticket(ctx, f.alice, tk.Number); err != nil || got.Status != backend.StatusAssigned {
			t.Fatalf("the ticket after the opinion: %v, %v", got, err)
		}
		// Answered: team B no longer sees the ticket.
		if _, err := f.svc.Ticket(ctx, f.otherTeam, tk.Number); backend.ErrorCode(err) != backend.EFORBIDDEN {
			t.Fatalf("olga still sees the ticket once answered: %v", err)
		}
		// Asked again once answered: a new consultation.
		if _, err := f.svc.Consult(ctx, f.ann, tk.Number, backend.NewConsult{TeamID: f.teamB.ID, Question: "上线时间呢？"}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConsultOverdue: an opinion not given in a day reminds, once, the
// one asked, the ticket's assignee and the managers of the team asked;
// a team led by someone answers through its lead.
func TestConsultOverdue(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := teamChats(t, newStore(t), backend.ServiceConfig{})
		boss := &backend.Person{Name: "pat", Roles: []backend.Role{backend.RoleManager}, TeamID: f.teamB.ID}
		if err := f.svc.CreatePerson(ctx, boss); err != nil {
			t.Fatal(err)
		}
		tk := f.annHolds(t)
		// Without a lead, a manager of the team answers before its assistants.
		task, err := f.svc.Consult(ctx, f.ann, tk.Number, backend.NewConsult{TeamID: f.teamB.ID, Question: "需要产品部评估"})
		if err != nil {
			t.Fatal(err)
		}
		if task.OwnerID != boss.ID {
			t.Fatalf("owner %d, want pat (%d), the team's manager", task.OwnerID, boss.ID)
		}
		if err := f.store.SetTeamLead(ctx, f.teamB.ID, f.otherTeam.ID); err != nil {
			t.Fatal(err)
		}
		tk2 := f.annHolds(t)
		led, err := f.svc.Consult(ctx, f.ann, tk2.Number, backend.NewConsult{TeamID: f.teamB.ID, Question: "需要产品部评估"})
		if err != nil {
			t.Fatal(err)
		}
		if led.OwnerID != f.otherTeam.ID {
			t.Fatalf("owner %d, want olga (%d), the team's lead", led.OwnerID, f.otherTeam.ID)
		}
		f.sent(t)

		f.now = f.now.Add(backend.ConsultDue - time.Minute)
		if n, err := f.svc.RemindOverdueTasks(ctx); err != nil || n != 0 {
			t.Fatalf("before the day is over: %d reminders, %v", n, err)
		}
		f.now = f.now.Add(2 * time.Minute)
		if n, err := f.svc.RemindOverdueTasks(ctx); err != nil || n != 2 {
			t.Fatalf("a day later: %d reminders, %v; want 2", n, err)
		}
		sent := f.sent(t)
		told := func(tk *backend.Ticket) []string {
			var got []string
			for _, m := range sent[tk.ID] {
				got = append(got, string(m.Audience)+":"+strconv.FormatInt(m.RecipientID, 10))
			}
			slices.Sort(got)
			return got
		}
		ann, pat := "assignee:"+strconv.FormatInt(f.ann.ID, 10), "person:"+strconv.FormatInt(boss.ID, 10)
		// pat owns the first (and manages team B): told once; ann holds the ticket.
		if got, want := told(tk), []string{ann, pat}; !slices.Equal(got, want) {
			t.Fatalf("overdue: told %v, want %v", got, want)
		}
		// olga owns the second: her manager hears it too.
		if got, want := told(tk2), []string{ann, "person:" + strconv.FormatInt(f.otherTeam.ID, 10), pat}; !slices.Equal(got, want) {
			t.Fatalf("overdue with a lead: told %v, want %v", got, want)
		}
		if e := f.lastTaskEvent(t, tk); e.Public || e.Data.TaskStep != backend.TaskOverdue || e.Data.TaskKind != backend.TaskConsult {
			t.Fatalf("overdue event = %+v", e)
		}
		if n, err := f.svc.RemindOverdueTasks(ctx); err != nil || n != 0 {
			t.Fatalf("again: %d reminders, %v", n, err)
		}

		// An opinion no longer needed (the ticket was solved) is not chased.
		tk3 := f.annHolds(t)
		if _, err := f.svc.Consult(ctx, f.ann, tk3.Number, backend.NewConsult{TeamID: f.teamB.ID, Question: "还需要吗？"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Resolve(ctx, f.ann, tk3.Number, "已修复"); err != nil {
			t.Fatal(err)
		}
		f.sent(t)
		f.now = f.now.Add(2 * backend.ConsultDue)
		if n, err := f.svc.RemindOverdueTasks(ctx); err != nil || n != 0 {
			t.Fatalf("a solved ticket's consultation: %d reminders, %v", n, err)
		}
	})
}

// TestConsultComplaint: a complaint's own tasks and a consultation on it
// are apart: the complaint's plan (what its reporter follows) lists only
// its tasks, and its last task done says all are done while the
// consultation waits.
func TestConsultComplaint(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		tk := f.complaint(t, f.alice)
		task, err := f.svc.AddTask(ctx, f.ann, tk.Number, backend.NewTask{Title: "上门处理", OwnerID: f.amy.ID, Due: f.now.Add(48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		consult, err := f.svc.Consult(ctx, f.ann, tk.Number, backend.NewConsult{TeamID: f.teamB.ID, Question: "质量部怎么看？"})
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.svc.Complaint(ctx, f.alice, tk.Number)
		if err != nil || len(c.Tasks) != 1 || c.Tasks[0].ID != task.ID {
			t.Fatalf("the reporter's plan: %v, %v", c, err)
		}
		if _, err := f.svc.CompleteTask(ctx, f.amy, task.ID, "已上门更换"); err != nil {
			t.Fatal(err)
		}
		if e := f.lastTaskEvent(t, tk); e.Data.TasksLeft != 0 || !e.Public {
			t.Fatalf("the last task done: %+v (the consultation %s is not the complaint's)", e.Data, backend.TaskRef(consult.ID))
		}
	})
}

// lastTaskEvent is the latest task event of tk's thread.
func (f *fixture) lastTaskEvent(t *testing.T, tk *backend.Ticket) *backend.Event {
	t.Helper()
	events, err := f.store.Events(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Kind == backend.EventTask {
			return events[i]
		}
	}
	t.Fatalf("no task event on %s", tk.Number)
	return nil
}

// annHolds files a ticket of team A for alice, claimed by ann.
func (f *fixture) annHolds(t *testing.T) *backend.Ticket {
	t.Helper()
	tk := f.create(t, f.alice, inCategory("A"))
	if _, err := f.svc.Claim(context.Background(), f.ann, tk.Number); err != nil {
		t.Fatal(err)
	}
	return tk
}
