package tsa

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"sori/internal/evidence"
)

// More OIDs: signature algorithms a signer info may name.
var (
	oidRSA           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSASHA384   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSASHA512   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidEd25519       = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// contentInfo is RFC 5652's ContentInfo.
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

// signedData is RFC 5652's SignedData.
type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     []byte `asn1:"explicit,tag:0"`
}

// signerInfo is RFC 5652's SignerInfo; SID is IssuerAndSerialNumber or
// [0] SubjectKeyIdentifier.
type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

// Token is a parsed TimeStampToken.
type Token struct {
	Info  Info
	Certs []*x509.Certificate // certificates the token carries (may be none)

	signer   signerInfo
	eContent []byte // the DER TSTInfo the signature covers
}

// TSTInfo returns the DER TSTInfo the TSA signed.
func (t *Token) TSTInfo() []byte { return t.eContent }

// Signature returns the TSA's signature bytes.
func (t *Token) Signature() []byte { return t.signer.Signature }

// ParseToken decodes a TimeStampToken (DER ContentInfo of SignedData with
// one signer and a TSTInfo). It does not verify the signature (Verify).
func ParseToken(der []byte) (*Token, error) {
	bad := func(format string, a ...any) (*Token, error) {
		return nil, fmt.Errorf("%w: time-stamp token: %s", evidence.ErrTampered, fmt.Sprintf(format, a...))
	}
	var ci contentInfo
	if rest, err := asn1.Unmarshal(der, &ci); err != nil || len(rest) != 0 {
		return bad("not a DER ContentInfo")
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return bad("not CMS SignedData")
	}
	var sd signedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) != 0 {
		return bad("malformed SignedData")
	}
	if !sd.EncapContentInfo.EContentType.Equal(oidTSTInfo) || len(sd.EncapContentInfo.EContent) == 0 {
		return bad("the signed content is not a TSTInfo")
	}
	if len(sd.SignerInfos) != 1 {
		return bad("%d signers, want 1", len(sd.SignerInfos))
	}
	info, err := parseTSTInfo(sd.EncapContentInfo.EContent)
	if err != nil {
		return nil, err
	}
	t := &Token{Info: info, signer: sd.SignerInfos[0], eContent: sd.EncapContentInfo.EContent}
	if len(sd.Certificates.Bytes) > 0 {
		if t.Certs, err = x509.ParseCertificates(sd.Certificates.Bytes); err != nil {
			return bad("its certificates: %v", err)
		}
	}
	if len(t.signer.SignedAttrs.FullBytes) == 0 {
		return bad("no signed attributes")
	}
	return t, nil
}

// Verify checks the TSA's signature on the token with tsaCert: either the
// signer's own certificate, or a CA certificate that a certificate carried
// in the token and matching the signer chains to. The signing certificate
// must be valid at the token's genTime and allow time stamping
// (extended key usage id-kp-timeStamping).
func (t *Token) Verify(tsaCert *x509.Certificate) error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%w: time-stamp token: %s", evidence.ErrTampered, fmt.Sprintf(format, a...))
	}
	signer := t.findSigner(tsaCert)
	if signer == nil {
		return fail("its signer is neither the TSA certificate given nor a certificate issued by it")
	}
	if signer != tsaCert {
		pool := x509.NewCertPool()
		pool.AddCert(tsaCert)
		inter := x509.NewCertPool()
		for _, c := range t.Certs {
			inter.AddCert(c)
		}
		if _, err := signer.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, CurrentTime: t.Info.GenTime,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
			return fail("the signer's certificate does not chain to the TSA certificate given: %v", err)
		}
	} else {
		if t.Info.GenTime.Before(signer.NotBefore) || t.Info.GenTime.After(signer.NotAfter) {
			return fail("genTime %s is outside the TSA certificate's validity", t.Info.GenTime.Format(time.RFC3339))
		}
		ok := false
		for _, u := range signer.ExtKeyUsage {
			ok = ok || u == x509.ExtKeyUsageTimeStamping
		}
		if !ok {
			return fail("the TSA certificate given does not allow time stamping")
		}
	}
	h, err := hashFor(t.signer.DigestAlgorithm.Algorithm)
	if err != nil {
		return fail("%v", err)
	}
	// The signed attributes are signed as a DER SET (RFC 5652 §5.4).
	signed := bytes.Clone(t.signer.SignedAttrs.FullBytes)
	signed[0] = 0x31
	var attrs []attribute
	if rest, err := asn1.UnmarshalWithParams(signed, &attrs, "set"); err != nil || len(rest) != 0 {
		return fail("malformed signed attributes")
	}
	var gotType, gotDigest bool
	for _, a := range attrs {
		if len(a.Values) != 1 {
			return fail("attribute %v has %d values", a.Type, len(a.Values))
		}
		switch {
		case a.Type.Equal(oidContentType):
			var ct asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(a.Values[0].FullBytes, &ct); err != nil || !ct.Equal(oidTSTInfo) || gotType {
				return fail("content-type attribute is not id-ct-TSTInfo")
			}
			gotType = true
		case a.Type.Equal(oidMessageDigst):
			var d []byte
			if _, err := asn1.Unmarshal(a.Values[0].FullBytes, &d); err != nil || gotDigest {
				return fail("malformed message-digest attribute")
			}
			hh := h.New()
			hh.Write(t.eContent)
			if !bytes.Equal(hh.Sum(nil), d) {
				return fail("the signed digest is not of the TSTInfo")
			}
			gotDigest = true
		}
	}
	if !gotType || !gotDigest {
		return fail("content-type or message-digest attribute missing")
	}
	algo, err := sigAlgorithm(t.signer.SignatureAlgorithm.Algorithm, h, signer)
	if err != nil {
		return fail("%v", err)
	}
	if err := signer.CheckSignature(algo, signed, t.signer.Signature); err != nil {
		return fail("the TSA's signature does not verify: %v", err)
	}
	return nil
}

