package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"sori/internal/archive"
)

var compartmentCmd = &command{
	name:    "compartment",
	summary: "need-to-know compartments: make one, list them, add or take out members, move testimonies in",
	usage: `
Usage: sori compartment add NAME --member USER [--member USER ...] [--json]
       sori compartment ls [--json]
       sori compartment member NAME --add USER | --rm USER
       sori compartment move NAME ID... [--json]

A compartment keeps a testimony, its items and the records about them from
everyone who is not a member, admins included (docs/roles.md
"Compartments"). What is in one is stored sealed under the compartment's
key, which only members hold; a non-member sees that a restricted item or
record exists (its ID, kind, compartment and date) and nothing else: no
title, no text, no search hit, nothing in their exports or publications.
Nothing of a compartment enters the shared search index; members' searches
read it from the sealed records and items.

'add' makes compartment NAME (an admin; NAME is shown to every user, so
choose one that says nothing, such as "case-7") with its members, each
given its key; the admin is a member only if named. Prints
  ID<TAB>NAME<TAB>GENERATION<TAB>MEMBERS
(--json: {"id","name","created","created_by","generation","members","member"}).

'ls' prints that line for every compartment, and whether you are a member
("member" or "-") as a fifth field.

'member --add' gives USER every key generation of NAME: only a member can
(they hold the keys), and an admin or a user who writes records.
'member --rm' (an admin) takes USER out: their copies of the keys are
deleted and a new key generation, sealed to the remaining members only,
seals everything written from then on. Removing a user from the archive
(sori user rm) takes them out of every compartment the same way. What a
removed member read or copied before stays with them.

'move' places what the IDs name in NAME, with what belongs to it: a
testimony's items, an item's translations, and every record that refers
to anything moved (annotations, consent, redactions …). Each gets a new
version sealed under the compartment's key, items' own keys are wrapped
again under it, and what the search index held of them is taken out. The
earlier versions stay as they were: whoever holds, or held, the database
key can read them (purge them to destroy them: 'sori help purge'). Items
taken in before items had keys of their own cannot be moved. Prints one
line per moved ID: item|record<TAB>ID (--json: {"compartment","items","records"}).

To place something in a compartment when it is made, give --compartment
NAME to 'sori add' and to the record commands' 'add' (testimony, event,
person …). A record about something in a compartment (an annotation of
its item, its consent) is placed in it without the flag.

Flags:
  --member USER    a member of the new compartment (repeat)
  --add USER       add a member (member add)
  --rm USER        take a member out (member rm)
  --json           JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure, 2 invalid input (nothing changed), 3 locked or
not allowed (not a member, or the role may not).

Examples:
  sori compartment add case-7 --member kim --member lee
  sori add --compartment case-7 --witness W-17 interview.ko.txt
  sori testimony add --compartment case-7 --title "Interview 3" --original 3fa4c2
  sori compartment move case-7 9d1e07
  sori compartment member case-7 --rm lee
`,
	run: runCompartment,
}

func runCompartment(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("give a subcommand: add, ls, member or move")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return flag.ErrHelp
	case "add":
		return runCompartmentAdd(ctx, e, args[1:])
	case "ls":
		return runCompartmentLs(ctx, e, args[1:])
	case "member":
		return runCompartmentMember(ctx, e, args[1:])
	case "move":
		return runCompartmentMove(ctx, e, args[1:])
	}
	return usagef("unknown subcommand %q: want add, ls, member or move", args[0])
}

func printCompartment(e *env, c archive.Compartment, asJSON, withMember bool) error {
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(c)
	}
	line := fmt.Sprintf("%s\t%s\t%d\t%s", c.ID, c.Name, c.Gen, strings.Join(c.Members, ","))
	if withMember {
		m := "-"
		if c.Member {
			m = "member"
		}
		line += "\t" + m
	}
	_, err := fmt.Fprintln(e.stdout, line)
	return err
}

func runCompartmentAdd(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var members multiFlag
	var asJSON bool
	fs := newFlags("compartment add")
	f.register(fs, e)
	fs.Var(&members, "member", repeatable)
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give one compartment name")
	}
	if len(members) == 0 {
		return usagef("give its members: --member USER (repeat)")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := a.CreateCompartment(ctx, rest[0], members)
	if err != nil {
		return err
	}
	return printCompartment(e, c, asJSON, false)
}

func runCompartmentLs(ctx context.Context, e *env, args []string) error {
	a, asJSON, err := openListing(ctx, e, "compartment ls", args)
	if err != nil {
		return err
	}
	defer a.Close()
	cs, err := a.Compartments(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := printCompartment(e, c, asJSON, true); err != nil {
			return err
		}
	}
	return nil
}

func runCompartmentMember(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var add, rm string
	fs := newFlags("compartment member")
	f.register(fs, e)
	fs.StringVar(&add, "add", "", "")
	fs.StringVar(&rm, "rm", "", "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give one compartment name")
	}
	if (add == "") == (rm == "") {
		return usagef("give one of --add USER or --rm USER")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if add != "" {
		if err := a.AddCompartmentMember(ctx, rest[0], add); err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "added %s to compartment %s\n", add, rest[0])
		return err
	}
	if err := a.RemoveCompartmentMember(ctx, rest[0], rm); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "took %s out of compartment %s; new key generation\n", rm, rest[0])
	return err
}

func runCompartmentMove(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var asJSON bool
	fs := newFlags("compartment move")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) < 2 {
		return usagef("give the compartment and at least one ID")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	m, err := a.MoveToCompartment(ctx, rest[0], rest[1:])
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(m)
	}
	for _, id := range m.Items {
		fmt.Fprintf(e.stdout, "item\t%s\n", id)
	}
	for _, id := range m.Records {
		fmt.Fprintf(e.stdout, "record\t%s\n", id)
	}
	return nil
}
