package bundle

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"sori/internal/archive"
	"sori/internal/custody"
	"sori/internal/durable"
	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/internal/store"
)

// CheckDir reports whether dir can receive a bundle: it must not exist, or
// be an empty directory. Callers check before archive.Export, which records
// the export in the custody log, so that a bundle that cannot be written is
// not logged as exported.
func CheckDir(dir string) error {
	exists, err := durable.CheckNewOrEmpty(dir, "bundle")
	if err != nil || exists {
		return err
	}
	if _, err := os.Stat(filepath.Dir(filepath.Clean(dir))); err != nil {
		return fmt.Errorf("bundle directory %s: %w", dir, err)
	}
	return nil
}

// Write writes the export x as a bag in dir, reading each item's plaintext
// through open (which must authenticate it, as archive.Inspector.OpenItem
// does). With recipients (x.Recipients: age X25519 or SSH keys), originals
// are written only as age files encrypted to all of them, and no plaintext
// of theirs touches the disk.
//
// The bag is assembled in a hidden temporary directory beside dir and
// renamed into place once complete and synced, so a failed or interrupted
// export leaves no partial bag at dir (an interrupted one may leave the
// hidden ".<dir>.partial-*" directory, which Write removes on failure).
// dir must not exist or be empty. Directories are created 0700 and files
// 0600: a plaintext bag is as sensitive as the testimony in it.
func Write(ctx context.Context, x *archive.Export, open func(store.Item) (io.ReadCloser, error), dir string) (err error) {
	return WriteExtras(ctx, x, open, dir, Extras{})
}

// Extras are optional tag files of a bundle, about its checkpoint rather
// than its payload.
type Extras struct {
	// Consistency, if set, is a consistency proof (docs/format.md) from a
	// checkpoint the recipient kept to the bundle's checkpoint, written as
	// ConsistencyFile. It must end at the bundle's checkpoint's size.
	Consistency []byte
	// Timestamp, if set, is an RFC 3161 time stamp of a checkpoint of the
	// log at or before the bundle's, written as the tag files
	// TimestampCheckpointFile, TimestampTokenFile and TimestampProofFile.
	Timestamp *Timestamp
	// Cosigned, if set, is a checkpoint of the log at or before the
	// bundle's with witnesses' cosignatures, written as the tag files
	// CosignedCheckpointFile and CosignedProofFile.
	Cosigned *Cosigned
}

// Cosigned is a checkpoint with witness cosignature lines and how it
// reaches the bundle's.
type Cosigned struct {
	Checkpoint []byte // the signed note: the log's signature line, then the witnesses'
	Proof      []byte // consistency proof from it to the bundle's checkpoint
}

// Timestamp is a time-stamped checkpoint and how it reaches the bundle's.
type Timestamp struct {
	Checkpoint []byte // the signed note stamped
	Token      []byte // the RFC 3161 TimeStampToken, DER
	Proof      []byte // consistency proof from it to the bundle's checkpoint
}

// WriteExtras is Write with optional tag files.
func WriteExtras(ctx context.Context, x *archive.Export, open func(store.Item) (io.ReadCloser, error), dir string, ex Extras) (err error) {
	if err := CheckDir(dir); err != nil {
		return err
	}
	entry, err := checkExport(x)
	if err != nil {
		return err
	}
	ds, err := newDirSink(dir)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			ds.abort()
		}
	}()
	if err := writeTo(ctx, x, entry, open, ds, ex); err != nil {
		return err
	}
	return ds.commit(ctx)
}

// checkExport refuses an export that cannot make a bundle.
func checkExport(x *archive.Export) (custody.Entry, error) {
	if len(x.Recipients) > 0 {
		if _, err := seal.CanonicalRecipients(x.Recipients); err != nil {
			return custody.Entry{}, err
		}
	}
	if len(x.Items) == 0 || len(x.Entry.Entry) == 0 || len(x.Checkpoint.Note) == 0 {
		return custody.Entry{}, fmt.Errorf("%w: incomplete export", evidence.ErrInvalid)
	}
	return custody.Unmarshal(x.Entry.Entry)
}

