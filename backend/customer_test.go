package backend_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

func TestPhoneDigits(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"13800138000", "13800138000", true},
		{"138 0013 8000", "13800138000", true},
		{"138-0013-8000", "13800138000", true},
		{" (138) 0013.8000 ", "13800138000", true},
		{"１３８００１３８０００", "13800138000", true},
		{"+86 138 0013 8000", "13800138000", true},
		{"+86-13800138000", "13800138000", true},
		{"＋86 13800138000", "13800138000", true},
		{"0086 13800138000", "13800138000", true},
		{"8613800138000", "13800138000", true},
		{"86 138 0013 8000", "13800138000", true},
		{"013800138000", "13800138000", true}, // a 0 dialled first
		{"19912345678", "19912345678", true},
		{"010-62345678", "01062345678", true},
		{"(010) 6234 5678", "01062345678", true},
		{"（0755）1234567", "07551234567", true},
		{"0755-12345678", "075512345678", true},
		{"+86 10 6234 5678", "01062345678", true},
		{"+86 010 6234 5678", "01062345678", true},
		{"0086 21 1234 5678", "02112345678", true},
		{"400-123-4567", "4001234567", true},
		{"800 123 4567", "8001234567", true},
		{"", "", false},
		{"12345678901", "", false},    // 12: no mobile
		{"1380013800", "", false},     // 10 digits
		{"138001380001", "", false},   // 12 digits
		{"62345678", "", false},       // no area code
		{"0062345678", "", false},     // 00 is no area code
		{"010-6234567890", "", false}, // 13 digits
		{"4001234567890", "", false},
		{"+1 415 555 0100", "", false}, // another country
		{"+86 400 123 4567", "", false},
		{"+86 1380013800", "", false},
		{"138 0013 8000 ext. 12", "", false},
		{"13800138000a", "", false},
		{"138+00138000", "", false},
		{"++8613800138000", "", false},
	} {
		got, ok := backend.PhoneDigits(tc.in)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("PhoneDigits(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseOrderTime(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"2026-11-25", time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC)},
		{" 2026/1/5 ", time.Date(2026, 1, 4, 16, 0, 0, 0, time.UTC)},
		{"2026-11-25 14:30", time.Date(2026, 11, 25, 6, 30, 0, 0, time.UTC)},
		{"2026-11-25 14:30:15", time.Date(2026, 11, 25, 6, 30, 15, 0, time.UTC)},
		{"2026-11-25T14:30:00+08:00", time.Date(2026, 11, 25, 6, 30, 0, 0, time.UTC)},
		{"2026-11-25T14:30:00Z", time.Date(2026, 11, 25, 14, 30, 0, 0, time.UTC)},
	} {
		got, err := backend.ParseOrderTime(tc.in, sh)
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("ParseOrderTime(%q) = %v, %v; want %v UTC", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"25.11.2026", "2026-13-01", "2026-11-25 14h", "tomorrow", "2026-02-30"} {
		if got, err := backend.ParseOrderTime(bad, sh); err == nil {
			t.Errorf("ParseOrderTime(%q) = %v, want an error", bad, got)
		}
	}
}

// wantFields fails t unless err is EINVALID naming exactly fields, with
// a catalog problem for each.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	wantCode(t, err, backend.EINVALID)
	got := slices.Sorted(maps.Keys(backend.ErrorFields(err)))
	slices.Sort(fields)
	if !slices.Equal(got, fields) {
		t.Fatalf("fields %v (%v), want %v", got, err, fields)
	}
	var e *backend.Error
	if errors.As(err, &e) {
		for _, f := range fields {
			if e.Problems[f].Key == "" && !strings.HasPrefix(f, "line 1") {
				t.Errorf("%s: no catalog problem (%s)", f, e.Fields[f])
			}
		}
	}
}

