package sla

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// Timer kinds: what a timer does when it fires.
const (
	TimerWarn   = "warn"   // 80% of a clock: warn the assignee, or the clock's owner
	TimerBreach = "breach" // the deadline: first step of the escalation chain (the owner's)
	TimerStep   = "step"   // the next step, Policy.Interval after the last
	TimerDigest = "digest" // end of the working day: progress digest of open P1/P2
	TimerBatch  = "batch"  // Monday 09:00: P4 batch to the info specialists
)

// Timer is one scheduled wake-up. A timer of a clock carries the clock's
// Generation and does nothing if the clock changed since it was armed, so
// re-planning never needs to cancel timers. Timers are armed before the
// clock change they belong to is saved: if the save fails they are stale
// and do nothing, and a crash after the save cannot lose them.
type Timer struct {
	What       string    `json:"what"`
	TicketID   int64     `json:"ticket_id,omitempty"`
	Clock      string    `json:"clock,omitempty"` // the clock's Name
	Run        int       `json:"run,omitempty"`   // and Run: known before the clock is first saved
	Generation int64     `json:"gen,omitempty"`
	Day        string    `json:"day,omitempty"` // digest and batch: the day they are for
	At         time.Time `json:"-"`
}

// Scheduler runs Engine.Fire for each timer at (or just after) its At,
// durably: armed timers survive restarts, and arming an identical timer
// twice (two processes, a re-arm at start-up) makes it fire once. See
// River in river.go.
type Scheduler interface {
	Arm(ctx context.Context, timers []Timer) error
}

// Store is what the engine needs from backend.Store.
type Store interface {
	TicketByID(ctx context.Context, id int64) (*backend.Ticket, error)
	Tickets(ctx context.Context, f backend.TicketFilter) (*backend.TicketPage, error)
	Person(ctx context.Context, id int64) (*backend.Person, error)
	Team(ctx context.Context, id int64) (*backend.Team, error)
	Teams(ctx context.Context) ([]*backend.Team, error)
	PeopleWithRole(ctx context.Context, r backend.Role, teamID int64) ([]*backend.Person, error)
	// CustomerByPhone finds a ticket's customer, whose account manager a
	// customer_owner group tells.
	CustomerByPhone(ctx context.Context, digits string) (*backend.Customer, error)
	Clocks(ctx context.Context, ticketID int64) ([]*backend.Clock, error)
	// Events is read for the milestones when a clock starts on them.
	Events(ctx context.Context, ticketID int64) ([]*backend.Event, error)
	SaveClocks(ctx context.Context, ticketID, version int64, clocks []*backend.Clock, changes []backend.Change) error
	RecordOnce(ctx context.Context, key string, ticketID int64, changes []backend.Change) (bool, error)
	UnsyncedTickets(ctx context.Context, resolvedSince time.Time, limit int) ([]int64, error)
	LiveClocks(ctx context.Context, after int64, limit int) ([]*backend.Clock, error)
	// Secret keeps every policy version the engine ran with (named
	// "sla-policy:<version>", first writer wins), so tickets planned under
	// an older version are re-planned under it.
	Secret(ctx context.Context, name string, value []byte) ([]byte, error)
}

// Config holds the engine's collaborators; zero values take the defaults.
type Config struct {
	Store     Store
	Policy    *Policy
	Calendar  *Calendar
	Scheduler Scheduler // nil: clocks are kept but no timer fires
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Changed is called after the engine committed changes to a ticket
	// (the outbox has news). Optional; must not block.
	Changed func(ticketID int64)
	// Sweep is how often tickets whose clocks lag behind (a crash between
	// a change and its clock update) are looked for; one query, never one
	// per ticket. Default 5 minutes.
	Sweep time.Duration
	// SecondRoutes are platforms ("email", "sms") on which escalation
	// pings, notices and digests also go, besides the chat, to people
	// who have an account there. Default none.
	SecondRoutes []string
	// Router and Assign, when both set, give a new routed ticket nobody
	// holds to someone of its team (routing.assign: round_robin or
	// least_open); Assign is usually Service.Assign by the system.
	Router *Router
	Assign func(ctx context.Context, t *backend.Ticket, assigneeID int64) error
	// Triage, if set, returns the outbox rows for the triage chats of a
	// ticket (backend.Service.TriageAudience: its team's own chats, else
	// the triage chats), which hear a warning when nobody holds the
	// ticket. Default: one row for the first triage chat.
	Triage func(ctx context.Context, t *backend.Ticket) ([]*backend.OutboxMessage, error)
	Logger *slog.Logger
}

