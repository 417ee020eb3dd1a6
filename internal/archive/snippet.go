package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"sori/internal/blob"
	"sori/internal/evidence"
	"sori/internal/store"
)

// A snippet shows one text part of an item (about 2 KiB). The index keeps
// where each part starts in the item's plaintext (store.SearchDoc.Starts),
// so a snippet reads the item through seal.ItemReaderAt and decrypts only
// the 64 KiB chunks that hold its part (and the final chunk, which
// authenticates the length): a long transcript costs what a short one
// does. Every chunk read is authenticated; the item's SHA-256, which needs
// every byte, is checked by reads of the whole item (sori get, export,
// verify), not by a snippet.

// smallItem is the most stored bytes of an item that a snippet reads in one
// request into a pooled buffer; a longer item is read by range, chunk by
// chunk.
const smallItem = 2*(64<<10+16) + 512

// snippetBufs are buffers of smallItem bytes for the ciphertext of small
// items while a snippet is cut from them.
var snippetBufs = sync.Pool{New: func() any { b := make([]byte, smallItem); return &b }}

// itemPart returns the text of part n (from 1) of an item, as the index
// cut it: the bytes from its start to the next part's (starts, from the
// index), their lines trimmed and joined. Without starts (an index built
// before it kept them) it reads the whole plaintext and cuts the parts
// again, as the index did.
func (a *Archive) itemPart(ctx context.Context, it store.Item, starts []int64, n int) (string, error) {
	if it.Size > maxIndexText || n < 1 {
		return "", nil
	}
	var src io.ReaderAt
	if it.Len <= smallItem {
		bp := snippetBufs.Get().(*[]byte)
		defer snippetBufs.Put(bp)
		buf := (*bp)[:it.Len]
		if err := a.readStored(ctx, it, buf); err != nil {
			return "", err
		}
		src = bytes.NewReader(buf)
	} else if s, ok := a.blobs.(blob.Sequential); ok && s.Sequential() {
		src = &blobRange{ctx: ctx, a: a, it: it}
	} else {
		rc, err := a.blobs.Open(ctx, it.Pack, it.Off, it.Len)
		if err != nil {
			return "", fmt.Errorf("%w: item %s: stored bytes unavailable: %v", evidence.ErrTampered, it.ID, err)
		}
		defer rc.Close()
		if ra, ok := rc.(io.ReaderAt); ok {
			src = ra
		} else {
			src = &blobRange{ctx: ctx, a: a, it: it}
		}
	}
	plain, size, err := a.ring.ItemReaderAt(src, it.Len)
	if err != nil {
		return "", fmt.Errorf("item %s: %w", it.ID, err)
	}
	if size != it.Size {
		return "", fmt.Errorf("%w: item %s: %d bytes of plaintext, recorded %d", evidence.ErrTampered, it.ID, size, it.Size)
	}
	lo, hi := int64(0), size
	whole := n > len(starts)
	if !whole {
		lo = starts[n-1]
		if n < len(starts) {
			hi = starts[n]
		}
		if lo < 0 || lo > hi || hi > size {
			return "", fmt.Errorf("%w: search index: part %d of %s lies outside the item", evidence.ErrDamaged, n, it.ID)
		}
	}
	b := make([]byte, hi-lo)
	if k, err := plain.ReadAt(b, lo); k < len(b) || (err != nil && !errors.Is(err, io.EOF)) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return "", fmt.Errorf("item %s: %w", it.ID, err)
	}
	if !looksLikeText(b) {
		return "", nil
	}
	if whole {
		return paragraph(string(b), n), nil
	}
	return cutPart(string(b)), nil
}

// cutPart is the text of the part that starts seg, where seg runs from a
// part's start to the next part's (or the end): its lines, trimmed and
// joined, as paragraphs gives the part.
func cutPart(seg string) string {
	lines, _, _ := partLines(seg)
	return strings.Join(lines, "\n")
}

// readStored reads an item's stored bytes whole into buf (len it.Len).
func (a *Archive) readStored(ctx context.Context, it store.Item, buf []byte) error {
	rc, err := a.blobs.Open(ctx, it.Pack, it.Off, it.Len)
	if err != nil {
		return fmt.Errorf("%w: item %s: stored bytes unavailable: %v", evidence.ErrTampered, it.ID, err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, buf); err != nil {
		return fmt.Errorf("%w: item %s: stored bytes: %v", evidence.ErrTampered, it.ID, err)
	}
	return nil
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