func TestParseCustomersCSV(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		in := "\ufeffName,Code,PHONES,owner\r\n" +
			"华东五金有限公司,C001,138 0013 8000; 010-62345678,7\r\n" +
			"\"张先生, 个人\",C002,13900139000 13700137000,telegram:12345\r\n" +
			",,,\r\n" +
			"李女士,C003,+86 136 0013 6000/400-123-4567,Slack:U0123\r\n"
		cs, err := backend.ParseCustomersCSV(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		want := []*backend.Customer{
			{Code: "C001", Name: "华东五金有限公司", Phones: []string{"13800138000", "01062345678"}, OwnerID: 7},
			{Code: "C002", Name: "张先生, 个人", Phones: []string{"13900139000", "13700137000"},
				OwnerAccount: backend.ChatAccount{Platform: "telegram", UserID: "12345"}},
			{Code: "C003", Name: "李女士", Phones: []string{"13600136000", "4001234567"},
				OwnerAccount: backend.ChatAccount{Platform: "slack", UserID: "U0123"}},
		}
		if fmt.Sprint(deref(cs)) != fmt.Sprint(deref(want)) {
			t.Fatalf("got  %v\nwant %v", deref(cs), deref(want))
		}
	})
	t.Run("ErrRows", func(t *testing.T) {
		in := "code,name,phones\n" +
			"C001,甲,13800138000\n" +
			"C002,,12345\n" + // line 3: no name, a bad phone
			"C001,丙,13800138000\n" + // line 4: code and phone of line 2
			"\"C004\nX\",丁,\n" + // lines 5–6: no phone
			",,\n" +
			"C005,,13900139000\n" // line 8: no name
		_, err := backend.ParseCustomersCSV(strings.NewReader(in))
		wantFields(t, err, "line 3.name", "line 3.phones", "line 4.code", "line 4.phones", "line 5.phones", "line 8.name")
		if f := backend.ErrorFields(err); !strings.Contains(f["line 4.code"], "line 2") {
			t.Errorf("duplicate code does not name line 2: %q", f["line 4.code"])
		}
	})
	t.Run("ErrOwner", func(t *testing.T) {
		_, err := backend.ParseCustomersCSV(strings.NewReader("code,name,phones,owner\nC1,甲,13800138000,alice\nC2,乙,13900139000,0\nC3,丙,13700137000,:1\n"))
		wantFields(t, err, "line 2.owner", "line 3.owner", "line 4.owner")
	})
	for _, tc := range []struct{ name, in, field, text string }{
		{"empty", "", "line 1", "empty"},
		{"BOM only", "\ufeff", "line 1", "empty"},
		{"unknown column", "code,name,phone\n", "line 1", `unknown column "phone"`},
		{"missing column", "code,name,owner\n", "line 1", "phones is missing"},
		{"column twice", "code,name,phones,Code\n", "line 1", "twice"},
		{"too many fields", "code,name,phones\nC1,甲,13800138000\nC2,乙,13900139000,x\n", "line 3", "3 columns"},
		{"bad quote", "code,name,phones\nC1,\"甲,13800138000\n", "line 2", "quote"},
	} {
		t.Run("Err"+tc.name, func(t *testing.T) {
			_, err := backend.ParseCustomersCSV(strings.NewReader(tc.in))
			wantCode(t, err, backend.EINVALID)
			if f := backend.ErrorFields(err)[tc.field]; !strings.Contains(f, tc.text) {
				t.Fatalf("%s: %q (%v), want %q", tc.field, f, err, tc.text)
			}
		})
	}
	t.Run("TrailingEmpty", func(t *testing.T) {
		cs, err := backend.ParseCustomersCSV(strings.NewReader("code,name,phones,\nC1,甲,13800138000,,\nC2,乙\n"))
		wantFields(t, err, "line 3.phones") // a short row: the rest is empty
		_ = cs
	})
}

func deref[T any](xs []*T) []T {
	out := make([]T, 0, len(xs))
	for _, x := range xs {
		out = append(out, *x)
	}
	return out
}

