package seal

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// scryptKey derives a key with scrypt (RFC 7914) for N = 2^logN, block
// size r and parallelism p. It computes what golang.org/x/crypto/scrypt
// computes (TestScryptMatches checks both against RFC 7914's vectors and
// each other); it exists for the one cost that is not the KDF's own work:
// the 128·r·N bytes of memory a user-key unlock fills (128 MiB at sori's
// work factor) were faulted in one 4 KiB page at a time, as the first loop
// wrote them, which on the machines measured took as long as the hashing.
// Here another core touches that memory in from its end while the loop
// fills it from the start (faulter; each chunk first written by one of
// them only), asking the kernel to populate each chunk first where it can,
// and the memory is cleared before it is returned.
func scryptKey(password, salt []byte, logN, r, p, keyLen int) ([]byte, error) {
	if logN < 1 || logN > 30 || r < 1 || p < 1 || uint64(r)*uint64(p) >= 1<<30 || r > (1<<31-1)/128/(1<<logN) {
		return nil, errors.New("seal: scrypt parameters out of range")
	}
	n := 1 << logN
	words := 32 * r // one block of 128·r bytes, in little-endian words
	b, err := pbkdf2.Key(sha256.New, string(password), salt, 1, p*128*r)
	if err != nil {
		return nil, err
	}
	v := make([]uint32, words*n)
	x := make([]uint32, 2*words)
	for i := range p {
		blk := b[i*128*r : (i+1)*128*r]
		for j := range words {
			x[j] = binary.LittleEndian.Uint32(blk[4*j:])
		}
		roMix(x, v, n, r, i == 0)
		for j := range words {
			binary.LittleEndian.PutUint32(blk[4*j:], x[j])
		}
	}
	clear(v)
	clear(x)
	dk, err := pbkdf2.Key(sha256.New, string(password), b, 1, keyLen)
	clear(b)
	// The table is garbage now, and its pages are faulted in: collected at
	// once (~1 ms, little else is live during an unlock), they serve what
	// the process allocates next, which would otherwise fault in fresh
	// pages of its own (measured: 50 ms of a full verification).
	v = nil
	runtime.GC()
	return dk, err
}

// roMix is scryptROMix over x[:32r] (x[32r:] is scratch), with v the
// N-block table. The first time, v is fresh memory: prefault touches it in
// from its end down while the first loop fills it from the start.
func roMix(x, v []uint32, n, r int, fresh bool) {
	words := 32 * r
	a, t := x[:words], x[words:]
	f := newFaulter(v)
	if fresh {
		go f.prefault()
	} else {
		close(f.done)
		f.next = 0
	}
	// V_0 = X; V_i+1 = BlockMix(V_i), computed in place in v; X = BlockMix(V_N-1).
	mine := f.claim(words)
	copy(v, a)
	for i := range n - 1 {
		if end := (i + 2) * words; end > mine {
			mine = f.claim(end)
		}
		blockMix(v[i*words:(i+1)*words], nil, v[(i+1)*words:(i+2)*words], r)
	}
	f.claim(len(v)) // and so prefault has finished
	blockMix(v[(n-1)*words:], nil, a, r)
	for range n {
		j := int(a[words-16]) & (n - 1)
		blockMix(a, v[j*words:(j+1)*words], t, r)
		a, t = t, a
	}
	if &a[0] != &x[0] {
		copy(x[:words], a)
	}
}

// faulter shares out the first touch of a fresh table between the first
// loop (from the start) and prefault (from the end, on another core), in
// chunks of 2 MiB: each chunk is written first by one of them only, and
// the loop enters prefault's chunks only after prefault has returned.
type faulter struct {
	v       []uint32
	mu      sync.Mutex
	next    int // prefault's lowest chunk; those from here up are its
	reached int // the loop's highest chunk (-1: none yet); prefault stops above it
	done    chan struct{}
}

