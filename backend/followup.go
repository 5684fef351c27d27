package backend

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Dissatisfaction follow-up (DESIGN §6, seed 003 起点不满意管理办法): every
// 不满意 rating opens a FollowUp. Staff survey the reporter (调研) to learn
// the factors of their dissatisfaction and whether the problem is solved,
// and then, where the survey says so, call them back (回访) with the result.

// EventFollowUp records a step of a follow-up on the ticket's thread:
// Data.FollowUpID and Data.FollowUpStep say which, Data.Factors and
// Data.Outcome hold what a survey or callback found, Body the notes. It is
// staff-only: the reporter never sees follow-ups.
const EventFollowUp EventKind = "follow_up"

// SurveyState says whether the reporter is to be surveyed (seed 003:
// 需调研 / 无需调研) or was.
type SurveyState string

const (
	SurveyNeeded    SurveyState = "needed"     // 需调研: every new follow-up
	SurveyNotNeeded SurveyState = "not_needed" // 无需调研
	SurveyDone      SurveyState = "done"       // the survey is recorded
)

// CallbackState says whether the reporter is to be called back (seed 003:
// 需回访 / 无需回访) or was.
type CallbackState string

const (
	CallbackUndecided CallbackState = ""           // until the survey or staff decide
	CallbackNeeded    CallbackState = "needed"     // 需回访
	CallbackNotNeeded CallbackState = "not_needed" // 无需回访
	CallbackDone      CallbackState = "done"       // the callback reached the reporter
)

// Factor is one dissatisfaction factor of seed 003's list (不满意因素).
// The catalog has its name (followup.factor.<id>) and its suggested
// script, 话术 (followup.script.<id>).
type Factor string

const (
	FactorAttitude       Factor = "attitude"        // 服务态度
	FactorKnowledge      Factor = "knowledge"       // 专业知识
	FactorHungUp         Factor = "hung_up"         // 主动挂线
	FactorReturnedLate   Factor = "returned_late"   // 退单导致处理不及时
	FactorHardware       Factor = "hardware"        // 硬件配置
	FactorKnowledgeBase  Factor = "knowledge_base"  // 知识库口径
	FactorCallbackResult Factor = "callback_result" // 回访结果
	FactorSecurity       Factor = "security"        // 安全问题
	FactorFeature        Factor = "feature"         // 功能设置
	FactorMisoperation   Factor = "misoperation"    // 误操作设置
	FactorMisrating      Factor = "misrating"       // 误操作评价
	FactorNotFound       Factor = "not_found"       // 系统查询不到
	FactorOther          Factor = "other"           // 其它
)

// Factors lists every factor in seed 003's order (DESIGN §6).
var Factors = []Factor{
	FactorAttitude, FactorKnowledge, FactorHungUp, FactorReturnedLate, FactorHardware, FactorKnowledgeBase,
	FactorCallbackResult, FactorSecurity, FactorFeature, FactorMisoperation, FactorMisrating, FactorNotFound, FactorOther,
}

// Valid reports whether f is a known factor.
func (f Factor) Valid() bool { return slices.Contains(Factors, f) }

// Outcome is what a callback came to. Seed 003 has the callback staff
// write one of two results (红色部分): 问题已解决（事件已追加）or 用户满意（接受）;
// a reporter who could not be reached keeps the callback open.
type Outcome string

