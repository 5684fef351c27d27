package storetest

import (
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
}
