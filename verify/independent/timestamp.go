package independent

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Tag files of the optional time stamp (step 11).
const (
	TimestampCheckpointFile = "sori-timestamp-checkpoint.txt"
	TimestampTokenFile      = "sori-timestamp.tsr"
	TimestampProofFile      = "sori-timestamp-proof.txt"
	ConsistencyHeader       = "sori-consistency-proof/v1"
)

// step11 checks the optional time stamp: the stamped checkpoint (as in
// step 3), the consistency proof from it to the bundle's checkpoint (step
// 10's format and RFC 9162 §2.1.4.2), that the token's TSTInfo stamps
// SHA-256 of the stamped note text, and, with tsaCert (the TSA's
// certificate or its CA's, which a bundle does not carry), the TSA's
// signature (step 11.4).
func (c *checker) step11(tsaCert *x509.Certificate) {
	names := []string{TimestampCheckpointFile, TimestampTokenFile, TimestampProofFile}
	n := 0
	for _, f := range names {
		if c.files[f] {
			n++
		}
	}
	if n == 0 {
		return
	}
	if n != len(names) {
		c.fail("step 11: %d of the 3 time-stamp files are present", n)
		return
	}
	if !c.keyOK || !c.cpOK {
		return
	}
	note := c.read(TimestampCheckpointFile)
	stamped, err := c.chain.OpenCheckpoint(note)
	if err != nil {
		c.fail("%s: %v", TimestampCheckpointFile, err)
		return
	}
	m, nn, path, err := ParseConsistency(c.read(TimestampProofFile))
	if err == nil && (m != stamped.Size || nn != c.cp.Size) {
		err = fmt.Errorf("the proof is from %d to %d entries, the checkpoints have %d and %d", m, nn, stamped.Size, c.cp.Size)
	}
	if err == nil && !VerifyConsistency(m, nn, stamped.Root, c.cp.Root, path) {
		err = errors.New("the consistency proof does not verify")
	}
	if err != nil {
		c.fail("%s: %v", TimestampProofFile, err)
		return
	}
	text := note[:bytes.LastIndex(note, []byte("\n\n"))+1]
	want := sha256.Sum256(text)
	imprint, err := TokenImprint(c.read(TimestampTokenFile))
	if err != nil {
		c.fail("%s: %v", TimestampTokenFile, err)
		return
	}
	if !bytes.Equal(imprint, want[:]) {
		c.fail("%s: the token does not stamp SHA-256 of the stamped checkpoint's note text", TimestampTokenFile)
		return
	}
	if tsaCert == nil {
		return
	}
	if _, err := VerifyTokenSignature(c.read(TimestampTokenFile), tsaCert); err != nil {
		c.fail("%s: %v", TimestampTokenFile, err)
	}
}

// ParseConsistency parses a consistency proof (step 10): the header line,
// "consistency M N", then base64 hashes, every line ending in a newline,
// nothing that does not re-encode to the same text.
func ParseConsistency(b []byte) (m, n uint64, path []Hash, err error) {
	s := string(b)
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if !strings.HasSuffix(s, "\n") || len(lines) < 2 || lines[0] != ConsistencyHeader {
		return 0, 0, nil, errors.New("not a " + ConsistencyHeader + " proof")
	}
	f := strings.Split(lines[1], " ")
	if len(f) != 3 || f[0] != "consistency" {
		return 0, 0, nil, errors.New(`second line is not "consistency M N"`)
	}
	if m, err = decimal(f[1]); err == nil {
		n, err = decimal(f[2])
	}
	if err != nil || m < 1 || m > n {
		return 0, 0, nil, fmt.Errorf("bad sizes %q", lines[1])
	}
	for _, l := range lines[2:] {
		h, err := strictBase64(l)
		if err != nil || len(h) != 32 || base64.StdEncoding.EncodeToString(h) != l {
			return 0, 0, nil, fmt.Errorf("line %q is not base64 of 32 bytes", l)
		}
		path = append(path, Hash(h))
	}
	return m, n, path, nil
}

// VerifyConsistency is RFC 9162 §2.1.4.2: path proves that the tree of
// size first with root firstRoot is a prefix of the tree of size second
// with root secondRoot.
func VerifyConsistency(first, second uint64, firstRoot, secondRoot Hash, path []Hash) bool {
	if first == second {
		return len(path) == 0 && firstRoot == secondRoot
	}
	if first&(first-1) == 0 {
		path = append([]Hash{firstRoot}, path...)
	}
	if len(path) == 0 {
		return false
	}
	fn, sn := first-1, second-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			fr, sr = nodeHash(c, fr), nodeHash(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = nodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	return fr == firstRoot && sr == secondRoot && sn == 0
}

// The RFC 3161 / RFC 5652 structures on the way to the message imprint.
type tsContentInfo struct {
	Type    asn1.ObjectIdentifier
	Content asn1.RawValue `asn1:"explicit,tag:0"`
}

type tsSignedData struct {
	Version     int
	Digests     asn1.RawValue
	Encap       tsEncap
	Certs       asn1.RawValue `asn1:"optional,tag:0"`
	CRLs        asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos asn1.RawValue
}

type tsEncap struct {
	Type    asn1.ObjectIdentifier
	Content []byte `asn1:"explicit,tag:0"`
}

type tsInfoHead struct {
	Version int
	Policy  asn1.ObjectIdentifier
	Imprint struct {
		Algorithm struct {
			OID    asn1.ObjectIdentifier
			Params asn1.RawValue `asn1:"optional"`
		}
		Hashed []byte
	}
	// serialNumber, genTime and the rest follow; this step does not need
	// them (encoding/asn1 accepts a SEQUENCE with more elements).
}

var (
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidSHA256     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

// TokenImprint returns the SHA-256 message imprint of an RFC 3161
// TimeStampToken (step 11.3): ContentInfo → SignedData → eContent (a
// TSTInfo) → messageImprint, whose algorithm must be SHA-256.
func TokenImprint(der []byte) ([]byte, error) {
	var ci tsContentInfo
	if rest, err := asn1.Unmarshal(der, &ci); err != nil || len(rest) != 0 || !ci.Type.Equal(oidSignedData) {
		return nil, errors.New("not a DER CMS SignedData ContentInfo")
	}
	var sd tsSignedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) != 0 || !sd.Encap.Type.Equal(oidTSTInfo) {
		return nil, errors.New("the SignedData does not hold a TSTInfo")
	}
	var ti tsInfoHead
	if rest, err := asn1.Unmarshal(sd.Encap.Content, &ti); err != nil || len(rest) != 0 || ti.Version != 1 {
		return nil, errors.New("malformed TSTInfo")
	}
	if !ti.Imprint.Algorithm.OID.Equal(oidSHA256) || len(ti.Imprint.Hashed) != sha256.Size {
		return nil, errors.New("the message imprint is not SHA-256")
	}
	return ti.Imprint.Hashed, nil
}
