package backend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Follow-up reminders, as Data.FollowUpStep of an EventFollowUp: the
// survey or callback of a follow-up is due this week, or overdue. The
// event's Data.WindowFrom and Data.Due are the window (Due exclusive);
// it is overdue when the event came at or after Due.
const (
	StepSurveyDue   = "survey_due"
	StepCallbackDue = "callback_due"
)

// Follow-up reminders are posted from FollowUpRemindHour to
// followUpQuietHour (not included), in the service's zone: a process that
// was down at 09:00 catches up during the day, not at night.
const (
	FollowUpRemindHour = 9
	followUpQuietHour  = 20
)

// FollowUpNagWeeks is how many weeks after its window closed an overdue
// survey or callback is still reminded each Monday; after that it stays
// on the console's board only (and a first run does not post every
// follow-up of the past).
const FollowUpNagWeeks = 4

// remindedMemo remembers the reminders this process wrote or found
// written, so that a sweep every minute reads a ticket only for a
// reminder it has not seen. Store.RecordOnce stays the guard across
// processes and restarts.
type remindedMemo struct {
	mu   sync.Mutex
	week time.Time
	keys map[string]bool
}

// seen reports whether key was marked in week; a new week forgets the
// last one's keys.
func (m *remindedMemo) seen(week time.Time, key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.week.Equal(week) {
		m.week, m.keys = week, map[string]bool{}
	}
	return m.keys[key]
}

func (m *remindedMemo) mark(week time.Time, key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.week.Equal(week) {
		m.keys[key] = true
	}
}

// RemindFollowUps tells the staff of the week's dissatisfaction
// follow-ups (seed 003: 每周一到每周三调研, 每周四到每周日回访): from
// 09:00 on the first day of a survey's or callback's window, and from
// 09:00 on each Monday after while it is overdue (for FollowUpNagWeeks),
// the ticket's triage audience (its team's chat, else the triage chats)
// gets a reminder, which the chat channels post under the ticket's card,
// with buttons to record it. Nothing is posted after 20:00; a process
// that was down catches up the next morning. A callback that waits for
// the ticket's new result (DueWaiting) is not reminded; the one resolving
// it makes it due. Each reminder is a staff-only event on the thread,
// written once per follow-up, kind and week: safe to run in every process
// at once (Store.RecordOnce). A follow-up that cannot be reminded does not
// hold up the others. Returns how many this call wrote.
func (s *Service) RemindFollowUps(ctx context.Context) (int, error) {
	now, loc := s.now(), s.cfg.Location
	if h := now.In(loc).Hour(); h < FollowUpRemindHour || h >= followUpQuietHour {
		return 0, nil
	}
	week := WeekStart(now, loc)
	sent := 0
	var errs []error
	for f := (FollowUpFilter{Open: true, Limit: 200}); ; {
		page, err := s.store.FollowUps(ctx, f)
		if err != nil {
			return sent, errors.Join(append(errs, err)...)
		}
		for _, fu := range page.FollowUps {
			for _, step := range []string{StepSurveyDue, StepCallbackDue} {
				ok, err := s.remindFollowUp(ctx, fu, step, now, week)
				if err != nil {
					errs = append(errs, fmt.Errorf("follow-up %d: %w", fu.ID, err))
				}
				if ok {
					sent++
				}
			}
		}
		if page.NextCursor == 0 || ctx.Err() != nil {
			return sent, errors.Join(errs...)
		}
		f.After = page.NextCursor
	}
}

// dayAt is hour o'clock, in loc, on the day of t in loc.
func dayAt(t time.Time, hour int, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), hour, 0, 0, 0, loc)
}

// remindFollowUp writes the reminder of one step of fu if it is time and
// it was not written this week.
func (s *Service) remindFollowUp(ctx context.Context, fu *FollowUp, step string, now, week time.Time) (bool, error) {
	loc := s.cfg.Location
	var due Due
	var from, to time.Time
	if step == StepSurveyDue {
		due = fu.SurveyDue(now, loc)
		from, to = fu.SurveyWindow(loc)
	} else {
		due = fu.CallbackDue(now, loc)
		from, to = fu.CallbackWindow(loc)
	}
	switch {
	case due == DueNow && !now.Before(dayAt(from, FollowUpRemindHour, loc)):
	case due == DueOverdue && !now.Before(dayAt(week, FollowUpRemindHour, loc)) && now.Before(to.AddDate(0, 0, 7*FollowUpNagWeeks)):
	default:
		return false, nil
	}
	key := "followup-" + step + "-" + strconv.FormatInt(fu.ID, 10) + "-" + week.Format(time.DateOnly)
	if s.reminded.seen(week, key) {
		return false, nil
	}
	t, err := s.store.TicketByID(ctx, fu.TicketID)
	if err != nil {
		return false, err
	}
	notify, err := s.TriageAudience(ctx, t)
	if err != nil {
		return false, err
	}
	ev := &Event{TicketID: t.ID, Kind: EventFollowUp, At: now,
		Data: EventData{FollowUpID: fu.ID, FollowUpStep: step, WindowFrom: from.UTC(), Due: to.UTC()}}
	c := []Change{{Event: ev, Notify: notify}}
	stamp(c, now)
	ok, err := s.store.RecordOnce(ctx, key, t.ID, c)
	if err != nil {
		return false, err
	}
	s.reminded.mark(week, key)
	if ok {
		s.changed(t)
	}
	return ok, nil
}

// ReminderWindow is the window of a follow-up reminder (StepSurveyDue,
// StepCallbackDue) as its first and last day in zone ("11-30", "12-02"),
// and whether the reminder came once the window had closed. A nil zone is
// the service's default (Asia/Shanghai).
func (e *Event) ReminderWindow(zone *time.Location) (first, last string, overdue bool) {
	if zone == nil {
		zone = defaultLocation()
	}
	first = e.Data.WindowFrom.In(zone).Format("01-02")
	last = e.Data.Due.In(zone).AddDate(0, 0, -1).Format("01-02")
	return first, last, !e.At.Before(e.Data.Due)
}
