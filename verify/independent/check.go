package independent

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Options are what the bundle's holder obtained independently of it.
type Options struct {
	// LogKey, if not empty, is the log key (step 2).
	LogKey string
	// WitnessKeys are verifier keys of witnesses whose cosignature the
	// bundle's cosigned checkpoint must carry (step 12).
	WitnessKeys []string
	// TSACert, if set, is the TSA's certificate, or the certificate of the
	// CA that issued the TSA's: the time stamp's signature is checked
	// against it (step 11.4).
	TSACert *x509.Certificate
}

// Check verifies the bundle in dir by its specification, steps 1 to 9,
// 11 and 12, with the log key trustedKey (if not empty; step 2) and
// nothing else the holder may have kept (see CheckWith).
func Check(dir, trustedKey string) ([]string, error) {
	return CheckWith(dir, Options{LogKey: trustedKey})
}

// CheckWith verifies the bundle in dir by its specification, steps 1 to
// 9, 11 and 12 (step 10 needs a checkpoint the holder kept; the TSA's
// signature in step 11 and the cosignatures of step 12 are checked only
// against the TSA certificate and witness keys in opt), and returns
// every problem found (none: the bundle passes). It returns an error only
// if dir cannot be read at all.
func CheckWith(dir string, opt Options) ([]string, error) {
	trustedKey := opt.LogKey
	c := &checker{dir: dir, files: map[string]bool{}, expected: map[string]bool{}, hashed: map[string]fileSums{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !d.IsDir() {
			c.files[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.step1()
	c.step2(trustedKey)
	c.step3()
	items := c.itemDirs()
	for _, id := range items {
		c.step5(id)
	}
	c.step6(items)
	consents := map[string]consentFile{} // by testimony
	for _, id := range c.recordDirs("consent") {
		if m, _, ok := c.step8("consent", id, items); ok {
			consents[m.Testimony] = m
		}
	}
	c.step9(consents, items)
	c.step11(opt.TSACert)
	c.step12(opt.WitnessKeys)
	c.step7()
	return c.problems, nil
}

type checker struct {
	dir      string
	files    map[string]bool // every file, by its path in the bag
	expected map[string]bool // files under data/ that the layout names
	hashed   map[string]fileSums
	problems []string

	key        LogKey   // the key in force at the bundle's checkpoint
	chain      KeyChain // the log's keys from data/log-key.txt (step 2)
	trusted    int      // the index in chain of the key you trust
	keyOK      bool
	cpNote     []byte
	cp         Checkpoint
	cpOK       bool
	bundleID   string
	recipients map[string]bool // encrypted_to of every item, joined by "\n"
}

func (c *checker) fail(format string, a ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, a...))
}

func (c *checker) read(name string) []byte {
	b, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(name)))
	if err != nil {
		c.fail("%s: cannot read: %v", name, err)
		return nil
	}
	return b
}

// head returns the first n bytes of a bag file (fewer if it is shorter
// or cannot be read), without reading the rest: originals may be large.
func (c *checker) head(name string, n int) []byte {
	f, err := os.Open(filepath.Join(c.dir, filepath.FromSlash(name)))
	if err != nil {
		return nil
	}
	defer f.Close()
	b := make([]byte, n)
	k, _ := io.ReadFull(f, b)
	return b[:k]
}

var manifestLine = regexp.MustCompile(`^([0-9a-f]+)  (.+)$`)

