package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func kbIDs(p *backend.KBPage) []int64 {
	return ids(p.Entries, func(e *backend.KBEntry) int64 { return e.ID })
}

func getKBEntry(tb testing.TB, s backend.Store, id int64) *backend.KBEntry {
	tb.Helper()
	e, err := s.KBEntry(tb.Context(), id)
	must(tb, err)
	return e
}

// kbTitles lists the titles of entries, in order.
func kbTitles(es []*backend.KBEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Title
	}
	return out
}

// searchKB returns the titles of the entries SearchKBEntries finds for
// query, at least min, one page of limit after offset.
func searchKB(tb testing.TB, s backend.Store, query string, min float64, offset, limit int) []string {
	tb.Helper()
	got, err := s.SearchKBEntries(tb.Context(), backend.KBSearch{Terms: backend.KBQueryTerms(query), MinScore: min, Offset: offset, Limit: limit})
	must(tb, err)
	if got == nil {
		tb.Fatalf("SearchKBEntries(%q) = nil, want an empty list", query)
	}
	return kbTitles(got)
}

func testKB(t *testing.T, newStore NewStoreFunc) {
	at := time.Date(2026, 11, 18, 15, 4, 5, 123456789, cst)
	t.Run("Create", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		inClock := clockRange(t)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		tk := createTicket(t, s, fullTicket(rep.ID), "FB", day)

		e := &backend.KBEntry{Title: "放心房标识不显示", Body: "清除缓存后重新发布房源即可。", CategoryPath: []string{"CRM问题", "会员中心"},
			TicketID: tk.ID, AuthorID: 42, CreatedAt: at}
		must(t, s.CreateKBEntry(ctx, e))
		if e.ID == 0 || e.Version != 1 || e.Number != tk.Number {
			t.Fatalf("not stamped: %s", dump(e))
		}
		equal(t, "CreatedAt normalised", e.CreatedAt, norm(at))
		equal(t, "UpdatedAt defaults to CreatedAt", e.UpdatedAt, norm(at))
		equal(t, "KBEntry", getKBEntry(t, s, e.ID), e)

		// A title may carry a customer's data: errors (which are logged)
		// name the entry by its ticket, never by its title.
		twice := &backend.KBEntry{Title: "客户 13800138000 again", Body: "b", TicketID: tk.ID}
		err := s.CreateKBEntry(ctx, twice)
		wantCode(t, err, backend.ECONFLICT)
		if twice.ID != 0 || twice.Number != "" {
			t.Fatalf("failed create changed the entry: %s", dump(twice))
		}
		if strings.Contains(err.Error(), "13800138000") {
			t.Fatalf("error names the title: %v", err)
		}

		byHand := &backend.KBEntry{Title: "login", Body: "reset the password"}
		must(t, s.CreateKBEntry(ctx, byHand))
		inClock("CreatedAt", byHand.CreatedAt)
		if byHand.CategoryPath != nil || byHand.TicketID != 0 || byHand.Number != "" {
			t.Fatalf("defaults: %s", dump(byHand))
		}
		equal(t, "KBEntry by hand", getKBEntry(t, s, byHand.ID), byHand)

		_, err = s.KBEntry(ctx, missing)
		wantCode(t, err, backend.ENOTFOUND)
		if !strings.Contains(err.Error(), backend.KBRef(missing)) {
			t.Fatalf("error does not name %s: %v", backend.KBRef(missing), err)
		}
	})
	t.Run("Create/ErrMissingTicket", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		e := &backend.KBEntry{Title: "客户 13800138000", Body: "b", TicketID: missing}
		err := s.CreateKBEntry(ctx, e)
		wantCode(t, err, backend.EINVALID)
		if strings.Contains(err.Error(), "13800138000") {
			t.Fatalf("error names the title: %v", err)
		}
		if e.ID != 0 {
			t.Fatalf("failed create changed the entry: %s", dump(e))
		}
		page, err := s.KBEntries(ctx, backend.KBFilter{})
		must(t, err)
		equal(t, "entries", kbIDs(page), []int64{})
	})
	t.Run("Update", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		e := &backend.KBEntry{Title: "旧标题", Body: "旧方案", CreatedAt: at}
		must(t, s.CreateKBEntry(ctx, e))
		stale := *e
		e.Title, e.Body, e.CategoryPath, e.UpdatedAt = "新标题", "新方案", []string{"产品线问题"}, at.Add(time.Hour)
		must(t, s.UpdateKBEntry(ctx, e))
		equal(t, "Version", e.Version, int64(2))
		equal(t, "UpdatedAt", e.UpdatedAt, norm(at.Add(time.Hour)))
		equal(t, "KBEntry", getKBEntry(t, s, e.ID), e)

		stale.Title = "lost update"
		wantCode(t, s.UpdateKBEntry(ctx, &stale), backend.ECONFLICT)
		equal(t, "stale version leaves it", getKBEntry(t, s, e.ID), e)

		gone := &backend.KBEntry{ID: missing, Title: "x", Body: "y", Version: 1}
		wantCode(t, s.UpdateKBEntry(ctx, gone), backend.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		e := &backend.KBEntry{Title: "t", Body: "b"}
		must(t, s.CreateKBEntry(ctx, e))
		must(t, s.DeleteKBEntry(ctx, e.ID))
		_, err := s.KBEntry(ctx, e.ID)
		wantCode(t, err, backend.ENOTFOUND)
		wantCode(t, s.DeleteKBEntry(ctx, e.ID), backend.ENOTFOUND)
	})
	t.Run("List", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		tk := createTicket(t, s, fullTicket(rep.ID), "FB", day)
		var all []int64
		for i := range 5 {
			e := &backend.KBEntry{Title: "t", Body: "b"}
			if i == 2 {
				e.TicketID = tk.ID
			}
			must(t, s.CreateKBEntry(ctx, e))
			all = append([]int64{e.ID}, all...) // newest first
		}
		page, err := s.KBEntries(ctx, backend.KBFilter{Limit: 2})
		must(t, err)
		equal(t, "page 1", kbIDs(page), all[:2])
		equal(t, "cursor", page.NextCursor, all[1])
		page, err = s.KBEntries(ctx, backend.KBFilter{Limit: 2, After: page.NextCursor})
		must(t, err)
		equal(t, "page 2", kbIDs(page), all[2:4])
		page, err = s.KBEntries(ctx, backend.KBFilter{Limit: 2, After: page.NextCursor})
		must(t, err)
		equal(t, "last page", kbIDs(page), all[4:])
		equal(t, "last cursor", page.NextCursor, int64(0))

		page, err = s.KBEntries(ctx, backend.KBFilter{TicketID: tk.ID})
		must(t, err)
		equal(t, "of the ticket", kbIDs(page), all[2:3])
		equal(t, "with its number", page.Entries[0].Number, tk.Number)
	})
	t.Run("CreateMany", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		inClock := clockRange(t)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		tk := createTicket(t, s, fullTicket(rep.ID), "FB", day)
		es := []*backend.KBEntry{
			{Title: "放心房标识不显示", Body: "重新同步。", TicketID: tk.ID, CreatedAt: at},
			{Title: "login", Body: "reset the password", CategoryPath: []string{"CRM问题"}},
		}
		must(t, s.CreateKBEntries(ctx, es))
		if es[0].ID == 0 || es[1].ID <= es[0].ID || es[0].Number != tk.Number || es[1].Version != 1 {
			t.Fatalf("not stamped in order: %s", dump(es))
		}
		equal(t, "CreatedAt normalised", es[0].CreatedAt, norm(at))
		inClock("CreatedAt", es[1].CreatedAt)
		for _, e := range es {
			equal(t, "KBEntry", getKBEntry(t, s, e.ID), e)
		}
		must(t, s.CreateKBEntries(ctx, nil))

		// All or nothing: one bad entry stores none.
		bad := []*backend.KBEntry{{Title: "会员中心登录失败", Body: "重置密码"}, {Title: "客户 13800138000", Body: "b", TicketID: missing}}
		err := s.CreateKBEntries(ctx, bad)
		wantCode(t, err, backend.EINVALID)
		if strings.Contains(err.Error(), "13800138000") {
			t.Fatalf("error names the title: %v", err)
		}
		if bad[0].ID != 0 || bad[1].ID != 0 {
			t.Fatalf("failed create changed the entries: %s", dump(bad))
		}
		page, err := s.KBEntries(ctx, backend.KBFilter{})
		must(t, err)
		equal(t, "entries", kbIDs(page), []int64{es[1].ID, es[0].ID})
		equal(t, "search", searchKB(t, s, "会员中心登录失败", 0.2, 0, 10), []string{})
	})
	// SearchKBEntries scores an entry by its terms (backend.KBIndexTerms):
	// the share of the query's terms it has, or the share of its title's
	// the query has, whichever is more.
	t.Run("Search", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		tk := createTicket(t, s, fullTicket(rep.ID), "FB", day)
		// The query 放心房不显示 has 5 terms: 放心 心房 房不 不显 显示.
		for _, e := range []*backend.KBEntry{
			// 4 of the query's 5; 4 of its title's 7: 0.8.
			{Title: "放心房标识不显示", Body: "在房源管理里重新同步。", TicketID: tk.ID},
			// 1 of 5; none of its title's: 0.2.
			{Title: "登录失败", Body: "放心使用。"},
			// Its title's 2 terms, both in the query: 1.
			{Title: "不显示", Body: "刷新页面。"},
			// 0.8 as the first, and newer.
			{Title: "放心房在后台不显示", Body: "联系技术部。", CategoryPath: []string{"CRM问题"}},
			// Nothing in common.
			{Title: "天气预报", Body: "明天下雨。"},
			// Latin words count lower-case, numbers as words.
			{Title: "Printer offline", Body: "Restart the spooler, version 2."},
		} {
			must(t, s.CreateKBEntry(ctx, e))
		}
		equal(t, "at least 0.2", searchKB(t, s, "放心房不显示", 0.2, 0, 10), []string{"不显示", "放心房在后台不显示", "放心房标识不显示", "登录失败"})
		equal(t, "at least 0.4", searchKB(t, s, "放心房不显示", 0.4, 0, 10), []string{"不显示", "放心房在后台不显示", "放心房标识不显示"})
		equal(t, "page 2", searchKB(t, s, "放心房不显示", 0.2, 1, 2), []string{"放心房在后台不显示", "放心房标识不显示"})
		equal(t, "past the end", searchKB(t, s, "放心房不显示", 0.2, 4, 2), []string{})
		equal(t, "latin", searchKB(t, s, "PRINTER spooler", 0.2, 0, 10), []string{"Printer offline"})
		equal(t, "numbers", searchKB(t, s, "version 2", 1, 0, 10), []string{"Printer offline"})
		equal(t, "no match", searchKB(t, s, "发票金额", 0, 0, 10), []string{})
		equal(t, "no terms", searchKB(t, s, "？！", 0, 0, 10), []string{})

		got, err := s.SearchKBEntries(ctx, backend.KBSearch{Terms: backend.KBQueryTerms("标识"), Limit: 1})
		must(t, err)
		if len(got) != 1 || got[0].Number != tk.Number {
			t.Fatalf("search = %s, want the entry with its ticket's number", dump(got))
		}
		equal(t, "found as read", got[0], getKBEntry(t, s, got[0].ID))
	})
	// However many entries are newer, an old one is found (the service
	// once read the newest 5,000 only).
	t.Run("Search/Old", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		old := &backend.KBEntry{Title: "电子签章盖章后合同预览空白", Body: "升级签章插件后重新盖章。"}
		must(t, s.CreateKBEntry(ctx, old))
		newer := make([]*backend.KBEntry, 5000)
		for i := range newer {
			// Each has 合同, 1 of the query's 5 terms, and half its title's: 0.5.
			newer[i] = &backend.KBEntry{Title: fmt.Sprintf("合同 %d", i), Body: "-"}
		}
		must(t, s.CreateKBEntries(ctx, newer))
		page, err := s.KBEntries(ctx, backend.KBFilter{Limit: 200})
		must(t, err)
		if page.Entries[0].ID != newer[4999].ID {
			t.Fatalf("newest = %d, want %d", page.Entries[0].ID, newer[4999].ID)
		}
		equal(t, "search", searchKB(t, s, "合同预览空白", 0.2, 0, 3), []string{old.Title, newer[4999].Title, newer[4998].Title})
		equal(t, "the last page", searchKB(t, s, "合同预览空白", 0.2, 5000, 3), []string{newer[0].Title})
	})
	// The index follows an entry's text: an edit replaces its terms, a
	// failed edit keeps them, a deletion removes them.
	t.Run("Search/Edited", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		e := &backend.KBEntry{Title: "会员中心登录失败", Body: "重置密码。"}
		must(t, s.CreateKBEntry(ctx, e))
		stale := *e
		e.Title, e.Body, e.CategoryPath = "打印机脱机", "重启打印服务。", []string{"硬件"}
		must(t, s.UpdateKBEntry(ctx, e))
		equal(t, "by its old words", searchKB(t, s, "会员中心登录失败 重置密码", 0.2, 0, 10), []string{})
		equal(t, "by its new title", searchKB(t, s, "打印机脱机", 1, 0, 10), []string{"打印机脱机"})
		equal(t, "by its new body", searchKB(t, s, "重启打印服务", 1, 0, 10), []string{"打印机脱机"})
		equal(t, "by its category", searchKB(t, s, "硬件", 1, 0, 10), []string{"打印机脱机"})

		stale.Title, stale.Body = "发票金额不对", "核对税率。"
		wantCode(t, s.UpdateKBEntry(ctx, &stale), backend.ECONFLICT)
		equal(t, "a stale edit's words", searchKB(t, s, "发票金额不对", 0.2, 0, 10), []string{})
		equal(t, "after a stale edit", searchKB(t, s, "打印机脱机", 1, 0, 10), []string{"打印机脱机"})

		must(t, s.DeleteKBEntry(ctx, e.ID))
		equal(t, "deleted", searchKB(t, s, "打印机脱机", 0.2, 0, 10), []string{})
	})
}

