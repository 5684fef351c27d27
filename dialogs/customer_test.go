package dialogs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// testDirectory knows two customers by phone and fails for 13700000000.
type testDirectory struct {
	mu      sync.Mutex
	lookups []string
}

func (d *testDirectory) LookupCustomer(_ context.Context, _ SessionKey, phone string) (*Customer, error) {
	d.mu.Lock()
	d.lookups = append(d.lookups, phone)
	d.mu.Unlock()
	day := func(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 10, 0, 0, 0, shanghai()) }
	switch phone {
	case "13912345678":
		return &Customer{Name: "华东五金", Orders: []CustomerOrder{
			{Number: "20261101007", Product: "扳手 × 200", Status: "已下单", OrderedAt: day(2026, 11, 1)},
			{Number: "20080505003", Product: "螺丝刀 × 5000", Status: "已出货", OrderedAt: day(2008, 5, 5), ShippedAt: day(2008, 5, 20), WarrantyUntil: day(2009, 5, 20)},
		}, Complaints: []CustomerComplaint{{Number: "CP-20261110-0002", Status: "in_progress", Summary: "扳手包装破损"}}}, nil
	case "13811112222":
		return &Customer{Name: "李先生"}, nil
	case "13822223333":
		return &Customer{Name: "张"}, nil // shorter than the form's name field takes
	case "13700000000":
		return nil, errors.New("directory is down")
	}
	return nil, nil
}

func newDirectoryEnv(t *testing.T) (*testEnv, *testDirectory) {
	t.Helper()
	env := newTestEnv(t, nil)
	dir := &testDirectory{}
	forms, err := DefaultForms(env.cat)
	if err != nil {
		t.Fatal(err)
	}
	env.eng, err = NewEngine(Config{Forms: forms, Sessions: env.store, Catalog: env.cat, Filer: env.filer,
		Directory: dir, Now: env.clock.Now, Location: shanghai()})
	if err != nil {
		t.Fatal(err)
	}
	return env, dir
}

func outText(out Output) string {
	var parts []string
	for _, r := range out.Replies {
		parts = append(parts, r.Text)
	}
	return strings.Join(parts, "\n---\n")
}

func buttonIDs(out Output) []string {
	var ids []string
	for _, r := range out.Replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				id, _, _ := strings.Cut(b.ID, "#")
				ids = append(ids, id+"="+b.Label)
			}
		}
	}
	return ids
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("%s: want %q in\n%s", what, w, got)
		}
	}
}

