package backend_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func TestFollowUpSchedule(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, sh) } // 2026-11-23 is a Monday
	monday := at(23, 0)
	for _, tc := range []struct {
		t    time.Time
		want time.Time
	}{
		{at(23, 0), monday},
		{at(29, 23), monday},                                         // Sunday night
		{at(30, 0).Add(-time.Nanosecond), monday},                    // the last instant of the week
		{time.Date(2026, 11, 29, 16, 30, 0, 0, time.UTC), at(30, 0)}, // Sunday in UTC, Monday in Shanghai
		{at(26, 12).UTC(), monday},
	} {
		if got := backend.WeekStart(tc.t, sh); !got.Equal(tc.want) {
			t.Errorf("WeekStart(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}

	// Rated on Friday 27 November: surveys Monday 30 November to Wednesday
	// 2 December, callbacks Thursday 3 to Sunday 6 December.
	f := &backend.FollowUp{RatedAt: at(27, 18), Survey: backend.SurveyNeeded, Callback: backend.CallbackNeeded}
	for _, tc := range []struct {
		now              time.Time
		survey, callback backend.Due
	}{
		{at(28, 9), backend.DueLater, backend.DueLater},
		{at(30, 0), backend.DueNow, backend.DueNow}, // the callback is due from Thursday, this week
		{time.Date(2026, 12, 2, 23, 59, 0, 0, sh), backend.DueNow, backend.DueNow},
		{time.Date(2026, 12, 3, 0, 0, 0, 0, sh), backend.DueOverdue, backend.DueNow},
		{time.Date(2026, 12, 6, 23, 59, 0, 0, sh), backend.DueOverdue, backend.DueNow},
		{time.Date(2026, 12, 7, 0, 0, 0, 0, sh), backend.DueOverdue, backend.DueOverdue},
	} {
		if got := f.SurveyDue(tc.now, sh); got != tc.survey {
			t.Errorf("SurveyDue at %v = %q, want %q", tc.now, got, tc.survey)
		}
		if got := f.CallbackDue(tc.now, sh); got != tc.callback {
			t.Errorf("CallbackDue at %v = %q, want %q", tc.now, got, tc.callback)
		}
	}
	done := &backend.FollowUp{RatedAt: at(27, 18), Survey: backend.SurveyDone, Callback: backend.CallbackNotNeeded}
	if done.SurveyDue(at(30, 0), sh) != "" || done.CallbackDue(at(30, 0), sh) != "" {
		t.Error("a follow-up with nothing to do is due")
	}
}

func TestSurveyInputValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   backend.SurveyInput
		bad  []string
	}{
		{"OK", backend.SurveyInput{Factors: []backend.Factor{backend.FactorAttitude, backend.FactorOther}}, nil},
		{"NoFactor", backend.SurveyInput{}, []string{"factors"}},
		{"Unknown", backend.SurveyInput{Factors: []backend.Factor{"rudeness"}}, []string{"factors"}},
		{"Twice", backend.SurveyInput{Factors: []backend.Factor{backend.FactorHungUp, backend.FactorHungUp}}, []string{"factors"}},
		{"LongNotes", backend.SurveyInput{Factors: backend.Factors, Notes: string(make([]rune, 2001))}, []string{"notes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.Validate()
			var bad []string
			for k := range backend.ErrorFields(err) {
				bad = append(bad, k)
			}
			slices.Sort(bad)
			if !slices.Equal(bad, tc.bad) {
				t.Fatalf("bad fields %v (%v), want %v", bad, err, tc.bad)
			}
		})
	}
}

