package backend_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// toldOf delivers the outbox and returns who heard of tk's events of
// kind: "reporter:<id>", "person:<id>", "triage:<platform>:<chat>",
// sorted.
func (f *fixture) toldOf(t *testing.T, tk *backend.Ticket, kind backend.EventKind) []string {
	t.Helper()
	got := []string{}
	for _, m := range f.sent(t)[tk.ID] {
		if m.kind != kind {
			continue
		}
		switch m.Audience {
		case backend.AudienceTriage, backend.AudienceSource:
			got = append(got, string(m.Audience)+":"+m.Platform+":"+m.Chat)
		default:
			got = append(got, string(m.Audience)+":"+strconv.FormatInt(m.RecipientID, 10))
		}
	}
	slices.Sort(got)
	return got
}

// TestTransfer: a ticket worked on in team A is handed to team B with the
// reason (转派): it waits in team B's queue, unassigned and new; the
// reporter, the assistant who held it and both teams' triage chats hear
// of it; team B takes it from there, and team A no longer sees it.
func TestTransfer(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		both := backend.ServiceConfig{TriagePlatforms: []string{"telegram", "slack"}, TeamChatPlatforms: []string{"telegram", "slack"}}

		t.Run("WorkedOnToAnotherTeam", func(t *testing.T) {
			f := teamChats(t, newStore(t), both)
			if err := f.store.SetTeamChat(ctx, f.teamB.ID, "slack", "CTEAMB"); err != nil {
				t.Fatal(err)
			}
			tk := f.create(t, f.alice, inCategory("A"))
			if _, err := f.svc.Claim(ctx, f.ann, tk.Number); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Transition(ctx, f.ann, tk.Number, backend.StatusInProgress, ""); err != nil {
				t.Fatal(err)
			}
			f.sent(t)
			f.now = f.now.Add(time.Hour)

			got, err := f.svc.Transfer(ctx, f.ann, tk.Number, f.teamB.ID, "  支付问题归财务组处理  ")
			if err != nil {
				t.Fatal(err)
			}
			if got.TeamID != f.teamB.ID || got.AssigneeID != 0 || got.Status != backend.StatusNew || !got.AcceptedAt.IsZero() {
				t.Fatalf("after transfer: team %d assignee %d status %s accepted %v; want team B, nobody, new",
					got.TeamID, got.AssigneeID, got.Status, got.AcceptedAt)
			}
			events, err := f.store.Events(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			var tr, st *backend.Event
			for _, e := range events {
				switch {
				case e.Kind == backend.EventTransferred:
					tr = e
				case e.Kind == backend.EventStatusChanged && e.Data.To == backend.StatusNew:
					st = e
				}
			}
			if tr == nil || st == nil {
				t.Fatalf("events %v: no transfer or no move back to new", events)
			}
			if st.Body != "" {
				t.Fatalf("the move back to new repeats the reason %q: the thread would read it twice", st.Body)
			}
			want := backend.EventData{TeamID: f.teamB.ID, TeamName: f.teamB.Name, FromTeamID: f.teamA.ID, FromTeamName: f.teamA.Name, AssigneeID: f.ann.ID}
			if tr.Data.TeamID != want.TeamID || tr.Data.TeamName != want.TeamName || tr.Data.FromTeamID != want.FromTeamID ||
				tr.Data.FromTeamName != want.FromTeamName || tr.Data.AssigneeID != want.AssigneeID ||
				tr.Body != "支付问题归财务组处理" || !tr.Public || tr.ActorID != f.ann.ID {
				t.Fatalf("transfer event %+v body %q; want %+v with the trimmed reason, public, by ann", tr.Data, tr.Body, want)
			}
			// ann transferred it herself: she is not told. Team B's Slack
			// channel and, having no Telegram group, the triage group;
			// team A's own Telegram group, where its card was, and the
			// Slack triage channel, where team A's tickets are.
			rows := f.toldOf(t, got, backend.EventTransferred)
			wantRows := []string{"reporter:" + strconv.FormatInt(f.alice.ID, 10), "triage:slack:", "triage:slack:CTEAMB", "triage:telegram:", "triage:telegram:-100A"}
			if strings.Join(rows, " ") != strings.Join(wantRows, " ") {
				t.Fatalf("told %q, want %q", rows, wantRows)
			}

			// Team A's assistant no longer sees it; team B's claims it.
			if _, err := f.svc.Ticket(ctx, f.amy, tk.Number); backend.ErrorKey(err) != "other_team" {
				t.Fatalf("team A's amy reads the transferred ticket: %v", err)
			}
			if _, err := f.svc.Claim(ctx, f.otherTeam, tk.Number); err != nil {
				t.Fatalf("team B claims: %v", err)
			}
		})

		t.Run("HolderIsTold", func(t *testing.T) {
			f := teamChats(t, newStore(t), both)
			tk := f.create(t, f.alice, inCategory("A"))
			if _, err := f.svc.Claim(ctx, f.ann, tk.Number); err != nil {
				t.Fatal(err)
			}
			f.sent(t)
			got, err := f.svc.Transfer(ctx, f.manager, tk.Number, f.teamB.ID, "需要财务组处理")
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != backend.StatusNew || got.AssigneeID != 0 {
				t.Fatalf("status %s assignee %d", got.Status, got.AssigneeID)
			}
			rows := f.toldOf(t, got, backend.EventTransferred)
			if !slices.Contains(rows, "person:"+strconv.FormatInt(f.ann.ID, 10)) {
				t.Fatalf("told %q: not ann, who held it", rows)
			}
		})

		t.Run("Refused", func(t *testing.T) {
			f := teamChats(t, newStore(t), both)
			tk := f.create(t, f.alice, inCategory("A"))
			_, err := f.svc.Transfer(ctx, f.ann, tk.Number, f.teamA.ID, "已经在本组")
			wantCode(t, err, backend.ECONFLICT)
			if backend.ErrorKey(err) != "same_team" {
				t.Fatalf("same team: %v", err)
			}
			_, err = f.svc.Transfer(ctx, f.ann, tk.Number, f.teamB.ID, "   ")
			wantCode(t, err, backend.EINVALID)
			if !strings.Contains(err.Error(), "reason") {
				t.Fatalf("no reason: %v", err)
			}
			_, err = f.svc.Transfer(ctx, f.alice, tk.Number, f.teamB.ID, "我想换个组")
			wantCode(t, err, backend.EFORBIDDEN)
			_, err = f.svc.Transfer(ctx, f.ann, tk.Number, f.teamB.ID+1000, "不存在的组")
			wantCode(t, err, backend.ENOTFOUND)
			if _, err := f.svc.Ask(ctx, f.ann, tk.Number, "请提供订单截图"); err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.Transfer(ctx, f.ann, tk.Number, f.teamB.ID, "归财务组")
			wantCode(t, err, backend.ECONFLICT)
			// Nothing changed.
			after, err := f.svc.Ticket(ctx, f.manager, tk.Number)
			if err != nil {
				t.Fatal(err)
			}
			if after.TeamID != f.teamA.ID {
				t.Fatalf("team %d after refusals, want team A", after.TeamID)
			}
			events, _ := f.store.Events(ctx, tk.ID)
			for _, e := range events {
				if e.Kind == backend.EventTransferred {
					t.Fatalf("a refused transfer left an event: %+v", e)
				}
			}
		})
	})
}
