package botkit

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// TestCardsCatchUp: a change made while the triage card is on its way
// finds no card to edit; the card, once saved, is brought up to date, and
// the same version is never edited in twice.
func TestCardsCatchUp(t *testing.T) {
	ctx := context.Background()
	store, svc, rep, tk := cardTicket(t, "放心房上线后在前台不显示", "产品线问题", "房产放心房")

	var (
		mu    sync.Mutex
		edits []int64 // versions shown, in order
	)
	lookups := &lookupCounter{ChatStore: store}
	cards := &Cards{Store: lookups, Platform: "test", Kind: "card", Log: slog.New(slog.DiscardHandler),
		Edit: func(_ context.Context, cm *backend.ChatMessage, cur *backend.Ticket) {
			mu.Lock()
			defer mu.Unlock()
			if cm.MessageID != "m1" {
				t.Errorf("edited message %s, which is not the card", cm.MessageID)
			}
			edits = append(edits, cur.Version)
		}}
	shown := func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(edits)
	}
	comment := func(body string) *backend.Ticket {
		t.Helper()
		cur, err := svc.Comment(ctx, rep, tk.Number, body, true)
		if err != nil {
			t.Fatal(err)
		}
		return cur
	}

	// The reporter adds a comment while the card is being posted: there
	// is no card to edit yet.
	v2 := comment("补充：北京朝阳区")
	if v2.Version <= tk.Version {
		t.Fatalf("a comment left the version at %d", v2.Version)
	}
	cards.Changed(v2)
	cards.Refresh(ctx, v2)
	// Changed works in the background: wait until it, too, has looked for
	// the card (and found none), so it cannot edit the card saved below.
	deadline := time.Now().Add(10 * time.Second)
	for lookups.done() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("Changed looked for the card %d times, want 1", lookups.done()-1)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := shown(); len(got) != 0 {
		t.Fatalf("edited %v before any card existed", got)
	}

	// The card (showing the ticket as filed) is saved: Posted catches up.
	if err := store.SaveChatMessage(ctx, &backend.ChatMessage{Platform: "test", ChatID: "triage", MessageID: "m1", TicketID: tk.ID, Kind: "card"}); err != nil {
		t.Fatal(err)
	}
	cards.Posted(ctx, tk)
	if got := shown(); !slices.Equal(got, []int64{v2.Version}) {
		t.Fatalf("after the card was posted it showed versions %v, want [%d]", got, v2.Version)
	}

	// The same change heard again does nothing, from a button either; a
	// new one is shown.
	cards.Refresh(ctx, v2)
	cards.Changed(v2)
	v3 := comment("补充：订单号 ORD-1")
	cards.Changed(v3)
	deadline = time.Now().Add(10 * time.Second)
	for !slices.Equal(shown(), []int64{v2.Version, v3.Version}) {
		if time.Now().After(deadline) {
			t.Fatalf("edits %v, want [%d %d]", shown(), v2.Version, v3.Version)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lookupCounter is a ChatStore that counts the card lookups that have
// returned, to know when a background refresh is done looking.
type lookupCounter struct {
	ChatStore
	n atomic.Int32
}

func (s *lookupCounter) ChatMessagesOf(ctx context.Context, ticketID int64, platform, kind string) ([]*backend.ChatMessage, error) {
	defer s.n.Add(1)
	return s.ChatStore.ChatMessagesOf(ctx, ticketID, platform, kind)
}

func (s *lookupCounter) done() int { return int(s.n.Load()) }

// TestCardsEditInOrder: an edit of an older version still on its way when
// a newer change is refreshed does not land last; the card ends showing
// the newest version.
func TestCardsEditInOrder(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	var (
		mu      sync.Mutex
		edits   []int64
		entered = make(chan struct{})
		release = make(chan struct{})
	)
	cards := &Cards{Store: store, Platform: "test", Kind: "card", Log: slog.New(slog.DiscardHandler),
		Edit: func(_ context.Context, _ *backend.ChatMessage, cur *backend.Ticket) {
			if cur.Version == 2 { // the slow edit
				close(entered)
				<-release
			}
			mu.Lock()
			defer mu.Unlock()
			edits = append(edits, cur.Version)
		}}
	rep := &backend.Person{Name: "王代理", Roles: []backend.Role{backend.RoleReporter}}
	if err := store.CreatePerson(ctx, rep); err != nil {
		t.Fatal(err)
	}
	tk := &backend.Ticket{Summary: "放心房上线后在前台不显示", Status: backend.StatusNew, Severity: backend.P3, ReporterID: rep.ID}
	if err := store.CreateTicket(ctx, tk, "FB", time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if err := store.SaveChatMessage(ctx, &backend.ChatMessage{Platform: "test", ChatID: "triage", MessageID: "m1", TicketID: tk.ID, Kind: "card"}); err != nil {
		t.Fatal(err)
	}
	v2, v3 := *tk, *tk
	v2.Version, v3.Version = 2, 3
	var wg sync.WaitGroup
	wg.Go(func() { cards.Refresh(ctx, &v2) })
	<-entered
	wg.Go(func() { cards.Refresh(ctx, &v3) })
	time.Sleep(100 * time.Millisecond) // give v3 its chance to overtake
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(edits, []int64{2, 3}) {
		t.Fatalf("edits landed as versions %v, want [2 3]", edits)
	}
}

// TestCardsRetryFailedEdit: an edit the chat refused does not count as
// shown: the cards are edited again after the wait, and the next change
// edits them in too; a version whose edits keep failing is given up after
// cardRetries tries.
func TestCardsRetryFailedEdit(t *testing.T) {
	ctx := context.Background()
	store, svc, rep, tk := cardTicket(t, "放心房上线后在前台不显示", "产品线问题", "房产放心房")
	if err := store.SaveChatMessage(ctx, &backend.ChatMessage{Platform: "test", ChatID: "triage", MessageID: "m1", TicketID: tk.ID, Kind: "card"}); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		tries    []int64 // versions tried, in order
		failures = 1     // edits to refuse
	)
	var cards *Cards
	cards = &Cards{Store: store, Platform: "test", Kind: "card", Log: slog.New(slog.DiscardHandler), RetryWait: time.Millisecond,
		Edit: func(_ context.Context, _ *backend.ChatMessage, cur *backend.Ticket) {
			mu.Lock()
			tries = append(tries, cur.Version)
			fail := failures > 0
			failures--
			mu.Unlock()
			if fail {
				cards.Failed(cur, 10*time.Millisecond)
			}
		}}
	tried := func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(tries)
	}
	wait := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: tried %v", what, tried())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	cards.Posted(ctx, tk)
	v2, err := svc.Comment(ctx, rep, tk.Number, "补充：北京朝阳区", true)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		cards.Refresh(ctx, v2)
		wait("the edit tried again", func() bool { return slices.Equal(tried(), []int64{v2.Version, v2.Version}) })
		if !cards.shown(v2) {
			t.Fatal("the edit landed but the version does not count as shown")
		}
		time.Sleep(50 * time.Millisecond)
		if got := tried(); len(got) != 2 {
			t.Fatalf("tried %v after the edit landed", got)
		}
	})

	t.Run("ErrGivesUp", func(t *testing.T) {
		mu.Lock()
		tries, failures = nil, 100
		mu.Unlock()
		v3, err := svc.Comment(ctx, rep, tk.Number, "补充：订单号 ORD-1", true)
		if err != nil {
			t.Fatal(err)
		}
		cards.Refresh(ctx, v3)
		wait("the tries", func() bool { return len(tried()) == 1+cardRetries })
		time.Sleep(100 * time.Millisecond)
		if got := tried(); len(got) != 1+cardRetries {
			t.Fatalf("tried %d times, want %d", len(got), 1+cardRetries)
		}
		if cards.shown(v3) {
			t.Fatal("a version whose edits all failed counts as shown")
		}
	})
}

