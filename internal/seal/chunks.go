package seal

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"sori/internal/evidence"
)

// The payload of an age file (age-encryption.org/v1, "payload"): a 16-byte
// nonce, then STREAM chunks of 64 KiB of plaintext, each sealed with
// ChaCha20-Poly1305 under HKDF-SHA-256(file key, salt nonce, "payload").
// A chunk's 12-byte nonce is its index, big-endian in 11 bytes, and a last
// byte that is 1 for the final chunk only. The final chunk may be short; it
// is empty only when the whole plaintext is.
const (
	streamNonceSize = 16
	plainChunk      = 64 << 10
	sealedChunk     = plainChunk + chacha20poly1305.Overhead

	// headerWindow is how much of an item's file is read to find its
	// header: sori's own headers (one sori-content stanza) take ~130 bytes.
	headerWindow = 4 << 10
)

// ChunkBufferSize is the least buffer DecryptItemChunks works in.
const ChunkBufferSize = sealedChunk

// DecryptItemChunks decrypts an item's age file of exactly size bytes read
// from src, in place in buf (at least ChunkBufferSize bytes), and calls fn
// with each authenticated chunk of plaintext, in order; fn must not keep
// the slice. It returns the plaintext length. It reads what DecryptItem
// reads and accepts what DecryptItem accepts (FuzzDecryptItemChunks
// checks this), but allocates nothing per chunk: verification re-hashes
// every item through it. A file that is altered, truncated, extended or
// foreign gives an error wrapping evidence.ErrTampered, at the latest at
// the final chunk; bytes of chunks before it may already have been passed
// to fn.
func (k *Keyring) DecryptItemChunks(src io.Reader, size int64, buf []byte, fn func(plain []byte) error) (int64, error) {
	if len(buf) < ChunkBufferSize {
		return 0, fmt.Errorf("seal: chunk buffer of %d bytes, need %d", len(buf), ChunkBufferSize)
	}
	buf = buf[:sealedChunk]
	head := buf[:min(int64(headerWindow), size)]
	if _, err := io.ReadFull(src, head); err != nil {
		return 0, tampered("reading header: %v", err)
	}
	// The header ends with its MAC line, "--- " and base64; no line before
	// it starts so ("-> " opens a stanza, bodies are base64). DecryptHeader
	// parses those bytes strictly and checks the MAC over them.
	end := bytes.Index(head, []byte("\n--- "))
	if end < 0 {
		return 0, tampered("no header in the first %d bytes", len(head))
	}
	eol := bytes.IndexByte(head[end+1:], '\n')
	if eol < 0 || end+1+eol+1+streamNonceSize > len(head) {
		return 0, tampered("header cut short or too long")
	}
	hdr := head[:end+1+eol+1]
	fileKey, err := age.DecryptHeader(hdr, contentIdentity{k})
	if err != nil {
		if errors.Is(err, evidence.ErrLocked) {
			return 0, err
		}
		return 0, tampered("%v", err)
	}
	nonce := head[len(hdr) : len(hdr)+streamNonceSize]
	key, err := hkdf.Key(sha256.New, fileKey, nonce, "payload", chacha20poly1305.KeySize)
	if err != nil {
		return 0, err
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return 0, err
	}
	payload := size - int64(len(hdr)+streamNonceSize)
	chunks := (payload + sealedChunk - 1) / sealedChunk
	plain := payload - chunks*chacha20poly1305.Overhead
	want := (plain + plainChunk - 1) / plainChunk
	if plain == 0 {
		want = 1
	}
	if payload <= 0 || plain < 0 || want != chunks {
		return 0, tampered("payload of %d bytes is not a whole STREAM", payload)
	}
	// The payload bytes read with the header move to the buffer's start.
	have := copy(buf, head[len(hdr)+streamNonceSize:])
	var cn [chacha20poly1305.NonceSize]byte
	for i := range chunks {
		n := int(min(payload-i*sealedChunk, sealedChunk))
		if _, err := io.ReadFull(src, buf[have:n]); err != nil {
			return 0, tampered("reading chunk %d: %v", i, err)
		}
		have = 0
		binary.BigEndian.PutUint64(cn[3:11], uint64(i))
		if i == chunks-1 {
			cn[11] = 1
		}
		out, err := aead.Open(buf[:0], cn[:], buf[:n], nil)
		if err != nil {
			return 0, tampered("chunk %d does not authenticate", i)
		}
		if err := fn(out); err != nil {
			return 0, err
		}
	}
	return plain, nil
}

func tampered(format string, a ...any) error {
	return fmt.Errorf("%w: %s", evidence.ErrTampered, fmt.Sprintf(format, a...))
}
