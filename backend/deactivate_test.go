package backend_test

import (
	"context"
	"slices"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

// TestDeactivate: an assistant who left loses every permission at once
// (tickets, chat, API), is listed with their open tickets, cannot be
// given a ticket, and gets everything back when reactivated; a revoked
// API token stops working for good.
func TestDeactivate(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		acct := backend.ChatAccount{Platform: "telegram", UserID: "7001", ChatID: "7001"}
		if err := f.store.LinkAccount(ctx, f.ann.ID, acct); err != nil {
			t.Fatal(err)
		}
		secret, tok, err := f.svc.CreateAPIToken(ctx, "ann-ci", backend.RoleAssistant, f.teamA.ID)
		if err != nil {
			t.Fatal(err)
		}
		mine := f.create(t, f.alice, nil)
		if _, err := f.svc.Claim(ctx, f.ann, mine.Number); err != nil {
			t.Fatal(err)
		}
		done := f.create(t, f.alice, nil)
		if _, err := f.svc.Claim(ctx, f.ann, done.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Resolve(ctx, f.ann, done.Number, "重启服务后恢复"); err != nil {
			t.Fatal(err)
		}

		p, open, err := f.svc.Deactivate(ctx, f.ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Active() || !p.DeactivatedAt.Equal(f.now) {
			t.Fatalf("deactivated at %v, want %v", p.DeactivatedAt, f.now)
		}
		if len(open) != 1 || open[0].Number != mine.Number {
			t.Fatalf("open tickets of ann: %v, want only %s (not the resolved %s)", numbers(open), mine.Number, done.Number)
		}
		ann, err := f.store.Person(ctx, f.ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ann.Handles() || ann.HasRole(backend.RoleAssistant) {
			t.Fatal("a deactivated assistant still handles tickets")
		}
		_, err = f.svc.Resolve(ctx, ann, mine.Number, "已处理") // she no longer sees it
		wantCode(t, err, backend.ENOTFOUND)
		_, err = f.svc.Assign(ctx, f.manager, mine.Number, f.ann.ID) // no giving her tickets either
		wantCode(t, err, backend.EINVALID)
		_, err = f.svc.ReporterFor(ctx, acct, "ann", "zh-CN")
		wantCode(t, err, backend.EFORBIDDEN)
		if backend.ErrorKey(err) != "deactivated" {
			t.Fatalf("chat refusal key %q, want deactivated", backend.ErrorKey(err))
		}
		// Her API token acts as her own account; deactivating the token's
		// service account refuses the token too.
		if _, _, err := f.svc.Deactivate(ctx, tok.PersonID); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Authenticate(ctx, secret)
		wantCode(t, err, backend.EUNAUTHORIZED)
		_, _, err = f.svc.Deactivate(ctx, f.ann.ID)
		wantCode(t, err, backend.ECONFLICT)
		_, _, err = f.svc.Deactivate(ctx, 999999)
		wantCode(t, err, backend.ENOTFOUND)
		// The last admin stays: nobody could administer deskbot after.
		root := &backend.Person{Name: "root", Roles: []backend.Role{backend.RoleAdmin}}
		deputy := &backend.Person{Name: "deputy", Roles: []backend.Role{backend.RoleAdmin}}
		for _, p := range []*backend.Person{root, deputy} {
			if err := f.svc.CreatePerson(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := f.svc.Deactivate(ctx, deputy.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.svc.Deactivate(ctx, root.ID)
		wantCode(t, err, backend.ECONFLICT)

		// Back: everything works again, the same token included.
		if _, err := f.svc.Reactivate(ctx, f.ann.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Reactivate(ctx, tok.PersonID); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Reactivate(ctx, f.ann.ID)
		wantCode(t, err, backend.ECONFLICT)
		if _, err := f.svc.ReporterFor(ctx, acct, "ann", "zh-CN"); err != nil {
			t.Fatalf("chat after reactivation: %v", err)
		}
		ann, err = f.store.Person(ctx, f.ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Resolve(ctx, ann, mine.Number, "已处理"); err != nil {
			t.Fatalf("resolve after reactivation: %v", err)
		}
		if _, err := f.svc.Authenticate(ctx, secret); err != nil {
			t.Fatalf("token after reactivation: %v", err)
		}

		// A revoked token is refused for good.
		if err := f.svc.RevokeAPIToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Authenticate(ctx, secret)
		wantCode(t, err, backend.EUNAUTHORIZED)
		wantCode(t, f.svc.RevokeAPIToken(ctx, 999999), backend.ENOTFOUND)
	})
}

func numbers(ts []*backend.Ticket) []string {
	var ns []string
	for _, t := range ts {
		ns = append(ns, t.Number)
	}
	return ns
}

// TestReleaseTickets: the open tickets of someone who left go back to the
// queue (returned, with the reason), the triage chats and each reporter
// are told, and the next assistant can claim them; other people's and
// closed tickets stay as they are.
func TestReleaseTickets(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		f := newFixture(t, newStore(t))
		claimed := func(by *backend.Person) *backend.Ticket {
			t.Helper()
			tk := f.create(t, f.alice, nil)
			if _, err := f.svc.Claim(ctx, by, tk.Number); err != nil {
				t.Fatal(err)
			}
			return tk
		}
		working, waiting, amys, done := claimed(f.ann), claimed(f.ann), claimed(f.amy), claimed(f.ann)
		if _, err := f.svc.Ask(ctx, f.ann, waiting.Number, "是哪个城市？"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Resolve(ctx, f.ann, done.Number, "已修复"); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.ReleaseTickets(ctx, f.ann.ID, "原处理人已离职")
		wantCode(t, err, backend.ECONFLICT) // still active
		if _, _, err := f.svc.Deactivate(ctx, f.ann.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ReleaseTickets(ctx, f.ann.ID, "")
		wantCode(t, err, backend.EINVALID)
		f.sent(t)

		released, err := f.svc.ReleaseTickets(ctx, f.ann.ID, "原处理人已离职")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := numbers(released), numbers([]*backend.Ticket{waiting, working}); !slices.Equal(got, want) {
			t.Fatalf("released %v, want %v", got, want)
		}
		sent := f.sent(t)
		for _, tk := range []*backend.Ticket{working, waiting} {
			cur, err := f.store.Ticket(ctx, tk.Number)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Status != backend.StatusReturned || cur.AssigneeID != 0 || !cur.AcceptedAt.IsZero() {
				t.Fatalf("%s after release: status %s, assignee %d, accepted %v", tk.Number, cur.Status, cur.AssigneeID, cur.AcceptedAt)
			}
			var told []backend.Audience
			for _, m := range sent[tk.ID] {
				told = append(told, m.Audience)
			}
			slices.Sort(told)
			if want := []backend.Audience{backend.AudienceReporter, backend.AudienceTriage}; !slices.Equal(told, want) {
				t.Fatalf("%s: told %v, want %v", tk.Number, told, want)
			}
		}
		_, events, err := f.svc.Thread(ctx, f.amy, working.Number)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(events, func(e *backend.Event) bool {
			return e.Kind == backend.EventStatusChanged && e.Data.To == backend.StatusReturned
		})
		if i < 0 || events[i].Body != "原处理人已离职" || events[i].ActorID != 0 || !events[i].Public {
			t.Fatalf("no release event by the system with the reason in %+v", events)
		}
		for _, tk := range []*backend.Ticket{amys, done} {
			if len(sent[tk.ID]) > 0 {
				t.Fatalf("%s was touched: %+v", tk.Number, sent[tk.ID])
			}
		}
		if cur, _ := f.store.Ticket(ctx, amys.Number); cur.AssigneeID != f.amy.ID || cur.Status != backend.StatusAssigned {
			t.Fatalf("amy's ticket: status %s, assignee %d", cur.Status, cur.AssigneeID)
		}
		if _, err := f.svc.Claim(ctx, f.amy, working.Number); err != nil {
			t.Fatalf("claiming a released ticket: %v", err)
		}
		if again, err := f.svc.ReleaseTickets(ctx, f.ann.ID, "原处理人已离职"); err != nil || len(again) != 0 {
			t.Fatalf("releasing again: %v, %v", numbers(again), err)
		}
	})
}
