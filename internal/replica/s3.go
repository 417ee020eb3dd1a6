package replica

// Replicas in S3 (sori replicate --to s3://BUCKET/PREFIX?endpoint=…).
//
// An object store has no rename and no directory lock, so the S3 layout
// makes every object but one immutable, and that one the switch:
//
//	PREFIX/blobs/NAME               packs (internal/blob/s3: write-once)
//	PREFIX/state/ID/meta.db         one run's snapshot of the database,
//	PREFIX/state/ID/keys/FILE       the key files read after it,
//	PREFIX/state/ID/sori.json       and sori.json: written once, never changed
//	PREFIX/replica.json             the head: the cursor and the state's ID
//
// A run copies the packs the copy lacks, writes a new state under a fresh
// ID, then replaces the head with one PUT — conditional on the head it
// read (If-Match on its ETag, or If-None-Match for the first), so that a
// second run writing the same replica meanwhile makes this one fail rather
// than go back in time — and last removes the states older than the new
// one. Killed at any instant, the head names a whole state (the old or the
// new) whose packs are all present; what a killed run leaves (packs, a
// partial state) is ignored and removed by a later run. Every object is
// ciphertext but sori.json and replica.json, as in a directory replica.
//
// Fetch copies such a replica into a directory, as a directory replica
// (which `sori verify --archive DIR` checks, and `sori replicate --to DIR`
// brings up to date): that is how `sori replicate --check` verifies it.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/archive"
	"sori/internal/blob"
	"sori/internal/blob/local"
	s3blob "sori/internal/blob/s3"
	"sori/internal/durable"
	"sori/internal/evidence"
)

const (
	// HeadFormat is the format name of an S3 replica's replica.json.
	HeadFormat  = "sori-replica-s3"
	HeadVersion = 1
	stateDir    = "state/"
	// maxSmall bounds what is read whole into memory: the head, key
	// files, sori.json.
	maxSmall = 16 << 20
)

var stateID = regexp.MustCompile(`^[0-9]{20}-[0-9a-f]{16}$`)

// Head is an S3 replica's replica.json: a Cursor and the state it names.
type Head struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Archive string `json:"archive"`
	Size    int64  `json:"size"`
	Root    string `json:"root"`
	State   string `json:"state"`
}

// Cursor is the head as a directory replica's cursor.
func (h Head) Cursor() Cursor {
	return Cursor{Format: "sori-replica", Version: CursorVersion, Archive: h.Archive, Size: h.Size, Root: h.Root}
}

func (h Head) marshal() []byte {
	b, _ := json.MarshalIndent(h, "", "  ")
	return append(b, '\n')
}

// ParseHead reads an S3 replica's replica.json, as strictly as ParseCursor.
func ParseHead(b []byte) (Head, error) {
	var h Head
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&h); err != nil || h.Format != HeadFormat {
		return Head{}, fmt.Errorf("%w: %s: not the head of an S3 replica", evidence.ErrDamaged, CursorFile)
	}
	if h.Version != HeadVersion {
		return Head{}, fmt.Errorf("%w: %s: version %d (this sori reads %d)", evidence.ErrDamaged, CursorFile, h.Version, HeadVersion)
	}
	if _, err := ParseCursor(h.Cursor().Marshal()); err != nil {
		return Head{}, err
	}
	if !stateID.MatchString(h.State) || !strings.HasPrefix(h.State, fmt.Sprintf("%020d-", h.Size)) {
		return Head{}, fmt.Errorf("%w: %s: bad state %q", evidence.ErrDamaged, CursorFile, h.State)
	}
	if !bytes.Equal(b, h.marshal()) {
		return Head{}, fmt.Errorf("%w: %s: not in the form sori writes (altered?)", evidence.ErrDamaged, CursorFile)
	}
	return h, nil
}

