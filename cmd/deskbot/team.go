package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/deskbot/deskbot/backend"
	slackbot "github.com/deskbot/deskbot/bot/slack"
	"github.com/deskbot/deskbot/bot/telegram"
)

const teamUsage = `usage: deskbot team create --name NAME [--lead PERSON_ID]
       deskbot team set-lead --team ID --person PERSON_ID | --none
       deskbot team set-chat --team ID [--telegram GROUP_ID|none] [--slack CHANNEL_ID|none] | --none
       deskbot team list`

// teamCmd runs "deskbot team create|set-lead|set-chat|list". A team's
// lead is the SLA chain's team_lead step and the "related" notice target
// of P2 and P3 tickets (backend/sla/README.md); without one those steps
// reach nobody. A team's own chats get its tickets' cards instead of the
// triage chats (DESIGN §11).
func teamCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(teamUsage)
	}
	switch args[0] {
	case "create":
		return teamCreate(ctx, cfg, log, args[1:], stdout)
	case "set-lead":
		return teamSetLead(ctx, cfg, log, args[1:], stdout)
	case "set-chat":
		return teamSetChat(ctx, cfg, log, args[1:], stdout)
	case "list":
		return teamList(ctx, cfg, log, args[1:], stdout)
	}
	return fmt.Errorf("unknown team command %q\n%s", args[0], teamUsage)
}

func teamCreate(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("team create", flag.ContinueOnError)
	name := fs.String("name", "", "team name, e.g. 技术部")
	lead := fs.Int64("lead", 0, "person id of the team lead (an assistant, manager or admin; see deskbot user list)")
	if err := parseFlagsAbout(fs, args, stdout, "Create a team and print its id (for --team). Its lead is pinged when\nan SLA deadline of the team's tickets is missed."); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return errors.New("team create: --name is required")
	}
	if *lead < 0 {
		return errors.New("team create: --lead must be a person id (deskbot user list shows them)")
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	var p *backend.Person
	if *lead != 0 {
		if p, err = teamLead(ctx, store, *lead); err != nil {
			return fmt.Errorf("team create: %w", err)
		}
	}
	t := &backend.Team{Name: strings.TrimSpace(*name), LeadID: *lead}
	if err := store.CreateTeam(ctx, t); err != nil {
		return fmt.Errorf("team create: %w", err)
	}
	if p == nil {
		fmt.Fprintf(stdout, "team %q created with id %d (no lead; deskbot team set-lead --team %d --person ID sets one)\n", t.Name, t.ID, t.ID)
		return nil
	}
	fmt.Fprintf(stdout, "team %q created with id %d, lead %s\n", t.Name, t.ID, personLabel(p))
	reachNote(stdout, p)
	return nil
}