const faultChunk = 2 << 20 / 4 // words

func newFaulter(v []uint32) *faulter {
	return &faulter{v: v, next: (len(v) + faultChunk - 1) / faultChunk, reached: -1, done: make(chan struct{})}
}

// claim lets the loop write v[:end]; it returns how far it may write.
func (f *faulter) claim(end int) int {
	c := (end - 1) / faultChunk
	f.mu.Lock()
	if c < f.next {
		from := (f.reached + 1) * faultChunk
		f.reached = c
		f.mu.Unlock()
		if to := min((c+1)*faultChunk, len(f.v)); from < to {
			populate(asBytes(f.v[from:to]))
		}
		return min((c+1)*faultChunk, len(f.v))
	}
	f.mu.Unlock()
	<-f.done
	return len(f.v)
}

// prefault populates and writes the table's pages, chunk by chunk from the
// end, until the next chunk down is the loop's.
func (f *faulter) prefault() {
	defer close(f.done)
	for {
		f.mu.Lock()
		c := f.next - 1
		if c <= f.reached {
			f.mu.Unlock()
			return
		}
		f.next = c
		f.mu.Unlock()
		chunk := f.v[c*faultChunk : min((c+1)*faultChunk, len(f.v))]
		populate(asBytes(chunk))
		for k := 0; k < len(chunk); k += 1024 { // one word a page
			chunk[k] = 0
		}
	}
}

