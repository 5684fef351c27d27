package backend_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func TestParseIncidentRef(t *testing.T) {
	for in, want := range map[string]int64{"INC-3": 3, "inc-12": 12, "7": 7, "INC-": 0, "KB-3": 0, "": 0} {
		if id, ok := backend.ParseIncidentRef(in); id != want || ok != (want != 0) {
			t.Errorf("ParseIncidentRef(%q) = %d, %v", in, id, ok)
		}
	}
}

// unsent delivers the outbox (marks every due message sent, as the
// dispatcher would) and returns the recipients by audience of those about
// ticket id.
func (f *fixture) unsent(t *testing.T, ticketID int64) map[backend.Audience][]int64 {
	t.Helper()
	out := map[backend.Audience][]int64{}
	for _, m := range f.sent(t)[ticketID] {
		out[m.Audience] = append(out[m.Audience], m.RecipientID)
	}
	return out
}

func TestIncidentJoin(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()

		t.Run("SuggestJoinUpdate", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			tk := f.create(t, f.alice, nil)
			if _, err := f.svc.Assign(ctx, f.manager, tk.Number, f.ann.ID); err != nil { // team A's now
				t.Fatal(err)
			}
			inc, err := f.svc.CreateIncident(ctx, f.ann, "放心房标识批量丢失，后台不显示")
			if err != nil {
				t.Fatal(err)
			}
			other, err := f.svc.CreateIncident(ctx, f.ann, "短信验证码收不到")
			if err != nil {
				t.Fatal(err)
			}
			// Not suggested before anyone reported it.
			if got, err := f.svc.SuggestIncidents(ctx, "房产放心房上线后在后台不显示", 3); err != nil || len(got) != 0 {
				t.Fatalf("suggested with no report: %v, %v", got, err)
			}
			if _, err := f.svc.LinkIncident(ctx, f.ann, tk.Number, inc.ID); err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.SuggestIncidents(ctx, "我们的放心房标识在后台不显示了", 3)
			if err != nil || len(got) != 1 || got[0].ID != inc.ID || got[0].Reports != 1 {
				t.Fatalf("SuggestIncidents = %+v, %v", got, err)
			}
			if got, _ := f.svc.SuggestIncidents(ctx, "客户说发票金额不对", 3); len(got) != 0 {
				t.Fatalf("an unrelated summary is offered %+v", got)
			}

			// bob joins (twice: one join) and files nothing.
			for range 2 {
				j, err := f.svc.JoinIncident(ctx, f.bob, inc.ID)
				if err != nil || j.Reports != 2 {
					t.Fatalf("JoinIncident = %+v, %v", j, err)
				}
			}
			// alice, whose ticket is linked, joins too: told once, on her ticket.
			if _, err := f.svc.JoinIncident(ctx, f.alice, inc.ID); err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.JoinIncident(ctx, f.bob, inc.ID+1000)
			wantCode(t, err, backend.ENOTFOUND)
			f.unsent(t, tk.ID) // the filing's and the link's notices

			_, err = f.svc.UpdateIncident(ctx, f.alice, inc.ID, "正在修复", false)
			wantCode(t, err, backend.EFORBIDDEN)
			_, err = f.svc.UpdateIncident(ctx, f.ann, inc.ID, " ", false)
			wantCode(t, err, backend.EINVALID)

			// otherTeam cannot open alice's ticket, so may not speak to her
			// through the incident; ann, of the ticket's team, may.
			_, err = f.svc.UpdateIncident(ctx, f.otherTeam, inc.ID, "正在修复，预计 1 小时", false)
			wantCode(t, err, backend.EFORBIDDEN)
			if _, err := f.svc.UpdateIncident(ctx, f.ann, inc.ID, "正在修复，预计 1 小时", false); err != nil {
				t.Fatal(err)
			}
			sent := f.unsent(t, tk.ID)
			if len(sent[backend.AudienceReporter]) != 1 || sent[backend.AudienceReporter][0] != f.alice.ID ||
				len(sent[backend.AudiencePerson]) != 1 || sent[backend.AudiencePerson][0] != f.bob.ID {
				t.Fatalf("update told %v; want alice as the reporter and bob as a follower, once each", sent)
			}
			_, events, err := f.svc.Thread(ctx, f.alice, tk.Number)
			if err != nil {
				t.Fatal(err)
			}
			last := events[len(events)-1]
			if last.Kind != backend.EventIncidentUpdate || !last.Public || last.Body != "正在修复，预计 1 小时" ||
				last.Data.IncidentID != inc.ID || last.Data.IncidentTitle != inc.Title || last.Data.IncidentResolved {
				t.Fatalf("last event = %+v", last)
			}

			resolved, err := f.svc.UpdateIncident(ctx, f.ann, inc.ID, "已修复", true)
			if err != nil || resolved.ResolvedAt.IsZero() {
				t.Fatalf("resolve = %+v, %v", resolved, err)
			}
			if sent := f.unsent(t, tk.ID); len(sent[backend.AudiencePerson]) != 1 {
				t.Fatalf("resolution told %v", sent)
			}
			_, err = f.svc.UpdateIncident(ctx, f.ann, inc.ID, "again", true)
			wantCode(t, err, backend.ECONFLICT)
			_, err = f.svc.JoinIncident(ctx, f.bob, inc.ID)
			wantCode(t, err, backend.ECONFLICT)
			if got, _ := f.svc.SuggestIncidents(ctx, "放心房标识在后台不显示", 3); len(got) != 0 {
				t.Fatalf("a resolved incident is offered: %+v", got)
			}

			// Followers and no linked ticket: nothing could carry their news.
			if _, err := f.svc.JoinIncident(ctx, f.bob, other.ID); err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.UpdateIncident(ctx, f.ann, other.ID, "处理中", false)
			wantCode(t, err, backend.ECONFLICT)
		})
	})
}

