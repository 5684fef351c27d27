package sla

import (
	"fmt"
	"slices"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// Planner turns a ticket's state into its clocks: it starts, pauses,
// resumes, stops and re-plans them. It is pure: no I/O, time comes in.
type Planner struct {
	Policy   *Policy
	Calendar *Calendar
}

// add returns the moment d of the clock's unit after t.
func (p *Planner) add(unit string, t time.Time, d time.Duration) time.Time {
	if Unit(unit) == WallClock {
		return t.Add(d)
	}
	return p.Calendar.AddBusiness(t, d)
}

// elapsed returns the time of the clock's unit between a and b.
func (p *Planner) elapsed(unit string, a, b time.Time) time.Duration {
	if Unit(unit) == WallClock {
		return max(b.Sub(a), 0)
	}
	return p.Calendar.Between(a, b)
}

// other returns the unit a clock of unit u does not count in.
func other(u string) string {
	if Unit(u) == WallClock {
		return string(Business)
	}
	return string(WallClock)
}

// count adds the running stretch from c.RunningSince to at to the time
// c used, in its unit and in the other one.
func (p *Planner) count(c *backend.Clock, at time.Time) {
	if c.UsedOther < 0 && c.PausedAt.IsZero() {
		// Saved before UsedOther was kept, but never paused: it has
		// run since it started.
		c.UsedOther = p.elapsed(other(c.Unit), c.StartedAt, c.RunningSince)
	}
	c.Used += p.elapsed(c.Unit, c.RunningSince, at)
	if c.UsedOther >= 0 {
		c.UsedOther += p.elapsed(other(c.Unit), c.RunningSince, at)
	}
}

// Marks are the milestones recorded on a ticket, each at its latest time,
// when the ticket last entered each status (key statusMark(s)), and when
// it was last handed over (key handedMark).
type Marks map[backend.Milestone]time.Time

func statusMark(s backend.Status) backend.Milestone { return backend.Milestone("status:" + string(s)) }

// handedMark is when the ticket last went to someone who has to accept it
// afresh: dispatched by someone else to a person (a claim is no
// handover: it accepts at once), returned to the triage chat, or
// reopened. PerAssignee clocks start a new run there.
const handedMark backend.Milestone = "handed"

// MarksOf collects the milestones, status entries and handovers of a
// ticket's thread.
func MarksOf(events []*backend.Event) Marks {
	m := Marks{}
	set := func(k backend.Milestone, at time.Time) {
		if at.After(m[k]) {
			m[k] = at
		}
	}
	status := backend.StatusNew
	for _, e := range events {
		switch e.Kind {
		case backend.EventMilestone:
			set(backend.Milestone(e.Body), e.At)
		case backend.EventStatusChanged:
			set(statusMark(e.Data.To), e.At)
			if e.Data.To == backend.StatusReturned || e.Data.To == backend.StatusReopened {
				set(handedMark, e.At)
			}
			status = e.Data.To
		case backend.EventTransferred:
			// In another team's queue: that team confirms it afresh.
			set(handedMark, e.At)
		case backend.EventAssigned:
			// Handed over while it was worked on, the ticket goes on with
			// its new holder, who has nothing to accept (Service.Assign).
			if e.ActorID != e.Data.AssigneeID && !worked(status) {
				set(handedMark, e.At)
			}
		}
	}
	return m
}

// worked reports whether a ticket in status s is being worked on.
func worked(s backend.Status) bool {
	return s == backend.StatusInProgress || s == backend.StatusPendingTest || s == backend.StatusPendingConfirmation
}

// accepted reports whether a PerAssignee clock's stop milestone (the
// holder's acceptance) came after the latest handover: the person who
// holds the ticket now has accepted it.
func (m Marks) accepted(spec ClockSpec) bool {
	return m.latest(spec.StopOn).After(m[handedMark])
}

// handedSince reports whether the ticket was handed over after a run
// that started at start: that run was the previous holder's.
func (m Marks) handedSince(start time.Time) bool { return m[handedMark].After(start) }

// restartBlocked reports whether a clock whose last run a stop milestone
// ended must not start again: the ticket has not entered a status of
// While (of RestartOn, when the clock has them) since that milestone (a
// report submitted stays submitted until the ticket is solved again).
func (m Marks) restartBlocked(spec ClockSpec) bool {
	stop := m.latest(spec.StopOn)
	if len(spec.StartOn) > 0 || stop.IsZero() {
		return false
	}
	restart := spec.While
	if len(spec.RestartOn) > 0 {
		restart = spec.RestartOn
	}
	var entered time.Time
	for _, s := range restart {
		if m[statusMark(s)].After(entered) {
			entered = m[statusMark(s)]
		}
	}
	return !entered.After(stop)
}

// latest returns the latest time of any of ms.
func (m Marks) latest(ms []backend.Milestone) time.Time {
	var t time.Time
	for _, x := range ms {
		if m[x].After(t) {
			t = m[x]
		}
	}
	return t
}

// on reports whether a milestone-driven clock's start came after its stop.
func (m Marks) on(spec ClockSpec) bool {
	start := m.latest(spec.StartOn)
	return !start.IsZero() && start.After(m.latest(spec.StopOn))
}

// Plan is PlanWith without milestones.
func (p *Planner) Plan(t *backend.Ticket, clocks []*backend.Clock) ([]*backend.Clock, []backend.Change) {
	return p.PlanWith(t, clocks, nil)
}

// NeedsMarks reports whether a clock of the policy starts or stops on
// milestones or handovers (then the engine reads the thread for PlanWith).
func (p *Planner) NeedsMarks() bool {
	return slices.ContainsFunc(p.Policy.Clocks, func(c ClockSpec) bool { return len(c.StartOn)+len(c.StopOn) > 0 || c.PerAssignee })
}

// PlanWith compares t (as of its last change at t.UpdatedAt) and its
// milestones with its clocks and returns the clocks that changed or
// started, each with an sla_clock event. Existing clocks that change get
// Generation+1; new ones start at Generation 1 with the policy's version.
func (p *Planner) PlanWith(t *backend.Ticket, clocks []*backend.Clock, marks Marks) ([]*backend.Clock, []backend.Change) {
	at := t.UpdatedAt
	if at.IsZero() {
		at = t.CreatedAt
	}
	var out []*backend.Clock
	var changes []backend.Change
	note := func(c *backend.Clock, what string) {
		c.UpdatedAt = at
		out = append(out, c)
		changes = append(changes, backend.Change{Event: &backend.Event{Kind: backend.EventClock, At: at,
			Body: fmt.Sprintf("%s %s", c.Name, what), Data: backend.EventData{Clock: c.Name, Due: c.DueAt}}})
	}
	paused := slices.Contains(p.Policy.PauseWhen, t.Status)
	for _, spec := range p.Policy.Clocks {
		var cur *backend.Clock
		for _, c := range clocks {
			if c.Name == spec.Name && (cur == nil || c.Run > cur.Run) {
				cur = c
			}
		}
		budget, has := spec.BudgetFor(t.Form, t.Severity)
		in, off := slices.Contains(spec.While, t.Status), false
		switch {
		case len(spec.StartOn) > 0:
			off = !marks.on(spec)
			in = !off && (len(spec.While) == 0 || in)
		case len(spec.StopOn) > 0 && cur != nil:
			// A stop milestone ends the run it came in.
			off = marks.latest(spec.StopOn).After(cur.StartedAt)
		}
		if spec.PerAssignee && cur != nil && cur.State != backend.ClockStopped && marks.handedSince(cur.StartedAt) {
			// The run was the previous holder's: it ends, and the
			// person who has the ticket now gets a run of their own.
			c := *cur
			c.Generation++
			p.stop(&c, at)
			note(&c, "stopped")
			cur = &c
		}
		startable := cur == nil || !marks.restartBlocked(spec)
		if spec.PerAssignee {
			// Not once the holder accepted; again only after a handover.
			startable = !marks.accepted(spec) && (cur == nil || marks.handedSince(cur.StartedAt))
		}
		if cur == nil || cur.State == backend.ClockStopped {
			if in && has && startable {
				run := 1
				if cur != nil {
					run = cur.Run + 1
				}
				c := &backend.Clock{TicketID: t.ID, Name: spec.Name, Run: run, PolicyVersion: p.Policy.Version,
					Severity: t.Severity, Unit: string(budget.Unit), Budget: budget.D, State: backend.ClockRunning,
					StartedAt: at, RunningSince: at, Generation: 1}
				p.schedule(c)
				note(c, "started")
			}
			continue
		}
		c := *cur
		c.Generation++
		switch {
		case !has || off || (!in && !paused):
			p.stop(&c, at)
			note(&c, "stopped")
		case c.State == backend.ClockRunning && !in && paused:
			p.count(&c, at)
			c.State, c.PausedAt, c.RunningSince, c.WarnAt, c.DueAt = backend.ClockPaused, at, time.Time{}, time.Time{}, time.Time{}
			note(&c, "paused")
		case c.State == backend.ClockPaused && in:
			c.State, c.RunningSince = backend.ClockRunning, at
			p.rebudget(&c, t.Severity, budget)
			p.schedule(&c)
			note(&c, "resumed")
		case c.Severity != t.Severity:
			if c.State == backend.ClockRunning {
				// Count the stretch so far under the old budget, then plan
				// the rest under the new one.
				p.count(&c, at)
				c.RunningSince = at
			}
			p.rebudget(&c, t.Severity, budget)
			if c.State == backend.ClockRunning {
				p.schedule(&c)
			}
			note(&c, "re-planned for "+string(t.Severity))
		}
	}
	return out, changes
}

// stop ends c's run at at, counting its last running stretch.
func (p *Planner) stop(c *backend.Clock, at time.Time) {
	if c.State == backend.ClockRunning {
		p.count(c, at)
	}
	c.State, c.StoppedAt, c.RunningSince, c.WarnAt, c.DueAt = backend.ClockStopped, at, time.Time{}, time.Time{}, time.Time{}
}

// rebudget switches c to the budget of severity sev. A clock planned under
// an older policy keeps its version; its new budget comes from the policy
// the planner has. When the unit changes (P1's "24h calendar" to P2's "3
// workdays") the time used so far is taken in the new unit: 20 calendar
// hours from Monday 17:00 are 5 business hours. A clock whose time in the
// other unit is unknown (UsedOther -1) keeps the number it has.
func (p *Planner) rebudget(c *backend.Clock, sev backend.Severity, b Budget) {
	if c.Severity == sev {
		return
	}
	if c.Unit != string(b.Unit) && c.UsedOther >= 0 {
		c.Used, c.UsedOther = c.UsedOther, c.Used
	}
	c.Severity, c.Budget, c.Unit = sev, b.D, string(b.Unit)
}

// schedule sets WarnAt and DueAt of a running clock from its budget (now
// is c.RunningSince). A new deadline later than now forgets an earlier
// breach with its escalation steps and acknowledgement, so the new one
// warns and escalates afresh; a warning still ahead is given again.
func (p *Planner) schedule(c *backend.Clock) {
	now := c.RunningSince
	left := c.Budget - c.Used
	c.DueAt = p.add(c.Unit, now, max(left, 0))
	warn := time.Duration(float64(c.Budget)*p.Policy.WarnAt) - c.Used
	c.WarnAt = p.add(c.Unit, now, max(warn, 0))
	if c.Breached() && c.DueAt.After(now) {
		c.BreachedAt, c.Step = time.Time{}, 0
		c.AckedAt, c.AckedBy = time.Time{}, 0
	}
	if c.WarnAt.After(now) {
		c.WarnedAt = time.Time{}
	}
}
