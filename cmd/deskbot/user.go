package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/web"
	"github.com/deskbot/deskbot/bot/email"
	"github.com/deskbot/deskbot/bot/smshook"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

const userUsage = `usage: deskbot user create --name NAME --role admin|manager|assistant|info_specialist [--team ID] [--password-stdin]
       deskbot user link --person ID [--email ADDRESS] [--sms NUMBER]
       deskbot user list [--team ID] [--role ROLE]
       deskbot user deactivate --person ID [--release [--reason TEXT]]
       deskbot user reactivate --person ID`

// userCmd runs "deskbot user create|link|list|deactivate|reactivate".
func userCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(userUsage)
	}
	switch args[0] {
	case "create":
		return userCreate(ctx, cfg, log, args[1:], stdin, stdout)
	case "link":
		return userLink(ctx, cfg, log, args[1:], stdout)
	case "list":
		return userList(ctx, cfg, log, args[1:], stdout)
	case "deactivate", "reactivate":
		return userActivation(ctx, cfg, log, args[0], args[1:], stdout)
	}
	return fmt.Errorf("unknown user command %q\n%s", args[0], userUsage)
}

// userCreate makes a staff member who signs in to the web console
// (/console) with a login name and a password. Without --password-stdin a
// random password is made and printed once.
func userCreate(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	name := fs.String("name", "", "login name (also the display name)")
	role := fs.String("role", "", "admin, manager, assistant or info_specialist")
	team := fs.Int64("team", 0, "team id of an assistant")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	r := backend.Role(*role)
	if !r.Valid() || r == backend.RoleReporter {
		return fmt.Errorf("user create: --role must be admin, manager, assistant or info_specialist\n%s", userUsage)
	}
	if strings.TrimSpace(*name) == "" {
		return fmt.Errorf("user create: --name is required\n%s", userUsage)
	}
	password := ""
	if *fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("user create: read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
		if password == "" {
			return errors.New("user create: --password-stdin given but standard input is empty")
		}
	}
	svc, err := openService(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer svc.Store().Close()
	auth, err := web.NewAuth(ctx, svc, svc.Store(), web.AuthConfig{})
	if err != nil {
		return err
	}
	p, pw, err := auth.CreateUser(ctx, *name, r, *team, password)
	if err != nil {
		return fmt.Errorf("user create: %s", backend.ErrorMessage(err)+fieldText(err))
	}
	fmt.Fprintf(stdout, "user %q (person %d, role %s) created; sign in at /console/ with login %q", p.Name, p.ID, r, web.NormalizeLogin(*name))
	if password == "" {
		fmt.Fprintf(stdout, " and this password, shown only once:\n%s\n", pw)
	} else {
		fmt.Fprintln(stdout, " and the password you gave.")
	}
	return nil
}

func fieldText(err error) string {
	var parts []string
	for k, v := range backend.ErrorFields(err) {
		parts = append(parts, k+": "+v)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// userLink gives a person a second route for SLA pings and notices: an
// "email" account (bot/email, with SMTP_URL) and/or an "sms" account
// (bot/smshook, with SMS_WEBHOOK_URL). Chat accounts come from invites.
func userLink(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("user link", flag.ContinueOnError)
	personID := fs.Int64("person", 0, "person id (deskbot user list shows them)")
	addr := fs.String("email", "", "e-mail address to mail escalations and notices to, e.g. li.lei@example.com (needs SMTP_URL)")
	number := fs.String("sms", "", "mainland China mobile number to text them to, e.g. 13800138000 (needs SMS_WEBHOOK_URL)")
	if err := parseFlagsAbout(fs, args, stdout, "Link an e-mail address and/or a mobile number to a person, so SLA pings\nand notices reach them by e-mail or SMS too (a second route after chat)."); err != nil {
		return err
	}
	if *personID <= 0 {
		return fmt.Errorf("user link: --person is required (deskbot user list shows the ids)\n%s", userUsage)
	}
	if *addr == "" && *number == "" {
		return fmt.Errorf("user link: give --email ADDRESS, --sms NUMBER or both\n%s", userUsage)
	}
	var links []route
	if *addr != "" {
		a, err := parseEmail(*addr)
		if err != nil {
			return fmt.Errorf("user link: %w", err)
		}
		links = append(links, route{"e-mail", email.Platform, a})
	}
	if *number != "" {
		n, err := parseMobile(*number)
		if err != nil {
			return fmt.Errorf("user link: %w", err)
		}
		links = append(links, route{"SMS", smshook.Platform, n})
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	p, err := store.Person(ctx, *personID)
	if backend.ErrorCode(err) == backend.ENOTFOUND {
		return backend.Errorf(backend.ENOTFOUND, "person %d not found (deskbot user list shows people's ids)", *personID)
	} else if err != nil {
		return fmt.Errorf("user link: %w", err)
	}
	// Check every route before linking any, so that a refused one leaves
	// the person as they were.
	for _, r := range links {
		if err := r.check(ctx, store, p); err != nil {
			return fmt.Errorf("user link: %w", err)
		}
	}
	for _, r := range links {
		again := slices.ContainsFunc(p.Accounts, func(a backend.ChatAccount) bool { return a.Platform == r.platform && a.UserID == r.id })
		if err := store.LinkAccount(ctx, p.ID, backend.ChatAccount{Platform: r.platform, UserID: r.id}); err != nil {
			return fmt.Errorf("user link: %w", err)
		}
		if again {
			fmt.Fprintf(stdout, "%s %s was linked to %s already; nothing changed\n", r.what, r.id, personLabel(p))
		} else {
			fmt.Fprintf(stdout, "linked %s %s to %s\n", r.what, r.id, personLabel(p))
		}
	}
	if *addr != "" && cfg.SLA.SMTPURL == "" {
		fmt.Fprintln(stdout, "note: SMTP_URL is not set here; the server mails only when it runs with SMTP_URL")
	}
	if *number != "" && cfg.SLA.SMSWebhookURL == "" {
		fmt.Fprintln(stdout, "note: SMS_WEBHOOK_URL is not set here; the server texts only when it runs with SMS_WEBHOOK_URL")
	}
	return nil
}

// route is an e-mail address or mobile number to link.
type route struct {
	what     string // "e-mail", "SMS"
	platform string
	id       string // the address or number, normalised
}

// check refuses a route linked to someone else (ECONFLICT, with the store's
// words) or a second one of its kind: the sender uses a person's first
// account of a platform, so another address would never be used.
func (r route) check(ctx context.Context, store backend.Store, p *backend.Person) error {
	owner, err := store.PersonByAccount(ctx, r.platform, r.id)
	switch {
	case err == nil && owner.ID != p.ID:
		return backend.Errorf(backend.ECONFLICT, "%s account %s is linked to someone else (%s)", r.platform, r.id, personLabel(owner))
	case err != nil && backend.ErrorCode(err) != backend.ENOTFOUND:
		return err
	}
	for _, a := range p.Accounts {
		if a.Platform == r.platform && a.UserID != r.id {
			return backend.Errorf(backend.ECONFLICT, "%s has %s %s already and is reached there; a second %s route would never be used (there is no unlink command yet)", personLabel(p), r.what, a.UserID, r.what)
		}
	}
	return nil
}

// parseEmail returns a bare address (li.lei@example.com), lower-cased so
// that the same address is one account however it was typed.
func parseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		return "", backend.Errorf(backend.EINVALID, "--email %q is not an e-mail address like li.lei@example.com", s)
	}
	return strings.ToLower(a.Address), nil
}

// parseMobile returns a mainland China mobile number as its 11 digits
// (13800138000); spaces, dashes and a leading +86 or 86 are dropped.
func parseMobile(s string) (string, error) {
	n := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s))
	ok := !strings.HasPrefix(n, "+") || strings.HasPrefix(n, "+86")
	n = strings.TrimPrefix(n, "+")
	if len(n) == 13 && strings.HasPrefix(n, "86") {
		n = n[2:]
	}
	ok = ok && len(n) == 11 && n[0] == '1' && n[1] >= '3' && n[1] <= '9'
	for _, c := range n {
		ok = ok && c >= '0' && c <= '9'
	}
	if !ok {
		return "", backend.Errorf(backend.EINVALID, "--sms %q is not a mainland China mobile number: 11 digits from 13… to 19…, like 13800138000 (+86 may precede it)", s)
	}
	return n, nil
}