// TestIncidentErrors: errors name an incident as people do (INC-3), and
// a ticket cannot be linked to a resolved incident: its reporter would
// be promised news of a solution that was told before they were linked.
func TestIncidentErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		tk := f.create(t, f.alice, nil)
		inc, err := f.svc.CreateIncident(ctx, f.ann, "放心房标识批量丢失")
		if err != nil {
			t.Fatal(err)
		}
		missing := inc.ID + 1000
		ref := backend.IncidentRef(missing)
		wantRef := func(t *testing.T, err error, code, key, ref string) {
			t.Helper()
			wantCode(t, err, code)
			var e *backend.Error
			if !errors.As(err, &e) || e.Key != key || e.Args["ID"] != ref || !strings.Contains(e.Message, ref) {
				t.Fatalf("error = %#v, want key %s naming %s", err, key, ref)
			}
		}

		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := f.svc.LinkIncident(ctx, f.ann, tk.Number, missing)
			wantRef(t, err, backend.ENOTFOUND, "incident", ref)
			_, err = f.svc.JoinIncident(ctx, f.bob, missing)
			wantRef(t, err, backend.ENOTFOUND, "incident", ref)
			_, err = f.svc.UpdateIncident(ctx, f.ann, missing, "处理中", false)
			wantRef(t, err, backend.ENOTFOUND, "incident", ref)
		})
		t.Run("ErrLinkResolved", func(t *testing.T) {
			other := f.create(t, f.bob, nil)
			if _, err := f.svc.LinkIncident(ctx, f.ann, other.Number, inc.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.UpdateIncident(ctx, f.ann, inc.ID, "已修复", true); err != nil {
				t.Fatal(err)
			}
			_, err := f.svc.LinkIncident(ctx, f.ann, tk.Number, inc.ID)
			wantRef(t, err, backend.ECONFLICT, "incident_resolved", backend.IncidentRef(inc.ID))
			if got, err := f.store.Ticket(ctx, tk.Number); err != nil || got.IncidentID != 0 {
				t.Fatalf("ticket = %+v, %v; want it linked to nothing", got, err)
			}
			_, err = f.svc.UpdateIncident(ctx, f.ann, inc.ID, "again", true)
			wantRef(t, err, backend.ECONFLICT, "incident_resolved", backend.IncidentRef(inc.ID))
		})
	})
}

