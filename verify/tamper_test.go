package verify_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"
	_ "github.com/ncruces/go-sqlite3/vfs/adiantum"
	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/archive"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/verify"
)

// The tamper suite flips one bit or byte at a random offset of a random
// file sori wrote, then checks that `sori verify` (archive.Open with
// NoPinCheck, then a full verify.Archive) reports it: an open error that
// wraps evidence.ErrDamaged or ErrTampered, or at least one finding. A
// wrong-passphrase error (ErrLocked) is not a detection: sori must tell
// damage from a wrong passphrase (keys/SUMS is there for that).
//
// The files come from two fixtures: an archive closed cleanly (sori.json,
// keys/*, meta.db, packs, and the checkpoint pin in the state directory)
// and one copied while open, as a crash leaves it (meta.db-wal and
// meta.db-shm as well). SQLite never trusts bytes of the WAL past its last
// valid frame nor the -shm index, which it rebuilds; a flip there that
// verification does not report counts as inert if the archive then reads
// exactly as before (same counts, same newest checkpoint, no finding).
//
//	SORI_TEST_TAMPER_TRIALS=1000 go test -run TestTamper -v ./verify
//	SORI_TEST_TAMPER_SEED=N      replays a run (the seed is logged)
//	SORI_TEST_TAMPER_KINDS=sori.json,meta.db   flips only files of these kinds
//	SORI_TEST_KNOWN_BUGS=1       fails on the known gaps instead of counting them

const defaultTamperTrials = 60

// fileKind groups the files sori writes; the suite picks a kind uniformly,
// then a file of that kind, then an offset, so that small files (sori.json,
// key files) are exercised as often as the large ones.
func fileKind(rel string) string {
	sep := string(filepath.Separator)
	switch {
	case rel == "sori.json":
		return "sori.json"
	case rel == filepath.Join("keys", "SUMS"):
		return "keys/SUMS"
	case strings.HasPrefix(rel, "keys"+sep):
		return "keys/*" + filepath.Ext(rel)
	case rel == "meta.db", rel == "meta.db-wal", rel == "meta.db-shm":
		return rel
	case strings.HasPrefix(rel, "blobs"+sep):
		return "blobs/pack"
	case strings.HasPrefix(rel, "checkpoints"+sep):
		return "state/pin"
	}
	return "other:" + rel
}

// inertKinds are SQLite's files whose stale bytes it never trusts.
var inertKinds = map[string]bool{"meta.db-wal": true, "meta.db-shm": true}

// target is one file the suite may flip.
type target struct {
	src     *fixture
	inState bool // under the state directory, not the archive
	rel     string
}

func (tg target) path(f fixture) string {
	if tg.inState {
		return filepath.Join(f.state, tg.rel)
	}
	return filepath.Join(f.dir, tg.rel)
}

