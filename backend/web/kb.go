package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/deskbot/deskbot/backend"
)

// The knowledge-base pages (DESIGN §3 Archive, seed 004 N 整理入库): the
// list with its search box and a form for a new entry, one entry with its
// edit form, and filing a resolved ticket's solution from the ticket page.
// The service checks every role.

type kbListData struct {
	*req
	R       *req
	Title   string
	Query   string
	Entries []*backend.KBEntry
	Next    int64 // cursor of the next page, 0 on the last
	New     kbForm
	Error   string
}

// kbForm is an entry's form as it was last sent, kept after an error.
type kbForm struct {
	Title, Body, Category string
}

func kbFormOf(e *backend.KBEntry) kbForm {
	return kbForm{Title: e.Title, Body: e.Body, Category: strings.Join(e.CategoryPath, " / ")}
}

func (f kbForm) input() backend.KBInput {
	in := backend.KBInput{Title: f.Title, Body: f.Body}
	if strings.TrimSpace(f.Category) != "" {
		for _, c := range strings.Split(f.Category, "/") {
			in.CategoryPath = append(in.CategoryPath, strings.TrimSpace(c))
		}
	}
	return in
}

func postedKB(r *http.Request) kbForm {
	return kbForm{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Category: r.PostFormValue("category")}
}

func (c *Console) loadKBList(ctx context.Context, rq *req, query string, after int64) (*kbListData, error) {
	d := &kbListData{req: rq, R: rq, Title: c.tr.T(rq.Loc, "web.kb.title", nil), Query: query}
	if query != "" {
		list, err := c.svc.SearchKB(ctx, rq.Me, query, 50)
		if err != nil {
			return nil, err
		}
		d.Entries = list
		return d, nil
	}
	page, err := c.svc.KBEntries(ctx, rq.Me, backend.KBFilter{After: after})
	if err != nil {
		return nil, err
	}
	d.Entries, d.Next = page.Entries, page.NextCursor
	return d, nil
}

// kbList: GET /console/kb?after=… pages through the entries; with qs
// (kbURL) it shows a search's best matches. The search text comes sealed,
// as the queue's does (console.go): staff may search by what a customer
// wrote, which must not be readable in a URL (DESIGN §10). A plain q, from
// an old bookmark, is sent on to its sealed address.
func (c *Console) kbList(w http.ResponseWriter, r *http.Request, rq *req) {
	form := r.URL.Query()
	if form.Has("q") {
		http.Redirect(w, r, c.kbURL(rq.Me, form.Get("q")), http.StatusSeeOther)
		return
	}
	q := ""
	if qs := form.Get("qs"); qs != "" {
		var ok bool
		if q, ok = c.openQuery(kbSearchPurpose, rq.Me, qs); !ok {
			c.fail(w, r, rq, backend.Keyed(backend.EINVALID, "search_link", nil, "not a search link made for this person by this console, or expired"))
			return
		}
	}
	after, _ := backend.ParseKBRef(form.Get("after"))
	d, err := c.loadKBList(r.Context(), rq, strings.TrimSpace(q), after)
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	c.pages.Render(w, http.StatusOK, "kb", "page", d)
}

// kbSearch: POST /console/kb/search — the search box, posted so its text
// stays out of the URL, redirected to the list at its sealed address.
func (c *Console) kbSearch(w http.ResponseWriter, r *http.Request, rq *req) {
	http.Redirect(w, r, c.kbURL(rq.Me, r.PostFormValue("q")), http.StatusSeeOther)
}

// kbURL is the address of the knowledge-base list searching for q, sealed
// for me; the plain list when q is empty.
func (c *Console) kbURL(me *backend.Person, q string) string {
	if q = strings.TrimSpace(q); q == "" {
		return "/console/kb"
	}
	return "/console/kb?" + url.Values{"qs": {c.sealQuery(kbSearchPurpose, me, q)}}.Encode()
}