func teamSetLead(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("team set-lead", flag.ContinueOnError)
	teamID := fs.Int64("team", 0, "team id (deskbot team list shows them)")
	personID := fs.Int64("person", 0, "person id of the new lead: an assistant, manager or admin (deskbot user list shows them)")
	none := fs.Bool("none", false, "remove the team's lead instead")
	if err := parseFlagsAbout(fs, args, stdout, "Make a person the lead of a team: the SLA escalation chain's team_lead step\nand the people told of P2/P3 tickets (\"related\")."); err != nil {
		return err
	}
	switch {
	case *teamID <= 0:
		return fmt.Errorf("team set-lead: --team is required (deskbot team list shows the ids)\n%s", teamUsage)
	case *none && *personID != 0:
		return fmt.Errorf("team set-lead: give --person or --none, not both\n%s", teamUsage)
	case !*none && *personID <= 0:
		return fmt.Errorf("team set-lead: --person is required (deskbot user list shows the ids)\n%s", teamUsage)
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	t, err := store.Team(ctx, *teamID)
	if backend.ErrorCode(err) == backend.ENOTFOUND {
		return backend.Errorf(backend.ENOTFOUND, "team %d not found (deskbot team list shows the ids)", *teamID)
	} else if err != nil {
		return fmt.Errorf("team set-lead: %w", err)
	}
	var p *backend.Person
	if !*none {
		if p, err = teamLead(ctx, store, *personID); err != nil {
			return fmt.Errorf("team set-lead: %w", err)
		}
	}
	was := "none"
	if t.LeadID != 0 {
		was = fmt.Sprintf("person %d", t.LeadID)
		if old, err := store.Person(ctx, t.LeadID); err == nil {
			was = personLabel(old)
		}
	}
	if err := store.SetTeamLead(ctx, t.ID, *personID); err != nil {
		return fmt.Errorf("team set-lead: %w", err)
	}
	if p == nil {
		fmt.Fprintf(stdout, "team %d %q has no lead now (was %s)\n", t.ID, t.Name, was)
		return nil
	}
	fmt.Fprintf(stdout, "team %d %q: lead is now %s (was %s)\n", t.ID, t.Name, personLabel(p), was)
	reachNote(stdout, p)
	return nil
}

// chatFlags are the platforms of deskbot team set-chat, in the order
// they are printed: the flag, its platform, and what its chat is called.
var chatFlags = []struct {
	flag, platform, what string
	valid                func(string) bool
}{
	{"telegram", telegram.Platform, "Telegram group", telegram.ValidGroup},
	{"slack", slackbot.Platform, "Slack channel", slackbot.ValidChannel},
}

func teamSetChat(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("team set-chat", flag.ContinueOnError)
	teamID := fs.Int64("team", 0, "team id (deskbot team list shows them)")
	tg := fs.String("telegram", "", "the team's own Telegram group id, negative like -1001234567890 (the bot must be in it); none: back to TELEGRAM_TRIAGE_CHAT")
	sl := fs.String("slack", "", "the team's own Slack channel id like C0123456789 (invite the bot to it); none: back to SLACK_TRIAGE_CHANNEL")
	none := fs.Bool("none", false, "remove both: the team's tickets go back to the triage chats")
	if err := parseFlagsAbout(fs, args, stdout, "Give a team its own triage chat on Telegram and/or Slack: the cards of the\n"+
		"tickets routed to it (or given to one of its people) go there instead of\n"+
		"the platform's triage chat, and so does what the triage chat hears about\n"+
		"them. Any linked staff may press the cards' buttons; the service decides\n"+
		"per ticket, as in the triage chat."); err != nil {
		return err
	}
	set := map[string]string{}
	if *tg != "" {
		set[telegram.Platform] = *tg
	}
	if *sl != "" {
		set[slackbot.Platform] = *sl
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("team set-chat: unexpected %q\n%s", fs.Arg(0), teamUsage)
	case *teamID <= 0:
		return fmt.Errorf("team set-chat: --team is required (deskbot team list shows the ids)\n%s", teamUsage)
	case *none && len(set) > 0:
		return fmt.Errorf("team set-chat: give --telegram and/or --slack, or --none, not both\n%s", teamUsage)
	case !*none && len(set) == 0:
		return fmt.Errorf("team set-chat: give --telegram and/or --slack (or --none)\n%s", teamUsage)
	}
	if *none {
		set = map[string]string{telegram.Platform: "none", slackbot.Platform: "none"}
	}
	for p, id := range set {
		if id == "none" {
			set[p] = ""
			continue
		}
		switch p {
		case telegram.Platform:
			if !telegram.ValidGroup(id) {
				return fmt.Errorf("team set-chat: --telegram %q is not a group id: a group's id is negative, like -1001234567890", id)
			}
		case slackbot.Platform:
			if !slackbot.ValidChannel(id) {
				return fmt.Errorf("team set-chat: --slack %q is not a channel id like C0123456789 (channel details, at the bottom)", id)
			}
		}
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	t, err := store.Team(ctx, *teamID)
	if backend.ErrorCode(err) == backend.ENOTFOUND {
		return backend.Errorf(backend.ENOTFOUND, "team %d not found (deskbot team list shows the ids)", *teamID)
	} else if err != nil {
		return fmt.Errorf("team set-chat: %w", err)
	}
	for _, f := range chatFlags {
		id, ok := set[f.platform]
		if !ok {
			continue
		}
		if err := store.SetTeamChat(ctx, t.ID, f.platform, id); err != nil {
			return fmt.Errorf("team set-chat: %w", err)
		}
		was := cmp.Or(t.Chat(f.platform), "none")
		if id == "" {
			fmt.Fprintf(stdout, "team %d %q: no %s of its own now (was %s); its tickets go to the triage chat\n", t.ID, t.Name, f.what, was)
			continue
		}
		fmt.Fprintf(stdout, "team %d %q: %s is now %s (was %s)\n", t.ID, t.Name, f.what, id, was)
		chatNotes(ctx, stdout, cfg, store, t, f.platform, id)
	}
	return nil
}

// chatNotes says what the operator may not expect of a team's new chat:
// that its platform is off here, or that other teams share it.
func chatNotes(ctx context.Context, w io.Writer, cfg Config, store backend.Store, t *backend.Team, platform, id string) {
	if !slices.Contains(cfg.ChatPlatforms(), platform) {
		fmt.Fprintf(w, "note: %s is off in this configuration (no bot token): the chat is used once it is on\n", platform)
	}
	teams, err := store.TeamsByChat(ctx, platform, id)
	if err != nil {
		return
	}
	for _, o := range teams {
		if o.ID != t.ID {
			fmt.Fprintf(w, "note: team %d %q has that chat too: both teams' cards go there\n", o.ID, o.Name)
		}
	}
}

func teamList(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("team list", flag.ContinueOnError)
	if err := parseFlagsAbout(fs, args, stdout, "Print every team: id, name, lead and its own chats (deskbot team set-chat;\n"+
		"- for none: its tickets go to the triage chats), one per line."); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("team list takes no arguments\n%s", teamUsage)
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	teams, err := store.Teams(ctx)
	if err != nil {
		return fmt.Errorf("team list: %w", err)
	}
	if len(teams) == 0 {
		fmt.Fprintln(stdout, "no teams yet (deskbot team create --name NAME makes one)")
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tLEAD\tCHATS")
	for _, t := range teams {
		lead := "-"
		if t.LeadID != 0 {
			lead = fmt.Sprintf("%d", t.LeadID)
			if p, err := store.Person(ctx, t.LeadID); err == nil {
				lead = fmt.Sprintf("%d %s", p.ID, p.Name)
			}
		}
		var chats []string
		for _, f := range chatFlags {
			if id := t.Chat(f.platform); id != "" {
				chats = append(chats, f.flag+" "+id)
			}
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", t.ID, t.Name, lead, cmp.Or(strings.Join(chats, ", "), "-"))
	}
	return w.Flush()
}

// teamLead returns the person who is to lead a team: ENOTFOUND naming
// where the ids are, or EINVALID when they are not staff (a lead acts on
// escalated tickets).
func teamLead(ctx context.Context, store backend.Store, id int64) (*backend.Person, error) {
	p, err := store.Person(ctx, id)
	if backend.ErrorCode(err) == backend.ENOTFOUND {
		return nil, backend.Errorf(backend.ENOTFOUND, "person %d not found (deskbot user list shows people's ids)", id)
	} else if err != nil {
		return nil, err
	}
	if !p.Handles() {
		return nil, backend.Errorf(backend.EINVALID, "%s has role %s, not staff: a team lead must be an assistant, manager or admin", personLabel(p), roleList(p.Roles))
	}
	return p, nil
}

// personLabel names a person for the operator: `person 7 "Carol"`.
func personLabel(p *backend.Person) string {
	return fmt.Sprintf("person %d %q", p.ID, p.Name)
}

func roleList(roles []backend.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ",")
}

// reachNote warns when p has no linked account at all, so that no ping
// can reach them whatever is configured.
func reachNote(w io.Writer, p *backend.Person) {
	if len(p.Accounts) == 0 {
		fmt.Fprintf(w, "note: person %d has no chat, e-mail or SMS account linked, so escalation pings cannot reach them yet (deskbot user link --person %d --email ADDRESS, or an invite for their chat)\n", p.ID, p.ID)
	}
}