// writeTo writes the bag's files to sink: the payload, then the tag files,
// the tag manifests last. exportEntry is x's entry (checkExport).
func writeTo(ctx context.Context, x *archive.Export, exportEntry custody.Entry, open func(store.Item) (io.ReadCloser, error), sink sink, ex Extras) error {
	w := &writer{sink: sink, sums: map[string]sums{}}
	if err := w.payload(ctx, x, open); err != nil {
		return err
	}
	info := []string{
		"Source-Organization: sori archive",
		"Bagging-Date: " + exportEntry.Time.UTC().Format("2006-01-02"),
		"External-Identifier: " + x.ID,
		fmt.Sprintf("External-Description: sori court bundle of %d item(s) with their custody, proven against a checkpoint of %d entries of %s", len(x.Items), x.Checkpoint.Size, x.Origin),
		fmt.Sprintf("Payload-Oxum: %d.%d", w.octets, len(w.sums)),
		"Bag-Software-Agent: sori",
		InfoProfile + ": " + ProfileID,
		fmt.Sprintf("%s: %d", InfoVersion, Version),
		InfoOrigin + ": " + x.Origin,
	}
	payload := w.filesUnder("data/")
	tagFiles := []struct {
		name string
		text []byte
	}{
		{BagItFile, []byte(BagItText)},
		{BagInfoFile, []byte(strings.Join(info, "\n") + "\n")},
		{ManifestFile, manifestText(payload, false)},
		{ManifestSHA512File, manifestText(payload, true)},
		{SpecFile, []byte(Spec)},
	}
	if ex.Consistency != nil {
		p, err := custody.ParseConsistency(ex.Consistency)
		if err != nil || p.New != x.Checkpoint.Size {
			return fmt.Errorf("%w: the consistency proof does not end at the bundle's checkpoint", evidence.ErrInvalid)
		}
		tagFiles = append(tagFiles, struct {
			name string
			text []byte
		}{ConsistencyFile, ex.Consistency})
	}
	if ts := ex.Timestamp; ts != nil {
		p, err := custody.ParseConsistency(ts.Proof)
		if err != nil || p.New != x.Checkpoint.Size || len(ts.Checkpoint) == 0 || len(ts.Token) == 0 {
			return fmt.Errorf("%w: the time stamp's consistency proof does not end at the bundle's checkpoint", evidence.ErrInvalid)
		}
		tagFiles = append(tagFiles, []struct {
			name string
			text []byte
		}{{TimestampCheckpointFile, ts.Checkpoint}, {TimestampTokenFile, ts.Token}, {TimestampProofFile, ts.Proof}}...)
	}
	if cs := ex.Cosigned; cs != nil {
		p, err := custody.ParseConsistency(cs.Proof)
		if err != nil || p.New != x.Checkpoint.Size || len(cs.Checkpoint) == 0 {
			return fmt.Errorf("%w: the cosigned checkpoint's consistency proof does not end at the bundle's checkpoint", evidence.ErrInvalid)
		}
		tagFiles = append(tagFiles, []struct {
			name string
			text []byte
		}{{CosignedCheckpointFile, cs.Checkpoint}, {CosignedProofFile, cs.Proof}}...)
	}
	tags := map[string]sums{}
	for _, f := range tagFiles {
		if err := w.bytes(f.name, f.text); err != nil {
			return err
		}
		tags[f.name] = w.sums[f.name]
	}
	if err := w.bytes(TagManifestFile, manifestText(tags, false)); err != nil {
		return err
	}
	return w.bytes(TagManifestSHA512File, manifestText(tags, true))
}

// payload writes everything under data/.
func (w *writer) payload(ctx context.Context, x *archive.Export, open func(store.Item) (io.ReadCloser, error)) error {
	if err := w.bytes(ReadmeFile, []byte(readme)); err != nil {
		return err
	}
	if err := w.bytes(LogKeyFile, []byte(x.LogKey+"\n")); err != nil {
		return err
	}
	if len(x.LogKeyChain) > 0 {
		if err := w.bytes(LogKeyChainFile, x.LogKeyChain); err != nil {
			return err
		}
	}
	if err := w.bytes(CheckpointFile, x.Checkpoint.Note); err != nil {
		return err
	}
	if err := w.bytes(ConsentFile, []byte(consentPlaceholder)); err != nil {
		return err
	}
	if err := w.bytes(ExportManifestFile, x.Manifest); err != nil {
		return err
	}
	if err := w.entry(x, x.Entry, ExportEntryFile, ExportProofFile); err != nil {
		return err
	}
	for _, xc := range x.Consents {
		if err := w.record(x, ConsentDir, xc); err != nil {
			return fmt.Errorf("consent record %s: %w", xc.ID, err)
		}
	}
	for _, xt := range x.Testimonies {
		if err := w.record(x, TestimonyDir, xt); err != nil {
			return fmt.Errorf("testimony record %s: %w", xt.ID, err)
		}
	}
	for _, xi := range x.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.item(ctx, x, xi, open); err != nil {
			return fmt.Errorf("item %s: %w", xi.Item.ID, err)
		}
	}
	return nil
}