// step1 checks bagit.txt, the four manifests, the specification's
// presence, and bag-info's version and profile.
func (c *checker) step1() {
	if b := c.read("bagit.txt"); string(b) != "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n" {
		c.fail("bagit.txt: not the BagIt 1.0 declaration")
	}
	tagManifest := map[string]bool{"tagmanifest-sha256.txt": true, "tagmanifest-sha512.txt": true}
	for _, m := range []string{"tagmanifest-sha256.txt", "tagmanifest-sha512.txt", "manifest-sha256.txt", "manifest-sha512.txt"} {
		payload := strings.HasPrefix(m, "manifest-")
		digits := 64
		if strings.HasSuffix(m, "sha512.txt") {
			digits = 128
		}
		listed := map[string]bool{}
		b := c.read(m)
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			g := manifestLine.FindStringSubmatch(line)
			if g == nil || len(g[1]) != digits || listed[g[2]] || !fs.ValidPath(g[2]) {
				c.fail("%s: bad line %q", m, line)
				continue
			}
			listed[g[2]] = true
			if !c.files[g[2]] {
				c.fail("%s: %s is missing", m, g[2])
				continue
			}
			sum256, sum512, _ := c.sums(g[2])
			if sum := map[int]string{64: sum256, 128: sum512}[digits]; sum != g[1] {
				c.fail("%s: %s: FAILED", m, g[2])
			}
		}
		for f := range c.files {
			inData := strings.HasPrefix(f, "data/")
			if payload == inData && !tagManifest[f] && !listed[f] {
				c.fail("%s does not list %s", m, f)
			}
			if (payload != inData || tagManifest[f]) && listed[f] {
				c.fail("%s lists %s, which belongs in no manifest or the other kind", m, f)
			}
		}
	}
	if !c.files[SpecFile] {
		c.fail("%s: the specification is missing", SpecFile)
	}
	info := map[string]string{}
	for _, line := range strings.Split(string(c.read("bag-info.txt")), "\n") {
		if label, value, ok := strings.Cut(line, ": "); ok {
			info[label] = value
		}
	}
	c.bundleID = info["External-Identifier"]
	if info["Sori-Bundle-Version"] != BundleVersion {
		c.fail("bag-info.txt: Sori-Bundle-Version is not %s", BundleVersion)
	}
	if info["BagIt-Profile-Identifier"] != ProfileID {
		c.fail("bag-info.txt: BagIt-Profile-Identifier is not %s", ProfileID)
	}
}

// step2 reads and checks the log key, and the chain of handovers from it
// (data/log-key-chain.txt, when the log changed keys). The key you trust
// must be the first or one the chain hands over to.
func (c *checker) step2(trusted string) {
	c.expected["data/log-key.txt"] = true
	s := strings.TrimSuffix(string(c.read("data/log-key.txt")), "\n")
	var notes []byte
	if c.files["data/log-key-chain.txt"] {
		c.expected["data/log-key-chain.txt"] = true
		notes = c.read("data/log-key-chain.txt")
	}
	var err error
	if c.chain, err = ParseKeyChain(s, notes); err != nil {
		c.fail("log key: %v", err)
		if len(c.chain.Keys) == 0 {
			return
		}
	}
	c.trusted = 0
	if trusted != "" && trusted != s {
		if c.trusted = c.chain.Index(trusted); c.trusted < 0 {
			c.fail("data/log-key.txt is not the log key you trust, and no handover leads to it")
			if c.chain, err = ParseKeyChain(trusted, nil); err != nil {
				c.fail("log key: %v", err)
				return
			}
			c.trusted = 0
		}
	}
	c.key = c.chain.Keys[len(c.chain.Keys)-1] // until step 3 finds the one in force
	c.keyOK = true
}

// step3 checks the checkpoint, under the key in force at its size (which
// is the trusted key or one after it); the inclusion proofs are against it.
func (c *checker) step3() {
	c.expected["data/checkpoint.txt"] = true
	c.cpNote = c.read("data/checkpoint.txt")
	if !c.keyOK {
		return
	}
	var err error
	if c.cp, err = c.chain.OpenCheckpoint(c.cpNote); err != nil {
		c.fail("data/checkpoint.txt: %v", err)
		return
	}
	at := c.chain.At(c.cp.Size)
	if at < c.trusted {
		c.fail("data/checkpoint.txt: signed by a log key from before the one you trust")
		return
	}
	c.key = c.chain.Keys[at]
	c.cpOK = true
}

