// Package tsa is a small RFC 3161 time-stamp client: it builds a
// TimeStampReq for a SHA-256 digest, sends it to a time-stamping authority
// over HTTP (RFC 3161 §3.4), and parses and verifies the TimeStampToken it
// gets back (a CMS SignedData, RFC 5652, holding a TSTInfo).
//
// Only what sori needs is implemented: SHA-256 message imprints; signer
// digests SHA-256/384/512; RSA PKCS #1 v1.5, ECDSA and Ed25519 signatures
// over signed attributes (which RFC 3161 tokens always carry). Everything
// is parsed with encoding/asn1 and verified with crypto/x509; a parse or
// verification failure wraps evidence.ErrTampered, a bad argument
// evidence.ErrInvalid.
package tsa

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"time"

	"sori/internal/evidence"
)

// OIDs used by RFC 3161 and RFC 5652.
var (
	oidSHA256       = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384       = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512       = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidSignedData   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigst = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
)

// messageImprint is RFC 3161's MessageImprint.
type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

// timeStampReq is RFC 3161's TimeStampReq (without reqPolicy and
// extensions, which sori does not send).
type timeStampReq struct {
	Version        int
	MessageImprint messageImprint
	Nonce          *big.Int `asn1:"optional"`
	CertReq        bool     `asn1:"optional"`
}

// Request is a time-stamp request for one SHA-256 digest.
type Request struct {
	Digest [32]byte
	Nonce  *big.Int // random, positive; echoed in the token
}

// Marshal encodes the request in DER, asking for the TSA's certificate in
// the token (certReq TRUE).
func (r Request) Marshal() ([]byte, error) {
	if r.Nonce == nil || r.Nonce.Sign() <= 0 {
		return nil, fmt.Errorf("%w: time-stamp request without a positive nonce", evidence.ErrInvalid)
	}
	return asn1.Marshal(timeStampReq{
		Version: 1,
		MessageImprint: messageImprint{
			HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue},
			HashedMessage: r.Digest[:],
		},
		Nonce:   r.Nonce,
		CertReq: true,
	})
}

// pkiStatusInfo is RFC 3161's PKIStatusInfo.
type pkiStatusInfo struct {
	Status       int
	StatusString []string       `asn1:"optional,utf8"`
	FailInfo     asn1.BitString `asn1:"optional"`
}

// timeStampResp is RFC 3161's TimeStampResp.
type timeStampResp struct {
	Status pkiStatusInfo
	Token  asn1.RawValue `asn1:"optional"`
}

// ParseResponse decodes a TimeStampResp and returns the DER of its
// TimeStampToken, which must be granted (status 0 or 1) and parse. It does
// not check what the token stamps (see Token.Check).
func ParseResponse(der []byte) ([]byte, *Token, error) {
	var resp timeStampResp
	rest, err := asn1.Unmarshal(der, &resp)
	if err != nil || len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: time-stamp response is not DER TimeStampResp", evidence.ErrTampered)
	}
	if resp.Status.Status != 0 && resp.Status.Status != 1 {
		return nil, nil, fmt.Errorf("%w: the TSA refused: status %d %s", evidence.ErrTampered, resp.Status.Status, clean(strings.Join(resp.Status.StatusString, "; ")))
	}
	if len(resp.Token.FullBytes) == 0 {
		return nil, nil, fmt.Errorf("%w: time-stamp response without a token", evidence.ErrTampered)
	}
	t, err := ParseToken(resp.Token.FullBytes)
	if err != nil {
		return nil, nil, err
	}
	return resp.Token.FullBytes, t, nil
}

// clean keeps a TSA's status text printable and short for an error.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// accuracy is RFC 3161's Accuracy.
type accuracy struct {
	Seconds int `asn1:"optional"`
	Millis  int `asn1:"optional,tag:0"`
	Micros  int `asn1:"optional,tag:1"`
}

// tstInfo is RFC 3161's TSTInfo.
type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        asn1.RawValue
	Accuracy       accuracy      `asn1:"optional"`
	Ordering       bool          `asn1:"optional"`
	Nonce          *big.Int      `asn1:"optional"`
	TSA            asn1.RawValue `asn1:"optional,tag:0"`
	Extensions     asn1.RawValue `asn1:"optional,tag:1"`
}

