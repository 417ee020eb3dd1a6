// Command sori is the evidence-grade, witness-protecting testimony archive.
// Run `sori help` for the commands; docs/cli.md is the contract.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"

	"sori/internal/archive"
	"sori/internal/evidence"
)

// Exit codes (docs/cli.md).
const (
	exitOK     = 0
	exitFail   = 1 // failure, or findings
	exitUsage  = 2 // bad command line or input
	exitLocked = 3 // wrong passphrase, unknown user, forbidden
	// exitPending: the command waits for a second user's approval (four
	// eyes); a request was recorded and nothing else was done.
	exitPending = 4
)

// env is what a command may touch of the outside world; tests supply their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	stdinTTY       bool
	stderrTTY      bool
	// readPassword prompts on the terminal without echo.
	readPassword func(prompt string) (string, error)
	log          *slog.Logger
	// opened is the archive the command unlocked, if any: its disclosure
	// guard masks the command's error message (report).
	opened *archive.Archive
}

type command struct {
	name    string
	summary string
	usage   string // full help text, after the summary
	run     func(ctx context.Context, e *env, args []string) error
}

var commands []*command

func init() {
	commands = []*command{
		initCmd, addCmd, lsCmd, showCmd, catCmd, editCmd, searchCmd, indexCmd, logCmd, checkpointCmd, verifyCmd, exportCmd, verifyBundleCmd, demoCmd,
		testimonyCmd, eventCmd, actCmd, involvementCmd, personCmd, placeCmd, infoCmd, annotateCmd, importCmd, vocabCmd, genCmd,
		userCmd, passwdCmd, tokenCmd, witnessCmd, consentCmd, redactCmd, publishCmd, exportRecordsCmd, voidCmd, purgeCmd, compartmentCmd, replicateCmd, witnessLogCmd,
		migrateCmd, serveCmd, reviewCmd, approveCmd, settingsCmd, helpCmd,
	}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usageError marks a bad command line (exit 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// exitError carries an explicit exit code (e.g. verify's 2, "could not run").
type exitError struct {
	code int
	err  error
}

func (x exitError) Error() string { return x.err.Error() }
func (x exitError) Unwrap() error { return x.err }

// errSilent is returned when the command has already told the user
// everything (e.g. per-file failures) and only the exit code remains.
var errSilent = errors.New("failed")

func main() {
	// Whatever sori or SQLite creates is the owner's alone.
	ownerOnlyFiles()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	level := slog.LevelWarn
	if os.Getenv("SORI_LOG") == "debug" {
		level = slog.LevelDebug
	}
	e := &env{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.Getenv,
		stdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		readPassword: func(prompt string) (string, error) {
			fmt.Fprint(os.Stderr, prompt)
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			fmt.Fprintln(os.Stderr)
			return string(b), err
		},
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run executes one command line and returns the exit code. It is the only
// place where errors become exit codes.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		printOverview(e.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	if name == "-h" || name == "--help" || name == "-help" {
		name = "help"
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(e.stderr, "sori: unknown command %q; run 'sori help' for the list\n", name)
		return exitUsage
	}
	err := c.run(ctx, e, rest)
	return report(e, c, err)
}

func report(e *env, c *command, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		printUsage(e.stdout, c)
		return exitOK
	}
	if errors.Is(err, errSilent) {
		return exitFail
	}
	if e.opened != nil {
		err = e.opened.DiscloseError(err)
	}
	code := exitFail
	var ue usageError
	var xe exitError
	switch {
	case errors.As(err, &xe) && !errors.Is(err, evidence.ErrLocked):
		fmt.Fprintf(e.stderr, "sori %s: %v\n", c.name, err)
		return xe.code
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "sori %s: %v\nrun 'sori help %s' for usage\n", c.name, err, c.name)
		return exitUsage
	case errors.Is(err, evidence.ErrLocked), errors.Is(err, evidence.ErrForbidden):
		code = exitLocked
	case errors.Is(err, evidence.ErrInvalid):
		code = exitUsage
	case errors.Is(err, evidence.ErrPending):
		code = exitPending
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(e.stderr, "sori %s: interrupted\n", c.name)
		return exitFail
	}
	fmt.Fprintf(e.stderr, "sori %s: %v\n", c.name, err)
	if errors.Is(err, evidence.ErrTampered) || errors.Is(err, evidence.ErrDamaged) {
		fmt.Fprintln(e.stderr, "The archive may have been altered or damaged. Keep a copy as it is, and do not write to it until it is examined.")
	}
	return code
}

// newFlags returns a FlagSet for command name that prints nothing itself: errors are
// reported by run, and -h by printUsage.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseNone parses the flags of a command that takes no operands.
func parseNone(fs *flag.FlagSet, args []string) error {
	rest, err := parse(fs, args)
	if err == nil && len(rest) > 0 {
		err = usagef("unexpected argument %q", rest[0])
	}
	return err
}

// repeatable is the usage string of a flag that may be given more than
// once (a list: --name, --lang, --recipient); a flag.Value may instead
// have a method Repeatable() bool. Every other flag given twice is a usage
// error: "the last one wins" would silently drop what the user typed.
const repeatable = "repeatable"

// onceValue refuses a second Set.
type onceValue struct {
	flag.Value
	name string
	set  bool
}

func (o *onceValue) Set(s string) error {
	if o.set {
		return errGivenTwice
	}
	o.set = true
	return o.Value.Set(s)
}

// onceBool is onceValue for a boolean flag (--json), which the flag
// package recognizes by IsBoolFlag.
type onceBool struct{ onceValue }

func (o *onceBool) IsBoolFlag() bool { return true }

var errGivenTwice = errors.New("given more than once (it takes one value)")

// once wraps every non-repeatable flag of fs so that giving it twice fails.
func once(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if f.Usage == repeatable {
			return
		}
		if r, ok := f.Value.(interface{ Repeatable() bool }); ok && r.Repeatable() {
			return
		}
		switch f.Value.(type) {
		case *onceValue, *onceBool:
			return
		}
		o := onceValue{Value: f.Value, name: f.Name}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			f.Value = &onceBool{o}
		} else {
			f.Value = &o
		}
	})
}

// parse parses args, allowing flags after positional arguments
// (`sori show ID --json`). A lone "--" ends flag parsing. A flag that takes
// one value given twice is a usage error (exit 2).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	once(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			if errors.Is(err, errGivenTwice) {
				// The flag package's message quotes the value: not repeated.
				name := "a flag"
				fs.Visit(func(f *flag.Flag) {
					if o, ok := f.Value.(*onceValue); ok && o.set && strings.Contains(err.Error(), "-"+o.name+":") {
						name = "--" + o.name
					}
					if o, ok := f.Value.(*onceBool); ok && o.set && strings.Contains(err.Error(), "-"+o.name+":") {
						name = "--" + o.name
					}
				})
				return nil, usagef("%s is %v", name, errGivenTwice)
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
		if len(args) > 0 && args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
	}
}

func printOverview(w io.Writer) {
	fmt.Fprint(w, overview)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, overviewTail)
}

func printUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "sori %s — %s\n\n%s", c.name, c.summary, strings.TrimLeft(c.usage, "\n"))
}
