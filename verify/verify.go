// Package verify checks a sori archive, or an exported bundle, and reports
// every finding. The CLI (`sori verify`, `sori verify-bundle`) and the tests
// are thin layers over it.
//
// A full check of an archive decrypts and re-hashes every item, recomputes
// every record digest and custody leaf, rebuilds the Merkle tree from the
// leaves and compares it, hash by hash, with the stored tree, checks every
// entry's signature and every stored checkpoint, and compares the log with
// checkpoints kept outside the archive (the pin, witness files), which is
// what catches an older copy swapped in. A quick check does the structural
// and checkpoint parts only.
package verify

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/archive"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/seal"
	"sori/internal/store"
)

// Finding is one problem found.
type Finding struct {
	Kind   string `json:"kind"`   // what is wrong (see the Kind constants)
	Object string `json:"object"` // the item, entry, file or hash concerned
	Detail string `json:"detail"`
	Hint   string `json:"hint"`
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s %s: %s", f.Kind, f.Object, f.Detail)
	if f.Hint != "" {
		s += " (" + f.Hint + ")"
	}
	return s
}

// Kinds of finding.
const (
	KindUnreadable = "unreadable" // the archive or part of it cannot be read at all
	KindDatabase   = "database"   // SQLite's own consistency check failed
	KindContent    = "content"    // an item's bytes are missing, altered or truncated
	KindRecord     = "record"     // a record version does not match its digest or chain
	KindEntry      = "entry"      // a custody entry is malformed or does not match its record
	KindSignature  = "signature"  // a custody entry's signature does not verify
	KindTree       = "tree"       // a stored tree hash differs from the one rebuilt from the leaves
	KindCheckpoint = "checkpoint" // a checkpoint is unsigned, forged or does not match the tree
	KindRollback   = "rollback"   // the log does not extend a checkpoint seen earlier
	KindMissing    = "missing"    // something the log or records promise is absent
	KindUser       = "user"       // a user row is inconsistent
)

const hintTamper = "the archive may have been altered; keep a copy as it is"

// Report is the outcome of a verification.
type Report struct {
	Mode       string `json:"mode"` // "full" or "quick"
	Items      int64  `json:"items"`
	Versions   int64  `json:"versions"`
	Entries    int64  `json:"entries"`
	Bytes      int64  `json:"bytes"` // plaintext bytes re-hashed
	TreeSize   int64  `json:"tree_size"`
	Checkpoint string `json:"checkpoint,omitempty"` // "size hash" of the newest checkpoint
	// Consistency, for a bundle checked against a checkpoint its holder
	// kept, is "OLDSIZE OLDHASH ⊑ NEWSIZE NEWHASH": the older is a prefix
	// of the newer.
	Consistency string `json:"consistency,omitempty"`
	// Timestamp, for a bundle carrying an RFC 3161 time stamp, is
	// "SIZE GENTIME verified|unverified": the log had SIZE entries by
	// GENTIME, by the TSA's word (verified against the TSA certificate
	// given, or not).
	Timestamp string `json:"timestamp,omitempty"`
	// Cosigned, for a bundle carrying a checkpoint cosigned by witnesses,
	// is "SIZE NAMES verified|unverified": a checkpoint of SIZE entries, of
	// which the bundle's extends, cosigned by the witnesses NAMES (comma
	// separated; verified: each key given, and only those, checked).
	Cosigned string    `json:"cosigned,omitempty"`
	Findings []Finding `json:"findings"`
	// Notes are observations that are not faults (e.g. unreferenced packs
	// left by an interrupted intake).
	Notes []string `json:"notes,omitempty"`

	mu sync.Mutex // guards Findings while checks run in parallel
}

// OK reports whether nothing was found.
func (r *Report) OK() bool { return len(r.Findings) == 0 }

func (r *Report) add(kind, object, hint, format string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Findings = append(r.Findings, Finding{Kind: kind, Object: object, Detail: fmt.Sprintf(format, a...), Hint: hint})
}

// Options tune Archive.
type Options struct {
	Quick bool
	// Witnessed are checkpoints kept outside the archive (a witness file's
	// contents, see ParseWitnessFile); the log must extend every one.
	Witnessed [][]byte
	// Progress, if set, is called with plaintext bytes checked so far.
	Progress func(done, total int64)
}

