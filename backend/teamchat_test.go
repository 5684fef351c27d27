package backend_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// teamChats is a fixture whose service routes every ticket with the
// category root "A" to team A and "B" to team B (the rest unrouted), with
// triage chats on Telegram and Slack and team A's own Telegram group.
func teamChats(t *testing.T, store backend.Store, cfg backend.ServiceConfig) *fixture {
	t.Helper()
	f := newFixture(t, store)
	cfg.Now = func() time.Time { return f.now }
	cfg.Route = func(_ string, path []string) int64 {
		switch {
		case len(path) > 0 && path[0] == "A":
			return f.teamA.ID
		case len(path) > 0 && path[0] == "B":
			return f.teamB.ID
		}
		return 0
	}
	f.svc = backend.NewService(store, cfg)
	if err := store.SetTeamChat(context.Background(), f.teamA.ID, "telegram", "-100A"); err != nil {
		t.Fatal(err)
	}
	return f
}

// triageRows delivers every due message and returns where the triage rows
// of ticket tk went, as "platform:chat" ("telegram:" for the triage
// chat), sorted.
func (f *fixture) triageRows(t *testing.T, tk *backend.Ticket) []string {
	t.Helper()
	ctx := context.Background()
	got := []string{}
	for {
		msgs, err := f.store.ClaimOutbox(ctx, f.now.Add(time.Hour), time.Minute, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			if err := f.store.MarkOutboxSent(ctx, m.ID, f.now, ""); err != nil {
				t.Fatal(err)
			}
			if m.TicketID == tk.ID && m.Audience == backend.AudienceTriage {
				got = append(got, m.Platform+":"+m.Chat)
			}
		}
	}
	slices.Sort(got)
	return got
}

func inCategory(root string) func(*backend.NewTicket) {
	return func(in *backend.NewTicket) { in.CategoryPath = []string{root, "x"} }
}

// TestTeamTriage: on each platform, what the triage chat hears about a
// ticket goes to its team's own chat there when it has one, else to the
// platform's triage chat (DESIGN §11); a ticket given to someone of
// another team brings its card to the chats of that team.
func TestTeamTriage(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		both := backend.ServiceConfig{TriagePlatforms: []string{"telegram", "slack"}, TeamChatPlatforms: []string{"telegram", "slack"}}
		check := func(t *testing.T, what string, got []string, want ...string) {
			t.Helper()
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("%s: triage rows %q, want %q", what, got, want)
			}
		}

		t.Run("Created", func(t *testing.T) {
			f := teamChats(t, newStore(t), both)
			check(t, "team A (its own Telegram group)", f.triageRows(t, f.create(t, f.alice, inCategory("A"))), "slack:", "telegram:-100A")
			check(t, "team B (no chat)", f.triageRows(t, f.create(t, f.alice, inCategory("B"))), "slack:", "telegram:")
			check(t, "unrouted", f.triageRows(t, f.create(t, f.alice, nil)), "slack:", "telegram:")
		})

		t.Run("FollowUpsAndReturn", func(t *testing.T) {
			f := teamChats(t, newStore(t), both)
			tk := f.create(t, f.alice, inCategory("A"))
			f.triageRows(t, tk)
			if _, err := f.svc.Comment(ctx, f.alice, tk.Number, "补充一下：安卓端也一样", true); err != nil {
				t.Fatal(err)
			}
			check(t, "reporter's comment", f.triageRows(t, tk), "slack:", "telegram:-100A")
			if _, err := f.svc.Claim(ctx, f.ann, tk.Number); err != nil {
				t.Fatal(err)
			}
			check(t, "claimed within the team", f.triageRows(t, tk))
			if _, err := f.svc.Return(ctx, f.ann, tk.Number, "不是我们组的问题"); err != nil {
				t.Fatal(err)
			}
			check(t, "returned", f.triageRows(t, tk), "slack:", "telegram:-100A")
		})

		t.Run("MovedToAnotherTeam", func(t *testing.T) {
			f := teamChats(t, newStore(t), both)
			if err := f.store.SetTeamChat(ctx, f.teamB.ID, "slack", "CTEAMB"); err != nil {
				t.Fatal(err)
			}
			tk := f.create(t, f.alice, inCategory("A"))
			f.triageRows(t, tk)
			// Given to olga of team B: the ticket is team B's, whose Slack
			// channel gets it; Telegram had it in team A's group, and now
			// team B's tickets are in the triage group.
			tk, err := f.svc.Assign(ctx, f.manager, tk.Number, f.otherTeam.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tk.TeamID != f.teamB.ID {
				t.Fatalf("team after the assignment: %d, want %d", tk.TeamID, f.teamB.ID)
			}
			check(t, "moved to team B", f.triageRows(t, tk), "slack:CTEAMB", "telegram:")
			if _, err := f.svc.Comment(ctx, f.alice, tk.Number, "请尽快处理", true); err != nil {
				t.Fatal(err)
			}
			check(t, "follow-up after the move", f.triageRows(t, tk), "slack:CTEAMB", "telegram:")

			// An unrouted ticket claimed by ann becomes team A's: its group
			// gets the card; Slack keeps it where it was.
			un := f.create(t, f.alice, nil)
			f.triageRows(t, un)
			if _, err := f.svc.Claim(ctx, f.ann, un.Number); err != nil {
				t.Fatal(err)
			}
			check(t, "claimed into team A", f.triageRows(t, un), "telegram:-100A")
			// Within a team nothing more is told.
			if _, err := f.svc.Assign(ctx, f.manager, un.Number, f.amy.ID); err != nil {
				t.Fatal(err)
			}
			check(t, "reassigned within team A", f.triageRows(t, un))
		})

		t.Run("OnlyPlatformsThatPostToTeams", func(t *testing.T) {
			// Slack off for teams: team B's Slack channel is not used.
			f := teamChats(t, newStore(t), backend.ServiceConfig{TriagePlatforms: []string{"telegram", "slack"}, TeamChatPlatforms: []string{"telegram"}})
			if err := f.store.SetTeamChat(ctx, f.teamB.ID, "slack", "CTEAMB"); err != nil {
				t.Fatal(err)
			}
			check(t, "team B", f.triageRows(t, f.create(t, f.alice, inCategory("B"))), "slack:", "telegram:")
		})

		t.Run("NoTriageChats", func(t *testing.T) {
			// No triage chat anywhere: only the teams' own chats hear.
			f := teamChats(t, newStore(t), backend.ServiceConfig{NoTriage: true, TeamChatPlatforms: []string{"telegram"}})
			check(t, "team A", f.triageRows(t, f.create(t, f.alice, inCategory("A"))), "telegram:-100A")
			check(t, "team B", f.triageRows(t, f.create(t, f.alice, inCategory("B"))))
		})
	})
}
