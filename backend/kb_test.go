package backend_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func TestParseKBRef(t *testing.T) {
	for _, tc := range []struct {
		in   string
		id   int64
		okay bool
	}{
		{"KB-12", 12, true}, {"kb-3", 3, true}, {" 7 ", 7, true},
		{"KB-", 0, false}, {"KB-0", 0, false}, {"FB-1", 0, false}, {"", 0, false},
	} {
		id, ok := backend.ParseKBRef(tc.in)
		if id != tc.id || ok != tc.okay {
			t.Errorf("ParseKBRef(%q) = %d, %v; want %d, %v", tc.in, id, ok, tc.id, tc.okay)
		}
	}
	if got := backend.KBRef(12); got != "KB-12" {
		t.Errorf("KBRef(12) = %q", got)
	}
}

// resolved files a ticket for alice with summary and has ann claim and
// resolve it with solution; it returns the ticket's number.
func (f *fixture) resolved(t *testing.T, summary, solution string) string {
	t.Helper()
	ctx := context.Background()
	n := f.create(t, f.alice, func(in *backend.NewTicket) { in.Summary = summary }).Number
	if _, err := f.svc.Claim(ctx, f.ann, n); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Resolve(ctx, f.ann, n, solution); err != nil {
		t.Fatal(err)
	}
	return n
}

func kbTitles(es []*backend.KBEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Title
	}
	return out
}