func TestParseOrdersCSV(t *testing.T) {
	in := "\ufeffnumber,customer,product,status,ordered_at,shipped_at,warranty_until\n" +
		"20080505003,C001,螺丝刀 × 5000,已出货,2008-05-05,2008-05-12 10:00,2009-05-05\n" +
		"SO-2008-0602,C002,,已接单,2008-06-02T09:00:00+08:00,,\n"
	os, err := backend.ParseOrdersCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	want := []backend.Order{
		{Number: "20080505003", CustomerCode: "C001", Product: "螺丝刀 × 5000", Status: "已出货",
			OrderedAt: day(2008, 5, 4, 16), ShippedAt: day(2008, 5, 12, 2), WarrantyUntil: day(2009, 5, 4, 16)},
		{Number: "SO-2008-0602", CustomerCode: "C002", Status: "已接单", OrderedAt: day(2008, 6, 2, 1)},
	}
	if fmt.Sprint(deref(os)) != fmt.Sprint(want) {
		t.Fatalf("got  %v\nwant %v", deref(os), want)
	}
	// In another zone.
	os, err = backend.ParseOrdersCSVIn(strings.NewReader("number,customer,ordered_at\nA-0001,C1,2026-11-25\n"), time.UTC)
	if err != nil || !os[0].OrderedAt.Equal(day(2026, 11, 25, 0)) {
		t.Fatalf("UTC: %v, %v", os, err)
	}

	t.Run("ErrRows", func(t *testing.T) {
		in := "number,customer,ordered_at,shipped_at,warranty_until,product\n" +
			"A1,C1,2026-11-25,,,\n" + // number too short
			"A-0002,,yesterday,,,\n" + // no customer, a bad date
			"A-0003,C1,,,,\n" + // no date
			"A-0004,C1,2026-11-25,2026-11-24,2026-11-20,\n" + // shipped and warranty before ordered
			"A-0004,C1,2026-11-25,,," + strings.Repeat("x", 501) + "\n" // the number again, a long product
		_, err := backend.ParseOrdersCSV(strings.NewReader(in))
		wantFields(t, err, "line 2.number", "line 3.customer", "line 3.ordered_at", "line 4.ordered_at",
			"line 5.shipped_at", "line 5.warranty_until", "line 6.number", "line 6.product")
		var e *backend.Error
		errors.As(err, &e)
		if p := e.Problems["line 3.ordered_at"].Key; p != "date" {
			t.Errorf("a bad date is %q, want date", p)
		}
	})
	t.Run("ErrHeader", func(t *testing.T) {
		_, err := backend.ParseOrdersCSV(strings.NewReader("number,customer,product\n"))
		if f := backend.ErrorFields(err)["line 1"]; !strings.Contains(f, "ordered_at is missing") {
			t.Fatalf("%v", err)
		}
	})
}

// directory is a fixture with an admin and a customer directory.
type directory struct {
	*fixture
	admin *backend.Person
}