// collect adds the non-empty regular files under root to targets by kind;
// only those of the kinds in only, if given.
func collect(t testing.TB, targets map[string][]target, src *fixture, inState bool, only ...string) {
	t.Helper()
	root := src.dir
	if inState {
		root = src.state
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		k := fileKind(rel)
		if info, err := d.Info(); err != nil || info.Size() == 0 || (len(only) > 0 && !slices.Contains(only, k)) {
			return err
		}
		targets[k] = append(targets[k], target{src: src, inState: inState, rel: rel})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// openSnapshot returns an archive copied while it was open, after a
// change: its database has a WAL and a -shm index beside it.
func openSnapshot(t testing.TB) fixture {
	t.Helper()
	base := buildArchive(t)
	a := base.mustOpen(t, archive.Options{})
	src := filepath.Join(t.TempDir(), "late.txt")
	writeFile(t, src, []byte("a statement added while the archive was open\n"))
	if err := a.Add(context.Background(), []string{src}, archive.AddOptions{}, func(r archive.Added) error { return r.Err }); err != nil {
		t.Fatal(err)
	}
	snap := base.clone(t)
	a.Close()
	return snap
}

func tamperTrials(t *testing.T) int {
	n := defaultTamperTrials
	if s := os.Getenv("SORI_TEST_TAMPER_TRIALS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("SORI_TEST_TAMPER_TRIALS=%q: want a positive number", s)
		}
	}
	return n
}

// summary is what a report says about the archive's contents.
func summary(r *verify.Report) string {
	return fmt.Sprintf("%d items, %d versions, %d entries, tree %d, checkpoint %s, %d findings",
		r.Items, r.Versions, r.Entries, r.TreeSize, r.Checkpoint, len(r.Findings))
}

// sameConfig reports whether two sori.json files decode to the same
// configuration (a flip of whitespace or of a key's letter case).
func sameConfig(a, b []byte) bool {
	type config struct {
		Format, ID, Admin, LogKey, Sum string
		Version                        int
	}
	var ca, cb config
	return json.Unmarshal(a, &ca) == nil && json.Unmarshal(b, &cb) == nil && ca == cb
}

type tally struct {
	trials, detected, inert, known int
	how                            map[string]int
}

func TestTamper(t *testing.T) {
	trials := tamperTrials(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SORI_TEST_TAMPER_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("SORI_TEST_TAMPER_SEED=%q: %v", s, err)
		}
	}
	strict := os.Getenv("SORI_TEST_KNOWN_BUGS") != ""
	t.Logf("%d trials, SORI_TEST_TAMPER_SEED=%d", trials, seed)
	rng := rand.New(rand.NewPCG(seed, 0x7a3))

	closed, snap := buildArchive(t), openSnapshot(t)
	targets := map[string][]target{}
	collect(t, targets, &closed, false)
	collect(t, targets, &closed, true)
	collect(t, targets, &snap, false, "meta.db-wal", "meta.db-shm")
	var kindNames []string
	for k := range targets {
		if strings.HasPrefix(k, "other:") {
			t.Errorf("sori wrote a file the suite does not know: %s", k)
		}
		kindNames = append(kindNames, k)
	}
	sort.Strings(kindNames)
	for _, want := range []string{"sori.json", "keys/SUMS", "keys/*.user", "keys/*.ring", "meta.db", "blobs/pack", "state/pin", "meta.db-wal", "meta.db-shm"} {
		if !slices.Contains(kindNames, want) {
			t.Fatalf("the fixtures have no %s file (kinds: %v)", want, kindNames)
		}
	}
	if s := os.Getenv("SORI_TEST_TAMPER_KINDS"); s != "" {
		only := strings.Split(s, ",")
		for _, k := range only {
			if !slices.Contains(kindNames, k) {
				t.Fatalf("SORI_TEST_TAMPER_KINDS: no kind %q (kinds: %v)", k, kindNames)
			}
		}
		kindNames = only
	}
	baseline := map[*fixture]string{}
	for _, f := range []*fixture{&closed, &snap} {
		ok, how, r := detected(t, f.clone(t), verify.Options{})
		if ok || r == nil {
			t.Fatalf("fixture %s does not verify clean: %s\n%v", f.dir, how, r)
		}
		baseline[f] = summary(r)
	}
	// A flip of meta.db in a block that is wholly free space (a page is
	// four blocks) changes nothing SQLite reads: inert when the database
	// reads back as it was (TestDatabaseEveryPage).
	_, ring := unlock(t, closed.dir)
	closedDump := dumpDB(t, closed.clone(t).dir, ring.DB)

	stats := map[string]*tally{}
	for _, k := range kindNames {
		stats[k] = &tally{how: map[string]int{}}
	}
	for i := range trials {
		kind := kindNames[rng.IntN(len(kindNames))]
		tg := targets[kind][rng.IntN(len(targets[kind]))]
		f := tg.src.clone(t)
		path := tg.path(f)
		orig := readFile(t, path)
		b := slices.Clone(orig)
		off := rng.IntN(len(b))
		mask := byte(1) << rng.IntN(8) // half the trials flip one bit,
		if rng.IntN(2) == 0 {          // half XOR the byte with a random non-zero value
			mask = byte(1 + rng.IntN(255))
		}
		b[off] ^= mask
		writeFile(t, path, b)

		ok, how, r := detected(t, f, verify.Options{})
		s := stats[kind]
		s.trials++
		s.how[how]++
		where := fmt.Sprintf("trial %d: %s offset %d XOR %#02x", i, tg.rel, off, mask)
		if strings.HasPrefix(kind, "meta.db") {
			where += fmt.Sprintf(" (4 KiB block %d)", off/4096)
		}
		report := "(no report: archive.Open failed)"
		if r != nil {
			report = reportText(r)
		}
		switch {
		case ok:
			s.detected++
		case inertKinds[kind] && r != nil && summary(r) == baseline[tg.src]:
			s.inert++
		case kind == "meta.db" && tg.src == &closed && r != nil && summary(r) == baseline[tg.src] && dumpDB(t, f.dir, ring.DB) == closedDump:
			s.inert++
		case kind == "sori.json" && sameConfig(orig, b):
			// Known gap 1: sori.json is checked field by field after a
			// JSON decode, so whitespace and the letter case of keys are
			// not covered.
			s.known++
			if strict {
				t.Errorf("%s: not detected (sori.json decodes the same): %s", where, how)
			} else {
				t.Logf("KNOWN GAP %s: not detected (sori.json decodes the same)", where)
			}
		default:
			t.Errorf("%s: not detected: %s\n%s", where, how, report)
		}
		if kind == "state/pin" && !bytes.Equal(readFile(t, path), b) {
			t.Errorf("%s: verification rewrote the damaged pin (%s)", where, how)
		}
		os.RemoveAll(filepath.Dir(f.dir))
	}

	var tb strings.Builder
	fmt.Fprintf(&tb, "%-12s %6s %8s %5s %5s %6s  %s\n", "file kind", "trials", "detected", "inert", "known", "missed", "how")
	var sum tally
	for _, k := range kindNames {
		s := stats[k]
		sum.trials += s.trials
		sum.detected += s.detected
		sum.inert += s.inert
		sum.known += s.known
		var hows []string
		for h, n := range s.how {
			hows = append(hows, fmt.Sprintf("%s %d", h, n))
		}
		sort.Strings(hows)
		fmt.Fprintf(&tb, "%-12s %6d %8d %5d %5d %6d  %s\n", k, s.trials, s.detected, s.inert, s.known,
			s.trials-s.detected-s.inert-s.known, strings.Join(hows, ", "))
	}
	fmt.Fprintf(&tb, "%-12s %6d %8d %5d %5d %6d\n", "all", sum.trials, sum.detected, sum.inert, sum.known,
		sum.trials-sum.detected-sum.inert-sum.known)
	t.Logf("tamper results (seed %d):\n%s", seed, tb.String())
}