// Engine keeps the clocks of every ticket in step with the ticket and
// fires the warnings, escalations, notices, digests and batches.
type Engine struct {
	cfg      Config
	planner  *Planner
	pmu      sync.Mutex
	planners map[string]*Planner // by policy version
	queue    chan int64
	mu       sync.Mutex
	pending  map[int64]bool
}

// NewEngine returns an engine; call Run to process changes.
func NewEngine(cfg Config) *Engine {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sweep <= 0 {
		cfg.Sweep = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Planner{Policy: cfg.Policy, Calendar: cfg.Calendar}
	return &Engine{cfg: cfg, planner: p, planners: map[string]*Planner{cfg.Policy.Version: p},
		queue: make(chan int64, 4096), pending: map[int64]bool{}}
}

// Policy returns the policy in force.
func (e *Engine) Policy() *Policy { return e.cfg.Policy }

// Calendar returns the work calendar.
func (e *Engine) Calendar() *Calendar { return e.cfg.Calendar }

func (e *Engine) now() time.Time { return e.cfg.Now().UTC().Truncate(time.Microsecond) }

// Changed queues a ticket for Sync; it never blocks (for
// backend.ServiceConfig.Changed). A full queue is caught by the sweep.
func (e *Engine) Changed(t *backend.Ticket) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending[t.ID] {
		return
	}
	select {
	case e.queue <- t.ID:
		e.pending[t.ID] = true
	default:
	}
}

// Run syncs queued tickets until ctx ends; it sweeps lagging tickets at
// once (catching changes a crashed process left) and every Sweep, and
// arms the next digest and batch.
func (e *Engine) Run(ctx context.Context) {
	if err := e.Start(ctx); err != nil && ctx.Err() == nil {
		e.cfg.Logger.Warn("sla: start", "err", err)
	}
	tick := time.NewTicker(e.cfg.Sweep)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-e.queue:
			e.mu.Lock()
			delete(e.pending, id)
			e.mu.Unlock()
			if err := e.Sync(ctx, id); err != nil && ctx.Err() == nil {
				e.cfg.Logger.Warn("sla: sync", "ticket_id", id, "err", err)
			}
		case <-tick.C:
			if err := e.SweepOnce(ctx); err != nil && ctx.Err() == nil {
				e.cfg.Logger.Warn("sla: sweep", "err", err)
			}
		}
	}
}

// Start syncs lagging tickets and arms the periodic timers (digest,
// batch). Safe to call in every process.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.RecordPolicy(ctx); err != nil {
		return err
	}
	if err := e.SweepOnce(ctx); err != nil {
		return err
	}
	return e.armPeriodic(ctx, e.now())
}

// RecordPolicy stores the policy in force under its version. The same
// version with other content is an error: change the version when the
// policy changes, or old tickets would be re-planned under the new rules.
func (e *Engine) RecordPolicy(ctx context.Context) error {
	p := e.cfg.Policy
	got, err := e.cfg.Store.Secret(ctx, "sla-policy:"+p.Version, p.Source)
	if err != nil {
		return err
	}
	if string(got) != string(p.Source) {
		return fmt.Errorf("sla: policy version %q was used before with other content; give the changed policy a new version", p.Version)
	}
	return nil
}

// plannerFor returns the planner of the policy a ticket's clocks were
// first planned with; the current one for a new ticket, or when that
// version is not on record (then a warning is logged).
func (e *Engine) plannerFor(ctx context.Context, clocks []*backend.Clock) *Planner {
	if len(clocks) == 0 {
		return e.planner
	}
	return e.plannerOf(ctx, clocks[0].PolicyVersion)
}