const (
	OutcomeSolved     Outcome = "solved"      // 问题已解决（事件已追加）: the problem got an event appended
	OutcomeAccepted   Outcome = "accepted"    // 用户满意（接受）
	OutcomeNotReached Outcome = "not_reached" // 未联系上: call again
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{OutcomeSolved, OutcomeAccepted, OutcomeNotReached}

// Valid reports whether o is a known outcome.
func (o Outcome) Valid() bool { return slices.Contains(Outcomes, o) }

// FollowUpMark is what staff may mark a follow-up as (seed 003: 针对不满意
// 用户区分需调研、无需调研、需回访、无需回访).
type FollowUpMark string

const (
	MarkNeedSurvey   FollowUpMark = "need_survey"   // 需调研
	MarkNoSurvey     FollowUpMark = "no_survey"     // 无需调研
	MarkNeedCallback FollowUpMark = "need_callback" // 需回访
	MarkNoCallback   FollowUpMark = "no_callback"   // 无需回访
)

// FollowUpMarks lists every mark.
var FollowUpMarks = []FollowUpMark{MarkNeedSurvey, MarkNoSurvey, MarkNeedCallback, MarkNoCallback}

// Valid reports whether m is a known mark.
func (m FollowUpMark) Valid() bool { return slices.Contains(FollowUpMarks, m) }

// Follow-up steps as Data.FollowUpStep of an EventFollowUp: a mark's name,
// or one of these.
const (
	StepSurveyed = "surveyed" // a survey was recorded
	StepCalled   = "called"   // a callback was recorded
	StepUrged    = "urged"    // the handler was urged to give a result for the callback
)

// FollowUp is the follow-up of one unsatisfied rating. Times are UTC.
type FollowUp struct {
	ID       int64
	TicketID int64
	Number   string // the ticket's number; filled in by the store on reads
	// TicketStatus is the ticket's status, filled in by the store on
	// reads: while it is open the callback waits for its result.
	TicketStatus Status
	EventID      int64 // the 不满意 rating; set by the store when it opens the follow-up
	RatedAt      time.Time

	Survey   SurveyState
	Callback CallbackState

	// The survey (绿色部分, filled in by the surveyor).
	Factors     []Factor
	Solved      bool // 已解决 / 未解决
	SurveyNotes string
	SurveyedBy  int64
	SurveyedAt  time.Time // zero until surveyed

	// The callback (红色部分, filled in by the callback staff): the last
	// attempt's outcome, so a not_reached stays visible until the next.
	Outcome       Outcome
	CallbackNotes string
	CalledBy      int64
	CalledAt      time.Time // zero until called

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Open reports whether a survey or a callback is still to be done.
func (f *FollowUp) Open() bool { return f.Survey == SurveyNeeded || f.Callback == CallbackNeeded }

// FollowUpFilter selects follow-ups. Zero fields do not filter.
type FollowUpFilter struct {
	TicketID int64
	Open     bool // only those with a survey or callback still needed
	// Restrict limits the list to follow-ups of tickets an assistant may
	// see: of team VisibleTeam or of no team, or assigned to
	// VisibleAssignee. The service sets it for assistants.
	Restrict        bool
	VisibleTeam     int64
	VisibleAssignee int64
	// RatedFrom (inclusive) and RatedBefore (exclusive) bound RatedAt.
	RatedFrom   time.Time
	RatedBefore time.Time

	After int64 // cursor: only follow-ups with ID < After (newest first)
	Limit int   // default 50, at most 200
}

// FollowUpPage is one page of follow-ups; NextCursor is 0 on the last page.
type FollowUpPage struct {
	FollowUps  []*FollowUp
	NextCursor int64
}

// Due says where a survey or callback stands against seed 003's schedule.
type Due string

const (
	DueLater   Due = "later"   // its window starts next week or later
	DueNow     Due = "due"     // its window is this week and has not passed
	DueOverdue Due = "overdue" // its window has passed
	// DueWaiting: a callback whose ticket is being handled again and has
	// no result yet. Seed 003: call back only once the handling side
	// (起点方) has given its result, and urge them meanwhile
	// (UrgeFollowUp), so the reporter is not called with nothing to say.
	DueWaiting Due = "waiting"
)

// WeekStart is Monday 00:00 in loc of the week that holds t.
func WeekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	back := (int(t.Weekday()) + 6) % 7 // days since Monday
	return time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, loc)
}

// SurveyWindow is when the survey is done (seed 003: 每周一到每周三调研上周
// 不满意用户): Monday to Wednesday of the week after the rating, in loc;
// to is exclusive (Thursday 00:00).
func (f *FollowUp) SurveyWindow(loc *time.Location) (from, to time.Time) {
	from = WeekStart(f.RatedAt, loc).AddDate(0, 0, 7)
	return from, from.AddDate(0, 0, 3)
}

