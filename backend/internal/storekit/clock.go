package storekit

import (
	"time"

	"github.com/deskbot/deskbot/backend"
)

// NormClock returns a copy of c as the stores save it: on ticketID, times
// cut to microseconds in UTC, UpdatedAt the caller's or now.
func NormClock(c *backend.Clock, ticketID int64, now time.Time) backend.Clock {
	n := *c
	n.TicketID = ticketID
	n.StartedAt, n.RunningSince, n.WarnAt, n.DueAt = Norm(n.StartedAt), Norm(n.RunningSince), Norm(n.WarnAt), Norm(n.DueAt)
	n.PausedAt, n.StoppedAt, n.WarnedAt, n.BreachedAt = Norm(n.PausedAt), Norm(n.StoppedAt), Norm(n.WarnedAt), Norm(n.BreachedAt)
	n.AckedAt = Norm(n.AckedAt)
	n.UpdatedAt = OrNow(n.UpdatedAt, now)
	if n.StartedAt.IsZero() {
		n.StartedAt = n.UpdatedAt
	}
	return n
}