// s3Target is an S3 replica's location.
type s3Target struct {
	url    string
	core   *minio.Core
	bucket string
	prefix string // "" or ending in "/"
	blobs  *s3blob.Store
}

// openS3 connects to the replica at the URL (credentials from the
// environment, see package internal/blob/s3).
func openS3(ctx context.Context, url string) (*s3Target, error) {
	cfg, err := s3blob.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", evidence.ErrInvalid, err)
	}
	top, err := s3blob.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	bcfg := cfg
	bcfg.Prefix = top.Prefix() + "blobs"
	blobs, err := s3blob.New(ctx, bcfg)
	if err != nil {
		return nil, err
	}
	return &s3Target{url: cfg.URL(), core: top.Core(), bucket: top.Bucket(), prefix: top.Prefix(), blobs: blobs}, nil
}

func (t *s3Target) key(rel string) string { return t.prefix + rel }

// get reads a small object whole, with its ETag; blob.ErrNotFound if absent.
func (t *s3Target) get(ctx context.Context, rel string) ([]byte, string, error) {
	rc, oi, _, err := t.core.GetObject(ctx, t.bucket, t.key(rel), minio.GetObjectOptions{})
	if err != nil {
		if s3blob.IsNotFound(err) {
			return nil, "", fmt.Errorf("%s: %w", rel, blob.ErrNotFound)
		}
		return nil, "", fmt.Errorf("reading %s from %s: %w", rel, t.url, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxSmall+1))
	if err == nil && len(b) > maxSmall {
		err = fmt.Errorf("%w: %s is larger than %d bytes", evidence.ErrDamaged, rel, maxSmall)
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading %s from %s: %w", rel, t.url, err)
	}
	return b, oi.ETag, nil
}

// putNew writes a new object, refusing to replace one.
func (t *s3Target) putNew(ctx context.Context, rel string, r io.Reader, size int64) error {
	var o minio.PutObjectOptions
	o.SetMatchETagExcept("*")
	if _, err := t.core.Client.PutObject(ctx, t.bucket, t.key(rel), r, size, o); err != nil {
		return fmt.Errorf("writing %s to %s: %w", rel, t.url, err)
	}
	return nil
}

// readHead returns the head and its ETag, or a nil head when there is none.
func (t *s3Target) readHead(ctx context.Context) (*Head, string, error) {
	b, etag, err := t.get(ctx, CursorFile)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	h, err := ParseHead(b)
	if err != nil {
		return nil, "", err
	}
	return &h, etag, nil
}

// checkUnused refuses a prefix that holds anything but what a first run
// killed before its head leaves (packs, states).
func (t *s3Target) checkUnused(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for oi := range t.core.Client.ListObjects(ctx, t.bucket, minio.ListObjectsOptions{Prefix: t.prefix}) {
		if oi.Err != nil {
			return fmt.Errorf("listing %s: %w", t.url, oi.Err)
		}
		rel := strings.TrimPrefix(oi.Key, t.prefix)
		if rel == "blobs/" || rel == stateDir || strings.HasPrefix(rel, ".sori-probe-") {
			continue
		}
		return fmt.Errorf("%w: %s is not empty and not a replica (no %s; it holds %q)", evidence.ErrInvalid, t.url, CursorFile, rel)
	}
	return nil
}

