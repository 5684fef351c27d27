// Package storekit holds what the SQL stores (backend/postgres and
// backend/sqlite) do alike before they write: the precision times are kept
// at, the defaults of a change's event and messages, and the category key
// used for prefix filters. The SQL itself stays in each store.
//
// It imports backend and the standard library only.
package storekit

import (
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// Norm cuts t to what the stores keep: microseconds, in UTC; zero stays zero.
func Norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Microsecond).UTC()
}

// OrNow is t normalized, or now when t is zero.
func OrNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return Norm(t)
}

// NormTicket cuts t's times to what the stores keep. Attachments are copied
// so that the caller's slice is not changed.
func NormTicket(t *backend.Ticket) {
	t.OccurredAt, t.ResolvedAt, t.UpdatedAt, t.CreatedAt = Norm(t.OccurredAt), Norm(t.ResolvedAt), Norm(t.UpdatedAt), Norm(t.CreatedAt)
	t.AcceptedAt = Norm(t.AcceptedAt)
	if t.Attachments != nil {
		atts := make([]backend.Attachment, len(t.Attachments))
		for i, a := range t.Attachments {
			a.AddedAt = Norm(a.AddedAt)
			atts[i] = a
		}
		t.Attachments = atts
	}
}

// CategoryKey is the path with every name followed by U+001F, so that a
// prefix of the key is a prefix of the path and ["A"] does not match ["AB"].
func CategoryKey(path []string) string {
	var b strings.Builder
	for _, c := range path {
		b.WriteString(c)
		b.WriteByte(0x1f)
	}
	return b.String()
}

// PageLimit applies the default (50) and the maximum (200) of a page.
func PageLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 200:
		return 200
	}
	return n
}

// Page cuts list, read with one row more than limit (newest first), to a
// page: at most limit items, never nil, and the cursor of the next page
// (the last item's id) when there was more, else 0.
func Page[T any](list []T, limit int, id func(T) int64) ([]T, int64) {
	if list == nil {
		list = []T{}
	}
	if len(list) > limit {
		list = list[:limit]
		return list, id(list[limit-1])
	}
	return list, 0
}

// ChangeSet holds copies of the caller's events and messages, with defaults
// filled in. They are written from the copies and copied back by Apply only
// after commit, so a failed call leaves the caller's structs as they were.
type ChangeSet struct {
	changes   []backend.Change
	Events    []backend.Event
	Msgs      [][]backend.OutboxMessage  // Msgs[i] are the messages of Events[i]
	FollowUps []*backend.FollowUp        // FollowUps[i] is the follow-up of Events[i], or nil
	Tasks     []*backend.Task            // Tasks[i] is the task of Events[i], or nil
	Records   []*backend.ComplaintRecord // Records[i] is the closing record of Events[i], or nil
}

// NewChangeSet copies changes, filling in At, CreatedAt and NextAttempt
// from now where they are zero; with webhook set, every event also gets
// a message for the webhook audience. EINVALID for a change without an
// event or with a nil message.
func NewChangeSet(changes []backend.Change, now time.Time, webhook bool) (*ChangeSet, error) {
	cs := &ChangeSet{changes: changes, Events: make([]backend.Event, len(changes)), Msgs: make([][]backend.OutboxMessage, len(changes)),
		FollowUps: make([]*backend.FollowUp, len(changes)), Tasks: make([]*backend.Task, len(changes)),
		Records: make([]*backend.ComplaintRecord, len(changes))}
	for i, c := range changes {
		if c.Event == nil {
			return nil, backend.Errorf(backend.EINVALID, "change %d has no event", i)
		}
		e := *c.Event
		e.At = OrNow(e.At, now)
		if a := e.Data.Attachment; a != nil {
			cp := *a
			cp.AddedAt = Norm(cp.AddedAt)
			e.Data.Attachment = &cp
		}
		cs.Events[i] = e
		cs.Msgs[i] = make([]backend.OutboxMessage, len(c.Notify))
		for j, m := range c.Notify {
			if m == nil {
				return nil, backend.Errorf(backend.EINVALID, "change %d has a nil message", i)
			}
			mc := *m
			mc.CreatedAt = OrNow(mc.CreatedAt, now)
			mc.NextAttempt = OrNow(mc.NextAttempt, mc.CreatedAt)
			mc.SentAt = Norm(mc.SentAt)
			cs.Msgs[i][j] = mc
		}
		if webhook {
			cs.Msgs[i] = append(cs.Msgs[i], backend.OutboxMessage{Audience: backend.AudienceWebhook, CreatedAt: now, NextAttempt: now})
		}
		if c.FollowUp != nil {
			cs.FollowUps[i] = NormFollowUp(c.FollowUp, now)
		}
		if c.Task != nil {
			t := *c.Task
			t.Due, t.DoneAt, t.RemindedAt = Norm(t.Due), Norm(t.DoneAt), Norm(t.RemindedAt)
			t.CreatedAt = OrNow(t.CreatedAt, now)
			cs.Tasks[i] = &t
		}
		if c.Complaint != nil {
			r := *c.Complaint
			r.RecordedAt, r.ApprovedAt, r.SentAt = Norm(r.RecordedAt), Norm(r.ApprovedAt), Norm(r.SentAt)
			cs.Records[i] = &r
		}
	}
	return cs, nil
}

