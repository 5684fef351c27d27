package backend

import (
	"cmp"
	"context"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The knowledge base (知识库, DESIGN §3 Archive, seed 004 N 整理入库): the
// solutions of resolved tickets, filed by staff so that later reporters
// find them in the intake dialog before they file the same problem again,
// and the info specialist can answer a suggestion from it (seed 004 D).

// KBEntry is one knowledge-base entry. Times are UTC.
type KBEntry struct {
	ID           int64
	Title        string
	Body         string   // the solution
	CategoryPath []string // root first; may be empty
	// TicketID is the resolved ticket the entry was filed from (0: written
	// by hand); Number is its number, filled in by the store on reads.
	TicketID  int64
	Number    string
	AuthorID  int64
	Version   int64 // 1 when created; bumped by every update
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Ref is how people name an entry: KB-12.
func (e *KBEntry) Ref() string { return KBRef(e.ID) }

// KBRef names entry id as people see it: KB-12.
func KBRef(id int64) string { return "KB-" + strconv.FormatInt(id, 10) }

// ParseKBRef reads an entry id written as KB-12, kb-12 or 12; ok is false
// for anything else.
func ParseKBRef(s string) (id int64, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) > 3 && strings.EqualFold(s[:3], "KB-") {
		s = s[3:]
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// KBInput is what staff write into an entry.
type KBInput struct {
	Title        string
	Body         string
	CategoryPath []string
}

// Limits of an entry's fields, in characters.
const (
	maxKBTitle = 200
	maxKBBody  = 10000
)

// Validate trims in and checks it: a title of 1–200 characters, a
// solution of 1–10000, category names not empty.
func (in *KBInput) Validate() error {
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	var fe fieldErrors
	checkLen := func(field, v string, max int) {
		if n := utf8.RuneCountInString(v); n == 0 {
			fe.add(field, Problem{Key: "required"}, "required")
		} else if n > max {
			fe.add(field, Problem{Key: "length", Args: map[string]any{"Min": 1, "Max": max, "Got": n}}, "must be at most %d characters, got %d", max, n)
		}
	}
	checkLen("title", in.Title, maxKBTitle)
	checkLen("body", in.Body, maxKBBody)
	path := make([]string, 0, len(in.CategoryPath))
	for _, c := range in.CategoryPath {
		if c = strings.TrimSpace(c); c == "" {
			fe.add("category", Problem{Key: "required"}, "a category name is empty")
		}
		path = append(path, c)
	}
	in.CategoryPath = path
	return fe.err("knowledge-base entry")
}

// KBFilter selects entries. Zero fields do not filter.
type KBFilter struct {
	TicketID int64 // only those filed from this ticket
	After    int64 // cursor: only entries with ID < After (newest first)
	Limit    int   // default 50, at most 200
}

// KBPage is one page of entries; NextCursor is 0 on the last page.
type KBPage struct {
	Entries    []*KBEntry
	NextCursor int64
}

// KBStore is what the knowledge base needs from a database; backend.Store
// includes it, and both stores pass storetest's KB contract.
type KBStore interface {
	// CreateKBEntry stores e and sets e.ID, Number, Version (1),
	// CreatedAt (the store's clock unless set) and UpdatedAt (= CreatedAt
	// unless set). EINVALID when e.TicketID names no ticket; ECONFLICT
	// when an entry was filed from that ticket already.
	CreateKBEntry(ctx context.Context, e *KBEntry) error
	// CreateKBEntries is CreateKBEntry for many entries in one
	// transaction: all are stored or none, and an error names the first
	// that failed. Filing a whole knowledge base (an import, a test's
	// thousands) costs one transaction, not one each.
	CreateKBEntries(ctx context.Context, es []*KBEntry) error
	// KBEntry returns an entry with its ticket's Number. ENOTFOUND.
	KBEntry(ctx context.Context, id int64) (*KBEntry, error)
	// UpdateKBEntry saves title, body, category and UpdatedAt (the store's
	// clock unless set) if the stored Version still equals e.Version, and
	// bumps e.Version. ECONFLICT when someone changed it first; ENOTFOUND.
	UpdateKBEntry(ctx context.Context, e *KBEntry) error
	// DeleteKBEntry deletes an entry. ENOTFOUND.
	DeleteKBEntry(ctx context.Context, id int64) error
	// KBEntries lists entries newest (highest ID) first, each with its
	// ticket's Number, one page at a time.
	KBEntries(ctx context.Context, f KBFilter) (*KBPage, error)
	// SearchKBEntries returns the entries that share terms with s.Terms,
	// each with its ticket's Number, best first and newest first among
	// equals, one page at a time. An entry's score is the larger of the
	// share of s.Terms among its terms and the share of its title's terms
	// among s.Terms, its terms being those of KBIndexTerms; entries that
	// score less than s.MinScore, or 0, are left out. The store keeps the
	// terms of every entry it writes, in the entry's transaction, so a
	// search finds any entry however many are newer.
	SearchKBEntries(ctx context.Context, s KBSearch) ([]*KBEntry, error)
}

// KBSearch is a search of the stored entries by their terms.
type KBSearch struct {
	Terms    []string // the query's terms (KBQueryTerms), each once
	MinScore float64  // the score an entry needs, 0–1
	Offset   int      // entries to pass over, best first
	Limit    int      // default 50, at most 200
}

// kbStaff is EFORBIDDEN unless actor is staff: assistants, the info
// specialist (seed 004 D 查阅知识库, H 整理入库), managers and admins. A
// reporter meets entries only as suggestions in the intake dialog.
func kbStaff(actor *Person) error {
	if !actor.Handles() && !actor.HasRole(RoleInfoSpecialist) {
		return Keyed(EFORBIDDEN, "kb_staff", nil, "only staff may read and write the knowledge base")
	}
	return nil
}

func kbNotFound(id int64) error {
	return Keyed(ENOTFOUND, "kb", map[string]any{"ID": KBRef(id)}, "knowledge-base entry %s not found", KBRef(id))
}

// CreateKBEntry files a hand-written entry. EFORBIDDEN for non-staff;
// EINVALID names bad fields.
func (s *Service) CreateKBEntry(ctx context.Context, actor *Person, in KBInput) (*KBEntry, error) {
	if err := kbStaff(actor); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	e := &KBEntry{Title: in.Title, Body: in.Body, CategoryPath: in.CategoryPath, AuthorID: actor.ID, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateKBEntry(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// KBDraft is what an entry filed from ticket number would hold: its
// summary as the title (cut to 200 characters), its solution as the body
// and its category. ENOTFOUND/EFORBIDDEN as Ticket; ECONFLICT when the
// ticket is not resolved (or archived), has no solution, or was filed
// already (Args.ID names that entry).
func (s *Service) KBDraft(ctx context.Context, actor *Person, number string) (KBInput, *Ticket, error) {
	if err := kbStaff(actor); err != nil {
		return KBInput{}, nil, err
	}
	t, err := s.ticketFor(ctx, actor, number, false)
	if err != nil {
		return KBInput{}, nil, err
	}
	if t.Status != StatusResolved && t.Status != StatusArchived {
		return KBInput{}, t, Keyed(ECONFLICT, "kb_not_resolved", map[string]any{"Number": t.Number, "Status": t.Status}, "ticket %s is %s: only a resolved ticket's solution goes into the knowledge base", t.Number, t.Status)
	}
	if strings.TrimSpace(t.Solution) == "" {
		return KBInput{}, t, Keyed(ECONFLICT, "kb_no_solution", map[string]any{"Number": t.Number}, "ticket %s has no solution to file", t.Number)
	}
	page, err := s.store.KBEntries(ctx, KBFilter{TicketID: t.ID, Limit: 1})
	if err != nil {
		return KBInput{}, t, err
	}
	if len(page.Entries) > 0 {
		ref := page.Entries[0].Ref()
		return KBInput{}, t, Keyed(ECONFLICT, "kb_filed", map[string]any{"Number": t.Number, "ID": ref}, "ticket %s is in the knowledge base already as %s", t.Number, ref)
	}
	// An entry is shown to every reporter whose problem looks the same:
	// the ticket's personal data stays behind (DESIGN §10).
	title := []rune(ScrubPersonal(strings.TrimSpace(t.Summary), t))
	if len(title) > maxKBTitle {
		title = append(title[:maxKBTitle-1], '…')
	}
	return KBInput{Title: string(title), Body: ScrubPersonal(strings.TrimSpace(t.Solution), t), CategoryPath: t.CategoryPath}, t, nil
}

// KBFromTicket files a resolved ticket's solution in the knowledge base
// (seed 004 N 整理入库): in, when not nil, is the entry as staff edited it
// from KBDraft; nil files the draft as it is. Errors as KBDraft and
// CreateKBEntry.
func (s *Service) KBFromTicket(ctx context.Context, actor *Person, number string, in *KBInput) (*KBEntry, error) {
	draft, t, err := s.KBDraft(ctx, actor, number)
	if err != nil {
		return nil, err
	}
	if in != nil {
		draft = *in
	}
	if err := draft.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	e := &KBEntry{Title: draft.Title, Body: draft.Body, CategoryPath: draft.CategoryPath, TicketID: t.ID, Number: t.Number,
		AuthorID: actor.ID, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateKBEntry(ctx, e); ErrorCode(err) == ECONFLICT {
		// Filed by someone else since KBDraft looked: say as which entry.
		if _, _, derr := s.KBDraft(ctx, actor, number); derr != nil {
			return nil, derr
		}
		return nil, err
	} else if err != nil {
		return nil, err
	}
	return e, nil
}

// KBEntry returns an entry. EFORBIDDEN for non-staff; ENOTFOUND.
func (s *Service) KBEntry(ctx context.Context, actor *Person, id int64) (*KBEntry, error) {
	if err := kbStaff(actor); err != nil {
		return nil, err
	}
	e, err := s.store.KBEntry(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, kbNotFound(id)
	}
	return e, err
}

// UpdateKBEntry rewrites an entry. version, when not 0, is the version
// the writer read: ECONFLICT when the entry changed since. EFORBIDDEN;
// ENOTFOUND; EINVALID as CreateKBEntry.
func (s *Service) UpdateKBEntry(ctx context.Context, actor *Person, id, version int64, in KBInput) (*KBEntry, error) {
	e, err := s.KBEntry(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if version != 0 && version != e.Version {
		return nil, Keyed(ECONFLICT, "kb_changed", map[string]any{"ID": e.Ref()}, "%s was changed by someone else; reload it", e.Ref())
	}
	e.Title, e.Body, e.CategoryPath, e.UpdatedAt = in.Title, in.Body, in.CategoryPath, s.now()
	if err := s.store.UpdateKBEntry(ctx, e); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return nil, Keyed(ECONFLICT, "kb_changed", map[string]any{"ID": e.Ref()}, "%s was changed by someone else; reload it", e.Ref())
		}
		return nil, err
	}
	return e, nil
}

// DeleteKBEntry removes an entry: it is no longer suggested. EFORBIDDEN;
// ENOTFOUND.
func (s *Service) DeleteKBEntry(ctx context.Context, actor *Person, id int64) error {
	if err := kbStaff(actor); err != nil {
		return err
	}
	err := s.store.DeleteKBEntry(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return kbNotFound(id)
	}
	return err
}

// KBEntries lists entries newest first, one page at a time (f.TicketID
// filters). EFORBIDDEN for non-staff.
func (s *Service) KBEntries(ctx context.Context, actor *Person, f KBFilter) (*KBPage, error) {
	if err := kbStaff(actor); err != nil {
		return nil, err
	}
	return s.store.KBEntries(ctx, f)
}

// SearchKB returns up to limit entries (at most 50) that match query,
// best first: staff's search box. EFORBIDDEN for non-staff.
func (s *Service) SearchKB(ctx context.Context, actor *Person, query string, limit int) ([]*KBEntry, error) {
	if err := kbStaff(actor); err != nil {
		return nil, err
	}
	return s.matchKB(ctx, query, limit, false, nil)
}

// SuggestKB returns up to limit entries (at most 50) that look like the
// reporter's problem, best first: what the intake dialog suggests after
// the summary (DESIGN §2). It needs no role: a reporter sees entries
// only this way. An entry whose answer did not satisfy is not suggested
// (kbDisowned); staff still find it with SearchKB, to rewrite it.
func (s *Service) SuggestKB(ctx context.Context, summary string, limit int) ([]*KBEntry, error) {
	return s.matchKB(ctx, summary, limit, true, s.kbDisowned)
}

// kbDisowned reports whether entry e is an answer its own reporter
// rejected: the first rating of the ticket it was filed from after the
// entry was last written is 不满意 (seed 002; the ticket was reopened, seed
// 003 follows it up). Offering that answer to the next reporter with the
// same problem would only repeat what did not help, even once the ticket
// was answered again and that answer pleased: the entry still holds the
// first. Once staff rewrite the entry (or file it anew from the ticket's
// later answer), its UpdatedAt is after that rating and it is suggested
// again, until a rating after it says otherwise.
func (s *Service) kbDisowned(ctx context.Context, e *KBEntry) (bool, error) {
	if e.TicketID == 0 {
		return false, nil // written by hand: no rating speaks for it
	}
	events, err := s.store.Events(ctx, e.TicketID)
	if err != nil {
		return false, err
	}
	for _, ev := range events {
		if ev.Kind == EventSatisfaction && ev.At.After(e.UpdatedAt) {
			return ev.Data.Satisfaction == SatisfactionUnsatisfied, nil
		}
	}
	return false, nil
}

// Scores (0–1, see kbScore) an entry needs to be found by a search and to
// be suggested to a reporter: a suggestion must look like the problem,
// not merely share a word with it.
const (
	minSearchScore  = 0.2
	minSuggestScore = 0.4
	// kbPage is how many candidates matchKB reads from the store at a time.
	kbPage = 100
	// maxKBRead bounds the candidates one search reads: the best by
	// kbScore. Only a suggestion reads more than one page, when many
	// entries share much with the summary but answer it worse than their
	// kbScore says (long pages, see kbSuggestScore).
	maxKBRead = 1000
)

// matchKB finds the entries that best match query. Chinese has no spaces
// between words, so text is compared as character bigrams (and Latin
// words), which neither SQLite nor Postgres' default text search does for
// Chinese: both stores keep every entry's terms (KBIndexTerms) in an
// index, and return the entries sharing terms with the query ranked by
// kbScore (SearchKBEntries); the scores are worked out here again, from
// the entries' text, and ranked as they were when every entry was read.
// A suggestion is scored by kbSuggestScore, which is never more than
// kbScore: candidates are read until the best limit of them score more
// than any entry not read yet can. skip, when not nil, leaves out the
// matches it reports (asked best first, only until limit are kept).
func (s *Service) matchKB(ctx context.Context, query string, limit int, suggest bool, skip func(context.Context, *KBEntry) (bool, error)) ([]*KBEntry, error) {
	limit = min(max(limit, 1), 50)
	floor := minSearchScore
	if suggest {
		floor = minSuggestScore
	}
	q := kbTerms(query)
	if len(q) == 0 {
		return []*KBEntry{}, nil
	}
	type hit struct {
		e            *KBEntry
		score, bound float64 // its score; its kbScore, the most it can have
	}
	var hits []hit
	read := map[int64]bool{}    // an entry edited between two pages may come twice
	skipped := map[int64]bool{} // skip's answers
	search := KBSearch{Terms: KBQueryTerms(query), MinScore: floor, Limit: kbPage}
	for {
		page, err := s.store.SearchKBEntries(ctx, search)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if read[e.ID] {
				continue
			}
			read[e.ID] = true
			ub, suggested := kbScores(q, e)
			h := hit{e: e, score: ub, bound: ub}
			if suggest {
				h.score = suggested
			}
			if h.score >= floor {
				hits = append(hits, h)
			}
		}
		search.Offset += len(page)
		// The entries not read yet score at most last (-1: none are left),
		// and among those that score exactly last, are older than every
		// entry read whose kbScore is last.
		last := -1.0
		if len(page) == kbPage && search.Offset < maxKBRead {
			last, _ = kbScores(q, page[len(page)-1])
		}
		slices.SortFunc(hits, func(a, b hit) int {
			return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(b.e.ID, a.e.ID)) // newest first among equals
		})
		out := make([]*KBEntry, 0, min(limit, len(hits)))
		for _, h := range hits {
			if len(out) == limit || h.score < last || h.score == last && h.bound > last {
				break // the rest may yet be outranked
			}
			drop, asked := skipped[h.e.ID]
			if !asked && skip != nil {
				if drop, err = skip(ctx, h.e); err != nil {
					return nil, err
				}
				skipped[h.e.ID] = drop
			}
			if !drop {
				out = append(out, h.e)
			}
		}
		if len(out) == limit || last < 0 {
			return out, nil
		}
	}
}

// kbScore says how well an entry answers query terms q, from 0 to 1: the
// larger of the share of q found anywhere in the entry and the share of
// the entry's title found in q (a long summary that contains a short
// title matches it). The stores rank their candidates by it
// (SearchKBEntries).
func kbScore(q, title, all map[string]bool) float64 {
	return max(overlap(q, all), overlap(title, q))
}

// Suggesting is held to more than searching: a reporter is shown the
// entry as the answer to their problem, and two kinds of entry look like
// every problem by the search's measure.
//   - A short title: "登录" is in every summary about logging in. A title
//     of fewer than minTitleTerms terms found in the summary counts only
//     in proportion.
//   - A long body: a page of text holds many of any summary's terms by
//     chance. The share of the summary found in the entry counts less
//     the more terms the entry has beyond kbSpan per term of the summary.
const (
	minTitleTerms = 3
	kbSpan        = 2
)

// kbSuggestScore is kbScore for suggestions (see minTitleTerms, kbSpan);
// it is never more than kbScore.
func kbSuggestScore(q, title, all map[string]bool) float64 {
	inTitle := overlap(title, q) * min(1, float64(len(title))/minTitleTerms)
	cover := overlap(q, all)
	if len(all) > 0 {
		cover *= min(1, math.Sqrt(float64(kbSpan*len(q))/float64(len(all))))
	}
	return max(inTitle, cover)
}

// kbScores returns entry e's kbScore and kbSuggestScore for query terms q.
func kbScores(q map[string]bool, e *KBEntry) (search, suggest float64) {
	title, all := kbEntryTerms(e.Title, e.Body, e.CategoryPath)
	return kbScore(q, title, all), kbSuggestScore(q, title, all)
}

// overlap is the share of a's terms that are in b.
func overlap(a, b map[string]bool) float64 {
	if len(a) == 0 {
		return 0
	}
	n := 0
	for t := range a {
		if b[t] {
			n++
		}
	}
	return float64(n) / float64(len(a))
}

// kbEntryTerms splits an entry into the terms of its title and those of
// all of it (title, solution and category names), which hold the title's.
func kbEntryTerms(title, body string, categoryPath []string) (inTitle, all map[string]bool) {
	return kbTerms(title), kbTerms(title + "\n" + body + "\n" + strings.Join(categoryPath, "\n"))
}

// KBTermsVersion names the way KBIndexTerms splits text. A store keeps
// with each entry the version its terms were made with and, when it
// starts (Migrate), makes again the terms of every entry made with
// another: change it with any change to the terms an entry gets.
const KBTermsVersion = 1

// KBIndexTerms returns the terms a store indexes an entry under (see
// SearchKBEntries): those of its title first, nTitle of them, then those
// only in its solution or category names; each once, sorted within each
// part.
func KBIndexTerms(title, body string, categoryPath []string) (terms []string, nTitle int) {
	inTitle, all := kbEntryTerms(title, body, categoryPath)
	terms = slices.Sorted(maps.Keys(inTitle))
	rest := make([]string, 0, len(all)-len(inTitle))
	for t := range all {
		if !inTitle[t] {
			rest = append(rest, t)
		}
	}
	slices.Sort(rest)
	return append(terms, rest...), len(inTitle)
}

// KBQueryTerms returns the terms of a search (KBSearch.Terms), sorted.
func KBQueryTerms(query string) []string {
	return slices.Sorted(maps.Keys(kbTerms(query)))
}

// kbTerms splits text into search terms: every pair of neighbouring Han
// characters (a lone one by itself), and every run of other letters and
// digits as one lower-case word. "放心房上线 v2" → 放心 心房 房上 上线 v2.
func kbTerms(text string) map[string]bool {
	terms := map[string]bool{}
	var run []rune
	han := false
	flush := func() {
		switch {
		case len(run) == 0:
		case !han:
			terms[strings.ToLower(string(run))] = true
		case len(run) == 1:
			terms[string(run)] = true
		default:
			for i := 0; i+1 < len(run); i++ {
				terms[string(run[i:i+2])] = true
			}
		}
		run = run[:0]
	}
	for _, r := range text {
		isHan := unicode.Is(unicode.Han, r)
		switch {
		case isHan || unicode.IsLetter(r) || unicode.IsDigit(r):
			if len(run) > 0 && isHan != han {
				flush()
			}
			han = isHan
			run = append(run, r)
		default:
			flush()
		}
	}
	flush()
	return terms
}

// Clip cuts text to at most n characters, marking a cut with "…".
func Clip(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)
	return string(r[:n-1]) + "…"
}