func asBytes(v []uint32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

// blockMix is scryptBlockMix with Salsa20/8 over in XOR with (when not
// nil) in2, each 2r 64-byte blocks: out gets the even-numbered outputs
// first, then the odd ones. out must not overlap the inputs.
func blockMix(in, in2, out []uint32, r int) {
	s := *(*[16]uint32)(in[(2*r-1)*16:])
	if in2 != nil {
		l2 := (*[16]uint32)(in2[(2*r-1)*16:])
		for k := range s {
			s[k] ^= l2[k]
		}
	}
	for i := range 2 * r {
		blk := (*[16]uint32)(in[i*16:])
		if in2 != nil {
			blk2 := (*[16]uint32)(in2[i*16:])
			for k := range s {
				s[k] ^= blk[k] ^ blk2[k]
			}
		} else {
			for k := range s {
				s[k] ^= blk[k]
			}
		}
		salsa8(&s)
		o := (i / 2) * 16
		if i&1 == 1 {
			o += r * 16
		}
		*(*[16]uint32)(out[o:]) = s
	}
}

// salsa8 is the Salsa20/8 core (RFC 7914 section 3): four double rounds
// over the 4×4 state, then the input added back.
func salsa8(s *[16]uint32) {
	x0, x1, x2, x3 := s[0], s[1], s[2], s[3]
	x4, x5, x6, x7 := s[4], s[5], s[6], s[7]
	x8, x9, x10, x11 := s[8], s[9], s[10], s[11]
	x12, x13, x14, x15 := s[12], s[13], s[14], s[15]
	for range 4 {
		// Columns.
		x4 ^= bits.RotateLeft32(x0+x12, 7)
		x8 ^= bits.RotateLeft32(x4+x0, 9)
		x12 ^= bits.RotateLeft32(x8+x4, 13)
		x0 ^= bits.RotateLeft32(x12+x8, 18)
		x9 ^= bits.RotateLeft32(x5+x1, 7)
		x13 ^= bits.RotateLeft32(x9+x5, 9)
		x1 ^= bits.RotateLeft32(x13+x9, 13)
		x5 ^= bits.RotateLeft32(x1+x13, 18)
		x14 ^= bits.RotateLeft32(x10+x6, 7)
		x2 ^= bits.RotateLeft32(x14+x10, 9)
		x6 ^= bits.RotateLeft32(x2+x14, 13)
		x10 ^= bits.RotateLeft32(x6+x2, 18)
		x3 ^= bits.RotateLeft32(x15+x11, 7)
		x7 ^= bits.RotateLeft32(x3+x15, 9)
		x11 ^= bits.RotateLeft32(x7+x3, 13)
		x15 ^= bits.RotateLeft32(x11+x7, 18)
		// Rows.
		x1 ^= bits.RotateLeft32(x0+x3, 7)
		x2 ^= bits.RotateLeft32(x1+x0, 9)
		x3 ^= bits.RotateLeft32(x2+x1, 13)
		x0 ^= bits.RotateLeft32(x3+x2, 18)
		x6 ^= bits.RotateLeft32(x5+x4, 7)
		x7 ^= bits.RotateLeft32(x6+x5, 9)
		x4 ^= bits.RotateLeft32(x7+x6, 13)
		x5 ^= bits.RotateLeft32(x4+x7, 18)
		x11 ^= bits.RotateLeft32(x10+x9, 7)
		x8 ^= bits.RotateLeft32(x11+x10, 9)
		x9 ^= bits.RotateLeft32(x8+x11, 13)
		x10 ^= bits.RotateLeft32(x9+x8, 18)
		x12 ^= bits.RotateLeft32(x15+x14, 7)
		x13 ^= bits.RotateLeft32(x12+x15, 9)
		x14 ^= bits.RotateLeft32(x13+x12, 13)
		x15 ^= bits.RotateLeft32(x14+x13, 18)
	}
	s[0] += x0
	s[1] += x1
	s[2] += x2
	s[3] += x3
	s[4] += x4
	s[5] += x5
	s[6] += x6
	s[7] += x7
	s[8] += x8
	s[9] += x9
	s[10] += x10
	s[11] += x11
	s[12] += x12
	s[13] += x13
	s[14] += x14
	s[15] += x15
}

// scryptIdentity opens age's passphrase stanza (age-encryption.org/v1,
// "scrypt recipient stanza") with scryptKey: what age.ScryptIdentity
// does, by the same rules, with the unlock's memory prefaulted.
type scryptIdentity struct {
	passphrase []byte
}

// maxWorkFactor is the highest scrypt work factor opened, as in age and
// as Seal allows: 2^22 is 4 GiB of memory.
const maxWorkFactor = 22

const scryptLabel = "age-encryption.org/v1/scrypt"

func (i scryptIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, s := range stanzas {
		if s.Type == "scrypt" && len(stanzas) != 1 {
			return nil, errors.New("an scrypt stanza must be the header's only one")
		}
	}
	if len(stanzas) != 1 || stanzas[0].Type != "scrypt" {
		return nil, fmt.Errorf("%w: not passphrase-encrypted", age.ErrIncorrectIdentity)
	}
	s := stanzas[0]
	if len(s.Args) != 2 || strings.ContainsAny(s.Args[0], "\r\n") {
		return nil, errors.New("invalid scrypt stanza")
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(s.Args[0])
	if err != nil || len(salt) != 16 {
		return nil, errors.New("invalid scrypt stanza salt")
	}
	w := s.Args[1]
	if w == "" || w[0] < '1' || w[0] > '9' || strings.Trim(w, "0123456789") != "" || len(w) > 2 {
		return nil, fmt.Errorf("scrypt work factor encoding invalid: %q", w)
	}
	logN, _ := strconv.Atoi(w)
	if logN > maxWorkFactor {
		return nil, fmt.Errorf("scrypt work factor too large: %d", logN)
	}
	key, err := scryptKey(i.passphrase, append([]byte(scryptLabel), salt...), logN, 8, 1, chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	if len(s.Body) != 16+aead.Overhead() {
		return nil, errors.New("invalid scrypt stanza: incorrect file key size")
	}
	fileKey, err := aead.Open(nil, make([]byte, chacha20poly1305.NonceSize), s.Body, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: incorrect passphrase", age.ErrIncorrectIdentity)
	}
	return fileKey, nil
}