// Archive verifies an open archive. It returns an error only when it could
// not run at all; everything wrong with the archive is a Finding.
func Archive(ctx context.Context, a *archive.Archive, opt Options) (*Report, error) {
	v := &verifier{a: a, in: a.Inspect(), r: &Report{Mode: "full"}, opt: opt}
	if opt.Quick {
		v.r.Mode = "quick"
	}
	err := v.run(ctx)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		v.r.add(KindUnreadable, "archive", hintTamper, "%v", err)
	}
	sort.SliceStable(v.r.Findings, func(i, j int) bool { return v.r.Findings[i].Kind < v.r.Findings[j].Kind })
	return v.r, nil
}

type verifier struct {
	a   *archive.Archive
	in  archive.Inspector
	r   *Report
	opt Options

	users    map[string]ed25519.PublicKey
	userRows map[string]store.User // by key ID
	replay   userReplay
	// What is kept of items and records once their rows are checked: no
	// bodies, the pack names interned; at a million items these maps are
	// most of what verification holds (docs/BENCHMARKS.md).
	items   itemTable
	packs   []string
	packIdx map[string]int32
	records map[evidence.ID]*verRecord

	vaultRows  map[string]store.VaultRow // by entry ID
	vault      map[string]*vaultState    // replayed from the log, by entry ID
	vaultNames map[string]int            // hashed name forms per entry ID

	// purged are the versions whose body is gone ("ID vN"); a purge
	// entry with the same digest must account for each (purgeLogged).
	purged      map[string]evidence.Digest
	purgeLogged map[string]bool
	// handovers counts the log-key entries read so far (checkHandoverEntry).
	handovers int
	// restricted counts record versions, restrictedItems items, in
	// compartments the verifying user is not a member of: their seals
	// cannot be opened, so their digests and content are not re-checked.
	restricted, restrictedItems int

	// shredLogged are the items a signed shred entry names; shredded, those
	// whose own key is gone (found while re-hashing). checkShreds matches
	// the two.
	shredLogged map[evidence.ID]bool
	shredded    map[evidence.ID]bool
}

// verItem is an item as verification keeps it: 72 bytes, its versions
// kept apart (itemTable.vers).
type verItem struct {
	sha            evidence.Digest
	size           int64
	off, len       int64
	pack           int32 // index into verifier.packs
	keyGen         int32
	vStart, vCount int32 // its versions: itemTable.vers[vStart : vStart+vCount]
}

// itemTable holds every item in ID order (as the store lists them), in
// parallel slices found by binary search, and every item's versions in one
// slice: about 120 bytes an item, where a map of items each with a slice
// of versions took about 200 (a million items are checked in one process).
type itemTable struct {
	ids   []evidence.ID
	items []verItem
	vers  []verVersion
}

// sortByID puts the table in ID order (before any version is added).
func (t *itemTable) sortByID() {
	idx := make([]int, len(t.ids))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return bytes.Compare(t.ids[a][:], t.ids[b][:]) })
	ids, items := make([]evidence.ID, len(idx)), make([]verItem, len(idx))
	for k, i := range idx {
		ids[k], items[k] = t.ids[i], t.items[i]
	}
	t.ids, t.items = ids, items
}

// find returns the index of item id.
func (t *itemTable) find(id evidence.ID) (int, bool) {
	return slices.BinarySearchFunc(t.ids, id, func(a, b evidence.ID) int { return bytes.Compare(a[:], b[:]) })
}

// versions returns item i's versions (by version number - 1); setting
// logged through the slice marks the table's.
func (t *itemTable) versions(i int) []verVersion {
	it := t.items[i]
	return t.vers[it.vStart : it.vStart+it.vCount : it.vStart+it.vCount]
}

// verVersion is one record version: its digest, and whether a custody
// entry recorded it.
type verVersion struct {
	digest evidence.Digest
	logged bool
}

// verRecord is a model record's kind (of its first version) and versions.
type verRecord struct {
	kind     string
	versions []verVersion
}

// storeItem gives back the row fields the item hasher reads, of item i.
func (v *verifier) storeItem(i int) store.Item {
	it := v.items.items[i]
	return store.Item{ID: v.items.ids[i], SHA256: it.sha, Size: it.size, Pack: v.packs[it.pack], Off: it.off, Len: it.len, KeyGen: int(it.keyGen)}
}

