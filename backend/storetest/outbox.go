package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// farFuture is a claim time at which every message made by the store's
// clock is due.
var farFuture = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// t0 is the base time of the outbox tests; messages get explicit times.
var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func msg(a backend.Audience, recipient int64, next time.Time) *backend.OutboxMessage {
	return &backend.OutboxMessage{Audience: a, RecipientID: recipient, NextAttempt: next}
}

func claim(tb testing.TB, s backend.Store, now time.Time, lease time.Duration, limit int) []int64 {
	tb.Helper()
	ms, err := s.ClaimOutbox(tb.Context(), now, lease, limit)
	must(tb, err)
	return msgIDs(ms)
}

func testClaimOutbox(t *testing.T, newStore NewStoreFunc) {
	t.Run("DueAndLease", func(t *testing.T) {
		_, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		now := msg(backend.AudienceTriage, 0, t0)
		later := msg(backend.AudienceReporter, rep.ID, t0.Add(time.Hour))
		createTicket(t, s, minimalTicket(rep.ID), "FB", day, notify(backend.EventCreated, t0, now, later))

		equal(t, "before anything is due", claim(t, s, t0.Add(-time.Second), time.Minute, 10), []int64{})
		equal(t, "due now", claim(t, s, t0, time.Minute, 10), []int64{now.ID})
		equal(t, "leased", claim(t, s, t0.Add(59*time.Second), time.Minute, 10), []int64{})
		equal(t, "lease over", claim(t, s, t0.Add(time.Minute), time.Minute, 10), []int64{now.ID})
		equal(t, "both due", claim(t, s, t0.Add(2*time.Hour), time.Minute, 10), []int64{now.ID, later.ID})
	})
	t.Run("Fields", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		m := msg(backend.AudienceReporter, rep.ID, t0.Add(123456789))
		createTicket(t, s, minimalTicket(rep.ID), "FB", day, notify(backend.EventCreated, t0, m))
		got, err := s.ClaimOutbox(ctx, t0.Add(time.Second), time.Minute, 1)
		must(t, err)
		m.NextAttempt = t0.Add(123456000)
		equal(t, "claimed", got, []*backend.OutboxMessage{m})
	})
	t.Run("PerPlatform", func(t *testing.T) {
		// One triage row per platform: each is its own queue, so a chat
		// that is slow or down does not hold back the other's cards.
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		tg, sl := msg(backend.AudienceTriage, 0, t0), msg(backend.AudienceTriage, 0, t0)
		tg.Platform, sl.Platform = "telegram", "slack"
		tg2 := msg(backend.AudienceTriage, 0, t0)
		tg2.Platform = "telegram"
		createTicket(t, s, minimalTicket(rep.ID), "FB", day, notify(backend.EventCreated, t0, tg, sl), notify(backend.EventComment, t0, tg2))
		got, err := s.ClaimOutbox(ctx, t0, time.Minute, 10)
		must(t, err)
		equal(t, "claimed", ids(got, func(m *backend.OutboxMessage) int64 { return m.ID }), []int64{tg.ID, sl.ID})
		equal(t, "platforms", []string{got[0].Platform, got[1].Platform}, []string{"telegram", "slack"})
	})
	t.Run("TeamChat", func(t *testing.T) {
		// A triage row may name a team's own chat; it comes back with it.
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		team, global := msg(backend.AudienceTriage, 0, t0), msg(backend.AudienceTriage, 0, t0)
		team.Platform, team.Chat, global.Platform = "telegram", "-1001234567890", "slack"
		createTicket(t, s, minimalTicket(rep.ID), "FB", day, notify(backend.EventCreated, t0, team, global))
		moved := msg(backend.AudienceTriage, 0, t0)
		moved.Platform, moved.Chat = "slack", "C0TEAM"
		tk := createTicket(t, s, minimalTicket(rep.ID), "FB", day)
		must(t, s.UpdateTicket(ctx, tk, []backend.Change{notify(backend.EventAssigned, t0, moved)}))
		got, err := s.ClaimOutbox(ctx, t0, time.Minute, 10)
		must(t, err)
		equal(t, "claimed", got, []*backend.OutboxMessage{team, global, moved})
	})
	t.Run("OnePerRecipientInOrder", func(t *testing.T) {
		_, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		staff := createPerson(t, s, "staff", 0, backend.RoleAssistant)
		r1, tr := msg(backend.AudienceReporter, rep.ID, t0), msg(backend.AudienceTriage, 0, t0)
		r2 := msg(backend.AudienceReporter, rep.ID, t0)
		p1, p2 := msg(backend.AudiencePerson, staff.ID, t0), msg(backend.AudiencePerson, rep.ID, t0) // other recipients
		createTicket(t, s, minimalTicket(rep.ID), "FB", day,
			notify(backend.EventCreated, t0, r1, tr), notify(backend.EventComment, t0, r2, p1, p2))
		other := msg(backend.AudienceReporter, rep.ID, t0) // same recipient, other ticket
		createTicket(t, s, minimalTicket(rep.ID), "FB", day, notify(backend.EventCreated, t0, other))

		equal(t, "first round", claim(t, s, t0, time.Minute, 10), []int64{r1.ID, tr.ID, p1.ID, p2.ID, other.ID})
		equal(t, "r2 waits for r1 while it is leased", claim(t, s, t0.Add(2*time.Minute), time.Hour, 10), []int64{r1.ID, tr.ID, p1.ID, p2.ID, other.ID})
		must(t, s.MarkOutboxRetry(t.Context(), r1.ID, t0.Add(time.Hour), "timeout"))
		equal(t, "r2 waits for r1 while it is retried", claim(t, s, t0.Add(30*time.Minute), time.Hour, 10), []int64{})
		must(t, s.MarkOutboxSent(t.Context(), r1.ID, t0.Add(31*time.Minute), "sent"))
		equal(t, "r2 after r1 is sent", claim(t, s, t0.Add(32*time.Minute), time.Hour, 10), []int64{r2.ID})
	})
	t.Run("Limit", func(t *testing.T) {
		_, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		var all []int64
		for range 5 {
			m := msg(backend.AudienceTriage, 0, t0)
			createTicket(t, s, minimalTicket(rep.ID), "FB", day, notify(backend.EventCreated, t0, m))
			all = append(all, m.ID)
		}
		equal(t, "first two", claim(t, s, t0, time.Minute, 2), all[:2])
		equal(t, "next two", claim(t, s, t0, time.Minute, 2), all[2:4])
		equal(t, "rest", claim(t, s, t0, time.Minute, 2), all[4:])
	})
	t.Run("Concurrent", func(t *testing.T) {
		// Four senders claim from 60 messages at once: each message goes to
		// exactly one of them.
		const messages, senders = 60, 4
		_, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		var want []int64
		for i := range messages / 3 {
			ms := []*backend.OutboxMessage{msg(backend.AudienceTriage, 0, t0), msg(backend.AudienceReporter, rep.ID, t0),
				msg(backend.AudiencePerson, int64(i+1000), t0)}
			createTicket(t, s, minimalTicket(rep.ID), "FB", day, notify(backend.EventCreated, t0, ms...))
			want = append(want, msgIDs(ms)...)
		}
		got := make([][]int64, senders)
		errs := make([]error, senders)
		var wg sync.WaitGroup
		for w := range senders {
			wg.Go(func() {
				for {
					ms, err := s.ClaimOutbox(t.Context(), t0, time.Hour, 3)
					if err != nil {
						errs[w] = err
						return
					}
					if len(ms) == 0 {
						return
					}
					got[w] = append(got[w], msgIDs(ms)...)
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			must(t, err)
		}
		all := slices.Concat(got...)
		slices.Sort(all)
		equal(t, "claimed by all senders", all, want)
	})
	t.Run("Empty", func(t *testing.T) {
		_, s := setup(t, newStore)
		equal(t, "claimed", claim(t, s, farFuture, time.Minute, 10), []int64{})
	})
}

func testMarkOutboxSent(t *testing.T, newStore NewStoreFunc) {
	t.Run("OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		m := msg(backend.AudienceReporter, rep.ID, t0)
		tk := createTicket(t, s, minimalTicket(rep.ID), "FB", day, notify(backend.EventCreated, t0, m))
		equal(t, "claimed", claim(t, s, t0, time.Minute, 10), []int64{m.ID})

		sentAt := time.Date(2026, 11, 22, 18, 0, 5, 999, cst)
		must(t, s.MarkOutboxSent(ctx, m.ID, sentAt, "telegram: chat 1***9"))
		evs := events(t, s, tk.ID)
		equal(t, "events", len(evs), 2)
		last := evs[1]
		if last.ID == 0 || last.TicketID != tk.ID || last.Kind != backend.EventNotificationSent || last.Body != "telegram: chat 1***9" ||
			last.At != time.Date(2026, 11, 22, 10, 0, 5, 0, time.UTC) || last.ActorID != 0 || last.Public {
			t.Fatalf("notification event: %s", dump(last))
		}
		equal(t, "claimed after sent", claim(t, s, farFuture, time.Minute, 10), []int64{})

		must(t, s.MarkOutboxSent(ctx, m.ID, sentAt.Add(time.Hour), "again"))
		equal(t, "events after marking again", len(events(t, s, tk.ID)), 2)
	})
	t.Run("Concurrent", func(t *testing.T) {
		// Two senders that both think they delivered: one event only.
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		m := msg(backend.AudienceReporter, rep.ID, t0)
		tk := createTicket(t, s, minimalTicket(rep.ID), "FB", day, notify(backend.EventCreated, t0, m))
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { errs[i] = s.MarkOutboxSent(ctx, m.ID, t0, "sent") })
		}
		wg.Wait()
		for _, err := range errs {
			must(t, err)
		}
		equal(t, "events", len(events(t, s, tk.ID)), 2)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		wantCode(t, s.MarkOutboxSent(ctx, missing, t0, "x"), backend.ENOTFOUND)
	})
}