// userList prints people so that an operator can find the ids that
// team set-lead and user link take.
func userList(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("user list", flag.ContinueOnError)
	teamID := fs.Int64("team", 0, "only the people of this team")
	role := fs.String("role", "", "only the people with this role: reporter, assistant, info_specialist, manager, admin")
	if err := parseFlagsAbout(fs, args, stdout, "Print people, one per line: id, name, roles, team (and which teams they\nlead), and the platforms they can be reached on."); err != nil {
		return err
	}
	roles := backend.Roles
	if *role != "" {
		if !backend.Role(*role).Valid() {
			return fmt.Errorf("user list: --role must be one of reporter, assistant, info_specialist, manager, admin\n%s", userUsage)
		}
		roles = []backend.Role{backend.Role(*role)}
	}
	if *teamID < 0 {
		return fmt.Errorf("user list: --team must be a team id (deskbot team list shows them)\n%s", userUsage)
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	teams, err := store.Teams(ctx)
	if err != nil {
		return fmt.Errorf("user list: %w", err)
	}
	if *teamID != 0 && !slices.ContainsFunc(teams, func(t *backend.Team) bool { return t.ID == *teamID }) {
		return backend.Errorf(backend.ENOTFOUND, "team %d not found (deskbot team list shows the ids)", *teamID)
	}
	var people []*backend.Person
	seen := map[int64]bool{}
	for _, r := range roles {
		ps, err := store.PeopleWithRole(ctx, r, *teamID)
		if err != nil {
			return fmt.Errorf("user list: %w", err)
		}
		for _, p := range ps {
			if !seen[p.ID] {
				seen[p.ID] = true
				people = append(people, p)
			}
		}
	}
	// The deactivated hold no role, so PeopleWithRole leaves them out:
	// they are listed with the roles they had, marked.
	gone, err := store.DeactivatedPeople(ctx)
	if err != nil {
		return fmt.Errorf("user list: %w", err)
	}
	for _, p := range gone {
		if (*teamID == 0 || p.TeamID == *teamID) && slices.ContainsFunc(roles, func(r backend.Role) bool { return slices.Contains(p.Roles, r) }) {
			people = append(people, p)
		}
	}
	if len(people) == 0 {
		fmt.Fprintln(stdout, "nobody matches")
		return nil
	}
	slices.SortFunc(people, func(a, b *backend.Person) int { return cmp.Compare(a.ID, b.ID) })
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tROLES\tTEAM\tLINKED")
	for _, p := range people {
		roles := roleList(p.Roles)
		if !p.Active() {
			roles += " (deactivated " + p.DeactivatedAt.In(cfg.Location()).Format(time.DateOnly) + ")"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", p.ID, p.Name, roles, teamColumn(p, teams), platforms(p))
	}
	return w.Flush()
}

// userActivation deactivates a person who left, or reactivates them.
func userActivation(ctx context.Context, cfg Config, log *slog.Logger, cmd string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("user "+cmd, flag.ContinueOnError)
	personID := fs.Int64("person", 0, "person id (deskbot user list shows them)")
	var release *bool
	var reason *string
	about := "Deactivate a person who left: they can no longer sign in to the console,\n" +
		"act in a chat (press a card's buttons, file a ticket) or through the API\n" +
		"with their tokens, and nothing more is sent to them. Their name stays on\n" +
		"their tickets; their open tickets are listed, to be reassigned, or with\n" +
		"--release put back in their team's queue (also for someone deactivated already)."
	if cmd == "deactivate" {
		release = fs.Bool("release", false, "return their open tickets to the queue: status returned, the triage chats and the reporters are told")
		reason = fs.String("reason", "", "the reason the reporters and the triage chats read (default: 原处理人 <name> 已停用…)")
	}
	if cmd == "reactivate" {
		about = "Give a deactivated person their roles, sign-in, chat and API tokens back."
	}
	if err := parseFlagsAbout(fs, args, stdout, about); err != nil {
		return err
	}
	if *personID <= 0 {
		return fmt.Errorf("user %s: --person is required (deskbot user list shows the ids)\n%s", cmd, userUsage)
	}
	svc, err := openService(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer svc.Store().Close()
	if cmd == "reactivate" {
		p, err := svc.Reactivate(ctx, *personID)
		if err != nil {
			return fmt.Errorf("user reactivate: %w", err)
		}
		fmt.Fprintf(stdout, "reactivated %s: roles %s\n", personLabel(p), roleList(p.Roles))
		return nil
	}
	p, open, err := svc.Deactivate(ctx, *personID)
	if err != nil {
		// Releasing the tickets of someone deactivated before is fine.
		left, lerr := svc.Store().Person(ctx, *personID)
		if !*release || lerr != nil || left.Active() {
			return fmt.Errorf("user deactivate: %w", err)
		}
		p = left
	} else {
		fmt.Fprintf(stdout, "deactivated %s: no more sign-in, chat actions, API tokens or messages (deskbot user reactivate undoes it)\n", personLabel(p))
	}
	if *release {
		return releaseTickets(ctx, svc, p, *reason, stdout)
	}
	if len(open) == 0 {
		return nil
	}
	fmt.Fprintf(stdout, "%d open tickets are still assigned to them; reassign them in the console (Assign), or put them back in the queue (--release):\n", len(open))
	for _, t := range open {
		fmt.Fprintf(stdout, "  %s  %s  %s  %s\n", t.Number, t.Severity, t.Status, t.Summary)
	}
	return nil
}

// releaseTickets puts the open tickets of p, who left, back in the queue,
// and lists them. The reason is in Chinese unless given: the product's
// first language, which reporters and triage chats read by default.
func releaseTickets(ctx context.Context, svc *backend.Service, p *backend.Person, reason string, stdout io.Writer) error {
	if reason == "" {
		cat, err := catalog.New()
		if err != nil {
			return err
		}
		reason = cat.T(catalog.ZhCN, "release.reason", map[string]any{"Name": p.Name})
	}
	released, err := svc.ReleaseTickets(ctx, p.ID, reason)
	fmt.Fprintf(stdout, "%d open tickets back in the queue (returned: %s):\n", len(released), reason)
	for _, t := range released {
		fmt.Fprintf(stdout, "  %s  %s  %s  %s\n", t.Number, t.Severity, t.Status, t.Summary)
	}
	if err != nil {
		return fmt.Errorf("user deactivate --release: %w", err)
	}
	return nil
}

// teamColumn is a person's team ("2 技术部", "-") and the teams they lead.
func teamColumn(p *backend.Person, teams []*backend.Team) string {
	col := "-"
	var leads []string
	for _, t := range teams {
		if t.ID == p.TeamID {
			col = fmt.Sprintf("%d %s", t.ID, t.Name)
			if t.LeadID == p.ID {
				col += " (lead)"
			}
		} else if t.LeadID == p.ID {
			leads = append(leads, fmt.Sprintf("%d %s", t.ID, t.Name))
		}
	}
	if len(leads) > 0 {
		col += " (lead of " + strings.Join(leads, ", ") + ")"
	}
	return col
}

// platforms lists where a person is linked (telegram,email), or "-";
// never the addresses or numbers themselves.
func platforms(p *backend.Person) string {
	var names []string
	for _, a := range p.Accounts {
		if !slices.Contains(names, a.Platform) {
			names = append(names, a.Platform)
		}
	}
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, ",")
}
