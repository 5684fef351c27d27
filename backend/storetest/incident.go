package storetest

import (
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func incidentIDs(list []*backend.Incident) []int64 {
	return ids(list, func(i *backend.Incident) int64 { return i.ID })
}

// testIncidentReports: the open incidents the dialog suggests, how many
// reported each (linked tickets and joined reporters), joining, and
// resolving.
func testIncidentReports(t *testing.T, newStore NewStoreFunc) {
	at := time.Date(2026, 11, 22, 8, 0, 0, 999, cst)
	t.Run("OK", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		alice := createPerson(t, s, "alice", 0, backend.RoleReporter)
		bob := createPerson(t, s, "bob", 0, backend.RoleReporter)
		old := &backend.Incident{Title: "短信发不出去"}
		inc := &backend.Incident{Title: "放心房标识批量丢失"}
		must(t, s.CreateIncident(ctx, old))
		must(t, s.CreateIncident(ctx, inc))

		tk := fullTicket(alice.ID)
		tk.IncidentID = inc.ID
		tk = createTicket(t, s, tk, "FB", day)
		first, err := s.FollowIncident(ctx, inc.ID, bob.ID, at)
		must(t, err)
		again, err := s.FollowIncident(ctx, inc.ID, bob.ID, at.Add(time.Hour))
		must(t, err)
		if !first || again {
			t.Fatalf("FollowIncident = %v, then %v; want true, then false", first, again)
		}
		_, err = s.FollowIncident(ctx, missing, bob.ID, at)
		wantCode(t, err, backend.EINVALID)

		got, err := s.Incident(ctx, inc.ID)
		must(t, err)
		equal(t, "Reports", got.Reports, 2)
		// alice reported it on her ticket: joining too is not a report.
		_, err = s.FollowIncident(ctx, inc.ID, alice.ID, at.Add(time.Minute))
		must(t, err)
		got, err = s.Incident(ctx, inc.ID)
		must(t, err)
		equal(t, "Reports after the reporter joined", got.Reports, 2)
		followers, err := s.IncidentFollowers(ctx, inc.ID)
		must(t, err)
		equal(t, "followers", followers, []int64{bob.ID, alice.ID})
		numbers, err := s.IncidentTickets(ctx, inc.ID)
		must(t, err)
		equal(t, "tickets", numbers, []string{tk.Number})
		numbers, err = s.IncidentTickets(ctx, old.ID)
		must(t, err)
		equal(t, "no tickets", numbers, []string{})

		open, err := s.OpenIncidents(ctx, 10)
		must(t, err)
		equal(t, "open", incidentIDs(open), []int64{inc.ID, old.ID})
		equal(t, "open with reports", open[0].Reports, 2)

		must(t, s.ResolveIncident(ctx, inc.ID, at))
		wantCode(t, s.ResolveIncident(ctx, inc.ID, at.Add(time.Hour)), backend.ECONFLICT)
		wantCode(t, s.ResolveIncident(ctx, missing, at), backend.ENOTFOUND)
		got, err = s.Incident(ctx, inc.ID)
		must(t, err)
		equal(t, "ResolvedAt", got.ResolvedAt, norm(at))
		open, err = s.OpenIncidents(ctx, 10)
		must(t, err)
		equal(t, "open after resolving", incidentIDs(open), []int64{old.ID})
	})
}
