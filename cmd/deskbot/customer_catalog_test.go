package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestCustomerTexts checks that every error of the customer directory
// (an import refused, a lookup that finds nobody) has a text in every
// catalog, and that a refused import reads in the reader's language.
func TestCustomerTexts(t *testing.T) {
	c, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	// backend.Keyed takes the key without its "err." prefix, a Problem
	// without "err.problem.".
	keyed := regexp.MustCompile(`Keyed\((?:backend\.)?E[A-Z]+, "([a-z_]+)"`)
	problem := regexp.MustCompile(`Problem\{Key: "([a-z_]+)"`)
	for _, f := range []string{"../../backend/customer.go", "../../backend/internal/storekit/customer.go", "../../backend/web/customers.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyed.FindAllStringSubmatch(string(b), -1) {
			ids["err."+m[1]] = true
		}
		for _, m := range problem.FindAllStringSubmatch(string(b), -1) {
			ids["err.problem."+m[1]] = true
		}
	}
	// The console's page names its own texts (its tests show keys, not texts).
	web := regexp.MustCompile(`"(web\.(?:customers|err\.too_large)(?:[a-z_.]*[a-z])?)"`)
	for _, f := range []string{"../../backend/web/customers.go", "../../backend/web/templates/customers.html", "../../backend/web/templates/layout.html"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range web.FindAllStringSubmatch(string(b), -1) {
			ids[m[1]] = true
		}
	}
	for _, want := range []string{"err.customer", "err.customers_admins_only", "err.problem.duplicate", "err.problem.unknown", "err.problem.date",
		"err.customers_staff", "err.problem.import_empty", "web.customers.title", "web.customers.import.hint", "web.err.too_large"} {
		if !ids[want] {
			t.Fatalf("%s not found in the sources; is the pattern right? %v", want, ids)
		}
	}
	for id := range ids {
		if !c.Has(id) {
			t.Errorf("%s is not in every catalog", id)
		}
	}

	// One refused import as a person reads it.
	svc := backend.NewService(nil, backend.ServiceConfig{})
	at := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	_, err = svc.ImportCustomers(context.Background(), &backend.Person{Roles: []backend.Role{backend.RoleAdmin}},
		[]*backend.Customer{{Code: "C1", Name: "甲", Phones: []string{"13800138000"}}, {Code: "C1", Name: "乙", Phones: []string{"12345"}}},
		[]*backend.Order{{Number: "SO-0001", CustomerCode: "C1", OrderedAt: at, ShippedAt: at.Add(-time.Hour)}})
	for loc, want := range map[string][]string{
		catalog.ZhCN: {"customers[1].code：与 customers[0] 重复", "orders[0].shipped_at：不能早于下单日期"},
		catalog.En:   {"customers[1].code: is also in customers[0]", "orders[0].shipped_at: must not be before the order date"},
	} {
		got := backend.ErrorText(err, func(id string, data map[string]any) string { return c.T(loc, id, data) })
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q, want %q in it", loc, got, w)
			}
		}
	}
}
