package backend

import (
	"slices"
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
)

// FollowUp is the follow-up of one unsatisfied rating. Times are UTC.
type FollowUp struct {
	ID       int64
	TicketID int64
	Number   string // the ticket's number; filled in by the store on reads
	EventID  int64  // the 不满意 rating; set by the store when it opens the follow-up
	RatedAt  time.Time

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

// CallbackDue is where the callback stands at now ("" when none is needed).
func (f *FollowUp) CallbackDue(now time.Time, loc *time.Location) Due {
	if f.Callback != CallbackNeeded {
		return ""
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