// policyOf returns the policy a ticket was filed under: its escalation
// chain, interval, groups and notice targets apply to it, not the current
// ones (the current policy for a ticket without clocks).
func (e *Engine) policyOf(ctx context.Context, ticketID int64) (*Policy, error) {
	clocks, err := e.cfg.Store.Clocks(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	return e.plannerFor(ctx, clocks).Policy, nil
}

// plannerOf returns the planner of policy version v, loaded once from the
// record RecordPolicy keeps; the current one when v is not on record.
func (e *Engine) plannerOf(ctx context.Context, v string) *Planner {
	e.pmu.Lock()
	p, ok := e.planners[v]
	e.pmu.Unlock()
	if ok {
		return p
	}
	p = e.planner
	// An empty value: an unknown version gets an empty record, which
	// parses as no policy, and the current one is used.
	src, err := e.cfg.Store.Secret(ctx, "sla-policy:"+v, []byte{})
	if err == nil && len(src) > 0 {
		if pol, perr := ParsePolicy(src, "policy "+v); perr == nil {
			p = &Planner{Policy: pol, Calendar: e.cfg.Calendar}
		} else {
			err = perr
		}
	}
	if p == e.planner {
		e.cfg.Logger.Warn("sla: the policy version of a ticket is not on record; re-planning under the current one", "version", v, "err", err)
	}
	e.pmu.Lock()
	e.planners[v] = p
	e.pmu.Unlock()
	return p
}

// AcceptBy returns when the person t is dispatched to at `at` must accept
// it: the deadline of a fresh run of the per_assignee clock (confirm) of
// the ticket's policy; zero when that policy has none for t's severity
// (for backend.ServiceConfig.AcceptBy, which puts it in the assignment
// notice).
func (e *Engine) AcceptBy(ctx context.Context, t *backend.Ticket, at time.Time) time.Time {
	clocks, err := e.cfg.Store.Clocks(ctx, t.ID)
	if err != nil {
		return time.Time{}
	}
	p := e.plannerFor(ctx, clocks)
	for _, spec := range p.Policy.Clocks {
		if b, ok := spec.BudgetFor(t.Form, t.Severity); ok && spec.PerAssignee {
			return p.add(string(b.Unit), at, b.D)
		}
	}
	return time.Time{}
}

// Watchers returns the people the ticket's policy tells of every ticket
// of t's form (notify.forms; seed 001: a complaint's sales manager,
// quality and purchasing managers and general manager), for
// backend.ServiceConfig.Watchers, which tells them of a complaint's plan
// and of each task done.
func (e *Engine) Watchers(ctx context.Context, t *backend.Ticket) ([]int64, error) {
	pol, err := e.policyOf(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	var people []int64
	for _, tg := range pol.NotifyForms[t.Form] {
		ids, err := e.resolve(ctx, pol, t, tg)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !slices.Contains(people, id) {
				people = append(people, id)
			}
		}
	}
	return people, nil
}

// sweepResolved is how far back the sweep looks at resolved tickets: their
// report and review clocks run days, not months, after resolution.
const sweepResolved = 30 * 24 * time.Hour

// SweepOnce syncs every open ticket whose clocks lag behind it, and every
// resolved one changed in the last 30 days.
func (e *Engine) SweepOnce(ctx context.Context) error {
	since := e.cfg.Now().Add(-sweepResolved)
	for {
		ids, err := e.cfg.Store.UnsyncedTickets(ctx, since, 200)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := e.Sync(ctx, id); err != nil {
				return err
			}
		}
		if len(ids) < 200 {
			return nil
		}
	}
}

// Rearm arms the timers of every running clock again (after restoring a
// database, or moving to a new job queue). Timers already armed are not
// duplicated.
func (e *Engine) Rearm(ctx context.Context) (int, error) {
	n, after := 0, int64(0)
	for {
		cs, err := e.cfg.Store.LiveClocks(ctx, after, 200)
		if err != nil {
			return n, err
		}
		if len(cs) == 0 {
			return n, nil
		}
		if err := e.arm(ctx, cs); err != nil {
			return n, err
		}
		n += len(cs)
		after = cs[len(cs)-1].ID
	}
}

// Sync brings a ticket's clocks in line with the ticket, records every
// change as an event, sends the seed 004 §4 notices, and arms timers.
func (e *Engine) Sync(ctx context.Context, ticketID int64) error {
	for attempt := 0; ; attempt++ {
		err := e.sync(ctx, ticketID)
		if backend.ErrorCode(err) != backend.ECONFLICT || attempt >= 4 {
			return err
		}
	}
}

