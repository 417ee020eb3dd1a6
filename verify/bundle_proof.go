package verify

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/transparency-dev/formats/proof"

	"sori/internal/bundle"
	"sori/internal/custody"
	"sori/internal/evidence"
)

// checkProofFile checks a C2SP tlog-proof of leaf against checkpoint cpNote:
// canonical encoding (so that no byte can change without failing), the
// checkpoint is byte for byte the bundle's, its signature, and the
// inclusion of the leaf. It returns the proven index.
func checkProofFile(b, leaf, cpNote []byte, origin, vkey string) (int64, error) {
	var p proof.TLogProof
	if err := p.Unmarshal(b); err != nil {
		return 0, fmt.Errorf("%w: tlog-proof: %v", evidence.ErrTampered, err)
	}
	if !bytes.Equal(p.Marshal(), b) {
		return 0, fmt.Errorf("%w: tlog-proof is not in canonical form", evidence.ErrTampered)
	}
	if err := canonicalNote(p.Checkpoint); err != nil {
		return 0, err
	}
	if cpNote != nil && !bytes.Equal(p.Checkpoint, cpNote) {
		return 0, fmt.Errorf("%w: the proof is against another checkpoint than %s", evidence.ErrTampered, bundle.CheckpointFile)
	}
	_, idx, err := custody.CheckProof(b, leaf, origin, vkey)
	return idx, err
}

// canonicalNote refuses a signed note whose signature lines are not
// canonical base64: golang.org/x/mod/sumdb/note ignores the unused low bits
// of the last base64 digit, so without this a changed byte could go
// unnoticed.
func canonicalNote(note []byte) error {
	i := bytes.LastIndex(note, []byte("\n\n"))
	if i < 0 {
		return fmt.Errorf("%w: checkpoint is not a signed note", evidence.ErrTampered)
	}
	sc := bufio.NewScanner(bytes.NewReader(note[i+2:]))
	for sc.Scan() {
		f := strings.Split(sc.Text(), " ")
		if len(f) != 3 {
			return fmt.Errorf("%w: checkpoint signature line is malformed", evidence.ErrTampered)
		}
		raw, err := base64.StdEncoding.Strict().DecodeString(f[2])
		if err != nil || base64.StdEncoding.EncodeToString(raw) != f[2] {
			return fmt.Errorf("%w: checkpoint signature is not canonical base64", evidence.ErrTampered)
		}
	}
	return nil
}

// strictJSON decodes one JSON value, refusing unknown fields and trailing data.
func strictJSON(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// fileSums returns the SHA-256 and SHA-512 of a file, read once.
func fileSums(p string) (sum256, sum512 []byte, err error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	h, h512 := sha256.New(), sha512.New()
	if _, err := io.Copy(io.MultiWriter(h, h512), f); err != nil {
		return nil, nil, err
	}
	return h.Sum(nil), h512.Sum(nil), nil
}
