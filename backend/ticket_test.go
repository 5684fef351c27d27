package backend_test

import (
	"maps"
	"slices"
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
