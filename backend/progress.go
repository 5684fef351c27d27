package backend

import (
	"context"
	"strconv"
	"time"
)

// DefaultProgressEvery is how long a ticket may go without news to its
// reporter, by severity (seed 002, 第四步: "P1级问题需每日同步进展，P2级每2天
// 同步一次，保证客户知情权"). P3 and P4 have no cadence.
var DefaultProgressEvery = map[Severity]time.Duration{
	P1: 24 * time.Hour,
	P2: 48 * time.Hour,
}

// progressStatuses are the statuses in which the reporter is owed news:
// the ticket waits on the team, not on the reporter or the customer.
var progressStatuses = []Status{StatusNew, StatusAssigned, StatusInProgress, StatusPendingTest, StatusReturned, StatusReopened}

// ProgressStore is what progress notes need of a Store.
type ProgressStore interface {
	// QuietTickets returns up to limit tickets with ID > after, by ID, of
	// severity sev and one of statuses, whose last news to the reporter
	// is at or before since.
	QuietTickets(ctx context.Context, sev Severity, statuses []Status, since time.Time, after int64, limit int) ([]QuietTicket, error)
}

// QuietTicket is a ticket whose reporter has heard nothing since LastNews:
// the time of its last public event by anyone but the reporter, or its
// filing.
type QuietTicket struct {
	ID       int64
	LastNews time.Time
}

// SyncProgress keeps reporters informed (进度同步): a ticket of a severity
// in every (DefaultProgressEvery) whose reporter has heard nothing from
// the team for that long, while it waits on the team, gets a progress
// note. The reporter is told where it stands and who has it; the assignee,
// or the team's triage chats when nobody has it, is told that the
// reporter was left without news, to add the real progress. The note is
// itself news, so the next one comes a period later. Safe to run in every
// process at once (Store.RecordOnce); returns how many notes this call
// wrote.
func (s *Service) SyncProgress(ctx context.Context, every map[Severity]time.Duration) (int, error) {
	now := s.now()
	sent := 0
	for _, sev := range Severities {
		period := every[sev]
		if period <= 0 {
			continue
		}
		since := now.Add(-period)
		for after := int64(0); ; {
			quiet, err := s.store.QuietTickets(ctx, sev, progressStatuses, since, after, 100)
			if err != nil {
				return sent, err
			}
			for _, q := range quiet {
				ok, err := s.noteProgress(ctx, q, now)
				if err != nil {
					return sent, err
				}
				if ok {
					sent++
				}
				after = q.ID
			}
			if len(quiet) < 100 {
				break
			}
		}
	}
	return sent, nil
}

// noteProgress writes the progress note of a quiet ticket, once per
// silence: processes that find the same silence write one note.
func (s *Service) noteProgress(ctx context.Context, q QuietTicket, now time.Time) (bool, error) {
	t, err := s.store.TicketByID(ctx, q.ID)
	if err != nil {
		return false, err
	}
	ev := &Event{TicketID: t.ID, Kind: EventProgress, At: now, Public: true,
		Data: EventData{To: t.Status, AssigneeID: t.AssigneeID, QuietHours: int(now.Sub(q.LastNews) / time.Hour)}}
	c := Change{Event: ev, Notify: []*OutboxMessage{{Audience: AudienceReporter, RecipientID: t.ReporterID}}}
	if t.AssigneeID != 0 {
		c.Notify = append(c.Notify, &OutboxMessage{Audience: AudienceAssignee, RecipientID: t.AssigneeID})
	} else {
		triage, err := s.triageOfTeam(ctx, t.TeamID)
		if err != nil {
			return false, err
		}
		c.Notify = append(c.Notify, triage...)
	}
	stamp([]Change{c}, now)
	key := "progress-" + strconv.FormatInt(t.ID, 10) + "-" + strconv.FormatInt(q.LastNews.UnixMicro(), 10)
	ok, err := s.store.RecordOnce(ctx, key, t.ID, []Change{c})
	if err != nil {
		return false, err
	}
	if ok {
		s.changed(t)
	}
	return ok, nil
}
