package storetest

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func testLogin(t *testing.T, newStore NewStoreFunc) {
	ctx, s := setup(t, newStore)
	alice := createPerson(t, s, "Alice", 0, backend.RoleAssistant)
	bob := createPerson(t, s, "Bob", 0, backend.RoleManager)

	_, err := s.LoginByName(ctx, "alice")
	wantCode(t, err, backend.ENOTFOUND)
	_, err = s.LoginOf(ctx, alice.ID)
	wantCode(t, err, backend.ENOTFOUND)

	at := time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	l := &backend.Login{PersonID: alice.ID, Name: "alice", Hash: []byte("hash-1"), UpdatedAt: at}
	must(t, s.SetLogin(ctx, l))
	equal(t, "UpdatedAt normalised", l.UpdatedAt, norm(at))
	got, err := s.LoginByName(ctx, "alice")
	must(t, err)
	equal(t, "by name", got, l)
	got, err = s.LoginOf(ctx, alice.ID)
	must(t, err)
	equal(t, "of person", got, l)

	// Setting it again replaces name and hash.
	l2 := &backend.Login{PersonID: alice.ID, Name: "alice2", Hash: []byte("hash-2")}
	must(t, s.SetLogin(ctx, l2))
	if l2.UpdatedAt.IsZero() {
		t.Error("UpdatedAt not set")
	}
	_, err = s.LoginByName(ctx, "alice")
	wantCode(t, err, backend.ENOTFOUND)
	got, err = s.LoginByName(ctx, "alice2")
	must(t, err)
	equal(t, "replaced hash", string(got.Hash), "hash-2")

	// A name is one person's only.
	err = s.SetLogin(ctx, &backend.Login{PersonID: bob.ID, Name: "alice2", Hash: []byte("x")})
	wantCode(t, err, backend.ECONFLICT)
	_, err = s.LoginOf(ctx, bob.ID)
	wantCode(t, err, backend.ENOTFOUND)
	err = s.SetLogin(ctx, &backend.Login{PersonID: 999999, Name: "ghost", Hash: []byte("x")})
	wantCode(t, err, backend.ENOTFOUND)
}

func testMagicLink(t *testing.T, newStore NewStoreFunc) {
	ctx, s := setup(t, newStore)
	p := createPerson(t, s, "Carol", 0, backend.RoleAssistant)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	m := &backend.MagicLink{PersonID: p.ID, Hash: []byte("h-1"), CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
	must(t, s.CreateMagicLink(ctx, m))
	if m.ID == 0 {
		t.Fatal("no ID")
	}
	wantCode(t, s.CreateMagicLink(ctx, &backend.MagicLink{PersonID: 999999, Hash: []byte("h-x"), ExpiresAt: now.Add(time.Hour)}), backend.EINVALID)

	_, err := s.UseMagicLink(ctx, []byte("unknown"), now)
	wantCode(t, err, backend.ENOTFOUND)

	used, err := s.UseMagicLink(ctx, []byte("h-1"), now.Add(time.Minute))
	must(t, err)
	equal(t, "person", used.PersonID, p.ID)
	equal(t, "used at", used.UsedAt, now.Add(time.Minute))
	_, err = s.UseMagicLink(ctx, []byte("h-1"), now.Add(2*time.Minute))
	wantCode(t, err, backend.ECONFLICT)

	// Expired: refused, and still unused.
	must(t, s.CreateMagicLink(ctx, &backend.MagicLink{PersonID: p.ID, Hash: []byte("h-2"), CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}))
	_, err = s.UseMagicLink(ctx, []byte("h-2"), now.Add(15*time.Minute))
	wantCode(t, err, backend.ECONFLICT)
	_, err = s.UseMagicLink(ctx, []byte("h-2"), now.Add(14*time.Minute))
	must(t, err)

	// Concurrent uses: exactly one wins.
	must(t, s.CreateMagicLink(ctx, &backend.MagicLink{PersonID: p.ID, Hash: []byte("h-race"), ExpiresAt: now.Add(time.Hour)}))
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UseMagicLink(ctx, []byte("h-race"), now)
			switch backend.ErrorCode(err) {
			case "":
				wins.Add(1)
			case backend.ECONFLICT:
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	equal(t, "winners", wins.Load(), int32(1))
}

func testSecret(t *testing.T, newStore NewStoreFunc) {
	ctx, s := setup(t, newStore)
	got, err := s.Secret(ctx, "k", []byte("first"))
	must(t, err)
	equal(t, "stored", string(got), "first")
	got, err = s.Secret(ctx, "k", []byte("second"))
	must(t, err)
	equal(t, "kept", string(got), "first")

	// Concurrent first callers all get the same value.
	vals := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range vals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.Secret(ctx, "race", []byte{byte('a' + i)})
			if err != nil {
				t.Error(err)
			}
			vals[i] = v
		}()
	}
	wg.Wait()
	for _, v := range vals {
		if !bytes.Equal(v, vals[0]) || len(v) != 1 {
			t.Fatalf("secrets differ: %q", vals)
		}
	}
}
