package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// Exercise runs the backend.Store contract against stores made by newStore.
// newStore is called once per subtest (which runs in parallel) and must
// return an empty, migrated store that is closed when t ends.
//
//	func TestStore(t *testing.T) {
//		storetest.Exercise(t, func(t *testing.T) backend.Store { return newTestStore(t) })
//	}
//
// Besides the doc comments of backend.Store, the suite pins down what they
// leave open, so both stores agree:
//   - times are kept at microsecond precision and returned in UTC; a zero time
//     stays zero. Create methods normalise the caller's struct the same way,
//     so it equals what is read back afterwards;
//   - CreatedAt (people, tickets, incidents, tokens, messages), event At
//     and the UpdatedAt given to UpdateTicket keep a caller-set value and
//     otherwise take the store's clock; a message's NextAttempt defaults to
//     its CreatedAt; a new ticket gets Version 1 and UpdatedAt = CreatedAt;
//   - a reference to a missing person, team or incident is EINVALID and
//     nothing is written (so no ticket number is used up);
//   - if a method fails, the structs passed to it are left as they were;
//   - the number's day is day.Format("20060102") in day's own location;
//   - TicketFilter.CreatedAfter is inclusive, CreatedBefore exclusive; Query
//     is a case-insensitive substring match (ASCII letters at least);
//     ClockAlarm is inclusive (warn_at <= ClockAlarm, or breached) and
//     counts running clocks only;
//   - lists are ordered (people and accounts by creation, teams by name in
//     byte order, tickets newest first, events oldest first) and an empty
//     result is not an error; Events of a missing ticket is ENOTFOUND;
//   - LinkAccount to a missing person is ENOTFOUND;
//   - knowledge-base entries keep an empty category as nil, list newest
//     first, and carry their ticket's Number; a search (SearchKBEntries)
//     returns an empty list, not nil, for no match and scores in float64
//     division as the service does, so an entry scoring exactly MinScore
//     (1 of 5 terms: 0.2) is found; CreateKBEntries numbers the entries
//     in their order; Incident.Reports counts the linked tickets and the
//     followers who have none of them;
//   - a customer's orders tied on OrderedAt list the higher Number first
//     in byte order; TicketFilter.PhoneDigits matches whole numbers only
//     and never a ticket without a phone;
//   - ClaimOutbox does not count attempts; MarkOutboxRetry does, and ends the
//     lease so the message is due exactly at next; DeferOutbox does the same
//     without counting.
func Exercise(t *testing.T, newStore func(t *testing.T) backend.Store) {
	t.Run("Person", func(t *testing.T) { testPerson(t, newStore) })
	t.Run("Team", func(t *testing.T) { testTeam(t, newStore) })
	t.Run("CreateTicket", func(t *testing.T) { testCreateTicket(t, newStore) })
	t.Run("Ticket", func(t *testing.T) { testTicket(t, newStore) })
	t.Run("UpdateTicket", func(t *testing.T) { testUpdateTicket(t, newStore) })
	t.Run("Tickets", func(t *testing.T) { testTickets(t, newStore) })
	t.Run("Events", func(t *testing.T) { testEvents(t, newStore) })
	t.Run("AttachmentsInUse", func(t *testing.T) { testAttachmentsInUse(t, newStore) })
	t.Run("Incident", func(t *testing.T) { testIncident(t, newStore) })
	t.Run("ClaimOutbox", func(t *testing.T) { testClaimOutbox(t, newStore) })
	t.Run("MarkOutboxSent", func(t *testing.T) { testMarkOutboxSent(t, newStore) })
	t.Run("MarkOutboxRetry", func(t *testing.T) { testMarkOutboxRetry(t, newStore) })
	t.Run("APIToken", func(t *testing.T) { testAPIToken(t, newStore) })
	t.Run("SeenKey", func(t *testing.T) { testSeenKey(t, newStore) })
	t.Run("ChatMessage", func(t *testing.T) { testChatMessage(t, newStore) })
	t.Run("Invite", func(t *testing.T) { testInvite(t, newStore) })
	t.Run("Login", func(t *testing.T) { testLogin(t, newStore) })
	t.Run("MagicLink", func(t *testing.T) { testMagicLink(t, newStore) })
	t.Run("Secret", func(t *testing.T) { testSecret(t, newStore) })
	t.Run("Clocks", func(t *testing.T) { testClocks(t, newStore) })
	t.Run("FollowUp", func(t *testing.T) { testFollowUp(t, newStore) })
	t.Run("KB", func(t *testing.T) { testKB(t, newStore) })
	t.Run("IncidentReports", func(t *testing.T) { testIncidentReports(t, newStore) })
	t.Run("ReportData", func(t *testing.T) { testReportData(t, newStore) })
	t.Run("ReportSubscriptions", func(t *testing.T) { testReportSubscriptions(t, newStore) })
	t.Run("Complaint", func(t *testing.T) { testComplaint(t, newStore) })
	t.Run("ReportComplaints", func(t *testing.T) { testReportComplaints(t, newStore) })
	t.Run("Customers", func(t *testing.T) { testCustomers(t, newStore) })
	t.Run("Ping", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// NewStoreFunc makes an empty, migrated store for one test.
type NewStoreFunc = func(t *testing.T) backend.Store

// cst is China Standard Time without needing tzdata.
var cst = time.FixedZone("CST", 8*3600)

// missing is an ID no test creates.
const missing = 987654321

// setup marks the test parallel and returns its context and a fresh store.
func setup(t *testing.T, newStore NewStoreFunc) (context.Context, backend.Store) {
	t.Helper()
	t.Parallel()
	return t.Context(), newStore(t)
}

// norm is what a store makes of a time: microseconds, UTC, zero stays zero.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Microsecond).UTC()
}

// clockRange returns a check that a time the store stamped itself lies
// between before and now.
func clockRange(tb testing.TB) func(what string, got time.Time) {
	tb.Helper()
	before := time.Now().Add(-time.Second)
	return func(what string, got time.Time) {
		tb.Helper()
		if got.Location() != time.UTC || got.Before(before) || got.After(time.Now().Add(time.Second)) || !got.Equal(norm(got)) {
			tb.Errorf("%s = %v, want the store's clock (about now, µs, UTC)", what, got)
		}
	}
}

func equal(tb testing.TB, what string, got, want any) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("%s:\n got  %s\n want %s", what, dump(got), dump(want))
	}
}