// CallbackWindow is when the callback is done (seed 003: 每周四到每周日回访
// 调研结果): Thursday to Sunday of the week of the survey window, in loc;
// to is exclusive (the next Monday 00:00).
func (f *FollowUp) CallbackWindow(loc *time.Location) (from, to time.Time) {
	week := WeekStart(f.RatedAt, loc).AddDate(0, 0, 7)
	return week.AddDate(0, 0, 3), week.AddDate(0, 0, 7)
}

// due places a window against now: overdue once it ended, due when it
// lies in now's week, later otherwise.
func due(now, from, to time.Time, loc *time.Location) Due {
	switch {
	case !now.Before(to):
		return DueOverdue
	case from.Before(WeekStart(now, loc).AddDate(0, 0, 7)):
		return DueNow
	}
	return DueLater
}

// SurveyDue is where the survey stands at now ("" when none is needed).
func (f *FollowUp) SurveyDue(now time.Time, loc *time.Location) Due {
	if f.Survey != SurveyNeeded {
		return ""
	}
	from, to := f.SurveyWindow(loc)
	return due(now, from, to, loc)
}

// CallbackDue is where the callback stands at now ("" when none is
// needed): waiting while the ticket is open again, else by its window.
func (f *FollowUp) CallbackDue(now time.Time, loc *time.Location) Due {
	if f.Callback != CallbackNeeded {
		return ""
	}
	if f.TicketStatus != "" && f.TicketStatus.Open() {
		return DueWaiting
	}
	from, to := f.CallbackWindow(loc)
	return due(now, from, to, loc)
}

// SurveyInput is what a survey records (seed 003 不满意因素调研).
type SurveyInput struct {
	Factors  []Factor
	Solved   bool   // the reporter's problem is solved (已解决)
	Notes    string // 记录: what the reporter said, the unsolved problem
	Callback bool   // 记录中区分是否需要回访
}

// Validate checks a survey: at least one known factor, each once, and
// notes of at most 2000 characters.
func (in *SurveyInput) Validate() error {
	var fe fieldErrors
	if len(in.Factors) == 0 {
		fe.add("factors", Problem{Key: "one_factor"}, "at least one factor is required")
	}
	for i, f := range in.Factors {
		if !f.Valid() {
			fe.add("factors", Problem{Key: "unknown", Args: map[string]any{"Value": string(f)}}, "unknown factor %q", f)
		} else if slices.Contains(in.Factors[:i], f) {
			fe.add("factors", Problem{Key: "twice", Args: map[string]any{"Value": string(f)}}, "factor %q is given twice", f)
		}
	}
	checkNotes(&fe, in.Notes)
	return fe.err("survey")
}

// maxNotes bounds the notes of a survey or callback.
const maxNotes = 2000

func checkNotes(fe *fieldErrors, notes string) {
	if n := len([]rune(notes)); n > maxNotes {
		fe.add("notes", Problem{Key: "length", Args: map[string]any{"Min": 0, "Max": maxNotes, "Got": n}}, "must be at most %d characters, got %d", maxNotes, n)
	}
}

// followUpStaff is EFORBIDDEN unless actor is staff: reporters never see
// follow-ups, whatever the ticket.
func followUpStaff(actor *Person) error {
	if !actor.Handles() {
		return Keyed(EFORBIDDEN, "staff_only", nil, "only assistants and managers may see and record follow-ups")
	}
	return nil
}

// FollowUps lists the follow-ups actor may see that match f, newest first:
// managers and admins all, assistants those of their team's tickets, of
// unrouted ones and of tickets assigned to them. EFORBIDDEN for anyone
// else.
func (s *Service) FollowUps(ctx context.Context, actor *Person, f FollowUpFilter) (*FollowUpPage, error) {
	if err := followUpStaff(actor); err != nil {
		return nil, err
	}
	f.Restrict, f.VisibleTeam, f.VisibleAssignee = false, 0, 0
	if !actor.SeesAll() {
		f.Restrict, f.VisibleTeam, f.VisibleAssignee = true, actor.TeamID, actor.ID
	}
	return s.store.FollowUps(ctx, f)
}