func TestKB(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()

		t.Run("FromTicket", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.resolved(t, "房产放心房上线后在后台不显示", "在后台「房源管理」里重新同步放心房标识即可恢复显示。")
			draft, _, err := f.svc.KBDraft(ctx, f.ann, n)
			if err != nil {
				t.Fatal(err)
			}
			if draft.Title != "房产放心房上线后在后台不显示" || !strings.Contains(draft.Body, "重新同步") ||
				!slices.Equal(draft.CategoryPath, []string{"CRM问题", "会员中心"}) {
				t.Fatalf("draft = %+v", draft)
			}
			e, err := f.svc.KBFromTicket(ctx, f.ann, n, nil)
			if err != nil {
				t.Fatal(err)
			}
			if e.Number != n || e.AuthorID != f.ann.ID || e.Title != draft.Title || e.Body != draft.Body || e.Ref() != backend.KBRef(e.ID) {
				t.Fatalf("entry = %+v", e)
			}
			_, err = f.svc.KBFromTicket(ctx, f.ann, n, nil)
			wantCode(t, err, backend.ECONFLICT)
			if backend.ErrorKey(err) != "kb_filed" {
				t.Fatalf("second filing: %v (key %q)", err, backend.ErrorKey(err))
			}
		})
		// An entry is shown to other reporters: the ticket's contacts and
		// account, and anything shaped like a phone or an e-mail, are masked.
		t.Run("FromTicket/PersonalData", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.create(t, f.alice, func(in *backend.NewTicket) {
				in.Summary = "客户13812345678反馈会员中心登录不了 QQ 88776655"
				in.Contacts = backend.Contacts{Phone: "13812345678", QQ: "88776655"}
			}).Number
			if _, err := f.svc.Claim(ctx, f.ann, n); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Resolve(ctx, f.ann, n, "已给客户 13812345678 回电（座机 010-62345678，邮箱 wang.li@example.com），订单 20080505003123 已重置"); err != nil {
				t.Fatal(err)
			}
			e, err := f.svc.KBFromTicket(ctx, f.ann, n, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, leak := range []string{"13812345678", "88776655", "62345678", "wang.li@"} {
				if strings.Contains(e.Title+e.Body, leak) {
					t.Errorf("the entry keeps %q: %q / %q", leak, e.Title, e.Body)
				}
			}
			for _, kept := range []string{"138****5678", "w******@example.com", "20080505003123", "会员中心登录不了"} {
				if !strings.Contains(e.Title+e.Body, kept) {
					t.Errorf("the entry lost %q: %q / %q", kept, e.Title, e.Body)
				}
			}
		})
		t.Run("FromTicket/Concurrent", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.resolved(t, "房产放心房上线后在后台不显示", "重新同步")
			errs := make(chan error, 2)
			for _, p := range []*backend.Person{f.ann, f.manager} {
				go func() {
					_, err := f.svc.KBFromTicket(ctx, p, n, nil)
					errs <- err
				}()
			}
			var codes []string
			for range 2 {
				err := <-errs
				if err != nil && backend.ErrorKey(err) != "kb_filed" {
					t.Errorf("the second filing: %v (key %q), want kb_filed", err, backend.ErrorKey(err))
				}
				codes = append(codes, backend.ErrorCode(err))
			}
			slices.Sort(codes)
			if !slices.Equal(codes, []string{"", backend.ECONFLICT}) {
				t.Fatalf("two filings of one ticket: %q, want one entry and one conflict", codes)
			}
		})
		t.Run("FromTicket/Edited", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.resolved(t, "提单系统无法提交订单，一直转圈", "清理浏览器缓存")
			e, err := f.svc.KBFromTicket(ctx, f.manager, n, &backend.KBInput{Title: " 提单一直转圈 ", Body: "清理缓存后重试"})
			if err != nil {
				t.Fatal(err)
			}
			if e.Title != "提单一直转圈" || e.Body != "清理缓存后重试" || e.CategoryPath != nil {
				t.Fatalf("entry = %+v", e)
			}
			_, err = f.svc.KBFromTicket(ctx, f.manager, f.resolved(t, "提单系统无法提交订单啊啊", "x"), &backend.KBInput{Title: "", Body: "b"})
			wantCode(t, err, backend.EINVALID)
		})
		t.Run("FromTicket/ErrNotResolved", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.create(t, f.alice, nil).Number
			_, err := f.svc.KBFromTicket(ctx, f.ann, n, nil)
			wantCode(t, err, backend.ECONFLICT)
			if backend.ErrorKey(err) != "kb_not_resolved" {
				t.Fatalf("key = %q", backend.ErrorKey(err))
			}
		})
		t.Run("FromTicket/ErrForbidden", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			n := f.resolved(t, "房产放心房上线后在后台不显示", "重新同步")
			_, err := f.svc.KBFromTicket(ctx, f.alice, n, nil)
			wantCode(t, err, backend.EFORBIDDEN)
			_, err = f.svc.KBFromTicket(ctx, f.ann, "FB-20990101-0001", nil)
			wantCode(t, err, backend.ENOTFOUND)
		})
		t.Run("EditDelete", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			e, err := f.svc.CreateKBEntry(ctx, f.ann, backend.KBInput{Title: "会员中心登录失败", Body: "重置密码", CategoryPath: []string{"CRM问题"}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.CreateKBEntry(ctx, f.alice, backend.KBInput{Title: "t", Body: "b"})
			wantCode(t, err, backend.EFORBIDDEN)
			_, err = f.svc.KBEntry(ctx, f.alice, e.ID)
			wantCode(t, err, backend.EFORBIDDEN)
			_, err = f.svc.CreateKBEntry(ctx, f.ann, backend.KBInput{Title: strings.Repeat("长", 201), Body: " "})
			if fields := backend.ErrorFields(err); fields["title"] == "" || fields["body"] == "" {
				t.Fatalf("bad fields: %v", err)
			}

			got, err := f.svc.UpdateKBEntry(ctx, f.otherTeam, e.ID, e.Version, backend.KBInput{Title: "会员中心登录失败（已更新）", Body: "重置密码后重新登录"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != 2 || got.Body != "重置密码后重新登录" || got.CategoryPath != nil {
				t.Fatalf("updated = %+v", got)
			}
			_, err = f.svc.UpdateKBEntry(ctx, f.ann, e.ID, 1, backend.KBInput{Title: "x", Body: "y"})
			wantCode(t, err, backend.ECONFLICT)

			wantCode(t, f.svc.DeleteKBEntry(ctx, f.alice, e.ID), backend.EFORBIDDEN)
			if err := f.svc.DeleteKBEntry(ctx, f.manager, e.ID); err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.KBEntry(ctx, f.ann, e.ID)
			wantCode(t, err, backend.ENOTFOUND)
			if backend.ErrorKey(err) != "kb" {
				t.Fatalf("key = %q", backend.ErrorKey(err))
			}
		})
		t.Run("SuggestSkipsUnsatisfied", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			const summary = "我们门店的房产放心房上线后，在后台一直不显示，怎么办？"
			suggested := func(t *testing.T) []string {
				t.Helper()
				got, err := f.svc.SuggestKB(ctx, summary, 3)
				if err != nil {
					t.Fatal(err)
				}
				return kbTitles(got)
			}
			rated := func(t *testing.T, title string, rating backend.Satisfaction) *backend.KBEntry {
				t.Helper()
				n := f.resolved(t, "放心房标识在后台不显示（"+title+"）", "在房源管理里重新同步放心房标识。")
				e, err := f.svc.KBFromTicket(ctx, f.ann, n, &backend.KBInput{Title: title, Body: "在房源管理里重新同步放心房标识。"})
				if err != nil {
					t.Fatal(err)
				}
				f.now = f.now.Add(time.Minute)
				if _, err := f.svc.RecordSatisfaction(ctx, f.alice, n, rating, ""); err != nil {
					t.Fatal(err)
				}
				return e
			}
			rated(t, "放心房标识不显示", backend.SatisfactionSatisfied)
			bad := rated(t, "放心房后台不显示", backend.SatisfactionUnsatisfied)
			if _, err := f.svc.CreateKBEntry(ctx, f.ann, backend.KBInput{Title: "放心房在后台不显示", Body: "联系技术部。"}); err != nil {
				t.Fatal(err)
			}
			if got := suggested(t); !slices.Equal(got, []string{"放心房在后台不显示", "放心房标识不显示"}) {
				t.Fatalf("SuggestKB = %q; want the unsatisfying answer left out", got)
			}
			// Staff still find it, to rewrite it.
			if got, err := f.svc.SearchKB(ctx, f.ann, "放心房后台不显示", 10); err != nil || !slices.Contains(kbTitles(got), bad.Title) {
				t.Fatalf("SearchKB = %q, %v", kbTitles(got), err)
			}
			// Its ticket answered again (the rating is cleared for the
			// next one), the entry still holds the answer that did not
			// help: still left out.
			badTicket, err := f.store.TicketByID(ctx, bad.TicketID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Resolve(ctx, f.ann, badTicket.Number, "先清除缓存，再重新同步。"); err != nil {
				t.Fatal(err)
			}
			if got := suggested(t); slices.Contains(got, bad.Title) {
				t.Fatalf("SuggestKB = %q; the rejected answer is back before anyone rewrote it", got)
			}
			// Nor once the second answer pleased: the entry holds the first.
			f.now = f.now.Add(time.Minute)
			if _, err := f.svc.RecordSatisfaction(ctx, f.alice, badTicket.Number, backend.SatisfactionSatisfied, ""); err != nil {
				t.Fatal(err)
			}
			if got := suggested(t); slices.Contains(got, bad.Title) {
				t.Fatalf("SuggestKB = %q; the rejected answer is back after the ticket's second answer was rated", got)
			}
			// Edited after the rating, it is offered again.
			f.now = f.now.Add(time.Hour)
			if _, err := f.svc.UpdateKBEntry(ctx, f.ann, bad.ID, bad.Version, backend.KBInput{Title: bad.Title, Body: "先清除缓存，再在房源管理里重新同步放心房标识。"}); err != nil {
				t.Fatal(err)
			}
			if got := suggested(t); !slices.Contains(got, bad.Title) {
				t.Fatalf("SuggestKB = %q; want the rewritten entry back", got)
			}
		})
		// The store ranks by the search's score; a suggestion reads on
		// while an entry not read yet might score more than those found.
		t.Run("SuggestReadsOn", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			const summary = "我们门店的房产放心房上线后，在后台一直不显示，怎么办？"
			answer, err := f.svc.CreateKBEntry(ctx, f.ann, backend.KBInput{Title: "放心房标识在后台不显示", Body: "在房源管理里重新同步放心房标识。"})
			if err != nil {
				t.Fatal(err)
			}
			// Long pages holding the whole summary: the best by the
			// search's score, worse than the answer as suggestions.
			pages := make([]*backend.KBEntry, 150)
			for i := range pages {
				pages[i] = &backend.KBEntry{Title: fmt.Sprintf("新员工手册 %d", i), Body: kbLongPage + "\n" + summary}
			}
			if err := f.store.CreateKBEntries(ctx, pages); err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.SuggestKB(ctx, summary, 3)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{answer.Title, pages[149].Title, pages[148].Title}; !slices.Equal(kbTitles(got), want) {
				t.Errorf("SuggestKB = %q, want %q", kbTitles(got), want)
			}
			got, err = f.svc.SearchKB(ctx, f.ann, summary, 2)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{pages[149].Title, pages[148].Title}; !slices.Equal(kbTitles(got), want) {
				t.Errorf("SearchKB = %q, want %q", kbTitles(got), want)
			}
		})
		t.Run("SearchChinese", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newStore(t))
			for _, in := range []backend.KBInput{
				{Title: "放心房标识在后台不显示", Body: "在房源管理里重新同步放心房标识。"},
				{Title: "提单系统无法提交订单", Body: "清理浏览器缓存后重新提交。"},
				{Title: "会员中心登录失败", Body: "重置密码。", CategoryPath: []string{"CRM问题", "会员中心"}},
				{Title: "Printer offline", Body: "Restart the print spooler."},
				// Two entries that look like every problem by the search's
				// measure: a one-word title, and a long page of text.
				{Title: "登录", Body: "重置密码。"},
				{Title: "新员工入职指南", Body: kbLongPage},
			} {
				if _, err := f.svc.CreateKBEntry(ctx, f.ann, in); err != nil {
					t.Fatal(err)
				}
			}
			for _, tc := range []struct {
				query string
				want  []string
			}{
				{"放心房", []string{"放心房标识在后台不显示"}},
				// The long page holds these words too: a search finds it,
				// after the entry whose title they are.
				{"后台不显示", []string{"放心房标识在后台不显示", "新员工入职指南"}},
				{"提交订单", []string{"提单系统无法提交订单", "新员工入职指南"}},
				{"会员中心", []string{"会员中心登录失败"}},
				{"printer", []string{"Printer offline"}},
				{"天气预报", []string{}},
				{"入职培训", []string{"新员工入职指南"}},
				{"", []string{}},
			} {
				got, err := f.svc.SearchKB(ctx, f.ann, tc.query, 10)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(kbTitles(got), tc.want) {
					t.Errorf("SearchKB(%q) = %q, want %q", tc.query, kbTitles(got), tc.want)
				}
			}
			_, err := f.svc.SearchKB(ctx, f.alice, "放心房", 10)
			wantCode(t, err, backend.EFORBIDDEN)

			// A reporter's summary, longer and worded differently, finds
			// the entry; one about something else finds nothing.
			for _, tc := range []struct {
				summary string
				want    []string
			}{
				{"我们门店的房产放心房上线后，在后台一直不显示，怎么办？", []string{"放心房标识在后台不显示"}},
				{"今天提单系统点提交，订单无法提交", []string{"提单系统无法提交订单"}},
				{"客户说收到的发票金额不对", []string{}},
				// Not "登录" (one word of a title) nor the long page.
				{"会员中心登录后页面报错，订单无法提交", []string{"会员中心登录失败", "提单系统无法提交订单"}},
				{"客户反馈门店系统里的订单金额显示不对", []string{}},
				{"登录失败", []string{"会员中心登录失败"}},
			} {
				got, err := f.svc.SuggestKB(ctx, tc.summary, 3)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(kbTitles(got), tc.want) {
					t.Errorf("SuggestKB(%q) = %q, want %q", tc.summary, kbTitles(got), tc.want)
				}
			}
		})
	})
}

// kbLongPage is a long entry about something else: it holds many of
// any summary's words without answering any of them.
const kbLongPage = `新员工入职第一周：领取工牌和电脑，登录内部系统，完成入职培训和考试。
培训内容包括客户接待礼仪、订单系统的基本操作、后台页面各栏目的含义和常见报错的处理顺序。
每位新同事由一位老员工带教，带教期间提交的每一张订单都要经过复核，金额和客户信息无误后才能提交。
门店值班安排在每周五公布；如遇系统无法登录或页面显示不对，先联系带教老师，再联系技术部。
试用期三个月，期满前一周提交转正申请，由部门主管反馈评价。`
