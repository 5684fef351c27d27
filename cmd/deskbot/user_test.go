package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestUserCreate(t *testing.T) {
	cfg, err := LoadConfig(env(map[string]string{"DESKBOT_DATA": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	var out bytes.Buffer
	if err := userCmd(ctx, cfg, log, []string{"create", "--name", "Alice", "--role", "admin"}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "shown only once") {
		t.Fatalf("output %q", out.String())
	}
	out.Reset()
	err = userCmd(ctx, cfg, log, []string{"create", "--name", "bob", "--role", "assistant", "--password-stdin"}, strings.NewReader("a-long-secret-pw\n"), &out)
	if err != nil || strings.Contains(out.String(), "a-long-secret-pw") {
		t.Fatalf("stdin password: %v %q", err, out.String())
	}
	for _, args := range [][]string{
		{"create", "--name", "alice", "--role", "admin"},   // taken
		{"create", "--name", "carl", "--role", "reporter"}, // not staff
		{"create", "--role", "admin"},                      // no name
		{"delete"},                                         // unknown
	} {
		if err := userCmd(ctx, cfg, log, args, strings.NewReader(""), io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if err := userCmd(ctx, cfg, log, []string{"create", "--name", "dan", "--role", "manager", "--password-stdin"}, strings.NewReader("short\n"), io.Discard); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("short password: %v", err)
	}
}

// TestUserLink: an operator gives a person an e-mail address and a mobile
// number as second routes; an account of someone else, a second address
// and malformed input are refused, and nothing is half done.
func TestUserLink(t *testing.T) {
	for _, db := range cliDatabases {
		t.Run(db.name, func(t *testing.T) {
			vars := db.vars(t)
			carol := idIn(t, `person (\d+)`, cli(t, vars, "user", "create", "--name", "carol", "--role", "manager"))
			dan := idIn(t, `person (\d+)`, cli(t, vars, "user", "create", "--name", "dan", "--role", "assistant"))
			t.Run("OK", func(t *testing.T) {
				out := cli(t, vars, "user", "link", "--person", carol, "--email", "Carol.Li@Example.com", "--sms", "+86 138-0013-8000")
				for _, want := range []string{
					`linked e-mail carol.li@example.com to person ` + carol + ` "carol"`,
					`linked SMS 13800138000 to person ` + carol + ` "carol"`,
					"note: SMTP_URL is not set", "note: SMS_WEBHOOK_URL is not set",
				} {
					if !strings.Contains(out, want) {
						t.Errorf("link printed %q, lacks %q", out, want)
					}
				}
				if out := cli(t, vars, "user", "link", "--person", carol, "--sms", "13800138000"); !strings.Contains(out, "was linked to person "+carol+` "carol" already`) {
					t.Errorf("linking again printed %q", out)
				}
				vars := maps.Clone(vars)
				vars["SMTP_URL"] = "smtp://mail.example.com:587?from=desk@example.com"
				if out := cli(t, vars, "user", "link", "--person", carol, "--email", "carol.li@example.com"); strings.Contains(out, "note:") {
					t.Errorf("a note about SMTP_URL though it is set: %q", out)
				}
				if out := cli(t, vars, "user", "list", "--role", "manager"); !regexp.MustCompile(`(?m)^` + carol + ` +carol +manager +- +email,sms$`).MatchString(out) {
					t.Fatalf("user list:\n%s", out)
				}
			})
			t.Run("ErrConflict", func(t *testing.T) {
				for _, tc := range []struct {
					args []string
					want string
				}{
					{[]string{"--person", dan, "--email", "carol.li@example.com"}, "email account carol.li@example.com is linked to someone else"},
					{[]string{"--person", dan, "--email", "dan@example.com", "--sms", "13800138000"}, "sms account 13800138000 is linked to someone else"},
					{[]string{"--person", carol, "--email", "other@example.com"}, "has e-mail carol.li@example.com already"},
				} {
					if got := cliErr(t, vars, append([]string{"user", "link"}, tc.args...)...); !strings.Contains(got, tc.want) {
						t.Errorf("%v: %q, want %q", tc.args, got, tc.want)
					}
				}
				// The refused SMS number left dan's e-mail unlinked too.
				if out := cli(t, vars, "user", "list", "--role", "assistant"); !regexp.MustCompile(`(?m)^` + dan + ` +dan +assistant +- +-$`).MatchString(out) {
					t.Fatalf("a refused link changed dan:\n%s", out)
				}
			})
			t.Run("ErrInput", func(t *testing.T) {
				for _, tc := range []struct {
					args []string
					want string
				}{
					{[]string{"--email", "a@example.com"}, "--person is required"},
					{[]string{"--person", dan}, "give --email ADDRESS, --sms NUMBER or both"},
					{[]string{"--person", dan, "--email", "dan"}, `--email "dan" is not an e-mail address`},
					{[]string{"--person", dan, "--sms", "12345"}, `--sms "12345" is not a mainland China mobile number`},
					{[]string{"--person", "9999", "--email", "x@example.com"}, "person 9999 not found (deskbot user list"},
				} {
					if got := cliErr(t, vars, append([]string{"user", "link"}, tc.args...)...); !strings.Contains(got, tc.want) {
						t.Errorf("%v: %q, want %q", tc.args, got, tc.want)
					}
				}
			})
		})
	}
}

// TestUserList: people one per line, filtered by team and role.
func TestUserList(t *testing.T) {
	vars := map[string]string{"DESKBOT_DATA": t.TempDir()}
	if out := cli(t, vars, "user", "list"); !strings.Contains(out, "nobody matches") {
		t.Fatalf("empty list: %q", out)
	}
	tech := idIn(t, `id (\d+)`, cli(t, vars, "team", "create", "--name", "tech"))
	ann := idIn(t, `person (\d+)`, cli(t, vars, "user", "create", "--name", "ann", "--role", "assistant", "--team", tech))
	cli(t, vars, "token", "create", "--role", "admin", "--name", "bot")
	out := cli(t, vars, "user", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !regexp.MustCompile(`^`+ann+` +ann +assistant +`+tech+` tech +-$`).MatchString(lines[1]) || !strings.Contains(lines[2], "bot") {
		t.Fatalf("user list:\n%s", out)
	}
	if out := cli(t, vars, "user", "list", "--team", tech); strings.Contains(out, "bot") || !strings.Contains(out, "ann") {
		t.Fatalf("user list --team:\n%s", out)
	}
	if out := cli(t, vars, "user", "list", "--role", "admin"); strings.Contains(out, "ann") || !strings.Contains(out, "bot") {
		t.Fatalf("user list --role admin:\n%s", out)
	}
	if got := cliErr(t, vars, "user", "list", "--role", "pope"); !strings.Contains(got, "--role must be one of") {
		t.Fatalf("bad role: %q", got)
	}
	if got := cliErr(t, vars, "user", "list", "--team", "9999"); !strings.Contains(got, "team 9999 not found") {
		t.Fatalf("missing team: %q", got)
	}
}

func TestParseRoutes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"li.lei@example.com", "li.lei@example.com"},
		{" Li.Lei@Example.COM ", "li.lei@example.com"},
		{"li.lei", ""},
		{"Li Lei <li.lei@example.com>", ""},
		{"li@localhost", ""},
		{"a@b@example.com", ""},
	} {
		got, err := parseEmail(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("parseEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"13800138000", "13800138000"},
		{"138 0013 8000", "13800138000"},
		{"+86 138-0013-8000", "13800138000"},
		{"8613800138000", "13800138000"},
		{"19912345678", "19912345678"},
		{"12345678901", ""},  // no 12… mobiles
		{"1380013800", ""},   // 10 digits
		{"138001380001", ""}, // 12 digits
		{"+14155552671", ""}, // not +86
		{"1380013800a", ""},  // a letter
		{"010-12345678", ""}, // a landline
		{"+85291234567", ""}, // Hong Kong
		{"", ""},
	} {
		got, err := parseMobile(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("parseMobile(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestUserDeactivate: an operator deactivates someone who left; from the
// next request on, their API token gets 401 and user list and token list
// say so, their open tickets are listed; reactivated, the token works
// again. A revoked token gets 401 for good.
func TestUserDeactivate(t *testing.T) {
	for _, db := range cliDatabases {
		t.Run(db.name, func(t *testing.T) {
			vars := db.vars(t)
			cli(t, vars, "migrate")
			out := cli(t, vars, "token", "create", "--role", "assistant", "--name", "ann")
			tokenID, secret := idIn(t, `id (\d+)`, out), strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
			ann := idIn(t, `^(\d+) +ann `, strings.Split(cli(t, vars, "user", "list", "--role", "assistant"), "\n")[1])
			m := startMain(t, vars)
			status := func() int {
				t.Helper()
				req, _ := http.NewRequest("GET", m.URL()+"/api/v1/tickets", nil)
				req.Header.Set("Authorization", "Bearer "+secret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if got := status(); got != http.StatusOK {
				t.Fatalf("token before: %d", got)
			}
			// A ticket ann holds, to be put back in the queue.
			rita := createToken(t, vars, "reporter")
			call := func(method, path, token, body string) map[string]any {
				t.Helper()
				return apiOK(t, m, method, path, token, body)
			}
			number, _ := call("POST", "/api/v1/tickets", rita, `{"summary":"系统异常导致无法提单，换浏览器也不行","category":["CRM问题","提单系统"],"severity":"P3","occurred_at":"2026-11-20T10:00:00+08:00","region":"广州","contacts":{"phone":"13912345678"}}`)["number"].(string)
			call("POST", "/api/v1/tickets/"+number+"/claim", secret, "")

			out = cli(t, vars, "user", "deactivate", "--person", ann)
			if !strings.Contains(out, "1 open tickets are still assigned") || !strings.Contains(out, number) {
				t.Fatalf("deactivate does not list %s:\n%s", number, out)
			}
			if !strings.Contains(out, `deactivated person `+ann+` "ann"`) {
				t.Fatalf("deactivate printed %q", out)
			}
			if got := status(); got != http.StatusUnauthorized {
				t.Fatalf("token of a deactivated person: %d, want 401", got)
			}
			if out := cli(t, vars, "user", "list", "--role", "assistant"); !regexp.MustCompile(`(?m)^` + ann + ` +ann +assistant \(deactivated \d{4}-\d\d-\d\d\)`).MatchString(out) {
				t.Fatalf("user list:\n%s", out)
			}
			if out := cli(t, vars, "token", "list"); !regexp.MustCompile(`(?m)^` + tokenID + ` +ann +` + ann + ` ann +assistant +\S+ +person deactivated`).MatchString(out) {
				t.Fatalf("token list:\n%s", out)
			}
			if got := cliErr(t, vars, "user", "deactivate", "--person", ann); !strings.Contains(got, "deactivated already") {
				t.Fatalf("deactivating twice: %q", got)
			}
			// Released later: back in the queue, with the reason.
			out = cli(t, vars, "user", "deactivate", "--person", ann, "--release")
			if !strings.Contains(out, "1 open tickets back in the queue") || !strings.Contains(out, number+"  P3  returned") {
				t.Fatalf("release printed:\n%s", out)
			}
			tk := call("GET", "/api/v1/tickets/"+number, rita, "")
			if tk["status"] != "returned" || tk["assignee_id"] != nil {
				t.Fatalf("released ticket: status %v, assignee %v", tk["status"], tk["assignee_id"])
			}
			if evs, _ := tk["events"].([]any); !strings.Contains(fmt.Sprint(evs[len(evs)-1]), "原处理人 ann 已停用") {
				t.Fatalf("the reporter does not read why: %v", evs[len(evs)-1])
			}

			cli(t, vars, "user", "reactivate", "--person", ann)
			if got := status(); got != http.StatusOK {
				t.Fatalf("token after reactivation: %d", got)
			}
			if out := cli(t, vars, "token", "revoke", "--id", tokenID); !strings.Contains(out, "revoked") {
				t.Fatalf("revoke printed %q", out)
			}
			if got := status(); got != http.StatusUnauthorized {
				t.Fatalf("revoked token: %d, want 401", got)
			}
			if out := cli(t, vars, "token", "list"); !regexp.MustCompile(`(?m)^` + tokenID + ` +ann .* revoked \d{4}-\d\d-\d\d$`).MatchString(out) {
				t.Fatalf("token list after revoke:\n%s", out)
			}
			for args, want := range map[string]string{
				"token revoke --id 999999":        "API token 999999 not found",
				"token revoke":                    "--id is required",
				"user deactivate --person 99999":  "person 99999 not found",
				"user reactivate --person " + ann: "is active",
				"user deactivate":                 "--person is required",
			} {
				if got := cliErr(t, vars, strings.Fields(args)...); !strings.Contains(got, want) {
					t.Errorf("deskbot %s: %q, want %q", args, got, want)
				}
			}
		})
	}
}