// TestCustomerLookup: the complaint's phone finds the customer; their name
// is offered to keep, their orders are buttons, and the chosen order's
// details go with the ticket (seed 001).
func TestCustomerLookup(t *testing.T) {
	env, dir := newDirectoryEnv(t)
	ctx := context.Background()
	if _, err := env.eng.Start(ctx, testKey, "complaint", "zh-CN"); err != nil {
		t.Fatal(err)
	}
	out := mustHandle(t, env.eng, Input{Text: "139 1234 5678"})
	mustContain(t, "after the phone", outText(out),
		"📇 客户目录中找到：华东五金",
		"• 20080505003 · 螺丝刀 × 5000 · 已出货 · 2008-05-05 下单 · 2008-05-20 出货 · 已过保修期（2009-05-20）",
		"• 20261101007 · 扳手 × 200 · 已下单 · 2026-11-01 下单",
		"• CP-20261110-0002 · 处理中 · 扳手包装破损",
		"当前答案：华东五金")
	if got := strings.Join(buttonIDs(out), " "); !strings.Contains(got, "cmd:keep=") {
		t.Fatalf("the found name cannot be kept: %s", got)
	}

	out = mustHandle(t, env.eng, Input{Button: "cmd:keep"})
	got := strings.Join(buttonIDs(out), " ")
	mustContain(t, "order buttons", got, "ord:0=20261101007 · 扳手 × 200", "ord:1=20080505003 · 螺丝刀 × 5000")
	mustContain(t, "order question", outText(out), "点选下面客户的订单")

	// A button of no order is stale and records nothing.
	out = mustHandle(t, env.eng, Input{Button: "ord:7"})
	if !out.Stale {
		t.Fatalf("ord:7 was taken: %s", outText(out))
	}
	out = mustHandle(t, env.eng, Input{Button: "ord:1"})
	mustContain(t, "order picked", outText(out), "20080505003", "📦 订单信息：螺丝刀 × 5000 · 已出货")

	for _, in := range []Input{
		{Text: "这批螺丝刀杆上有明显的铁锈，客户要求处理"}, {Text: "上门处理；查明原因并提出预防措施"}, {Text: "紧急"},
		{Button: "cmd:done"}, {Button: "cmd:submit"}, {Button: "cmd:confirm"},
	} {
		out = mustHandle(t, env.eng, in)
	}
	if len(env.filer.drafts) != 1 {
		t.Fatalf("%d drafts filed: %s", len(env.filer.drafts), outText(out))
	}
	d := env.filer.drafts[0]
	if d.Extra["customer"] != "华东五金" || d.OrderNumber != "20080505003" || d.Contacts.Phone != "13912345678" {
		t.Fatalf("draft customer %q order %q phone %q", d.Extra["customer"], d.OrderNumber, d.Contacts.Phone)
	}
	if want := "螺丝刀 × 5000 · 已出货 · 2008-05-05 下单 · 2008-05-20 出货 · 已过保修期（2009-05-20）"; d.Extra["order_number_detail"] != want {
		t.Fatalf("order detail %q, want %q", d.Extra["order_number_detail"], want)
	}
	if len(dir.lookups) != 1 {
		t.Fatalf("looked up %v, want once", dir.lookups)
	}
}

// TestCustomerLookupChanges: a number the directory does not know says so;
// another number replaces the found name but never one the reporter typed;
// a typed order number of the customer gets its details too; a failing
// directory is no customer.
func TestCustomerLookupChanges(t *testing.T) {
	env, dir := newDirectoryEnv(t)
	ctx := context.Background()
	env.eng.Start(ctx, testKey, "complaint", "zh-CN")
	out := mustHandle(t, env.eng, Input{Text: "13600001111"})
	mustContain(t, "unknown number", outText(out), "客户目录中没有这个号码")
	if strings.Contains(outText(out), "当前答案：") {
		t.Fatalf("a name was offered for an unknown number: %s", outText(out))
	}
	mustHandle(t, env.eng, Input{Button: "cmd:back"})
	out = mustHandle(t, env.eng, Input{Text: "13811112222"})
	mustContain(t, "second number", outText(out), "📇 客户目录中找到：李先生", "当前答案：李先生")
	if strings.Contains(outText(out), "最近订单") {
		t.Fatalf("orders listed for a customer with none: %s", outText(out))
	}
	mustHandle(t, env.eng, Input{Button: "cmd:back"})
	out = mustHandle(t, env.eng, Input{Text: "139-1234-5678"})
	mustContain(t, "third number", outText(out), "当前答案：华东五金") // the found name follows the number
	mustHandle(t, env.eng, Input{Text: "华东五金有限公司张经理"})        // typed: the reporter's own
	mustHandle(t, env.eng, Input{Button: "cmd:back"})
	mustHandle(t, env.eng, Input{Button: "cmd:back"})
	out = mustHandle(t, env.eng, Input{Text: "13811112222"})
	mustContain(t, "typed name kept", outText(out), "当前答案：华东五金有限公司张经理")

	// Back to the first customer: the order typed, not pressed, has details.
	mustHandle(t, env.eng, Input{Button: "cmd:back"})
	mustHandle(t, env.eng, Input{Text: "13912345678"})
	mustHandle(t, env.eng, Input{Button: "cmd:keep"})
	out = mustHandle(t, env.eng, Input{Text: "20261101007"})
	mustContain(t, "typed order", outText(out), "📦 订单信息：扳手 × 200")

	// The directory fails: the dialog goes on, nothing found, nothing said.
	mustHandle(t, env.eng, Input{Button: "cmd:back"})
	mustHandle(t, env.eng, Input{Button: "cmd:back"})
	mustHandle(t, env.eng, Input{Button: "cmd:back"})
	out = mustHandle(t, env.eng, Input{Text: "13700000000"})
	if s := outText(out); strings.Contains(s, "客户目录") || !strings.Contains(s, "客户名称") {
		t.Fatalf("after a failed lookup: %s", s)
	}
	if got := strings.Join(dir.lookups, ","); got != "13600001111,13811112222,13912345678,13811112222,13912345678,13700000000" {
		t.Fatalf("lookups %s", got)
	}
}