// states lists the IDs of the states present, finished or not.
func (t *s3Target) states(ctx context.Context) ([]string, error) {
	var ids []string
	for oi := range t.core.Client.ListObjects(ctx, t.bucket, minio.ListObjectsOptions{Prefix: t.prefix + stateDir}) {
		if oi.Err != nil {
			return nil, fmt.Errorf("listing %s: %w", t.url, oi.Err)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(oi.Key, t.prefix+stateDir), "/")
		if stateID.MatchString(id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// removeState deletes every object of the state id.
func (t *s3Target) removeState(ctx context.Context, id string) error {
	dir := t.prefix + stateDir + id + "/"
	for oi := range t.core.Client.ListObjects(ctx, t.bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
		if oi.Err != nil {
			return fmt.Errorf("listing %s: %w", t.url, oi.Err)
		}
		if err := t.core.RemoveObject(ctx, t.bucket, oi.Key, minio.RemoveObjectOptions{}); err != nil {
			return fmt.Errorf("removing %s: %w", strings.TrimPrefix(oi.Key, t.prefix), err)
		}
	}
	return nil
}

// runS3 is Run for an s3:// target.
func runS3(ctx context.Context, a *archive.Archive, to string, opt Options) (Result, error) {
	res := Result{Archive: a.ID()}
	t, err := openS3(ctx, to)
	if err != nil {
		return res, err
	}
	head, etag, err := t.readHead(ctx)
	if err != nil {
		return res, err
	}
	var cur Cursor
	if head == nil {
		if err := t.checkUnused(ctx); err != nil {
			return res, err
		}
		cur = NewCursor(a.ID(), 0, tlog.Hash{})
	} else {
		if head.Archive != a.ID() {
			return res, fmt.Errorf("%w: %s is a replica of archive %s, not of %s", evidence.ErrInvalid, t.url, head.Archive, a.ID())
		}
		cur = head.Cursor()
	}
	res.From, res.To, res.Root = cur.Size, cur.Size, cur.RootHash()

	in := a.Inspect()
	srcSize, err := in.TreeSize(ctx)
	if err != nil {
		return res, err
	}
	hr := in.HashReader(ctx)
	if err := extends(hr, srcSize, cur.Size, cur.RootHash(), "the replica's head ("+CursorFile+")"); err != nil {
		return res, err
	}
	if head != nil && head.Size == srcSize {
		// Nothing logged since; key files may still differ (a changed
		// passphrase logs nothing): keys/SUMS tells.
		files, err := in.KeyFiles(ctx)
		if err != nil {
			return res, err
		}
		sums, _, err := t.get(ctx, stateDir+head.State+"/"+keysDir+"/"+keySums)
		if err != nil && !errors.Is(err, blob.ErrNotFound) {
			return res, err
		}
		if err == nil && bytes.Equal(sums, files[keySums]) {
			res.UpToDate = true
			res.Packs, res.PackBytes, err = copyPacks(ctx, a, t.blobs, opt)
			return res, err
		}
	}

	tmp, err := os.MkdirTemp("", "sori-replicate-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)
	opt.Progress("snapshot of the metadata database")
	db := filepath.Join(tmp, dbFile)
	size, root, err := in.Snapshot(ctx, db)
	if err != nil {
		return res, err
	}
	if err := opt.step("snapshot"); err != nil {
		return res, err
	}
	if srcSize, err = in.TreeSize(ctx); err != nil {
		return res, err
	}
	if err := extends(hr, srcSize, size, root, "the snapshot"); err != nil {
		return res, err
	}
	if res.Packs, res.PackBytes, err = copyPacks(ctx, a, t.blobs, opt); err != nil {
		return res, err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	id := fmt.Sprintf("%020d-%x", size, rnd)
	n, err := putState(ctx, t, a, id, db, opt)
	res.KeyFiles = n
	if err != nil {
		return res, err
	}

	c := NewCursor(a.ID(), size, root)
	h := Head{Format: HeadFormat, Version: HeadVersion, Archive: c.Archive, Size: c.Size, Root: c.Root, State: id}
	var o minio.PutObjectOptions
	if head == nil {
		o.SetMatchETagExcept("*")
	} else {
		o.SetMatchETag(etag)
	}
	b := h.marshal()
	if _, err := t.core.Client.PutObject(ctx, t.bucket, t.key(CursorFile), bytes.NewReader(b), int64(len(b)), o); err != nil {
		if s3blob.IsPreconditionFailed(err) {
			return res, fmt.Errorf("%w: %s changed while this run wrote it (another sori replicate?); nothing is lost: run again", evidence.ErrBusy, t.url)
		}
		return res, fmt.Errorf("writing %s to %s: %w", CursorFile, t.url, err)
	}
	res.To, res.Root = size, root
	if err := opt.step("head"); err != nil {
		return res, err
	}
	return res, removeOldStates(ctx, t, head, id, size, opt)
}

// putState writes the state id: the key files (read now, after the
// snapshot, so that they are as new as the database or newer, as sori's own
// key changes leave them), sori.json and the snapshot.
func putState(ctx context.Context, t *s3Target, a *archive.Archive, id, db string, opt Options) (int, error) {
	dir := stateDir + id + "/"
	files, err := a.Inspect().KeyFiles(ctx)
	if err != nil {
		return 0, err
	}
	if _, ok := files[keySums]; !ok {
		return 0, fmt.Errorf("%w: the source has no keys/%s", evidence.ErrDamaged, keySums)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		if err := t.putNew(ctx, dir+keysDir+"/"+name, bytes.NewReader(files[name]), int64(len(files[name]))); err != nil {
			return 0, err
		}
	}
	if err := opt.step("state keys"); err != nil {
		return len(names), err
	}
	cfg, err := os.ReadFile(filepath.Join(a.Dir(), configFile))
	if err != nil {
		return len(names), fmt.Errorf("%w: the source's %s: %v", evidence.ErrDamaged, configFile, err)
	}
	if err := t.putNew(ctx, dir+configFile, bytes.NewReader(cfg), int64(len(cfg))); err != nil {
		return len(names), err
	}
	f, err := os.Open(db)
	if err != nil {
		return len(names), err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return len(names), err
	}
	opt.Progress("uploading the metadata database (%d bytes)", st.Size())
	if err := t.putNew(ctx, dir+dbFile, f, st.Size()); err != nil {
		return len(names), err
	}
	return len(names), opt.step("state")
}

// removeOldStates removes, after the head names the state keep (of size
// entries), the state the old head named and every state of a smaller
// tree (left by killed runs). A state of as many entries or more that is
// not the head's may be another run's in progress: it is left.
func removeOldStates(ctx context.Context, t *s3Target, old *Head, keep string, size int64, opt Options) error {
	ids, err := t.states(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		n, _ := strconv.ParseInt(id[:20], 10, 64)
		if id == keep || (n >= size && (old == nil || id != old.State)) {
			continue
		}
		if err := t.removeState(ctx, id); err != nil {
			return err
		}
		if err := opt.step("old state removed"); err != nil {
			return err
		}
	}
	return nil
}

// Fetch copies the S3 replica at url into dir (new or empty) as a
// directory replica of the same state: packs, key files, sori.json and
// meta.db, and last replica.json with the head's cursor. It decrypts
// nothing and needs no passphrase. Interrupted, it leaves dir without
// replica.json or sori.json: remove it and fetch again.
func Fetch(ctx context.Context, url, dir string, progress func(string, ...any)) (Cursor, error) {
	if progress == nil {
		progress = func(string, ...any) {}
	}
	t, err := openS3(ctx, url)
	if err != nil {
		return Cursor{}, err
	}
	head, _, err := t.readHead(ctx)
	if err != nil {
		return Cursor{}, err
	}
	if head == nil {
		return Cursor{}, fmt.Errorf("%w: %s holds no replica (no %s)", evidence.ErrNotFound, t.url, CursorFile)
	}
	if _, err := durable.CheckNewOrEmpty(dir, "the fetch target"); err != nil {
		return Cursor{}, fmt.Errorf("%w: %v", evidence.ErrInvalid, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, keysDir), 0o700); err != nil {
		return Cursor{}, err
	}
	dst, err := local.Open(filepath.Join(dir, blobsDir))
	if err != nil {
		return Cursor{}, err
	}
	var packs []blob.Info
	if err := t.blobs.List(ctx, func(i blob.Info) error { packs = append(packs, i); return nil }); err != nil {
		return Cursor{}, err
	}
	progress("fetching %d packs", len(packs))
	for _, p := range packs {
		if err := copyBlob(ctx, t.blobs, dst, p); err != nil {
			return Cursor{}, err
		}
	}
	// The state: key files and sori.json, then the database.
	sdir := t.prefix + stateDir + head.State + "/"
	var rels []string
	for oi := range t.core.Client.ListObjects(ctx, t.bucket, minio.ListObjectsOptions{Prefix: sdir, Recursive: true}) {
		if oi.Err != nil {
			return Cursor{}, fmt.Errorf("listing %s: %w", t.url, oi.Err)
		}
		rels = append(rels, strings.TrimPrefix(oi.Key, sdir))
	}
	if !slices.Contains(rels, dbFile) || !slices.Contains(rels, configFile) || !slices.Contains(rels, keysDir+"/"+keySums) {
		return Cursor{}, fmt.Errorf("%w: %s: the state %s named by %s is incomplete", evidence.ErrDamaged, t.url, head.State, CursorFile)
	}
	for _, rel := range rels {
		dirName, base := path.Split(rel)
		ok := dirName == "" && (base == dbFile || base == configFile) ||
			dirName == keysDir+"/" && base != "" && !strings.HasPrefix(base, ".")
		if !ok {
			return Cursor{}, fmt.Errorf("%w: %s: unexpected object %s in state %s", evidence.ErrDamaged, t.url, rel, head.State)
		}
		if rel == dbFile || rel == configFile {
			continue
		}
		b, _, err := t.get(ctx, stateDir+head.State+"/"+rel)
		if err != nil {
			return Cursor{}, err
		}
		if err := durable.WriteFile(filepath.Join(dir, keysDir, base), b, 0o600); err != nil {
			return Cursor{}, err
		}
	}
	progress("fetching the metadata database")
	if err := fetchFile(ctx, t, stateDir+head.State+"/"+dbFile, filepath.Join(dir, dbFile)); err != nil {
		return Cursor{}, err
	}
	cfg, _, err := t.get(ctx, stateDir+head.State+"/"+configFile)
	if err != nil {
		return Cursor{}, err
	}
	if err := durable.WriteFile(filepath.Join(dir, configFile), cfg, 0o600); err != nil {
		return Cursor{}, err
	}
	c := head.Cursor()
	if err := durable.WriteFile(filepath.Join(dir, CursorFile), c.Marshal(), 0o600); err != nil {
		return Cursor{}, err
	}
	return c, nil
}

// copyBlob copies one object between stores, checking its size.
func copyBlob(ctx context.Context, src, dst blob.Store, p blob.Info) error {
	rc, err := src.Open(ctx, p.Name, 0, -1)
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := blob.Put(ctx, dst, p.Name, rc)
	if errors.Is(err, blob.ErrExists) {
		return nil
	}
	if err == nil && n != p.Size {
		dst.Remove(ctx, p.Name)
		err = fmt.Errorf("%w: pack %s: copied %d bytes of %d", evidence.ErrDamaged, p.Name, n, p.Size)
	}
	if err != nil {
		return fmt.Errorf("copying pack %s: %w", p.Name, err)
	}
	return nil
}

// fetchFile streams a (large) object into a new file at dst, durably.
func fetchFile(ctx context.Context, t *s3Target, rel, dst string) error {
	rc, _, _, err := t.core.GetObject(ctx, t.bucket, t.key(rel), minio.GetObjectOptions{})
	if err != nil {
		return fmt.Errorf("reading %s from %s: %w", rel, t.url, err)
	}
	defer rc.Close()
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, rc)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("fetching %s: %w", rel, err)
	}
	return durable.SyncDir(filepath.Dir(dst))
}

// isS3 reports whether a replica target names S3.
func isS3(to string) bool { return s3blob.IsURL(to) }