// NormFollowUp returns a copy of f with its times cut to what the stores
// keep, CreatedAt and UpdatedAt defaulting to now, and no factors as nil.
func NormFollowUp(f *backend.FollowUp, now time.Time) *backend.FollowUp {
	c := *f
	c.RatedAt, c.SurveyedAt, c.CalledAt = Norm(c.RatedAt), Norm(c.SurveyedAt), Norm(c.CalledAt)
	c.CreatedAt, c.UpdatedAt = OrNow(c.CreatedAt, now), OrNow(c.UpdatedAt, now)
	c.Factors = Factors(c.Factors)
	return &c
}

// Factors is a copy of fs, nil when empty, so that a follow-up without
// factors reads back as it was written.
func Factors(fs []backend.Factor) []backend.Factor {
	if len(fs) == 0 {
		return nil
	}
	return append([]backend.Factor(nil), fs...)
}

// FactorList is fs for a JSON column: an empty list, never null.
func FactorList(fs []backend.Factor) []backend.Factor {
	if fs == nil {
		return []backend.Factor{}
	}
	return fs
}

// NoFollowUps is EINVALID when one of changes opens or saves a follow-up,
// a task or a closing record: CreateTicket refuses them.
func NoFollowUps(changes []backend.Change) error {
	for _, c := range changes {
		if c.FollowUp != nil || c.Task != nil || c.Complaint != nil {
			return backend.Errorf(backend.EINVALID, "a new ticket has no follow-up, task or closing record")
		}
	}
	return nil
}

// Apply copies the written events and messages back to the caller's.
func (cs *ChangeSet) Apply() {
	for i, c := range cs.changes {
		*c.Event = cs.Events[i]
		for j, m := range c.Notify {
			*m = cs.Msgs[i][j]
		}
		if c.FollowUp != nil {
			*c.FollowUp = *cs.FollowUps[i]
		}
		if c.Task != nil {
			number := c.Task.Number
			*c.Task = *cs.Tasks[i]
			c.Task.Number = number
		}
		if c.Complaint != nil {
			*c.Complaint = *cs.Records[i]
		}
	}
}

// Path is a category path as the stores return it: nil when empty.
func Path(p []string) []string {
	if len(p) == 0 {
		return nil
	}
	return p
}

// PathList is p for a JSON column: an empty list, never null.
func PathList(p []string) []string {
	if p == nil {
		return []string{}
	}
	return p
}

// NewKBEntry names an entry not stored yet (it has no KB-n) in errors and
// logs: by the ticket it is filed from, never by its title, which may
// carry a customer's data (DESIGN §10).
func NewKBEntry(e *backend.KBEntry) string {
	switch {
	case e.Number != "":
		return "knowledge-base entry from ticket " + e.Number
	case e.TicketID != 0:
		return "knowledge-base entry from ticket id " + strconv.FormatInt(e.TicketID, 10)
	}
	return "new knowledge-base entry"
}