// TestLookupFormErrors: a lookup must name later fields of the right types.
func TestLookupFormErrors(t *testing.T) {
	env := newTestEnv(t, nil)
	for _, tc := range []struct{ form, want string }{
		{`{id: complaint, prefix: CP, fields: [{id: customer_phone, type: contact, slot: contacts, kinds: [email], lookup: {name: customer}}, {id: customer, type: text}]}`, "needs a phone number"},
		{`{id: complaint, prefix: CP, fields: [{id: customer_phone, type: contact, slot: contacts, lookup: {}}]}`, "fills nothing"},
		{`{id: complaint, prefix: CP, fields: [{id: customer_phone, type: contact, slot: contacts, lookup: {name: who}}]}`, `unknown field "who"`},
		{`{id: complaint, prefix: CP, fields: [{id: customer_phone, type: contact, slot: contacts, lookup: {order: customer}}, {id: customer, type: text}]}`, "is a text field, want id"},
		{`{id: complaint, prefix: CP, fields: [{id: customer, type: text}, {id: customer_phone, type: contact, slot: contacts, lookup: {name: customer}}]}`, "must come after"},
		{`{id: complaint, prefix: CP, fields: [{id: summary, type: text, slot: summary, lookup: {name: customer}}]}`, "lookup does not apply to a text field"},
	} {
		_, err := ParseForm(env.cat, "complaint.yaml", []byte(tc.form))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.form, err, tc.want)
		}
	}
}

// TestCustomerLookupForgets: another number drops what the last customer
// filled in — their name, the order of theirs — even when the lookup
// fails; a name the field would refuse is not filled in.
func TestCustomerLookupForgets(t *testing.T) {
	env, _ := newDirectoryEnv(t)
	env.eng.Start(context.Background(), testKey, "complaint", "zh-CN")
	mustHandle(t, env.eng, Input{Text: "13912345678"})
	mustHandle(t, env.eng, Input{Button: "cmd:keep"})
	mustHandle(t, env.eng, Input{Button: "ord:1"})
	for range 3 {
		mustHandle(t, env.eng, Input{Button: "cmd:back"})
	}
	out := mustHandle(t, env.eng, Input{Text: "13700000000"}) // the directory fails
	if s := outText(out); !strings.Contains(s, "客户名称") || strings.Contains(s, "当前答案") {
		t.Fatalf("the last customer's name is still filled in: %s", s)
	}
	out = mustHandle(t, env.eng, Input{Text: "王女士"})
	if s := outText(out); !strings.Contains(s, "销售订单号") || strings.Contains(s, "当前答案") || strings.Contains(s, "点选下面") {
		t.Fatalf("the last customer's order is still chosen: %s", s)
	}
	mustHandle(t, env.eng, Input{Button: "cmd:back"})
	mustHandle(t, env.eng, Input{Button: "cmd:back"})
	out = mustHandle(t, env.eng, Input{Text: "13822223333"})
	mustContain(t, "short name", outText(out), "📇 客户目录中找到：张", "当前答案：王女士")
}
