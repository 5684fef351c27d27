package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend/postgres/pgtest"
)

// cli runs deskbot with args and returns what it printed, or fails t.
func cli(tb testing.TB, vars map[string]string, args ...string) string {
	tb.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), args, env(vars), &out, io.Discard); err != nil {
		tb.Fatalf("deskbot %s: %s", strings.Join(args, " "), describe(err))
	}
	return out.String()
}

// cliErr runs deskbot with args, which must fail, and returns the error
// as main prints it.
func cliErr(tb testing.TB, vars map[string]string, args ...string) string {
	tb.Helper()
	err := run(context.Background(), args, env(vars), io.Discard, io.Discard)
	if err == nil {
		tb.Fatalf("deskbot %s: no error", strings.Join(args, " "))
	}
	return describe(err)
}

// idIn returns the first number re's group matches in s, or fails t.
func idIn(tb testing.TB, re, s string) string {
	tb.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		tb.Fatalf("%q not in %q", re, s)
	}
	if _, err := strconv.ParseInt(m[1], 10, 64); err != nil {
		tb.Fatalf("%q in %q: %v", re, s, err)
	}
	return m[1]
}

// cliDatabases are the two databases the CLI tests run on.
var cliDatabases = []struct {
	name string
	vars func(t *testing.T) map[string]string
}{
	{"sqlite", func(t *testing.T) map[string]string { return map[string]string{"DESKBOT_DATA": t.TempDir()} }},
	{"postgres", func(t *testing.T) map[string]string {
		return map[string]string{"DATABASE_URL": pgtest.NewSchema(t), "DESKBOT_DATA": t.TempDir()}
	}},
}

// TestTeamLead: an operator sets a team's lead at creation or later, only
// to a person who exists and is staff, and sees it in team list.
func TestTeamLead(t *testing.T) {
	for _, db := range cliDatabases {
		t.Run(db.name, func(t *testing.T) {
			vars := db.vars(t)
			tech := idIn(t, `created with id (\d+) \(no lead`, cli(t, vars, "team", "create", "--name", "技术部"))
			carol := idIn(t, `person (\d+)`, cli(t, vars, "user", "create", "--name", "carol", "--role", "assistant", "--team", tech))
			dan := idIn(t, `person (\d+)`, cli(t, vars, "user", "create", "--name", "dan", "--role", "manager"))
			cli(t, vars, "token", "create", "--role", "reporter", "--name", "rep")
			rep := idIn(t, `(?m)^(\d+) +rep +reporter`, cli(t, vars, "user", "list", "--role", "reporter"))

			t.Run("OK", func(t *testing.T) {
				out := cli(t, vars, "team", "set-lead", "--team", tech, "--person", carol)
				if want := `team ` + tech + ` "技术部": lead is now person ` + carol + ` "carol" (was none)`; !strings.Contains(out, want) {
					t.Fatalf("set-lead printed %q, want %q", out, want)
				}
				if !strings.Contains(out, "no chat, e-mail or SMS account") {
					t.Errorf("no warning that the lead cannot be reached: %q", out)
				}
				out = cli(t, vars, "team", "set-lead", "--team", tech, "--person", dan)
				if !strings.Contains(out, `lead is now person `+dan+` "dan" (was person `+carol+` "carol")`) {
					t.Fatalf("second set-lead printed %q", out)
				}
				if out := cli(t, vars, "team", "list"); !regexp.MustCompile(`(?m)^` + tech + ` +技术部 +` + dan + ` dan +-$`).MatchString(out) {
					t.Fatalf("team list:\n%s", out)
				}
				if out := cli(t, vars, "team", "set-lead", "--team", tech, "--none"); !strings.Contains(out, "has no lead now (was person "+dan) {
					t.Fatalf("set-lead --none printed %q", out)
				}
				cli(t, vars, "team", "set-lead", "--team", tech, "--person", carol)
				out = cli(t, vars, "team", "create", "--name", "产品部", "--lead", dan)
				product := idIn(t, `created with id (\d+), lead person `+dan+` "dan"`, out)
				if out := cli(t, vars, "user", "list", "--role", "manager"); !strings.Contains(out, "(lead of "+product+" 产品部)") {
					t.Fatalf("user list does not show what dan leads:\n%s", out)
				}
				if out := cli(t, vars, "user", "list", "--team", tech); !strings.Contains(out, tech+" 技术部 (lead)") || strings.Contains(out, "dan") {
					t.Fatalf("user list --team %s:\n%s", tech, out)
				}
			})
			t.Run("ErrNotStaff", func(t *testing.T) {
				if got := cliErr(t, vars, "team", "set-lead", "--team", tech, "--person", rep); !strings.Contains(got, "has role reporter, not staff") {
					t.Fatalf("reporter as lead: %q", got)
				}
				if got := cliErr(t, vars, "team", "create", "--name", "客服部", "--lead", rep); !strings.Contains(got, "not staff") {
					t.Fatalf("team create with a reporter lead: %q", got)
				}
				if out := cli(t, vars, "team", "list"); strings.Contains(out, "客服部") {
					t.Fatalf("a team was created with a refused lead:\n%s", out)
				}
			})
			t.Run("ErrNotFound", func(t *testing.T) {
				for _, tc := range []struct {
					args []string
					want string
				}{
					{[]string{"team", "set-lead", "--team", tech, "--person", "9999"}, "person 9999 not found (deskbot user list"},
					{[]string{"team", "set-lead", "--team", "9999", "--person", carol}, "team 9999 not found (deskbot team list"},
					{[]string{"team", "create", "--name", "x", "--lead", "9999"}, "person 9999 not found"},
				} {
					if got := cliErr(t, vars, tc.args...); !strings.Contains(got, tc.want) {
						t.Errorf("%v: %q, want %q", tc.args, got, tc.want)
					}
				}
			})
			t.Run("ErrUsage", func(t *testing.T) {
				for _, tc := range []struct {
					args []string
					want string
				}{
					{[]string{"team", "set-lead", "--person", carol}, "--team is required"},
					{[]string{"team", "set-lead", "--team", tech}, "--person is required"},
					{[]string{"team", "set-lead", "--team", tech, "--person", carol, "--none"}, "not both"},
					{[]string{"team", "rename"}, `unknown team command "rename"`},
					{[]string{"team"}, "deskbot team set-lead"},
				} {
					if got := cliErr(t, vars, tc.args...); !strings.Contains(got, tc.want) {
						t.Errorf("%v: %q, want %q", tc.args, got, tc.want)
					}
				}
			})
		})
	}
}

