package archive

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"sync"

	"sori/internal/blob"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/seal"
	"sori/internal/store"
)

// Restricted reads (docs/roles.md, "Audit"): the original bytes of an item
// that belongs to a testimony — its original or a translation, as the
// testimony record says or as the item's own record says it translates
// such an item — are testimony in full. Every read of them through Open or
// Inspector.OpenItem is first recorded as a signed "read" custody entry,
// in its own transaction; if the entry cannot be written (a role without
// the log key, a full disk), the bytes are not returned. An export logs
// itself instead (Export.Open). What is not logged: search snippets,
// listing and showing metadata, and verification, which reads every item
// only to hash it (Inspector.HashItem) and returns no byte.

// testimonyOfItem returns the testimony an item belongs to, if any: as its
// original or one of its translations, or as the translation of such an
// item (as the item's own record says).
func (a *Archive) testimonyOfItem(ctx context.Context, id evidence.ID) (evidence.ID, bool, error) {
	if t, ok, err := a.testimonyNaming(ctx, id); ok || err != nil {
		return t, ok, err
	}
	vs, err := a.db.Versions(ctx, id)
	if err != nil || len(vs) == 0 {
		return evidence.ID{}, false, err
	}
	rec, err := a.decodeVersion(ctx, vs[len(vs)-1])
	if err != nil {
		return evidence.ID{}, false, err
	}
	if rec.TranslationOf != nil {
		return a.testimonyNaming(ctx, *rec.TranslationOf)
	}
	return evidence.ID{}, false, nil
}

// testimonyNaming finds the current testimony record whose original or
// translations include item. Only records whose bytes hold the item's ID
// leave SQLite and are decoded: a read no longer decodes every testimony
// of the archive (with 20,000 of them, each cat took 0.46 s; now 0.11 s).
func (a *Archive) testimonyNaming(ctx context.Context, item evidence.ID) (evidence.ID, bool, error) {
	needle := []byte(`"` + item.String() + `"`)
	var found evidence.ID
	var ok bool
	err := a.db.EachCurrentRecordContaining(ctx, model.KindTestimony, needle, func(row store.RecordRow) error {
		r, b, err := a.decodeRecordBody(ctx, row)
		if isRestricted(err) {
			return nil // in a compartment this user is not a member of
		}
		if err != nil {
			return err
		}
		if t, is := b.(*model.Testimony); is && slices.Contains(t.Items(), item) {
			found, ok = r.ID, true
		}
		return nil
	})
	return found, ok, err
}

// openAudited opens it's plaintext, recording the read first when the
// item belongs to a testimony.
func (a *Archive) openAudited(ctx context.Context, it store.Item) (io.ReadCloser, error) {
	t, restricted, err := a.testimonyOfItem(ctx, it.ID)
	if err != nil {
		return nil, err
	}
	if restricted {
		if err := a.logRead(ctx, it); err != nil {
			return nil, fmt.Errorf("item %s belongs to testimony %s, and reading it is recorded in the custody log first: %w", it.ID, t, err)
		}
	}
	return a.openItem(ctx, it)
}

// logRead appends the read entry of it in its own transaction.
func (a *Archive) logRead(ctx context.Context, it store.Item) error {
	if a.ring.Log == "" {
		return fmt.Errorf("%w: this keyring holds no log key, so its reads of testimony cannot be recorded (a reader's keyring from before readers held it: an admin must add the user again)", evidence.ErrForbidden)
	}
	if err := a.recordEntry(ctx, opChecked, custody.KindRead, it.ID.String(), 0, evidence.Digest{}, it.SHA256); err != nil {
		return err
	}
	a.log.Info("restricted item read", "item", it.ID.String())
	return nil
}

// HashItem reads it's plaintext through to the end, authenticated and
// checked against its size and SHA-256 as OpenItem does, and returns only
// the number of bytes read: what verification needs, with no byte of the
// plaintext handed out, and so not recorded as a read. buf is the work
// buffer, decrypted into in place (nil, or shorter than
// seal.ChunkBufferSize, for a new one); one per goroutine keeps a full
// verification from allocating per chunk.
func (i Inspector) HashItem(ctx context.Context, it store.Item, buf []byte) (int64, error) {
	if err := i.a.allow(OpVerify); err != nil {
		return 0, err
	}
	raw, err := i.a.blobs.Open(ctx, it.Pack, it.Off, it.Len)
	if err != nil {
		return 0, unavailable(it, err)
	}
	defer raw.Close()
	return i.hashFrom(ctx, it, raw, buf)
}

func unavailable(it store.Item, err error) error {
	return fmt.Errorf("%w: item %s: stored bytes unavailable: %v", evidence.ErrTampered, it.ID, err)
}