func newDirectory(t *testing.T, store backend.Store) *directory {
	t.Helper()
	d := &directory{fixture: newFixture(t, store), admin: &backend.Person{Name: "root", Roles: []backend.Role{backend.RoleAdmin}}}
	if err := d.svc.CreatePerson(context.Background(), d.admin); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestImportCustomers(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		at := time.Date(2026, 5, 5, 0, 0, 0, 0, time.UTC)
		t.Run("OK", func(t *testing.T) {
			d := newDirectory(t, newStore(t))
			acct := backend.ChatAccount{Platform: "telegram", UserID: "4242", ChatID: "4242"}
			sales := &backend.Person{Name: "sales", Roles: []backend.Role{backend.RoleReporter}, Accounts: []backend.ChatAccount{acct}}
			if err := d.svc.CreatePerson(ctx, sales); err != nil {
				t.Fatal(err)
			}
			cs := []*backend.Customer{
				{Code: " C001 ", Name: " 华东五金 ", Phones: []string{"+86 138 0013 8000", "010-62345678", "13800138000"}, OwnerID: d.manager.ID},
				{Code: "C002", Name: "张先生", Phones: []string{"13900139000"}, OwnerAccount: backend.ChatAccount{Platform: "telegram", UserID: "4242"}},
			}
			orders := []*backend.Order{{Number: "20080505003", CustomerCode: "C001", OrderedAt: at, ShippedAt: at, WarrantyUntil: at.AddDate(1, 0, 0)}}
			res, err := d.svc.ImportCustomers(ctx, d.admin, cs, orders)
			if err != nil {
				t.Fatal(err)
			}
			if res != (backend.CustomerImport{Customers: 2, Orders: 1}) {
				t.Fatalf("counted %+v", res)
			}
			c, err := d.store.CustomerByPhone(ctx, "01062345678")
			if err != nil {
				t.Fatal(err)
			}
			if c.Code != "C001" || c.Name != "华东五金" || !slices.Equal(c.Phones, []string{"13800138000", "01062345678"}) ||
				c.OwnerID != d.manager.ID || !c.UpdatedAt.Equal(d.now) {
				t.Fatalf("stored %+v", c)
			}
			if c, err := d.store.CustomerByPhone(ctx, "13900139000"); err != nil || c.OwnerID != sales.ID {
				t.Fatalf("owner by account: %+v, %v", c, err)
			}
			// Orders alone, of a stored customer.
			res, err = d.svc.ImportCustomers(ctx, d.admin, nil, []*backend.Order{{Number: "SO-0002", CustomerCode: "C002", OrderedAt: at}})
			if err != nil || res != (backend.CustomerImport{Orders: 1}) {
				t.Fatalf("orders alone: %+v, %v", res, err)
			}
			// An order of a customer neither listed nor stored: the store says which.
			_, err = d.svc.ImportCustomers(ctx, d.admin, []*backend.Customer{{Code: "C003", Name: "丙", Phones: []string{"13700137000"}}},
				[]*backend.Order{{Number: "SO-0003", CustomerCode: "C404", OrderedAt: at}})
			wantFields(t, err, "orders[0].customer")
			if _, err := d.store.CustomerByPhone(ctx, "13700137000"); backend.ErrorCode(err) != backend.ENOTFOUND {
				t.Fatalf("customer of a refused import stored: %v", err)
			}
		})
		t.Run("ErrForbidden", func(t *testing.T) {
			d := newDirectory(t, newStore(t))
			for _, p := range []*backend.Person{d.manager, d.ann, d.alice} {
				_, err := d.svc.ImportCustomers(ctx, p, []*backend.Customer{{Code: "C1", Name: "甲", Phones: []string{"13800138000"}}}, nil)
				wantCode(t, err, backend.EFORBIDDEN)
				if backend.ErrorKey(err) != "customers_admins_only" {
					t.Fatalf("key %q", backend.ErrorKey(err))
				}
			}
			if _, err := d.store.CustomerByPhone(ctx, "13800138000"); backend.ErrorCode(err) != backend.ENOTFOUND {
				t.Fatalf("stored: %v", err)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			d := newDirectory(t, newStore(t))
			gone := &backend.Person{Name: "gone", Roles: []backend.Role{backend.RoleManager}}
			if err := d.svc.CreatePerson(ctx, gone); err != nil {
				t.Fatal(err)
			}
			if _, _, err := d.svc.Deactivate(ctx, gone.ID); err != nil {
				t.Fatal(err)
			}
			cs := []*backend.Customer{
				{Code: "C001", Name: "甲", Phones: []string{"13800138000"}},                               // fine
				{Code: "C001", Name: strings.Repeat("名", 201), Phones: []string{"13800138000", "12345"}}, // code twice, name long, phone twice and bad
				{Code: "", Name: "丙", Phones: nil, OwnerID: 987654321},                                   // no code, no phone, no person
				{Code: strings.Repeat("C", 65), Name: "丁", Phones: []string{" "}, OwnerID: gone.ID},      // code long, blank phone, deactivated
				{Code: "C005", Name: "戊", Phones: []string{"13900139000"}, OwnerAccount: backend.ChatAccount{Platform: "slack", UserID: "U404"}},
			}
			orders := []*backend.Order{
				{Number: "20080505003", CustomerCode: "C001"},                                                              // no date
				{Number: "A_1", CustomerCode: "C001", OrderedAt: at},                                                       // bad number
				{Number: "SO-0003", CustomerCode: "", OrderedAt: at, ShippedAt: at.Add(-time.Hour)},                        // no customer, shipped before
				{Number: "SO-0003", CustomerCode: "C001", OrderedAt: at, WarrantyUntil: at.Add(-time.Second)},              // number twice, warranty before
				{Number: "SO-0005", CustomerCode: "C001", OrderedAt: at, Product: strings.Repeat("x", 501), Status: "已出货"}, // product long
			}
			_, err := d.svc.ImportCustomers(ctx, d.admin, cs, orders)
			wantFields(t, err, "customers[1].code", "customers[1].name", "customers[1].phones",
				"customers[2].code", "customers[2].phones", "customers[2].owner",
				"customers[3].code", "customers[3].phones", "customers[3].owner", "customers[4].owner",
				"orders[0].ordered_at", "orders[1].number", "orders[2].customer", "orders[2].shipped_at",
				"orders[3].number", "orders[3].warranty_until", "orders[4].product")
			var e *backend.Error
			errors.As(err, &e)
			for field, key := range map[string]string{"customers[1].code": "duplicate", "customers[2].owner": "no_person",
				"customers[3].owner": "deactivated_person", "customers[4].owner": "unknown", "orders[1].number": "order_ref",
				"orders[2].shipped_at": "before_ordered", "customers[1].name": "length"} {
				if e.Problems[field].Key != key {
					t.Errorf("%s: problem %q, want %q", field, e.Problems[field].Key, key)
				}
			}
			if e.Problems["customers[1].code"].Args["Other"] != "customers[0]" {
				t.Errorf("duplicate names %v", e.Problems["customers[1].code"].Args)
			}
			if strings.Contains(err.Error(), "13800138000") {
				t.Errorf("the error shows a whole number: %v", err)
			}
			if _, err := d.store.CustomerByPhone(ctx, "13800138000"); backend.ErrorCode(err) != backend.ENOTFOUND {
				t.Fatalf("a row of a refused import was stored: %v", err)
			}
		})
	})
}