// TestTeamChat: an operator gives a team its own Telegram group and
// Slack channel, sees them in team list, changes and clears them; bad ids
// and unknown teams are refused and change nothing.
func TestTeamChat(t *testing.T) {
	for _, db := range cliDatabases {
		t.Run(db.name, func(t *testing.T) {
			vars := db.vars(t)
			tech := idIn(t, `created with id (\d+)`, cli(t, vars, "team", "create", "--name", "技术部"))
			product := idIn(t, `created with id (\d+)`, cli(t, vars, "team", "create", "--name", "产品部"))
			row := func(id, name, chats string) *regexp.Regexp {
				return regexp.MustCompile(`(?m)^` + id + ` +` + name + ` +- +` + regexp.QuoteMeta(chats) + `$`)
			}
			list := func() string { return cli(t, vars, "team", "list") }

			t.Run("OK", func(t *testing.T) {
				out := cli(t, vars, "team", "set-chat", "--team", tech, "--telegram", "-1001234567890", "--slack", "C0123ABCD")
				for _, want := range []string{
					`team ` + tech + ` "技术部": Telegram group is now -1001234567890 (was none)`,
					`team ` + tech + ` "技术部": Slack channel is now C0123ABCD (was none)`,
					"note: telegram is off in this configuration", "note: slack is off",
				} {
					if !strings.Contains(out, want) {
						t.Fatalf("set-chat printed %q, want %q", out, want)
					}
				}
				if out := list(); !row(tech, "技术部", "telegram -1001234567890, slack C0123ABCD").MatchString(out) || !row(product, "产品部", "-").MatchString(out) {
					t.Fatalf("team list:\n%s", out)
				}
				// A shared group is allowed, and said.
				out = cli(t, vars, "team", "set-chat", "--team", product, "--telegram", "-1001234567890")
				if !strings.Contains(out, `note: team `+tech+` "技术部" has that chat too`) {
					t.Fatalf("sharing a group printed %q", out)
				}
				// none clears one platform; the other stays.
				out = cli(t, vars, "team", "set-chat", "--team", tech, "--telegram", "none")
				if !strings.Contains(out, `no Telegram group of its own now (was -1001234567890)`) {
					t.Fatalf("set-chat --telegram none printed %q", out)
				}
				if out := list(); !row(tech, "技术部", "slack C0123ABCD").MatchString(out) {
					t.Fatalf("team list after clearing Telegram:\n%s", out)
				}
				cli(t, vars, "team", "set-chat", "--team", tech, "--none")
				if out := list(); !row(tech, "技术部", "-").MatchString(out) {
					t.Fatalf("team list after --none:\n%s", out)
				}
			})
			t.Run("ErrUsage", func(t *testing.T) {
				cli(t, vars, "team", "set-chat", "--team", tech, "--slack", "C0123ABCD")
				for _, tc := range []struct {
					args []string
					want string
				}{
					{[]string{"team", "set-chat", "--telegram", "-100"}, "--team is required"},
					{[]string{"team", "set-chat", "--team", tech}, "give --telegram and/or --slack"},
					{[]string{"team", "set-chat", "--team", tech, "--none", "--slack", "C1"}, "not both"},
					{[]string{"team", "set-chat", "--team", tech, "--telegram", "12345"}, "a group's id is negative"},
					{[]string{"team", "set-chat", "--team", tech, "--telegram", "-100", "--slack", "#general"}, "not a channel id"},
					{[]string{"team", "set-chat", "--team", "9999", "--slack", "C0123ABCD"}, "team 9999 not found (deskbot team list"},
				} {
					if got := cliErr(t, vars, tc.args...); !strings.Contains(got, tc.want) {
						t.Errorf("%v: %q, want %q", tc.args, got, tc.want)
					}
				}
				if out := list(); !row(tech, "技术部", "slack C0123ABCD").MatchString(out) {
					t.Fatalf("a refused set-chat changed the team:\n%s", out)
				}
			})
		})
	}
}
