package storetest

import (
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// customerByPhone reads the customer with a number, or fails tb.
func customerByPhone(tb testing.TB, s backend.Store, digits string) *backend.Customer {
	tb.Helper()
	c, err := s.CustomerByPhone(tb.Context(), digits)
	must(tb, err)
	return c
}

func customerOrders(tb testing.TB, s backend.Store, customerID int64, limit int) []*backend.Order {
	tb.Helper()
	os, err := s.CustomerOrders(tb.Context(), customerID, limit)
	must(tb, err)
	if os == nil {
		tb.Fatalf("CustomerOrders(%d) = nil, want a list", customerID)
	}
	return os
}

func orderNumbers(os []*backend.Order) []string {
	out := make([]string, 0, len(os))
	for _, o := range os {
		out = append(out, o.Number)
	}
	return out
}

func testCustomers(t *testing.T, newStore NewStoreFunc) {
	at := time.Date(2026, 5, 5, 9, 30, 0, 123456789, cst)
	t.Run("Put", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		inClock := clockRange(t)
		owner := createPerson(t, s, "sales", 0, backend.RoleManager)
		c1 := &backend.Customer{Code: "C001", Name: "华东五金有限公司", Phones: []string{"13800138000", "01062345678"}, OwnerID: owner.ID, UpdatedAt: at}
		c2 := &backend.Customer{Code: "C002", Name: "张先生", Phones: []string{"13900139000"}}
		o1 := &backend.Order{Number: "20080505003", CustomerCode: "C001", Product: "螺丝刀 × 5000", Status: "已出货",
			OrderedAt: at, ShippedAt: at.Add(72 * time.Hour), WarrantyUntil: at.AddDate(1, 0, 0)}
		o2 := &backend.Order{Number: "20080601001", CustomerCode: "C001", Product: "扳手", Status: "已接单", OrderedAt: at.AddDate(0, 1, 0)}
		o3 := &backend.Order{Number: "20080601002", CustomerCode: "C002", OrderedAt: at}
		must(t, s.PutCustomers(ctx, []*backend.Customer{c1, c2}, []*backend.Order{o1, o2, o3}))
		if c1.ID == 0 || c2.ID == 0 || c1.ID == c2.ID {
			t.Fatalf("IDs not set: %d, %d", c1.ID, c2.ID)
		}
		equal(t, "UpdatedAt as set", c1.UpdatedAt, norm(at))
		inClock("UpdatedAt by the store", c2.UpdatedAt)
		equal(t, "orders' CustomerID", []int64{o1.CustomerID, o2.CustomerID, o3.CustomerID}, []int64{c1.ID, c1.ID, c2.ID})

		got := customerByPhone(t, s, "01062345678")
		equal(t, "CustomerByPhone", got, &backend.Customer{ID: c1.ID, Code: "C001", Name: "华东五金有限公司",
			Phones: []string{"13800138000", "01062345678"}, OwnerID: owner.ID, UpdatedAt: norm(at)})
		equal(t, "without owner", customerByPhone(t, s, "13900139000"), c2)
		_, err := s.CustomerByPhone(ctx, "13700137000")
		wantCode(t, err, backend.ENOTFOUND)

		// Newest first, the highest number first among equals; times as
		// the store keeps them, CustomerCode filled.
		want1 := &backend.Order{Number: o1.Number, CustomerID: c1.ID, CustomerCode: "C001", Product: o1.Product, Status: o1.Status,
			OrderedAt: norm(at), ShippedAt: norm(at.Add(72 * time.Hour)), WarrantyUntil: norm(at.AddDate(1, 0, 0))}
		want2 := &backend.Order{Number: o2.Number, CustomerID: c1.ID, CustomerCode: "C001", Product: "扳手", Status: "已接单", OrderedAt: norm(at.AddDate(0, 1, 0))}
		equal(t, "orders", customerOrders(t, s, c1.ID, 0), []*backend.Order{want2, want1})
		equal(t, "limit", orderNumbers(customerOrders(t, s, c1.ID, 1)), []string{o2.Number})
		same := &backend.Order{Number: "20080505002", CustomerCode: "C001", OrderedAt: at}
		must(t, s.PutCustomers(ctx, nil, []*backend.Order{same}))
		equal(t, "same time", orderNumbers(customerOrders(t, s, c1.ID, 0)), []string{o2.Number, o1.Number, same.Number})
		equal(t, "no orders", customerOrders(t, s, missing, 0), []*backend.Order{})

		// Again, matched on the code: the name, owner and phones are
		// replaced; a number C002 had moves to C001; an order moves and
		// changes; an order of a stored customer not listed is fine.
		again := &backend.Customer{Code: "C001", Name: "华东五金", Phones: []string{"13900139000", "13700137000", "13700137000"}}
		moved := &backend.Order{Number: o3.Number, CustomerCode: "C001", Status: "已退货", OrderedAt: at.Add(time.Hour)}
		stored := &backend.Order{Number: "20080701001", CustomerCode: "C002", OrderedAt: at}
		must(t, s.PutCustomers(ctx, []*backend.Customer{again}, []*backend.Order{moved, stored}))
		equal(t, "same ID", again.ID, c1.ID)
		inClock("UpdatedAt on update", again.UpdatedAt)
		equal(t, "stored customer's ID", stored.CustomerID, c2.ID)
		got = customerByPhone(t, s, "13900139000")
		equal(t, "updated", got, &backend.Customer{ID: c1.ID, Code: "C001", Name: "华东五金", Phones: []string{"13900139000", "13700137000"},
			UpdatedAt: again.UpdatedAt})
		for _, old := range []string{"13800138000", "01062345678"} {
			_, err := s.CustomerByPhone(ctx, old)
			wantCode(t, err, backend.ENOTFOUND)
		}
		equal(t, "orders after", orderNumbers(customerOrders(t, s, c1.ID, 0)), []string{o2.Number, moved.Number, o1.Number, same.Number})
		equal(t, "moved order", customerOrders(t, s, c1.ID, 0)[1], &backend.Order{Number: o3.Number, CustomerID: c1.ID, CustomerCode: "C001",
			Status: "已退货", OrderedAt: norm(at.Add(time.Hour))})
		equal(t, "C002's orders", orderNumbers(customerOrders(t, s, c2.ID, 0)), []string{stored.Number})
		must(t, s.PutCustomers(ctx, nil, nil))
	})
	t.Run("ErrUnknownCustomer", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		must(t, s.PutCustomers(ctx, []*backend.Customer{{Code: "C001", Name: "甲", Phones: []string{"13800138000"}}}, nil))
		c := &backend.Customer{Code: "C002", Name: "乙", Phones: []string{"13900139000"}}
		ok := &backend.Order{Number: "A-0001", CustomerCode: "C001", OrderedAt: at}
		bad := &backend.Order{Number: "A-0002", CustomerCode: "C404", OrderedAt: at}
		err := s.PutCustomers(ctx, []*backend.Customer{c}, []*backend.Order{ok, c2order(at), bad})
		wantCode(t, err, backend.EINVALID)
		if f := backend.ErrorFields(err); f["orders[2].customer"] == "" || len(f) != 1 {
			t.Fatalf("fields %v, want orders[2].customer", f)
		}
		// Nothing is written, and nothing passed in changes.
		_, err = s.CustomerByPhone(ctx, "13900139000")
		wantCode(t, err, backend.ENOTFOUND)
		if c.ID != 0 || !c.UpdatedAt.IsZero() || ok.CustomerID != 0 {
			t.Fatalf("changed on failure: %s, %s", dump(c), dump(ok))
		}
		c1 := customerByPhone(t, s, "13800138000")
		equal(t, "orders", customerOrders(t, s, c1.ID, 0), []*backend.Order{})
	})
	t.Run("ErrOwner", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		good := &backend.Customer{Code: "C001", Name: "甲", Phones: []string{"13800138000"}}
		bad := &backend.Customer{Code: "C002", Name: "乙", Phones: []string{"13900139000"}, OwnerID: missing}
		o := &backend.Order{Number: "A-0001", CustomerCode: "C001", OrderedAt: at}
		err := s.PutCustomers(ctx, []*backend.Customer{good, bad}, []*backend.Order{o})
		wantCode(t, err, backend.EINVALID)
		for _, p := range []string{"13800138000", "13900139000"} {
			_, err = s.CustomerByPhone(ctx, p)
			wantCode(t, err, backend.ENOTFOUND)
		}
		if good.ID != 0 || bad.ID != 0 || !good.UpdatedAt.IsZero() || o.CustomerID != 0 {
			t.Fatalf("changed on failure: %s, %s", dump(good), dump(o))
		}
	})
	t.Run("TicketFilter", func(t *testing.T) {
		ctx, s := setup(t, newStore)
		rep := createPerson(t, s, "rep", 0, backend.RoleReporter)
		mk := func(form, phone string) *backend.Ticket {
			tk := minimalTicket(rep.ID)
			tk.Form, tk.Contacts.Phone = form, phone
			return createTicket(t, s, tk, "CP", day)
		}
		landline := mk(backend.FormComplaint, "010-62345678")
		mobile := mk(backend.FormComplaint, "13800138000")
		feedback := mk(backend.FormFeedback, "13800138000")
		other := mk(backend.FormComplaint, "13900139000")
		none := mk(backend.FormComplaint, "")
		suggestion := mk(backend.FormSuggestion, "")
		for _, tc := range []struct {
			name string
			f    backend.TicketFilter
			want []*backend.Ticket
		}{
			{"form", backend.TicketFilter{Form: backend.FormComplaint}, []*backend.Ticket{none, other, mobile, landline}},
			{"other form", backend.TicketFilter{Form: backend.FormSuggestion}, []*backend.Ticket{suggestion}},
			{"phone", backend.TicketFilter{PhoneDigits: []string{"13800138000"}}, []*backend.Ticket{feedback, mobile}},
			{"phone without dashes", backend.TicketFilter{PhoneDigits: []string{"01062345678", "13900139000"}}, []*backend.Ticket{other, landline}},
			{"both", backend.TicketFilter{Form: backend.FormComplaint, PhoneDigits: []string{"13800138000", "01062345678"}}, []*backend.Ticket{mobile, landline}},
			{"an empty number matches no ticket without a phone", backend.TicketFilter{PhoneDigits: []string{""}}, nil},
			{"a number written with dashes is not digits", backend.TicketFilter{PhoneDigits: []string{"010-62345678"}}, nil},
			{"part of a number", backend.TicketFilter{PhoneDigits: []string{"1380013800"}}, nil},
			{"limit", backend.TicketFilter{Form: backend.FormComplaint, PhoneDigits: []string{"13800138000", "01062345678"}, Limit: 1}, []*backend.Ticket{mobile}},
		} {
			page, err := s.Tickets(ctx, tc.f)
			must(t, err)
			if len(page.Tickets) == 0 && len(tc.want) == 0 {
				continue
			}
			equal(t, tc.name, ticketIDs(page.Tickets), ticketIDs(tc.want))
		}
	})
}

// c2order is an order of a customer listed in the same call (C002).
func c2order(at time.Time) *backend.Order {
	return &backend.Order{Number: "A-0003", CustomerCode: "C002", OrderedAt: at}
}