// FollowUpBoard is what seed 003's schedule asks of this week: the
// surveys and callbacks due, overdue, and coming later, oldest rating
// first.
type FollowUpBoard struct {
	Now       time.Time
	WeekStart time.Time // Monday 00:00 of this week in the service's zone
	Surveys   map[Due][]*FollowUp
	Callbacks map[Due][]*FollowUp
	// Truncated says there were more open follow-ups than the board
	// reads (maxBoard); the oldest are left out.
	Truncated bool
}

// maxBoard bounds the open follow-ups a board reads.
const maxBoard = 2000

// FollowUpBoard sorts the open follow-ups actor may see by seed 003's
// schedule, in the service's zone (the work calendar's, Asia/Shanghai
// by default): surveys Monday–Wednesday of the week after the rating,
// callbacks Thursday–Sunday of that week. EFORBIDDEN as FollowUps.
func (s *Service) FollowUpBoard(ctx context.Context, actor *Person) (*FollowUpBoard, error) {
	now, loc := s.now(), s.cfg.Location
	b := &FollowUpBoard{Now: now, WeekStart: WeekStart(now, loc), Surveys: map[Due][]*FollowUp{}, Callbacks: map[Due][]*FollowUp{}}
	var open []*FollowUp
	for f := (FollowUpFilter{Open: true, Limit: 200}); ; {
		page, err := s.FollowUps(ctx, actor, f)
		if err != nil {
			return nil, err
		}
		open = append(open, page.FollowUps...)
		if page.NextCursor == 0 {
			break
		}
		if len(open) >= maxBoard {
			b.Truncated = true
			break
		}
		f.After = page.NextCursor
	}
	slices.Reverse(open) // oldest rating first: the most pressing
	for _, f := range open {
		if d := f.SurveyDue(now, loc); d != "" {
			b.Surveys[d] = append(b.Surveys[d], f)
		}
		if d := f.CallbackDue(now, loc); d != "" {
			b.Callbacks[d] = append(b.Callbacks[d], f)
		}
	}
	return b, nil
}

// FollowUp returns a follow-up and its ticket. EFORBIDDEN for a reporter
// and, as Ticket, for an assistant of another team; ENOTFOUND.
func (s *Service) FollowUp(ctx context.Context, actor *Person, id int64) (*FollowUp, *Ticket, error) {
	if err := followUpStaff(actor); err != nil {
		return nil, nil, err
	}
	f, err := s.store.FollowUp(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, Keyed(ENOTFOUND, "follow_up", map[string]any{"ID": id}, "follow-up %d not found", id)
	}
	if err != nil {
		return nil, nil, err
	}
	t, err := s.store.TicketByID(ctx, f.TicketID)
	if err != nil {
		return nil, nil, err
	}
	if err := canSee(actor, t); err != nil {
		return nil, nil, err
	}
	return f, t, nil
}

// FollowUpsOf lists a ticket's follow-ups, newest first. EFORBIDDEN for a
// reporter; ENOTFOUND/EFORBIDDEN as Ticket.
func (s *Service) FollowUpsOf(ctx context.Context, actor *Person, number string) ([]*FollowUp, error) {
	if err := followUpStaff(actor); err != nil {
		return nil, err
	}
	t, err := s.Ticket(ctx, actor, number)
	if err != nil {
		return nil, err
	}
	page, err := s.store.FollowUps(ctx, FollowUpFilter{TicketID: t.ID, Limit: 200})
	if err != nil {
		return nil, err
	}
	return page.FollowUps, nil
}

