package seal

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strconv"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"sori/internal/evidence"
)

// Items are stored as age files (age-encryption.org/v1) whose header holds
// one stanza of type "sori-content":
//
//	-> sori-content <generation>
//	base64(nonce[24] ‖ XChaCha20-Poly1305(content key, nonce, file key, ad))
//
// with ad = "sori-content <generation>". Wrapping the 16-byte file key with
// a symmetric key costs microseconds, where an X25519 stanza costs two
// scalar multiplications (~0.2 ms here), which would dominate the intake of
// small files. The payload is standard age STREAM: an export re-headers the
// same payload for an outside recipient without re-encrypting it.
const contentStanza = "sori-content"

type contentRecipient struct {
	gen int
	key [32]byte
}

func (r contentRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	aead, err := chacha20poly1305.NewX(r.key[:])
	if err != nil {
		return nil, err
	}
	arg := strconv.Itoa(r.gen)
	nonce := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(fileKey)+aead.Overhead())
	rand.Read(nonce)
	body := aead.Seal(nonce, nonce, fileKey, []byte(contentStanza+" "+arg))
	return []*age.Stanza{{Type: contentStanza, Args: []string{arg}, Body: body}}, nil
}

// contentIdentity opens an item's header: a sori-content stanza with the
// keyring's content keys, a sori-item stanza with the item's key row item
// (nil when the item has none: taken in before per-item keys, or
// shredded).
type contentIdentity struct {
	ring *Keyring
	item *ItemKey
}

func (i contentIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, s := range stanzas {
		if s.Type == itemStanza {
			return i.ring.unwrapItemStanza(s, i.item)
		}
		if s.Type != contentStanza || len(s.Args) != 1 {
			continue
		}
		gen, err := strconv.Atoi(s.Args[0])
		if err != nil {
			return nil, fmt.Errorf("bad %s stanza", contentStanza)
		}
		key, ok := i.ring.Content[gen]
		if !ok {
			return nil, fmt.Errorf("%w: no content key of generation %d", evidence.ErrLocked, gen)
		}
		aead, err := chacha20poly1305.NewX(key[:])
		if err != nil {
			return nil, err
		}
		if len(s.Body) != chacha20poly1305.NonceSizeX+16+aead.Overhead() {
			return nil, fmt.Errorf("bad %s stanza length", contentStanza)
		}
		nonce, ct := s.Body[:chacha20poly1305.NonceSizeX], s.Body[chacha20poly1305.NonceSizeX:]
		fk, err := aead.Open(nil, nonce, ct, []byte(contentStanza+" "+s.Args[0]))
		if err != nil {
			return nil, fmt.Errorf("%s stanza does not authenticate", contentStanza)
		}
		return fk, nil
	}
	return nil, age.ErrIncorrectIdentity
}

// EncryptItem returns a writer that encrypts an item's bytes to dst as one
// age file under the content key of generation gen. Close finishes the
// stream (it does not close dst).
func (k *Keyring) EncryptItem(dst io.Writer, gen int) (io.WriteCloser, error) {
	key, ok := k.Content[gen]
	if !ok {
		return nil, fmt.Errorf("%w: no content key of generation %d", evidence.ErrLocked, gen)
	}
	return age.Encrypt(dst, contentRecipient{gen: gen, key: key})
}

// DecryptItem returns the plaintext of an item's age file read from src;
// ik is the item's key row (nil if it has none). Every 64 KiB chunk is
// authenticated before it is returned; an altered, truncated or foreign
// file gives an error wrapping evidence.ErrTampered, at the latest at the
// end of the stream; an item whose key was shredded, evidence.ErrShredded.
func (k *Keyring) DecryptItem(src io.Reader, ik *ItemKey) (io.Reader, error) {
	r, err := age.Decrypt(src, contentIdentity{k, ik})
	if err != nil {
		if errors.Is(err, evidence.ErrLocked) || errors.Is(err, evidence.ErrShredded) || errors.Is(err, evidence.ErrForbidden) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", evidence.ErrTampered, err)
	}
	return tamperReader{r}, nil
}

// tamperReader marks stream errors as tampering: age reports a chunk that
// fails authentication, or a stream cut short, as a plain error.
type tamperReader struct{ r io.Reader }

func (t tamperReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("%w: %v", evidence.ErrTampered, err)
	}
	return n, err
}

// ItemReaderAt returns the plaintext of an item's age file, of size bytes
// read from src (with its key row ik, nil if it has none), as a ReaderAt,
// and the plaintext's length: a reader of one
// passage decrypts only the 64 KiB chunks that hold it (age's
// DecryptReaderAt), plus the final chunk, which is decrypted here to
// authenticate the length. Every chunk read is authenticated under the
// item's own file key; a header, chunk or length that does not
// authenticate gives an error wrapping evidence.ErrTampered. It does not,
// and cannot, check the item's SHA-256 (that needs every byte): a reader
// that must know it holds the recorded item reads it whole (DecryptItem).
// The ReaderAt is safe for concurrent use and holds one decrypted chunk.
func (k *Keyring) ItemReaderAt(src io.ReaderAt, size int64, ik *ItemKey) (io.ReaderAt, int64, error) {
	r, n, err := age.DecryptReaderAt(src, size, contentIdentity{k, ik})
	if err != nil {
		if errors.Is(err, evidence.ErrLocked) || errors.Is(err, evidence.ErrShredded) || errors.Is(err, evidence.ErrForbidden) {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("%w: %v", evidence.ErrTampered, err)
	}
	return tamperReaderAt{r}, n, nil
}

// tamperReaderAt marks chunk errors as tampering, as tamperReader does.
type tamperReaderAt struct{ r io.ReaderAt }

func (t tamperReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := t.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("%w: %v", evidence.ErrTampered, err)
	}
	return n, err
}
