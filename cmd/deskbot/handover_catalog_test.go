package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/web"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestHandoverTexts checks that every text of the ticket page's 指派 /
// 转派 forms is in every catalog (the console's tests show keys, not
// texts), and that their errors read in the reader's language.
func TestHandoverTexts(t *testing.T) {
	c, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../../backend/web/templates/ticket.html")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`"(web\.act\.(?:handover|assign|transfer)[a-z_]*)"`).FindAllStringSubmatch(string(b), -1) {
		ids[m[1]] = true
	}
	if len(ids) < 9 {
		t.Fatalf("found %v in ticket.html; is the pattern right?", ids)
	}
	for _, id := range []string{"err.same_team", "err.problem.transfer_reason", "err.problem.not_staff", "err.problem.no_person",
		"err.problem.required", "err.problem.number", "err.field.note", "err.field.assignee_id", "err.field.team_id", "web.ev.transferred"} {
		ids[id] = true
	}
	for id := range ids {
		if !c.Has(id) {
			t.Errorf("%s is not in every catalog", id)
		}
	}

	noReason := backend.Invalid("a reason is required to transfer", "note", "the reason is required", backend.Problem{Key: "transfer_reason"})
	noTeam := backend.Invalid("invalid team_id", "team_id", "required", backend.Problem{Key: "required"})
	for _, tc := range []struct {
		loc  string
		err  error
		want string
	}{
		{"zh-CN", noReason, "请填写转派原因"},
		{"en", noReason, "the reason for the transfer is required"},
		{"zh-CN", noTeam, "部门"},
		{"zh-CN", backend.Keyed(backend.ECONFLICT, "same_team", map[string]any{"Number": "FB-20261124-0001", "Team": "财务部"}, "same"), "已经在财务部"},
	} {
		if got := web.ErrorText(c, tc.loc, tc.err); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q in it", tc.loc, got, tc.want)
		}
	}
}