func (v *verifier) run(ctx context.Context) (err error) {
	// SQLite's own check of every page runs beside everything else (it is
	// one core's work on its own connection); its complaints come first in
	// the report.
	type checked struct {
		problems []string
		err      error
	}
	ic := make(chan checked, 1)
	go func() {
		p, err := v.in.IntegrityCheck(ctx, v.opt.Quick)
		ic <- checked{p, err}
	}()
	defer func() {
		c := <-ic
		if err == nil {
			err = c.err
		}
		var db []Finding
		for _, p := range c.problems {
			hint := hintTamper
			if t, _, ok := strings.Cut(strings.TrimPrefix(p, "table "), ":"); ok && store.SearchTable(t) {
				hint = hintTamper + "; the damaged table holds only the search index, derived from the items and records, which are checked apart"
			}
			db = append(db, Finding{Kind: KindDatabase, Object: "meta.db", Detail: p, Hint: hint})
		}
		v.r.mu.Lock()
		v.r.Findings = append(db, v.r.Findings...)
		v.r.mu.Unlock()
	}()
	if err := v.loadUsers(ctx); err != nil {
		return err
	}
	files, err := v.in.KeyFiles(ctx)
	if err != nil {
		return err
	}
	v.checkKeyFiles(files)
	size, err := v.in.TreeSize(ctx)
	if err != nil {
		return err
	}
	v.r.TreeSize = size
	if v.opt.Quick {
		if err := v.checkCheckpoints(ctx, size, v.in.HashReader(ctx)); err != nil {
			return err
		}
		return v.checkExternal(ctx, size, v.in.HashReader(ctx))
	}
	if err := v.loadRecords(ctx); err != nil {
		return err
	}
	if err := v.loadVault(ctx); err != nil {
		return err
	}
	// Re-hashing the content (I/O and decryption) runs beside the log
	// checks (signatures: CPU); each uses every core it can get.
	contentErr := make(chan error, 1)
	go func() { contentErr <- v.checkContent(ctx) }()
	// Every return waits for the content check: it writes to the report.
	contentDone := false
	defer func() {
		if !contentDone {
			<-contentErr
		}
	}()
	rebuilt, err := v.checkEntries(ctx, size)
	if err != nil {
		return err
	}
	v.checkUserRows()
	v.checkVaultRows()
	if err := v.checkTree(ctx, rebuilt); err != nil {
		return err
	}
	// Checkpoints are checked against the tree rebuilt from the leaves.
	if err := v.checkCheckpoints(ctx, size, rebuilt); err != nil {
		return err
	}
	if err := v.checkExternal(ctx, size, rebuilt); err != nil {
		return err
	}
	contentDone = true
	if err := <-contentErr; err != nil {
		return err
	}
	v.checkShreds()
	return nil
}

// checkShreds reports an item whose own key is gone without a signed shred
// entry (its content can no longer be re-hashed: only the entry accounts
// for that), and a shred entry whose item still has its key.
func (v *verifier) checkShreds() {
	for id := range v.shredded {
		if !v.shredLogged[id] {
			v.r.add(KindContent, id.String(), hintTamper, "the item's own key is gone, but no signed shred entry says it was shredded")
		}
	}
	for id := range v.shredLogged {
		if !v.shredded[id] {
			v.r.add(KindEntry, id.String(), hintTamper, "a shred entry names this item, but its key is still there")
		}
	}
	if v.restricted > 0 || v.restrictedItems > 0 {
		v.r.Notes = append(v.r.Notes, fmt.Sprintf("%d record version(s) and %d item(s) are in compartments you are not a member of: their chain and custody entries were checked, their sealed content was not (a member's verify checks it)", v.restricted, v.restrictedItems))
	}
	if n := len(v.shredded); n > 0 {
		v.r.Notes = append(v.r.Notes, fmt.Sprintf("%d item(s) crypto-shredded at a witness's request: their content can no longer be re-hashed; their intake entries and records stay", n))
	}
}

func (v *verifier) loadUsers(ctx context.Context) error {
	users, err := v.in.Users(ctx)
	if err != nil {
		return err
	}
	v.users = map[string]ed25519.PublicKey{}
	v.userRows = map[string]store.User{}
	v.replay = userReplay{granted: map[string]string{}}
	for _, u := range users {
		v.userRows[u.ID] = u
		if archiveKeyID(u.Recipient) != u.ID {
			v.r.add(KindUser, u.ID, hintTamper, "user key ID does not match the user's public key")
		}
		v.users[u.ID] = u.SignPub
	}
	return nil
}