func (e *Engine) sync(ctx context.Context, ticketID int64) error {
	t, err := e.cfg.Store.TicketByID(ctx, ticketID)
	if err != nil {
		return err
	}
	clocks, err := e.cfg.Store.Clocks(ctx, ticketID)
	if err != nil {
		return err
	}
	first := len(clocks) == 0
	planner := e.plannerFor(ctx, clocks)
	pol := planner.Policy
	announce := t.Status.Open() && len(pol.NoticeTargets(t)) > 0
	var events []*backend.Event
	if planner.NeedsMarks() || announce {
		if events, err = e.cfg.Store.Events(ctx, ticketID); err != nil {
			return err
		}
	}
	var marks Marks
	if planner.NeedsMarks() {
		marks = MarksOf(events)
	}
	changed, changes := planner.PlanWith(t, clocks, marks)
	if err := e.arm(ctx, changed); err != nil {
		return err
	}
	// The notices go before the clocks are saved: when one fails, the
	// clocks stay behind the ticket and the sweep syncs it again.
	if announce && !lastLowered(events) && !toldOf(events, t.Severity) {
		// Seed 004 §4 "at once": the targets of the severity the ticket
		// has now who were not told yet, at filing and when it is raised
		// (not when it is lowered: that is no new problem to them).
		key := fmt.Sprintf("notice:%d:created:%s", t.ID, t.Severity)
		if err := e.notice(ctx, pol, t, "created", key, told(events, "notice_created")); err != nil {
			return err
		}
	}
	if t.Status == backend.StatusResolved && !t.ResolvedAt.IsZero() {
		if err := e.notice(ctx, pol, t, "resolved", fmt.Sprintf("notice:%d:resolved:%d", t.ID, t.ResolvedAt.UnixMicro()), nil); err != nil {
			return err
		}
	}
	if err := e.cfg.Store.SaveClocks(ctx, t.ID, t.Version, changed, e.stamp(changes...)); err != nil {
		return err
	}
	if first {
		if err := e.autoAssign(ctx, t); err != nil {
			e.cfg.Logger.Warn("sla: automatic assignment failed; the triage chat claims it", "ticket", t.Number, "err", err)
		}
	}
	if len(changes) > 0 {
		e.changed(t.ID)
	}
	return nil
}

// triage is where a ticket's triage chat hears of it: Config.Triage, or
// the first triage chat.
func (e *Engine) triage(ctx context.Context, t *backend.Ticket) ([]*backend.OutboxMessage, error) {
	if e.cfg.Triage == nil {
		return []*backend.OutboxMessage{{Audience: backend.AudienceTriage}}, nil
	}
	return e.cfg.Triage(ctx, t)
}

// autoAssign gives a new, routed, unheld ticket to someone of its team
// when the policy assigns automatically. The assignment is an ordinary
// change: the clocks follow it through Changed.
func (e *Engine) autoAssign(ctx context.Context, t *backend.Ticket) error {
	if e.cfg.Router == nil || e.cfg.Assign == nil || t.AssigneeID != 0 || t.TeamID == 0 || t.Status != backend.StatusNew {
		return nil
	}
	id, err := e.cfg.Router.Pick(ctx, t.TeamID)
	if err != nil || id == 0 {
		return err
	}
	return e.cfg.Assign(ctx, t, id)
}

// arm schedules the warning and deadline of running clocks.
func (e *Engine) arm(ctx context.Context, clocks []*backend.Clock) error {
	if e.cfg.Scheduler == nil {
		return nil
	}
	var ts []Timer
	for _, c := range clocks {
		if c.State != backend.ClockRunning || !c.AckedAt.IsZero() {
			continue
		}
		base := Timer{TicketID: c.TicketID, Clock: c.Name, Run: c.Run, Generation: c.Generation}
		switch {
		case c.Breached():
			// The next step, an interval after the last one was written.
			base.What, base.At = TimerStep, c.UpdatedAt.Add(e.plannerOf(ctx, c.PolicyVersion).Policy.Interval)
		default:
			if c.WarnedAt.IsZero() && c.WarnAt.Before(c.DueAt) {
				w := base
				w.What, w.At = TimerWarn, c.WarnAt
				ts = append(ts, w)
			}
			base.What, base.At = TimerBreach, c.DueAt
		}
		ts = append(ts, base)
	}
	if len(ts) == 0 {
		return nil
	}
	return e.cfg.Scheduler.Arm(ctx, ts)
}

func (e *Engine) armPeriodic(ctx context.Context, now time.Time) error {
	if e.cfg.Scheduler == nil {
		return nil
	}
	var ts []Timer
	cal := e.cfg.Calendar
	if len(e.cfg.Policy.Digest) > 0 {
		at := cal.EndOfWorkday(now)
		ts = append(ts, Timer{What: TimerDigest, Day: at.In(cal.Location()).Format(time.DateOnly), At: at})
	}
	if len(e.cfg.Policy.Batch) > 0 {
		at := cal.Next(now, e.cfg.Policy.BatchDay, e.cfg.Policy.BatchAt)
		ts = append(ts, Timer{What: TimerBatch, Day: at.In(cal.Location()).Format(time.DateOnly), At: at})
	}
	if len(ts) == 0 {
		return nil
	}
	return e.cfg.Scheduler.Arm(ctx, ts)
}

func (e *Engine) changed(ticketID int64) {
	if e.cfg.Changed != nil {
		e.cfg.Changed(ticketID)
	}
}