// findSigner returns the certificate the signer info names: tsaCert
// itself, or one the token carries.
func (t *Token) findSigner(tsaCert *x509.Certificate) *x509.Certificate {
	match := func(c *x509.Certificate) bool {
		sid := t.signer.SID
		if sid.Class == asn1.ClassContextSpecific && sid.Tag == 0 {
			return len(c.SubjectKeyId) > 0 && bytes.Equal(sid.Bytes, c.SubjectKeyId)
		}
		var is issuerAndSerial
		if rest, err := asn1.Unmarshal(sid.FullBytes, &is); err != nil || len(rest) != 0 || is.Serial == nil {
			return false
		}
		return bytes.Equal(is.Issuer.FullBytes, c.RawIssuer) && is.Serial.Cmp(c.SerialNumber) == 0
	}
	if match(tsaCert) {
		return tsaCert
	}
	for _, c := range t.Certs {
		if match(c) {
			return c
		}
	}
	return nil
}

func hashFor(oid asn1.ObjectIdentifier) (crypto.Hash, error) {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256, nil
	case oid.Equal(oidSHA384):
		return crypto.SHA384, nil
	case oid.Equal(oidSHA512):
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("unsupported digest algorithm %v", oid)
}

// sigAlgorithm maps a signer info's signature algorithm (and its digest
// algorithm, when the OID names the key type only) to crypto/x509's.
func sigAlgorithm(oid asn1.ObjectIdentifier, h crypto.Hash, cert *x509.Certificate) (x509.SignatureAlgorithm, error) {
	byHash := func(a256, a384, a512 x509.SignatureAlgorithm) x509.SignatureAlgorithm {
		return map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: a256, crypto.SHA384: a384, crypto.SHA512: a512}[h]
	}
	var a x509.SignatureAlgorithm
	switch {
	case oid.Equal(oidRSA):
		a = byHash(x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA)
	case oid.Equal(oidSHA256WithRSA) && h == crypto.SHA256:
		a = x509.SHA256WithRSA
	case oid.Equal(oidSHA384WithRSA) && h == crypto.SHA384:
		a = x509.SHA384WithRSA
	case oid.Equal(oidSHA512WithRSA) && h == crypto.SHA512:
		a = x509.SHA512WithRSA
	case oid.Equal(oidECPublicKey):
		a = byHash(x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512)
	case oid.Equal(oidECDSASHA256) && h == crypto.SHA256:
		a = x509.ECDSAWithSHA256
	case oid.Equal(oidECDSASHA384) && h == crypto.SHA384:
		a = x509.ECDSAWithSHA384
	case oid.Equal(oidECDSASHA512) && h == crypto.SHA512:
		a = x509.ECDSAWithSHA512
	case oid.Equal(oidEd25519):
		a = x509.PureEd25519
	}
	if a == x509.UnknownSignatureAlgorithm {
		return a, errors.New("unsupported signature algorithm " + oid.String())
	}
	return a, nil
}