// checkCheckpoints verifies every stored checkpoint's signature and that it
// matches the tree read through r; the newest must cover the whole log.
func (v *verifier) checkCheckpoints(ctx context.Context, size int64, r tlog.HashReader) error {
	// Each checkpoint must be signed by the log key in force at its size
	// (the chain of log key handovers, checked when the archive opened).
	chain := v.a.LogKeyChain()
	var newest custody.Checkpoint
	n := 0
	err := v.in.Checkpoints(ctx, func(sz int64, note []byte) error {
		n++
		cp, err := chain.OpenCheckpoint(note)
		if err != nil {
			v.r.add(KindCheckpoint, fmt.Sprintf("checkpoint@%d", sz), hintTamper, "%v", err)
			return nil
		}
		if cp.Size != sz {
			v.r.add(KindCheckpoint, fmt.Sprintf("checkpoint@%d", sz), hintTamper, "stored under size %d but signs size %d", sz, cp.Size)
			return nil
		}
		if cp.Size > size {
			v.r.add(KindCheckpoint, fmt.Sprintf("checkpoint@%d", sz), hintTamper, "signs %d entries but the log has %d: entries were removed", cp.Size, size)
			return nil
		}
		if err := custody.Consistent(cp, size, r); err != nil {
			v.r.add(KindCheckpoint, fmt.Sprintf("checkpoint@%d", sz), hintTamper, "%v", err)
		}
		if cp.Size >= newest.Size {
			newest = cp
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		v.r.add(KindMissing, "checkpoints", hintTamper, "the archive holds no checkpoint")
	} else if newest.Size != size {
		v.r.add(KindCheckpoint, "checkpoint", hintTamper, "the newest valid checkpoint covers %d entries but the log has %d", newest.Size, size)
	}
	if newest.Note != nil {
		v.r.Checkpoint = fmt.Sprintf("%d %s", newest.Size, newest.Hash)
	}
	return nil
}

// checkExternal compares the log with the checkpoints kept outside the
// archive: the pin and the witnessed checkpoints.
func (v *verifier) checkExternal(ctx context.Context, size int64, r tlog.HashReader) error {
	chain := v.a.LogKeyChain()
	if err := v.in.CheckPin(ctx); err != nil {
		v.r.add(KindRollback, v.in.PinPath(), "an older copy of the archive, or another archive, is in this place", "%v", err)
	}
	for i, w := range v.opt.Witnessed {
		cp, err := chain.OpenCheckpoint(w)
		if err != nil {
			v.r.add(KindRollback, fmt.Sprintf("witness#%d", i+1), "the witnessed checkpoint is not this archive's, was altered, or is signed by a log key retired at its size (a removed user's)", "%v", err)
			continue
		}
		if err := custody.Consistent(cp, size, r); err != nil {
			v.r.add(KindRollback, fmt.Sprintf("witness#%d", i+1), "an older copy of the archive is in this place", "%v", err)
		}
	}
	return nil
}

func (v *verifier) loadRecords(ctx context.Context) error {
	v.items = itemTable{}
	v.packIdx = map[string]int32{}
	sorted := true
	if err := v.in.Items(ctx, func(it store.Item) error {
		p, ok := v.packIdx[it.Pack]
		if !ok {
			p = int32(len(v.packs))
			v.packs = append(v.packs, it.Pack)
			v.packIdx[it.Pack] = p
		}
		if n := len(v.items.ids); n > 0 && bytes.Compare(v.items.ids[n-1][:], it.ID[:]) >= 0 {
			sorted = false
		}
		v.items.ids = append(v.items.ids, it.ID)
		v.items.items = append(v.items.items, verItem{sha: it.SHA256, size: it.Size, pack: p, keyGen: int32(it.KeyGen), off: it.Off, len: it.Len})
		v.r.Items++
		return nil
	}); err != nil {
		return err
	}
	if !sorted { // the store lists items by ID; a table out of order is sorted here
		v.items.sortByID()
	}
	// Versions come by item, then version: each is checked as it comes
	// and only its digest is kept. An item's versions are kept together,
	// in the order they come.
	orphan := map[evidence.ID]bool{}
	var scattered []evidence.ID
	if err := v.in.Versions(ctx, func(ver store.Version) error {
		v.r.Versions++
		id := ver.Item
		i, ok := v.items.find(id)
		if !ok {
			if !orphan[id] {
				orphan[id] = true
				v.r.add(KindMissing, id.String(), hintTamper, "record versions of an item that does not exist")
			}
			return nil
		}
		it := &v.items.items[i]
		obj := fmt.Sprintf("%s v%d", id, ver.Version)
		if it.vCount > 0 && int(it.vStart+it.vCount) != len(v.items.vers) {
			// Another item's versions came between this item's: the store
			// breaks its order. Reported, and this version is not kept.
			if !slices.Contains(scattered, id) {
				scattered = append(scattered, id)
				v.r.add(KindRecord, id.String(), hintTamper, "the item's record versions are not listed together")
			}
			return nil
		}
		if int(it.vCount) != ver.Version-1 {
			v.r.add(KindRecord, obj, hintTamper, "versions are not numbered 1, 2, 3 …")
		}
		var prev *evidence.Digest
		if it.vCount > 0 {
			d := v.items.vers[it.vStart+it.vCount-1].digest
			prev = &d
		} else {
			it.vStart = int32(len(v.items.vers))
		}
		v.items.vers = append(v.items.vers, verVersion{digest: ver.Digest})
		it.vCount++
		if len(ver.Record) == 0 { // purged: only its digest is left
			v.notePurged(obj, ver.Digest)
			return nil
		}
		body, ok := v.openSealed(ctx, true, id, ver.Version, ver.Record, obj)
		if !ok {
			return nil
		}
		if evidence.Sum(body) != ver.Digest {
			v.r.add(KindRecord, obj, hintTamper, "record does not match its digest")
		}
		rec, err := evidence.UnmarshalItemRecord(body)
		switch {
		case err != nil:
			v.r.add(KindRecord, obj, hintTamper, "%v", err)
		case rec.Item != id || rec.Version != ver.Version:
			v.r.add(KindRecord, obj, hintTamper, "record names item %s version %d", rec.Item, rec.Version)
		case (prev == nil) != (rec.Prev == nil) || (prev != nil && *prev != *rec.Prev):
			v.r.add(KindRecord, obj, hintTamper, "record does not chain to the digest of the version before")
		}
		return nil
	}); err != nil {
		return err
	}
	for i, it := range v.items.items {
		if it.vCount == 0 {
			v.r.add(KindMissing, v.items.ids[i].String(), hintTamper, "item has no record")
		}
	}
	return v.loadModelRecords(ctx)
}

// loadModelRecords checks every version of every model record (testimony,
// event, person, …): digest, canonical form, numbering and chain. A
// record's versions come in the order they were written; only their
// digests are kept.
func (v *verifier) loadModelRecords(ctx context.Context) error {
	v.records = map[evidence.ID]*verRecord{}
	return v.in.Records(ctx, func(row store.RecordRow) error {
		v.r.Versions++
		id := row.ID
		r := v.records[id]
		if r == nil {
			r = &verRecord{kind: row.Kind}
			v.records[id] = r
		}
		obj := fmt.Sprintf("%s v%d", id, row.Version)
		if row.Version != len(r.versions)+1 {
			v.r.add(KindRecord, obj, hintTamper, "versions are not numbered 1, 2, 3 …")
		}
		var prev *evidence.Digest
		if n := len(r.versions); n > 0 {
			d := r.versions[n-1].digest
			prev = &d
		}
		r.versions = append(r.versions, verVersion{digest: row.Digest})
		if len(row.Record) == 0 { // purged: only its digest is left
			v.notePurged(obj, row.Digest)
			return nil
		}
		body, ok := v.openSealed(ctx, false, id, row.Version, row.Record, obj)
		if !ok {
			return nil
		}
		if evidence.Sum(body) != row.Digest {
			v.r.add(KindRecord, obj, hintTamper, "record does not match its digest")
		}
		rec, err := model.Unmarshal(body)
		switch {
		case err != nil:
			v.r.add(KindRecord, obj, hintTamper, "%v", err)
		case rec.ID != id || rec.Version != row.Version || rec.Kind != row.Kind || rec.Kind != r.kind:
			v.r.add(KindRecord, obj, hintTamper, "record names another record, version or kind")
		case (prev == nil) != (rec.Prev == nil) || (prev != nil && *prev != *rec.Prev):
			v.r.add(KindRecord, obj, hintTamper, "record does not chain to the digest of the version before")
		}
		return nil
	})
}

// checkEntries checks each custody entry and rebuilds the tree from the
// leaves; it returns a reader over the rebuilt hashes.
func (v *verifier) checkEntries(ctx context.Context, size int64) (tlog.HashReader, error) {
	hashes := make([]tlog.Hash, 0, tlog.StoredHashCount(size))
	mem := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(hashes)) {
				return nil, fmt.Errorf("tree hash %d not rebuilt", x)
			}
			out[i] = hashes[x]
		}
		return out, nil
	})
	next := int64(0)
	type sigJob struct {
		e     custody.Entry
		entry []byte // e, canonically encoded (custody.Unmarshal checked)
		sig   []byte
		obj   string
	}
	sigs := make(chan sigJob, 256)
	var sigWG sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		sigWG.Add(1)
		go func() {
			defer sigWG.Done()
			for j := range sigs {
				pub, ok := v.users[j.e.Actor]
				if !ok {
					v.r.add(KindSignature, j.obj, hintTamper, "signed by unknown key %s", j.e.Actor)
				} else if !custody.VerifyEncoded(pub, j.entry, j.sig) {
					v.r.add(KindSignature, j.obj, hintTamper, "signature does not verify")
				}
			}
		}()
	}
	err := v.in.Custody(ctx, "", func(row store.CustodyRow) error {
		obj := fmt.Sprintf("entry %d", row.Seq)
		if row.Seq != next {
			v.r.add(KindMissing, obj, hintTamper, "custody entries %d..%d are missing", next, row.Seq-1)
			return errStopTree
		}
		next++
		v.r.Entries++
		e, err := custody.Unmarshal(row.Entry)
		switch {
		case err != nil:
			v.r.add(KindEntry, obj, hintTamper, "%v", err)
		case e.Seq != row.Seq || e.Kind != row.Kind || e.Object != row.Object:
			v.r.add(KindEntry, obj, hintTamper, "entry body disagrees with its row")
		default:
			sigs <- sigJob{e, row.Entry, row.Sig, obj}
			v.checkEntryRecord(e, row)
			v.replayVault(e, v.replay.granted[e.Actor])
			v.replayUsers(e)
		}
		if len(row.Salt) != custody.SaltSize {
			v.r.add(KindEntry, obj, hintTamper, "leaf salt has %d bytes", len(row.Salt))
		}
		leaf := custody.LeafData(row.Salt, row.Content, evidence.Sum(row.Entry))
		add, err := tlog.StoredHashes(row.Seq, leaf, mem)
		if err != nil {
			return err
		}
		hashes = append(hashes, add...)
		return nil
	})
	close(sigs)
	sigWG.Wait()
	if err != nil && !errors.Is(err, errStopTree) {
		return nil, err
	}
	if next != size {
		v.r.add(KindMissing, "custody", hintTamper, "%d entries readable of %d", next, size)
	}
	v.checkPurges()
	if n := len(v.a.LogKeyChain().Handovers); v.handovers != n && next == size {
		v.r.add(KindEntry, "log-key", hintTamper, "the archive's log key chain has %d handovers but the log %d log-key entries", n, v.handovers)
	}
	for i, id := range v.items.ids {
		for n, ver := range v.items.versions(i) {
			if !ver.logged {
				v.r.add(KindMissing, fmt.Sprintf("%s v%d", id, n+1), hintTamper, "record version has no custody entry")
			}
		}
	}
	for id, r := range v.records {
		for i, ver := range r.versions {
			if !ver.logged {
				v.r.add(KindMissing, fmt.Sprintf("%s v%d", id, i+1), hintTamper, "record version has no custody entry")
			}
		}
	}
	return mem, nil
}