// TestIncidentResolvesTickets: resolving an incident resolves its open
// linked tickets with its solution, as Transition does, and tells each
// reporter once — the resolved notice, not also the incident's; tickets
// that cannot be resolved hear the incident's notice, and those who
// joined it without a ticket still hear it.
func TestIncidentResolvesTickets(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		carol := &backend.Person{Name: "carol", Roles: []backend.Role{backend.RoleReporter}}
		if err := f.svc.CreatePerson(ctx, carol); err != nil {
			t.Fatal(err)
		}
		mine := f.create(t, f.alice, nil) // ann's, in progress
		if _, err := f.svc.Claim(ctx, f.ann, mine.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Transition(ctx, f.ann, mine.Number, backend.StatusInProgress, ""); err != nil {
			t.Fatal(err)
		}
		theirs := f.create(t, f.bob, nil) // another team's, not accepted yet
		if _, err := f.svc.Assign(ctx, f.manager, theirs.Number, f.otherTeam.ID); err != nil {
			t.Fatal(err)
		}
		done := f.create(t, f.alice, nil) // answered on its own already
		if _, err := f.svc.Claim(ctx, f.ann, done.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Resolve(ctx, f.ann, done.Number, "单独处理：重新提交"); err != nil {
			t.Fatal(err)
		}
		back := f.create(t, f.bob, nil) // returned to triage
		if _, err := f.svc.Claim(ctx, f.ann, back.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Return(ctx, f.ann, back.Number, "不是本组的问题"); err != nil {
			t.Fatal(err)
		}
		inc, err := f.svc.CreateIncident(ctx, f.ann, "放心房标识批量丢失")
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range []*backend.Ticket{mine, theirs, done, back} {
			if _, err := f.svc.LinkIncident(ctx, f.manager, tk.Number, inc.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.JoinIncident(ctx, carol, inc.ID); err != nil {
			t.Fatal(err)
		}
		f.sent(t) // what came before

		const solution = "已修复：放心房标识已恢复，刷新后台即可看到"
		f.now = f.now.Add(time.Hour)
		if _, err := f.svc.UpdateIncident(ctx, f.ann, inc.ID, solution, true); err != nil {
			t.Fatal(err)
		}
		sent := f.sent(t)
		for _, tc := range []struct {
			tk     *backend.Ticket
			status backend.Status
			told   backend.EventKind // what the reporter's one message is about
		}{
			{mine, backend.StatusResolved, backend.EventStatusChanged},
			{theirs, backend.StatusResolved, backend.EventStatusChanged},
			{done, backend.StatusResolved, backend.EventIncidentUpdate},
			{back, backend.StatusReturned, backend.EventIncidentUpdate},
		} {
			got, err := f.store.Ticket(ctx, tc.tk.Number)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.status {
				t.Errorf("%s is %s, want %s", got.Number, got.Status, tc.status)
			}
			if tc.told == backend.EventStatusChanged && (got.Solution != solution || !got.ResolvedAt.Equal(f.now)) {
				t.Errorf("%s: solution %q resolved at %v", got.Number, got.Solution, got.ResolvedAt)
			}
			var toReporter []backend.EventKind
			for _, m := range sent[got.ID] {
				if m.Audience == backend.AudienceReporter {
					toReporter = append(toReporter, m.kind)
				}
			}
			if len(toReporter) != 1 || toReporter[0] != tc.told {
				t.Errorf("%s: the reporter was told about %v, want once about %s", got.Number, toReporter, tc.told)
			}
		}
		if got, _ := f.store.Ticket(ctx, done.Number); got.Solution != "单独处理：重新提交" {
			t.Errorf("a ticket resolved on its own got the incident's solution: %q", got.Solution)
		}
		var followers []int64
		for _, msgs := range sent {
			for _, m := range msgs {
				if m.Audience == backend.AudiencePerson {
					followers = append(followers, m.RecipientID)
				}
			}
		}
		if len(followers) != 1 || followers[0] != carol.ID {
			t.Errorf("followers told: %v, want carol once", followers)
		}
		// The thread keeps the incident's resolution, then the ticket's.
		_, events, err := f.svc.Thread(ctx, f.alice, mine.Number)
		if err != nil {
			t.Fatal(err)
		}
		n := len(events)
		if n < 2 || events[n-2].Kind != backend.EventIncidentUpdate || !events[n-2].Data.IncidentResolved ||
			events[n-1].Kind != backend.EventStatusChanged || events[n-1].Data.To != backend.StatusResolved || events[n-1].Body != solution {
			t.Fatalf("thread ends %+v", events[max(n-2, 0):])
		}
		// Resolved the usual way, the reporter rates it the usual way.
		if _, err := f.svc.RecordSatisfaction(ctx, f.alice, mine.Number, backend.SatisfactionSatisfied, ""); err != nil {
			t.Fatal(err)
		}
	})
}

// sentMessage is an outbox message with the kind of the event it is about.
type sentMessage struct {
	*backend.OutboxMessage
	kind backend.EventKind
}

// sent delivers the outbox (marks every due message sent) and returns
// the messages by ticket id.
func (f *fixture) sent(t *testing.T) map[int64][]sentMessage {
	t.Helper()
	ctx := context.Background()
	kinds := map[int64]backend.EventKind{}
	out := map[int64][]sentMessage{}
	for {
		msgs, err := f.store.ClaimOutbox(ctx, f.now.Add(time.Hour), time.Minute, 200)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return out
		}
		for _, m := range msgs {
			if _, ok := kinds[m.EventID]; !ok {
				events, err := f.store.Events(ctx, m.TicketID)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range events {
					kinds[e.ID] = e.Kind
				}
			}
			out[m.TicketID] = append(out[m.TicketID], sentMessage{m, kinds[m.EventID]})
			if err := f.store.MarkOutboxSent(ctx, m.ID, f.now, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// joinDuring is the real store, with a join made by another request just
// before the incident's resolution commits: the window between
// UpdateIncident reading the followers and resolving the incident.
type joinDuring struct {
	backend.Store
	join func()
}

func (s *joinDuring) ResolveIncident(ctx context.Context, id int64, at time.Time) error {
	if s.join != nil {
		s.join()
		s.join = nil
	}
	return s.Store.ResolveIncident(ctx, id, at)
}

// TestIncidentFollowersTold: a reporter who follows the incident is told
// its resolution even when their own linked ticket is archived (#8), and
// so is one who joined while it was being resolved (#9); one who joins
// after it is resolved hears so at once.
func TestIncidentFollowersTold(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		store := &joinDuring{Store: newStore(t)}
		f := newFixture(t, store)
		dave, erin, finn := f.reporter(t, "dave"), f.reporter(t, "erin"), f.reporter(t, "finn")
		open := f.create(t, f.alice, nil)
		old := f.create(t, dave, nil)
		inc := f.incidentOf(t, []*backend.Ticket{open, old}, dave)
		f.archive(t, old.Number) // dave's own ticket is answered and archived on its own
		f.sent(t)
		store.join = func() {
			if _, err := f.svc.JoinIncident(ctx, erin, inc.ID); err != nil {
				t.Errorf("erin's join while resolving: %v", err)
			}
		}
		if _, err := f.svc.UpdateIncident(ctx, f.ann, inc.ID, "已修复", true); err != nil {
			t.Fatal(err)
		}
		told := map[int64]int{}
		for _, msgs := range f.sent(t) {
			for _, m := range msgs {
				if m.Audience == backend.AudiencePerson && m.kind == backend.EventIncidentUpdate {
					told[m.RecipientID]++
				}
			}
		}
		if told[dave.ID] != 1 || told[erin.ID] != 1 || len(told) != 2 {
			t.Fatalf("followers told %v; want dave (%d) and erin (%d) once each", told, dave.ID, erin.ID)
		}
		_, err := f.svc.JoinIncident(ctx, finn, inc.ID)
		if backend.ErrorKey(err) != "incident_resolved" {
			t.Fatalf("joining a resolved incident: %v", err)
		}
		// The late news rides on alice's ticket without showing her twice.
		_, events, err := f.svc.Thread(ctx, f.alice, open.Number)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range events {
			if e.Kind == backend.EventIncidentUpdate {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("alice's thread shows %d incident updates, want 1", n)
		}
	})
}

// TestIncidentResolveOnce: two staff resolve the incident at the same
// moment (#7): every reporter and follower is told once, and one of them
// hears it was resolved already.
func TestIncidentResolveOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		inc := f.incidentOf(t, []*backend.Ticket{f.create(t, f.alice, nil), f.create(t, f.bob, nil), f.create(t, f.alice, nil)},
			f.reporter(t, "carol"))
		f.sent(t)
		errs := make(chan error, 2)
		for _, who := range []*backend.Person{f.ann, f.manager} {
			go func() {
				_, err := f.svc.UpdateIncident(ctx, who, inc.ID, "已修复", true)
				errs <- err
			}()
		}
		var conflicts int
		for range 2 {
			switch err := <-errs; {
			case backend.ErrorKey(err) == "incident_resolved":
				conflicts++
			case err != nil:
				t.Fatal(err)
			}
		}
		if conflicts != 1 {
			t.Fatalf("%d of the two resolves were told it was resolved already, want 1", conflicts)
		}
		told := map[string]int{}
		for id, msgs := range f.sent(t) {
			for _, m := range msgs {
				switch m.Audience {
				case backend.AudienceReporter:
					told[fmt.Sprint("ticket ", id)]++
				case backend.AudiencePerson:
					told[fmt.Sprint("follower ", m.RecipientID)]++
				}
			}
		}
		if len(told) != 4 {
			t.Fatalf("told %v; want the 3 tickets' reporters and carol", told)
		}
		for who, n := range told {
			if n != 1 {
				t.Errorf("%s told %d times", who, n)
			}
		}
	})
}

// TestIncidentArchivedCarrier (#4): with every linked ticket archived,
// the incident can still be resolved, and its followers are told through
// an archived ticket's thread.
func TestIncidentArchivedCarrier(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		carol := f.reporter(t, "carol")
		tk := f.create(t, f.alice, nil)
		inc := f.incidentOf(t, []*backend.Ticket{tk}, carol, f.alice)
		f.archive(t, tk.Number)
		f.sent(t)
		got, err := f.svc.UpdateIncident(ctx, f.ann, inc.ID, "已修复", true)
		if err != nil || got.ResolvedAt.IsZero() {
			t.Fatalf("resolve with only an archived ticket: %+v, %v", got, err)
		}
		told := map[int64]int{}
		for _, msgs := range f.sent(t) {
			for _, m := range msgs {
				if m.kind == backend.EventIncidentUpdate {
					told[m.RecipientID]++
				}
			}
		}
		if len(told) != 2 || told[carol.ID] != 1 || told[f.alice.ID] != 1 {
			t.Fatalf("told %v; want carol and alice (a follower whose ticket is archived) once", told)
		}
	})
}

