package main

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// writeFile writes a file into dir and returns its path.
func writeFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// lookup looks a phone up in the directory of the database vars name,
// as staff.
func lookup(tb testing.TB, vars map[string]string, phone string) (*backend.CustomerCard, error) {
	tb.Helper()
	cfg, err := LoadConfig(env(vars))
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := openService(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	defer svc.Store().Close()
	staff := &backend.Person{Name: "staff", Roles: []backend.Role{backend.RoleAssistant}}
	return svc.LookupCustomer(context.Background(), staff, phone)
}

// TestCustomersImport: an operator imports the CRM's exports (as Excel
// saves them), imports a newer export again, and is told which rows of a
// bad one to fix, by file and line, with nothing imported.
func TestCustomersImport(t *testing.T) {
	for _, db := range cliDatabases {
		t.Run(db.name, func(t *testing.T) {
			vars := db.vars(t)
			dir := t.TempDir()
			carol := idIn(t, `person (\d+)`, cli(t, vars, "user", "create", "--name", "carol", "--role", "manager"))
			customers := writeFile(t, dir, "customers.csv", "\ufeffcode,name,phones,owner\r\n"+
				"C001,华东五金有限公司,138 0013 8000; 010-62345678,"+carol+"\r\n"+
				"C002,\"张先生, 个人\",13900139000 13700137000,\r\n")
			orders := writeFile(t, dir, "orders.csv", "number,customer,product,status,ordered_at,shipped_at,warranty_until\n"+
				"20080505003,C001,螺丝刀 × 5000,已出货,2008-05-05,2008-05-12,2009-05-05\n"+
				"20080601001,C001,扳手,已接单,2008-06-01,,\n")

			t.Run("OK", func(t *testing.T) {
				out := cli(t, vars, "customers", "import", "--customers", customers, "--orders", orders)
				if out != "imported 2 customers, 2 orders\n" {
					t.Fatalf("printed %q", out)
				}
				card, err := lookup(t, vars, "+86 10 6234 5678")
				if err != nil {
					t.Fatal(err)
				}
				if card.Customer.Code != "C001" || card.Customer.OwnerID == 0 || len(card.Orders) != 2 || card.Orders[0].Number != "20080601001" {
					t.Fatalf("card %+v, orders %+v", card.Customer, card.Orders)
				}
				// 2008-05-05 in Asia/Shanghai (TZ_NAME's default).
				if got := card.Orders[1].OrderedAt.UTC().Format("2006-01-02 15:04"); got != "2008-05-04 16:00" {
					t.Errorf("ordered at %s UTC", got)
				}
				// A newer export of the orders alone updates them; dates are
				// in TZ_NAME.
				newer := writeFile(t, dir, "orders2.csv", "number,customer,status,ordered_at\n20080601001,C002,已取消,2008-06-01\n")
				utc := maps.Clone(vars)
				utc["TZ_NAME"] = "UTC"
				if out := cli(t, utc, "customers", "import", "--orders", newer); out != "imported 0 customers, 1 orders\n" {
					t.Fatalf("printed %q", out)
				}
				card, err = lookup(t, vars, "13700137000")
				if err != nil || len(card.Orders) != 1 || card.Orders[0].Status != "已取消" ||
					!card.Orders[0].OrderedAt.Equal(time.Date(2008, 6, 1, 0, 0, 0, 0, time.UTC)) {
					t.Fatalf("C002: %+v, %v", card, err)
				}
			})
			t.Run("ErrRows", func(t *testing.T) {
				bad := writeFile(t, dir, "bad.csv", "code,name,phones,owner\n"+
					"C003,李女士,13600136000,\n"+
					"C004,,12345,\n"+ // line 3
					"C005,王五,13500135000,987654\n") // line 4: no such person
				got := cliErr(t, vars, "customers", "import", "--customers", bad)
				for _, want := range []string{"nothing imported", bad + " line 3: name: required", bad + " line 3: phones:"} {
					if !strings.Contains(got, want) {
						t.Errorf("%q not in %q", want, got)
					}
				}
				// The rows are fine as CSV; the owner is checked in the
				// database, and then the orders' customers (C003 is listed,
				// C001 stored, C404 neither).
				// Rows are named by their lines, past blank ones and cells
				// of several lines.
				bad = writeFile(t, dir, "bad2.csv", "code,name,phones,owner\nC003,\"李\n女士\",13600136000,\n,,,\nC005,王五,13500135000,987654\n")
				orphans := writeFile(t, dir, "orphans.csv", "number,customer,ordered_at\nSO-0001,C003,2008-05-05\n\nSO-0002,C404,2008-05-05\nSO-0003,C001,2008-05-05\n")
				got = cliErr(t, vars, "customers", "import", "--customers", bad, "--orders", orphans)
				if want := bad + " line 5: owner: no person 987654"; !strings.Contains(got, want) {
					t.Errorf("%q not in %q", want, got)
				}
				bad = writeFile(t, dir, "bad3.csv", "code,name,phones,owner\nC003,李女士,13600136000,\n")
				got = cliErr(t, vars, "customers", "import", "--customers", bad, "--orders", orphans)
				if !strings.Contains(got, "1 bad field") || !strings.Contains(got, orphans+" line 4: customer: no customer has the code \"C404\"") {
					t.Errorf("unknown customer: %q", got)
				}
				if _, err := lookup(t, vars, "13600136000"); backend.ErrorCode(err) != backend.ENOTFOUND {
					t.Fatalf("a refused import was written: %v", err)
				}
				got = cliErr(t, vars, "customers", "import", "--orders", writeFile(t, dir, "header.csv", "number,customer,when\n"))
				if !strings.Contains(got, "header.csv line 1: unknown column \"when\"") {
					t.Errorf("bad header: %q", got)
				}
			})
			t.Run("ErrUsage", func(t *testing.T) {
				for args, want := range map[string]string{
					"customers":                          "usage: deskbot customers import",
					"customers export":                   "unknown customers command",
					"customers import":                   "give --customers FILE",
					"customers import --customers /nope": "/nope",
				} {
					if got := cliErr(t, vars, strings.Fields(args)...); !strings.Contains(got, want) {
						t.Errorf("%s: %q, want %q", args, got, want)
					}
				}
				var out strings.Builder
				if err := run(context.Background(), []string{"customers", "import", "--help"}, env(vars), &out, io.Discard); err != nil ||
					!strings.Contains(out.String(), "matched on their code") {
					t.Errorf("help: %v %q", err, out.String())
				}
			})
		})
	}
}
