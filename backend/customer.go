package backend

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The customer directory (DESIGN §2, seed 001 利用CRM系统提高客户投诉处理效率):
// the CRM knows a caller by their phone number and shows their recent
// orders and complaints, and a complaint is filled from the chosen order
// (是什么时候接到的，是什么时候完工并出货的，有没有超过质量保证日期). deskbot
// keeps a copy of the directory, imported from the CRM (ImportCustomers),
// which the complaint dialog looks up (LookupCustomer).
//
// A customer's name and orders are the company's business data about a
// person: a lookup shows them to staff and to the customer's own account
// manager (Customer.OwnerID), and to no one else.

// Customer is one entry of the directory.
type Customer struct {
	ID   int64
	Code string // the CRM's id of the customer, unique; what an import matches on
	Name string // 华东五金有限公司 / 张先生
	// Phones are the customer's numbers as digits only (PhoneDigits):
	// 13800138000, 01062345678. A number belongs to one customer.
	Phones []string
	// OwnerID is the account manager (客户经理) who may look the customer
	// up from a dialog; 0: none.
	OwnerID int64
	// OwnerAccount names the owner by a chat account instead (a CSV
	// import's owner column: telegram:12345, slack:U0123; ChatID unused):
	// ImportCustomers resolves it to OwnerID when OwnerID is 0. Stores
	// neither keep nor fill it.
	OwnerAccount ChatAccount
	UpdatedAt    time.Time
}

// Order is one sales order of a customer.
type Order struct {
	Number     string // the sales order number (20080505003), unique
	CustomerID int64
	// CustomerCode names the customer on import (Customer.Code); the store
	// fills it on reads.
	CustomerCode  string
	Product       string // what was ordered: 螺丝刀 × 5000
	Status        string // the CRM's own words: 已出货
	OrderedAt     time.Time
	ShippedAt     time.Time // zero: not shipped
	WarrantyUntil time.Time // zero: no warranty recorded
}

// CustomerCard is what a lookup shows: the customer, their latest orders
// and their latest complaints, newest first.
type CustomerCard struct {
	Customer   *Customer
	Orders     []*Order
	Complaints []*Ticket
}

// CardOrders and CardComplaints are how many orders and complaints a
// CustomerCard holds at most.
const (
	CardOrders     = 5
	CardComplaints = 5
)

// CustomerStore is what the customer directory needs from a database;
// backend.Store includes it, and both stores pass storetest's customer
// contract.
type CustomerStore interface {
	// PutCustomers writes an import in one transaction. Each customer is
	// inserted or updated, matched on Code (its name, owner and UpdatedAt
	// — the store's clock unless set — are replaced), and its phones are
	// replaced with its Phones, in their order: a number another customer
	// had moves to this one. Then each order is inserted or updated,
	// matched on Number, its customer found by CustomerCode among cs or
	// among the customers stored already. On success it sets the ID (and
	// UpdatedAt) of each customer and the CustomerID of each order.
	// EINVALID naming the order's field ("orders[2].customer") when its
	// customer is unknown, and EINVALID when an owner is no person; then
	// nothing is written and nothing passed in changes.
	PutCustomers(ctx context.Context, cs []*Customer, orders []*Order) error
	// CustomerByPhone finds the customer with the number digits (as
	// PhoneDigits writes it), with its Phones in their order. ENOTFOUND.
	CustomerByPhone(ctx context.Context, digits string) (*Customer, error)
	// CustomerOrders lists up to limit (default 50, at most 200) orders of
	// a customer, the newest OrderedAt first (the highest Number first
	// among equals), each with its CustomerCode; empty, not an error, for
	// a customer without orders or a missing one.
	CustomerOrders(ctx context.Context, customerID int64, limit int) ([]*Order, error)
}

// Limits of the directory's fields, in characters.
const (
	maxCustomerCode = 64
	maxCustomerName = 200
	maxOrderProduct = 500
	maxOrderStatus  = 100
)

