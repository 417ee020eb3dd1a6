package seal

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

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
// from src, in place in buf (at least ChunkBufferSize bytes), with its key
// row ik (nil if it has none), and calls fn
// with each authenticated chunk of plaintext, in order; fn must not keep
// the slice. It returns the plaintext length. It reads what DecryptItem
// reads and accepts what DecryptItem accepts (FuzzDecryptItemChunks
// checks this), but allocates nothing per chunk: verification re-hashes
// every item through it. A file that is altered, truncated, extended or
// foreign gives an error wrapping evidence.ErrTampered, at the latest at
// the final chunk; bytes of chunks before it may already have been passed
// to fn.
func (k *Keyring) DecryptItemChunks(src io.Reader, size int64, buf []byte, ik *ItemKey, fn func(plain []byte) error) (int64, error) {
	if len(buf) < ChunkBufferSize {
		return 0, fmt.Errorf("seal: chunk buffer of %d bytes, need %d", len(buf), ChunkBufferSize)
	}
	if size < 0 {
		return 0, tampered("negative size %d", size)
	}
	buf = buf[:sealedChunk]
	head := buf[:min(int64(headerWindow), size)]
	if _, err := io.ReadFull(src, head); err != nil {
		return 0, tampered("reading header: %v", err)
	}
	// The header ends with its MAC line, "--- " and base64; no line before
	// it starts so ("-> " opens a stanza, bodies are base64). headerFileKey
	// reads those bytes strictly and checks the MAC over them.
	end := bytes.Index(head, []byte("\n--- "))
	if end < 0 {
		return 0, tampered("no header in the first %d bytes", len(head))
	}
	eol := bytes.IndexByte(head[end+1:], '\n')
	if eol < 0 || end+1+eol+1+streamNonceSize > len(head) {
		return 0, tampered("header cut short or too long")
	}
	hdr := head[:end+1+eol+1]
	fileKey, err := k.headerFileKey(hdr, ik)
	if err != nil {
		if errors.Is(err, evidence.ErrLocked) || errors.Is(err, evidence.ErrShredded) || errors.Is(err, evidence.ErrForbidden) {
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

// headerFileKey returns the file key of an item's header, checked against
// its MAC. A header in the exact form sori writes (one sori-content stanza,
// canonical base64 lines) is read here, without the allocations of age's
// parser, which cost a tenth of a full verification; anything else, and
// anything that does not authenticate here, goes to age.DecryptHeader,
// whose verdict stands.
func (k *Keyring) headerFileKey(hdr []byte, ik *ItemKey) ([]byte, error) {
	if fk, ok := k.contentHeader(hdr, ik); ok {
		return fk, nil
	}
	return age.DecryptHeader(hdr, contentIdentity{k, ik})
}

const (
	contentIntro = "age-encryption.org/v1\n-> " + contentStanza + " "
	itemIntro    = "age-encryption.org/v1\n-> " + itemStanza + " "
)

// contentHeader reads "age-encryption.org/v1", one "-> sori-content GEN"
// or "-> sori-item HANDLE" stanza whose body is canonical base64 (full
// 64-column lines, then one shorter line, possibly empty) and the "---
// MAC" line; it reports false for any other form, or when the MAC does
// not match.
func (k *Keyring) contentHeader(hdr []byte, ik *ItemKey) ([]byte, bool) {
	typ := contentStanza
	rest, ok := bytes.CutPrefix(hdr, []byte(contentIntro))
	if !ok {
		if rest, ok = bytes.CutPrefix(hdr, []byte(itemIntro)); !ok || ik == nil {
			return nil, false
		}
		typ = itemStanza
	}
	arg, rest, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return nil, false
	}
	if typ == contentStanza {
		gen, err := strconv.Atoi(string(arg))
		if err != nil || strconv.Itoa(gen) != string(arg) {
			return nil, false
		}
	} else if string(arg) != ik.Handle {
		return nil, false
	}
	var b64 []byte
	for {
		line, after, ok := bytes.Cut(rest, []byte("\n"))
		if !ok || len(line) > 64 {
			return nil, false
		}
		b64, rest = append(b64, line...), after
		if len(line) < 64 {
			break
		}
	}
	macLine, ok := bytes.CutPrefix(rest, []byte("--- "))
	if !ok || len(macLine) != 44 || macLine[43] != '\n' {
		return nil, false
	}
	body, err := base64.RawStdEncoding.Strict().DecodeString(string(b64))
	if err != nil {
		return nil, false
	}
	var mac [32]byte
	if n, err := base64.RawStdEncoding.Strict().Decode(mac[:], macLine[:43]); err != nil || n != 32 {
		return nil, false
	}
	fileKey, err := contentIdentity{k, ik}.Unwrap([]*age.Stanza{{Type: typ, Args: []string{string(arg)}, Body: body}})
	if err != nil {
		return nil, false
	}
	macKey, err := hkdf.Key(sha256.New, fileKey, nil, "header", 32)
	if err != nil {
		return nil, false
	}
	h := hmac.New(sha256.New, macKey)
	h.Write(hdr[:len(hdr)-len(macLine)-1]) // through "---"
	if !hmac.Equal(h.Sum(nil), mac[:]) {
		return nil, false
	}
	return fileKey, true
}