func TestLookupCustomer(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) backend.Store) {
		ctx := context.Background()
		d := newDirectory(t, newStore(t))
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var orders []*backend.Order
		for i := range 7 {
			orders = append(orders, &backend.Order{Number: fmt.Sprintf("SO-%04d", i), CustomerCode: "C001", OrderedAt: at.AddDate(0, i, 0)})
		}
		orders = append(orders, &backend.Order{Number: "SO-9999", CustomerCode: "C002", OrderedAt: at.AddDate(1, 0, 0)})
		_, err := d.svc.ImportCustomers(ctx, d.admin, []*backend.Customer{
			{Code: "C001", Name: "华东五金", Phones: []string{"13800138000", "010-62345678"}, OwnerID: d.alice.ID},
			{Code: "C002", Name: "张先生", Phones: []string{"13900139000"}},
		}, orders)
		if err != nil {
			t.Fatal(err)
		}
		complaint := func(phone string) *backend.Ticket {
			return d.create(t, d.bob, func(in *backend.NewTicket) {
				*in = backend.NewTicket{Prefix: "CP", Form: backend.FormComplaint, Summary: "客户投诉一批螺丝刀刀杆有铁锈，要求尽快处理",
					OrderNumber: "SO-0001", Severity: backend.P3, Channel: "web",
					Extra:    map[string]string{"customer": "华东五金", "requests": "上门处理", "urgency": "normal"},
					Contacts: backend.Contacts{Phone: phone}}
			})
		}
		var mine []string
		for i := range 6 {
			phone := "13800138000"
			if i%2 == 1 {
				phone = "010-62345678"
			}
			mine = append(mine, complaint(phone).Number)
		}
		complaint("13900139000")                           // another customer's
		d.create(t, d.bob, func(in *backend.NewTicket) {}) // feedback from the same number (validTicket's)

		card, err := d.svc.LookupCustomer(ctx, d.ann, "+86 138 0013 8000")
		if err != nil {
			t.Fatal(err)
		}
		if card.Customer.Code != "C001" || card.Customer.Name != "华东五金" {
			t.Fatalf("customer %+v", card.Customer)
		}
		var numbers []string
		for _, o := range card.Orders {
			numbers = append(numbers, o.Number)
		}
		if want := []string{"SO-0006", "SO-0005", "SO-0004", "SO-0003", "SO-0002"}; !slices.Equal(numbers, want) {
			t.Errorf("orders %v, want the newest %d: %v", numbers, backend.CardOrders, want)
		}
		numbers = nil
		for _, tk := range card.Complaints {
			numbers = append(numbers, tk.Number)
		}
		slices.Reverse(mine)
		if want := mine[:backend.CardComplaints]; !slices.Equal(numbers, want) {
			t.Errorf("complaints %v, want %v", numbers, want)
		}

		// By the landline, as written with or without its dash; by staff
		// of every kind, and by the customer's own account manager.
		for _, who := range []*backend.Person{d.ann, d.otherTeam, d.manager, d.admin, d.alice} {
			for _, phone := range []string{"010-62345678", "(010) 6234 5678"} {
				card, err := d.svc.LookupCustomer(ctx, who, phone)
				if err != nil || card.Customer.Code != "C001" {
					t.Fatalf("%s looks up %s: %v", who.Name, phone, err)
				}
			}
		}
		// Another reporter, an unknown number and one that is no number
		// get the same answer; so does the account manager for a customer
		// not theirs.
		for _, tc := range []struct {
			who   *backend.Person
			phone string
		}{{d.bob, "13800138000"}, {d.ann, "13700137000"}, {d.ann, "not a phone"}, {d.alice, "13900139000"}, {d.ann, ""},
			{d.ann, "13800138000 ext. 12"}, {d.ann, "+1 13800138000"}} {
			_, err := d.svc.LookupCustomer(ctx, tc.who, tc.phone)
			wantCode(t, err, backend.ENOTFOUND)
			if backend.ErrorKey(err) != "customer" || strings.Contains(err.Error(), tc.phone) && tc.phone != "" {
				t.Fatalf("%s, %q: %v (key %q)", tc.who.Name, tc.phone, err, backend.ErrorKey(err))
			}
		}
		// A customer without orders or complaints.
		card, err = d.svc.LookupCustomer(ctx, d.ann, "13900139000")
		if err != nil || len(card.Orders) != 1 || len(card.Complaints) != 1 {
			t.Fatalf("C002: %+v, %v", card, err)
		}
		// The account manager who was deactivated sees nothing.
		if _, _, err := d.svc.Deactivate(ctx, d.alice.ID); err != nil {
			t.Fatal(err)
		}
		gone, err := d.store.Person(ctx, d.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.svc.LookupCustomer(ctx, gone, "13800138000")
		wantCode(t, err, backend.ENOTFOUND)
	})
}