// entryFile is an entry file's fields (docs/bundle.md, Layout).
type entryFile struct {
	Seq       int64  `json:"seq"`
	Entry     string `json:"entry"`
	Signature string `json:"signature"`
	Actor     string `json:"actor"`
	ActorKey  string `json:"actor_public_key"`
	Salt      string `json:"salt"`
	Content   string `json:"content"`
	LeafData  string `json:"leaf_data"`
	Proof     string `json:"proof"`
}

// entry is the parsed E.
type entry struct {
	Seq     int64  `json:"seq"`
	Kind    string `json:"kind"`
	Actor   string `json:"actor"`
	Object  string `json:"object"`
	Version int    `json:"version"`
	Digest  string `json:"digest"`
}

// step4 checks one entry file and its proof; it returns the entry, the
// file's content digest, and whether the file could be read at all.
func (c *checker) step4(name string) (entry, string, bool) {
	c.expected[name] = true
	var f entryFile
	var e entry
	if err := json.Unmarshal(c.read(name), &f); err != nil {
		c.fail("%s: %v", name, err)
		return e, "", false
	}
	E := []byte(f.Entry)
	// 4.1
	if err := json.Unmarshal(E, &e); err != nil {
		c.fail("%s: entry: %v", name, err)
		return e, "", false
	}
	if e.Seq != f.Seq || e.Actor != f.Actor {
		c.fail("%s: entry and file disagree on seq or actor", name)
	}
	// 4.2
	pub, err1 := base64.StdEncoding.DecodeString(f.ActorKey)
	sig, err2 := base64.StdEncoding.DecodeString(f.Signature)
	msg := append([]byte(EntrySignaturePrefix), E...)
	if err1 != nil || err2 != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, msg, sig) {
		c.fail("%s: the actor's signature does not verify", name)
	}
	// 4.3
	salt, err1 := hex.DecodeString(f.Salt)
	content, err2 := hex.DecodeString(f.Content)
	if err1 != nil || err2 != nil || len(salt) != 32 || len(content) != 32 {
		c.fail("%s: salt or content is not 32 bytes of hex", name)
	}
	leaf := LeafData(salt, content, E)
	if hex.EncodeToString(leaf[:]) != f.LeafData {
		c.fail("%s: leaf_data differs from the recomputed leaf", name)
	}
	// 4.4 – 4.6
	if f.Proof == "" || f.Proof != path.Base(f.Proof) {
		c.fail("%s: proof is not a file name", name)
		return e, f.Content, true
	}
	pname := path.Join(path.Dir(name), f.Proof)
	c.expected[pname] = true
	if !c.keyOK {
		return e, f.Content, true
	}
	p, _, err := CheckProof(c.read(pname), leaf[:], c.key)
	switch {
	case err != nil:
		c.fail("%s: %v", pname, err)
	case p.Index != uint64(e.Seq):
		c.fail("%s: proves index %d, not the entry's seq %d", pname, p.Index, e.Seq)
	case !bytes.Equal(p.Checkpoint, c.cpNote):
		c.fail("%s: its checkpoint is not data/checkpoint.txt", pname)
	}
	return e, f.Content, true
}

// metadata is metadata.json (docs/bundle.md, Layout).
type metadata struct {
	V           int      `json:"v"`
	Item        string   `json:"item"`
	SHA256      string   `json:"sha256"`
	Size        int64    `json:"size"`
	Original    string   `json:"original"`
	EncryptedTo []string `json:"encrypted_to"`
	Versions    []struct {
		Version int    `json:"version"`
		Record  string `json:"record"`
		Digest  string `json:"digest"`
	} `json:"versions"`
}

// record is the part of an item record steps 5.1 and 5.3 read.
type record struct {
	Item     string  `json:"item"`
	Version  int     `json:"version"`
	Prev     *string `json:"prev"`
	Filename string  `json:"filename"`
}