// kbCreate: POST /console/kb — a hand-written entry.
func (c *Console) kbCreate(w http.ResponseWriter, r *http.Request, rq *req) {
	form := postedKB(r)
	e, err := c.svc.CreateKBEntry(r.Context(), rq.Me, form.input())
	if err == nil {
		http.Redirect(w, r, kbPath(e.ID), http.StatusSeeOther)
		return
	}
	d, lerr := c.loadKBList(r.Context(), rq, "", 0)
	if lerr != nil {
		c.fail(w, r, rq, lerr)
		return
	}
	d.New, d.Error = form, c.errorText(rq, "kb", err)
	c.pages.Render(w, StatusOf(err), "kb", "page", d)
}

// kbFromTicket: POST /console/kb/from/{number} — files the resolved
// ticket's solution as it is and opens the entry to edit it.
func (c *Console) kbFromTicket(w http.ResponseWriter, r *http.Request, rq *req) {
	e, err := c.svc.KBFromTicket(r.Context(), rq.Me, r.PathValue("number"), nil)
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, kbPath(e.ID), http.StatusSeeOther)
}

func kbPath(id int64) string { return "/console/kb/" + url.PathEscape(backend.KBRef(id)) }

type kbEntryData struct {
	*req
	R      *req
	Title  string
	E      *backend.KBEntry
	Form   kbForm
	Author string
	Error  string
}

func (c *Console) loadKBEntry(ctx context.Context, rq *req, ref string) (*kbEntryData, error) {
	id, ok := backend.ParseKBRef(ref)
	if !ok {
		return nil, backend.Keyed(backend.ENOTFOUND, "kb", map[string]any{"ID": ref}, "knowledge-base entry %q not found", ref)
	}
	e, err := c.svc.KBEntry(ctx, rq.Me, id)
	if err != nil {
		return nil, err
	}
	d := &kbEntryData{req: rq, R: rq, Title: e.Ref() + " " + e.Title, E: e, Form: kbFormOf(e)}
	if p, err := c.svc.Store().Person(ctx, e.AuthorID); err == nil {
		d.Author = p.Name
	}
	return d, nil
}

// kbEntry: GET /console/kb/{id}
func (c *Console) kbEntry(w http.ResponseWriter, r *http.Request, rq *req) {
	d, err := c.loadKBEntry(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	c.pages.Render(w, http.StatusOK, "kbentry", "page", d)
}

// kbAct: POST /console/kb/{id}/save (with the version the form showed) or
// /console/kb/{id}/delete.
func (c *Console) kbAct(w http.ResponseWriter, r *http.Request, rq *req) {
	ctx, ref := r.Context(), r.PathValue("id")
	d, err := c.loadKBEntry(ctx, rq, ref)
	if err != nil {
		c.fail(w, r, rq, err)
		return
	}
	switch r.PathValue("action") {
	case "save":
		form := postedKB(r)
		version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
		if _, err = c.svc.UpdateKBEntry(ctx, rq.Me, d.E.ID, version, form.input()); err == nil {
			http.Redirect(w, r, kbPath(d.E.ID), http.StatusSeeOther)
			return
		}
		d.Form = form
	case "delete":
		if err = c.svc.DeleteKBEntry(ctx, rq.Me, d.E.ID); err == nil {
			http.Redirect(w, r, "/console/kb", http.StatusSeeOther)
			return
		}
	default:
		c.fail(w, r, rq, backend.Errorf(backend.ENOTFOUND, "no action %q", r.PathValue("action")))
		return
	}
	d.Error = c.errorText(rq, ref, err)
	c.pages.Render(w, StatusOf(err), "kbentry", "page", d)
}

// errorText is err for the page, logging an internal one with what the
// action was on (a knowledge-base entry, the People page).
func (c *Console) errorText(rq *req, what string, err error) string {
	if StatusOf(err) == http.StatusInternalServerError {
		c.log.Error("web: action failed", "on", what, "err", err)
	}
	return ErrorText(c.tr, rq.Loc, err)
}