var errStopTree = errors.New("tree cannot be rebuilt past a gap")

// openSealed returns a stored version's canonical record: itself, or what
// its compartment's seal holds. A version in a compartment the verifying
// user is not a member of cannot be checked beyond its place in the chain
// (its digest is kept for the next version's): it is counted, and ok is
// false. An envelope that does not open is a finding.
func (v *verifier) openSealed(ctx context.Context, item bool, id evidence.ID, version int, stored []byte, obj string) ([]byte, bool) {
	if !seal.IsSealed(stored) {
		return stored, true
	}
	plain, err := v.in.OpenSealed(ctx, item, id, version, stored)
	switch {
	case errors.Is(err, evidence.ErrForbidden):
		v.restricted++
		return nil, false
	case err != nil:
		v.r.add(KindRecord, obj, hintTamper, "%v", err)
		return nil, false
	}
	return plain, true
}

// notePurged records a version whose body is gone.
func (v *verifier) notePurged(obj string, d evidence.Digest) {
	if v.purged == nil {
		v.purged, v.purgeLogged = map[string]evidence.Digest{}, map[string]bool{}
	}
	v.purged[obj] = d
}

// checkPurges reports every purged version no purge entry accounts for.
func (v *verifier) checkPurges() {
	for obj := range v.purged {
		if !v.purgeLogged[obj] {
			v.r.add(KindRecord, obj, hintTamper, "the version's body is gone but no signed purge entry says it was purged")
		}
	}
}