// record writes one consent or testimony record, under root, with its
// versions and custody.
func (w *writer) record(x *archive.Export, root string, xc archive.ExportRecord) error {
	d := path.Join(root, xc.ID.String())
	c := ConsentFileJSON{V: 1, Record: xc.ID, Testimony: xc.Testimony, Items: xc.Items}
	for _, v := range xc.Versions {
		c.Versions = append(c.Versions, MetadataVersion{Version: v.Version, Record: string(v.Record), Digest: v.Digest,
			CreatedAt: v.CreatedAt.UTC(), Actor: v.Actor})
	}
	if err := w.json(path.Join(d, ConsentRecord), c); err != nil {
		return err
	}
	for _, e := range xc.Entries {
		name := path.Join(d, CustodyDir, strconv.FormatInt(e.Seq, 10))
		if err := w.entry(x, e, name+".json", name+ProofExt); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) item(ctx context.Context, x *archive.Export, xi archive.ExportItem, open func(store.Item) (io.ReadCloser, error)) error {
	d := path.Join(ItemsDir, xi.Item.ID.String())
	if len(xi.Versions) == 0 {
		return fmt.Errorf("%w: no record version", evidence.ErrDamaged)
	}
	// The original's extension comes from the filename of version 1, or of
	// the oldest version whose body was not purged (every version carries
	// the name at intake; spec step 5.3). A purged version is carried by
	// its digest alone, with its purge entry among xi.Entries.
	var first evidence.ItemRecord
	for _, v := range xi.Versions {
		if len(v.Record) == 0 {
			continue
		}
		var err error
		if first, err = evidence.UnmarshalItemRecord(v.Record); err != nil {
			return err
		}
		break
	}
	if len(xi.Versions[len(xi.Versions)-1].Record) == 0 {
		return fmt.Errorf("%w: the current version of item %s has no body", evidence.ErrDamaged, xi.Item.ID)
	}
	encrypted := len(x.Recipients) > 0
	m := Metadata{V: 2, Item: xi.Item.ID, SHA256: xi.Item.SHA256, Size: xi.Item.Size,
		Original: OriginalName(first.Filename, encrypted), EncryptedTo: x.Recipients}
	for _, v := range xi.Versions {
		m.Versions = append(m.Versions, MetadataVersion{Version: v.Version, Record: string(v.Record), Digest: v.Digest,
			CreatedAt: v.CreatedAt.UTC(), Actor: v.Actor})
	}
	if err := w.json(path.Join(d, MetadataFile), m); err != nil {
		return err
	}
	for _, e := range xi.Entries {
		name := path.Join(d, CustodyDir, strconv.FormatInt(e.Seq, 10))
		if err := w.entry(x, e, name+".json", name+ProofExt); err != nil {
			return err
		}
	}
	rc, err := open(xi.Item)
	if err != nil {
		return err
	}
	defer rc.Close()
	// Hash the plaintext as it passes, whatever it is written as: the bag
	// must hold what the archive recorded, checked here as well as by open.
	h := sha256.New()
	src := io.TeeReader(&ctxReader{ctx, rc}, h)
	var n int64
	err = w.file(path.Join(d, m.Original), func(f io.Writer) error {
		if !encrypted {
			c, err := io.Copy(f, src)
			n = c
			return err
		}
		enc, err := seal.EncryptTo(f, x.Recipients)
		if err != nil {
			return err
		}
		c, err := io.Copy(enc, src)
		n = c
		if err != nil {
			return err
		}
		return enc.Close()
	})
	if err != nil {
		return err
	}
	if n != xi.Item.Size || !equalSum(h, xi.Item.SHA256) {
		return fmt.Errorf("%w: plaintext does not match the recorded SHA-256 and size", evidence.ErrTampered)
	}
	return nil
}

// entry writes one custody entry and its proof.
func (w *writer) entry(x *archive.Export, e archive.ExportEntry, name, proofName string) error {
	ce, err := custody.Unmarshal(e.Entry)
	if err != nil {
		return fmt.Errorf("custody entry %d: %w", e.Seq, err)
	}
	actor, ok := x.Actors[ce.Actor]
	if !ok {
		return fmt.Errorf("%w: custody entry %d: no public key for its actor %s", evidence.ErrDamaged, e.Seq, ce.Actor)
	}
	ef := EntryFile{V: 1, Seq: e.Seq, Entry: string(e.Entry), Signature: e.Signature, Actor: ce.Actor, ActorName: actor.Name,
		ActorKey: actor.SignPub, Salt: hex.EncodeToString(e.Salt), Content: e.Content, LeafData: hex.EncodeToString(e.LeafData),
		Proof: path.Base(proofName)}
	if err := w.json(name, ef); err != nil {
		return err
	}
	return w.bytes(proofName, e.Proof)
}

// writer creates the files of a bag and remembers their digests.
type writer struct {
	sink   sink
	sums   map[string]sums // by bag path
	octets int64           // payload bytes
}

// sums are a file's digests for the two manifests.
type sums struct{ sha256, sha512 []byte }

func (w *writer) file(name string, fill func(io.Writer) error) error {
	h, h512 := sha256.New(), sha512.New()
	var n int64
	err := w.sink.file(name, func(f io.Writer) error {
		cw := &countWriter{w: io.MultiWriter(f, h, h512)}
		err := fill(cw)
		n = cw.n
		return err
	})
	if err != nil {
		return err
	}
	w.sums[name] = sums{h.Sum(nil), h512.Sum(nil)}
	if strings.HasPrefix(name, "data/") {
		w.octets += n
	}
	return nil
}

func (w *writer) bytes(name string, b []byte) error {
	return w.file(name, func(f io.Writer) error { _, err := f.Write(b); return err })
}

func (w *writer) json(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return w.bytes(name, append(b, '\n'))
}

// filesUnder returns the digests of the files under prefix.
func (w *writer) filesUnder(prefix string) map[string]sums {
	m := map[string]sums{}
	for p, s := range w.sums {
		if strings.HasPrefix(p, prefix) {
			m[p] = s
		}
	}
	return m
}

// manifestText formats a BagIt manifest of SHA-256 (or SHA-512):
// "<hex>  <path>" per line, sorted by path (the layout `sha256sum -c` and
// `sha512sum -c` read). sori's paths never need the percent-encoding RFC
// 8493 prescribes for CR, LF and "%".
func manifestText(files map[string]sums, sha512 bool) []byte {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		sum := files[p].sha256
		if sha512 {
			sum = files[p].sha512
		}
		fmt.Fprintf(&b, "%x  %s\n", sum, p)
	}
	return []byte(b.String())
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func equalSum(h hash.Hash, d evidence.Digest) bool {
	var got evidence.Digest
	h.Sum(got[:0])
	return got == d
}

// syncTree fsyncs every directory of the bag (files were synced when
// written), so that the rename publishes a durable bag.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return durable.SyncDir(p)
	})
}