// TestDatabaseEveryPage flips one bit in every 4 KiB block of meta.db.
// Adiantum turns the block into noise, which SQLite must trip over, or
// sori verify must notice, wherever the block holds anything the database
// keeps. A database page is 16 KiB (four blocks), and a block may lie
// wholly in a page's free space, or in a free page: a flip there changes
// nothing SQLite reads. Such a flip is counted as inert only when the
// whole database — every row of every table, and integrity_check's verdict
// — reads back exactly as before it.
func TestDatabaseEveryPage(t *testing.T) {
	base := buildArchive(t)
	_, ring := unlock(t, base.dir)
	want := dumpDB(t, base.clone(t).dir, ring.DB)
	n := len(readFile(t, filepath.Join(base.dir, "meta.db"))) / 4096
	inert := 0
	for page := range n {
		f := base.clone(t)
		path := filepath.Join(f.dir, "meta.db")
		b := readFile(t, path)
		b[page*4096+(page*733)%4096] ^= 0x10
		writeFile(t, path, b)
		if ok, how, r := detected(t, f, verify.Options{}); !ok {
			if got := dumpDB(t, f.dir, ring.DB); got != want {
				t.Errorf("block %d of %d: a flip is not detected (%s), and the database reads differently\n%v", page+1, n, how, r)
			} else {
				inert++
			}
		}
		os.RemoveAll(filepath.Dir(f.dir))
	}
	t.Logf("%d blocks, %d of them wholly free space (a flip there is inert)", n, inert)
	if inert == n {
		t.Errorf("no flip was detected: the test does not see damage")
	}
}