// Fire does what a timer is for. A timer whose clock moved on (another
// generation, stopped, acknowledged) does nothing; a step already written
// by another process is not written again.
func (e *Engine) Fire(ctx context.Context, tm Timer) error {
	switch tm.What {
	case TimerDigest:
		return e.digest(ctx, tm)
	case TimerBatch:
		return e.batch(ctx, tm)
	case TimerWarn, TimerBreach, TimerStep:
	default:
		return fmt.Errorf("sla: unknown timer %q", tm.What)
	}
	clocks, err := e.cfg.Store.Clocks(ctx, tm.TicketID)
	if backend.ErrorCode(err) == backend.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	i := slices.IndexFunc(clocks, func(c *backend.Clock) bool { return c.Name == tm.Clock && c.Run == tm.Run })
	if i < 0 {
		return nil
	}
	c := *clocks[i]
	if c.Generation != tm.Generation || c.State != backend.ClockRunning || !c.AckedAt.IsZero() {
		return nil
	}
	t, err := e.cfg.Store.TicketByID(ctx, tm.TicketID)
	if err != nil {
		return err
	}
	pol := e.plannerOf(ctx, c.PolicyVersion).Policy
	now := e.now()
	var ch backend.Change
	switch tm.What {
	case TimerWarn:
		if !c.WarnedAt.IsZero() {
			return nil
		}
		c.WarnedAt = now
		ch = backend.Change{Event: &backend.Event{Kind: backend.EventClock, At: now, Body: c.Name + " warning",
			Data: backend.EventData{Clock: c.Name, Due: c.DueAt}}}
		owners, err := e.owners(ctx, pol, t, c.Name)
		if err != nil {
			return err
		}
		switch {
		case len(owners) > 0:
			// The owner's duty (seed 004 E, L): their people, on their
			// chat, listed in Data.People (the body stays "<clock>
			// warning", which the renderers read).
			ch.Event.Data.People = owners
			for _, id := range owners {
				ch.Notify = append(ch.Notify, &backend.OutboxMessage{Audience: backend.AudiencePerson, RecipientID: id})
			}
		case t.AssigneeID != 0:
			ch.Notify = []*backend.OutboxMessage{{Audience: backend.AudienceAssignee, RecipientID: t.AssigneeID}}
		default:
			if ch.Notify, err = e.triage(ctx, t); err != nil {
				return err
			}
		}
	case TimerBreach, TimerStep:
		if tm.What == TimerBreach {
			if c.Breached() {
				return nil
			}
			c.BreachedAt = now
		}
		done := c.Step
		if tm.What == TimerBreach {
			done = e.firstStep(pol, c.Name) - 1
		}
		step, people, err := e.nextStep(ctx, pol, t, done)
		if err != nil {
			return err
		}
		if step == 0 && done > c.Step {
			// Nobody from the owner's step up: the chain from its start.
			if step, people, err = e.nextStep(ctx, pol, t, c.Step); err != nil {
				return err
			}
		}
		if step == 0 { // the chain is exhausted: nobody further up
			if tm.What == TimerStep {
				return nil
			}
			step = c.Step
		}
		c.Step = step
		ch = backend.Change{Event: &backend.Event{Kind: backend.EventEscalation, At: now,
			Body: fmt.Sprintf("%s breached; step %d: %s", c.Name, step, stepName(pol, step)),
			Data: backend.EventData{Clock: c.Name, Due: c.DueAt, Step: step}}}
		if ch.Notify, err = e.pings(ctx, ch.Event, people); err != nil {
			return err
		}
	}
	c.Generation++
	c.UpdatedAt = now
	// The warning moves the generation on: arm the deadline again. After a
	// step, arm the next one while the chain has steps left.
	if tm.What == TimerWarn || c.Step < len(pol.Chain) {
		if err := e.arm(ctx, []*backend.Clock{&c}); err != nil {
			return err
		}
	}
	err = e.cfg.Store.SaveClocks(ctx, t.ID, 0, []*backend.Clock{&c}, e.stamp(ch))
	if backend.ErrorCode(err) == backend.ECONFLICT {
		return nil // another process fired it, or the clock changed meanwhile
	}
	if err != nil {
		return err
	}
	e.changed(t.ID)
	return nil
}

// toldRE finds the people named in an escalation's body ("; told 王经理
// (#5), 李总监 (#7) +email"), for events written before Data.People.
var toldRE = regexp.MustCompile(`\(#(\d+)\)`)

