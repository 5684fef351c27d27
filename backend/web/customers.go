package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/size"
)

// The Customers page (/console/customers), the customer directory of
// seed 001: staff look a caller up by phone and see what the complaint
// dialog shows (the customer, their latest orders and complaints); admins
// import the directory from the CRM's CSV exports, as `deskbot customers
// import` does. The phone travels in a POST body, never in a URL (DESIGN
// §10).

// maxImportBytes bounds an import's upload (both files and the form).
const maxImportBytes = 16 << 20

type customersData struct {
	*req
	R        *req
	Title    string
	Phone    string
	Card     *backend.CustomerCard
	NotFound bool
	Import   bool // the reader may import
	Done     string
	Error    string
}

// Customers reports whether the signed-in person may open the Customers
// page: whoever handles tickets.
func (r *req) Customers() bool { return r.Me.Handles() }

func (c *Console) loadCustomers(_ context.Context, rq *req) (*customersData, error) {
	if !rq.Customers() {
		return nil, backend.Keyed(backend.EFORBIDDEN, "customers_staff", nil, "only staff may look customers up")
	}
	return &customersData{req: rq, R: rq, Title: c.tr.T(rq.Loc, "web.customers.title", nil), Import: rq.Me.HasRole(backend.RoleAdmin)}, nil
}

// customersLookup: POST /console/customers/lookup (phone).
func (c *Console) customersLookup(w http.ResponseWriter, r *http.Request, rq *req) {
	phone := strings.TrimSpace(r.PostFormValue("phone"))
	card, err := c.svc.LookupCustomer(r.Context(), rq.Me, phone)
	notFound := backend.ErrorCode(err) == backend.ENOTFOUND
	if notFound {
		err = nil
	}
	after(c, w, r, rq, "customers", c.loadCustomers, err, func(d *customersData) {
		d.Phone, d.Card, d.NotFound = phone, card, notFound
	}, func(d *customersData, why string) { d.Phone, d.Error = phone, why })
}

// customersImport: POST /console/customers/import, multipart with the
// CRM's exports as files "customers" and "orders" (either may be left out).
func (c *Console) customersImport(w http.ResponseWriter, r *http.Request, rq *req) {
	var (
		cs     []*backend.Customer
		orders []*backend.Order
		res    backend.CustomerImport
	)
	err := readUpload(r, "customers", func(f io.Reader) (err error) { cs, err = backend.ParseCustomersCSV(f); return err })
	if err == nil {
		err = readUpload(r, "orders", func(f io.Reader) (err error) { orders, err = backend.ParseOrdersCSVIn(f, c.svc.Location()); return err })
	}
	if err == nil && len(cs) == 0 && len(orders) == 0 {
		err = backend.Invalid("no file to import", "customers", "no file", backend.Problem{Key: "import_empty"})
	}
	if err == nil {
		res, err = c.svc.ImportCustomers(r.Context(), rq.Me, cs, orders)
	}
	after(c, w, r, rq, "customers", c.loadCustomers, err, func(d *customersData) {
		d.Done = c.tr.T(rq.Loc, "web.customers.imported", map[string]any{"Customers": res.Customers, "Orders": res.Orders})
	}, func(d *customersData, why string) { d.Error = why })
}

// readUpload reads the file of form field name, if one was sent.
func readUpload(r *http.Request, name string, read func(io.Reader) error) error {
	f, _, err := r.FormFile(name)
	if errors.Is(err, http.ErrMissingFile) {
		return nil
	}
	if err != nil {
		return backend.Invalid("unreadable upload: "+err.Error(), name, "unreadable upload", backend.Problem{Key: "upload"})
	}
	defer f.Close()
	return read(f)
}

// limitBody caps a request's body before anything reads it (the CSRF
// check parses the form): past max the answer is 413, in the reader's
// language. Without a session nothing is read at all.
func (c *Console) limitBody(max int64, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := c.auth.session(r); !ok { // nobody signed in: nothing is read
			http.Error(w, c.tr.T(acceptLocale(r), "web.err.sign_in", nil), http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			var tooBig *http.MaxBytesError
			if err := r.ParseMultipartForm(1 << 20); errors.As(err, &tooBig) {
				http.Error(w, c.tr.T(acceptLocale(r), "web.err.too_large", map[string]any{"Max": size.Text(max)}), http.StatusRequestEntityTooLarge)
				return
			}
		}
		next(w, r)
	}
}
