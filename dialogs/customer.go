package dialogs

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Directory finds the customer behind a phone number in the customer
// directory (DESIGN §2, seed 001: the CRM knows the caller by their
// number, shows their recent orders and complaints, and the complaint is
// filled from the chosen order). A form field with a Lookup asks it once
// the number is given.
type Directory interface {
	// LookupCustomer returns the customer with phone (as the dialog
	// stores it: 13800138000, 010-62345678) as the reporter behind key
	// may see them; nil, nil when there is none, or none they may see.
	// An error is logged and the dialog goes on as without a directory.
	LookupCustomer(ctx context.Context, key SessionKey, phone string) (*Customer, error)
}

// Customer is what the directory knows of a caller.
type Customer struct {
	Phone      string              `json:"ph"` // the number looked up
	Name       string              `json:"n"`
	Filled     string              `json:"fi,omitempty"` // the name as filled in, if it was
	Orders     []CustomerOrder     `json:"o,omitempty"`  // newest first
	Complaints []CustomerComplaint `json:"-"`            // shown once, not kept
}

// CustomerOrder is one of the customer's sales orders.
type CustomerOrder struct {
	Number        string    `json:"n"`
	Product       string    `json:"p,omitempty"`
	Status        string    `json:"s,omitempty"` // the CRM's own words: 已出货
	OrderedAt     time.Time `json:"o,omitzero"`
	ShippedAt     time.Time `json:"sh,omitzero"`
	WarrantyUntil time.Time `json:"w,omitzero"`
}

// CustomerComplaint is one of the customer's earlier complaints.
type CustomerComplaint struct {
	Number  string
	Status  string // a ticket status (in_progress), shown by its catalog name
	Summary string
}

// maxCustomerOrders is how many orders a reporter is offered at most.
const maxCustomerOrders = 5

// lookupField returns the form's field with a directory lookup, or nil.
func (f *Form) lookupField() *Field {
	for _, fd := range f.Fields {
		if fd.Lookup != nil {
			return fd
		}
	}
	return nil
}

// lookupCustomer looks the phone just given to fd up in the directory,
// once per number: a customer found fills the name field (unless the
// reporter typed a name of their own) and offers their orders for the
// order field. Another number, or none, first forgets what the last
// customer filled in: their name and the choice of one of their orders.
func (t *turn) lookupCustomer(fd *Field, a *Answer) {
	st := t.st
	if t.e.directory == nil {
		return
	}
	phone := ""
	if a.Contacts != nil {
		phone = a.Contacts.Phone
	}
	if prev := st.Customer; prev != nil {
		if prev.Phone == phone {
			return
		}
		t.forgetCustomer(fd, prev)
	}
	if phone == "" {
		return
	}
	c, err := t.e.directory.LookupCustomer(t.ctx, t.key, phone)
	if err != nil {
		t.e.log.WarnContext(t.ctx, "dialogs: customer lookup failed", "form", t.form.ID, "err", err)
		return
	}
	if c == nil || strings.TrimSpace(c.Name) == "" {
		t.say("dialog.customer.unknown", nil)
		return
	}
	c.Phone, c.Filled = phone, ""
	c.Orders = c.Orders[:min(len(c.Orders), maxCustomerOrders)]
	// The name as the field would take it typed: one the field refuses
	// (too short, too long) is shown, not filled in.
	if name := t.form.Field(fd.Lookup.Name); name != nil && st.Answers[name.ID].empty() {
		if v, p := ValidateText(c.Name, name.MinLength, name.MaxLength); p == nil {
			st.Answers[name.ID], c.Filled = &Answer{Text: v}, v
		}
	}
	st.Customer = c
	t.say("dialog.customer.found", map[string]any{"Name": c.Name})
	if len(c.Orders) > 0 {
		lines := []string{t.T("dialog.customer.orders", nil)}
		for _, o := range c.Orders {
			lines = append(lines, "• "+o.Number+t.detailTail(o))
		}
		t.say("dialog.customer.list", map[string]any{"Lines": strings.Join(lines, "\n")})
	}
	if len(c.Complaints) > 0 {
		lines := []string{t.T("dialog.customer.complaints", nil)}
		for _, cp := range c.Complaints {
			lines = append(lines, t.T("dialog.customer.complaint", map[string]any{
				"Number": cp.Number, "Status": t.T("status."+cp.Status, nil), "Summary": clip(cp.Summary, 60)}))
		}
		t.say("dialog.customer.list", map[string]any{"Lines": strings.Join(lines, "\n")})
	}
}

