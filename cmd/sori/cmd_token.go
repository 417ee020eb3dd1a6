package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sori/internal/archive"
)

var tokenCmd = &command{
	name:    "token",
	summary: "make, list or revoke API tokens for sori serve's JSON API",
	usage: `
Usage: sori token create [--user U] [--name LABEL] [--expires DUR] [--json]
       sori token ls [--json]
       sori token revoke ID

An API token lets a program use sori serve's JSON API (/api/v1) as user U,
with U's role, without U's passphrase: send it as "Authorization: Bearer
TOKEN". It opens U's keys in the server's memory as a login does.

'create' asks U's passphrase (--passphrase-file F, SORI_PASSPHRASE, or a
no-echo prompt, as every command) and prints the token once, on a line of
its own: the archive keeps no copy of it (only U's key encrypted to it), so
it cannot be shown again. Keep it as you would the passphrase. --name is a
label for 'ls' (up to 100 characters); --expires a lifetime such as 720h or
90d (default: until revoked). --json prints {"token","id","user","label",
"role","created","expires"}. Making a token is a signed custody entry
("token").

'ls' lists tokens (an admin sees everyone's, others their own):
  ID<TAB>USER<TAB>ROLE<TAB>CREATED<TAB>EXPIRES<TAB>STATE<TAB>LABEL
(EXPIRES "-" for never; STATE active, expired or revoked; --json: one
object per line). No token is ever shown again.

'revoke' revokes token ID (from 'ls'; the token itself is never typed on a
command line): U may revoke their own, an admin anyone's. It is a signed
custody entry ("token-revoke"); a running server refuses the token for
every request made from 0.1 s after it.

A token is refused (HTTP 401) once revoked or expired, when U is removed
from the archive, and when U's role changes: make a new one. Removing
another user rotates the archive's keys; tokens of the remaining users go
on working (docs/roles.md "API tokens").

Exit status: 0 ok, 1 failure or no such token, 2 invalid input (nothing
changed), 3 locked (wrong passphrase) or forbidden.

Examples:
  sori token create --user lee --name "transcription script" --expires 90d
  sori token ls
  sori token revoke 0f3a9c2e4b5d6a7f8e9d0c1b2a3f4e5d
`,
	run: runToken,
}

func runToken(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("give a subcommand: create, ls or revoke")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return flag.ErrHelp
	case "create":
		return runTokenCreate(ctx, e, args[1:])
	case "ls":
		return runTokenLs(ctx, e, args[1:])
	case "revoke":
		return runTokenRevoke(ctx, e, args[1:])
	}
	return usagef("unknown subcommand %q: want create, ls or revoke", args[0])
}

// parseLifetime reads a Go duration, or a whole number of days ("90d").
func parseLifetime(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 || days > 36500 {
			return 0, usagef("--expires %q: want a duration such as 720h or a number of days such as 90d", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, usagef("--expires %q: want a duration such as 720h or a number of days such as 90d", s)
	}
	return d, nil
}

type tokenJSON struct {
	Token string `json:"token,omitempty"`
	archive.TokenInfo
}

func runTokenCreate(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var label, expires string
	var asJSON bool
	fs := newFlags("token create")
	f.register(fs, e)
	fs.StringVar(&label, "name", "", "")
	fs.StringVar(&expires, "expires", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	ttl, err := parseLifetime(expires)
	if err != nil {
		return err
	}
	if label, err = archive.CheckTokenLabel(label); err != nil {
		return err
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	tok, info, err := a.CreateToken(ctx, label, ttl)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(tokenJSON{Token: tok, TokenInfo: info})
	}
	exp := "never"
	if !info.Expires.IsZero() {
		exp = info.Expires.Format(time.RFC3339)
	}
	fmt.Fprintf(e.stderr, "API token %s for %s (role %s, expires %s). It is shown only now:\n", info.ID, info.User, info.Role, exp)
	_, err = fmt.Fprintln(e.stdout, tok)
	return err
}

func runTokenLs(ctx context.Context, e *env, args []string) error {
	a, asJSON, err := openListing(ctx, e, "token ls", args)
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := a.Tokens(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	enc := json.NewEncoder(e.stdout)
	for _, t := range list {
		if asJSON {
			if err := enc.Encode(t); err != nil {
				return err
			}
			continue
		}
		exp, state := "-", "active"
		if !t.Expires.IsZero() {
			exp = t.Expires.Format(time.RFC3339)
		}
		switch {
		case !t.Revoked.IsZero():
			state = "revoked"
		case !t.Active(now):
			state = "expired"
		}
		if _, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.User, t.Role, t.Created.Format(time.RFC3339), exp, state, oneLine(t.Label)); err != nil {
			return err
		}
	}
	return nil
}

func runTokenRevoke(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	fs := newFlags("token revoke")
	f.register(fs, e)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give one token ID (see sori token ls)")
	}
	if strings.HasPrefix(rest[0], "sori_") {
		// A whole token on a command line ends up in shell history and
		// process lists: refuse it rather than use it.
		return usagef("give the token's ID from 'sori token ls' (the 32 hex digits after sori_), not the token itself; and revoke that token, since it was typed on a command line")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	info, err := a.RevokeToken(ctx, rest[0])
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "revoked API token %s of %s\n", info.ID, info.User)
	return err
}
