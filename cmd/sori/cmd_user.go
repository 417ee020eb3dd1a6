package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"sori/internal/archive"
	"sori/internal/web"
)

var userCmd = &command{
	name:    "user",
	summary: "add, list or remove the archive's users, change their roles, or require a second factor (admin)",
	usage: `
Usage: sori user add NAME --role ROLE[,ROLE...] [--new-passphrase-file F] [--json]
       sori user ls [--json]
       sori user rm NAME
       sori user role NAME --add ROLE | --rm ROLE [--json]
       sori user rekey NAME
       sori user totp enable|disable NAME

Roles: admin, protection, investigator, analyst, reader (docs/roles.md has
what each may do). Only an admin may run these; --user, --passphrase-file
and SORI_PASSPHRASE are the admin's own.

'add' creates NAME's key, sealed under NAME's passphrase — from
--new-passphrase-file F (first line), else $SORI_NEW_PASSPHRASE, else a
no-echo prompt (asked twice) — and a keyring holding the archive keys the
role needs. The grant is a signed custody entry. Prints
  NAME<TAB>ROLES<TAB>KEY-ID
(--json: {"name","id","roles","removed","created","created_by"}). A name
already taken, or once used by a removed user, exits 1.

'ls' prints one line per user, removed ones included (ROLES is "removed"):
  NAME<TAB>ROLES<TAB>KEY-ID<TAB>ADDED<TAB>ADDED-BY
(ADDED-BY is "-" for the first admin; --json: one object per line as above).

'rm' removes NAME: their key files are deleted, a signed "revoke" entry is
logged, and every key NAME held is replaced for the remaining users only
(docs/roles.md "What a removed user keeps"): meta.db is re-encrypted under
a new database key (on PostgreSQL every row is sealed again under it, in
the removal's transaction), and a new content key, item ID key and name-net key
(the vault key too, for a protection officer) are made, so that nothing
added from now on can be read with NAME's old keys. Removing a protection
officer takes a session holding the vault key (else exit 3, naming who
can). An admin cannot
remove themselves (exit 2; another admin can), so the last admin stays.
'rm' and 'role --rm' change the archive's keys: they wait until no other
sori process has the archive open, 30 s at most, then exit 1 with "archive
busy" (nothing changed).

'role' gives NAME one more role (--add) or takes one away (--rm), with a
signed custody entry ("grant" or "revoke", committing to the new roles),
and seals NAME's keyring again with the keys the new roles need. Giving
protection gives the identity vault key; taking it away replaces the vault
key, as removing a protection officer does, so NAME cannot open entries
added later even with a kept copy of their key file. Taking away a role
that granted a key (investigator or admin: the item ID key; protection:
the vault key) replaces that key and the database key in the same way. Both take an admin who
is also a protection officer (else exit 3). This is how the first admin
hands the vault over: give protection to the new officer, then take it from
yourself. The last admin and the last protection officer keep their role,
and a user keeps at least one role (exit 2). Prints NAME<TAB>ROLES<TAB>KEY-ID
(--json: the object 'add' prints, plus "changed"); a role already held, or
not held for --rm, changes nothing (stderr says so).

'rekey' seals NAME's keyring (and vault key file) again with exactly the
keys NAME's roles grant now: for a keyring written by an older sori, or
one holding a key no longer granted. No key is replaced, nothing logged.
Prints "rekeyed user NAME".

'totp enable' requires a second factor of NAME at every web login (sori
serve): a one-time code from an authenticator app (TOTP, RFC 6238: SHA-1,
6 digits, 30 s). It makes a new secret, kept in the archive's encrypted
database, and prints it once as an otpauth:// URI for NAME to add to their
app (enabling again replaces the secret). 'totp disable' lifts the
requirement and deletes the secret. Both are signed custody entries
("totp"). API tokens are not asked a code (docs/roles.md "Second factor").

Exit status: 0 ok, 1 failure or archive busy, 2 invalid input (nothing
changed), 3 locked or not an admin.

Examples:
  sori user add lee --role investigator
  SORI_NEW_PASSPHRASE=... sori user add choi --role reader --json
  sori user ls
  sori user rm lee
  sori user role kim --add protection
  sori user role admin --rm protection
  sori user rekey choi
  sori user totp enable lee
`,
	run: runUser,
}

func runUser(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("give a subcommand: add, ls, rm, role, rekey or totp")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return flag.ErrHelp
	case "add":
		return runUserAdd(ctx, e, args[1:])
	case "ls":
		return runUserLs(ctx, e, args[1:])
	case "rm":
		return runUserRm(ctx, e, args[1:])
	case "role":
		return runUserRole(ctx, e, args[1:])
	case "rekey":
		return runUserRekey(ctx, e, args[1:])
	case "totp":
		return runUserTOTP(ctx, e, args[1:])
	}
	return usagef("unknown subcommand %q: want add, ls, rm, role, rekey or totp", args[0])
}