func dump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := backend.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func createPerson(tb testing.TB, s backend.Store, name string, teamID int64, roles ...backend.Role) *backend.Person {
	tb.Helper()
	p := &backend.Person{Name: name, Roles: roles, TeamID: teamID, Locale: "zh-CN",
		Accounts: []backend.ChatAccount{{Platform: "telegram", UserID: "tg-" + name, ChatID: "chat-" + name}}}
	must(tb, s.CreatePerson(tb.Context(), p))
	return p
}

func createTeam(tb testing.TB, s backend.Store, name string) *backend.Team {
	tb.Helper()
	t := &backend.Team{Name: name}
	must(tb, s.CreateTeam(tb.Context(), t))
	return t
}

// fullTicket returns a ticket with every intake field set, times in CST
// with nanoseconds that the store must cut to microseconds.
func fullTicket(reporterID int64) *backend.Ticket {
	at := time.Date(2026, 11, 22, 9, 30, 15, 123456789, cst)
	return &backend.Ticket{
		Form:         "feedback",
		Summary:      "会员中心无法打开订单详情页面",
		ReferenceID:  "shop-42",
		CategoryPath: []string{"CRM问题", "会员中心"},
		Attachments: []backend.Attachment{
			{Name: "screen.png", ContentType: "image/png", Size: 2048, SHA256: strings.Repeat("ab", 32), AddedAt: at},
			{Name: "log.txt", ContentType: "text/plain", Size: 10},
		},
		OccurredAt:  at.Add(-time.Hour),
		Region:      "华东",
		Severity:    backend.P2,
		OrderNumber: "ORD-2026-0001",
		Account:     "shop-owner-7",
		Contacts:    backend.Contacts{Phone: "13800138000", Email: "li@example.com", QQ: "123456"},
		Extra:       map[string]string{"urgency": "high", "request": "退款"},
		Status:      backend.StatusNew,
		ReporterID:  reporterID,
		Channel:     "telegram",
		CreatedAt:   at,
	}
}

// minimalTicket returns a ticket with only the fields the store needs.
func minimalTicket(reporterID int64) *backend.Ticket {
	return &backend.Ticket{Summary: "something is broken", Status: backend.StatusNew, Severity: backend.P3, ReporterID: reporterID}
}

func createTicket(tb testing.TB, s backend.Store, t *backend.Ticket, prefix string, day time.Time, changes ...backend.Change) *backend.Ticket {
	tb.Helper()
	must(tb, s.CreateTicket(tb.Context(), t, prefix, day, changes))
	return t
}

func getTicket(tb testing.TB, s backend.Store, number string) *backend.Ticket {
	tb.Helper()
	t, err := s.Ticket(tb.Context(), number)
	must(tb, err)
	return t
}

func events(tb testing.TB, s backend.Store, ticketID int64) []*backend.Event {
	tb.Helper()
	evs, err := s.Events(tb.Context(), ticketID)
	must(tb, err)
	return evs
}

// notify returns a change with one event of kind k that notifies msgs.
func notify(k backend.EventKind, at time.Time, msgs ...*backend.OutboxMessage) backend.Change {
	return backend.Change{Event: &backend.Event{Kind: k, At: at, Body: string(k)}, Notify: msgs}
}

func ids[T any](xs []T, id func(T) int64) []int64 {
	out := make([]int64, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func ticketIDs(ts []*backend.Ticket) []int64 {
	return ids(ts, func(t *backend.Ticket) int64 { return t.ID })
}
func msgIDs(ms []*backend.OutboxMessage) []int64 {
	return ids(ms, func(m *backend.OutboxMessage) int64 { return m.ID })
}