func (i Inspector) hashFrom(ctx context.Context, it store.Item, src io.Reader, buf []byte) (int64, error) {
	if len(buf) < seal.ChunkBufferSize {
		buf = make([]byte, seal.ChunkBufferSize)
	}
	ik, err := i.a.itemKey(ctx, it.ID)
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	n, err := i.a.ring.DecryptItemChunks(src, it.Len, buf, ik, func(p []byte) error {
		h.Write(p)
		return ctx.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("item %s: %w", it.ID, err)
	}
	var sum evidence.Digest
	h.Sum(sum[:0])
	if n != it.Size || sum != it.SHA256 {
		return n, fmt.Errorf("%w: item %s: content does not match its recorded SHA-256", evidence.ErrTampered, it.ID)
	}
	return n, nil
}

// ItemHasher is HashItem for many items: it keeps each pack it has read
// open, for any goroutine, where the blob store can read at offsets (a
// full verification reads thousands of items from a few dozen packs).
type ItemHasher struct {
	i     Inspector
	mu    sync.Mutex
	packs map[string]packReader
	// streams are the packs of a blob.Sequential store, each read as one
	// stream from an item's offset on: items hashed in offset order cost
	// one request per pack instead of one per item.
	streams map[string]*packStream
}

type packStream struct {
	mu  sync.Mutex
	rc  io.ReadCloser // nil: none open
	pos int64         // offset in the pack of rc's next byte
}

// maxSkip is the largest gap read and discarded rather than opening the
// pack again at the next item.
const maxSkip = 4 << 20

// ByPack reports whether the store is read best one pack at a time, in
// offset order (blob.Sequential): callers hashing many items should then
// give each pack's items to one goroutine, in order.
func (h *ItemHasher) ByPack() bool {
	s, ok := h.i.a.blobs.(blob.Sequential)
	return ok && s.Sequential()
}

type packReader interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// NewItemHasher returns an ItemHasher; Close it when done.
func (i Inspector) NewItemHasher() *ItemHasher {
	return &ItemHasher{i: i, packs: map[string]packReader{}, streams: map[string]*packStream{}}
}

// Hash is HashItem.
func (h *ItemHasher) Hash(ctx context.Context, it store.Item, buf []byte) (int64, error) {
	if err := h.i.a.allow(OpVerify); err != nil {
		return 0, err
	}
	if h.ByPack() {
		return h.hashStreamed(ctx, it, buf)
	}
	p, err := h.pack(ctx, it.Pack)
	if err != nil {
		return 0, unavailable(it, err)
	}
	if p == nil { // this store reads by range only
		return h.i.HashItem(ctx, it, buf)
	}
	if it.Off < 0 || it.Len < 0 || it.Off > p.Size() || it.Len > p.Size()-it.Off {
		return 0, unavailable(it, blob.ErrRange)
	}
	return h.i.hashFrom(ctx, it, io.NewSectionReader(p, it.Off, it.Len), buf)
}

func (h *ItemHasher) pack(ctx context.Context, name string) (packReader, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p, ok := h.packs[name]; ok {
		return p, nil
	}
	rc, err := h.i.a.blobs.Open(ctx, name, 0, -1)
	if err != nil {
		return nil, err
	}
	p, ok := rc.(packReader)
	if !ok {
		rc.Close()
	}
	h.packs[name] = p // nil: read item by item
	return p, nil
}

// hashStreamed hashes it from its pack's stream, opening the stream again
// (at it.Off, to the pack's end) when it is behind the stream's position or
// too far ahead.
func (h *ItemHasher) hashStreamed(ctx context.Context, it store.Item, buf []byte) (int64, error) {
	h.mu.Lock()
	s := h.streams[it.Pack]
	if s == nil {
		s = &packStream{}
		h.streams[it.Pack] = s
	}
	h.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if it.Off < 0 || it.Len < 0 {
		return 0, unavailable(it, blob.ErrRange)
	}
	if s.rc != nil && (it.Off < s.pos || it.Off-s.pos > maxSkip) {
		s.rc.Close()
		s.rc = nil
	}
	if s.rc == nil {
		rc, err := h.i.a.blobs.Open(ctx, it.Pack, it.Off, -1)
		if err != nil {
			return 0, unavailable(it, err)
		}
		s.rc, s.pos = rc, it.Off
	}
	if gap := it.Off - s.pos; gap > 0 {
		if _, err := io.CopyN(io.Discard, s.rc, gap); err != nil {
			s.rc.Close()
			s.rc = nil
			return 0, unavailable(it, err)
		}
		s.pos = it.Off
	}
	lr := &io.LimitedReader{R: s.rc, N: it.Len}
	n, err := h.i.hashFrom(ctx, it, lr, buf)
	if _, derr := io.Copy(io.Discard, lr); derr != nil || lr.N > 0 || err != nil {
		// Where the stream stands is not known: open it again next time.
		s.rc.Close()
		s.rc = nil
		if err == nil {
			err = unavailable(it, fmt.Errorf("the pack ends inside the item"))
		}
		return n, err
	}
	s.pos += it.Len
	return n, nil
}

// Close closes the packs left open.
func (h *ItemHasher) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, p := range h.packs {
		if p != nil {
			p.Close()
		}
		delete(h.packs, name)
	}
	for name, s := range h.streams {
		s.mu.Lock()
		if s.rc != nil {
			s.rc.Close()
			s.rc = nil
		}
		s.mu.Unlock()
		delete(h.streams, name)
	}
	return nil
}

// Open returns the plaintext of an item of the export, for the bundle.
// The export's own custody entry records that it left the archive, so the
// read is not recorded again. Items not in the export are refused.
func (x *Export) Open(ctx context.Context, it store.Item) (io.ReadCloser, error) {
	if x.a == nil {
		return nil, fmt.Errorf("%w: not an export of this session", evidence.ErrInvalid)
	}
	for _, xi := range x.Items {
		if xi.Item.ID == it.ID {
			return x.a.openItem(ctx, xi.Item)
		}
	}
	return nil, fmt.Errorf("%w: item %s is not part of export %s", evidence.ErrInvalid, it.ID, x.ID)
}
