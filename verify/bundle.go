package verify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"sori/internal/bundle"
	"sori/internal/custody"
	"sori/internal/evidence"
)

// Kinds of finding that only bundles have.
const (
	KindBag   = "bag"   // the BagIt structure or a manifest is wrong, or a file is missing, altered or unexpected
	KindProof = "proof" // an inclusion proof does not prove its entry in the checkpoint
)

const hintBundle = "the bundle was altered or damaged after export; ask the archive for a fresh export and keep this copy as it is"

// BundleOptions tune Bundle.
type BundleOptions struct {
	// LogKey, if set, is the archive's log verifier key as the caller
	// obtained it independently (a published checkpoint, a letter from the
	// archive). The bundle is then checked against it alone, and a bundle
	// naming another key is a finding. Without it, the bundle's own
	// data/log-key.txt is used, which shows the bundle is intact and
	// self-consistent, not whose log it came from.
	LogKey string
	// Checkpoint, if set, is a checkpoint of the bundle's log that the
	// caller kept (a signed note, possibly followed by a consistency proof).
	// The bundle's checkpoint must then be consistent with it: equal, or the
	// newer extending the older, by the bundle's ConsistencyFile or Proof.
	Checkpoint []byte
	// Proof, if set, is a consistency proof between the bundle's checkpoint
	// and Checkpoint (possibly after a signed note, as 'sori checkpoint
	// --since' prints it); it takes the place of the bundle's own.
	Proof []byte
	// TSACert, if set, is the certificate of the TSA (its own or a CA's)
	// against which the bundle's time-stamp token's signature is checked;
	// without it the token's imprint is checked and a note says the
	// signature was not.
	TSACert *x509.Certificate
	// WitnessKeys, if set, are the verifier keys (NAME+HASH+KEY) of
	// witnesses the caller trusts, obtained independently: the bundle's
	// cosigned checkpoint must carry a valid cosignature of each. Without
	// them, cosignature lines are listed in a note and not checked.
	WitnessKeys []string
}

// Bundle verifies a court bundle (docs/bundle.md) in dir without any
// archive: the BagIt manifests, the checkpoint's signature, every custody
// entry's signature, salted leaf and inclusion proof, the link from entries
// to record versions and item SHA-256, the consent records carried with
// their entries and proofs, the plaintext originals (age-encrypted
// ones cannot be hashed without the recipient's key: a note says so), and
// the export entry. It returns an error only when it could not run at all;
// everything wrong with the bundle is a Finding.
func Bundle(dir string, opt BundleOptions) (*Report, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	b := &bagChecker{root: dir, r: &Report{Mode: "bundle"}, opt: opt, used: map[string]bool{}, content: map[string]evidence.Digest{},
		sums: map[string][]byte{}, sums512: map[string][]byte{}, translationOf: map[evidence.ID]evidence.ID{}}
	if err := b.run(); err != nil {
		return nil, err
	}
	sort.SliceStable(b.r.Findings, func(i, j int) bool { return b.r.Findings[i].Kind < b.r.Findings[j].Kind })
	return b.r, nil
}

type bagChecker struct {
	root  string
	r     *Report
	opt   BundleOptions
	files map[string]int64  // every regular file, by bag path, with its size
	sums  map[string][]byte // SHA-256 of the files the manifests list
	// sums512 are their SHA-512.
	sums512 map[string][]byte
	used    map[string]bool // payload files the layout accounts for

	origin, vkey string // the log's origin and its first key (data/log-key.txt)
	// chain is the log key chain from vkey (data/log-key-chain.txt);
	// trusted, if the key the caller trusts is a later one, the chain from
	// it; cpKey the key in force at the bundle's checkpoint.
	chain        custody.KeyChain
	trusted      *custody.KeyChain
	cpKey        string
	cpNote       []byte
	cp           custody.Checkpoint
	cpOK         bool
	bundleID     string
	recipients   []string                   // from the export manifest
	recipientsOK bool                       // the export manifest was read
	content      map[string]evidence.Digest // content digest committed by each entry file
	// translationOf is what each item's newest record says it translates
	// (step 9.5), from checkVersions.
	translationOf map[evidence.ID]evidence.ID
	encrypted     int
}