// told returns the people that the escalation events of clock (a notice's
// "notice_created") in events were sent to.
func told(events []*backend.Event, clock string) []int64 {
	var ids []int64
	for _, ev := range events {
		if ev.Kind != backend.EventEscalation || ev.Data.Clock != clock {
			continue
		}
		people := ev.Data.People
		if len(people) == 0 {
			if _, names, ok := strings.Cut(ev.Body, "; told "); ok {
				for _, m := range toldRE.FindAllStringSubmatch(names, -1) {
					if id, err := strconv.ParseInt(m[1], 10, 64); err == nil {
						people = append(people, id)
					}
				}
			}
		}
		for _, id := range people {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// toldOf reports whether the creation notice for severity sev is in the
// thread already (written with its once-key: nothing more to tell).
func toldOf(events []*backend.Event, sev backend.Severity) bool {
	return slices.ContainsFunc(events, func(ev *backend.Event) bool {
		return ev.Kind == backend.EventEscalation && ev.Data.Clock == "notice_created" && ev.Data.ToSeverity == sev
	})
}

// lastLowered reports whether the ticket's latest severity change lowered
// it: no new problem to the lower severity's people.
func lastLowered(events []*backend.Event) bool {
	for i := len(events) - 1; i >= 0; i-- {
		if ev := events[i]; ev.Kind == backend.EventSeverityChanged {
			return slices.Index(backend.Severities, ev.Data.FromSeverity) < slices.Index(backend.Severities, ev.Data.ToSeverity)
		}
	}
	return false
}

// pings returns the outbox rows for people: one each for the dispatcher to
// deliver on their chat, plus one per second route they have an account on.
// It also names them in the event's body ("; told 王经理 (#5)"), so the
// thread says who was told, and lists them in its Data.People.
func (e *Engine) pings(ctx context.Context, ev *backend.Event, people []int64) ([]*backend.OutboxMessage, error) {
	ev.Data.People = slices.Clone(people)
	var out []*backend.OutboxMessage
	var names []string
	for _, id := range people {
		p, err := e.cfg.Store.Person(ctx, id)
		if err != nil {
			return nil, err
		}
		names = append(names, fmt.Sprintf("%s (#%d)", p.Name, p.ID))
		// One row for their chat, one for each second route they have; a
		// person with no chat account gets only the second-route rows (the
		// chat row would go to one of those routes again).
		var routes []string
		chat := len(p.Accounts) == 0 // nobody to reach: the row says so
		for _, a := range p.Accounts {
			if !slices.Contains(e.cfg.SecondRoutes, a.Platform) {
				chat = true
			} else if !slices.Contains(routes, a.Platform) {
				routes = append(routes, a.Platform)
			}
		}
		if chat {
			out = append(out, &backend.OutboxMessage{Audience: backend.AudiencePerson, RecipientID: id})
		}
		for _, route := range routes {
			out = append(out, &backend.OutboxMessage{Audience: backend.AudiencePerson, RecipientID: id, Platform: route})
			names[len(names)-1] += " +" + route
		}
	}
	if len(names) > 0 {
		ev.Body += "; told " + strings.Join(names, ", ")
	}
	return out, nil
}

// stamp dates the outbox messages of changes with the engine's clock: due
// at once.
func (e *Engine) stamp(changes ...backend.Change) []backend.Change {
	now := e.now()
	for _, c := range changes {
		for _, m := range c.Notify {
			m.CreatedAt, m.NextAttempt = now, now
		}
	}
	return changes
}

func stepName(pol *Policy, step int) string {
	if step >= 1 && step <= len(pol.Chain) {
		return pol.Chain[step-1]
	}
	return "?"
}

// nextStep returns the first step after done whose people can be found,
// and those people; 0 when no step is left.
func (e *Engine) nextStep(ctx context.Context, pol *Policy, t *backend.Ticket, done int) (int, []int64, error) {
	for s := done + 1; s <= len(pol.Chain); s++ {
		ids, err := e.resolve(ctx, pol, t, pol.Chain[s-1])
		if err != nil {
			return 0, nil, err
		}
		if len(ids) > 0 {
			return s, ids, nil
		}
	}
	return 0, nil, nil
}

// firstStep is the step a breach of clock starts the chain of pol at:
// its owner's step, else the first.
func (e *Engine) firstStep(pol *Policy, clock string) int {
	if spec, ok := pol.Clock(clock); ok {
		if s := spec.OwnerStep(pol); s > 0 {
			return s
		}
	}
	return 1
}

// owners returns the people of the owner of clock under pol (nobody when
// the clock has no owner or nobody of that step is found).
func (e *Engine) owners(ctx context.Context, pol *Policy, t *backend.Ticket, clock string) ([]int64, error) {
	spec, ok := pol.Clock(clock)
	if !ok || spec.OwnerStep(pol) == 0 {
		return nil, nil
	}
	return e.resolve(ctx, pol, t, spec.Owner)
}

// resolve returns the people a chain step or notice target of pol names.
func (e *Engine) resolve(ctx context.Context, pol *Policy, t *backend.Ticket, target string) ([]int64, error) {
	switch target {
	case "assignee":
		if t.AssigneeID != 0 {
			return []int64{t.AssigneeID}, nil
		}
		return nil, nil
	case "team_lead", "related":
		if t.TeamID == 0 {
			return nil, nil
		}
		tm, err := e.cfg.Store.Team(ctx, t.TeamID)
		if err != nil {
			return nil, err
		}
		if tm.LeadID == 0 || tm.LeadID == t.AssigneeID {
			return nil, nil
		}
		switch lead, err := e.cfg.Store.Person(ctx, tm.LeadID); {
		case err != nil:
			return nil, err
		case !lead.Active(): // left: the chain goes on without them
			return nil, nil
		}
		return []int64{tm.LeadID}, nil
	case "manager":
		return backend.DirectManagers(ctx, e.cfg.Store, t.TeamID)
	}
	name := pol.Groups[target]
	if name == "" {
		return nil, nil
	}
	if pol.GroupOwners[target] {
		switch id, err := e.customerOwner(ctx, t); {
		case err != nil:
			return nil, err
		case id != 0:
			return []int64{id}, nil
		}
	}
	teams, err := e.cfg.Store.Teams(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, tm := range teams {
		if tm.Name != name {
			continue
		}
		for _, r := range backend.Roles {
			if want, ok := pol.GroupRoles[target]; ok && r != want {
				continue
			}
			ps, err := e.cfg.Store.PeopleWithRole(ctx, r, tm.ID)
			if err != nil {
				return nil, err
			}
			for _, p := range ps {
				if p.TeamID == tm.ID && !slices.Contains(ids, p.ID) {
					ids = append(ids, p.ID)
				}
			}
		}
	}
	return ids, nil
}

// customerOwner is the account manager of t's customer, found by its
// contact's phone in the customer directory: 0 when the phone is none of
// a customer's, the customer has no owner, or the owner left.
func (e *Engine) customerOwner(ctx context.Context, t *backend.Ticket) (int64, error) {
	digits, ok := backend.PhoneDigits(t.Contacts.Phone)
	if !ok {
		return 0, nil
	}
	c, err := e.cfg.Store.CustomerByPhone(ctx, digits)
	if backend.ErrorCode(err) == backend.ENOTFOUND || err == nil && c.OwnerID == 0 {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	owner, err := e.cfg.Store.Person(ctx, c.OwnerID)
	if backend.ErrorCode(err) == backend.ENOTFOUND || err == nil && !owner.Active() {
		return 0, nil // gone: the whole group
	} else if err != nil {
		return 0, err
	}
	return owner.ID, nil
}

// notice tells the seed 004 §4 targets of the ticket's severity, and
// those of its form (seed 001), under pol (the ticket's policy), except
// the people in skip, once per key.
func (e *Engine) notice(ctx context.Context, pol *Policy, t *backend.Ticket, what, key string, skip []int64) error {
	targets := pol.NoticeTargets(t)
	if len(targets) == 0 {
		return nil
	}
	var people []int64
	for _, tg := range targets {
		ids, err := e.resolve(ctx, pol, t, tg)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !slices.Contains(people, id) && !slices.Contains(skip, id) {
				people = append(people, id)
			}
		}
	}
	if len(people) == 0 {
		return nil
	}
	now := e.now()
	ch := backend.Change{Event: &backend.Event{Kind: backend.EventEscalation, At: now, Body: "notice " + what,
		Data: backend.EventData{Clock: "notice_" + what, ToSeverity: t.Severity}}}
	var err error
	if ch.Notify, err = e.pings(ctx, ch.Event, people); err != nil {
		return err
	}
	first, err := e.cfg.Store.RecordOnce(ctx, key, t.ID, e.stamp(ch))
	if err == nil && first {
		e.changed(t.ID)
	}
	return err
}

// openTickets lists open tickets of the given severities.
func (e *Engine) openTickets(ctx context.Context, sevs []backend.Severity) ([]*backend.Ticket, error) {
	var open []backend.Status
	for _, s := range backend.Statuses {
		if s.Open() {
			open = append(open, s)
		}
	}
	f := backend.TicketFilter{Status: open, Severity: sevs, Limit: 200}
	var out []*backend.Ticket
	for {
		page, err := e.cfg.Store.Tickets(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Tickets...)
		if page.NextCursor == 0 {
			return out, nil
		}
		f.After = page.NextCursor
	}
}

// digest sends the end-of-day progress digest of every open P1/P2 ticket
// to its chain (assignee, lead, manager), once per ticket and day, then
// arms the next one.
func (e *Engine) digest(ctx context.Context, tm Timer) error {
	ts, err := e.openTickets(ctx, e.cfg.Policy.Digest)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range ts {
		pol, err := e.policyOf(ctx, t.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var people []int64
		for _, step := range pol.Chain {
			ids, err := e.resolve(ctx, pol, t, step)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, id := range ids {
				if !slices.Contains(people, id) {
					people = append(people, id)
				}
			}
		}
		if len(people) == 0 {
			continue
		}
		progress, err := e.dayProgress(ctx, t, tm.Day)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ch := backend.Change{Event: &backend.Event{Kind: backend.EventEscalation, At: e.now(), Body: "digest " + tm.Day,
			Data: backend.EventData{Clock: "digest"}}}
		if ch.Notify, err = e.pings(ctx, ch.Event, people); err != nil {
			errs = append(errs, err)
			continue
		}
		if progress != "" {
			ch.Event.Body += "\n" + progress // after the first line, which names who was told
		}
		if first, err := e.cfg.Store.RecordOnce(ctx, fmt.Sprintf("digest:%d:%s", t.ID, tm.Day), t.ID, e.stamp(ch)); err != nil {
			errs = append(errs, err)
		} else if first {
			e.changed(t.ID)
		}
	}
	errs = append(errs, e.armPeriodic(ctx, e.now().Add(time.Minute)))
	return errors.Join(errs...)
}

// dayProgress is the staff's latest word of the day on t (seed 004 H: a
// ticket not solved the same day has its progress reported before the
// end of the working day): their latest comment (a reply or an internal
// note), explained delay, status change or transfer with its reason, or
// complaint task done with its result, that day (in the calendar's zone),
// on one line and clipped; "" when they wrote none that day. A digest
// carries it after its first line.
func (e *Engine) dayProgress(ctx context.Context, t *backend.Ticket, day string) (string, error) {
	start, err := time.ParseInLocation(time.DateOnly, day, e.cfg.Calendar.Location())
	if err != nil {
		return "", err
	}
	end := start.AddDate(0, 0, 1)
	events, err := e.cfg.Store.Events(ctx, t.ID)
	if err != nil {
		return "", err
	}
	for i := len(events) - 1; i >= 0 && !events[i].At.Before(start); i-- {
		ev := events[i]
		if !ev.At.Before(end) || ev.ActorID == 0 || ev.ActorID == t.ReporterID {
			continue // another day's, the system's or the reporter's
		}
		switch ev.Kind {
		case backend.EventComment, backend.EventDelay, backend.EventPlanned, backend.EventStatusChanged, backend.EventTransferred:
		case backend.EventTask:
			if ev.Data.TaskStep != backend.TaskDone {
				continue
			}
		default:
			continue
		}
		if text := strings.Join(strings.Fields(ev.Body), " "); text != "" {
			return backend.Clip(text, 300), nil
		}
	}
	return "", nil
}

// batch sends every open P4 ticket not batched before to the info
// specialists (seed 004 D), then arms next week's.
func (e *Engine) batch(ctx context.Context, tm Timer) error {
	ts, err := e.openTickets(ctx, e.cfg.Policy.Batch)
	if err != nil {
		return err
	}
	specialists, err := e.cfg.Store.PeopleWithRole(ctx, backend.RoleInfoSpecialist, 0)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range ts {
		if len(specialists) == 0 {
			break
		}
		ch := backend.Change{Event: &backend.Event{Kind: backend.EventEscalation, At: e.now(), Body: "batch " + tm.Day,
			Data: backend.EventData{Clock: "batch"}}}
		for _, p := range specialists {
			ch.Notify = append(ch.Notify, &backend.OutboxMessage{Audience: backend.AudiencePerson, RecipientID: p.ID})
		}
		if first, err := e.cfg.Store.RecordOnce(ctx, fmt.Sprintf("batch:%d", t.ID), t.ID, e.stamp(ch)); err != nil {
			errs = append(errs, err)
		} else if first {
			e.changed(t.ID)
		}
	}
	if len(specialists) == 0 && len(ts) > 0 {
		e.cfg.Logger.Warn("sla: P4 batch has nobody to go to (no info_specialist)", "tickets", len(ts))
	}
	errs = append(errs, e.armPeriodic(ctx, e.now().Add(time.Minute)))
	return errors.Join(errs...)
}