// MarkFollowUp marks a follow-up 需调研 / 无需调研 / 需回访 / 无需回访, with an
// optional note; the ticket's thread records it (staff only). ECONFLICT
// when the survey or callback it is about was recorded already, or the
// follow-up is marked so already.
func (s *Service) MarkFollowUp(ctx context.Context, actor *Person, id int64, mark FollowUpMark, note string) (*FollowUp, error) {
	if !mark.Valid() {
		return nil, Invalid("unknown mark", "mark", "must be need_survey, no_survey, need_callback or no_callback", Problem{Key: "unknown", Args: map[string]any{"Value": string(mark)}})
	}
	note = strings.TrimSpace(note)
	var fe fieldErrors
	checkNotes(&fe, note)
	if err := fe.err("mark"); err != nil {
		return nil, err
	}
	return s.changeFollowUp(ctx, actor, id, func(f *FollowUp, now time.Time) (*Event, error) {
		switch mark {
		case MarkNeedSurvey, MarkNoSurvey:
			to := map[FollowUpMark]SurveyState{MarkNeedSurvey: SurveyNeeded, MarkNoSurvey: SurveyNotNeeded}[mark]
			if f.Survey == SurveyDone {
				return nil, SurveyedError(f.ID)
			}
			if f.Survey == to {
				return nil, Keyed(ECONFLICT, "follow_up_marked", map[string]any{"ID": f.ID}, "follow-up %d is marked so already", f.ID)
			}
			f.Survey = to
		default:
			to := map[FollowUpMark]CallbackState{MarkNeedCallback: CallbackNeeded, MarkNoCallback: CallbackNotNeeded}[mark]
			if f.Callback == CallbackDone {
				return nil, Keyed(ECONFLICT, "called_back", map[string]any{"ID": f.ID}, "the callback of follow-up %d is recorded already", f.ID)
			}
			if f.Callback == to {
				return nil, Keyed(ECONFLICT, "follow_up_marked", map[string]any{"ID": f.ID}, "follow-up %d is marked so already", f.ID)
			}
			f.Callback = to
		}
		return &Event{Body: note, Data: EventData{FollowUpStep: string(mark)}}, nil
	})
}

// SurveyedError is the ECONFLICT (key "surveyed") of a follow-up whose
// survey is recorded already.
func SurveyedError(id int64) error {
	return Keyed(ECONFLICT, "surveyed", map[string]any{"ID": id}, "the survey of follow-up %d is recorded already", id)
}

// RecordSurvey records the survey of a follow-up (seed 003 不满意因素调研):
// its factors, whether the problem is solved, notes, and whether a
// callback is needed; the ticket's thread records it (staff only). A
// problem found unsolved is appended to the ticket (seed 003: 记录不满意因素
// 并对事件进行追加): whoever handles it (the assignee, the triage or team
// chat) is told the factors and notes, and a resolved ticket is reopened,
// which the reporter hears. EINVALID names bad fields; ECONFLICT when it
// was surveyed already.
func (s *Service) RecordSurvey(ctx context.Context, actor *Person, id int64, in SurveyInput) (*FollowUp, error) {
	in.Notes = strings.TrimSpace(in.Notes)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return s.changeFollowUp(ctx, actor, id, func(f *FollowUp, now time.Time) (*Event, error) {
		if f.Survey == SurveyDone {
			return nil, SurveyedError(f.ID)
		}
		f.Survey, f.Factors, f.Solved, f.SurveyNotes, f.SurveyedBy, f.SurveyedAt = SurveyDone, in.Factors, in.Solved, in.Notes, actor.ID, now
		if f.Callback != CallbackDone {
			f.Callback = CallbackNotNeeded
			if in.Callback {
				f.Callback = CallbackNeeded
			}
		}
		return &Event{Body: in.Notes, Data: EventData{FollowUpStep: StepSurveyed, Factors: in.Factors, Solved: in.Solved}}, nil
	})
}

// RecordCallback records a callback of a follow-up (seed 003 不满意回访)
// and its outcome; the ticket's thread records it (staff only). Solved
// (the problem got an event appended, 事件已追加) and accepted close the
// callback; not reached keeps it due. EINVALID for an unknown outcome;
// ECONFLICT when no callback is needed.
func (s *Service) RecordCallback(ctx context.Context, actor *Person, id int64, outcome Outcome, notes string) (*FollowUp, error) {
	notes = strings.TrimSpace(notes)
	var fe fieldErrors
	if !outcome.Valid() {
		fe.add("outcome", Problem{Key: "outcome"}, "must be solved, accepted or not_reached")
	}
	checkNotes(&fe, notes)
	if err := fe.err("callback"); err != nil {
		return nil, err
	}
	return s.changeFollowUp(ctx, actor, id, func(f *FollowUp, now time.Time) (*Event, error) {
		if f.Callback != CallbackNeeded {
			return nil, Keyed(ECONFLICT, "no_callback", map[string]any{"ID": f.ID}, "follow-up %d needs no callback", f.ID)
		}
		f.Outcome, f.CallbackNotes, f.CalledBy, f.CalledAt = outcome, notes, actor.ID, now
		if outcome != OutcomeNotReached {
			f.Callback = CallbackDone
		}
		return &Event{Body: notes, Data: EventData{FollowUpStep: StepCalled, Outcome: outcome}}, nil
	})
}

