package backend

import "slices"

// Status is where a ticket stands in its handling (seed 002 + seed 004).
type Status string

const (
	StatusNew                 Status = "new"                  // 待受理
	StatusAssigned            Status = "assigned"             // 已分派
	StatusInProgress          Status = "in_progress"          // 处理中
	StatusWaitingReporter     Status = "waiting_reporter"     // 待补充
	StatusPendingTest         Status = "pending_test"         // 待测试
	StatusPendingConfirmation Status = "pending_confirmation" // 待客户确认
	StatusResolved            Status = "resolved"             // 已完成
	StatusArchived            Status = "archived"             // 已归档
	StatusReturned            Status = "returned"             // 退回: the assignee declined with a reason
	StatusReopened            Status = "reopened"             // the reporter was unsatisfied
)

// transitions is the table of legal status changes: from → allowed targets.
// It lists the moves staff can pick. The reporter's answer to a question
// also takes a waiting ticket back to where it was, which may be new or
// reopened (Service.Comment, resumeStatus).
var transitions = map[Status][]Status{
	StatusNew:                 {StatusAssigned, StatusInProgress, StatusWaitingReporter, StatusResolved, StatusReturned},
	StatusAssigned:            {StatusInProgress, StatusWaitingReporter, StatusPendingTest, StatusPendingConfirmation, StatusResolved, StatusReturned},
	StatusInProgress:          {StatusAssigned, StatusWaitingReporter, StatusPendingTest, StatusPendingConfirmation, StatusResolved, StatusReturned},
	StatusWaitingReporter:     {StatusAssigned, StatusInProgress, StatusResolved},
	StatusPendingTest:         {StatusInProgress, StatusPendingConfirmation, StatusResolved},
	StatusPendingConfirmation: {StatusInProgress, StatusResolved},
	StatusResolved:            {StatusArchived, StatusReopened},
	StatusArchived:            {},
	StatusReturned:            {StatusNew, StatusAssigned},
	StatusReopened:            {StatusAssigned, StatusInProgress, StatusWaitingReporter, StatusResolved},
}

// Statuses lists every status in the order of the workflow.
var Statuses = []Status{
	StatusNew, StatusAssigned, StatusInProgress, StatusWaitingReporter, StatusPendingTest,
	StatusPendingConfirmation, StatusResolved, StatusArchived, StatusReturned, StatusReopened,
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { _, ok := transitions[s]; return ok }

// Open reports whether a ticket in s still needs handling.
func (s Status) Open() bool { return s != StatusResolved && s != StatusArchived }

// Transferable reports whether a ticket in s may be handed to another
// team (Service.Transfer): open, and not waiting for the reporter, a test
// or the customer's confirmation.
func (s Status) Transferable() bool {
	switch s {
	case StatusNew, StatusAssigned, StatusInProgress, StatusReturned, StatusReopened:
		return true
	}
	return false
}

// CanTransition reports whether a ticket may move from s to to.
func (s Status) CanTransition(to Status) bool { return slices.Contains(transitions[s], to) }

// Next returns the statuses a ticket in s may move to.
func (s Status) Next() []Status { return slices.Clone(transitions[s]) }

// CheckTransition returns an ECONFLICT error naming both statuses when the
// move is not in the table, and EINVALID for an unknown target.
func CheckTransition(from, to Status) error {
	if !to.Valid() {
		return Invalid("unknown status", "status", "unknown status "+string(to), Problem{Key: "unknown", Args: map[string]any{"Value": string(to)}})
	}
	if !from.CanTransition(to) {
		return Keyed(ECONFLICT, "transition", map[string]any{"From": from, "To": to}, "illegal transition from %s to %s", from, to)
	}
	return nil
}

// Severity is the one scale of urgency (DESIGN §4).
type Severity string

const (
	P1 Severity = "P1" // 紧急 / A 非常严重
	P2 Severity = "P2" // 重要 / B 严重
	P3 Severity = "P3" // 普通 / C 较严重
	P4 Severity = "P4" // 建议 / D 一般
)

// Severities lists the levels from most to least urgent.
var Severities = []Severity{P1, P2, P3, P4}

// Valid reports whether s is one of P1–P4.
func (s Severity) Valid() bool { return slices.Contains(Severities, s) }

// Important reports whether s is P1 or P2: screenshots, order number and
// account are then required (seed 000).
func (s Severity) Important() bool { return s == P1 || s == P2 }

// Satisfaction is the reporter's rating of a resolution (seed 002).
type Satisfaction string

const (
	SatisfactionNone        Satisfaction = ""
	SatisfactionSatisfied   Satisfaction = "satisfied"   // 满意
	SatisfactionBasically   Satisfaction = "basically"   // 基本满意
	SatisfactionUnsatisfied Satisfaction = "unsatisfied" // 不满意
)

// Valid reports whether s is a rating a reporter can give.
func (s Satisfaction) Valid() bool {
	return s == SatisfactionSatisfied || s == SatisfactionBasically || s == SatisfactionUnsatisfied
}
