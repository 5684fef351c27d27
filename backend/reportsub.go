package backend

import (
	"context"
	"strconv"
	"time"
)

// Report subscriptions (DESIGN §7: reports are "delivered as a chat message
// with a chart image to the managers who subscribe"). A person subscribes
// to the weekly or the monthly report, of one team or of every team; once
// a period has ended (Monday 09:00 for last week, the 1st at 09:00 for last
// month, in the service's zone) one delivery per subscription is queued,
// and backend/reportsend sends it to the person's chat.
//
// Who may subscribe is who may read the report (Service.Report): managers
// and admins to any team or all, an assistant to their own team's. The
// check is made again when the report is sent, so a person who lost the
// role gets nothing.

// ReportSubscription: PersonID receives the report of Kind (PeriodWeek,
// PeriodMonth) for TeamID (0: every team).
type ReportSubscription struct {
	PersonID  int64
	Kind      string
	TeamID    int64
	CreatedAt time.Time
}

// ReportDelivery is one period's report on its way to one subscriber.
type ReportDelivery struct {
	ID       int64
	PersonID int64
	Kind     string
	Period   string // Period.String(): 2026-W48, 2026-11
	TeamID   int64
	// Parts is how many parts of the message went out in earlier attempts
	// (a chat sends the text and the chart separately); a retry skips them.
	Parts       int
	Attempts    int
	NextAttempt time.Time
	SentAt      time.Time // zero until delivered
	FailedAt    time.Time // zero unless given up (LastError says why)
	LastError   string
	CreatedAt   time.Time
}

// Key identifies the delivery for idempotent sending.
func (d *ReportDelivery) Key() string { return "report-" + strconv.FormatInt(d.ID, 10) }

// ReportStore is what report subscriptions need from a database;
// backend.Store includes it, and both stores pass storetest's contract.
type ReportStore interface {
	// SubscribeReport stores s (CreatedAt: the store's clock unless set);
	// subscribing again to the same (person, kind, team) does nothing.
	SubscribeReport(ctx context.Context, s *ReportSubscription) error
	// UnsubscribeReport removes a subscription; removing one that does not
	// exist does nothing.
	UnsubscribeReport(ctx context.Context, personID int64, kind string, teamID int64) error
	// ReportSubscriptions lists a person's subscriptions by kind, then team.
	ReportSubscriptions(ctx context.Context, personID int64) ([]*ReportSubscription, error)
	// QueueReports adds, for every subscription of kind, a delivery of
	// period due at now, unless that subscriber has one for the period and
	// team already (queued before by this or another replica): it returns
	// how many it added.
	QueueReports(ctx context.Context, kind, period string, now time.Time) (int, error)
	// ClaimReports leases up to limit deliveries that are due at now and
	// neither sent nor given up, oldest first; rows another claimer holds
	// are skipped, so two callers never get the same delivery.
	ClaimReports(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*ReportDelivery, error)
	// ReportPartsSent records that the first parts parts of a delivery went out.
	ReportPartsSent(ctx context.Context, id int64, parts int) error
	// MarkReportSent records delivery; marking again does nothing.
	MarkReportSent(ctx context.Context, id int64, at time.Time) error
	// MarkReportRetry records a failed attempt (counted when attempt is
	// true) and ends the lease; the delivery is due again at next.
	MarkReportRetry(ctx context.Context, id int64, next time.Time, lastErr string, attempt bool) error
	// MarkReportFailed gives a delivery up, saying why.
	MarkReportFailed(ctx context.Context, id int64, at time.Time, lastErr string) error
	// ReportDeliveries lists a person's deliveries, newest first, at most limit.
	ReportDeliveries(ctx context.Context, personID int64, limit int) ([]*ReportDelivery, error)
}

// validKind is EINVALID unless kind is a report period kind.
func validKind(kind string) error {
	if kind != PeriodWeek && kind != PeriodMonth {
		return Invalid("bad report kind", "kind", "must be week or month",
			Problem{Key: "report_kind", Args: map[string]any{"Value": kind}})
	}
	return nil
}

// SubscribeReport subscribes actor (on) to the report of kind for teamID
// (0: every team, or for an assistant their own), or ends that
// subscription (!on). EFORBIDDEN when actor may not read that report;
// ENOTFOUND for an unknown team; EINVALID for a bad kind. It returns the
// subscription as stored (its TeamID resolved).
func (s *Service) SubscribeReport(ctx context.Context, actor *Person, kind string, teamID int64, on bool) (*ReportSubscription, error) {
	if err := validKind(kind); err != nil {
		return nil, err
	}
	tm, err := s.reportTeam(ctx, actor, teamID)
	if err != nil {
		return nil, err
	}
	sub := &ReportSubscription{PersonID: actor.ID, Kind: kind, TeamID: tm.idOrAll()}
	if !on {
		return sub, s.store.UnsubscribeReport(ctx, actor.ID, kind, sub.TeamID)
	}
	if err := s.store.SubscribeReport(ctx, sub); err != nil {
		return nil, err
	}
	return sub, nil
}

// ReportSubscriptions lists actor's own subscriptions.
func (s *Service) ReportSubscriptions(ctx context.Context, actor *Person) ([]*ReportSubscription, error) {
	return s.store.ReportSubscriptions(ctx, actor.ID)
}

// ReportDeliveries lists actor's own latest report deliveries (at most
// limit), newest first: what was sent, what is waiting, what was given
// up and why.
func (s *Service) ReportDeliveries(ctx context.Context, actor *Person, limit int) ([]*ReportDelivery, error) {
	return s.store.ReportDeliveries(ctx, actor.ID, min(max(limit, 1), 50))
}

// reportTeam is the team actor asks a report of (nil: every team): any
// for managers and admins, their own for an assistant. EFORBIDDEN,
// ENOTFOUND.
func (s *Service) reportTeam(ctx context.Context, actor *Person, teamID int64) (*Team, error) {
	switch {
	case actor.SeesAll():
	case actor.HasRole(RoleAssistant) && actor.TeamID != 0 && (teamID == 0 || teamID == actor.TeamID):
		teamID = actor.TeamID
	default:
		return nil, Keyed(EFORBIDDEN, "report_forbidden", nil, "only managers read every report; assistants read their own team's")
	}
	if teamID == 0 {
		return nil, nil
	}
	tm, err := s.store.Team(ctx, teamID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, Keyed(ENOTFOUND, "team", map[string]any{"ID": teamID}, "team %d not found", teamID)
	}
	return tm, err
}

// idOrAll is t's ID, 0 for nil (every team).
func (t *Team) idOrAll() int64 {
	if t == nil {
		return 0
	}
	return t.ID
}