func (b *bagChecker) add(kind, object, format string, a ...any) {
	b.r.add(kind, object, hintBundle, format, a...)
}

func (b *bagChecker) run() error {
	if err := b.listFiles(); err != nil {
		return err
	}
	if got, err := b.read(bundle.BagItFile); err == nil && string(got) != bundle.BagItText {
		b.add(KindBag, bundle.BagItFile, "is not the BagIt 1.0 declaration sori writes")
	}
	b.checkManifests()
	b.checkBagInfo()
	b.checkLog()
	b.checkConsistency()
	b.checkTimestamp()
	b.checkCosigned()
	items := b.itemDirs()
	b.checkExport(items)
	for _, id := range items {
		b.checkItem(id)
	}
	b.checkRecords(items)
	b.used[bundle.ReadmeFile] = true
	b.used[bundle.ConsentFile] = true
	for p := range b.files {
		if strings.HasPrefix(p, "data/") && !b.used[p] {
			b.add(KindBag, p, "is not part of a sori bundle")
		}
	}
	if b.encrypted > 0 {
		b.r.Notes = append(b.r.Notes, fmt.Sprintf("%d original(s) are age-encrypted to the bundle's recipients and were not decrypted: after 'age -d', compare their SHA-256 with metadata.json (docs/bundle.md)", b.encrypted))
	}
	return nil
}

// listFiles records every regular file of the bag; anything else is a finding.
// custodySeqs returns the custody directory of dir (with its slash) and
// the sequence numbers of the entries in it, ascending. Files that are not
// SEQ.json are left to the check that everything belongs to the bundle.
func (b *bagChecker) custodySeqs(dir string) (string, []int64) {
	var seqs []int64
	prefix := dir + "/" + bundle.CustodyDir + "/"
	for p := range b.files {
		if s, ok := strings.CutPrefix(p, prefix); ok && strings.HasSuffix(s, ".json") {
			n, err := strconv.ParseInt(strings.TrimSuffix(s, ".json"), 10, 64)
			if err != nil || n < 0 || strconv.FormatInt(n, 10)+".json" != s {
				continue
			}
			seqs = append(seqs, n)
		}
	}
	slices.Sort(seqs)
	return prefix, seqs
}

func (b *bagChecker) listFiles() error {
	b.files = map[string]int64{}
	return filepath.WalkDir(b.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(b.root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			b.add(KindBag, rel, "is not a regular file")
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b.files[rel] = info.Size()
		return nil
	})
}

// read reads a bag file, reporting a missing one.
func (b *bagChecker) read(name string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(b.root, filepath.FromSlash(name)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			b.add(KindMissing, name, "file is missing")
		} else {
			b.add(KindBag, name, "cannot be read: %v", err)
		}
	}
	return data, err
}

func (b *bagChecker) checkBagInfo() {
	data, err := b.read(bundle.BagInfoFile)
	if err != nil {
		return
	}
	info := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		label, value, ok := strings.Cut(line, ": ")
		if !ok || strings.TrimSpace(label) != label || label == "" {
			b.add(KindBag, bundle.BagInfoFile, "line %q is not \"Label: value\"", line)
			continue
		}
		info[label] = value
	}
	if v := info[bundle.InfoVersion]; v != strconv.Itoa(bundle.Version) {
		b.add(KindBag, bundle.BagInfoFile, "%s is %q; this sori reads version %d", bundle.InfoVersion, v, bundle.Version)
	}
	if v := info[bundle.InfoProfile]; v != bundle.ProfileID {
		b.add(KindBag, bundle.BagInfoFile, "%s is %q, not %s", bundle.InfoProfile, v, bundle.ProfileID)
	}
	var octets int64
	var n int
	for p, size := range b.files {
		if strings.HasPrefix(p, "data/") {
			octets += size
			n++
		}
	}
	if got, want := info["Payload-Oxum"], fmt.Sprintf("%d.%d", octets, n); got != want {
		b.add(KindBag, bundle.BagInfoFile, "Payload-Oxum is %q but the payload is %s (octets.files)", got, want)
	}
	b.bundleID = info["External-Identifier"]
	if _, err := evidence.ParseID(b.bundleID); err != nil {
		b.add(KindBag, bundle.BagInfoFile, "External-Identifier %q is not a bundle ID", b.bundleID)
	}
}