// reporter adds a reporter named name.
func (f *fixture) reporter(t *testing.T, name string) *backend.Person {
	t.Helper()
	p := &backend.Person{Name: name, Roles: []backend.Role{backend.RoleReporter}}
	if err := f.svc.CreatePerson(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// incidentOf opens an incident, links tickets to it and has people join it.
func (f *fixture) incidentOf(t *testing.T, tickets []*backend.Ticket, people ...*backend.Person) *backend.Incident {
	t.Helper()
	ctx := context.Background()
	inc, err := f.svc.CreateIncident(ctx, f.ann, "放心房标识批量丢失")
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range tickets {
		if _, err := f.svc.LinkIncident(ctx, f.manager, tk.Number, inc.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range people {
		if _, err := f.svc.JoinIncident(ctx, p, inc.ID); err != nil {
			t.Fatal(err)
		}
	}
	return inc
}

// archive has ann answer the ticket on its own and archive it.
func (f *fixture) archive(t *testing.T, number string) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.svc.Claim(ctx, f.ann, number); err != nil {
		t.Fatal(err)
	}
	for _, to := range []backend.Status{backend.StatusResolved, backend.StatusArchived} {
		if _, err := f.svc.Transition(ctx, f.ann, number, to, "单独处理"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLinkDuplicate: staff group a ticket with another ticket, an
// incident, or a new incident titled in their words; a new incident made
// from a ticket takes its summary without the customer's phone; each
// reporter linked is told; bad input is named and changes nothing.
func TestLinkDuplicate(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		first := f.create(t, f.alice, func(in *backend.NewTicket) {
			in.Summary, in.OrderNumber = "客户 13800138000 订单 ORD-778899 的放心房标识在后台不显示", "ORD-778899"
		})
		second := f.create(t, f.bob, nil)
		third := f.create(t, f.alice, nil)
		fourth := f.create(t, f.bob, nil)
		f.sent(t) // the filing notices

		linked := func(t *testing.T, tk *backend.Ticket) int64 {
			t.Helper()
			got, err := f.store.Ticket(ctx, tk.Number)
			if err != nil {
				t.Fatal(err)
			}
			return got.IncidentID
		}

		// Neither is linked: a new incident takes both, titled after the
		// other ticket, and both reporters hear it. A number in small
		// letters is still a number.
		got, err := f.svc.LinkDuplicate(ctx, f.ann, second.Number, " "+strings.ToLower(first.Number)+" ")
		if err != nil {
			t.Fatal(err)
		}
		inc := got.IncidentID
		if inc == 0 || linked(t, first) != inc {
			t.Fatalf("linked to %d and %d, want one incident", got.IncidentID, linked(t, first))
		}
		i, err := f.store.Incident(ctx, inc)
		if err != nil || strings.Contains(i.Title, "13800138000") || strings.Contains(i.Title, "ORD-778899") || !strings.Contains(i.Title, "放心房标识在后台不显示") {
			t.Fatalf("incident = %+v, %v; want the first summary without the phone and the order", i, err)
		}
		sent := f.sent(t)
		for _, tk := range []*backend.Ticket{first, second} {
			if ms := sent[tk.ID]; len(ms) != 1 || ms[0].Audience != backend.AudienceReporter || ms[0].RecipientID != tk.ReporterID || ms[0].kind != backend.EventIncidentLinked {
				t.Fatalf("%s: told %+v, want its reporter of the link", tk.Number, ms)
			}
		}

		// The other ticket's incident takes this one, and the other way
		// round: the ticket returned is the one asked about.
		if got, err := f.svc.LinkDuplicate(ctx, f.ann, third.Number, second.Number); err != nil || got.IncidentID != inc {
			t.Fatalf("third = %+v, %v; want incident %d", got, err, inc)
		}
		if got, err := f.svc.LinkDuplicate(ctx, f.ann, first.Number, fourth.Number); err != nil || got.Number != first.Number || linked(t, fourth) != inc {
			t.Fatalf("fourth into the first's incident: %+v, %v, fourth linked to %d", got, err, linked(t, fourth))
		}
		_, err = f.svc.LinkDuplicate(ctx, f.ann, third.Number, first.Number)
		wantCode(t, err, backend.ECONFLICT)
		_, err = f.svc.LinkDuplicate(ctx, f.ann, third.Number, backend.IncidentRef(inc))
		wantCode(t, err, backend.ECONFLICT)

		// By incident, and a new incident in staff's words.
		fifth := f.create(t, f.bob, nil)
		if got, err := f.svc.LinkDuplicate(ctx, f.ann, fifth.Number, "inc-"+strconv.FormatInt(inc, 10)); err != nil || got.IncidentID != inc {
			t.Fatalf("by incident: %+v, %v", got, err)
		}
		sixth := f.create(t, f.alice, nil)
		got, err = f.svc.LinkDuplicate(ctx, f.ann, sixth.Number, "短信验证码收不到")
		if err != nil || got.IncidentID == 0 || got.IncidentID == inc {
			t.Fatalf("by title: %+v, %v", got, err)
		}
		if i, err := f.store.Incident(ctx, got.IncidentID); err != nil || i.Title != "短信验证码收不到" {
			t.Fatalf("new incident = %+v, %v", i, err)
		}
		// A ticket in an incident stays there: grouping does not move it.
		for _, of := range []string{first.Number, "另一个标题"} {
			_, err = f.svc.LinkDuplicate(ctx, f.ann, sixth.Number, of)
			wantCode(t, err, backend.ECONFLICT)
		}
		if linked(t, sixth) != got.IncidentID {
			t.Fatalf("sixth moved to incident %d", linked(t, sixth))
		}
		// A closed ticket's reporter is promised nothing: the new
		// incident takes its title, not the ticket; and a closed ticket
		// joins no incident.
		closed := f.create(t, f.bob, func(in *backend.NewTicket) { in.Summary = "上个月的会员中心登录失败" })
		if _, err := f.svc.Claim(ctx, f.ann, closed.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Resolve(ctx, f.ann, closed.Number, "重置密码"); err != nil {
			t.Fatal(err)
		}
		eighth := f.create(t, f.alice, nil)
		got, err = f.svc.LinkDuplicate(ctx, f.ann, eighth.Number, closed.Number)
		if err != nil || got.IncidentID == 0 || linked(t, closed) != 0 {
			t.Fatalf("grouped with a resolved ticket: %+v, %v; the resolved one in %d", got, err, linked(t, closed))
		}
		if i, err := f.store.Incident(ctx, got.IncidentID); err != nil || i.Title != "上个月的会员中心登录失败" {
			t.Fatalf("incident after a resolved ticket = %+v, %v", i, err)
		}
		_, err = f.svc.LinkDuplicate(ctx, f.ann, first.Number, closed.Number)
		wantCode(t, err, backend.ECONFLICT)
		// A code is a title, not a broken number.
		ninth := f.create(t, f.bob, nil)
		if got, err := f.svc.LinkDuplicate(ctx, f.ann, ninth.Number, "HTTP-502"); err != nil || got.IncidentID == 0 {
			t.Fatalf("HTTP-502 as a title: %+v, %v", got, err)
		}

		// Bad input: named, nothing linked.
		seventh := f.create(t, f.bob, nil)
		for _, tc := range []struct{ of, code, key string }{
			{seventh.Number, backend.EINVALID, "duplicate_self"},
			{"FB-2026112", backend.EINVALID, "duplicate_of"},
			{"INC-x", backend.EINVALID, "duplicate_of"},
			{"FB-20991231-0001", backend.ENOTFOUND, "ticket"},
			{"INC-99999", backend.ENOTFOUND, "incident"},
			{"  ", backend.EINVALID, ""},
			{strings.Repeat("长", 201), backend.EINVALID, ""},
		} {
			_, err := f.svc.LinkDuplicate(ctx, f.ann, seventh.Number, tc.of)
			wantCode(t, err, tc.code)
			var e *backend.Error
			if tc.key != "" && (!errors.As(err, &e) || e.Key != tc.key) {
				t.Fatalf("LinkDuplicate(%q) = %#v, want key %s", tc.of, err, tc.key)
			}
		}
		_, err = f.svc.LinkDuplicate(ctx, f.alice, seventh.Number, first.Number)
		wantCode(t, err, backend.EFORBIDDEN)
		if id := linked(t, seventh); id != 0 {
			t.Fatalf("after bad input the ticket is linked to %d", id)
		}

		// The incident is answered from any of its tickets.
		_, err = f.svc.UpdateTicketIncident(ctx, f.ann, seventh.Number, "已修复", true)
		wantCode(t, err, backend.ENOTFOUND)
		if _, err := f.svc.UpdateTicketIncident(ctx, f.ann, third.Number, "放心房标识已批量恢复", true); err != nil {
			t.Fatal(err)
		}
		for _, tk := range []*backend.Ticket{first, second, third, fourth, fifth} {
			if got, err := f.store.Ticket(ctx, tk.Number); err != nil || got.Status != backend.StatusResolved || got.Solution != "放心房标识已批量恢复" {
				t.Fatalf("%s after the incident's resolution: %+v, %v", tk.Number, got, err)
			}
		}
		if got, err := f.store.Ticket(ctx, sixth.Number); err != nil || got.Status == backend.StatusResolved {
			t.Fatalf("a ticket of another incident was resolved: %+v, %v", got, err)
		}
	})
}

// TestSuggestOwnTickets: the open tickets of the person behind a chat
// account whose summary looks like the new one, best first; not their
// resolved ones, not someone else's, none for an account nobody has.
func TestSuggestOwnTickets(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		acct := backend.ChatAccount{Platform: "telegram", UserID: "501", ChatID: "501"}
		rep, err := f.svc.ReporterFor(ctx, acct, "门店小王", "zh-CN")
		if err != nil {
			t.Fatal(err)
		}
		file := func(p *backend.Person, summary string) *backend.Ticket {
			return f.create(t, p, func(in *backend.NewTicket) { in.Summary = summary })
		}
		close := file(rep, "房产放心房上线后在前台不显示，客户看不到")
		loose := file(rep, "放心房在前台一直不显示怎么办")
		file(rep, "会员积分兑换后没有到账")
		solved := file(rep, "房产放心房上线后在前台不显示")
		if _, err := f.svc.Resolve(ctx, f.ann, solved.Number, "已重新同步"); err != nil {
			t.Fatal(err)
		}
		file(f.alice, "房产放心房上线后在前台不显示")

		got, err := f.svc.SuggestOwnTickets(ctx, acct, "feedback", "放心房上线后又在前台不显示了", 3)
		if err != nil {
			t.Fatal(err)
		}
		var numbers []string
		for _, tk := range got {
			numbers = append(numbers, tk.Number)
		}
		if want := []string{close.Number, loose.Number}; !slices.Equal(numbers, want) {
			t.Fatalf("suggested %v, want %v (the closest first; not the resolved one, the other topic or alice's)", numbers, want)
		}
		if got, err := f.svc.SuggestOwnTickets(ctx, acct, "feedback", "放心房上线后又在前台不显示了", 1); err != nil || len(got) != 1 || got[0].Number != close.Number {
			t.Fatalf("limit 1: %v, %v", got, err)
		}
		if got, err := f.svc.SuggestOwnTickets(ctx, acct, "suggestion", "放心房上线后又在前台不显示了", 3); err != nil || len(got) != 0 {
			t.Fatalf("another form's tickets: %v, %v", got, err)
		}
		stranger := backend.ChatAccount{Platform: "telegram", UserID: "999"}
		if got, err := f.svc.SuggestOwnTickets(ctx, stranger, "feedback", "放心房上线后又在前台不显示了", 3); err != nil || len(got) != 0 {
			t.Fatalf("an unknown account: %v, %v", got, err)
		}
	})
}

// TestAddToOwnTicket: what a reporter adds to their own ticket goes as
// their follow-up (the triage chat and the one who holds it hear it),
// also when the reporter is staff; nobody adds to someone else's.
func TestAddToOwnTicket(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		tk := f.create(t, f.ann, nil) // an assistant reports a problem
		if _, err := f.svc.Assign(ctx, f.manager, tk.Number, f.amy.ID); err != nil {
			t.Fatal(err)
		}
		f.sent(t)
		_, err := f.svc.AddToOwnTicket(ctx, f.amy, tk.Number, "又出现了", "")
		wantCode(t, err, backend.EFORBIDDEN)
		if _, err := f.svc.AddToOwnTicket(ctx, f.ann, tk.Number, "  又出现了，这次是在下午三点  ", ""); err != nil {
			t.Fatal(err)
		}
		told := f.unsent(t, tk.ID)
		if !slices.Equal(told[backend.AudienceAssignee], []int64{f.amy.ID}) || len(told[backend.AudienceTriage]) != 1 || len(told[backend.AudienceReporter]) != 0 {
			t.Fatalf("told %v, want the triage chat and the assignee, not the reporter", told)
		}
		events, err := f.store.Events(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(events, func(e *backend.Event) bool { return e.Kind == backend.EventComment })
		if i < 0 || !events[i].Public || events[i].ActorID != f.ann.ID || events[i].Body != "又出现了，这次是在下午三点" {
			t.Fatalf("the comment: %+v", events[i:])
		}

		// Reported from a group chat: the group is told, and the ticket
		// without a source takes it on; a second group is told too, and
		// the ticket keeps its first source.
		_, err = f.svc.AddToOwnTicket(ctx, f.ann, tk.Number, "群里又有人说了", "telegram:-100")
		wantCode(t, err, backend.EINVALID)
		if _, err := f.svc.AddToOwnTicket(ctx, f.ann, tk.Number, "群里又有人说了", "telegram:-1001:42"); err != nil {
			t.Fatal(err)
		}
		if got := f.toldOf(t, tk, backend.EventComment); !slices.Contains(got, "source:telegram:-1001") {
			t.Fatalf("told %v, want the source group", got)
		}
		if _, err := f.svc.AddToOwnTicket(ctx, f.ann, tk.Number, "另一个群也有人说了", "telegram:-1002:7"); err != nil {
			t.Fatal(err)
		}
		if got := f.toldOf(t, tk, backend.EventComment); !slices.Contains(got, "source:telegram:-1002") {
			t.Fatalf("told %v, want the second group", got)
		}
		if got, err := f.store.Ticket(ctx, tk.Number); err != nil || got.Source != "telegram:-1001:42" {
			t.Fatalf("source %q (%v), want the first group's message", got.Source, err)
		}
	})
}

// TestSimilarOpenTickets: the other open tickets of the last week whose
// summary looks like a ticket's, of its team, best first; not older
// ones, closed ones, unlike ones, another team's, nor those of its own
// incident.
func TestSimilarOpenTickets(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		about := func(summary, region string) func(*backend.NewTicket) {
			return func(in *backend.NewTicket) { in.Summary, in.Region = summary, region }
		}
		numbers := func(ts []*backend.Ticket) []string {
			out := []string{}
			for _, tk := range ts {
				out = append(out, tk.Number)
			}
			return out
		}
		f.create(t, f.alice, about("提单系统保存草稿后草稿丢失了", "华北")) // more than a week before
		f.now = f.now.Add(backend.SimilarWindow + time.Hour)
		a := f.create(t, f.alice, about("提单系统保存草稿后草稿丢失了", "华北"))
		b := f.create(t, f.bob, about("提单系统保存草稿后草稿又丢失了，客户很着急", "华东"))
		c := f.create(t, f.bob, about("提单系统保存草稿后草稿丢失", "华南"))
		f.create(t, f.bob, about("会员中心打不开，一直转圈圈", "华东"))
		moved := f.create(t, f.bob, about("提单系统保存草稿后草稿丢失了", "华东")) // another team's
		if _, err := f.svc.Transfer(ctx, f.manager, moved.Number, f.teamB.ID, "归二组处理"); err != nil {
			t.Fatal(err)
		}
		closed := f.create(t, f.bob, about("提单系统保存草稿后草稿丢失了", "华南"))
		if _, err := f.svc.Resolve(ctx, f.ann, closed.Number, "已修复"); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.SimilarOpenTickets(ctx, a)
		if err != nil || !slices.Equal(numbers(got), []string{c.Number, b.Number}) {
			t.Fatalf("similar to %s: %v (%v), want %s then %s", a.Number, numbers(got), err, c.Number, b.Number)
		}

		inc, err := f.svc.CreateIncident(ctx, f.ann, "提单系统草稿丢失")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{a.Number, c.Number} {
			if _, err := f.svc.LinkIncident(ctx, f.ann, n, inc.ID); err != nil {
				t.Fatal(err)
			}
		}
		if a, err = f.store.Ticket(ctx, a.Number); err != nil {
			t.Fatal(err)
		}
		if got, err = f.svc.SimilarOpenTickets(ctx, a); err != nil || !slices.Equal(numbers(got), []string{b.Number}) {
			t.Fatalf("similar to %s in %s: %v (%v), want %s alone", a.Number, backend.IncidentRef(inc.ID), numbers(got), err, b.Number)
		}
	})
}
