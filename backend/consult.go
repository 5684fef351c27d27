package backend

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Consultations (DESIGN §3, seed 002 操作关键注意事项, 跨部门协作: "涉及多部门的
// 反馈, 主责部门需牵头协调, 协同部门需在24小时内反馈处理意见"): the team handling
// a ticket (its lead department) asks another team for its opinion. A
// consultation is a task of the ticket (TaskConsult) owned by someone of
// that team, due within ConsultDue; the opinion is its result
// (CompleteTask). It is staff-only: the reporter hears the outcome from
// the assignee. Its owner and the team's other staff see the ticket
// (Service.Ticket); an opinion not given in time reminds the owner, the
// ticket's assignee and the team's managers, once (RemindOverdueTasks).

// ConsultDue is how long a team has to give its opinion (seed 002: 24小时内).
const ConsultDue = 24 * time.Hour

// maxConsultQuestion bounds a consultation's question, in characters.
const maxConsultQuestion = 500

// NewConsult is what asking a team for its opinion takes.
type NewConsult struct {
	TeamID int64
	// OwnerID is who of the team answers; 0: its lead, else its first
	// manager, else its first assistant.
	OwnerID  int64
	Question string
	// Due is when the opinion is due; zero: ConsultDue from now.
	Due time.Time
}

// Consult asks team in.TeamID for its opinion on an open ticket: the
// ticket's assignee or a manager (or admin) may. The owner is told. One
// open consultation per team and ticket: ECONFLICT (consult_open) while
// one waits. EINVALID names bad fields: the team (unknown, the ticket's
// own, or with no staff to answer), the owner (not staff of that team),
// the question (2–500 characters), the deadline (not in the future).
func (s *Service) Consult(ctx context.Context, actor *Person, number string, in NewConsult) (*Task, error) {
	if !actor.Handles() { // before the fields, which name teams and staff
		return nil, Keyed(EFORBIDDEN, "consult_who", map[string]any{"Number": strings.ToUpper(strings.TrimSpace(number))},
			"only the assignee of %s and managers may ask another team for its opinion", number)
	}
	in.Question = strings.TrimSpace(in.Question)
	now := s.now()
	if in.Due.IsZero() {
		in.Due = now.Add(ConsultDue)
	}
	in.Due = in.Due.UTC().Truncate(time.Microsecond)
	team, owner, err := s.consultFields(ctx, now, &in)
	if err != nil {
		return nil, err
	}
	task := &Task{}
	_, err = s.update(ctx, actor, number, func(t *Ticket, now time.Time) ([]Change, error) {
		if !actor.Handles() || !actor.SeesAll() && (t.AssigneeID == 0 || t.AssigneeID != actor.ID) {
			return nil, Keyed(EFORBIDDEN, "consult_who", map[string]any{"Number": t.Number},
				"only the assignee of %s and managers may ask another team for its opinion", t.Number)
		}
		if !t.Status.Open() {
			return nil, Keyed(ECONFLICT, "status", map[string]any{"Number": t.Number, "Status": t.Status}, "ticket %s is %s", t.Number, t.Status)
		}
		if t.TeamID == team.ID {
			return nil, Invalid("the ticket's own team", "team", "the ticket is with this team already",
				Problem{Key: "consult_own_team", Args: map[string]any{"Team": team.Name}})
		}
		open, err := s.store.Tasks(ctx, TaskFilter{TicketID: t.ID, Kind: TaskConsult, TeamID: team.ID, Open: true, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(open) > 0 {
			return nil, Keyed(ECONFLICT, "consult_open", map[string]any{"Number": t.Number, "Team": team.Name, "Task": TaskRef(open[0].ID)},
				"%s waits for the opinion of %s already (%s)", t.Number, team.Name, TaskRef(open[0].ID))
		}
		*task = Task{TicketID: t.ID, Number: t.Number, Kind: TaskConsult, TeamID: team.ID, Title: in.Question, OwnerID: owner.ID,
			Due: in.Due, CreatedBy: actor.ID, CreatedAt: now}
		ev := &Event{Kind: EventTask, ActorID: actor.ID, At: now, Body: in.Question,
			Data: EventData{TaskStep: TaskAdded, TaskKind: TaskConsult, AssigneeID: owner.ID, TeamID: team.ID, TeamName: team.Name, Due: in.Due}}
		c := Change{Event: ev, Task: task}
		if owner.ID != actor.ID {
			c.Notify = []*OutboxMessage{{Audience: AudiencePerson, RecipientID: owner.ID}}
		}
		return []Change{c}, nil
	})
	if err != nil {
		return nil, err
	}
	return task, nil
}

// consultFields checks what in names, as one EINVALID for every bad
// field, and returns the team and who of it answers.
func (s *Service) consultFields(ctx context.Context, now time.Time, in *NewConsult) (*Team, *Person, error) {
	var fe fieldErrors
	checkText(&fe, "question", in.Question, 2, maxConsultQuestion)
	if !in.Due.After(now) {
		fe.add("due", Problem{Key: "past"}, "must be in the future")
	}
	var team *Team
	var owner *Person
	switch t, err := s.store.Team(ctx, in.TeamID); {
	case in.TeamID <= 0:
		fe.add("team", Problem{Key: "required"}, "required")
	case ErrorCode(err) == ENOTFOUND:
		fe.add("team", Problem{Key: "unknown_team", Args: map[string]any{"ID": in.TeamID}}, "no team %d", in.TeamID)
	case err != nil:
		return nil, nil, err
	default:
		team = t
		if owner, err = s.consultOwner(ctx, t, in.OwnerID); err != nil {
			return nil, nil, err
		}
		switch {
		case owner != nil:
		case in.OwnerID != 0:
			fe.add("owner", Problem{Key: "consult_owner", Args: map[string]any{"Team": t.Name}}, "must be an assistant or a manager of %s", t.Name)
		default:
			fe.add("team", Problem{Key: "consult_nobody", Args: map[string]any{"Team": t.Name}}, "%s has no assistant or manager to answer", t.Name)
		}
	}
	if err := fe.err("consultation"); err != nil {
		return nil, nil, err
	}
	return team, owner, nil
}

// consultOwner is who of team answers a consultation: the person id
// names when set (nil unless they are active staff of the team, or its
// lead), else its lead, else its first manager, else its first assistant
// (nil when it has none).
func (s *Service) consultOwner(ctx context.Context, team *Team, id int64) (*Person, error) {
	answers := func(p *Person) bool {
		return p.Active() && p.Handles() && (p.TeamID == team.ID || p.ID == team.LeadID)
	}
	person := func(id int64) (*Person, error) {
		p, err := s.store.Person(ctx, id)
		switch {
		case ErrorCode(err) == ENOTFOUND:
			return nil, nil
		case err != nil:
			return nil, err
		case !answers(p):
			return nil, nil
		}
		return p, nil
	}
	if id != 0 {
		return person(id)
	}
	if team.LeadID != 0 {
		if p, err := person(team.LeadID); p != nil || err != nil {
			return p, err
		}
	}
	for _, r := range []Role{RoleManager, RoleAssistant} {
		ps, err := s.store.PeopleWithRole(ctx, r, team.ID)
		if err != nil {
			return nil, err
		}
		if i := slices.IndexFunc(ps, answers); i >= 0 {
			return ps[i], nil
		}
	}
	return nil, nil
}

// Consults lists a ticket's consultations, oldest first, for staff who
// may see it. EFORBIDDEN for others.
func (s *Service) Consults(ctx context.Context, actor *Person, number string) ([]*Task, error) {
	t, err := s.Ticket(ctx, actor, number)
	if err != nil {
		return nil, err
	}
	if !actor.Handles() {
		return nil, Keyed(EFORBIDDEN, "staff_only", nil, "only staff see a ticket's consultations")
	}
	return s.store.Tasks(ctx, TaskFilter{TicketID: t.ID, Kind: TaskConsult, Limit: 200})
}

// answersConsult reports whether actor may give the opinion of
// consultation task: staff of the team asked (its lead answers as its
// owner).
func answersConsult(actor *Person, task *Task) bool {
	return task.Consult() && task.TeamID != 0 && actor.Handles() && actor.TeamID == task.TeamID
}

// consultData marks the event data of a step of consultation task as
// such, with the team asked (named as it is now, or as it was asked when
// it is gone).
func (s *Service) consultData(ctx context.Context, d *EventData, task *Task) {
	d.TaskKind, d.TeamID = TaskConsult, task.TeamID
	if team, err := s.store.Team(ctx, task.TeamID); err == nil {
		d.TeamName = team.Name
	}
}