// MigrateKBTerms checks the migration that added the knowledge base's
// search index (00059 in both stores): the entries filed before it are
// found once the store has migrated. insert writes entry rows, oldest
// first, into a database migrated up to 00058; migrated then migrates that
// database to the end and returns the store on it.
//
//	storetest.MigrateKBTerms(t,
//		func(es []backend.KBInput) { /* INSERT INTO kb_entries … */ },
//		func() backend.Store { /* Open, Migrate */ })
func MigrateKBTerms(t *testing.T, insert func(es []backend.KBInput), migrated func() backend.Store) {
	t.Helper()
	es := []backend.KBInput{{Title: "放心房标识不显示", Body: "在房源管理里重新同步。"}, {Title: "登录失败", Body: "放心使用。"}}
	for i := range 1200 { // more than one batch of the backfill
		es = append(es, backend.KBInput{Title: fmt.Sprintf("合同 %d 无法打印", i), Body: "检查打印机。"})
	}
	insert(append(es, backend.KBInput{Title: "Printer offline", Body: "Restart the spooler."}))
	s := migrated()
	equal(t, "search", searchKB(t, s, "放心房不显示", 0.2, 0, 10), []string{"放心房标识不显示", "登录失败"})
	equal(t, "latin", searchKB(t, s, "printer", 1, 0, 10), []string{"Printer offline"})
	got, err := s.SearchKBEntries(t.Context(), backend.KBSearch{Terms: backend.KBQueryTerms("合同"), MinScore: 1, Limit: 200})
	must(t, err)
	if len(got) != 200 || got[0].Title != "合同 1199 无法打印" {
		t.Fatalf("search: %d entries, the first %q", len(got), kbTitles(got)[:min(1, len(got))])
	}
	// A new entry is indexed as it is written.
	e := &backend.KBEntry{Title: "打印机脱机", Body: "重启打印服务。"}
	must(t, s.CreateKBEntry(t.Context(), e))
	equal(t, "a new entry", searchKB(t, s, "打印机脱机", 1, 0, 10), []string{"打印机脱机"})
}
