package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

// TestCustomerAPI imports a directory and looks callers up, on both
// stores: who may do which, what a card holds, and every bad field named.
func TestCustomerAPI(t *testing.T) {
	for name, open := range map[string]func(*testing.T) backend.Store{"SQLite": sqliteStore, "Postgres": pgStore} {
		t.Run(name, func(t *testing.T) { testCustomerAPI(t, open(t)) })
	}
}

func testCustomerAPI(t *testing.T, store backend.Store) {
	f := newAPI(t, store)
	owner, ownerID := f.staffToken(t, "sales", backend.RoleReporter, nil)
	directory := map[string]any{
		"customers": []map[string]any{
			{"code": "C001", "name": "华东五金有限公司", "phones": []string{"138 0013 8000", "010-62345678"}, "owner_id": ownerID},
			{"code": "C002", "name": "张先生", "phones": []string{"+86 139 0013 9000"}},
		},
		"orders": []map[string]any{
			{"number": "20080505003", "customer": "C001", "product": "螺丝刀 × 5000", "status": "已出货",
				"ordered_at": "2008-05-05", "shipped_at": "2008-05-12T10:00:00+08:00", "warranty_until": "2009-05-05"},
			{"number": "20080601001", "customer": "C001", "product": "扳手", "status": "已接单", "ordered_at": "2008-06-01"},
		},
	}

	t.Run("Import", func(t *testing.T) {
		expect(t, f.do(t, "PUT", "/api/v1/customers", f.assistant, directory), http.StatusForbidden)
		// Refused before the body is read: a bad body tells staff nothing.
		expect(t, f.do(t, "PUT", "/api/v1/customers", f.assistant, map[string]any{"customers": "all"}), http.StatusForbidden)
		expect(t, f.do(t, "PUT", "/api/v1/customers", "", directory), http.StatusUnauthorized)
		r := f.do(t, "PUT", "/api/v1/customers", f.admin, directory)
		expect(t, r, http.StatusOK)
		if r.body["customers"] != float64(2) || r.body["orders"] != float64(2) {
			t.Fatalf("imported: %s", r.raw)
		}
		// Again: updated, not doubled.
		expect(t, f.do(t, "PUT", "/api/v1/customers", f.admin, directory), http.StatusOK)
	})
	t.Run("ImportErrors", func(t *testing.T) {
		bad := map[string]any{
			"customers": []map[string]any{
				{"code": "C003", "name": "李女士", "phones": []string{"12345"}},
				{"code": "C004", "name": "", "phones": []string{"13700137000"}, "owner_id": "7", "colour": "red"},
			},
			"orders": []map[string]any{
				{"number": "SO-0001", "customer": "C001", "ordered_at": "05/05/2008"},
				{"number": "x", "customer": "C001", "ordered_at": "2008-05-05", "shipped_at": "2008-05-01"},
			},
		}
		r := f.do(t, "PUT", "/api/v1/customers", f.admin, bad)
		expect(t, r, http.StatusBadRequest)
		for _, field := range []string{"customers[0].phones", "customers[1].name", "customers[1].owner_id", "customers[1].colour",
			"orders[0].ordered_at", "orders[1].number", "orders[1].shipped_at"} {
			if r.errField(field) == "" {
				t.Errorf("%s not named: %s", field, r.raw)
			}
		}
		if strings.Contains(r.errField("orders[0].ordered_at"), "required") {
			t.Errorf("a date in another form is called missing: %s", r.raw)
		}
		// Each converted, the service names the rest; an unknown customer
		// is found by the store.
		r = f.do(t, "PUT", "/api/v1/customers", f.admin, map[string]any{"orders": []map[string]any{
			{"number": "SO-0002", "customer": "C404", "ordered_at": "2008-05-05"}}})
		expect(t, r, http.StatusBadRequest)
		if r.errField("orders[0].customer") == "" {
			t.Fatalf("unknown customer: %s", r.raw)
		}
		expect(t, f.do(t, "PUT", "/api/v1/customers", f.admin, ""), http.StatusBadRequest)
		// Nothing of a refused import was written.
		expect(t, f.do(t, "POST", "/api/v1/customers/lookup", f.assistant, map[string]string{"phone": "13700137000"}), http.StatusNotFound)
	})
	t.Run("Lookup", func(t *testing.T) {
		// A complaint from the landline, and feedback from the mobile.
		complaint := ticketBody()
		complaint["prefix"], complaint["form"], complaint["summary"] = "CP", "complaint", "客户投诉一批螺丝刀刀杆有铁锈"
		complaint["order_number"] = "20080505003"
		complaint["contacts"] = map[string]string{"phone": "010-62345678"}
		complaint["extra"] = map[string]string{"customer": "华东五金有限公司", "requests": "上门处理", "urgency": "normal"}
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, complaint)
		expect(t, r, http.StatusCreated)
		number := r.body["number"].(string)
		fb := ticketBody()
		fb["contacts"] = map[string]string{"phone": "13800138000"}
		expect(t, f.do(t, "POST", "/api/v1/tickets", f.reporter, fb), http.StatusCreated)

		// The account manager sees the customer, but not the complaint
		// another reporter filed, nor the customer's numbers in full.
		r = f.do(t, "POST", "/api/v1/customers/lookup", owner, map[string]string{"phone": "+86 138-0013-8000"})
		expect(t, r, http.StatusOK)
		if c := r.body["customer"].(map[string]any); strings.Join(strs(c["phones"]), ",") != "138****8000,010****5678" ||
			len(r.body["complaints"].([]any)) != 0 || len(r.body["orders"].([]any)) != 2 {
			t.Fatalf("the owner's card: %s", r.raw)
		}
		for _, tok := range []string{f.assistant, f.admin} {
			r = f.do(t, "POST", "/api/v1/customers/lookup", tok, map[string]string{"phone": "+86 138-0013-8000"})
			expect(t, r, http.StatusOK)
		}
		c := r.body["customer"].(map[string]any)
		if c["code"] != "C001" || c["name"] != "华东五金有限公司" || c["owner_id"] != float64(ownerID) ||
			strings.Join(strs(c["phones"]), ",") != "13800138000,01062345678" {
			t.Fatalf("customer: %s", r.raw)
		}
		orders := r.body["orders"].([]any)
		if len(orders) != 2 {
			t.Fatalf("orders: %s", r.raw)
		}
		newest, oldest := orders[0].(map[string]any), orders[1].(map[string]any)
		if newest["number"] != "20080601001" || newest["shipped_at"] != nil || newest["ordered_at"] != "2008-05-31T16:00:00Z" ||
			oldest["number"] != "20080505003" || oldest["product"] != "螺丝刀 × 5000" || oldest["status"] != "已出货" ||
			oldest["shipped_at"] != "2008-05-12T02:00:00Z" || oldest["warranty_until"] != "2009-05-04T16:00:00Z" {
			t.Fatalf("orders: %s", r.raw)
		}
		complaints := r.body["complaints"].([]any)
		if len(complaints) != 1 {
			t.Fatalf("complaints: %s", r.raw)
		}
		if cp := complaints[0].(map[string]any); cp["number"] != number || cp["status"] != "new" ||
			cp["summary"] != "客户投诉一批螺丝刀刀杆有铁锈" || cp["created_at"] == nil {
			t.Fatalf("complaint: %s", r.raw)
		}

		// A customer without orders or complaints: empty lists.
		r = f.do(t, "POST", "/api/v1/customers/lookup", f.assistant, map[string]string{"phone": "13900139000"})
		expect(t, r, http.StatusOK)
		if len(r.body["orders"].([]any)) != 0 || len(r.body["complaints"].([]any)) != 0 {
			t.Fatalf("C002: %s", r.raw)
		}
		// Someone else, an unknown number and no number at all: 404 alike.
		for _, tc := range []struct{ tok, phone string }{{f.reporter, "13800138000"}, {owner, "13900139000"},
			{f.assistant, "13700137000"}, {f.assistant, "not a phone"}} {
			r = f.do(t, "POST", "/api/v1/customers/lookup", tc.tok, map[string]string{"phone": tc.phone})
			expect(t, r, http.StatusNotFound)
			if r.errCode() != "not_found" || strings.Contains(r.raw, "1380013") {
				t.Fatalf("%s: %s", tc.phone, r.raw)
			}
		}
		r = f.do(t, "POST", "/api/v1/customers/lookup", f.assistant, map[string]string{})
		expect(t, r, http.StatusBadRequest)
		if r.errField("phone") == "" {
			t.Fatalf("no phone: %s", r.raw)
		}
		// Never in a URL.
		r = f.do(t, "GET", "/api/v1/customers/lookup?phone=13800138000", f.assistant, nil)
		expect(t, r, http.StatusBadRequest)
		if !strings.Contains(r.errField("phone"), "POST /api/v1/customers/lookup") || strings.Contains(r.raw, "华东") {
			t.Fatalf("GET: %s", r.raw)
		}
	})
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
