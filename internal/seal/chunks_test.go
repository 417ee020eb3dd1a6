package seal

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"

	"filippo.io/age"
	"testing"

	"sori/internal/evidence"
)

// decryptChunks runs DecryptItemChunks over ct and returns the plaintext.
func decryptChunks(ring *Keyring, ct []byte) ([]byte, error) {
	return decryptChunksKeyed(ring, ct, nil)
}

func decryptChunksKeyed(ring *Keyring, ct []byte, ik *ItemKey) ([]byte, error) {
	var out []byte
	buf := make([]byte, ChunkBufferSize)
	n, err := ring.DecryptItemChunks(bytes.NewReader(ct), int64(len(ct)), buf, ik, func(p []byte) error {
		out = append(out, p...)
		return nil
	})
	if err == nil && n != int64(len(out)) {
		return nil, errors.New("returned length differs from the bytes passed on")
	}
	return out, err
}

func TestDecryptItemChunks(t *testing.T) {
	ring := fixedKeyring()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 100, 4000, plainChunk - 1, plainChunk, plainChunk + 1, 2 * plainChunk, 3*plainChunk + 17} {
		plain := make([]byte, size)
		for i := range plain {
			plain[i] = byte(rng.Uint32())
		}
		ct := encryptItem(t, ring, plain)
		got, err := decryptChunks(ring, ct)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: round trip: %v", size, err)
		}
		for range 20 {
			bad := bytes.Clone(ct)
			bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
			if _, err := decryptChunks(ring, bad); !errors.Is(err, evidence.ErrTampered) {
				t.Errorf("size %d: a flipped byte gave %v", size, err)
			}
		}
		for _, n := range []int{0, 1, len(ct) / 2, len(ct) - 1, len(ct) - 16} {
			if _, err := decryptChunks(ring, ct[:n]); !errors.Is(err, evidence.ErrTampered) {
				t.Errorf("size %d: truncated to %d: %v", size, n, err)
			}
		}
		if _, err := decryptChunks(ring, append(bytes.Clone(ct), 0)); !errors.Is(err, evidence.ErrTampered) {
			t.Errorf("size %d: one byte appended: %v", size, err)
		}
	}
	// A keyring without the item's content key is locked out, not told
	// that the item was tampered with.
	ct := encryptItem(t, ring, []byte("testimony"))
	other := &Keyring{Content: map[int][32]byte{2: {9}}}
	if _, err := decryptChunks(other, ct); !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("foreign keyring: %v", err)
	}
	for _, size := range []int64{-1, 0, 5, int64(len(ct)) - 1, int64(len(ct)) + 1} {
		// A size that is not the file's (a tampered row) is refused, and
		// never reads past it or panics.
		if _, err := ring.DecryptItemChunks(bytes.NewReader(ct), size, make([]byte, ChunkBufferSize), nil, func([]byte) error { return nil }); !errors.Is(err, evidence.ErrTampered) {
			t.Errorf("size %d of a %d-byte file: %v", size, len(ct), err)
		}
	}
	if _, err := ring.DecryptItemChunks(bytes.NewReader(ct), int64(len(ct)), make([]byte, 100), nil, nil); err == nil {
		t.Error("a buffer smaller than ChunkBufferSize was accepted")
	}
	// An error from fn stops the decryption and is returned as it is.
	stop := errors.New("stop")
	if _, err := ring.DecryptItemChunks(bytes.NewReader(ct), int64(len(ct)), make([]byte, ChunkBufferSize), nil, func([]byte) error { return stop }); err != stop {
		t.Errorf("fn's error came back as %v", err)
	}
}