// dumpDB is everything the archive's database at dir holds as SQLite reads
// it: integrity_check's verdict, then every row of every table, in order.
// A read that fails is in the dump, as its error.
func dumpDB(t testing.TB, dir string, dbKey [32]byte) string {
	t.Helper()
	db, err := keyedDB(dir, dbKey)
	if err != nil {
		return "open: " + err.Error()
	}
	defer db.Close()
	var out strings.Builder
	dump := func(q string) {
		rows, err := db.Query(q)
		if err != nil {
			fmt.Fprintf(&out, "%s: %v\n", q, err)
			return
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				fmt.Fprintf(&out, "%s: %v\n", q, err)
				return
			}
			fmt.Fprintf(&out, "%q\n", vals)
		}
		if err := rows.Err(); err != nil {
			fmt.Fprintf(&out, "%s: %v\n", q, err)
		}
	}
	dump("PRAGMA integrity_check")
	var tables []string
	rows, err := db.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return out.String() + "schema: " + err.Error()
	}
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	for _, name := range tables {
		fmt.Fprintf(&out, "table %s\n", name)
		dump(`SELECT * FROM "` + name + `"`)
	}
	return out.String()
}

// Insiders. Someone holding a user's passphrase can decrypt the database,
// drop the immutability triggers and rewrite rows. What they change must
// show up in verification; a rewrite of the whole history with every key
// is caught by checkpoints kept outside the archive (the pin, witnesses).

// unlock opens the first admin's key and keyring.
func unlock(t testing.TB, dir string) (*seal.UserKey, *seal.Keyring) {
	t.Helper()
	var cfg struct{ Admin string }
	readJSON(t, filepath.Join(dir, "sori.json"), &cfg)
	key, err := seal.OpenUserKey(readFile(t, filepath.Join(dir, "keys", cfg.Admin+".user")), testPass)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := seal.OpenKeyring(readFile(t, filepath.Join(dir, "keys", cfg.Admin+".ring")), key)
	if err != nil {
		t.Fatal(err)
	}
	return key, ring
}

// rawDB opens the archive's database as plain SQL, the immutability
// triggers dropped.
func rawDB(t testing.TB, dir string, dbKey [32]byte) *sql.DB {
	t.Helper()
	db, err := keyedDB(dir, dbKey)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	for _, tr := range []string{"items_no_update", "versions_no_update", "versions_no_delete",
		"custody_no_update", "custody_no_delete", "hashes_no_delete", "checkpoints_no_delete"} {
		mustExec(t, db, "DROP TRIGGER IF EXISTS "+tr)
	}
	return db
}

// keyedDB opens the archive's database at dir under dbKey, as plain SQL.
func keyedDB(dir string, dbKey [32]byte) (*sql.DB, error) {
	dsn := "file:" + (&url.URL{Path: filepath.Join(dir, "meta.db")}).EscapedPath() + "?vfs=adiantum&mode=rw"
	return driver.Open(dsn, func(c *sqlite3.Conn) error {
		return c.Exec("PRAGMA hexkey='" + hex.EncodeToString(dbKey[:]) + "'")
	})
}

func mustExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n == 0 && !strings.HasPrefix(q, "DROP") {
		t.Fatalf("%s: no row changed", q)
	}
}

// lastEntry is the newest custody row: version 2 of the first item.
func lastEntry(t testing.TB, db *sql.DB) (seq int64, e custody.Entry, salt, content []byte) {
	t.Helper()
	var entry []byte
	err := db.QueryRow(`SELECT seq, entry, salt, content FROM custody ORDER BY seq DESC LIMIT 1`).Scan(&seq, &entry, &salt, &content)
	if err != nil {
		t.Fatal(err)
	}
	if e, err = custody.Unmarshal(entry); err != nil {
		t.Fatal(err)
	}
	if e.Kind != custody.KindVersion || e.Version != 2 {
		t.Fatalf("last entry is %s v%d, want a version 2", e.Kind, e.Version)
	}
	return seq, e, salt, content
}

