package backend_test

import (
	"context"
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