// step5 checks one item: records, entries, original.
func (c *checker) step5(id string) {
	dir := "data/items/" + id + "/"
	c.expected[dir+"metadata.json"] = true
	var m metadata
	if err := json.Unmarshal(c.read(dir+"metadata.json"), &m); err != nil {
		c.fail("%smetadata.json: %v", dir, err)
		return
	}
	// 5.1
	if m.V != 2 || m.Item != id {
		c.fail("%smetadata.json: v is %d and item is %q", dir, m.V, m.Item)
	}
	if len(m.Versions) == 0 {
		c.fail("%smetadata.json: no versions", dir)
	}
	prev, filename, named := "", "", false
	purged := map[int]bool{} // versions whose body was destroyed (sori purge)
	for i, v := range m.Versions {
		if v.Record == "" {
			purged[v.Version] = true
			if v.Version != i+1 || i == len(m.Versions)-1 {
				c.fail("%smetadata.json: version %d: no body (only an older version, numbered in order, may be purged)", dir, v.Version)
			}
			prev = v.Digest
			continue
		}
		sum := sha256.Sum256([]byte(v.Record))
		var r record
		err := json.Unmarshal([]byte(v.Record), &r)
		switch {
		case v.Version != i+1:
			c.fail("%smetadata.json: versions are not numbered 1, 2, 3", dir)
		case hex.EncodeToString(sum[:]) != v.Digest:
			c.fail("%smetadata.json: version %d: record does not match its digest", dir, v.Version)
		case err != nil || r.Item != id || r.Version != v.Version:
			c.fail("%smetadata.json: version %d: record does not name this item and version", dir, v.Version)
		case (i == 0) != (r.Prev == nil) || (r.Prev != nil && *r.Prev != prev):
			c.fail("%smetadata.json: version %d: prev is not the digest of the version before", dir, v.Version)
		}
		prev = v.Digest
		if !named { // version 1, or the oldest version not purged (5.3)
			filename, named = r.Filename, true
		}
	}
	// 5.2
	logged := map[int]bool{}
	purgeLogged := map[int]bool{}
	for f := range c.files {
		s, ok := strings.CutPrefix(f, dir+"custody/")
		if !ok || !strings.HasSuffix(s, ".json") {
			continue
		}
		e, content, ok := c.step4(f)
		if !ok {
			continue
		}
		if strconv.FormatInt(e.Seq, 10)+".json" != s {
			c.fail("%s: entry seq %d differs from the file name", f, e.Seq)
		}
		if e.Object != id {
			c.fail("%s: object is %q, not the item", f, e.Object)
		}
		if e.Kind == "purge" {
			if e.Version < 1 || e.Version > len(m.Versions) || !purged[e.Version] ||
				e.Digest != m.Versions[e.Version-1].Digest || content != strings.Repeat("0", 64) {
				c.fail("%s: is not the purge entry of a version of the item that has no body", f)
				continue
			}
			purgeLogged[e.Version] = true
			continue
		}
		if e.Kind != "intake" && e.Kind != "version" {
			continue
		}
		if (e.Kind == "intake") != (e.Version == 1) || e.Version < 1 || e.Version > len(m.Versions) ||
			e.Digest != m.Versions[e.Version-1].Digest || content != m.SHA256 {
			c.fail("%s: does not match version %d of the item or its sha256", f, e.Version)
			continue
		}
		logged[e.Version] = true
	}
	for _, v := range m.Versions {
		if !logged[v.Version] {
			c.fail("%smetadata.json: version %d has no custody entry", dir, v.Version)
		}
		if purged[v.Version] && !purgeLogged[v.Version] {
			c.fail("%smetadata.json: version %d has no body and no purge entry", dir, v.Version)
		}
	}
	// 5.3
	name := "original" + Extension(filename)
	if len(m.EncryptedTo) > 0 {
		name += ".age"
	}
	if m.Original != name {
		c.fail("%smetadata.json: original is %q, not %q", dir, m.Original, name)
	}
	for f := range c.files {
		if rest, ok := strings.CutPrefix(f, dir); ok && f != dir+name && rest != "metadata.json" && !strings.HasPrefix(rest, "custody/") {
			c.fail("%s: not the item's original %s", f, name)
		}
	}
	c.expected[dir+name] = true
	switch {
	case !c.files[dir+name]:
		c.fail("%s%s: missing", dir, name)
	case len(m.EncryptedTo) == 0:
		sum, _, size := c.sums(dir + name)
		if sum != m.SHA256 || size != m.Size {
			c.fail("%s%s: SHA-256 or size is not the item's", dir, name)
		}
	default:
		if !bytes.Equal(c.head(dir+name, len(AgeHeader)), []byte(AgeHeader)) {
			c.fail("%s%s: not an age file", dir, name)
		}
	}
	if c.recipients == nil {
		c.recipients = map[string]bool{}
	}
	c.recipients[strings.Join(m.EncryptedTo, "\n")] = true
}