// alteredRecord rewrites the title of version 2 of item (a valid record).
func alteredRecord(t testing.TB, db *sql.DB, item evidence.ID) []byte {
	t.Helper()
	var rec []byte
	if err := db.QueryRow(`SELECT record FROM item_versions WHERE item_id = ? AND version = 2`, item.String()).Scan(&rec); err != nil {
		t.Fatal(err)
	}
	out := bytes.Replace(rec, []byte("second version"), []byte("altered version"), 1)
	if bytes.Equal(out, rec) {
		t.Fatalf("record %s v2 has no title to alter: %s", item, rec)
	}
	if _, err := evidence.UnmarshalItemRecord(out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInsiderEdits(t *testing.T) {
	base := buildArchive(t)
	cases := []struct {
		name  string
		edit  func(t *testing.T, f fixture, db *sql.DB, key *seal.UserKey, ring *seal.Keyring)
		kinds []string // findings expected (at least these)
	}{
		{"record without its digest", func(t *testing.T, f fixture, db *sql.DB, _ *seal.UserKey, _ *seal.Keyring) {
			mustExec(t, db, `UPDATE item_versions SET record = ? WHERE item_id = ? AND version = 2`, alteredRecord(t, db, f.items[0]), f.items[0].String())
		}, []string{verify.KindRecord}},
		{"record with its digest", func(t *testing.T, f fixture, db *sql.DB, _ *seal.UserKey, _ *seal.Keyring) {
			rec := alteredRecord(t, db, f.items[0])
			d := evidence.Sum(rec)
			mustExec(t, db, `UPDATE item_versions SET record = ?, digest = ? WHERE item_id = ? AND version = 2`, rec, d[:], f.items[0].String())
		}, []string{verify.KindEntry}},
		{"item digest", func(t *testing.T, f fixture, db *sql.DB, _ *seal.UserKey, _ *seal.Keyring) {
			d := evidence.Sum([]byte("other bytes"))
			mustExec(t, db, `UPDATE items SET sha256 = ? WHERE id = ?`, d[:], f.items[3].String())
		}, []string{verify.KindContent, verify.KindEntry}},
		{"item pointed at another item's bytes", func(t *testing.T, f fixture, db *sql.DB, _ *seal.UserKey, _ *seal.Keyring) {
			var pack string
			var off, n int64
			if err := db.QueryRow(`SELECT pack, off, len FROM items WHERE id = ?`, f.items[4].String()).Scan(&pack, &off, &n); err != nil {
				t.Fatal(err)
			}
			mustExec(t, db, `UPDATE items SET pack = ?, off = ?, len = ? WHERE id = ?`, pack, off, n, f.items[5].String())
		}, []string{verify.KindContent}},
		{"entry re-signed by a stranger", func(t *testing.T, f fixture, db *sql.DB, _ *seal.UserKey, _ *seal.Keyring) {
			stranger, err := seal.NewUserKey()
			if err != nil {
				t.Fatal(err)
			}
			seq, e, _, _ := lastEntry(t, db)
			e.Actor = stranger.KeyID()
			mustExec(t, db, `UPDATE custody SET entry = ?, sig = ? WHERE seq = ?`, e.Marshal(), stranger.Sign(e.SignedMessage()), seq)
		}, []string{verify.KindSignature, verify.KindTree}},
		{"signature of another entry", func(t *testing.T, f fixture, db *sql.DB, _ *seal.UserKey, _ *seal.Keyring) {
			mustExec(t, db, `UPDATE custody SET sig = (SELECT sig FROM custody WHERE seq = 1) WHERE seq = 2`)
		}, []string{verify.KindSignature}},
		{"salt", func(t *testing.T, f fixture, db *sql.DB, _ *seal.UserKey, _ *seal.Keyring) {
			mustExec(t, db, `UPDATE custody SET salt = zeroblob(32) WHERE seq = 3`)
		}, []string{verify.KindTree}},
		{"tree hash", func(t *testing.T, f fixture, db *sql.DB, _ *seal.UserKey, _ *seal.Keyring) {
			mustExec(t, db, `DROP TRIGGER hashes_no_update`)
			mustExec(t, db, `UPDATE tlog_hashes SET hash = zeroblob(32) WHERE idx = 0`)
		}, []string{verify.KindTree}},
		{"last change removed", func(t *testing.T, f fixture, db *sql.DB, _ *seal.UserKey, _ *seal.Keyring) {
			// The edit that made version 2, with its entry, tree hashes
			// and checkpoint: what is left is a consistent older log.
			seq, _, _, _ := lastEntry(t, db)
			mustExec(t, db, `DELETE FROM item_versions WHERE version = 2`)
			mustExec(t, db, `DELETE FROM custody WHERE seq = ?`, seq)
			mustExec(t, db, `DELETE FROM tlog_hashes WHERE idx >= ?`, tlog.StoredHashIndex(0, seq))
			mustExec(t, db, `DELETE FROM checkpoints WHERE size > ?`, seq)
		}, []string{verify.KindRollback}},
		{"history rewritten with every key", func(t *testing.T, f fixture, db *sql.DB, key *seal.UserKey, ring *seal.Keyring) {
			rewriteHistory(t, f, db, key, ring)
		}, []string{verify.KindRollback}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := base.clone(t)
			key, ring := unlock(t, f.dir)
			db := rawDB(t, f.dir, ring.DB)
			tc.edit(t, f, db, key, ring)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			ok, how, r := detected(t, f, verify.Options{})
			if !ok {
				t.Fatalf("not detected (%s)", how)
			}
			if r == nil {
				t.Fatalf("open failed (%s); want the findings %v", how, tc.kinds)
			}
			for _, k := range tc.kinds {
				wantFinding(t, r, k)
			}
			t.Logf("%s", reportText(r))
		})
	}
}

// rewriteHistory changes the title of the newest record version and redoes
// everything that commits to it: digest, entry and signature, tree hashes,
// and checkpoints signed with the log key. The archive is then consistent
// in itself.
func rewriteHistory(t testing.TB, f fixture, db *sql.DB, key *seal.UserKey, ring *seal.Keyring) {
	t.Helper()
	rec := alteredRecord(t, db, f.items[0])
	d := evidence.Sum(rec)
	mustExec(t, db, `UPDATE item_versions SET record = ?, digest = ? WHERE item_id = ? AND version = 2`, rec, d[:], f.items[0].String())
	seq, e, _, _ := lastEntry(t, db)
	e.Digest = d
	mustExec(t, db, `UPDATE custody SET entry = ?, sig = ? WHERE seq = ?`, e.Marshal(), key.Sign(e.SignedMessage()), seq)

	var hashes []tlog.Hash
	mem := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	rows, err := db.Query(`SELECT seq, entry, salt, content FROM custody ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for rows.Next() {
		var s int64
		var entry, salt, content []byte
		if err := rows.Scan(&s, &entry, &salt, &content); err != nil {
			t.Fatal(err)
		}
		add, err := tlog.StoredHashes(s, custody.LeafData(salt, evidence.Digest(content), evidence.Sum(entry)), mem)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, add...)
		n++
	}
	rows.Close()
	mustExec(t, db, `DELETE FROM tlog_hashes`)
	for i, h := range hashes {
		mustExec(t, db, `INSERT INTO tlog_hashes (idx, hash) VALUES (?, ?)`, i, h[:])
	}
	th, err := tlog.TreeHash(n, mem)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct{ ID string }
	readJSON(t, filepath.Join(f.dir, "sori.json"), &cfg)
	cp, err := custody.SignCheckpoint(ring.Log, custody.Origin(cfg.ID), n, th)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `DELETE FROM checkpoints`)
	mustExec(t, db, `INSERT INTO checkpoints (size, note, created_at) VALUES (?, ?, ?)`, n, cp.Note, time.Now().UTC().Format(time.RFC3339Nano))
}

// TestRewrittenHistory: a history rewritten with every key is consistent
// in itself; only checkpoints kept elsewhere can tell. Without the pin,
// a witnessed checkpoint catches it.
func TestRewrittenHistory(t *testing.T) {
	f := buildArchive(t).clone(t)
	a := f.mustOpen(t, archive.Options{})
	cp, err := a.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	key, ring := unlock(t, f.dir)
	db := rawDB(t, f.dir, ring.DB)
	rewriteHistory(t, f, db, key, ring)
	db.Close()

	if _, err := f.open(t, archive.Options{}); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("open with the pin: %v, want ErrTampered", err)
	}
	fresh := archive.Options{StateDir: t.TempDir()}
	a = f.mustOpen(t, fresh)
	if r := run(t, a, verify.Options{}); !r.OK() {
		t.Errorf("a consistent rewrite without pin or witness should verify clean (nothing can tell), got:\n%s", reportText(r))
	}
	r := run(t, a, verify.Options{Witnessed: [][]byte{cp.Note}})
	wantFinding(t, r, verify.KindRollback)
	a.Close()
}
