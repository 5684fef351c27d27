// Command deskbot runs the chat-first ticket desk: the JSON API, the
// channels and the senders, on Postgres or the embedded SQLite database.
//
//	deskbot                     run the server (same as "deskbot serve")
//	deskbot migrate             apply database migrations and exit
//	deskbot token create --role assistant --name ci [--team N]
//	                            make an API token (printed once)
//	deskbot team set-lead --team N --person N
//	                            make a person a team's lead (SLA escalation)
//	deskbot team set-chat --team N --telegram -100123 --slack C0123
//	                            give a team its own triage chats
//	deskbot user link --person N --email ADDRESS --sms NUMBER
//	                            reach a person by e-mail and SMS too
//	deskbot user list           people's ids, roles, teams and routes
//	deskbot user deactivate --person N [--release]
//	                            someone left: take every role from them
//	deskbot token revoke --id N stop an API token from working
//	deskbot customers import --customers FILE --orders FILE
//	                            the customer directory from the CRM's CSV exports
//
// "deskbot help" lists every command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // zone data for machines without /usr/share/zoneinfo

	"github.com/deskbot/deskbot/backend"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "deskbot:", describe(err))
		os.Exit(1)
	}
}

// describe is err for a person at a terminal: a domain error about the
// input says what is wrong (and with which fields) without the database
// driver's text behind it; anything else, an unreachable database
// included, is shown whole, since the why is what the operator needs.
func describe(err error) string {
	var e *backend.Error
	if !errors.As(err, &e) || e.Code == backend.EINTERNAL || e.Code == backend.EUNAVAILABLE {
		return err.Error()
	}
	msg := e.Message
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		msg += "; " + f + ": " + e.Fields[f]
	}
	return msg
}

// errShownHelp ends a command whose help was asked for (-h, --help).
var errShownHelp = errors.New("help shown")

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// parseFlags parses a sub-command's flags; -h prints them and ends the
// command, and a bad flag's error lists them.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	return parseFlagsAbout(fs, args, stdout, "")
}

// parseFlagsAbout is parseFlags whose help also says what the command
// does (about, one or more lines; empty: nothing).
func parseFlagsAbout(fs *flag.FlagSet, args []string, stdout io.Writer, about string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	var flags strings.Builder
	fs.SetOutput(&flags)
	fs.PrintDefaults()
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stdout, "usage: deskbot %s\n", fs.Name())
		if about != "" {
			fmt.Fprintln(stdout, strings.TrimRight(about, "\n"))
		}
		fmt.Fprint(stdout, flags.String())
		return errShownHelp
	case err != nil:
		return fmt.Errorf("%s: %w\n%s", fs.Name(), err, flags.String())
	}
	return nil
}

// run dispatches the sub-command; it is main without the process around it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(stdout, usage)
		return nil
	}
	if (cmd == "serve" || cmd == "migrate") && len(args) > 0 {
		return fmt.Errorf("%s takes no arguments (configuration is in the environment; see README.md)\n%s", cmd, usage)
	}
	err = runCmd(ctx, cmd, cfg, log, args, stdout)
	if errors.Is(err, errShownHelp) {
		return nil
	}
	return err
}

func runCmd(ctx context.Context, cmd string, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if cmd != "serve" && cmd != "migrate" {
		cfg.StartTimeout = 0 // a person at a terminal is told at once that the database is down
	}
	switch cmd {
	case "serve":
		m := NewMain(cfg, log)
		if err := m.Run(ctx); err != nil {
			_ = m.Close()
			return err
		}
		<-ctx.Done()
		log.Info("shutting down")
		return m.Close()
	case "migrate":
		store, err := openStore(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer store.Close()
		if err := migrateRiver(ctx, store, log.With("component", "sla")); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "migrations applied")
		return nil
	case "token":
		return tokenCmd(ctx, cfg, log, args, stdout)
	case "team":
		return teamCmd(ctx, cfg, log, args, stdout)
	case "invite":
		return inviteCmd(ctx, cfg, log, args, stdout)
	case "user":
		return userCmd(ctx, cfg, log, args, os.Stdin, stdout)
	case "sla":
		return slaCmd(ctx, cfg, log, args, stdout)
	case "customers":
		return customersCmd(ctx, cfg, log, args, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}

const usage = `usage:
  deskbot [serve]        run the server
  deskbot migrate        apply database migrations and exit
  deskbot token create --role ROLE --name NAME [--team ID]
                         create an API token for a new service account
  deskbot token list     print every API token: id, name, account, state
  deskbot token revoke --id ID
                         stop an API token from working, for good
  deskbot invite --role assistant|manager|... [--team ID] [--ttl 72h]
                         make a one-time code that links a chat account
                         (Telegram: /start <code>) to a new staff member
  deskbot user create --role admin|manager|assistant --name NAME [--team ID] [--password-stdin]
                         create a console login (a random password is printed
                         unless --password-stdin gives one)
  deskbot user link --person ID [--email ADDRESS] [--sms NUMBER]
                         reach a person by e-mail (SMTP_URL) and/or SMS
                         (SMS_WEBHOOK_URL, a mainland mobile number) too
  deskbot user list [--team ID] [--role ROLE]
                         print people: id, name, roles, team, linked platforms
  deskbot user deactivate --person ID [--release [--reason TEXT]]
                         someone left: no more sign-in, chat actions, API
                         tokens or messages; lists their open tickets, or
                         with --release returns them to the team's queue
  deskbot user reactivate --person ID
                         give a deactivated person everything back
  deskbot team create --name NAME [--lead PERSON_ID]
                         create a team and print its id (for --team)
  deskbot team set-lead --team ID --person PERSON_ID | --none
                         make an assistant, manager or admin the team's lead,
                         pinged at the SLA chain's team_lead step and told
                         of P2/P3 tickets
  deskbot team set-chat --team ID [--telegram GROUP_ID|none] [--slack CHANNEL_ID|none] | --none
                         give a team its own Telegram group and/or Slack
                         channel: its tickets' cards go there instead of the
                         triage chat (none, --none: back to the triage chat)
  deskbot team list      print every team: id, name, lead, own chats
  deskbot sla explain FB-20261123-0001
                         print every SLA clock of a ticket and who was told when
  deskbot customers import [--customers FILE] [--orders FILE]
                         import the customer directory (seed 001) from the
                         CRM's CSV exports; customers are matched on their
                         code, orders on their number; one bad row imports
                         nothing and is named by its line
`

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func inviteCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("invite", flag.ContinueOnError)
	role := fs.String("role", "assistant", "role the invited person gets")
	team := fs.Int64("team", 0, "team id")
	ttl := fs.Duration("ttl", 72*time.Hour, "how long the code is valid")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	svc, err := openService(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer svc.Store().Close()
	code, err := svc.CreateInvite(ctx, backend.Role(*role), *team, *ttl)
	if err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	fmt.Fprintf(stdout, "invite for a new %s, valid for %s; send it to the bot as /start %s (Telegram) or in a direct message to the app (Slack)\n%s\n", *role, *ttl, code, code)
	if !cfg.Telegram.Enabled() && !cfg.Slack.Enabled() {
		fmt.Fprintln(stdout, "note: no chat channel is configured here (TELEGRAM_BOT_TOKEN, SLACK_BOT_TOKEN), so nothing can take this code yet; staff can also use the web console (deskbot user create)")
	}
	return nil
}