// Extension is step 5.3's <ext>: from the last "." of filename to its
// end, when 1 to 16 ASCII letters or digits follow the dot; else "".
func Extension(filename string) string {
	i := strings.LastIndex(filename, ".")
	ext := filename[i+1:]
	if i < 0 || len(ext) < 1 || len(ext) > 16 {
		return ""
	}
	for _, r := range ext {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return ""
		}
	}
	return "." + ext
}

// step6 checks the export entry and manifest.
func (c *checker) step6(items []string) {
	c.expected["data/export/manifest.json"] = true
	mb := c.read("data/export/manifest.json")
	e, content, ok := c.step4("data/export/entry.json")
	var m struct {
		V          int      `json:"v"`
		Bundle     string   `json:"bundle"`
		Items      []string `json:"items"`
		Recipients []string `json:"recipients"`
	}
	if err := json.Unmarshal(mb, &m); err != nil {
		c.fail("data/export/manifest.json: %v", err)
		return
	}
	sum := sha256.Sum256(mb)
	if ok && (e.Kind != "export" || e.Object != c.bundleID || content != strings.Repeat("0", 64) ||
		e.Digest != hex.EncodeToString(sum[:]) || !c.cpOK || uint64(e.Seq) != c.cp.Size-1) {
		c.fail("data/export/entry.json: not the export of this bundle as the newest entry of the checkpoint")
	}
	if m.V != 2 || m.Bundle != c.bundleID || strings.Join(m.Items, ",") != strings.Join(items, ",") {
		c.fail("data/export/manifest.json: version, bundle or items differ from the bag")
	}
	for r := range c.recipients {
		if r != strings.Join(m.Recipients, "\n") {
			c.fail("data/export/manifest.json: recipients %q, but an item is encrypted to %q", m.Recipients, r)
		}
	}
}

// step7 refuses files the layout does not name.
func (c *checker) step7() {
	c.expected["data/README.txt"] = true
	c.expected["data/consent/README.txt"] = true
	for f := range c.files {
		if strings.HasPrefix(f, "data/") && !c.expected[f] {
			c.fail("%s: not part of a bundle", f)
		}
	}
}

func (c *checker) itemDirs() []string {
	seen := map[string]bool{}
	for f := range c.files {
		if rest, ok := strings.CutPrefix(f, "data/items/"); ok {
			if id, _, ok := strings.Cut(rest, "/"); ok {
				seen[id] = true
			}
		}
	}
	var ids []string
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// fileSums are a file's SHA-256 and SHA-512 in hex, and its size (-1 if
// it cannot be read).
type fileSums struct {
	sha256, sha512 string
	size           int64
}

// sums returns the digests of a bag file, reading it once however many
// manifests and steps ask.
func (c *checker) sums(name string) (string, string, int64) {
	if s, ok := c.hashed[name]; ok {
		return s.sha256, s.sha512, s.size
	}
	s := fileSums{size: -1}
	if f, err := os.Open(filepath.Join(c.dir, filepath.FromSlash(name))); err == nil {
		h, h512 := sha256.New(), sha512.New()
		if n, err := io.Copy(io.MultiWriter(h, h512), f); err == nil {
			s = fileSums{hex.EncodeToString(h.Sum(nil)), hex.EncodeToString(h512.Sum(nil)), n}
		}
		f.Close()
	}
	c.hashed[name] = s
	return s.sha256, s.sha512, s.size
}