// UrgeFollowUp urges whoever handles the ticket of a follow-up whose
// callback waits for a result (DueWaiting) to give one (seed 003: 可以催促
// 起点方尽快给出回访结果): the assignee, or the triage chats when nobody
// holds it, get a notice, and the thread records it (staff only).
// ECONFLICT when the callback is not waiting, or when it was urged less
// than UrgeInterval ago (one reminder, not a ping per click).
func (s *Service) UrgeFollowUp(ctx context.Context, actor *Person, id int64) (*FollowUp, error) {
	_, t, err := s.FollowUp(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	var f *FollowUp
	_, err = s.update(ctx, actor, t.Number, func(t *Ticket, now time.Time) ([]Change, error) {
		if f, err = s.store.FollowUp(ctx, id); err != nil {
			return nil, err
		}
		if f.Callback != CallbackNeeded || !t.Status.Open() {
			return nil, Keyed(ECONFLICT, "not_waiting", map[string]any{"ID": f.ID, "Number": t.Number},
				"the callback of follow-up %d is not waiting for a result of ticket %s", f.ID, t.Number)
		}
		events, err := s.store.Events(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		for _, e := range slices.Backward(events) {
			if e.Kind == EventFollowUp && e.Data.FollowUpID == f.ID && e.Data.FollowUpStep == StepUrged && now.Sub(e.At) < UrgeInterval {
				return nil, Keyed(ECONFLICT, "urged", map[string]any{"ID": f.ID, "At": e.At.In(s.cfg.Location).Format("01-02 15:04")},
					"follow-up %d was urged at %s", f.ID, e.At)
			}
		}
		to := []*OutboxMessage{{Audience: AudienceAssignee, RecipientID: t.AssigneeID}}
		if t.AssigneeID == 0 {
			if to, err = s.TriageAudience(ctx, t); err != nil {
				return nil, err
			}
		}
		ev := &Event{Kind: EventFollowUp, ActorID: actor.ID, At: now, Public: false,
			Data: EventData{FollowUpID: f.ID, FollowUpStep: StepUrged}}
		return []Change{{Event: ev, Notify: to}}, nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// UrgeInterval is how long after an urge the same follow-up may be urged
// again.
const UrgeInterval = 4 * time.Hour

// changeFollowUp applies fn to a fresh copy of the follow-up and saves it
// with the staff-only event fn returns, in one ticket update (whose
// version check keeps concurrent writers of the follow-up apart).
func (s *Service) changeFollowUp(ctx context.Context, actor *Person, id int64, fn func(f *FollowUp, now time.Time) (*Event, error)) (*FollowUp, error) {
	_, t, err := s.FollowUp(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	var saved *FollowUp
	_, err = s.update(ctx, actor, t.Number, func(t *Ticket, now time.Time) ([]Change, error) {
		f, err := s.store.FollowUp(ctx, id)
		if err != nil {
			return nil, err
		}
		ev, err := fn(f, now)
		if err != nil {
			return nil, err
		}
		f.UpdatedAt = now
		ev.Kind, ev.ActorID, ev.At, ev.Public, ev.Data.FollowUpID = EventFollowUp, actor.ID, now, false, f.ID
		saved = f
		changes := []Change{{Event: ev, FollowUp: f}}
		if ev.Data.FollowUpStep == StepSurveyed && !ev.Data.Solved {
			staff, err := s.staffAudience(ctx, t)
			if err != nil {
				return nil, err
			}
			// The assignee who surveyed knows it already.
			changes[0].Notify = slices.DeleteFunc(staff, func(m *OutboxMessage) bool {
				return m.Audience == AudienceAssignee && m.RecipientID == actor.ID
			})
			if t.Status == StatusResolved {
				changes = append(changes, statusChange(t, actor, now, StatusReopened, "", true))
			}
		}
		return changes, nil
	})
	if err != nil {
		return nil, err
	}
	return saved, nil
}