// TestCardsNewCardOnItsWay: a ticket has a card (its first assignee's)
// and a new one is on its way (the next assignee's) when the ticket
// changes. The refresh then edits the card it finds without counting the
// change as shown, so the refresh after the new card is saved brings that
// one up to date too.
func TestCardsNewCardOnItsWay(t *testing.T) {
	ctx := context.Background()
	store, svc, rep, tk := cardTicket(t, "会员中心积分明细页面打不开", "CRM问题", "会员中心")
	var (
		mu    sync.Mutex
		shown = map[string]int64{} // card → version it shows
	)
	cards := &Cards{Store: store, Platform: "test", Kind: "private", Log: slog.New(slog.DiscardHandler),
		Edit: func(_ context.Context, cm *backend.ChatMessage, cur *backend.Ticket) {
			mu.Lock()
			defer mu.Unlock()
			shown[cm.MessageID] = cur.Version
		}}
	save := func(id string) {
		t.Helper()
		if err := store.SaveChatMessage(ctx, &backend.ChatMessage{Platform: "test", ChatID: id, MessageID: id, TicketID: tk.ID, Kind: "private"}); err != nil {
			t.Fatal(err)
		}
	}
	save("bob") // the first assignee's card

	done := cards.Sending(tk.ID) // Carol's card is being sent, showing tk
	v2, err := svc.Comment(ctx, rep, tk.Number, "补充：在手机上也打不开", true)
	if err != nil {
		t.Fatal(err)
	}
	cards.Refresh(ctx, v2) // finds Bob's card only
	save("carol")
	done()
	cards.Refresh(ctx, v2) // after Carol's card is saved (privatePosted)

	mu.Lock()
	defer mu.Unlock()
	if shown["bob"] != v2.Version || shown["carol"] != v2.Version {
		t.Fatalf("cards show %v, want both at version %d", shown, v2.Version)
	}
}

// cardTicket files a ticket by a reporter (returned too) in a new store,
// for the cards to show.
func cardTicket(t *testing.T, summary string, path ...string) (backend.Store, *backend.Service, *backend.Person, *backend.Ticket) {
	t.Helper()
	ctx := context.Background()
	store := openStore(t)
	svc := backend.NewService(store, backend.ServiceConfig{})
	rep := &backend.Person{Name: "王代理", Roles: []backend.Role{backend.RoleReporter}}
	if err := store.CreatePerson(ctx, rep); err != nil {
		t.Fatal(err)
	}
	tk, err := svc.CreateTicket(ctx, rep, backend.NewTicket{Prefix: "FB", Summary: summary, CategoryPath: path,
		OccurredAt: time.Now().Add(-time.Hour), Region: "北京", Severity: backend.P3,
		Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return store, svc, rep, tk
}
