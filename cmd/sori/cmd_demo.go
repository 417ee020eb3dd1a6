package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"time"

	"sori/internal/archive"
	"sori/internal/demo"
)

var demoCmd = &command{
	name:    "demo",
	summary: "build a demo archive from built-in synthetic testimony",
	usage: `
Usage: sori demo [--dir D] [--no-serve] [--addr HOST:PORT]

Builds a demo archive from sori's built-in synthetic testimonies — Korean
interview transcripts with English translations from four invented,
pseudonymous witnesses (famine, detention after repatriation, a labour
camp, border crossings) — and prints what to try next. Every person and
story in it is invented.

The archive goes to D, which must not exist or be empty (default: a new
directory under the system's temporary directory). Its user is "demo" with
the passphrase "sori demo passphrase": a demo archive protects nothing.

Then it serves the web app over the demo archive (as 'sori serve' does, on
--addr, default 127.0.0.1:8080) and prints the address and the login, until
Ctrl-C. --no-serve stops after building, for scripts.

Example:
  go run ./cmd/sori demo
`,
	run: runDemo,
}

const demoPassphrase = "sori demo passphrase"

func runDemo(ctx context.Context, e *env, args []string) error {
	var dir, addr string
	var noServe bool
	fs := newFlags("demo")
	fs.StringVar(&dir, "dir", "", "")
	fs.BoolVar(&noServe, "no-serve", false, "")
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "sori-demo-"); err != nil {
			return err
		}
	}
	wf, err := testWorkFactor(e)
	if err != nil {
		return err
	}
	a, err := archive.Init(ctx, dir, "demo", demoPassphrase, archive.Options{WorkFactor: wf, Logger: e.log, StateDir: stateDir(e)})
	if err != nil {
		return err
	}
	open := true
	defer func() {
		if open {
			a.Close()
		}
	}()
	ids := map[string]string{} // demo file → item ID
	var first, firstEn string
	for _, d := range demo.Docs() {
		data, err := demo.FS.ReadFile(d.File)
		if err != nil {
			return err
		}
		opt := archive.AddOptions{Title: d.Title, Lang: d.Lang, Kind: d.Kind, Witness: d.Witness, Note: d.Note,
			TranslationOf: ids[d.TranslationOf], Stdin: bytes.NewReader(data), StdinName: path.Base(d.File)}
		err = a.Add(ctx, []string{archive.Stdin}, opt, func(r archive.Added) error {
			if r.Err != nil {
				return r.Err
			}
			ids[d.File] = r.ID.String()
			return nil
		})
		if err != nil {
			return fmt.Errorf("demo %s: %w", d.File, err)
		}
		if first == "" {
			first = ids[d.File]
		}
		if firstEn == "" && d.TranslationOf != "" {
			firstEn = ids[d.File]
		}
	}
	if _, err := a.IndexPending(ctx, nil); err != nil {
		return fmt.Errorf("demo: indexing for search: %w", err)
	}
	fmt.Fprintf(e.stdout, "Built a demo archive of %d synthetic items at\n  %s\nEvery witness, person and story in it is invented.\n\n", len(ids), dir)
	fmt.Fprintf(e.stdout, "Try (from a source checkout, write \"go run ./cmd/sori\" for \"sori\"):\n")
	for _, l := range [][2]string{
		{"export SORI_ARCHIVE=" + dir, ""},
		{"export SORI_PASSPHRASE='" + demoPassphrase + "'", ""},
		{"sori ls", "the items: ID, kind, language, size, version, title"},
		{"sori show " + first[:8], "metadata and version history"},
		{"sori cat " + first[:8], "the original Korean transcript, byte for byte"},
		{"sori show " + firstEn[:8], "its English translation, linked to the original"},
		{"sori edit " + first[:8] + " --note checked", "a new record version; the old one stays"},
		{"sori search 두만강", "Korean search in the encrypted index"},
		{"sori search \"Pyon Kyong Chol\"", "a name across scripts: finds 편경철 and P'yŏn Kyŏng-ch'ŏl"},
		{"sori verify", "re-hash everything, check the custody log"},
		{"sori add --lang en FILE", "add your own file (encrypted at rest)"},
		{"sori help", "every command"},
	} {
		if l[1] == "" {
			fmt.Fprintf(e.stdout, "  %s\n", l[0])
		} else {
			fmt.Fprintf(e.stdout, "  %-36s # %s\n", l[0], l[1])
		}
	}
	if noServe {
		return nil
	}
	// The web app unlocks the archive per login: this session ends first.
	open = false
	if err := a.Close(); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	return serve(ctx, e, serveOptions{dir: dir, addr: addr, idle: 15 * time.Minute, announced: func(url string) {
		fmt.Fprintf(e.stdout, "Open %s and log in as user \"demo\" with the passphrase %q.\n", url, demoPassphrase)
	}})
}
