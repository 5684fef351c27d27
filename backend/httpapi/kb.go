package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// kbJSON is a knowledge-base entry as the API shows it.
type kbJSON struct {
	ID        string    `json:"id"` // KB-12
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Category  []string  `json:"category"`
	Ticket    string    `json:"ticket,omitempty"` // the resolved ticket it was filed from
	AuthorID  int64     `json:"author_id,omitempty"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func kbOut(e *backend.KBEntry) *kbJSON {
	cat := e.CategoryPath
	if cat == nil {
		cat = []string{}
	}
	return &kbJSON{ID: e.Ref(), Title: e.Title, Body: e.Body, Category: cat, Ticket: e.Number, AuthorID: e.AuthorID,
		Version: e.Version, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

func kbList(list []*backend.KBEntry) []*kbJSON {
	out := make([]*kbJSON, 0, len(list))
	for _, e := range list {
		out = append(out, kbOut(e))
	}
	return out
}

// kbInputJSON is what POST /api/v1/kb and the from-ticket filing take.
type kbInputJSON struct {
	Title    string   `json:"title"`
	Body     string   `json:"body"`
	Category []string `json:"category"`
}

func (in kbInputJSON) input() backend.KBInput {
	return backend.KBInput{Title: in.Title, Body: in.Body, CategoryPath: in.Category}
}

// listKB: GET /api/v1/kb?q=&cursor=&limit= — newest first, or with q the
// best matches first (at most limit, no cursor). POST /api/v1/kb/search
// does the same with the text out of the URL.
func (s *Server) listKB(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	return s.writeKB(w, r, actor, r.URL.Query())
}

// kbSearchJSON is the body of POST /api/v1/kb/search: the query of GET
// /api/v1/kb out of the URL, as POST /api/v1/tickets/search does for
// tickets — staff search by what a customer wrote, which must not go into
// URLs (DESIGN §10).
type kbSearchJSON struct {
	Q      string `json:"q"`
	Limit  int    `json:"limit"`
	Cursor string `json:"cursor"`
}

// searchKB: POST /api/v1/kb/search {"q", "limit", "cursor"}
func (s *Server) searchKB(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in kbSearchJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	q := url.Values{}
	if in.Q != "" {
		q.Set("q", in.Q)
	}
	if in.Limit != 0 {
		q.Set("limit", strconv.Itoa(in.Limit))
	}
	if in.Cursor != "" {
		q.Set("cursor", in.Cursor)
	}
	return s.writeKB(w, r, actor, q)
}

// writeKB answers with the entries q (GET /api/v1/kb's query) selects.
func (s *Server) writeKB(w http.ResponseWriter, r *http.Request, actor *backend.Person, q url.Values) error {
	f := backend.KBFilter{}
	fe := map[string]string{}
	f.After, f.Limit = pageParams(q, fe)
	query := strings.TrimSpace(q.Get("q"))
	if query != "" && f.After != 0 {
		fe["cursor"] = "a search has no cursor"
	}
	if len(fe) > 0 {
		return &backend.Error{Code: backend.EINVALID, Message: "invalid filter", Fields: fe}
	}
	if query != "" {
		n := f.Limit
		if n == 0 || n > 50 {
			n = 50
		}
		list, err := s.svc.SearchKB(r.Context(), actor, query, n)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"entries": kbList(list)})
		return nil
	}
	page, err := s.svc.KBEntries(r.Context(), actor, f)
	if err != nil {
		return err
	}
	out := map[string]any{"entries": kbList(page.Entries)}
	if page.NextCursor != 0 {
		out["next_cursor"] = strconv.FormatInt(page.NextCursor, 10)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// kbFieldsJSON is a partial entry, for PATCH /api/v1/kb/{id} and for
// filing a ticket's solution with some fields edited: a field left out
// (or null) keeps what the entry (or the draft) has.
type kbFieldsJSON struct {
	Title    *string   `json:"title"`
	Body     *string   `json:"body"`
	Category *[]string `json:"category"`
}

// empty reports whether no field was given.
func (f kbFieldsJSON) empty() bool { return f.Title == nil && f.Body == nil && f.Category == nil }

// over is ki with the fields given replaced.
func (f kbFieldsJSON) over(ki backend.KBInput) backend.KBInput {
	if f.Title != nil {
		ki.Title = *f.Title
	}
	if f.Body != nil {
		ki.Body = *f.Body
	}
	if f.Category != nil {
		ki.CategoryPath = *f.Category
	}
	return ki
}

// checkKB returns the 400 naming every bad field of ki at once: those p
// holds (they could not be decoded) and those the entry's rules refuse;
// nil when p holds none (the service validates ki itself).
func checkKB(ki backend.KBInput, p *problems) error {
	if len(p.fields) == 0 {
		return nil
	}
	_ = p.merge(ki.Validate())
	return p.err("invalid knowledge-base entry")
}

// createKB: POST /api/v1/kb {"title", "body", "category"}
func (s *Server) createKB(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in kbInputJSON
	var p problems
	if err := decodeBody(w, r, &in, &p); err != nil {
		return err
	}
	ki := in.input()
	if err := checkKB(ki, &p); err != nil {
		return err
	}
	e, err := s.svc.CreateKBEntry(r.Context(), actor, ki)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, kbOut(e))
	return nil
}

// kbFromTicket: POST /api/v1/tickets/{number}/kb — files the resolved
// ticket's solution; an empty body takes the ticket's summary, solution
// and category as they are, and the fields of {"title", "body",
// "category"} that are given replace the draft's. A body is empty by
// what it holds, not by its Content-Length: a chunked request has none.
func (s *Server) kbFromTicket(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	ctx, number := r.Context(), r.PathValue("number")
	var in kbFieldsJSON
	var p problems
	sent, err := decodeOptional(w, r, &in, &p)
	if err != nil {
		return err
	}
	var edited *backend.KBInput
	if sent {
		draft, _, err := s.svc.KBDraft(ctx, actor, number)
		if err != nil {
			return err
		}
		ki := in.over(draft)
		if err := checkKB(ki, &p); err != nil {
			return err
		}
		edited = &ki
	}
	e, err := s.svc.KBFromTicket(ctx, actor, number, edited)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, kbOut(e))
	return nil
}

func kbID(r *http.Request) (int64, error) {
	id, ok := backend.ParseKBRef(r.PathValue("id"))
	if !ok {
		return 0, backend.Errorf(backend.ENOTFOUND, "knowledge-base entry %q not found", r.PathValue("id"))
	}
	return id, nil
}

// getKB: GET /api/v1/kb/{id} (KB-12 or 12)
func (s *Server) getKB(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	id, err := kbID(r)
	if err != nil {
		return err
	}
	e, err := s.svc.KBEntry(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, kbOut(e))
	return nil
}

// patchKB: PATCH /api/v1/kb/{id} {"title", "body", "category", "version"}:
// the fields given replace the entry's and the others stay as they are;
// with version, a 409 when the entry changed since that version was
// read. A body naming no field is a 400: there is nothing to change.
func (s *Server) patchKB(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	id, err := kbID(r)
	if err != nil {
		return err
	}
	var in struct {
		kbFieldsJSON
		Version int64 `json:"version"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.empty() {
		return &backend.Error{Code: backend.EINVALID, Message: "nothing to change: give title, body or category"}
	}
	e, err := s.svc.KBEntry(r.Context(), actor, id)
	if err != nil {
		return err
	}
	version := in.Version
	if version == 0 {
		version = e.Version // what this request read
	}
	e, err = s.svc.UpdateKBEntry(r.Context(), actor, id, version,
		in.over(backend.KBInput{Title: e.Title, Body: e.Body, CategoryPath: e.CategoryPath}))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, kbOut(e))
	return nil
}

// deleteKB: DELETE /api/v1/kb/{id} — 204; the entry is no longer suggested.
func (s *Server) deleteKB(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	id, err := kbID(r)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteKBEntry(r.Context(), actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
