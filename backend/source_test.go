package backend_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

// TestSourceNotices: the group chat a ticket was reported from
// (Ticket.Source) hears when the ticket is filed and when it is resolved,
// and nothing in between; a ticket without a source gives no such row,
// and a malformed source is refused.
func TestSourceNotices(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		// sourceRows delivers the outbox and returns the source rows of
		// each ticket as "event kind platform:chat", in order; all holds
		// every ticket's since the start.
		all := map[int64][]string{}
		sourceRows := func(t *testing.T, tk *backend.Ticket) []string {
			t.Helper()
			got := map[int64][]string{}
			for id, msgs := range f.sent(t) {
				for _, m := range msgs {
					if m.Audience == backend.AudienceSource {
						if m.RecipientID != 0 {
							t.Errorf("source row for person %d, want none", m.RecipientID)
						}
						got[id] = append(got[id], string(m.kind)+" "+m.Platform+":"+m.Chat)
					}
				}
			}
			for id, rows := range got {
				all[id] = append(all[id], rows...)
			}
			return got[tk.ID]
		}
		check := func(t *testing.T, what string, got []string, want ...string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Fatalf("%s: source rows %q, want %q", what, got, want)
			}
		}

		grouped := f.create(t, f.alice, func(in *backend.NewTicket) { in.Source = "telegram:-1001234567890:42" })
		private := f.create(t, f.alice, nil)
		if got, err := f.store.Ticket(ctx, grouped.Number); err != nil || got.Source != "telegram:-1001234567890:42" {
			t.Fatalf("filed with source %q (%v)", got.Source, err)
		}
		check(t, "filed", sourceRows(t, grouped), "created telegram:-1001234567890")

		if _, err := f.svc.Claim(ctx, f.ann, grouped.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Transition(ctx, f.ann, grouped.Number, backend.StatusInProgress, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Comment(ctx, f.ann, grouped.Number, "正在排查", false); err != nil {
			t.Fatal(err)
		}
		check(t, "claimed, started and commented", sourceRows(t, grouped))

		if _, err := f.svc.Transition(ctx, f.ann, grouped.Number, backend.StatusResolved, "清理缓存后恢复显示"); err != nil {
			t.Fatal(err)
		}
		check(t, "resolved", sourceRows(t, grouped), "status_changed telegram:-1001234567890")

		if _, err := f.svc.Claim(ctx, f.ann, private.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Transition(ctx, f.ann, private.Number, backend.StatusResolved, "清理缓存后恢复显示"); err != nil {
			t.Fatal(err)
		}
		sourceRows(t, private)
		check(t, "a ticket without a source, filed and resolved", all[private.ID])

		_, err := f.svc.CreateTicket(ctx, f.alice, func() backend.NewTicket {
			in := validTicket()
			in.Source = "telegram:-1001234567890"
			return in
		}())
		wantCode(t, err, backend.EINVALID)
		if fields := backend.ErrorFields(err); !strings.Contains(fields["source"], "platform:chat:message") {
			t.Fatalf("fields %v, want source named", fields)
		}
	})
}