func testMarkOutboxRetry(t *testing.T, newStore NewStoreFunc) {
	t.Run("OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		m := msg(backend.AudienceReporter, rep.ID, t0)
		createTicket(t, s, minimalTicket(rep.ID), "FB", day, notify(backend.EventCreated, t0, m))
		equal(t, "claimed", claim(t, s, t0, time.Hour, 10), []int64{m.ID})

		next := t0.Add(5 * time.Minute)
		must(t, s.MarkOutboxRetry(ctx, m.ID, next, "429 retry_after=300"))
		equal(t, "before next", claim(t, s, next.Add(-time.Microsecond), time.Hour, 10), []int64{})
		got, err := s.ClaimOutbox(ctx, next, time.Hour, 10) // the hour-long lease ended with the retry
		must(t, err)
		m.Attempts, m.NextAttempt, m.LastError = 1, next, "429 retry_after=300"
		equal(t, "claimed again", got, []*backend.OutboxMessage{m})

		must(t, s.MarkOutboxRetry(ctx, m.ID, next.Add(time.Minute), "again"))
		got, err = s.ClaimOutbox(ctx, farFuture, time.Hour, 10)
		must(t, err)
		equal(t, "attempts", got[0].Attempts, 2)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		wantCode(t, s.MarkOutboxRetry(ctx, missing, t0, "x"), backend.ENOTFOUND)
		wantCode(t, s.DeferOutbox(ctx, missing, t0, "x"), backend.ENOTFOUND)
	})
	t.Run("Defer", func(t *testing.T) {
		// Deferring is rescheduling without counting an attempt.
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		m := msg(backend.AudienceReporter, rep.ID, t0)
		createTicket(t, s, minimalTicket(rep.ID), "FB", day, notify(backend.EventCreated, t0, m))
		equal(t, "claimed", claim(t, s, t0, time.Hour, 10), []int64{m.ID})
		must(t, s.MarkOutboxRetry(ctx, m.ID, t0, "502"))
		equal(t, "claimed after the failure", claim(t, s, t0, time.Hour, 10), []int64{m.ID})
		next := t0.Add(3 * time.Second)
		must(t, s.DeferOutbox(ctx, m.ID, next, "rate limited"))
		equal(t, "before next", claim(t, s, next.Add(-time.Microsecond), time.Hour, 10), []int64{})
		got, err := s.ClaimOutbox(ctx, next, time.Hour, 10)
		must(t, err)
		m.Attempts, m.NextAttempt, m.LastError = 1, next, "rate limited"
		equal(t, "claimed again, one attempt counted", got, []*backend.OutboxMessage{m})
	})
}
