package seal

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"sori/internal/evidence"
)

// readAt opens ct with ItemReaderAt and reads [off, off+n).
func readAt(ring *Keyring, ct []byte, off, n int64) ([]byte, int64, error) {
	r, size, err := ring.ItemReaderAt(bytes.NewReader(ct), int64(len(ct)), nil)
	if err != nil {
		return nil, 0, err
	}
	p := make([]byte, n)
	k, err := r.ReadAt(p, off)
	if errors.Is(err, io.EOF) && int64(k) == n {
		err = nil
	}
	return p[:k], size, err
}

func TestItemReaderAt(t *testing.T) {
	ring := fixedKeyring()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{0, 1, 4000, plainChunk - 1, plainChunk, plainChunk + 1, 3*plainChunk + 17} {
		plain := make([]byte, size)
		for i := range plain {
			plain[i] = byte(rng.Uint32())
		}
		ct := encryptItem(t, ring, plain)
		for range 20 {
			off := rng.Int64N(int64(size) + 1)
			n := rng.Int64N(int64(size) - off + 1)
			got, total, err := readAt(ring, ct, off, n)
			if err != nil || total != int64(size) || !bytes.Equal(got, plain[off:off+n]) {
				t.Fatalf("size %d: [%d, +%d): %v (length %d)", size, off, n, err, total)
			}
		}
		// Tampering shows as ErrTampered when the damaged chunk (or the
		// header, or the final chunk) is read, never as other plaintext.
		for range 20 {
			bad := bytes.Clone(ct)
			at := rng.IntN(len(bad))
			bad[at] ^= byte(1 + rng.IntN(255))
			got, _, err := readAt(ring, bad, 0, int64(size))
			if !errors.Is(err, evidence.ErrTampered) {
				t.Errorf("size %d: byte %d flipped, reading all: %v", size, at, err)
			}
			if err == nil && !bytes.Equal(got, plain) {
				t.Errorf("size %d: byte %d flipped gave other plaintext", size, at)
			}
		}
		for _, n := range []int{0, 1, len(ct) / 2, len(ct) - 1} {
			if _, _, err := readAt(ring, ct[:n], 0, 0); !errors.Is(err, evidence.ErrTampered) {
				t.Errorf("size %d: truncated to %d: %v", size, n, err)
			}
		}
	}
	// A keyring without the item's content key is locked out.
	ct := encryptItem(t, ring, []byte("some text"))
	other := &Keyring{Content: map[int][32]byte{2: {9}}}
	if _, _, err := readAt(other, ct, 0, 1); !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("foreign keyring: %v", err)
	}
}

// FuzzItemReaderAt: whatever the bytes, ItemReaderAt and ReadAt never give
// plaintext that DecryptItem would not.
func FuzzItemReaderAt(f *testing.F) {
	ring := fixedKeyring()
	f.Add(encryptItemF(f, ring, []byte("탈북 1998")), int64(0), int64(4))
	f.Add(encryptItemF(f, ring, bytes.Repeat([]byte("x"), plainChunk+5)), int64(plainChunk-2), int64(6))
	f.Fuzz(func(t *testing.T, ct []byte, off, n int64) {
		r, size, err := ring.ItemReaderAt(bytes.NewReader(ct), int64(len(ct)), nil)
		if err != nil {
			if !errors.Is(err, evidence.ErrTampered) && !errors.Is(err, evidence.ErrLocked) {
				t.Fatalf("open: %v", err)
			}
			return
		}
		off, n = max(0, min(off, size)), max(0, min(n, 1<<20))
		p := make([]byte, n)
		k, err := r.ReadAt(p, off)
		if err != nil && !errors.Is(err, io.EOF) {
			if !errors.Is(err, evidence.ErrTampered) {
				t.Fatalf("read: %v", err)
			}
			return
		}
		dr, derr := ring.DecryptItem(bytes.NewReader(ct), nil)
		if derr != nil {
			t.Fatalf("ReaderAt accepted what DecryptItem refuses: %v", derr)
		}
		all, derr := io.ReadAll(dr)
		if derr == nil && !bytes.Equal(p[:k], all[off:off+int64(k)]) {
			t.Fatal("ReaderAt and DecryptItem disagree")
		}
	})
}

func encryptItemF(f *testing.F, ring *Keyring, plain []byte) []byte {
	var buf bytes.Buffer
	w, err := ring.EncryptItem(&buf, ring.CurrentGen())
	if err != nil {
		f.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}