func runUserAdd(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var role, passFile string
	var asJSON bool
	fs := newFlags("user add")
	f.register(fs, e)
	fs.StringVar(&role, "role", "", "")
	fs.StringVar(&passFile, "new-passphrase-file", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give one user name")
	}
	if role == "" {
		return usagef("give the new user's role: --role %s", strings.Join(archive.Roles(), "|"))
	}
	name, err := archive.CheckUserName(rest[0])
	if err != nil {
		return err
	}
	if role, err = archive.ParseRoles(role); err != nil {
		return err
	}
	wf, err := testWorkFactor(e)
	if err != nil {
		return err
	}
	opt := archiveOptions(e)
	opt.WorkFactor = wf
	a, err := f.openWith(ctx, e, opt)
	if err != nil {
		return err
	}
	defer a.Close()
	pass, err := newPassphrase(e, passFile, name)
	if err != nil {
		return err
	}
	u, err := a.AddUser(ctx, name, role, pass)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(u)
	}
	_, err = fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", u.Name, strings.Join(u.Roles, ","), u.ID)
	return err
}

func runUserLs(ctx context.Context, e *env, args []string) error {
	a, asJSON, err := openListing(ctx, e, "user ls", args)
	if err != nil {
		return err
	}
	defer a.Close()
	us, err := a.Users(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	for _, u := range us {
		if asJSON {
			if err := enc.Encode(u); err != nil {
				return err
			}
			continue
		}
		roles := strings.Join(u.Roles, ",")
		if u.Removed {
			roles = "removed"
		}
		by := u.CreatedBy
		if by == "" {
			by = "-"
		}
		if _, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\t%s\n", u.Name, roles, u.ID, u.Created.UTC().Format(time.RFC3339), by); err != nil {
			return err
		}
	}
	return nil
}

func runUserRm(ctx context.Context, e *env, args []string) error {
	a, name, err := openForUser(ctx, e, "user rm", args)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.RemoveUser(ctx, name); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "removed user %s\n", name)
	return err
}

func runUserRole(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var add, rm string
	var asJSON bool
	fs := newFlags("user role")
	f.register(fs, e)
	fs.StringVar(&add, "add", "", "")
	fs.StringVar(&rm, "rm", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give one user name")
	}
	if (add == "") == (rm == "") {
		return usagef("give one of --add ROLE or --rm ROLE")
	}
	name, err := archive.CheckUserName(rest[0])
	if err != nil {
		return err
	}
	for _, r := range []string{add, rm} {
		if r == "" {
			continue
		}
		if c, err := archive.ParseRoles(r); err != nil {
			return err
		} else if strings.Contains(c, ",") {
			return usagef("one role at a time")
		}
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	u, changed, err := a.ChangeRole(ctx, name, add, rm)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(struct {
			archive.UserInfo
			Changed bool `json:"changed"`
		}{u, changed})
	}
	if !changed {
		fmt.Fprintf(e.stderr, "sori user role: nothing changed; %s holds %s\n", u.Name, strings.Join(u.Roles, ","))
	}
	_, err = fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", u.Name, strings.Join(u.Roles, ","), u.ID)
	return err
}

// newPassphrase finds a new passphrase for user: --new-passphrase-file,
// else $SORI_NEW_PASSPHRASE, else a no-echo prompt, asked twice.
func newPassphrase(e *env, file, user string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", usagef("--new-passphrase-file: %v", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	if p := e.getenv("SORI_NEW_PASSPHRASE"); p != "" {
		return p, nil
	}
	if !e.stdinTTY || e.readPassword == nil {
		return "", usagef("no new passphrase: use --new-passphrase-file F or SORI_NEW_PASSPHRASE when not on a terminal")
	}
	p, err := e.readPassword(fmt.Sprintf("New passphrase for %s: ", user))
	if err != nil {
		return "", err
	}
	again, err := e.readPassword("Repeat the new passphrase: ")
	if err != nil {
		return "", err
	}
	if again != p {
		return "", usagef("the passphrases differ")
	}
	return p, nil
}

func runUserRekey(ctx context.Context, e *env, args []string) error {
	a, name, err := openForUser(ctx, e, "user rekey", args)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.RekeyUser(ctx, name); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "rekeyed user %s\n", name)
	return err
}

func runUserTOTP(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || (args[0] != "enable" && args[0] != "disable") {
		return usagef("give enable or disable, then a user name")
	}
	enable := args[0] == "enable"
	a, name, err := openForUser(ctx, e, "user totp", args[1:])
	if err != nil {
		return err
	}
	defer a.Close()
	secret, err := a.SetTOTP(ctx, name, enable)
	if err != nil {
		return err
	}
	if !enable {
		_, err = fmt.Fprintf(e.stdout, "user %s logs in without a second factor\n", name)
		return err
	}
	fmt.Fprintf(e.stderr, "User %s must now give a one-time code at web login. Give them this URI (shown only now) for their authenticator app:\n", name)
	_, err = fmt.Fprintln(e.stdout, web.TOTPURI(secret, "sori", name))
	return err
}

// openForUser parses the command line of a command that takes the archive
// flags and one user name (name is the command, for messages), checks the
// name and opens the archive; the caller closes it.
func openForUser(ctx context.Context, e *env, name string, args []string) (*archive.Archive, string, error) {
	var f archiveFlags
	fs := newFlags(name)
	f.register(fs, e)
	rest, err := parse(fs, args)
	if err != nil {
		return nil, "", err
	}
	if len(rest) != 1 {
		return nil, "", usagef("give one user name")
	}
	user, err := archive.CheckUserName(rest[0])
	if err != nil {
		return nil, "", err
	}
	a, err := f.open(ctx, e)
	return a, user, err
}
