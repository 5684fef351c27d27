package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// The customer directory (DESIGN §2, seed 001): admins import it from the
// CRM; staff, and a customer's own account manager, look a caller up by
// phone. The number travels in a body, never in a URL (DESIGN §10).
//
//	PUT  /api/v1/customers         {"customers": […], "orders": […]} (admins)
//	POST /api/v1/customers/lookup  {"phone": "138 0013 8000"}: the customer's card
//	GET  /api/v1/customers/lookup  refused (400): the number would be in the URL

// customerInputJSON is one customer of PUT /api/v1/customers.
type customerInputJSON struct {
	Code    string   `json:"code"`
	Name    string   `json:"name"`
	Phones  []string `json:"phones"`
	OwnerID int64    `json:"owner_id"`
}

// orderInputJSON is one order of PUT /api/v1/customers; dates are
// 2026-11-25 (a day in the service's zone) or RFC 3339.
type orderInputJSON struct {
	Number        string `json:"number"`
	Customer      string `json:"customer"` // the customer's code
	Product       string `json:"product"`
	Status        string `json:"status"`
	OrderedAt     string `json:"ordered_at"`
	ShippedAt     string `json:"shipped_at"`
	WarrantyUntil string `json:"warranty_until"`
}

// customersInputJSON is the body of PUT /api/v1/customers.
type customersInputJSON struct {
	Customers []customerInputJSON `json:"customers"`
	Orders    []orderInputJSON    `json:"orders"`
}

// putCustomers: PUT /api/v1/customers — inserts or updates customers by
// code and orders by number (backend.ImportCustomers); 200
// {"customers": n, "orders": m}. One bad row imports nothing, and every
// bad field is named ("customers[2].phones", "orders[0].ordered_at").
func (s *Server) putCustomers(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	if err := backend.MayImportCustomers(actor); err != nil {
		return err
	}
	var in customersInputJSON
	var p problems
	if err := decodeBody(w, r, &in, &p); err != nil {
		return err
	}
	cs := make([]*backend.Customer, 0, len(in.Customers))
	for _, c := range in.Customers {
		cs = append(cs, &backend.Customer{Code: c.Code, Name: c.Name, Phones: c.Phones, OwnerID: c.OwnerID})
	}
	orders := make([]*backend.Order, 0, len(in.Orders))
	for i, o := range in.Orders {
		x := &backend.Order{Number: o.Number, CustomerCode: o.Customer, Product: o.Product, Status: o.Status}
		for _, d := range []struct {
			name, value string
			t           *time.Time
		}{{"ordered_at", o.OrderedAt, &x.OrderedAt}, {"shipped_at", o.ShippedAt, &x.ShippedAt}, {"warranty_until", o.WarrantyUntil, &x.WarrantyUntil}} {
			t, err := backend.ParseOrderTime(d.value, s.svc.Location())
			if err != nil {
				p.add("orders["+strconv.Itoa(i)+"]."+d.name, "must be a date like 2026-11-25 or an RFC 3339 time like 2026-11-25T14:30:00+08:00")
			}
			*d.t = t
		}
		orders = append(orders, x)
	}
	if len(p.fields) > 0 {
		_ = p.merge(backend.ValidateImport(cs, orders))
		return p.err("invalid customer directory")
	}
	res, err := s.svc.ImportCustomers(r.Context(), actor, cs, orders)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"customers": res.Customers, "orders": res.Orders})
	return nil
}

// cardCustomerJSON is the customer of a card.
type cardCustomerJSON struct {
	Code    string   `json:"code"`
	Name    string   `json:"name"`
	Phones  []string `json:"phones"`
	OwnerID int64    `json:"owner_id,omitempty"`
}

// orderJSON is an order of a card; dates that did not happen are left out.
type orderJSON struct {
	Number        string     `json:"number"`
	Product       string     `json:"product"`
	Status        string     `json:"status"`
	OrderedAt     time.Time  `json:"ordered_at"`
	ShippedAt     *time.Time `json:"shipped_at,omitempty"`
	WarrantyUntil *time.Time `json:"warranty_until,omitempty"`
}

// cardComplaintJSON is a complaint of a card.
type cardComplaintJSON struct {
	Number    string         `json:"number"`
	Status    backend.Status `json:"status"`
	Summary   string         `json:"summary"`
	CreatedAt time.Time      `json:"created_at"`
}

// cardJSON is the answer of POST /api/v1/customers/lookup.
type cardJSON struct {
	Customer   cardCustomerJSON    `json:"customer"`
	Orders     []orderJSON         `json:"orders"`
	Complaints []cardComplaintJSON `json:"complaints"`
}

func cardOut(c *backend.CustomerCard) *cardJSON {
	out := &cardJSON{
		Customer: cardCustomerJSON{Code: c.Customer.Code, Name: c.Customer.Name, Phones: c.Customer.Phones, OwnerID: c.Customer.OwnerID},
		Orders:   make([]orderJSON, 0, len(c.Orders)), Complaints: make([]cardComplaintJSON, 0, len(c.Complaints)),
	}
	if out.Customer.Phones == nil {
		out.Customer.Phones = []string{}
	}
	for _, o := range c.Orders {
		out.Orders = append(out.Orders, orderJSON{Number: o.Number, Product: o.Product, Status: o.Status, OrderedAt: o.OrderedAt,
			ShippedAt: optTime(o.ShippedAt), WarrantyUntil: optTime(o.WarrantyUntil)})
	}
	for _, t := range c.Complaints {
		out.Complaints = append(out.Complaints, cardComplaintJSON{Number: t.Number, Status: t.Status, Summary: t.Summary, CreatedAt: t.CreatedAt})
	}
	return out
}

// lookupInputJSON is the body of POST /api/v1/customers/lookup.
type lookupInputJSON struct {
	Phone string `json:"phone"`
}

// lookupCustomer: POST /api/v1/customers/lookup {"phone"} — the card of
// the customer with that number, written any way (+86 138 0013 8000,
// 010-62345678): the customer, their latest orders and complaints,
// newest first. 404 when no customer has the number, and when the caller
// may not see the customer (neither staff nor its account manager).
func (s *Server) lookupCustomer(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in lookupInputJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Phone) == "" {
		return invalid("phone", "required")
	}
	card, err := s.svc.LookupCustomer(r.Context(), actor, in.Phone)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cardOut(card))
	return nil
}

// lookupInURL: GET /api/v1/customers/lookup — refused whatever the query,
// so that a client learns to send the number in a body instead of
// leaving it in proxies' and servers' logs.
func (s *Server) lookupInURL(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	return invalid("phone", "a phone number must not go into a URL (proxies and servers log URLs): POST /api/v1/customers/lookup with {\"phone\": \"…\"}")
}