// checkLog reads the log key and the chain of log key handovers, if any
// (spec step 2), and checks the checkpoint's signature under the key in
// force at its size (step 3).
func (b *bagChecker) checkLog() {
	data, err := b.read(bundle.LogKeyFile)
	if err == nil {
		b.used[bundle.LogKeyFile] = true
		b.vkey = strings.TrimSuffix(string(data), "\n")
	}
	b.origin = custody.VerifierName(b.vkey)
	b.chain = custody.KeyChain{Origin: b.origin, First: b.vkey}
	if _, ok := b.files[bundle.LogKeyChainFile]; ok {
		b.used[bundle.LogKeyChainFile] = true
		notes, err := b.read(bundle.LogKeyChainFile)
		if err == nil {
			b.chain, err = custody.ParseChain(b.origin, b.vkey, notes)
		}
		if err != nil {
			b.add(KindCheckpoint, bundle.LogKeyChainFile, "%v", err)
		}
	}
	if b.opt.LogKey != "" && b.opt.LogKey != b.vkey {
		// A later key the log was handed over to may be the one trusted:
		// the checkpoint must then be under it or a key after it.
		if sub, ok := b.chain.Since(b.opt.LogKey); ok {
			b.trusted = &sub
		} else {
			b.r.add(KindCheckpoint, bundle.LogKeyFile, "this bundle is not from the log whose key you gave, or the key was mistyped",
				"names the log key %q, and no handover in %s leads to the one you trust (%q)", b.vkey, bundle.LogKeyChainFile, b.opt.LogKey)
			b.chain = custody.KeyChain{Origin: custody.VerifierName(b.opt.LogKey), First: b.opt.LogKey}
			b.origin, b.vkey = b.chain.Origin, b.opt.LogKey
		}
	}
	if b.cpNote, err = b.read(bundle.CheckpointFile); err != nil {
		return
	}
	b.used[bundle.CheckpointFile] = true
	if err := canonicalNote(b.cpNote); err != nil {
		b.add(KindCheckpoint, bundle.CheckpointFile, "%v", err)
	}
	b.cp, err = b.chain.OpenCheckpoint(b.cpNote)
	if err == nil && b.trusted != nil && b.trusted.KeyAt(b.cp.Size) != b.chain.KeyAt(b.cp.Size) {
		err = fmt.Errorf("%w: signed by a log key from before the one you trust", evidence.ErrTampered)
	}
	if err != nil {
		b.add(KindCheckpoint, bundle.CheckpointFile, "%v", err)
		return
	}
	b.cpKey = b.chain.KeyAt(b.cp.Size)
	b.cpOK = true
	b.r.TreeSize = b.cp.Size
	b.r.Checkpoint = fmt.Sprintf("%d %s", b.cp.Size, b.cp.Hash)
}