// forgetCustomer drops what prev, the customer of the last number, filled
// in: the name, unless the reporter replaced it, and an order of theirs
// (asked again, as the field is empty).
func (t *turn) forgetCustomer(fd *Field, prev *Customer) {
	st := t.st
	st.Customer = nil
	if name := t.form.Field(fd.Lookup.Name); name != nil && prev.Filled != "" {
		if cur := st.Answers[name.ID]; cur != nil && cur.Text == prev.Filled {
			delete(st.Answers, name.ID)
		}
	}
	if order := t.form.Field(fd.Lookup.Order); order != nil {
		if cur := st.Answers[order.ID]; cur != nil {
			for _, o := range prev.Orders {
				if strings.EqualFold(o.Number, cur.Text) {
					delete(st.Answers, order.ID)
					break
				}
			}
		}
	}
}

// customerOrder returns the looked-up customer's order with number (any
// case), or nil.
func (st *state) customerOrder(number string) *CustomerOrder {
	if st.Customer == nil {
		return nil
	}
	for i, o := range st.Customer.Orders {
		if strings.EqualFold(o.Number, strings.TrimSpace(number)) {
			return &st.Customer.Orders[i]
		}
	}
	return nil
}

// isOrderField reports whether fd is the field the lookup offers orders for.
func (f *Form) isOrderField(fd *Field) bool {
	lf := f.lookupField()
	return lf != nil && lf.Lookup.Order == fd.ID
}

// orderButtons offers the looked-up customer's orders, one a row; a
// button is "ord:<index>", short enough for any platform's limit.
func (t *turn) orderButtons(fd *Field) [][]Button {
	if !t.form.isOrderField(fd) || t.st.Customer == nil {
		return nil
	}
	var rows [][]Button
	for i, o := range t.st.Customer.Orders {
		label := o.Number
		if o.Product != "" {
			label += " · " + clip(o.Product, 24)
		}
		rows = append(rows, []Button{{ID: "ord:" + strconv.Itoa(i), Label: label}})
	}
	return rows
}

// orderButton handles "ord:<index>": the order answers the order field.
func (t *turn) orderButton(rest string) {
	st := t.st
	i, err := strconv.Atoi(rest)
	if st.Step != stepField || !t.form.isOrderField(t.field()) || st.Customer == nil || err != nil || i < 0 || i >= len(st.Customer.Orders) {
		t.staleButton()
		return
	}
	t.answerText(st.Customer.Orders[i].Number)
}

// detailTail is an order's details after its number: " · 螺丝刀 × 5000 ·
// 已出货 · 2008-05-05 下单 · 保修至 2009-05-05", or "".
func (t *turn) detailTail(o CustomerOrder) string {
	if d := t.e.orderDetail(t.locale, o); d != "" {
		return " · " + d
	}
	return ""
}

// orderDetail is what a complaint's handler needs of the order (seed
// 001: when it was ordered and shipped, whether the warranty is over), in
// loc; "" when the directory knows nothing but its number.
func (e *Engine) orderDetail(loc string, o CustomerOrder) string {
	var parts []string
	for _, s := range []string{o.Product, o.Status} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	day := func(t time.Time) string { return t.In(e.loc).Format("2006-01-02") }
	if !o.OrderedAt.IsZero() {
		parts = append(parts, e.cat.T(loc, "dialog.customer.ordered", map[string]any{"Date": day(o.OrderedAt)}))
	}
	if !o.ShippedAt.IsZero() {
		parts = append(parts, e.cat.T(loc, "dialog.customer.shipped", map[string]any{"Date": day(o.ShippedAt)}))
	}
	if !o.WarrantyUntil.IsZero() {
		key := "dialog.customer.warranty"
		if day(e.now()) > day(o.WarrantyUntil) { // covered through its last day
			key = "dialog.customer.warranty_over"
		}
		parts = append(parts, e.cat.T(loc, key, map[string]any{"Date": day(o.WarrantyUntil)}))
	}
	return strings.Join(parts, " · ")
}
