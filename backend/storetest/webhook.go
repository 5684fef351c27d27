package storetest

import (
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// Webhook checks a store with webhooks on (postgres.Store.Webhook,
// sqlite.Store.Webhook): every event written through CreateTicket,
// UpdateTicket, SaveClocks and RecordOnce gets one outbox message for the
// webhook audience besides its own, claimed one at a time per ticket in
// the events' order; the notification_sent records of deliveries get
// none. s must be fresh.
func Webhook(t *testing.T, s backend.Store) {
	ctx := t.Context()
	rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
	toRep := msg(backend.AudienceReporter, rep.ID, t0)
	tk := createTicket(t, s, minimalTicket(rep.ID), "FB", day,
		notify(backend.EventCreated, t0, toRep), notify(backend.EventAttachment, t0))
	other := createTicket(t, s, minimalTicket(rep.ID), "FB", day, notify(backend.EventCreated, t0))

	// drain claims and delivers everything due, as the dispatcher would,
	// and returns the events the webhook messages were for, per ticket.
	hooked := map[int64][]int64{}
	drain := func() {
		t.Helper()
		for range 20 {
			ms, err := s.ClaimOutbox(ctx, farFuture, time.Minute, 50)
			must(t, err)
			if len(ms) == 0 {
				return
			}
			seen := map[int64]bool{}
			for _, m := range ms {
				if m.Audience == backend.AudienceWebhook {
					if seen[m.TicketID] {
						t.Fatalf("two webhook messages of ticket %d claimed at once: %s", m.TicketID, dump(ms))
					}
					seen[m.TicketID] = true
					if m.RecipientID != 0 || m.Platform != "" {
						t.Fatalf("webhook message %s", dump(m))
					}
					hooked[m.TicketID] = append(hooked[m.TicketID], m.EventID)
				}
				must(t, s.MarkOutboxSent(ctx, m.ID, t0, "sent"))
			}
		}
		t.Fatal("the outbox does not drain")
	}
	drain()

	tk = getTicket(t, s, tk.Number)
	tk.Status = backend.StatusAssigned
	must(t, s.UpdateTicket(ctx, tk, []backend.Change{notify(backend.EventAssigned, t0), notify(backend.EventComment, t0)}))
	must(t, s.SaveClocks(ctx, tk.ID, tk.Version, nil, []backend.Change{notify(backend.EventEscalation, t0)}))
	first, err := s.RecordOnce(ctx, "webhook-test", tk.ID, []backend.Change{notify(backend.EventEscalation, t0)})
	must(t, err)
	equal(t, "recorded", first, true)
	drain()

	for _, x := range []*backend.Ticket{tk, other} {
		var want []int64
		for _, e := range events(t, s, x.ID) {
			if e.Kind != backend.EventNotificationSent {
				want = append(want, e.ID)
			}
		}
		equal(t, "webhook messages of "+x.Number, hooked[x.ID], want)
	}
	if len(hooked[tk.ID]) != 6 {
		t.Fatalf("webhook messages %v, want 6", hooked[tk.ID])
	}
}
