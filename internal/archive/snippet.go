package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"sori/internal/blob"
	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/internal/store"
)

// A snippet shows one text part of an item (about 2 KiB). The index keeps
// where each part starts in the item's plaintext (store.SearchDoc.Starts),
// so a snippet of a long item reads it through seal.ItemReaderAt (age's
// DecryptReaderAt) and decrypts only the 64 KiB chunks that hold its part,
// and the final chunk, which authenticates the length: a long transcript
// costs what a short one does. Every chunk read is authenticated; the
// item's SHA-256, which needs every byte, is not checked for a long item
// (reads of the whole item check it: sori get, export, verify). A small
// item (smallItem: at most two chunks, which a ReaderAt would decrypt
// anyway) is read whole through seal.DecryptItemChunks in a pooled chunk
// buffer, and checked against its SHA-256 as every whole read is.

// smallItem is the most stored bytes of an item a snippet reads whole.
const smallItem = 2*seal.ChunkBufferSize + 512

// snippetBufs are chunk buffers (seal.ChunkBufferSize) for small items.
var snippetBufs = sync.Pool{New: func() any { b := make([]byte, seal.ChunkBufferSize); return &b }}

// maskMargin is how many bytes beyond each edge of a part a snippet reads
// and searches for sealed names (maskedPart): a name the edge cuts is
// found whole, and masked, not shown in half. It is longer than any name
// or contact the guard finds.
const maskMargin = 256

// itemPart returns the text of part n (from 1) of an item, as the index
// cut it: the bytes from its start to the next part's (starts, from the
// index), their lines trimmed and joined (cutPart). Without starts (an
// index built before it kept them) it reads the whole plaintext and cuts
// the parts again, as the index did.
func (a *Archive) itemPart(ctx context.Context, it store.Item, starts []int64, n int) (string, error) {
	ik, err := a.itemKey(ctx, it.ID)
	if err != nil {
		return "", err
	}
	return a.itemPartMasked(ctx, it, ik, starts, n, nil)
}

// itemPartMasked is itemPart with the item's own key (ik, nil: none)
// looked up, and what guard finds (nil: nothing) masked: the part is read
// with maskMargin bytes more on each side, masked there, and then cut
// (maskedPart).
func (a *Archive) itemPartMasked(ctx context.Context, it store.Item, ik *seal.ItemKey, starts []int64, n int, guard *nameGuard) (string, error) {
	if it.Size > maxIndexText || n < 1 {
		return "", nil
	}
	read := func(lo, hi int64) ([]byte, error) {
		if it.Len <= smallItem {
			return a.smallItemRange(ctx, it, ik, lo, hi)
		}
		return a.itemRange(ctx, it, ik, lo, hi)
	}
	if n > len(starts) {
		b, err := read(0, it.Size)
		if err != nil || !looksLikeText(b) {
			return "", err
		}
		text := string(b)
		lo, hi, ok := partRange(text, n)
		if !ok {
			return "", nil
		}
		return maskedPart(text, lo, hi, guard), nil
	}
	lo, hi := starts[n-1], it.Size
	if n < len(starts) {
		hi = starts[n]
	}
	if lo < 0 || lo > hi || hi > it.Size {
		return "", fmt.Errorf("%w: search index: part %d of %s lies outside the item", evidence.ErrDamaged, n, it.ID)
	}
	wlo, whi := lo, hi
	if !guard.Empty() {
		wlo, whi = max(0, lo-maskMargin), min(it.Size, hi+maskMargin)
	}
	b, err := read(wlo, whi)
	if err != nil {
		return "", err
	}
	plo, phi := int(lo-wlo), int(hi-wlo) // the part in b
	if !looksLikeText(b[plo:phi]) {
		return "", nil
	}
	// The margins' outer ends may cut a rune: they are dropped from it.
	from := 0
	for from < plo && !utf8.RuneStart(b[from]) {
		from++
	}
	to := max(phi, len(trimCutRune(b)))
	return maskedPart(string(b[from:to]), plo-from, phi-from, guard), nil
}

// partRange is where part n (from 1) of text, as paragraphs cuts it, lies
// in text: from its first line's start to the next part's (or the end).
func partRange(text string, n int) (lo, hi int, ok bool) {
	_, at, parts := partLines(text)
	if n < 1 || n > len(parts) {
		return 0, 0, false
	}
	lo, hi = at[parts[n-1][0]], len(text)
	if n < len(parts) {
		hi = at[parts[n][0]]
	}
	return lo, hi, true
}

// maskedPart cuts the part text[lo:hi] (cutPart) with every span guard
// finds in text masked: text holds the part and some of what is around
// it, so that a sealed name the part's edge cuts is found whole and its
// half inside the part masked too.
func maskedPart(text string, lo, hi int, guard *nameGuard) string {
	spans := guard.Find(text)
	if len(spans) == 0 {
		return cutPart(text[lo:hi])
	}
	var b strings.Builder
	at := lo
	for _, sp := range spans {
		s, e := max(sp.Start, at), min(sp.End, hi)
		if s >= e {
			continue
		}
		b.WriteString(text[at:s])
		b.WriteString(Mask)
		at = e
	}
	b.WriteString(text[at:hi])
	return cutPart(b.String())
}