// unsatisfied files a ticket for alice, has ann claim and resolve it, and
// has alice rate it 不满意; it returns the ticket's number.
func (f *fixture) unsatisfied(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	n := f.create(t, f.alice, nil).Number
	if _, err := f.svc.Claim(ctx, f.ann, n); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Resolve(ctx, f.ann, n, "已重新同步"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RecordSatisfaction(ctx, f.alice, n, backend.SatisfactionUnsatisfied, "还是不行"); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFollowUp(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.unsatisfied(t)
			fus, err := f.svc.FollowUpsOf(ctx, f.ann, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(fus) != 1 || fus[0].Survey != backend.SurveyNeeded || fus[0].Callback != backend.CallbackUndecided ||
				fus[0].Number != n || !fus[0].RatedAt.Equal(f.now) {
				t.Fatalf("follow-ups of %s: %+v", n, fus)
			}
			id := fus[0].ID
			_, events, err := f.svc.Thread(ctx, f.ann, n)
			if err != nil {
				t.Fatal(err)
			}
			if i := slices.IndexFunc(events, func(e *backend.Event) bool { return e.Kind == backend.EventSatisfaction }); i < 0 || events[i].ID != fus[0].EventID {
				t.Fatalf("the follow-up's event %d is not the rating", fus[0].EventID)
			}

			// Rated on Monday 23 November: surveyed next week.
			board := func(who *backend.Person) *backend.FollowUpBoard {
				t.Helper()
				b, err := f.svc.FollowUpBoard(ctx, who)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			if b := board(f.ann); len(b.Surveys[backend.DueLater]) != 1 || len(b.Surveys[backend.DueNow]) != 0 {
				t.Fatalf("board this week: %+v", b)
			}
			f.now = f.now.Add(7 * 24 * time.Hour)
			if b := board(f.manager); len(b.Surveys[backend.DueNow]) != 1 || b.Surveys[backend.DueNow][0].ID != id {
				t.Fatalf("board next week: %+v", b)
			}

			fu, err := f.svc.RecordSurvey(ctx, f.ann, id, backend.SurveyInput{
				Factors: []backend.Factor{backend.FactorAttitude, backend.FactorKnowledgeBase}, Solved: false,
				Notes: "  用户认为口径不合理  ", Callback: true})
			if err != nil {
				t.Fatal(err)
			}
			if fu.Survey != backend.SurveyDone || fu.Callback != backend.CallbackNeeded || fu.SurveyedBy != f.ann.ID ||
				fu.SurveyNotes != "用户认为口径不合理" || len(fu.Factors) != 2 || fu.Solved {
				t.Fatalf("surveyed: %+v", fu)
			}
			_, err = f.svc.RecordSurvey(ctx, f.amy, id, backend.SurveyInput{Factors: []backend.Factor{backend.FactorOther}})
			wantCode(t, err, backend.ECONFLICT)
			// The 不满意 reopened the ticket: until it has a result again the
			// callback waits, and the handler may be urged (seed 003).
			b := board(f.ann)
			if len(b.Surveys[backend.DueNow]) != 0 || len(b.Callbacks[backend.DueWaiting]) != 1 || len(b.Callbacks[backend.DueNow]) != 0 {
				t.Fatalf("board after the survey: %+v", b)
			}
			for { // deliver what came before: the urge's rows are next
				before, err := f.store.ClaimOutbox(ctx, f.now.Add(time.Hour), time.Minute, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if len(before) == 0 {
					break
				}
				for _, m := range before {
					if err := f.store.MarkOutboxSent(ctx, m.ID, f.now, ""); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, err := f.svc.UrgeFollowUp(ctx, f.amy, id); err != nil {
				t.Fatal(err)
			}
			msgs, err := f.store.ClaimOutbox(ctx, f.now.Add(time.Hour), time.Minute, 100)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(msgs, func(m *backend.OutboxMessage) bool {
				return m.Audience == backend.AudienceAssignee && m.RecipientID == f.ann.ID
			}) || slices.ContainsFunc(msgs, func(m *backend.OutboxMessage) bool { return m.Audience != backend.AudienceAssignee }) {
				t.Fatalf("the urge reached %+v, want the assignee alone", msgs)
			}
			_, err = f.svc.UrgeFollowUp(ctx, f.manager, id) // once is enough for a while
			wantCode(t, err, backend.ECONFLICT)
			if backend.ErrorKey(err) != "urged" {
				t.Fatalf("second urge: %v", err)
			}
			_, err = f.svc.UrgeFollowUp(ctx, f.alice, id)
			wantCode(t, err, backend.EFORBIDDEN)
			if _, err := f.svc.Resolve(ctx, f.ann, n, "已按新口径处理"); err != nil {
				t.Fatal(err)
			}
			if b := board(f.ann); len(b.Callbacks[backend.DueNow]) != 1 || len(b.Callbacks[backend.DueWaiting]) != 0 {
				t.Fatalf("board once the ticket has its result: %+v", b)
			}
			_, err = f.svc.UrgeFollowUp(ctx, f.amy, id)
			wantCode(t, err, backend.ECONFLICT)

			fu, err = f.svc.RecordCallback(ctx, f.amy, id, backend.OutcomeNotReached, "无人接听")
			if err != nil {
				t.Fatal(err)
			}
			if fu.Callback != backend.CallbackNeeded || fu.Outcome != backend.OutcomeNotReached {
				t.Fatalf("not reached: %+v", fu)
			}
			fu, err = f.svc.RecordCallback(ctx, f.amy, id, backend.OutcomeSolved, "已追加事件")
			if err != nil {
				t.Fatal(err)
			}
			if fu.Callback != backend.CallbackDone || fu.Outcome != backend.OutcomeSolved || fu.CalledBy != f.amy.ID || !fu.CalledAt.Equal(f.now) {
				t.Fatalf("called: %+v", fu)
			}
			_, err = f.svc.RecordCallback(ctx, f.amy, id, backend.OutcomeAccepted, "")
			wantCode(t, err, backend.ECONFLICT)
			if b := board(f.ann); len(b.Surveys)+len(b.Callbacks) != 0 {
				t.Fatalf("board after the callback: %+v", b)
			}

			// The thread shows each step to staff, never to the reporter.
			_, events, err = f.svc.Thread(ctx, f.ann, n)
			if err != nil {
				t.Fatal(err)
			}
			var steps []string
			for _, e := range events {
				if e.Kind == backend.EventFollowUp {
					if e.Public || e.Data.FollowUpID != id {
						t.Fatalf("follow-up event %+v", e)
					}
					steps = append(steps, e.Data.FollowUpStep+":"+string(e.Data.Outcome))
				}
			}
			if want := []string{"surveyed:", "urged:", "called:not_reached", "called:solved"}; !slices.Equal(steps, want) {
				t.Fatalf("steps %v, want %v", steps, want)
			}
			_, public, err := f.svc.Thread(ctx, f.alice, n)
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(public, func(e *backend.Event) bool { return e.Kind == backend.EventFollowUp }) {
				t.Fatal("the reporter sees the follow-up")
			}
		})

		// Seed 003: a problem the survey finds unsolved is appended to the
		// ticket (对事件进行追加): its handler and the triage chat are told
		// the factors, and an answered ticket is handled again.
		t.Run("UnsolvedIsAppended", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			surveyor := f.amy
			survey := func(n string, solved bool) (*backend.Ticket, map[backend.EventKind]map[backend.Audience][]int64) {
				t.Helper()
				fus, err := f.svc.FollowUpsOf(ctx, f.ann, n)
				if err != nil || len(fus) == 0 {
					t.Fatalf("follow-ups of %s: %v", n, err)
				}
				tk, err := f.svc.Ticket(ctx, f.ann, n)
				if err != nil {
					t.Fatal(err)
				}
				f.sent(t) // what came before
				if _, err := f.svc.RecordSurvey(ctx, surveyor, fus[0].ID, backend.SurveyInput{
					Factors: []backend.Factor{backend.FactorFeature}, Solved: solved, Notes: "导出仍为空文件"}); err != nil {
					t.Fatal(err)
				}
				told := map[backend.EventKind]map[backend.Audience][]int64{}
				for _, m := range f.sent(t)[tk.ID] {
					if told[m.kind] == nil {
						told[m.kind] = map[backend.Audience][]int64{}
					}
					told[m.kind][m.Audience] = append(told[m.kind][m.Audience], m.RecipientID)
				}
				if tk, err = f.svc.Ticket(ctx, f.ann, n); err != nil {
					t.Fatal(err)
				}
				return tk, told
			}
			staff := map[backend.Audience][]int64{backend.AudienceTriage: {0}, backend.AudienceAssignee: {f.ann.ID}}

			// Answered again meanwhile: reopened, and the reporter hears it.
			answered := f.unsatisfied(t)
			if _, err := f.svc.Resolve(ctx, f.ann, answered, "已调整导出格式"); err != nil {
				t.Fatal(err)
			}
			tk, told := survey(answered, false)
			if tk.Status != backend.StatusReopened {
				t.Fatalf("status %s after an unsolved survey, want reopened", tk.Status)
			}
			want := map[backend.EventKind]map[backend.Audience][]int64{
				backend.EventFollowUp:      staff,
				backend.EventStatusChanged: {backend.AudienceReporter: {f.alice.ID}},
			}
			if !reflect.DeepEqual(told, want) {
				t.Fatalf("told %v, want %v", told, want)
			}
			// Still open from the 不满意: its handler is told, nothing moves.
			if tk, told = survey(f.unsatisfied(t), false); tk.Status != backend.StatusReopened ||
				!reflect.DeepEqual(told, map[backend.EventKind]map[backend.Audience][]int64{backend.EventFollowUp: staff}) {
				t.Fatalf("open ticket: %s, told %v", tk.Status, told)
			}
			// Solved: recorded, nobody is told.
			solved := f.unsatisfied(t)
			if _, err := f.svc.Resolve(ctx, f.ann, solved, "已调整导出格式"); err != nil {
				t.Fatal(err)
			}
			if tk, told = survey(solved, true); tk.Status != backend.StatusResolved || len(told) != 0 {
				t.Fatalf("solved: %s, told %v", tk.Status, told)
			}
			// Surveyed by the one who holds it: the triage chat is told.
			surveyor = f.ann
			if _, told = survey(f.unsatisfied(t), false); !reflect.DeepEqual(told,
				map[backend.EventKind]map[backend.Audience][]int64{backend.EventFollowUp: {backend.AudienceTriage: {0}}}) {
				t.Fatalf("surveyed by the assignee: told %v", told)
			}
		})
		t.Run("Mark", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.unsatisfied(t)
			fus, err := f.svc.FollowUpsOf(ctx, f.manager, n)
			if err != nil {
				t.Fatal(err)
			}
			id := fus[0].ID
			fu, err := f.svc.MarkFollowUp(ctx, f.ann, id, backend.MarkNoSurvey, "误操作评价，无需调研")
			if err != nil {
				t.Fatal(err)
			}
			if fu.Survey != backend.SurveyNotNeeded || fu.Open() {
				t.Fatalf("no survey: %+v", fu)
			}
			_, err = f.svc.MarkFollowUp(ctx, f.ann, id, backend.MarkNoSurvey, "")
			wantCode(t, err, backend.ECONFLICT)
			fu, err = f.svc.MarkFollowUp(ctx, f.manager, id, backend.MarkNeedCallback, "")
			if err != nil {
				t.Fatal(err)
			}
			if fu.Callback != backend.CallbackNeeded || !fu.Open() {
				t.Fatalf("need callback: %+v", fu)
			}
			_, err = f.svc.MarkFollowUp(ctx, f.ann, id, "later", "")
			wantCode(t, err, backend.EINVALID)
			if _, err := f.svc.RecordCallback(ctx, f.ann, id, backend.OutcomeAccepted, ""); err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.MarkFollowUp(ctx, f.ann, id, backend.MarkNoCallback, "")
			wantCode(t, err, backend.ECONFLICT)
			// A survey is still possible after 无需调研, and leaves the
			// finished callback as it was.
			fu, err = f.svc.RecordSurvey(ctx, f.ann, id, backend.SurveyInput{Factors: []backend.Factor{backend.FactorMisrating}, Solved: true})
			if err != nil {
				t.Fatal(err)
			}
			if fu.Survey != backend.SurveyDone || fu.Callback != backend.CallbackDone || fu.Outcome != backend.OutcomeAccepted {
				t.Fatalf("survey after callback: %+v", fu)
			}
			_, err = f.svc.MarkFollowUp(ctx, f.ann, id, backend.MarkNeedSurvey, "")
			wantCode(t, err, backend.ECONFLICT)
		})

		t.Run("Overdue", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			f.unsatisfied(t)
			f.now = f.now.Add(10 * 24 * time.Hour) // Thursday of the next week
			b, err := f.svc.FollowUpBoard(ctx, f.ann)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Surveys[backend.DueOverdue]) != 1 || len(b.Surveys[backend.DueNow]) != 0 {
				t.Fatalf("board: %+v", b)
			}
		})

		t.Run("ErrForbidden", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.unsatisfied(t)
			fus, err := f.svc.FollowUpsOf(ctx, f.ann, n)
			if err != nil {
				t.Fatal(err)
			}
			id := fus[0].ID
			// The reporter never sees follow-ups, not even of their own ticket.
			_, err = f.svc.FollowUps(ctx, f.alice, backend.FollowUpFilter{})
			wantCode(t, err, backend.EFORBIDDEN)
			_, err = f.svc.FollowUpsOf(ctx, f.alice, n)
			wantCode(t, err, backend.EFORBIDDEN)
			_, _, err = f.svc.FollowUp(ctx, f.alice, id)
			wantCode(t, err, backend.EFORBIDDEN)
			_, err = f.svc.FollowUpBoard(ctx, f.alice)
			wantCode(t, err, backend.EFORBIDDEN)
			_, err = f.svc.RecordSurvey(ctx, f.alice, id, backend.SurveyInput{Factors: []backend.Factor{backend.FactorOther}})
			wantCode(t, err, backend.EFORBIDDEN)
			_, err = f.svc.MarkFollowUp(ctx, f.alice, id, backend.MarkNoSurvey, "")
			wantCode(t, err, backend.EFORBIDDEN)
			// An assistant of another team neither lists nor opens it.
			page, err := f.svc.FollowUps(ctx, f.otherTeam, backend.FollowUpFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.FollowUps) != 0 {
				t.Fatalf("other team lists %d follow-ups", len(page.FollowUps))
			}
			_, _, err = f.svc.FollowUp(ctx, f.otherTeam, id)
			wantCode(t, err, backend.EFORBIDDEN)
			_, err = f.svc.RecordCallback(ctx, f.otherTeam, id, backend.OutcomeAccepted, "")
			wantCode(t, err, backend.EFORBIDDEN)
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			_, _, err := f.svc.FollowUp(ctx, f.manager, 424242)
			wantCode(t, err, backend.ENOTFOUND)
			if backend.ErrorKey(err) != "follow_up" {
				t.Fatalf("key %q", backend.ErrorKey(err))
			}
			_, err = f.svc.RecordCallback(ctx, f.manager, 1, "maybe", "")
			wantCode(t, err, backend.EINVALID)
		})
	})
}
