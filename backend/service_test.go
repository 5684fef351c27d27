package backend_test

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/backend/sqlite"
)

// eachStore runs f once with fresh SQLite stores and once with fresh
// schemas of the real Postgres; every call of newStore makes a new one.
func eachStore(t *testing.T, f func(t *testing.T, newStore func(t *testing.T) backend.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		f(t, func(t *testing.T) backend.Store {
			ctx := context.Background()
			s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "deskbot.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, func(t *testing.T) backend.Store { return pgtest.NewStore(t) })
	})
}

// fixture is a service with a fixed clock and a cast of people.
type fixture struct {
	svc                 *backend.Service
	store               backend.Store
	now                 time.Time
	alice, bob          *backend.Person // reporters
	ann, amy, otherTeam *backend.Person // assistants: ann and amy in team 1, otherTeam in team 2
	manager             *backend.Person
	teamA, teamB        *backend.Team
	changed             []string
	mu                  sync.Mutex
}

func newFixture(t *testing.T, store backend.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-11-22 17:30 UTC is already 2026-11-23 01:30 in Shanghai.
	f := &fixture{store: store, now: time.Date(2026, 11, 22, 17, 30, 0, 0, time.UTC)}
	f.svc = backend.NewService(store, backend.ServiceConfig{
		Now:      func() time.Time { return f.now },
		Location: loc,
		Changed: func(tk *backend.Ticket) {
			f.mu.Lock()
			f.changed = append(f.changed, tk.Number)
			f.mu.Unlock()
		},
	})
	f.teamA = &backend.Team{Name: "tech"}
	f.teamB = &backend.Team{Name: "product"}
	for _, tm := range []*backend.Team{f.teamA, f.teamB} {
		if err := store.CreateTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(name string, team int64, roles ...backend.Role) *backend.Person {
		p := &backend.Person{Name: name, Roles: roles, TeamID: team}
		if err := f.svc.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.alice = mk("alice", 0, backend.RoleReporter)
	f.bob = mk("bob", 0, backend.RoleReporter)
	f.ann = mk("ann", f.teamA.ID, backend.RoleAssistant)
	f.amy = mk("amy", f.teamA.ID, backend.RoleAssistant)
	f.otherTeam = mk("olga", f.teamB.ID, backend.RoleAssistant)
	f.manager = mk("mia", 0, backend.RoleManager)
	return f
}

func validTicket() backend.NewTicket {
	return backend.NewTicket{
		Prefix: "FB", Form: "feedback",
		Summary:      "房产放心房上线后在后台不显示",
		CategoryPath: []string{"CRM问题", "会员中心"},
		OccurredAt:   time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
		Region:       "北京", Severity: backend.P3,
		Contacts: backend.Contacts{Phone: "13800138000"},
		Channel:  "web",
	}
}

func (f *fixture) create(t *testing.T, actor *backend.Person, mod func(*backend.NewTicket)) *backend.Ticket {
	t.Helper()
	in := validTicket()
	if mod != nil {
		mod(&in)
	}
	tk, err := f.svc.CreateTicket(context.Background(), actor, in)
	if err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	return tk
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := backend.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func TestService(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()

		t.Run("CreateNumbersInZone", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			a := f.create(t, f.alice, nil)
			b := f.create(t, f.bob, nil)
			if a.Number != "FB-20261123-0001" || b.Number != "FB-20261123-0002" {
				t.Fatalf("numbers = %s, %s; want FB-20261123-0001, -0002 (Shanghai date)", a.Number, b.Number)
			}
			if a.Status != backend.StatusNew || a.ReporterID != f.alice.ID {
				t.Fatalf("ticket = %+v", a)
			}
			if len(f.changed) != 2 {
				t.Fatalf("Changed hook called %d times, want 2", len(f.changed))
			}
			msgs, err := f.store.ClaimOutbox(ctx, f.now, time.Minute, 100)
			if err != nil {
				t.Fatal(err)
			}
			var reporter, triage int
			for _, m := range msgs {
				if m.TicketID != a.ID {
					continue
				}
				switch m.Audience {
				case backend.AudienceReporter:
					reporter++
					if m.RecipientID != f.alice.ID {
						t.Errorf("reporter message to %d, want %d", m.RecipientID, f.alice.ID)
					}
				case backend.AudienceTriage:
					triage++
				}
			}
			if reporter != 1 || triage != 1 {
				t.Fatalf("outbox for new ticket: reporter=%d triage=%d, want 1 and 1", reporter, triage)
			}
		})

		t.Run("ReporterFollowUpToTriageAndAssignee", func(t *testing.T) {
			// The card's thread in every triage chat shows the reporter's
			// follow-ups, whatever chat the assignee reads them in.
			f := newFixture(t, newStore(t))
			tk := f.create(t, f.alice, nil)
			rows := func(what string) map[backend.Audience]int {
				t.Helper()
				msgs, err := f.store.ClaimOutbox(ctx, f.now, time.Minute, 100)
				if err != nil {
					t.Fatal(err)
				}
				got := map[backend.Audience]int{}
				for _, m := range msgs {
					// Delivered: the ticket's next messages become due.
					if err := f.store.MarkOutboxSent(ctx, m.ID, f.now, ""); err != nil {
						t.Fatal(err)
					}
					if m.TicketID == tk.ID {
						got[m.Audience]++
						if m.Audience == backend.AudienceAssignee && m.RecipientID != f.ann.ID {
							t.Errorf("%s: assignee row for %d, want %d", what, m.RecipientID, f.ann.ID)
						}
					}
				}
				return got
			}
			rows("created")
			if _, err := f.svc.Comment(ctx, f.alice, tk.Number, "还是不显示", false); err != nil {
				t.Fatal(err)
			}
			if got := rows("unassigned"); got[backend.AudienceTriage] != 1 || got[backend.AudienceAssignee] != 0 {
				t.Fatalf("follow-up before a claim: %v, want one triage row", got)
			}
			if _, err := f.svc.Claim(ctx, f.ann, tk.Number); err != nil {
				t.Fatal(err)
			}
			rows("claimed")
			if _, err := f.svc.Comment(ctx, f.alice, tk.Number, "补充：北京朝阳区", false); err != nil {
				t.Fatal(err)
			}
			if got := rows("assigned"); got[backend.AudienceTriage] != 1 || got[backend.AudienceAssignee] != 1 {
				t.Fatalf("follow-up after a claim: %v, want one triage and one assignee row", got)
			}
			if _, err := f.svc.Comment(ctx, f.ann, tk.Number, "收到", true); err != nil {
				t.Fatal(err)
			}
			if got := rows("staff reply"); got[backend.AudienceTriage] != 0 || got[backend.AudienceReporter] != 1 {
				t.Fatalf("staff reply: %v, want only the reporter row", got)
			}
		})

		t.Run("RetriedSubmitFilesOnce", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			var wg sync.WaitGroup
			numbers := make([]string, 4)
			for i := range numbers {
				wg.Go(func() {
					tk := f.create(t, f.alice, func(n *backend.NewTicket) { n.RequestID = "draft-42" })
					numbers[i] = tk.Number
				})
			}
			wg.Wait()
			for _, n := range numbers[1:] {
				if n != numbers[0] {
					t.Fatalf("the same submission filed %v", numbers)
				}
			}
			page, err := f.svc.Tickets(ctx, f.manager, backend.TicketFilter{})
			if err != nil || len(page.Tickets) != 1 {
				t.Fatalf("%d tickets for one submission (%v)", len(page.Tickets), err)
			}
			// A retry after the filing answers with the same ticket and
			// uses no number: the next ticket's number follows on.
			again := f.create(t, f.alice, func(n *backend.NewTicket) { n.RequestID = "draft-42" })
			next := f.create(t, f.alice, func(n *backend.NewTicket) { n.RequestID = "draft-43" })
			if again.Number != numbers[0] || next.Number != "FB-20261123-0002" {
				t.Fatalf("retry filed %s (want %s), next ticket %s", again.Number, numbers[0], next.Number)
			}
		})

		t.Run("NoTriage", func(t *testing.T) {
			store := newStore(t)
			svc := backend.NewService(store, backend.ServiceConfig{NoTriage: true})
			p := &backend.Person{Name: "r", Roles: []backend.Role{backend.RoleReporter}}
			if err := svc.CreatePerson(ctx, p); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.CreateTicket(ctx, p, validTicket()); err != nil {
				t.Fatal(err)
			}
			msgs, err := store.ClaimOutbox(ctx, time.Now().Add(time.Hour), time.Minute, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 1 || msgs[0].Audience != backend.AudienceReporter {
				t.Fatalf("outbox without triage chats = %+v, want only the reporter's", msgs)
			}
		})

		t.Run("ErrInvalidNamesEveryField", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			_, err := f.svc.CreateTicket(ctx, f.alice, backend.NewTicket{
				Prefix: "FB", Summary: "short", Severity: backend.P1,
				OccurredAt: f.now.Add(time.Hour),
				Contacts:   backend.Contacts{Phone: "1380013800", Email: "not-mail", QQ: "12"},
			})
			wantCode(t, err, backend.EINVALID)
			fields := backend.ErrorFields(err)
			for _, name := range []string{"summary", "category", "occurred_at", "region", "order_number", "account", "attachments", "contacts.phone", "contacts.email", "contacts.qq"} {
				if fields[name] == "" {
					t.Errorf("field %s not named in %v", name, fields)
				}
			}
			page, err := f.store.Tickets(ctx, backend.TicketFilter{Limit: 10})
			if err != nil || len(page.Tickets) != 0 {
				t.Fatalf("an invalid ticket was stored: %v %v", page, err)
			}
		})

		t.Run("ErrNoContact", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			_, err := f.svc.CreateTicket(ctx, f.alice, func() backend.NewTicket { in := validTicket(); in.Contacts = backend.Contacts{}; return in }())
			wantCode(t, err, backend.EINVALID)
			if backend.ErrorFields(err)["contacts"] == "" {
				t.Fatalf("fields = %v", backend.ErrorFields(err))
			}
		})

		t.Run("Visibility", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			tk := f.create(t, f.alice, nil)
			if _, err := f.svc.Ticket(ctx, f.alice, tk.Number); err != nil {
				t.Fatalf("reporter reads own ticket: %v", err)
			}
			if _, err := f.svc.Ticket(ctx, f.alice, strings.ToLower(tk.Number)); err != nil {
				t.Fatalf("reporter reads own ticket typed in lower case: %v", err)
			}
			_, err := f.svc.Ticket(ctx, f.bob, tk.Number)
			wantCode(t, err, backend.ENOTFOUND) // not 403: numbers do not leak
			other := backend.ErrorText(err, func(id string, _ map[string]any) string { return id })
			_, err = f.svc.Ticket(ctx, f.alice, "FB-20261123-9999")
			wantCode(t, err, backend.ENOTFOUND)
			// A number nobody has reads as someone else's: the same
			// sentence, from the catalog (not the store's English).
			if none := backend.ErrorText(err, func(id string, _ map[string]any) string { return id }); none != other || none != "err.ticket" {
				t.Fatalf("not found = %q, someone else's = %q; want both err.ticket", none, other)
			}
			_, err = f.svc.Ticket(ctx, f.alice, "not-a-number")
			wantCode(t, err, backend.ENOTFOUND)
			// Unrouted: every assistant sees it. After ann claims it, it is team A's.
			if _, err := f.svc.Ticket(ctx, f.otherTeam, tk.Number); err != nil {
				t.Fatalf("unrouted ticket hidden from an assistant: %v", err)
			}
			if _, err := f.svc.Claim(ctx, f.ann, tk.Number); err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.Ticket(ctx, f.otherTeam, tk.Number)
			wantCode(t, err, backend.EFORBIDDEN)
			if _, err := f.svc.Ticket(ctx, f.manager, tk.Number); err != nil {
				t.Fatalf("manager: %v", err)
			}

			f.create(t, f.bob, nil)
			page, err := f.svc.Tickets(ctx, f.alice, backend.TicketFilter{})
			if err != nil || len(page.Tickets) != 1 || page.Tickets[0].ReporterID != f.alice.ID {
				t.Fatalf("reporter list = %+v, %v; want only alice's ticket", page, err)
			}
			page, err = f.svc.Tickets(ctx, f.otherTeam, backend.TicketFilter{})
			if err != nil || len(page.Tickets) != 1 {
				t.Fatalf("other team's assistant sees %d tickets (%v), want 1 (the unrouted one)", len(page.Tickets), err)
			}
			page, err = f.svc.Tickets(ctx, f.manager, backend.TicketFilter{})
			if err != nil || len(page.Tickets) != 2 {
				t.Fatalf("manager sees %d tickets (%v), want 2", len(page.Tickets), err)
			}
			// An assistant without a team lists what they may open: the
			// unrouted ticket, not team A's.
			tess := &backend.Person{Name: "tess", Roles: []backend.Role{backend.RoleAssistant}}
			if err := f.svc.CreatePerson(ctx, tess); err != nil {
				t.Fatal(err)
			}
			page, err = f.svc.Tickets(ctx, tess, backend.TicketFilter{})
			if err != nil || len(page.Tickets) != 1 || page.Tickets[0].Number == tk.Number {
				t.Fatalf("assistant without a team lists %d tickets (%v), want 1 (the unrouted one)", len(page.Tickets), err)
			}
		})

		t.Run("Redaction", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			tk := f.create(t, f.alice, func(n *backend.NewTicket) { n.Account = "agent-8812" })
			if got := tk.RedactedFor(f.ann).Contacts.Phone; got != "138****8000" {
				t.Fatalf("masked phone for a non-assignee = %q", got)
			}
			tk, _ = f.svc.Claim(ctx, f.ann, tk.Number)
			if got := tk.RedactedFor(f.ann).Contacts.Phone; got != "13800138000" {
				t.Fatalf("assignee sees %q", got)
			}
			if got := tk.RedactedFor(f.amy).Account; got == "agent-8812" {
				t.Fatalf("account not masked for a colleague")
			}
		})

		t.Run("ClaimOnce", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			tk := f.create(t, f.alice, nil)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, p := range []*backend.Person{f.ann, f.amy} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = f.svc.Claim(ctx, p, tk.Number)
				}()
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else {
					wantCode(t, err, backend.ECONFLICT)
				}
			}
			if ok != 1 {
				t.Fatalf("%d claims succeeded, want exactly 1: %v", ok, errs)
			}
			got, _ := f.svc.Ticket(ctx, f.manager, tk.Number)
			if got.Status != backend.StatusAssigned || got.TeamID != f.teamA.ID {
				t.Fatalf("after claim: status %s team %d", got.Status, got.TeamID)
			}
			_, err := f.svc.Claim(ctx, f.alice, tk.Number)
			wantCode(t, err, backend.EFORBIDDEN)
		})

		// Seed 002 第三步: the person a ticket is dispatched to confirms
		// it (Accept, or Claim as its assignee); only they may.
		t.Run("Accept", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			wantKey := func(err error, code, key string) {
				t.Helper()
				wantCode(t, err, code)
				if got := backend.ErrorKey(err); got != key {
					t.Fatalf("error key %q (%v), want %q", got, err, key)
				}
			}
			n := f.create(t, f.alice, nil).Number
			_, err := f.svc.Accept(ctx, f.ann, n)
			wantKey(err, backend.EFORBIDDEN, backend.KeyNotAssignee) // nobody holds it: claim it
			tk, err := f.svc.Assign(ctx, f.manager, n, f.ann.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !tk.AwaitsAccept() || !tk.AcceptedAt.IsZero() {
				t.Fatalf("dispatched ticket: accepted at %v, want awaiting acceptance", tk.AcceptedAt)
			}
			for _, p := range []*backend.Person{f.amy, f.manager} {
				_, err = f.svc.Accept(ctx, p, n)
				wantKey(err, backend.EFORBIDDEN, backend.KeyNotAssignee)
			}
			_, err = f.svc.Accept(ctx, f.alice, n)
			wantKey(err, backend.EFORBIDDEN, "staff_only")
			_, err = f.svc.Claim(ctx, f.amy, n)
			wantKey(err, backend.ECONFLICT, "dispatched")

			f.now = f.now.Add(10 * time.Minute)
			tk, err = f.svc.Accept(ctx, f.ann, n)
			if err != nil {
				t.Fatal(err)
			}
			if tk.AwaitsAccept() || !tk.AcceptedAt.Equal(f.now) || tk.Status != backend.StatusAssigned || tk.AssigneeID != f.ann.ID {
				t.Fatalf("accepted: %s, assignee %d, accepted at %v", tk.Status, tk.AssigneeID, tk.AcceptedAt)
			}
			if got, _ := f.svc.Ticket(ctx, f.manager, n); !got.AcceptedAt.Equal(f.now) {
				t.Fatalf("stored accepted at %v, want %v", got.AcceptedAt, f.now)
			}
			_, events, err := f.svc.Thread(ctx, f.manager, n)
			if err != nil {
				t.Fatal(err)
			}
			last := events[len(events)-1]
			if last.Kind != backend.EventMilestone || last.Body != string(backend.MilestoneAccepted) || last.ActorID != f.ann.ID || last.Public {
				t.Fatalf("last event %+v, want ann's internal accepted milestone", last)
			}
			_, err = f.svc.Accept(ctx, f.ann, n)
			wantKey(err, backend.ECONFLICT, "accepted")
			_, err = f.svc.Claim(ctx, f.ann, n)
			wantKey(err, backend.ECONFLICT, "yours")
			_, err = f.svc.Claim(ctx, f.amy, n)
			wantKey(err, backend.ECONFLICT, "claimed")
			_, err = f.svc.RecordMilestone(ctx, f.ann, n, backend.MilestoneAccepted)
			wantCode(t, err, backend.EINVALID) // only through Accept

			// Reassigned: amy confirms afresh, by pressing Claim.
			tk, err = f.svc.Assign(ctx, f.manager, n, f.amy.ID)
			if err != nil || !tk.AwaitsAccept() {
				t.Fatalf("reassigned: %v, accepted at %v", err, tk.AcceptedAt)
			}
			tk, err = f.svc.Claim(ctx, f.amy, n)
			if err != nil || tk.AwaitsAccept() || tk.AssigneeID != f.amy.ID {
				t.Fatalf("claim by the assignee: %v, accepted at %v", err, tk.AcceptedAt)
			}
			// Returned: nobody holds it, nothing is accepted.
			tk, err = f.svc.Return(ctx, f.amy, n, "不是我们组的问题")
			if err != nil || !tk.AcceptedAt.IsZero() || tk.AssigneeID != 0 {
				t.Fatalf("returned: %v, assignee %d, accepted at %v", err, tk.AssigneeID, tk.AcceptedAt)
			}
			// A manager taking it themselves accepts it.
			tk, err = f.svc.Assign(ctx, f.manager, n, f.manager.ID)
			if err != nil || tk.AwaitsAccept() {
				t.Fatalf("assigned to oneself: %v, accepted at %v", err, tk.AcceptedAt)
			}

			// Starting work accepts a dispatched ticket.
			n = f.create(t, f.alice, nil).Number
			if _, err := f.svc.Assign(ctx, f.manager, n, f.ann.ID); err != nil {
				t.Fatal(err)
			}
			// …the assignee's own start: a colleague cannot start it for them.
			_, err = f.svc.Transition(ctx, f.amy, n, backend.StatusInProgress, "")
			wantKey(err, backend.ECONFLICT, "dispatched")
			tk, err = f.svc.Transition(ctx, f.ann, n, backend.StatusInProgress, "")
			if err != nil || tk.AwaitsAccept() {
				t.Fatalf("in progress: %v, accepted at %v", err, tk.AcceptedAt)
			}
			// Handed over while in progress: the work goes on with amy,
			// who has nothing to confirm.
			tk, err = f.svc.Assign(ctx, f.manager, n, f.amy.ID)
			if err != nil || tk.AwaitsAccept() || tk.Status != backend.StatusInProgress {
				t.Fatalf("handed over in progress: %v, %s, accepted at %v", err, tk.Status, tk.AcceptedAt)
			}
			if tk, err = f.svc.Assign(ctx, f.manager, n, f.ann.ID); err != nil {
				t.Fatal(err)
			}
			// Reopened by an unsatisfied reporter: the assignee confirms again.
			if _, err := f.svc.Resolve(ctx, f.ann, n, "已修复"); err != nil {
				t.Fatal(err)
			}
			tk, err = f.svc.RecordSatisfaction(ctx, f.alice, n, backend.SatisfactionUnsatisfied, "")
			if err != nil || !tk.AwaitsAccept() {
				t.Fatalf("reopened: %v, accepted at %v", err, tk.AcceptedAt)
			}
		})

		t.Run("Workflow", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			tk := f.create(t, f.alice, nil)
			n := tk.Number
			step := func(what string, tk *backend.Ticket, err error, want backend.Status) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if tk.Status != want {
					t.Fatalf("%s: status %s, want %s", what, tk.Status, want)
				}
			}
			tk, err := f.svc.Claim(ctx, f.ann, n)
			step("claim", tk, err, backend.StatusAssigned)
			_, err = f.svc.Ask(ctx, f.ann, n, "")
			wantCode(t, err, backend.EINVALID)
			tk, err = f.svc.Ask(ctx, f.ann, n, "请提供提单号")
			step("ask", tk, err, backend.StatusWaitingReporter)
			tk, err = f.svc.Comment(ctx, f.alice, n, "提单号 TD-1234", false)
			step("reporter answers", tk, err, backend.StatusAssigned) // back to where it was
			tk, err = f.svc.Comment(ctx, f.ann, n, "internal: checking with tech", false)
			step("internal note", tk, err, backend.StatusAssigned)
			_, err = f.svc.Transition(ctx, f.ann, n, backend.StatusArchived, "")
			wantCode(t, err, backend.ECONFLICT)
			if !strings.Contains(err.Error(), "assigned") || !strings.Contains(err.Error(), "archived") {
				t.Fatalf("illegal transition error does not name both statuses: %v", err)
			}
			_, err = f.svc.Transition(ctx, f.ann, n, "bogus", "")
			wantCode(t, err, backend.EINVALID)
			_, err = f.svc.Resolve(ctx, f.ann, n, " ")
			wantCode(t, err, backend.EINVALID)
			_, err = f.svc.Resolve(ctx, f.alice, n, "done")
			wantCode(t, err, backend.EFORBIDDEN)
			_, err = f.svc.RecordSatisfaction(ctx, f.alice, n, backend.SatisfactionSatisfied, "")
			wantCode(t, err, backend.ECONFLICT) // not resolved yet
			tk, err = f.svc.Resolve(ctx, f.ann, n, "已重新同步放心房标识")
			step("resolve", tk, err, backend.StatusResolved)
			if tk.Solution == "" || tk.ResolvedAt.IsZero() {
				t.Fatalf("resolve kept no solution/time: %+v", tk)
			}
			_, err = f.svc.RecordSatisfaction(ctx, f.bob, n, backend.SatisfactionSatisfied, "")
			wantCode(t, err, backend.ENOTFOUND)
			tk, err = f.svc.RecordSatisfaction(ctx, f.alice, n, backend.SatisfactionUnsatisfied, "still broken")
			step("unsatisfied", tk, err, backend.StatusReopened)
			_, err = f.svc.RecordSatisfaction(ctx, f.alice, n, backend.SatisfactionSatisfied, "")
			wantCode(t, err, backend.ECONFLICT)

			_, all, err := f.svc.Thread(ctx, f.ann, n)
			if err != nil {
				t.Fatal(err)
			}
			_, public, err := f.svc.Thread(ctx, f.alice, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(public) != len(all)-2 {
				t.Fatalf("reporter sees %d of %d events; want all but the internal note and the acceptance", len(public), len(all))
			}
			for _, e := range public {
				if !e.Public {
					t.Fatalf("reporter sees internal event %+v", e)
				}
			}
			kinds := make([]string, 0, len(all))
			for _, e := range all {
				kinds = append(kinds, string(e.Kind))
			}
			want := "created assigned status_changed sla_milestone status_changed comment status_changed comment status_changed satisfaction status_changed"
			if got := strings.Join(kinds, " "); got != want {
				t.Fatalf("thread = %s\nwant     %s", got, want)
			}
		})

		// Seed 002: 不满意 starts the handling over, and the second answer
		// is rated afresh; both ratings count in the reports, and each
		// 不满意 opens its own follow-up.
		t.Run("RatedAgainAfterReopen", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.unsatisfied(t)
			tk, err := f.svc.Ticket(ctx, f.alice, n)
			if err != nil || tk.Satisfaction != backend.SatisfactionUnsatisfied || tk.Status != backend.StatusReopened {
				t.Fatalf("after 不满意: %v, %s, %q", err, tk.Status, tk.Satisfaction)
			}
			_, err = f.svc.RecordSatisfaction(ctx, f.alice, n, backend.SatisfactionSatisfied, "")
			wantCode(t, err, backend.ECONFLICT) // reopened, not answered yet
			rateTwice := func(rating backend.Satisfaction) {
				t.Helper()
				f.now = f.now.Add(time.Hour)
				tk, err := f.svc.Resolve(ctx, f.ann, n, "清除缓存后重新同步")
				if err != nil || tk.Satisfaction != backend.SatisfactionNone {
					t.Fatalf("answered again: %v, rating %q still on it", err, tk.Satisfaction)
				}
				f.now = f.now.Add(time.Minute)
				if tk, err = f.svc.RecordSatisfaction(ctx, f.alice, n, rating, ""); err != nil || tk.Satisfaction != rating {
					t.Fatalf("second rating: %v, %+v", err, tk)
				}
				_, err = f.svc.RecordSatisfaction(ctx, f.alice, n, rating, "")
				wantCode(t, err, backend.ECONFLICT)
			}
			rateTwice(backend.SatisfactionUnsatisfied)
			rateTwice(backend.SatisfactionSatisfied)
			fus, err := f.svc.FollowUpsOf(ctx, f.ann, n)
			if err != nil || len(fus) != 2 {
				t.Fatalf("follow-ups: %d, %v; want one per 不满意", len(fus), err)
			}
			rates, err := f.store.ReportRatings(ctx, []backend.ReportFilter{{From: f.now.Add(-24 * time.Hour), Before: f.now.Add(time.Hour)}})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[backend.Satisfaction]int{backend.SatisfactionUnsatisfied: 2, backend.SatisfactionSatisfied: 1}; !maps.Equal(rates[0], want) {
				t.Fatalf("ratings = %v, want %v", rates[0], want)
			}
		})

		// The reporter's answer takes a ticket back to where it was before
		// the question; an unclaimed one stays unclaimed (new), one claimed
		// while it waited is assigned.
		t.Run("AnswerReturnsToStatusBeforeQuestion", func(t *testing.T) {
			for _, tc := range []struct {
				name      string
				before    func(f *fixture, n string) error
				claimWait bool
				want      backend.Status
			}{
				{name: "unclaimed", want: backend.StatusNew},
				{name: "claimed", before: func(f *fixture, n string) error { _, err := f.svc.Claim(ctx, f.ann, n); return err }, want: backend.StatusAssigned},
				{name: "in progress", before: func(f *fixture, n string) error {
					if _, err := f.svc.Claim(ctx, f.ann, n); err != nil {
						return err
					}
					_, err := f.svc.Transition(ctx, f.ann, n, backend.StatusInProgress, "")
					return err
				}, want: backend.StatusInProgress},
				{name: "claimed while waiting", claimWait: true, want: backend.StatusAssigned},
			} {
				t.Run(tc.name, func(t *testing.T) {
					f := newFixture(t, newStore(t))
					n := f.create(t, f.alice, nil).Number
					if tc.before != nil {
						if err := tc.before(f, n); err != nil {
							t.Fatal(err)
						}
					}
					if _, err := f.svc.Ask(ctx, f.ann, n, "请提供截图"); err != nil {
						t.Fatal(err)
					}
					if tc.claimWait {
						if _, err := f.svc.Claim(ctx, f.amy, n); err != nil {
							t.Fatal(err)
						}
					}
					tk, err := f.svc.Comment(ctx, f.alice, n, "截图已补充", false)
					if err != nil {
						t.Fatal(err)
					}
					if tk.Status != tc.want {
						t.Fatalf("after the answer: %s (assignee %d), want %s", tk.Status, tk.AssigneeID, tc.want)
					}
					if tk.Status == backend.StatusNew && tk.AssigneeID != 0 || tk.Status != backend.StatusNew && tk.AssigneeID == 0 {
						t.Fatalf("status %s with assignee %d", tk.Status, tk.AssigneeID)
					}
				})
			}
		})

		t.Run("ReturnClearsAssignee", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			tk := f.create(t, f.alice, nil)
			f.svc.Claim(ctx, f.ann, tk.Number)
			_, err := f.svc.Return(ctx, f.ann, tk.Number, "")
			wantCode(t, err, backend.EINVALID)
			tk, err = f.svc.Return(ctx, f.ann, tk.Number, "不属于技术问题")
			if err != nil || tk.Status != backend.StatusReturned || tk.AssigneeID != 0 {
				t.Fatalf("return: %+v %v", tk, err)
			}
			if tk, err = f.svc.Claim(ctx, f.amy, tk.Number); err != nil || tk.AssigneeID != f.amy.ID {
				t.Fatalf("claim after return: %v", err)
			}
		})

		t.Run("AssignSeverityIncidentAttachment", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			tk := f.create(t, f.alice, nil)
			_, err := f.svc.Assign(ctx, f.ann, tk.Number, f.alice.ID)
			wantCode(t, err, backend.EINVALID)
			_, err = f.svc.Assign(ctx, f.ann, tk.Number, 99999)
			wantCode(t, err, backend.EINVALID)
			tk, err = f.svc.Assign(ctx, f.manager, tk.Number, f.otherTeam.ID)
			if err != nil || tk.AssigneeID != f.otherTeam.ID || tk.TeamID != f.teamB.ID || tk.Status != backend.StatusAssigned {
				t.Fatalf("assign: %+v %v", tk, err)
			}
			_, err = f.svc.ChangeSeverity(ctx, f.otherTeam, tk.Number, "P9")
			wantCode(t, err, backend.EINVALID)
			tk, err = f.svc.ChangeSeverity(ctx, f.otherTeam, tk.Number, backend.P1)
			if err != nil || tk.Severity != backend.P1 {
				t.Fatalf("severity: %v", err)
			}
			inc, err := f.svc.CreateIncident(ctx, f.otherTeam, "放心房标识批量丢失")
			if err != nil {
				t.Fatal(err)
			}
			tk, err = f.svc.LinkIncident(ctx, f.otherTeam, tk.Number, inc.ID)
			if err != nil || tk.IncidentID != inc.ID {
				t.Fatalf("link: %v", err)
			}
			_, err = f.svc.LinkIncident(ctx, f.otherTeam, tk.Number, inc.ID+1000)
			wantCode(t, err, backend.ENOTFOUND)
			if key := backend.ErrorKey(err); key != "incident" {
				t.Fatalf("unknown incident: key %q, want incident (a sentence of the catalog)", key)
			}
			att := backend.Attachment{Name: "shot.png", ContentType: "image/png", Size: 2048, SHA256: strings.Repeat("ab", 32)}
			tk, err = f.svc.AddAttachment(ctx, f.alice, tk.Number, att)
			if err != nil || len(tk.Attachments) != 1 {
				t.Fatalf("attach: %v", err)
			}
			_, err = f.svc.AddAttachment(ctx, f.bob, tk.Number, att)
			wantCode(t, err, backend.ENOTFOUND)
		})

		t.Run("ReporterFor", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			acct := backend.ChatAccount{Platform: "telegram", UserID: "42", ChatID: "42"}
			p1, err := f.svc.ReporterFor(ctx, acct, "Zhang", "zh-CN")
			if err != nil || !p1.HasRole(backend.RoleReporter) {
				t.Fatalf("first contact: %+v %v", p1, err)
			}
			p2, err := f.svc.ReporterFor(ctx, acct, "Zhang", "zh-CN")
			if err != nil || p2.ID != p1.ID {
				t.Fatalf("second contact made a new person: %v %v", p2, err)
			}
		})

		t.Run("APIToken", func(t *testing.T) {
			f := newFixture(t, newStore(t))
			secret, tok, err := f.svc.CreateAPIToken(ctx, "ci-bot", backend.RoleAssistant, f.teamA.ID)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(tok.Hash), secret) {
				t.Fatal("token stored in clear")
			}
			p, err := f.svc.Authenticate(ctx, secret)
			if err != nil || !p.HasRole(backend.RoleAssistant) || p.TeamID != f.teamA.ID {
				t.Fatalf("authenticate: %+v %v", p, err)
			}
			_, err = f.svc.Authenticate(ctx, secret+"x")
			wantCode(t, err, backend.EUNAUTHORIZED)
			_, err = f.svc.Authenticate(ctx, "garbage")
			wantCode(t, err, backend.EUNAUTHORIZED)
		})
	})
}