// smallItemRange decrypts a small item whole, in a pooled buffer, checks
// it against its length and SHA-256, and returns plaintext [lo, hi).
func (a *Archive) smallItemRange(ctx context.Context, it store.Item, ik *seal.ItemKey, lo, hi int64) ([]byte, error) {
	out := make([]byte, 0, hi-lo)
	at := int64(0)
	err := a.readChunks(ctx, it, nil, ik, func(p []byte) error {
		if from, to := max(lo, at), min(hi, at+int64(len(p))); from < to {
			out = append(out, p[from-at:to-at]...)
		}
		at += int64(len(p))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readChunks decrypts item it whole through seal.DecryptItemChunks in a
// pooled chunk buffer, reading its stored bytes from raw (nil: the blob
// store), and passes each chunk of plaintext to fn (which must not keep
// it); at the end it checks the length and SHA-256 against the item row.
// An error fn returns is returned as it is.
func (a *Archive) readChunks(ctx context.Context, it store.Item, raw []byte, ik *seal.ItemKey, fn func(p []byte) error) error {
	var src io.Reader = bytes.NewReader(raw)
	if raw == nil {
		rc, err := a.blobs.Open(ctx, it.Pack, it.Off, it.Len)
		if err != nil {
			return fmt.Errorf("%w: item %s: stored bytes unavailable: %v", evidence.ErrTampered, it.ID, err)
		}
		defer rc.Close()
		src = rc
	}
	bp := snippetBufs.Get().(*[]byte)
	defer snippetBufs.Put(bp)
	h := sha256.New()
	var fnErr error
	size, err := a.ring.DecryptItemChunks(src, it.Len, *bp, ik, func(p []byte) error {
		h.Write(p)
		fnErr = fn(p)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("item %s: %w", it.ID, err)
	}
	var sum evidence.Digest
	h.Sum(sum[:0])
	if size != it.Size || sum != it.SHA256 {
		return fmt.Errorf("%w: item %s: content does not match its recorded SHA-256", evidence.ErrTampered, it.ID)
	}
	return nil
}

// itemRange returns plaintext [lo, hi) of an item, decrypting only the
// chunks that hold it (and the final one).
func (a *Archive) itemRange(ctx context.Context, it store.Item, ik *seal.ItemKey, lo, hi int64) ([]byte, error) {
	var src io.ReaderAt = &blobRange{ctx: ctx, a: a, it: it}
	if s, ok := a.blobs.(blob.Sequential); !ok || !s.Sequential() {
		// A local store's reader reads at any offset: one open, not one
		// a read.
		rc, err := a.blobs.Open(ctx, it.Pack, it.Off, it.Len)
		if err != nil {
			return nil, fmt.Errorf("%w: item %s: stored bytes unavailable: %v", evidence.ErrTampered, it.ID, err)
		}
		defer rc.Close()
		if ra, ok := rc.(io.ReaderAt); ok {
			src = ra
		}
	}
	plain, size, err := a.ring.ItemReaderAt(src, it.Len, ik)
	if err != nil {
		return nil, fmt.Errorf("item %s: %w", it.ID, err)
	}
	if size != it.Size {
		return nil, fmt.Errorf("%w: item %s: %d bytes of plaintext, recorded %d", evidence.ErrTampered, it.ID, size, it.Size)
	}
	b := make([]byte, hi-lo)
	if k, err := plain.ReadAt(b, lo); k < len(b) || (err != nil && !errors.Is(err, io.EOF)) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("item %s: %w", it.ID, err)
	}
	return b, nil
}

// cutPart is the text of the part that starts seg, where seg runs from a
// part's start to the next part's (or the end): its lines, trimmed and
// joined, as paragraphs gives the part.
func cutPart(seg string) string {
	lines, _, _ := partLines(seg)
	return strings.Join(lines, "\n")
}

// blobRange reads an item's stored bytes by range, a request each.
type blobRange struct {
	ctx context.Context
	a   *Archive
	it  store.Item
}

func (r *blobRange) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > r.it.Len {
		return 0, fmt.Errorf("%w: item %s: read at %d of %d stored bytes", evidence.ErrTampered, r.it.ID, off, r.it.Len)
	}
	n := min(int64(len(p)), r.it.Len-off)
	if n == 0 {
		return 0, io.EOF
	}
	rc, err := r.a.blobs.Open(r.ctx, r.it.Pack, r.it.Off+off, n)
	if err != nil {
		return 0, fmt.Errorf("%w: item %s: stored bytes unavailable: %v", evidence.ErrTampered, r.it.ID, err)
	}
	defer rc.Close()
	k, err := io.ReadFull(rc, p[:n])
	if err == nil && n < int64(len(p)) {
		err = io.EOF
	}
	return k, err
}

// partStarts maps where each part starts in masked text (the text the
// index cut into parts, with spans replaced by repl) back to where it
// starts in the plaintext.
func partStarts(masked []int, spans []NameSpan, repl string) []int64 {
	out := make([]int64, len(masked))
	delta, j := 0, 0
	for i, m := range masked {
		for ; j < len(spans); j++ {
			ms := spans[j].Start - delta // where the span's replacement starts in masked text
			if m < ms+len(repl) {
				break
			}
			delta += spans[j].End - spans[j].Start - len(repl)
		}
		out[i] = int64(m + delta)
	}
	return out
}

// maskNamesSpans is maskNames that also returns the spans it replaced.
func maskNamesSpans(text string, guard *nameGuard, repl string) (string, []NameSpan) {
	if guard.Empty() {
		return text, nil
	}
	spans := guard.Find(text)
	if len(spans) == 0 {
		return text, nil
	}
	var b strings.Builder
	at := 0
	for _, sp := range spans {
		b.WriteString(text[at:sp.Start])
		b.WriteString(repl)
		at = sp.End
	}
	b.WriteString(text[at:])
	return b.String(), spans
}