// checkEntryRecord ties intake and version entries to the records.
func (v *verifier) checkEntryRecord(e custody.Entry, row store.CustodyRow) {
	obj := fmt.Sprintf("entry %d", e.Seq)
	if e.Kind == custody.KindLogKey {
		v.checkHandoverEntry(e)
		return
	}
	if e.Kind == custody.KindShred {
		id, err := evidence.ParseID(e.Object)
		i, ok := v.items.find(id)
		var vs []verVersion
		if ok {
			vs = v.items.versions(i)
		}
		switch {
		case err != nil || !ok:
			v.r.add(KindEntry, obj, hintTamper, "a shred entry names %q, which is no item", e.Object)
		case e.Version < 1 || e.Version > len(vs) || vs[e.Version-1].digest != e.Digest:
			v.r.add(KindEntry, obj, hintTamper, "a shred entry names version %d of item %s with another digest than the stored one", e.Version, id)
		default:
			if v.shredLogged == nil {
				v.shredLogged = map[evidence.ID]bool{}
			}
			v.shredLogged[id] = true
		}
		return
	}
	if e.Kind == custody.KindPurge {
		key := fmt.Sprintf("%s v%d", e.Object, e.Version)
		d, ok := v.purged[key]
		switch {
		case !ok:
			v.r.add(KindEntry, obj, hintTamper, "a purge entry names %s, whose body is still there or which does not exist", key)
		case d != e.Digest:
			v.r.add(KindEntry, obj, hintTamper, "a purge entry names %s with another digest than the stored one", key)
		default:
			v.purgeLogged[key] = true
		}
		return
	}
	if e.Kind == custody.KindRecord {
		id, err := evidence.ParseID(e.Object)
		if err != nil {
			v.r.add(KindEntry, obj, hintTamper, "object %q is not a record ID", e.Object)
			return
		}
		var vs []verVersion
		if r := v.records[id]; r != nil {
			vs = r.versions
		}
		if e.Version < 1 || e.Version > len(vs) {
			v.r.add(KindMissing, fmt.Sprintf("%s v%d", id, e.Version), hintTamper, "custody entry %d records a record version that is not in the archive", e.Seq)
			return
		}
		if vs[e.Version-1].digest != e.Digest {
			v.r.add(KindEntry, obj, hintTamper, "records a different digest for %s v%d than the stored record", id, e.Version)
		}
		vs[e.Version-1].logged = true
		return
	}
	if e.Kind != custody.KindIntake && e.Kind != custody.KindVersion {
		return
	}
	id, err := evidence.ParseID(e.Object)
	if err != nil {
		v.r.add(KindEntry, obj, hintTamper, "object %q is not an item ID", e.Object)
		return
	}
	i, ok := v.items.find(id)
	if !ok {
		v.r.add(KindMissing, id.String(), hintTamper, "custody entry %d records an item that is not in the archive", e.Seq)
		return
	}
	if row.Content != v.items.items[i].sha {
		v.r.add(KindEntry, obj, hintTamper, "committed content digest differs from item %s's SHA-256", id)
	}
	vs := v.items.versions(i)
	if e.Version < 1 || e.Version > len(vs) {
		v.r.add(KindMissing, fmt.Sprintf("%s v%d", id, e.Version), hintTamper, "custody entry %d records a version that is not in the archive", e.Seq)
		return
	}
	if vs[e.Version-1].digest != e.Digest {
		v.r.add(KindEntry, obj, hintTamper, "records a different digest for %s v%d than the stored record", id, e.Version)
	}
	vs[e.Version-1].logged = true
}

