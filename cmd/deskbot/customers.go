package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/deskbot/deskbot/backend"
)

const customersUsage = `usage: deskbot customers import [--customers FILE] [--orders FILE]`

// customersCmd runs "deskbot customers import": the customer directory
// (DESIGN §2, seed 001) from the CRM's CSV exports, which the complaint
// dialog looks callers up in.
func customersCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(customersUsage)
	}
	switch args[0] {
	case "import":
		return customersImport(ctx, cfg, log, args[1:], stdout)
	}
	return fmt.Errorf("unknown customers command %q\n%s", args[0], customersUsage)
}

// maxShownRows bounds the bad fields an import prints: an export in the
// wrong format would otherwise print every row.
const maxShownRows = 30

func customersImport(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("customers import", flag.ContinueOnError)
	customersFile := fs.String("customers", "", "CSV file of customers: code,name,phones,owner (phones split by ; / or spaces; owner a person id or telegram:ID / slack:ID)")
	ordersFile := fs.String("orders", "", "CSV file of orders: number,customer,product,status,ordered_at,shipped_at,warranty_until (dates 2006-01-02 in TZ_NAME, or RFC 3339)")
	about := "Import the customer directory from the CRM's CSV exports (UTF-8, first line the column names):\n" +
		"customers are matched on their code and orders on their number, so importing a newer export\n" +
		"again updates them. Every row is checked first; one bad row imports nothing, and is named."
	if err := parseFlagsAbout(fs, args, stdout, about); err != nil {
		return err
	}
	if *customersFile == "" && *ordersFile == "" {
		return fmt.Errorf("customers import: give --customers FILE, --orders FILE or both\n%s", customersUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("customers import: unexpected argument %q\n%s", fs.Arg(0), customersUsage)
	}
	svc, err := openService(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer svc.Store().Close()

	var (
		cs     []*backend.Customer
		orders []*backend.Order
		lines  = map[string][]int{} // "customers", "orders" → the line of each row
		files  = map[string]string{"customers": *customersFile, "orders": *ordersFile}
	)
	if *customersFile != "" {
		err := readCSVFile(*customersFile, lines, "customers", func(r io.Reader) (err error) {
			cs, err = backend.ParseCustomersCSV(r)
			return err
		})
		if err != nil {
			return err
		}
	}
	if *ordersFile != "" {
		err := readCSVFile(*ordersFile, lines, "orders", func(r io.Reader) (err error) {
			orders, err = backend.ParseOrdersCSVIn(r, svc.Location())
			return err
		})
		if err != nil {
			return err
		}
	}
	// The CLI is the operator's: it acts as an admin that is nobody.
	system := &backend.Person{Name: "deskbot", Roles: []backend.Role{backend.RoleAdmin}}
	res, err := svc.ImportCustomers(ctx, system, cs, orders)
	if err != nil {
		return rowsError("customers import: nothing imported", err, files, lines)
	}
	fmt.Fprintf(stdout, "imported %d customers, %d orders\n", res.Customers, res.Orders)
	return nil
}

// readCSVFile parses a file with parse and records the line of each of
// its rows under list; a bad row is named by the file and its line.
func readCSVFile(path string, lines map[string][]int, list string, parse func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("customers import: %w", err)
	}
	defer f.Close()
	if err := parse(f); err != nil {
		return rowsError("customers import: nothing imported", err, map[string]string{"": path}, nil)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("customers import: %s: %w", path, err)
	}
	lines[list], err = backend.CSVRowLines(f)
	if err != nil {
		return fmt.Errorf("customers import: %s: %w", path, err)
	}
	return nil
}

var (
	reRow  = regexp.MustCompile(`^(customers|orders)\[(\d+)\]\.?(.*)$`)
	reLine = regexp.MustCompile(`^line (\d+)\.?(.*)$`)
)

// rowsError lists the bad fields of an EINVALID err one a line, each
// named by its file and line ("customers.csv line 4: phones: …"), at
// most maxShownRows of them; a row of a list ("customers[2]") is found
// in files[list] on line lines[list][2], a "line 3" is of files[""].
// Any other error is returned as it is.
func rowsError(what string, err error, files map[string]string, lines map[string][]int) error {
	var e *backend.Error
	if !errors.As(err, &e) || e.Code != backend.EINVALID || len(e.Fields) == 0 {
		return fmt.Errorf("%s: %w", what, err)
	}
	type entry struct {
		file       string
		line       int
		field, say string
	}
	var list []entry
	for field, text := range e.Fields {
		x := entry{field: field, say: text}
		if m := reRow.FindStringSubmatch(field); m != nil {
			i, _ := strconv.Atoi(m[2])
			x.file, x.field = files[m[1]], m[3]
			if i < len(lines[m[1]]) {
				x.line = lines[m[1]][i]
			}
		} else if m := reLine.FindStringSubmatch(field); m != nil {
			x.file, x.field = files[""], m[2]
			x.line, _ = strconv.Atoi(m[1])
		}
		list = append(list, x)
	}
	slices.SortFunc(list, func(a, b entry) int {
		if c := strings.Compare(a.file, b.file); c != 0 {
			return c
		}
		if a.line != b.line {
			return a.line - b.line
		}
		return strings.Compare(a.field, b.field)
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d bad field(s)", what, len(list))
	for i, x := range list {
		if i == maxShownRows {
			fmt.Fprintf(&b, "\n  … and %d more", len(list)-i)
			break
		}
		b.WriteString("\n  ")
		if x.file != "" {
			b.WriteString(x.file)
			if x.line > 0 {
				fmt.Fprintf(&b, " line %d", x.line)
			}
			b.WriteString(": ")
		}
		if x.field != "" {
			b.WriteString(x.field + ": ")
		}
		b.WriteString(x.say)
	}
	return errors.New(b.String())
}
