package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"

	"sori/internal/hangul"
	"sori/internal/store"
	"sori/internal/store/sqlite"
)

// runMem measures the memory of queries against a search index of many
// documents, without an archive around it (which takes hours to fill with
// a million items on a shared machine): with -build it makes an SQLite
// store (the archive's encrypted database) whose index holds -docs
// synthetic one-paragraph documents, 8,192 a transaction as `sori index`
// commits them; then it opens the store, runs each -queries query (top 20,
// no snippets: those read items, which this store has none of) and prints
// the Go heap in use after a collection and the process's peak and
// current resident set.
//
//	searchbench mem -db FILE [-build -docs N] [-queries 'q1,q2,…'] [-cpuprofile FILE]
func runMem(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("mem", flag.ExitOnError)
	path := fs.String("db", "", "the store's database file")
	build := fs.Bool("build", false, "make the store and index -docs documents first")
	docs := fs.Int("docs", 100000, "documents to index with -build")
	queries := fs.String("queries", "두만강,Tumen,혁,rations,강", "comma-separated queries")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the queries to this file")
	fs.Parse(args)
	if *path == "" {
		return fmt.Errorf("mem: -db is required")
	}
	key := [32]byte{7, 7, 7}
	if *build {
		if err := buildMem(ctx, *path, key, *docs); err != nil {
			return err
		}
	}
	db, err := sqlite.Open(ctx, *path, key)
	if err != nil {
		return err
	}
	defer db.Close()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, q := range strings.Split(*queries, ",") {
		hits, err := db.Search(ctx, store.SearchQuery{Match: hangul.MatchExpr(q), Limit: 20, NoSnippets: true})
		if err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		fmt.Printf("%s: %d hits\n", q, len(hits))
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("heap in use after GC %.1f MiB; %s; %s\n", float64(m.HeapInuse)/(1<<20), procStatus("VmHWM"), procStatus("VmRSS"))
	return nil
}

// procStatus is one line of /proc/self/status, or "" where there is none.
func procStatus(field string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field+":") {
			return strings.Join(strings.Fields(l), " ")
		}
	}
	return ""
}

// buildMem makes the store at path and indexes n synthetic documents.
func buildMem(ctx context.Context, path string, key [32]byte, n int) error {
	db, err := sqlite.Create(ctx, path, key)
	if err != nil {
		return err
	}
	defer db.Close()
	words := []string{"그는", "두만강을", "건너", "중국으로", "갔다가", "강제송환되어", "보위부", "구류장에서", "조사를", "받았다.",
		"혜산에서", "회령", "the", "guards", "counted", "rations", "at", "the", "camp", "every", "morning.", "Tumen", "river", "혁명", "수용소"}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	id := make([]byte, 16)
	for i := 0; i < n; {
		tx, err := db.Begin(ctx)
		if err != nil {
			return err
		}
		for end := min(n, i+8192); i < end; i++ {
			var b strings.Builder
			for range 20 + rng.IntN(40) {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte(' ')
			}
			for k := range id {
				id[k] = byte(rng.Uint32())
			}
			d := store.SearchDoc{Doc: hex.EncodeToString(id), Kind: "transcript", Title: fmt.Sprintf("p%07d.txt", i)}
			if err := tx.IndexDoc(ctx, d, []string{b.String()}); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