var (
	mobileRE   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlineRE = regexp.MustCompile(`^0(?:10|[2-9][0-9])[0-9]{7,9}$`) // area code with its 0 (010, 02x, 03xx–09xx), then the number: 10–12 digits
	hotlineRE  = regexp.MustCompile(`^[48]00[0-9]{7}$`)
	orderRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{3,39}$`)
)

// PhoneDigits reads a phone number written any way — with spaces,
// dashes, dots or brackets, full-width digits, a country prefix +86,
// 0086 or 86 — and returns its digits as the directory keeps them:
// 138 0013 8000, +86 138-0013-8000 and 8613800138000 are all
// 13800138000; (010) 6234-5678 is 01062345678. ok is true only for a
// mainland mobile number (1[3-9] and 9 more digits), a landline with its
// area code (0 and 9–11 more digits; +86 10 6234 5678 and 0086 10… get
// their 0 back) or a 400/800 line (10 digits); digits is meaningful only
// then. Any other character (a letter, an extension "ext. 12") is not ok.
func PhoneDigits(s string) (digits string, ok bool) {
	var b strings.Builder
	plus := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + r - '０')
		case (r == '+' || r == '＋') && b.Len() == 0 && !plus:
			plus = true
		case unicode.IsSpace(r) || strings.ContainsRune("-‐‑–—－()（）.", r):
		default:
			return b.String(), false
		}
	}
	d := b.String()
	international := plus
	if plus {
		rest, ok := strings.CutPrefix(d, "86")
		if !ok {
			return d, false // another country's number
		}
		d = rest
	} else if rest, ok := strings.CutPrefix(d, "0086"); ok {
		d, international = rest, true
	}
	switch {
	case international && !strings.HasPrefix(d, "0") && landlineRE.MatchString("0"+d) && !mobileRE.MatchString(d) && !hotlineRE.MatchString(d):
		return "0" + d, true // +86 10 6234 5678: the area code without its 0
	case strings.HasPrefix(d, "01") && mobileRE.MatchString(d[1:]):
		return d[1:], true // 0 dialled before a mobile number: no area code 013–019 exists
	case !international && strings.HasPrefix(d, "86") && mobileRE.MatchString(d[2:]):
		return d[2:], true
	case mobileRE.MatchString(d), !international && (landlineRE.MatchString(d) || hotlineRE.MatchString(d)):
		return d, true
	case international && landlineRE.MatchString(d):
		return d, true // +86 010 6234 5678
	}
	return d, false
}

// ParseOrderTime reads a date or time of an order as an import writes
// it: 2026-11-25 (also 2026/11/25, 2026-1-5) is the start of that day
// in loc, 2026-11-25 14:30 (or with seconds) a time in loc, and an RFC
// 3339 time (2026-11-25T14:30:00+08:00) that moment. Empty is the zero
// time. The result is UTC.
func ParseOrderTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	norm := strings.ReplaceAll(s, "/", "-")
	for _, layout := range []string{"2006-1-2", "2006-1-2 15:04", "2006-1-2 15:04:05", "2006-1-2T15:04", "2006-1-2T15:04:05"} {
		if t, err := time.ParseInLocation(layout, norm, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date like 2026-11-25 or a time like 2026-11-25T14:30:00+08:00", s)
}

// CustomerImport counts what an import wrote.
type CustomerImport struct {
	Customers, Orders int
}

// MayImportCustomers says whether actor may import the customer
// directory: admins only, as the directory comes from the CRM and
// replacing it is configuration. EFORBIDDEN otherwise.
func MayImportCustomers(actor *Person) error {
	if !actor.HasRole(RoleAdmin) {
		return Keyed(EFORBIDDEN, "customers_admins_only", nil, "only admins may import the customer directory")
	}
	return nil
}

// ImportCustomers writes customers and their orders from the CRM
// (PutCustomers): a customer is matched on its Code, an order on its
// Number, so importing a newer export again updates what changed. cs and
// orders are trimmed and their phones made digits (PhoneDigits). Every
// row is checked before anything is written, and one EINVALID names each
// bad field by its row ("customers[2].phones", "orders[0].ordered_at"):
// a code of 1–64 characters, used once; a name of 1–200; at least one
// valid phone, none another listed customer's; an owner that is 0 or an
// active person (OwnerAccount, when OwnerID is 0, a linked chat
// account); an order number of 4–40 letters, digits and dashes, used
// once; the customer's code, listed or stored already; a product of at
// most 500 characters, a status of at most 100; an order date; shipping
// and warranty dates, when given, not before it. EFORBIDDEN unless actor
// is an admin.
func (s *Service) ImportCustomers(ctx context.Context, actor *Person, cs []*Customer, orders []*Order) (CustomerImport, error) {
	if err := MayImportCustomers(actor); err != nil {
		return CustomerImport{}, err
	}
	var fe fieldErrors
	checkDirectory(&fe, cs, orders, rowName("customers"), rowName("orders"))
	if err := s.resolveOwners(ctx, &fe, cs); err != nil {
		return CustomerImport{}, err
	}
	if err := fe.err("customer directory"); err != nil {
		return CustomerImport{}, err
	}
	now := s.now()
	for _, c := range cs {
		c.UpdatedAt = now
	}
	if err := s.store.PutCustomers(ctx, cs, orders); err != nil {
		return CustomerImport{}, err
	}
	return CustomerImport{Customers: len(cs), Orders: len(orders)}, nil
}

// ValidateImport is the check of ImportCustomers that needs no database
// (every rule but the owners' and the stored customers'), with the same
// field names: an adapter that could not read some fields names the
// others too. It trims cs and orders and makes phones digits.
func ValidateImport(cs []*Customer, orders []*Order) error {
	var fe fieldErrors
	checkDirectory(&fe, cs, orders, rowName("customers"), rowName("orders"))
	return fe.err("customer directory")
}

// rowName names row i of a list: customers[2].
func rowName(list string) func(i int) string {
	return func(i int) string { return list + "[" + strconv.Itoa(i) + "]" }
}

// checkDirectory trims and checks cs and orders, adding a problem for
// each bad field under name(i)+"."+field; a nil name skips its list.
func checkDirectory(fe *fieldErrors, cs []*Customer, orders []*Order, cname, oname func(i int) string) {
	if cname == nil {
		cs = nil
	}
	if oname == nil {
		orders = nil
	}
	codes := map[string]string{}  // code → the row that has it
	phones := map[string]string{} // phone → the row that has it
	for i, c := range cs {
		row := cname(i)
		c.Code, c.Name = strings.TrimSpace(c.Code), strings.TrimSpace(c.Name)
		checkText(fe, row+".code", c.Code, 1, maxCustomerCode)
		if other, ok := codes[c.Code]; ok && c.Code != "" {
			fe.add(row+".code", Problem{Key: "duplicate", Args: map[string]any{"Other": other}}, "is also %s's", other)
		} else {
			codes[c.Code] = row
		}
		checkText(fe, row+".name", c.Name, 1, maxCustomerName)
		digits := make([]string, 0, len(c.Phones))
		seen := map[string]bool{}
		for _, p := range c.Phones {
			if strings.TrimSpace(p) == "" {
				continue
			}
			d, ok := PhoneDigits(p)
			if !ok {
				fe.add(row+".phones", Problem{Key: "phone"}, "%q must be a mainland mobile number (11 digits starting 13–19), a landline with its area code or a 400/800 number", MaskPersonal(p))
				continue
			}
			if seen[d] {
				continue // the same number written twice
			}
			seen[d] = true
			if other, ok := phones[d]; ok {
				fe.add(row+".phones", Problem{Key: "duplicate", Args: map[string]any{"Other": other}}, "%s is also %s's", MaskMiddle(d, 3, 4), other)
				continue
			}
			phones[d] = row
			digits = append(digits, d)
		}
		c.Phones = digits
		if len(digits) == 0 {
			fe.add(row+".phones", Problem{Key: "required"}, "at least one phone number is required")
		}
		if c.OwnerID < 0 {
			fe.add(row+".owner", Problem{Key: "no_person"}, "no such person")
		}
	}
	numbers := map[string]string{}
	for i, o := range orders {
		row := oname(i)
		o.Number, o.CustomerCode = strings.TrimSpace(o.Number), strings.TrimSpace(o.CustomerCode)
		o.Product, o.Status = strings.TrimSpace(o.Product), strings.TrimSpace(o.Status)
		switch {
		case o.Number == "":
			fe.add(row+".number", Problem{Key: "required"}, "required")
		case !orderRE.MatchString(o.Number):
			fe.add(row+".number", Problem{Key: "order_ref"}, "must be 4–40 letters, digits and dashes, starting with a letter or a digit")
		}
		if other, ok := numbers[o.Number]; ok && o.Number != "" {
			fe.add(row+".number", Problem{Key: "duplicate", Args: map[string]any{"Other": other}}, "is also %s's", other)
		} else {
			numbers[o.Number] = row
		}
		if o.CustomerCode == "" {
			fe.add(row+".customer", Problem{Key: "required"}, "required")
		}
		checkText(fe, row+".product", o.Product, 0, maxOrderProduct)
		checkText(fe, row+".status", o.Status, 0, maxOrderStatus)
		if o.OrderedAt.IsZero() {
			fe.add(row+".ordered_at", Problem{Key: "required"}, "required")
			continue
		}
		if !o.ShippedAt.IsZero() && o.ShippedAt.Before(o.OrderedAt) {
			fe.add(row+".shipped_at", Problem{Key: "before_ordered"}, "must not be before the order date")
		}
		if !o.WarrantyUntil.IsZero() && o.WarrantyUntil.Before(o.OrderedAt) {
			fe.add(row+".warranty_until", Problem{Key: "before_ordered"}, "must not be before the order date")
		}
	}
}

// resolveOwners checks each customer's owner (an active person) and sets
// OwnerID from OwnerAccount where it is 0; only a store failure is
// returned, a bad owner is added to fe.
func (s *Service) resolveOwners(ctx context.Context, fe *fieldErrors, cs []*Customer) error {
	people := map[int64]*Person{}
	for i, c := range cs {
		field := fmt.Sprintf("customers[%d].owner", i)
		if c.OwnerID == 0 && c.OwnerAccount != (ChatAccount{}) {
			a := c.OwnerAccount
			p, err := s.store.PersonByAccount(ctx, a.Platform, a.UserID)
			if ErrorCode(err) == ENOTFOUND {
				v := a.Platform + ":" + a.UserID
				fe.add(field, Problem{Key: "unknown", Args: map[string]any{"Value": v}}, "no person has the chat account %s", v)
				continue
			} else if err != nil {
				return err
			}
			people[p.ID] = p
			c.OwnerID = p.ID
		}
		if c.OwnerID <= 0 {
			continue
		}
		p, ok := people[c.OwnerID]
		if !ok {
			var err error
			p, err = s.store.Person(ctx, c.OwnerID)
			if ErrorCode(err) == ENOTFOUND {
				fe.add(field, Problem{Key: "no_person"}, "no person %d", c.OwnerID)
				continue
			} else if err != nil {
				return err
			}
			people[p.ID] = p
		}
		if !p.Active() {
			fe.add(field, Problem{Key: "deactivated_person", Args: map[string]any{"Name": p.Name}}, "%s was deactivated", p.Name)
		}
	}
	return nil
}

// errNoCustomer is what a lookup says both of a number no customer has
// and of a customer the caller may not see, which a dialog cannot tell
// apart. It names no number: errors are logged.
func errNoCustomer() error {
	return Keyed(ENOTFOUND, "customer", nil, "no customer has that phone number")
}

// LookupCustomer finds the customer with phone (any written form:
// 138 0013 8000, +86 13800138000, 010-62345678) and returns their card.
// ENOTFOUND when no customer has the number, and when actor may not see
// the customer (neither staff nor its owner), which a dialog cannot tell
// apart.
func (s *Service) LookupCustomer(ctx context.Context, actor *Person, phone string) (*CustomerCard, error) {
	digits, ok := PhoneDigits(phone)
	if !ok {
		return nil, errNoCustomer()
	}
	c, err := s.store.CustomerByPhone(ctx, digits)
	if ErrorCode(err) == ENOTFOUND {
		return nil, errNoCustomer()
	} else if err != nil {
		return nil, err
	}
	if !actor.Handles() && (c.OwnerID == 0 || actor.ID != c.OwnerID || !actor.Active()) {
		return nil, errNoCustomer()
	}
	orders, err := s.store.CustomerOrders(ctx, c.ID, CardOrders)
	if err != nil {
		return nil, err
	}
	// Only the complaints actor may open: an account manager their own,
	// an assistant their team's.
	page, err := s.Tickets(ctx, actor, TicketFilter{Form: FormComplaint, PhoneDigits: c.Phones, Limit: CardComplaints})
	if err != nil {
		return nil, err
	}
	// The customer's other numbers are personal data (DESIGN §10): in
	// full only to managers and admins.
	if !actor.SeesAll() {
		for i, p := range c.Phones {
			c.Phones[i] = MaskPersonal(p)
		}
	}
	return &CustomerCard{Customer: c, Orders: orders, Complaints: page.Tickets}, nil
}

// Columns of the CSV files an import reads (deskbot customers import).
var (
	customerColumns = []string{"code", "name", "phones", "owner"}
	orderColumns    = []string{"number", "customer", "product", "status", "ordered_at", "shipped_at", "warranty_until"}
)

// ParseCustomersCSV reads customers from a CSV file as a spreadsheet
// saves it (UTF-8, with or without Excel's byte order mark). The first
// line names the columns, in any order: code, name, phones (required)
// and owner. Phones are separated by ";", "/", "," or spaces (138 0013
// 8000 stays one number: spaces split only what is not one number
// already). The owner is empty, a person id (deskbot user list) or a
// chat account like telegram:12345 or slack:U0123 (OwnerAccount,
// resolved by ImportCustomers, which needs the database). Each row is
// checked as ImportCustomers checks it, and one EINVALID names every
// bad field by its line: "line 3.phones".
func ParseCustomersCSV(r io.Reader) ([]*Customer, error) {
	tab, err := readCSV(r, "customers", customerColumns, []string{"code", "name", "phones"})
	if err != nil {
		return nil, err
	}
	var fe fieldErrors
	cs := make([]*Customer, 0, len(tab.rows))
	for i, row := range tab.rows {
		c := &Customer{Code: tab.get(row, "code"), Name: tab.get(row, "name"), Phones: splitPhones(tab.get(row, "phones"))}
		switch owner := tab.get(row, "owner"); {
		case owner == "":
		case isDigits(owner):
			c.OwnerID, _ = strconv.ParseInt(owner, 10, 64)
			if c.OwnerID <= 0 {
				fe.add(tab.field(i, "owner"), Problem{Key: "no_person"}, "no such person")
			}
		default:
			platform, user, ok := strings.Cut(owner, ":")
			platform, user = strings.ToLower(strings.TrimSpace(platform)), strings.TrimSpace(user)
			if !ok || platform == "" || user == "" || !isWord(platform) {
				fe.add(tab.field(i, "owner"), Problem{Key: "owner"}, "must be a person id or a chat account like telegram:12345")
				break
			}
			c.OwnerAccount = ChatAccount{Platform: platform, UserID: user}
		}
		cs = append(cs, c)
	}
	checkDirectory(&fe, cs, nil, tab.line, nil)
	if err := fe.err("customers file"); err != nil {
		return nil, err
	}
	return cs, nil
}

// ParseOrdersCSV reads orders from a CSV file like ParseCustomersCSV,
// dates in Asia/Shanghai (ParseOrdersCSVIn with the service's zone,
// Service.Location, follows TZ_NAME instead).
func ParseOrdersCSV(r io.Reader) ([]*Order, error) {
	return ParseOrdersCSVIn(r, defaultLocation())
}

// ParseOrdersCSVIn reads orders from a CSV file like ParseCustomersCSV.
// The columns are number, customer (the customer's code), ordered_at
// (required), product, status, shipped_at and warranty_until; a date is
// 2026-11-25 (or 2026/11/25) or 2026-11-25 14:30 in loc, or an RFC 3339
// time (ParseOrderTime). Each row is checked as ImportCustomers checks
// it, but for its customer's existence; errors name the line.
func ParseOrdersCSVIn(r io.Reader, loc *time.Location) ([]*Order, error) {
	tab, err := readCSV(r, "orders", orderColumns, []string{"number", "customer", "ordered_at"})
	if err != nil {
		return nil, err
	}
	var fe fieldErrors
	orders := make([]*Order, 0, len(tab.rows))
	for i, row := range tab.rows {
		o := &Order{Number: tab.get(row, "number"), CustomerCode: tab.get(row, "customer"),
			Product: tab.get(row, "product"), Status: tab.get(row, "status")}
		for _, d := range []struct {
			col string
			t   *time.Time
		}{{"ordered_at", &o.OrderedAt}, {"shipped_at", &o.ShippedAt}, {"warranty_until", &o.WarrantyUntil}} {
			t, err := ParseOrderTime(tab.get(row, d.col), loc)
			if err != nil {
				// Added first, this problem is the field's: not "required".
				fe.add(tab.field(i, d.col), Problem{Key: "date"}, "must be a date like 2026-11-25 or a time like 2026-11-25T14:30:00+08:00")
			}
			*d.t = t
		}
		orders = append(orders, o)
	}
	checkDirectory(&fe, nil, orders, nil, tab.line)
	if err := fe.err("orders file"); err != nil {
		return nil, err
	}
	return orders, nil
}

// csvTable is a CSV file read by readCSV.
type csvTable struct {
	cols  map[string]int // column name → index
	rows  [][]string
	lines []int // the line each row starts on
}

func (t *csvTable) get(row []string, col string) string {
	i, ok := t.cols[col]
	if !ok || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// line names row i by its line in the file: "line 3".
func (t *csvTable) line(i int) string { return "line " + strconv.Itoa(t.lines[i]) }

func (t *csvTable) field(i int, col string) string { return t.line(i) + "." + col }

// CSVRowLines returns the line each data row of a CSV file starts on,
// row i of ParseCustomersCSV or ParseOrdersCSV being on line lines[i]:
// a tool names the rows ImportCustomers refuses ("customers[2]") by
// their lines. Errors as ParseCustomersCSV's for a file that is not CSV.
func CSVRowLines(r io.Reader) ([]int, error) {
	t, err := readCSV(r, "CSV", nil, nil)
	if err != nil {
		return nil, err
	}
	return t.lines, nil
}

// readCSV reads a CSV file whose first line names its columns: each of
// known (nil: any) at most once, every one of required. A row may leave out empty
// columns at its end; a line that is not CSV, or a row with more
// (non-empty) fields than the header, is EINVALID naming its line.
func readCSV(r io.Reader, what string, known, required []string) (*csvTable, error) {
	bad := func(field, format string, args ...any) error {
		return &Error{Code: EINVALID, Message: "invalid " + what + " file", Fields: map[string]string{field: fmt.Sprintf(format, args...)}}
	}
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3) // Excel's UTF-8 byte order mark
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // counted below, to name the line
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, bad("line 1", "the file is empty: its first line must name the columns (%s)", strings.Join(known, ","))
	} else if err != nil {
		return nil, csvError(err, bad)
	}
	t := &csvTable{cols: map[string]int{}}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" && i == len(header)-1 {
			continue // a trailing comma
		}
		if known != nil && !slices.Contains(known, h) {
			return nil, bad("line 1", "unknown column %q: the columns are %s", h, strings.Join(known, ","))
		}
		if _, dup := t.cols[h]; dup {
			return nil, bad("line 1", "column %q is named twice", h)
		}
		t.cols[h] = i
	}
	for _, c := range required {
		if _, ok := t.cols[c]; !ok {
			return nil, bad("line 1", "the first line must name the columns (%s): %s is missing", strings.Join(known, ","), c)
		}
	}
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, csvError(err, bad)
		}
		line, _ := cr.FieldPos(0)
		for i := len(header); i < len(row); i++ {
			if strings.TrimSpace(row[i]) != "" {
				return nil, bad("line "+strconv.Itoa(line), "has %d fields, the first line names %d columns", len(row), len(header))
			}
		}
		if allEmpty(row) {
			continue // a row of empty cells, as spreadsheets save below the data
		}
		t.rows, t.lines = append(t.rows, row), append(t.lines, line)
	}
	return t, nil
}

// csvError names the line of a CSV syntax error.
func csvError(err error, bad func(field, format string, args ...any) error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return bad("line "+strconv.Itoa(pe.StartLine), "%v", pe.Err)
	}
	return fmt.Errorf("read CSV: %w", err)
}

// splitPhones splits a phones cell into numbers: at ";", "/", "," (and
// their full-width forms) and line breaks, then at spaces only where the
// part is not one number already (138 0013 8000) but its space-separated
// pieces, gathered left to right, make numbers (13800138000 13900139000).
func splitPhones(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(";/,；／，、\n\r", r) })
	var out []string
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, ok := PhoneDigits(p); ok {
			out = append(out, p)
			continue
		}
		if nums, ok := gatherPhones(strings.Fields(p)); ok {
			out = append(out, nums...)
			continue
		}
		out = append(out, p) // bad as it is: the check names it
	}
	return out
}

// gatherPhones joins consecutive pieces until they make a number; ok is
// false when pieces are left over.
func gatherPhones(pieces []string) ([]string, bool) {
	var out []string
	cur := ""
	for _, f := range pieces {
		if cur != "" {
			cur += " "
		}
		cur += f
		if _, ok := PhoneDigits(cur); ok {
			out, cur = append(out, cur), ""
		}
	}
	return out, cur == "" && len(out) > 1
}

func isDigits(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

func isWord(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') }) < 0
}

func allEmpty(row []string) bool {
	for _, f := range row {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