// Info is what a token says: which digest was stamped, when, by which
// policy, with which serial number and nonce.
type Info struct {
	Digest   []byte // the message imprint's hashed message
	SHA256   bool   // the imprint's algorithm is SHA-256
	GenTime  time.Time
	Accuracy time.Duration // 0: not stated
	Serial   *big.Int
	Nonce    *big.Int // nil: none
	Policy   asn1.ObjectIdentifier
}

func parseTSTInfo(der []byte) (Info, error) {
	var ti tstInfo
	rest, err := asn1.Unmarshal(der, &ti)
	if err != nil || len(rest) != 0 {
		return Info{}, fmt.Errorf("%w: TSTInfo: %v", evidence.ErrTampered, errOr(err, "trailing data"))
	}
	if ti.Version != 1 || ti.SerialNumber == nil {
		return Info{}, fmt.Errorf("%w: TSTInfo version %d", evidence.ErrTampered, ti.Version)
	}
	gt, err := generalizedTime(ti.GenTime)
	if err != nil {
		return Info{}, err
	}
	acc := time.Duration(ti.Accuracy.Seconds)*time.Second + time.Duration(ti.Accuracy.Millis)*time.Millisecond + time.Duration(ti.Accuracy.Micros)*time.Microsecond
	return Info{
		Digest:   ti.MessageImprint.HashedMessage,
		SHA256:   ti.MessageImprint.HashAlgorithm.Algorithm.Equal(oidSHA256),
		GenTime:  gt,
		Accuracy: acc,
		Serial:   ti.SerialNumber,
		Nonce:    ti.Nonce,
		Policy:   ti.Policy,
	}, nil
}

// generalizedTime parses RFC 3161's genTime: GeneralizedTime in UTC
// ("Z"), with optional fractional seconds (no trailing zeros).
func generalizedTime(v asn1.RawValue) (time.Time, error) {
	if v.Class != asn1.ClassUniversal || v.Tag != asn1.TagGeneralizedTime || v.IsCompound {
		return time.Time{}, fmt.Errorf("%w: TSTInfo genTime is not a GeneralizedTime", evidence.ErrTampered)
	}
	s := string(v.Bytes)
	base, frac, hasFrac := strings.Cut(strings.TrimSuffix(s, "Z"), ".")
	bad := !strings.HasSuffix(s, "Z") || len(base) != 14 || hasFrac && (frac == "" || strings.HasSuffix(frac, "0") || len(frac) > 9)
	for _, c := range base + frac {
		bad = bad || c < '0' || c > '9'
	}
	if bad {
		return time.Time{}, fmt.Errorf("%w: TSTInfo genTime %q is not YYYYMMDDhhmmss[.f]Z", evidence.ErrTampered, clean(s))
	}
	t, err := time.Parse("20060102150405", base)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: TSTInfo genTime %q: %v", evidence.ErrTampered, clean(s), err)
	}
	if hasFrac {
		ns := frac + strings.Repeat("0", 9-len(frac))
		var n int64
		for _, c := range ns {
			n = n*10 + int64(c-'0')
		}
		t = t.Add(time.Duration(n))
	}
	return t.UTC(), nil
}

// Digest is SHA-256 of data: what a request for data stamps.
func Digest(data []byte) [32]byte { return sha256.Sum256(data) }

// Check verifies that the token stamps digest (SHA-256) and, if nonce is
// not nil, echoes it. It does not verify the TSA's signature (Verify).
func (t *Token) Check(digest [32]byte, nonce *big.Int) error {
	if !t.Info.SHA256 || !bytes.Equal(t.Info.Digest, digest[:]) {
		return fmt.Errorf("%w: the time-stamp token is of another message (its imprint is not the SHA-256 of what was stamped)", evidence.ErrTampered)
	}
	if nonce != nil && (t.Info.Nonce == nil || t.Info.Nonce.Cmp(nonce) != 0) {
		return fmt.Errorf("%w: the time-stamp token does not echo the request's nonce", evidence.ErrTampered)
	}
	return nil
}

func errOr(err error, s string) any {
	if err != nil {
		return err
	}
	return s
}
