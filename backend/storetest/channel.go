package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func testSeenKey(t *testing.T, newStore NewStoreFunc) {
	ctx, s := setup(t, newStore)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	first, err := s.SeenKey(ctx, "tg:1:100", now, time.Hour)
	must(t, err)
	equal(t, "first sight", first, true)
	first, err = s.SeenKey(ctx, "tg:1:100", now.Add(time.Minute), time.Hour)
	must(t, err)
	equal(t, "second sight", first, false)
	first, err = s.SeenKey(ctx, "tg:1:101", now, time.Hour)
	must(t, err)
	equal(t, "another key", first, true)
	first, err = s.SeenKey(ctx, "tg:1:100", now.Add(2*time.Hour), time.Hour)
	must(t, err)
	equal(t, "after expiry", first, true)

	// Concurrent callers: exactly one is first.
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.SeenKey(ctx, "tg:1:race", now, time.Hour)
			if err != nil {
				t.Error(err)
			}
			if ok {
				firsts.Add(1)
			}
		}()
	}
	wg.Wait()
	equal(t, "concurrent firsts", firsts.Load(), int32(1))
}

func testChatMessage(t *testing.T, newStore NewStoreFunc) {
	ctx, s := setup(t, newStore)
	p := createPerson(t, s, "reporter", 0, backend.RoleReporter)
	day := time.Date(2026, 11, 22, 10, 0, 0, 0, cst)
	m1, m2 := msg(backend.AudienceReporter, p.ID, time.Time{}), msg(backend.AudienceTriage, 0, time.Time{})
	tk := createTicket(t, s, minimalTicket(p.ID), "FB", day, notify(backend.EventCreated, day, m1, m2))
	claimed := []*backend.OutboxMessage{m1, m2}
	if m1.ID == 0 || m2.ID == 0 {
		t.Fatal("outbox IDs not set")
	}

	t.Run("NotFound", func(t *testing.T) {
		_, err := s.ChatMessage(ctx, "telegram", "-100", "1")
		wantCode(t, err, backend.ENOTFOUND)
		_, err = s.ChatMessageForOutbox(ctx, "telegram", claimed[0].ID)
		wantCode(t, err, backend.ENOTFOUND)
		list, err := s.ChatMessagesOf(ctx, tk.ID, "telegram", "card")
		must(t, err)
		equal(t, "no cards", len(list), 0)
	})

	at := time.Date(2026, 11, 22, 10, 5, 0, 123456789, time.UTC)
	card := &backend.ChatMessage{Platform: "telegram", ChatID: "-100", MessageID: "7", TicketID: tk.ID, Kind: "card", OutboxID: claimed[1].ID, CreatedAt: at}
	must(t, s.SaveChatMessage(ctx, card))
	equal(t, "created at, microseconds", card.CreatedAt, norm(at))
	notice := &backend.ChatMessage{Platform: "telegram", ChatID: "55", MessageID: "3", TicketID: tk.ID, Kind: "notice", OutboxID: claimed[0].ID}
	must(t, s.SaveChatMessage(ctx, notice))
	if notice.CreatedAt.IsZero() {
		t.Fatal("CreatedAt not set")
	}
	prompt := &backend.ChatMessage{Platform: "telegram", ChatID: "-100", MessageID: "8", TicketID: tk.ID, Kind: "prompt:resolve", CreatedAt: at.Add(time.Second)}
	must(t, s.SaveChatMessage(ctx, prompt))

	t.Run("OK", func(t *testing.T) {
		got, err := s.ChatMessage(ctx, "telegram", "-100", "7")
		must(t, err)
		equal(t, "card", got, card)
		got, err = s.ChatMessageForOutbox(ctx, "telegram", claimed[0].ID)
		must(t, err)
		equal(t, "by outbox", got, notice)
		got, err = s.ChatMessage(ctx, "telegram", "-100", "8")
		must(t, err)
		equal(t, "prompt has no outbox", got.OutboxID, int64(0))
		_, err = s.ChatMessage(ctx, "slack", "-100", "7")
		wantCode(t, err, backend.ENOTFOUND)
		list, err := s.ChatMessagesOf(ctx, tk.ID, "telegram", "card")
		must(t, err)
		equal(t, "cards", list, []*backend.ChatMessage{card})
	})
	t.Run("ErrConflict", func(t *testing.T) {
		dup := &backend.ChatMessage{Platform: "telegram", ChatID: "55", MessageID: "4", TicketID: tk.ID, Kind: "notice", OutboxID: claimed[0].ID}
		wantCode(t, s.SaveChatMessage(ctx, dup), backend.ECONFLICT)
	})
	t.Run("Replace", func(t *testing.T) {
		again := &backend.ChatMessage{Platform: "telegram", ChatID: "-100", MessageID: "8", TicketID: tk.ID, Kind: "prompt:ask", CreatedAt: at}
		must(t, s.SaveChatMessage(ctx, again))
		got, err := s.ChatMessage(ctx, "telegram", "-100", "8")
		must(t, err)
		equal(t, "replaced kind", got.Kind, "prompt:ask")
	})
}

func testInvite(t *testing.T, newStore NewStoreFunc) {
	ctx, s := setup(t, newStore)
	team := createTeam(t, s, "support")
	p := createPerson(t, s, "new assistant", 0, backend.RoleReporter)
	q := createPerson(t, s, "another", 0, backend.RoleReporter)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	inv := &backend.Invite{Hash: []byte("hash-1"), Role: backend.RoleAssistant, TeamID: team.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	must(t, s.CreateInvite(ctx, inv))
	if inv.ID == 0 {
		t.Fatal("ID not set")
	}
	old := &backend.Invite{Hash: []byte("hash-2"), Role: backend.RoleManager, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	must(t, s.CreateInvite(ctx, old))

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.UseInvite(ctx, []byte("nope"), p.ID, now)
		wantCode(t, err, backend.ENOTFOUND)
	})
	t.Run("ErrExpired", func(t *testing.T) {
		_, err := s.UseInvite(ctx, []byte("hash-2"), p.ID, now.Add(time.Minute))
		wantCode(t, err, backend.ECONFLICT)
	})
	t.Run("ErrDuplicateHash", func(t *testing.T) {
		dup := &backend.Invite{Hash: []byte("hash-1"), Role: backend.RoleAssistant, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		wantCode(t, s.CreateInvite(ctx, dup), backend.ECONFLICT)
	})
	t.Run("OnceUnderConcurrency", func(t *testing.T) {
		var wins atomic.Int32
		var wg sync.WaitGroup
		for _, who := range []int64{p.ID, q.ID, p.ID, q.ID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := s.UseInvite(ctx, []byte("hash-1"), who, now.Add(time.Minute))
				if err == nil {
					wins.Add(1)
					equal(t, "role", got.Role, backend.RoleAssistant)
					equal(t, "team", got.TeamID, team.ID)
					equal(t, "used by", got.UsedBy, who)
					equal(t, "used at", got.UsedAt, now.Add(time.Minute))
					return
				}
				if backend.ErrorCode(err) != backend.ECONFLICT {
					t.Errorf("UseInvite: %v", err)
				}
			}()
		}
		wg.Wait()
		equal(t, "successful uses", wins.Load(), int32(1))
	})
}