// itemDirs lists the item directories.
func (b *bagChecker) itemDirs() []string {
	seen := map[string]bool{}
	for p := range b.files {
		rest, ok := strings.CutPrefix(p, bundle.ItemsDir+"/")
		if !ok {
			continue
		}
		id, _, ok := strings.Cut(rest, "/")
		if ok {
			seen[id] = true
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// exportManifest mirrors what the export entry's digest commits to
// (docs/format.md, custody entry kinds).
type exportManifest struct {
	V          int      `json:"v"`
	Bundle     string   `json:"bundle"`
	Items      []string `json:"items"`
	Recipients []string `json:"recipients,omitempty"`
}

func (b *bagChecker) checkExport(items []string) {
	e, ok := b.checkEntry(bundle.ExportEntryFile, -1)
	data, err := b.read(bundle.ExportManifestFile)
	if err != nil {
		return
	}
	b.used[bundle.ExportManifestFile] = true
	obj := bundle.ExportManifestFile
	var m exportManifest
	if err := strictJSON(data, &m); err != nil {
		b.add(KindEntry, obj, "%v", err)
		return
	}
	if m.V != 2 {
		b.add(KindEntry, obj, "export manifest version %d, not 2", m.V)
	}
	if m.Bundle != b.bundleID {
		b.add(KindEntry, obj, "names bundle %s, bag-info.txt %s", m.Bundle, b.bundleID)
	}
	if !slices.Equal(m.Items, items) {
		b.add(KindMissing, obj, "the export was of items %v but the bundle holds %v", m.Items, items)
	}
	if !slices.IsSorted(m.Recipients) || len(slices.Compact(slices.Clone(m.Recipients))) != len(m.Recipients) {
		b.add(KindEntry, obj, "recipients are not sorted, each once")
	}
	b.recipients, b.recipientsOK = m.Recipients, true
	if !ok {
		return
	}
	if e.Kind != custody.KindExport || e.Object != m.Bundle {
		b.add(KindEntry, bundle.ExportEntryFile, "is an entry of kind %s about %s, not the export of bundle %s", e.Kind, e.Object, m.Bundle)
	}
	if b.content[bundle.ExportEntryFile] != (evidence.Digest{}) {
		b.add(KindEntry, bundle.ExportEntryFile, "an export entry commits to no file, but its content digest is not zero")
	}
	if e.Digest != evidence.Sum(data) {
		b.add(KindEntry, bundle.ExportEntryFile, "digest does not match %s", obj)
	}
	if b.cpOK && e.Seq != b.cp.Size-1 {
		b.add(KindEntry, bundle.ExportEntryFile, "export entry %d is not the last entry of the checkpoint (%d entries)", e.Seq, b.cp.Size)
	}
}

func (b *bagChecker) checkItem(name string) {
	dir := bundle.ItemsDir + "/" + name
	id, err := evidence.ParseID(name)
	if err != nil {
		b.add(KindBag, dir, "is not named by an item ID")
		return
	}
	b.r.Items++
	mpath := dir + "/" + bundle.MetadataFile
	data, err := b.read(mpath)
	if err != nil {
		return
	}
	b.used[mpath] = true
	var m bundle.Metadata
	if err := strictJSON(data, &m); err != nil {
		b.add(KindRecord, mpath, "%v", err)
		return
	}
	if m.V != 2 || m.Item != id {
		b.add(KindRecord, mpath, "metadata version %d of item %s, in the directory of %s", m.V, m.Item, id)
	}
	filename, purged := b.checkVersions(mpath, id, m.Versions)

	// Custody entries, in sequence order.
	prefix, seqs := b.custodySeqs(dir)
	logged := map[int]bool{}
	purgeLogged := map[int]bool{}
	for _, seq := range seqs {
		epath := prefix + strconv.FormatInt(seq, 10) + ".json"
		e, ok := b.checkEntry(epath, seq)
		if !ok {
			continue
		}
		if e.Object != id.String() {
			b.add(KindEntry, epath, "is about %s, not item %s", e.Object, id)
			continue
		}
		if e.Kind == custody.KindPurge {
			switch {
			case e.Version < 1 || e.Version > len(m.Versions) || !purged[e.Version]:
				b.add(KindEntry, epath, "a purge entry for version %d, whose body metadata.json still holds (or which it lacks)", e.Version)
			case m.Versions[e.Version-1].Digest != e.Digest || b.content[epath] != (evidence.Digest{}):
				b.add(KindEntry, epath, "a purge entry with another digest or content for version %d than metadata.json holds", e.Version)
			default:
				purgeLogged[e.Version] = true
			}
			continue
		}
		if e.Kind != custody.KindIntake && e.Kind != custody.KindVersion {
			continue
		}
		if (e.Kind == custody.KindIntake) != (e.Version == 1) {
			b.add(KindEntry, epath, "%s entry for version %d", e.Kind, e.Version)
		}
		if e.Version < 1 || e.Version > len(m.Versions) {
			b.add(KindMissing, epath, "records version %d of the item, which the bundle does not hold", e.Version)
			continue
		}
		if m.Versions[e.Version-1].Digest != e.Digest {
			b.add(KindEntry, epath, "records a different digest for version %d than metadata.json holds", e.Version)
		}
		if b.content[epath] != m.SHA256 {
			b.add(KindEntry, epath, "commits to a different SHA-256 of the original than metadata.json holds")
		}
		logged[e.Version] = true
	}
	for _, v := range m.Versions {
		if !logged[v.Version] {
			b.add(KindMissing, fmt.Sprintf("%s v%d", mpath, v.Version), "record version has no custody entry in the bundle")
		}
		if purged[v.Version] && !purgeLogged[v.Version] {
			b.add(KindRecord, fmt.Sprintf("%s v%d", mpath, v.Version), "the version has no body and no purge entry says it was purged")
		}
	}
	b.checkOriginal(dir, m, filename)
}

// checkVersions checks each record version against its digest and chain,
// and returns the filename of version 1, or of the oldest version not
// purged (which names the original's extension), and the purged versions:
// those carried by their digest alone, with an empty record (spec step
// 5.1), which must have a purge entry.
func (b *bagChecker) checkVersions(mpath string, id evidence.ID, vs []bundle.MetadataVersion) (filename string, purged map[int]bool) {
	if len(vs) == 0 {
		b.add(KindMissing, mpath, "item has no record version")
	}
	purged = map[int]bool{}
	var prev *evidence.Digest
	named := false
	for i, v := range vs {
		b.r.Versions++
		obj := fmt.Sprintf("%s v%d", mpath, v.Version)
		if v.Version != i+1 {
			b.add(KindRecord, obj, "versions are not numbered 1, 2, 3 …")
		}
		if v.Record == "" {
			purged[v.Version] = true
			if i == len(vs)-1 {
				b.add(KindRecord, obj, "the current version has no body (only an older version can be purged)")
			}
			d := v.Digest
			prev = &d
			continue
		}
		if evidence.Sum([]byte(v.Record)) != v.Digest {
			b.add(KindRecord, obj, "record does not match its digest")
		}
		rec, err := evidence.UnmarshalItemRecord([]byte(v.Record))
		switch {
		case err != nil:
			b.add(KindRecord, obj, "%v", err)
		case rec.Item != id || rec.Version != v.Version:
			b.add(KindRecord, obj, "record names item %s version %d", rec.Item, rec.Version)
		case (prev == nil) != (rec.Prev == nil) || (prev != nil && *prev != *rec.Prev):
			b.add(KindRecord, obj, "record does not chain to the digest of the version before")
		}
		if err == nil && i == len(vs)-1 && rec.TranslationOf != nil {
			b.translationOf[id] = *rec.TranslationOf
		}
		if !named {
			named = true
			if err == nil {
				filename = rec.Filename
			}
		}
		d := v.Digest
		prev = &d
	}
	return filename, purged
}

// checkOriginal checks the item's original: its name (with the extension
// of filename, and .age when encrypted), that it is the only one, and its
// SHA-256 and size when it is plaintext.
func (b *bagChecker) checkOriginal(dir string, m bundle.Metadata, filename string) {
	recipients := m.EncryptedTo
	if b.recipientsOK {
		recipients = b.recipients
	}
	want := dir + "/" + bundle.OriginalName(filename, len(recipients) > 0)
	if m.Original != path.Base(want) || !slices.Equal(m.EncryptedTo, recipients) {
		b.add(KindBag, dir, "metadata.json names the original %q encrypted to %q; the export manifest and the item's record say %q encrypted to %q",
			m.Original, m.EncryptedTo, path.Base(want), recipients)
	}
	for p := range b.files {
		if rest, ok := strings.CutPrefix(p, dir+"/"+bundle.OriginalFile); ok && p != want && !strings.Contains(rest, "/") {
			b.add(KindBag, p, "is a second original beside %s", path.Base(want))
		}
	}
	if _, ok := b.files[want]; !ok {
		b.add(KindMissing, want, "the item's original is missing")
		return
	}
	b.used[want] = true
	if len(recipients) > 0 {
		f, err := os.Open(filepath.Join(b.root, filepath.FromSlash(want)))
		if err != nil {
			b.add(KindBag, want, "cannot be read: %v", err)
			return
		}
		defer f.Close()
		head := make([]byte, len(bundle.AgeHeader))
		if _, err := io.ReadFull(f, head); err != nil || string(head) != bundle.AgeHeader {
			b.add(KindContent, want, "is not an age file")
		}
		b.encrypted++
		return
	}
	// The manifest check hashed the file already, unless it is unlisted.
	sum, ok := b.sums[want]
	if !ok {
		var err error
		if sum, _, err = fileSums(filepath.Join(b.root, filepath.FromSlash(want))); err != nil {
			b.add(KindBag, want, "cannot be read: %v", err)
			return
		}
	}
	n := b.files[want]
	b.r.Bytes += n
	if n != m.Size || !bytes.Equal(sum, m.SHA256[:]) {
		b.add(KindContent, want, "SHA-256 or size differs from the item's (metadata.json and its custody entries)")
	}
}

// checkEntry checks one entry file and its proof: the entry is canonical,
// its actor's signature verifies, its leaf recomputes from the salt, and
// the proof places that leaf at the entry's sequence number in the
// bundle's checkpoint. seq is the number the file name gives (-1: none).
// It reports false when the entry cannot be read or decoded at all.
func (b *bagChecker) checkEntry(name string, seq int64) (custody.Entry, bool) {
	data, err := b.read(name)
	if err != nil {
		return custody.Entry{}, false
	}
	b.used[name] = true
	b.r.Entries++
	var ef bundle.EntryFile
	if err := strictJSON(data, &ef); err != nil {
		b.add(KindEntry, name, "%v", err)
		return custody.Entry{}, false
	}
	e, err := custody.Unmarshal([]byte(ef.Entry))
	if err != nil {
		b.add(KindEntry, name, "%v", err)
		return e, false
	}
	b.content[name] = ef.Content
	bad := func(kind, format string, a ...any) { b.add(kind, name, format, a...) }
	if ef.V != 1 || ef.Seq != e.Seq || (seq >= 0 && e.Seq != seq) || ef.Actor != e.Actor {
		bad(KindEntry, "file says version %d, entry %d by %s; the entry itself says entry %d by %s", ef.V, ef.Seq, ef.Actor, e.Seq, e.Actor)
	}
	if len(ef.ActorKey) != ed25519.PublicKeySize || !e.Verify(ef.ActorKey, ef.Signature) {
		bad(KindSignature, "the actor's signature does not verify")
	}
	salt, err := hex.DecodeString(ef.Salt)
	if err != nil || len(salt) != custody.SaltSize {
		bad(KindEntry, "salt is not %d bytes of hex", custody.SaltSize)
	}
	leaf := custody.LeafData(salt, ef.Content, evidence.Sum([]byte(ef.Entry)))
	if ef.LeafData != hex.EncodeToString(leaf) {
		bad(KindEntry, "leaf_data differs from the leaf recomputed from salt, content and entry")
	}
	if ef.Proof != path.Base(ef.Proof) || !strings.HasSuffix(ef.Proof, bundle.ProofExt) {
		bad(KindEntry, "proof %q is not a file name beside it", ef.Proof)
		return e, true
	}
	ppath := path.Join(path.Dir(name), ef.Proof)
	if want := strings.TrimSuffix(path.Base(name), ".json") + bundle.ProofExt; ef.Proof != want {
		bad(KindEntry, "proof is %q, not %q", ef.Proof, want)
	}
	p, err := b.read(ppath)
	if err != nil {
		return e, true
	}
	b.used[ppath] = true
	idx, err := checkProofFile(p, leaf, b.cpNote, b.origin, b.cpKey)
	switch {
	case err != nil:
		b.add(KindProof, ppath, "%v", err)
	case idx != e.Seq:
		b.add(KindProof, ppath, "proves entry %d, not %d", idx, e.Seq)
	}
	return e, true
}
