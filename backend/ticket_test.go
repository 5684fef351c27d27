package backend_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// TestValidateForms: each intake form is held to its own rules; the
// feedback form's (category, time, region, customer contact) are not
// asked of a suggestion or a complaint.
func TestValidateForms(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		in   backend.NewTicket
		want []string // fields named, sorted; none: valid
		sev  backend.Severity
	}{
		{name: "suggestion", in: backend.NewTicket{Prefix: "SG", Form: "suggestion", Summary: "希望提单系统可以保存草稿"}, sev: backend.P4},
		{name: "suggestion with a bad contact", in: backend.NewTicket{Prefix: "SG", Form: "suggestion", Summary: "希望提单系统可以保存草稿",
			Contacts: backend.Contacts{QQ: "12"}}, want: []string{"contacts.qq"}, sev: backend.P4},
		{name: "urgent complaint", in: backend.NewTicket{Prefix: "CP", Form: "complaint", Summary: "这批螺丝刀杆上有铁锈", OrderNumber: "20080505003",
			Contacts: backend.Contacts{Phone: "13900139000"}, Extra: map[string]string{"urgency": "urgent", "customer": "李先生", "requests": "上门处理并说明原因"}}, sev: backend.P2},
		{name: "normal complaint", in: backend.NewTicket{Prefix: "CP", Form: "complaint", Summary: "这批螺丝刀杆上有铁锈", OrderNumber: "20080505003",
			Contacts: backend.Contacts{Phone: "13900139000"}, Extra: map[string]string{"urgency": "normal", "customer": "李先生", "requests": "上门处理并说明原因"}}, sev: backend.P3},
		{name: "complaint without order or customer", in: backend.NewTicket{Prefix: "CP", Form: "complaint", Summary: "这批螺丝刀杆上有铁锈"},
			want: []string{"contacts", "extra.customer", "extra.requests", "order_number"}, sev: backend.P3},
		{name: "feedback without its fields", in: backend.NewTicket{Prefix: "FB", Form: "feedback", Summary: "放心房上线后在前台不显示"},
			want: []string{"category", "contacts", "occurred_at", "region", "severity"}},
		{name: "from a group message", in: backend.NewTicket{Prefix: "SG", Form: "suggestion", Summary: "希望提单系统可以保存草稿",
			Source: "telegram:-1001234567890:42"}, sev: backend.P4},
		{name: "from a malformed source", in: backend.NewTicket{Prefix: "SG", Form: "suggestion", Summary: "希望提单系统可以保存草稿",
			Source: "telegram:42"}, want: []string{"source"}, sev: backend.P4},
		{name: "a form added as YAML", in: backend.NewTicket{Prefix: "IT", Form: "it_request", Summary: "新员工需要开通提单系统账号", Severity: backend.P3}, sev: backend.P3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Defaults()
			if in.Severity != tc.sev {
				t.Errorf("severity %q, want %q", in.Severity, tc.sev)
			}
			got := slices.Sorted(maps.Keys(backend.ErrorFields(in.Validate(now))))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("fields named %v, want %v (%v)", got, tc.want, in.Validate(now))
			}
		})
	}
}

// TestParseSource: a source is platform, chat and message; the chat may
// hold colons (the message is after the last one), the platform may not.
func TestParseSource(t *testing.T) {
	for _, tc := range []struct {
		in                      string
		platform, chat, message string
		ok                      bool
	}{
		{in: "telegram:-1001234567890:42", platform: "telegram", chat: "-1001234567890", message: "42", ok: true},
		{in: "slack:C0123:T1:1700000000.000100", platform: "slack", chat: "C0123:T1", message: "1700000000.000100", ok: true},
		{in: ""},
		{in: "telegram"},
		{in: "telegram:-100123"},
		{in: ":-100123:42"},
		{in: "telegram::42"},
		{in: "telegram:-100123:"},
		{in: "tele gram:-100123:42"},
		{in: "telegram:" + strings.Repeat("1", 200) + ":42"},
	} {
		platform, chat, message, ok := backend.ParseSource(tc.in)
		if platform != tc.platform || chat != tc.chat || message != tc.message || ok != tc.ok {
			t.Errorf("ParseSource(%q) = %q, %q, %q, %v; want %q, %q, %q, %v", tc.in, platform, chat, message, ok, tc.platform, tc.chat, tc.message, tc.ok)
		}
	}
}

// TestRedactedFor: the customer's contacts, account and the personal
// fields of a form (backend.PersonalField) are masked for staff who do not
// hold the ticket, and shown in full to its reporter, its assignee and
// managers (DESIGN §10); business fields are shown to everyone.
func TestRedactedFor(t *testing.T) {
	tk := &backend.Ticket{Number: "CP-20261123-0001", Form: "complaint", ReporterID: 1, AssigneeID: 2,
		Contacts: backend.Contacts{Phone: "13900139000"}, Account: "agent-8812",
		Extra: map[string]string{"customer": "李先生", "customer_phone": "13800138000", "buyer_email": "wang@example.com",
			"shop_contact": "123456789", "customer_company": "华东五金有限公司", "requests": "上门处理并说明原因", "urgency": "urgent"}}
	masked := map[string]string{"customer": "李**", "customer_phone": "138****8000", "buyer_email": "w***@example.com",
		"shop_contact": "12*****89", "customer_company": "华**", "requests": "上门处理并说明原因", "urgency": "urgent"}
	for _, tc := range []struct {
		name   string
		viewer *backend.Person
		full   bool
	}{
		{"reporter", &backend.Person{ID: 1, Roles: []backend.Role{backend.RoleReporter}}, true},
		{"assignee", &backend.Person{ID: 2, Roles: []backend.Role{backend.RoleAssistant}}, true},
		{"manager", &backend.Person{ID: 3, Roles: []backend.Role{backend.RoleManager}}, true},
		{"admin", &backend.Person{ID: 4, Roles: []backend.Role{backend.RoleAdmin}}, true},
		{"colleague", &backend.Person{ID: 5, Roles: []backend.Role{backend.RoleAssistant}}, false},
		{"group chat", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tk.RedactedFor(tc.viewer)
			want := masked
			if tc.full {
				want = tk.Extra
			}
			if !maps.Equal(got.Extra, want) {
				t.Errorf("extra = %v, want %v", got.Extra, want)
			}
			if full := got.Contacts.Phone == "13900139000" && got.Account == "agent-8812"; full != tc.full {
				t.Errorf("contacts %+v account %q; full %v, want %v", got.Contacts, got.Account, full, tc.full)
			}
		})
	}
	if tk.Extra["customer"] != "李先生" {
		t.Fatalf("RedactedFor changed the ticket's own extra: %v", tk.Extra)
	}
}

func TestPersonalField(t *testing.T) {
	for key, want := range map[string]bool{"customer": true, "customer_phone": true, "contact_name": true, "buyer_email": true,
		"shop_contact": true, "requests": false, "urgency": false, "customers": false, "name": false} {
		if got := backend.PersonalField(key); got != want {
			t.Errorf("PersonalField(%q) = %v, want %v", key, got, want)
		}
	}
}
