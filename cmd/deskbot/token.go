package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/deskbot/deskbot/backend"
)

const tokenUsage = `usage: deskbot token create --role ROLE --name NAME [--team ID]
       deskbot token list
       deskbot token revoke --id ID`

// tokenCmd runs "deskbot token create|list|revoke".
func tokenCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(tokenUsage)
	}
	switch args[0] {
	case "create":
		return tokenCreate(ctx, cfg, log, args[1:], stdout)
	case "list":
		return tokenList(ctx, cfg, log, args[1:], stdout)
	case "revoke":
		return tokenRevoke(ctx, cfg, log, args[1:], stdout)
	}
	return fmt.Errorf("unknown token command %q\n%s", args[0], tokenUsage)
}

func tokenCreate(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	role := fs.String("role", "", "role of the service account: reporter, assistant, manager, admin")
	name := fs.String("name", "", "name of the token and its account")
	team := fs.Int64("team", 0, "team id for an assistant")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if !backend.Role(*role).Valid() {
		return fmt.Errorf("token create: --role must be one of reporter, assistant, info_specialist, manager, admin")
	}
	if *name == "" {
		return errors.New("token create: --name is required")
	}
	svc, err := openService(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer svc.Store().Close()
	secret, tok, err := svc.CreateAPIToken(ctx, *name, backend.Role(*role), *team)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "token %q (id %d, role %s) created; it is shown only once:\n%s\n", tok.Name, tok.ID, *role, secret)
	return nil
}

// tokenList prints every token with the account it acts as and whether
// it still works; never a secret (only hashes are stored).
func tokenList(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token list", flag.ContinueOnError)
	if err := parseFlagsAbout(fs, args, stdout, "Print every API token: id, name, the person it acts as, when it was made,\nand whether it works (revoked, or its person deactivated)."); err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	toks, err := store.APITokens(ctx)
	if err != nil {
		return fmt.Errorf("token list: %w", err)
	}
	if len(toks) == 0 {
		fmt.Fprintln(stdout, "no API tokens (deskbot token create makes one)")
		return nil
	}
	day := func(t time.Time) string { return t.In(cfg.Location()).Format(time.DateOnly) }
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tPERSON\tROLES\tCREATED\tSTATE")
	for _, tok := range toks {
		p, err := store.Person(ctx, tok.PersonID)
		if err != nil {
			return fmt.Errorf("token list: %w", err)
		}
		state := "valid"
		switch {
		case !tok.RevokedAt.IsZero():
			state = "revoked " + day(tok.RevokedAt)
		case !p.Active():
			state = "person deactivated " + day(p.DeactivatedAt)
		}
		fmt.Fprintf(w, "%d\t%s\t%d %s\t%s\t%s\t%s\n", tok.ID, tok.Name, p.ID, p.Name, roleList(p.Roles), day(tok.CreatedAt), state)
	}
	return w.Flush()
}

func tokenRevoke(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token revoke", flag.ContinueOnError)
	id := fs.Int64("id", 0, "token id (deskbot token list shows them)")
	if err := parseFlagsAbout(fs, args, stdout, "Stop an API token from working, for good: a program using it gets 401.\nIts account stays (deskbot user list); a program needs a new token (token create)."); err != nil {
		return err
	}
	if *id <= 0 {
		return fmt.Errorf("token revoke: --id is required (deskbot token list shows the ids)\n%s", tokenUsage)
	}
	svc, err := openService(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer svc.Store().Close()
	if err := svc.RevokeAPIToken(ctx, *id); err != nil {
		if backend.ErrorCode(err) == backend.ENOTFOUND {
			return backend.Errorf(backend.ENOTFOUND, "API token %d not found (deskbot token list shows the ids)", *id)
		}
		return fmt.Errorf("token revoke: %w", err)
	}
	fmt.Fprintf(stdout, "API token %d revoked: requests with it now get 401\n", *id)
	return nil
}