const consentPlaceholder = `Consent records

data/consent/<id>/ holds, for each testimony that an item of this bundle is
the original or a translation of, the testimony's consent record: what the
witness allowed it to be used for (scope: internal, court, anonymized or
named; restrictions such as no_audio), in record.json with every version,
and the record's custody entries with their inclusion proofs in custody/,
checked like the items' (sori's docs/bundle.md, step 8). sori exports an
item of a testimony only when its consent allows court use. A testimony
without a consent record is internal only, so none of its items is here.

data/testimony/<id>/ holds the record of each such testimony, laid out the
same way: its current version names the items of this bundle as its
original or translations (or an item's own record names it a translation
of one of those), which is what shows that the consent applies to them
(step 9).
`

const readme = `sori court bundle

This is a BagIt bag (RFC 8493) exported from a sori evidence archive. It holds
items (data/items/<id>/original.<ext>, or original.<ext>.age when encrypted
with age to the recipients), every version of their metadata, their
chain-of-custody entries, and for each entry a proof (c2sp.org/tlog-proof)
that it is in the archive's tamper-evident log, as of the signed checkpoint
data/checkpoint.txt made by the log key data/log-key.txt (or, if the log's
key was handed over since, by the key the handover notes in
data/log-key-chain.txt lead to from it).

The bag carries its own specification: ../sori-bundle-spec.md gives the
layout, the byte formulas and every step of checking it without sori.
In short:
  1. sha256sum -c tagmanifest-sha256.txt && sha256sum -c manifest-sha256.txt
     (or sha512sum with the -sha512 manifests), and no file under data/ is
     missing from the manifests;
  2. compare data/log-key.txt with the log key you obtained independently
     (the archive's first; a later one must be named in data/log-key-chain.txt);
  3. verify each entry and proof as sori-bundle-spec.md describes.
With sori: sori verify-bundle --log-key-file KEYFILE THIS-DIRECTORY

If originals are age files, any one recipient decrypts with stock age
(age -d -i KEY original.txt.age > original.txt; KEY is an age identity file
or the SSH private key) and compares its SHA-256 with "sha256" in
metadata.json.
`
