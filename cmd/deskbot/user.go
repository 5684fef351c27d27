package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/web"
)

const userUsage = "usage: deskbot user create --name NAME --role admin|manager|assistant|info_specialist [--team ID] [--password-stdin]"

// userCmd runs "deskbot user create": a staff member who signs in to the
// web console (/console) with a login name and a password. Without
// --password-stdin a random password is made and printed once.
func userCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New(userUsage)
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	name := fs.String("name", "", "login name (also the display name)")
	role := fs.String("role", "", "admin, manager, assistant or info_specialist")
	team := fs.Int64("team", 0, "team id of an assistant")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
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
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := backend.NewService(store, backend.ServiceConfig{Location: cfg.Location()})
	auth, err := web.NewAuth(ctx, svc, store, web.AuthConfig{})
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