// FuzzDecryptItemChunks checks that the in-place decryption accepts exactly
// what age's reader (DecryptItem) accepts, with the same plaintext.
func FuzzDecryptItemChunks(f *testing.F) {
	ring := fixedKeyring()
	for _, n := range []int{0, 9, plainChunk, plainChunk + 3} {
		var buf bytes.Buffer
		w, _ := ring.EncryptItem(&buf, 1)
		w.Write(bytes.Repeat([]byte("증"), n/3))
		w.Close()
		f.Add(buf.Bytes())
	}
	ik, key, err := ring.NewItemKey()
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range []int{0, 9, plainChunk + 3} {
		var buf bytes.Buffer
		w, _ := ring.EncryptItemKeyed(&buf, ik, key)
		w.Write(bytes.Repeat([]byte("증"), n/3))
		w.Close()
		f.Add(buf.Bytes())
	}
	f.Add([]byte("age-encryption.org/v1\n-> sori-content 1\nAAAA\n--- AAAA\n"))
	f.Add([]byte("age-encryption.org/v1\n-> sori-item " + ik.Handle + "\nAAAA\n--- AAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decryptChunksKeyed(ring, b, &ik)
		want, werr := func() ([]byte, error) {
			r, err := ring.DecryptItem(bytes.NewReader(b), &ik)
			if err != nil {
				return nil, err
			}
			return io.ReadAll(r)
		}()
		if (err == nil) != (werr == nil) {
			t.Fatalf("in place: %v; age's reader: %v", err, werr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatal("the two decryptions differ")
		}
		if err != nil && !errors.Is(err, evidence.ErrTampered) && !errors.Is(err, evidence.ErrLocked) {
			t.Fatalf("unclassified error: %v", err)
		}
	})
}

// TestContentHeaderFastPath checks that sori's own headers are read by the
// fast path, to the key age finds, and that altered ones are left to age.
func TestContentHeaderFastPath(t *testing.T) {
	ring := fixedKeyring()
	for _, size := range []int{0, 5, 70000} {
		ct := encryptItem(t, ring, bytes.Repeat([]byte{'x'}, size))
		end := bytes.Index(ct, []byte("\n--- ")) + 1
		hdr := ct[:end+bytes.IndexByte(ct[end:], '\n')+1]
		got, ok := ring.contentHeader(hdr, nil)
		want, err := age.DecryptHeader(hdr, contentIdentity{ring, nil})
		if !ok || err != nil || !bytes.Equal(got, want) {
			t.Fatalf("size %d: fast path ok=%v, age: %v", size, ok, err)
		}
		for i := range hdr {
			bad := bytes.Clone(hdr)
			bad[i] ^= 0x01
			if _, ok := ring.contentHeader(bad, nil); ok {
				t.Errorf("size %d: header with byte %d flipped read as authentic", size, i)
			}
		}
	}
}

// BenchmarkDecryptItem decrypts and hashes a 4 MiB item through age's
// reader and in place (DecryptItemChunks), side by side.
func BenchmarkDecryptItem(b *testing.B) {
	ring := fixedKeyring()
	plain := make([]byte, 4<<20)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range plain {
		plain[i] = byte(rng.Uint32())
	}
	var buf bytes.Buffer
	w, _ := ring.EncryptItem(&buf, 1)
	w.Write(plain)
	w.Close()
	ct := buf.Bytes()
	b.Run("age-reader", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		copyBuf := make([]byte, 256<<10)
		for b.Loop() {
			r, err := ring.DecryptItem(bytes.NewReader(ct), nil)
			if err != nil {
				b.Fatal(err)
			}
			h := sha256.New()
			if _, err := io.CopyBuffer(h, r, copyBuf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("in-place", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		work := make([]byte, ChunkBufferSize)
		for b.Loop() {
			h := sha256.New()
			if _, err := ring.DecryptItemChunks(bytes.NewReader(ct), int64(len(ct)), work, nil, func(p []byte) error { h.Write(p); return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestItemKey: an item under its own key opens with its key row, on both
// paths (age's reader and the in-place one, whose fast path reads the
// sori-item header); without the row it is shredded, not tampered; with
// another item's row, or a row whose wrapping was altered, it is refused.
func TestItemKey(t *testing.T) {
	ring := fixedKeyring()
	ik, key, err := ring.NewItemKey()
	if err != nil {
		t.Fatal(err)
	}
	plain := bytes.Repeat([]byte("증언 "), 30000)
	var buf bytes.Buffer
	w, err := ring.EncryptItemKeyed(&buf, ik, key)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	ct := buf.Bytes()
	if !bytes.Contains(ct[:200], []byte("\n-> sori-item "+ik.Handle+"\n")) {
		t.Fatalf("header is not a sori-item stanza: %q", ct[:120])
	}
	got, err := decryptChunksKeyed(ring, ct, &ik)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("in place: %v", err)
	}
	r, err := ring.DecryptItem(bytes.NewReader(ct), &ik)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("age's reader: %v", err)
	}
	end := bytes.Index(ct, []byte("\n--- ")) + 1
	hdr := ct[:end+bytes.IndexByte(ct[end:], '\n')+1]
	if _, ok := ring.contentHeader(hdr, &ik); !ok {
		t.Error("the sori-item header missed the fast path")
	}
	// By range, with the key row.
	ra, n, err := ring.ItemReaderAt(bytes.NewReader(ct), int64(len(ct)), &ik)
	if err != nil || n != int64(len(plain)) {
		t.Fatalf("ItemReaderAt: %d %v", n, err)
	}
	part := make([]byte, 100)
	if _, err := ra.ReadAt(part, 70000); err != nil || !bytes.Equal(part, plain[70000:70100]) {
		t.Errorf("ItemReaderAt part: %v", err)
	}
	if _, _, err := ring.ItemReaderAt(bytes.NewReader(ct), int64(len(ct)), nil); !errors.Is(err, evidence.ErrShredded) {
		t.Errorf("ItemReaderAt without the key row: %v", err)
	}
	// Shredded: no key row.
	if _, err := decryptChunksKeyed(ring, ct, nil); !errors.Is(err, evidence.ErrShredded) {
		t.Errorf("no key row, in place: %v", err)
	}
	if _, err := ring.DecryptItem(bytes.NewReader(ct), nil); !errors.Is(err, evidence.ErrShredded) {
		t.Errorf("no key row, age: %v", err)
	}
	// Another item's key row.
	other, _, err := ring.NewItemKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decryptChunksKeyed(ring, ct, &other); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("another item's key row: %v", err)
	}
	// A row whose wrapping was altered, or moved to another handle.
	bad := ik
	bad.Wrapped = bytes.Clone(ik.Wrapped)
	bad.Wrapped[30] ^= 1
	if _, err := decryptChunksKeyed(ring, ct, &bad); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("altered key row: %v", err)
	}
	moved := other
	moved.Wrapped = ik.Wrapped
	if _, err := ring.DecryptItem(bytes.NewReader(ct), &moved); err == nil {
		t.Error("a key row under another handle opened the item")
	}
	// A keyring without the content key of the row's generation.
	if _, err := decryptChunksKeyed(&Keyring{Content: map[int][32]byte{9: {1}}}, ct, &ik); !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("foreign keyring: %v", err)
	}
}