// checkTree compares every stored tree hash with the rebuilt one.
func (v *verifier) checkTree(ctx context.Context, rebuilt tlog.HashReader) error {
	want := tlog.StoredHashCount(v.r.Entries)
	var seen int64
	err := v.in.StoredHashes(ctx, func(idx int64, h []byte) error {
		seen++
		if idx >= want {
			v.r.add(KindTree, fmt.Sprintf("hash %d", idx), hintTamper, "stored hash beyond the rebuilt tree")
			return nil
		}
		got, err := rebuilt.ReadHashes([]int64{idx})
		if err != nil {
			return err
		}
		if !bytes.Equal(got[0][:], h) {
			v.r.add(KindTree, fmt.Sprintf("hash %d", idx), hintTamper, "stored tree hash differs from the one rebuilt from the entries")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if seen != want {
		v.r.add(KindTree, "tree", hintTamper, "%d tree hashes stored, %d expected", seen, want)
	}
	return nil
}

// checkContent decrypts and re-hashes every item (in parallel).
func (v *verifier) checkContent(ctx context.Context) error {
	// Items by index, in storage order, so each pack is read from its start
	// to its end.
	order := make([]int32, len(v.items.ids))
	var total int64
	for i := range order {
		order[i] = int32(i)
		total += v.items.items[i].size
	}
	slices.SortFunc(order, func(a, b int32) int {
		x, y := v.items.items[a], v.items.items[b]
		return cmp.Or(strings.Compare(v.packs[x.pack], v.packs[y.pack]), cmp.Compare(x.off, y.off))
	})
	hasher := v.in.NewItemHasher()
	defer hasher.Close()
	// A job is one item, or, where the store is read best a pack at a time
	// (S3), all the items of one pack in offset order: a range of order.
	byPack := hasher.ByPack()
	type span struct{ lo, hi int }
	var batches []span
	for k := range order {
		if k > 0 && byPack && v.items.items[order[k]].pack == v.items.items[order[k-1]].pack {
			batches[len(batches)-1].hi = k + 1
			continue
		}
		batches = append(batches, span{k, k + 1})
	}
	var mu sync.Mutex
	var done int64
	jobs := make(chan span)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for batch := range jobs {
				for _, i := range order[batch.lo:batch.hi] {
					id := v.items.ids[i]
					n, err := hasher.Hash(ctx, v.storeItem(int(i)), buf)
					mu.Lock()
					done += n
					if errors.Is(err, evidence.ErrForbidden) {
						v.restrictedItems++
					} else if errors.Is(err, evidence.ErrShredded) {
						if v.shredded == nil {
							v.shredded = map[evidence.ID]bool{}
						}
						v.shredded[id] = true
					} else if err != nil && ctx.Err() == nil {
						v.r.add(KindContent, id.String(), hintTamper, "%v", err)
					}
					if v.opt.Progress != nil {
						v.opt.Progress(done, total)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, b := range batches {
		select {
		case jobs <- b:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	v.r.Bytes = done
	orphans := 0
	if err := v.in.Packs(ctx, func(name string, _ int64) error {
		if _, referenced := v.packIdx[name]; !referenced {
			orphans++
		}
		return nil
	}); err != nil {
		return err
	}
	if orphans > 0 {
		v.r.Notes = append(v.r.Notes, fmt.Sprintf("%d pack(s) hold no item (left by an interrupted intake; harmless ciphertext)", orphans))
	}
	return ctx.Err()
}

// checkHandoverEntry ties the nth log-key entry to the chain's nth
// handover: the entry commits to the note, and is the last entry before
// the new key's first tree size.
func (v *verifier) checkHandoverEntry(e custody.Entry) {
	obj := fmt.Sprintf("entry %d", e.Seq)
	hs := v.a.LogKeyChain().Handovers
	n := v.handovers
	v.handovers++
	switch {
	case n >= len(hs):
		v.r.add(KindEntry, obj, hintTamper, "a log-key entry with no handover note in the archive's log key chain")
	case hs[n].Digest() != e.Digest:
		v.r.add(KindEntry, obj, hintTamper, "the log-key entry commits to another handover note than the chain's number %d", n+1)
	case hs[n].From != e.Seq+1:
		v.r.add(KindEntry, obj, hintTamper, "handover %d takes effect from tree size %d, but its entry is at index %d", n+1, hs[n].From, e.Seq)
	case e.Object != v.a.ID():
		v.r.add(KindEntry, obj, hintTamper, "a log-key entry about %q, not this archive", e.Object)
	}
}
