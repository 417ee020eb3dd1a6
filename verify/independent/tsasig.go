package independent

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// The TSA's signature on an RFC 3161 token (step 11.4): RFC 5652 SignedData
// with one SignerInfo whose signed attributes bind the TSTInfo.

type sigSignedData struct {
	Version     int
	Digests     asn1.RawValue
	Encap       tsEncap
	Certs       asn1.RawValue   `asn1:"optional,tag:0"` // [0] IMPLICIT SET OF Certificate
	CRLs        asn1.RawValue   `asn1:"optional,tag:1"`
	SignerInfos []sigSignerInfo `asn1:"set"`
}

type sigAlgID struct {
	OID    asn1.ObjectIdentifier
	Params asn1.RawValue `asn1:"optional"`
}

type sigSignerInfo struct {
	Version       int
	SID           asn1.RawValue // IssuerAndSerialNumber, or [0] SubjectKeyIdentifier
	Digest        sigAlgID
	SignedAttrs   asn1.RawValue `asn1:"optional,tag:0"`
	SigAlg        sigAlgID
	Signature     []byte
	UnsignedAttrs asn1.RawValue `asn1:"optional,tag:1"`
}

type sigAttribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

type sigIssuerSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

// tstTime is a TSTInfo up to its genTime.
type tstTime struct {
	Version int
	Policy  asn1.ObjectIdentifier
	Imprint asn1.RawValue
	Serial  *big.Int
	GenTime time.Time `asn1:"generalized"`
}

var (
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSHA384        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
)

// VerifyTokenSignature checks the TSA's signature on an RFC 3161
// TimeStampToken (step 11.4) against tsa, the TSA's certificate or the CA
// certificate that issued it, obtained independently of the bundle. It
// returns the token's genTime.
func VerifyTokenSignature(der []byte, tsa *x509.Certificate) (time.Time, error) {
	var ci tsContentInfo
	if rest, err := asn1.Unmarshal(der, &ci); err != nil || len(rest) != 0 || !ci.Type.Equal(oidSignedData) {
		return time.Time{}, errors.New("not a DER CMS SignedData ContentInfo")
	}
	var sd sigSignedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) != 0 || !sd.Encap.Type.Equal(oidTSTInfo) {
		return time.Time{}, errors.New("the SignedData does not hold a TSTInfo")
	}
	if len(sd.SignerInfos) != 1 {
		return time.Time{}, fmt.Errorf("the SignedData has %d signers, not 1", len(sd.SignerInfos))
	}
	si := sd.SignerInfos[0]
	var ti tstTime
	if _, err := asn1.Unmarshal(sd.Encap.Content, &ti); err != nil {
		return time.Time{}, errors.New("the TSTInfo has no genTime")
	}
	var carried []*x509.Certificate
	if len(sd.Certs.Bytes) > 0 {
		var err error
		if carried, err = x509.ParseCertificates(sd.Certs.Bytes); err != nil {
			return time.Time{}, fmt.Errorf("the token's certificates: %v", err)
		}
	}
	signer, err := tokenSigner(si.SID, tsa, carried, ti.GenTime)
	if err != nil {
		return time.Time{}, err
	}
	h, err := signerHash(si.Digest.OID)
	if err != nil {
		return time.Time{}, err
	}
	if len(si.SignedAttrs.FullBytes) == 0 {
		return time.Time{}, errors.New("the signer has no signed attributes")
	}
	// What is signed is the attributes' DER with the SET tag in place of
	// the [0] IMPLICIT one.
	signed := append([]byte{0x31}, si.SignedAttrs.FullBytes[1:]...)
	if err := checkSignedAttrs(signed, h, sd.Encap.Content); err != nil {
		return time.Time{}, err
	}
	alg, err := signatureAlgorithm(si.SigAlg.OID, h)
	if err != nil {
		return time.Time{}, err
	}
	if err := signer.CheckSignature(alg, signed, si.Signature); err != nil {
		return time.Time{}, fmt.Errorf("the TSA's signature does not verify: %v", err)
	}
	return ti.GenTime, nil
}

// tokenSigner finds the certificate sid names — tsa itself, or one the
// token carries that chains to tsa — valid at genTime for time stamping.
func tokenSigner(sid asn1.RawValue, tsa *x509.Certificate, carried []*x509.Certificate, genTime time.Time) (*x509.Certificate, error) {
	names := func(c *x509.Certificate) bool {
		if sid.Class == asn1.ClassContextSpecific && sid.Tag == 0 {
			return len(c.SubjectKeyId) > 0 && bytes.Equal(sid.Bytes, c.SubjectKeyId)
		}
		var is sigIssuerSerial
		rest, err := asn1.Unmarshal(sid.FullBytes, &is)
		return err == nil && len(rest) == 0 && is.Serial != nil && bytes.Equal(is.Issuer.FullBytes, c.RawIssuer) && is.Serial.Cmp(c.SerialNumber) == 0
	}
	if names(tsa) {
		if genTime.Before(tsa.NotBefore) || genTime.After(tsa.NotAfter) {
			return nil, errors.New("the genTime is outside the TSA certificate's validity")
		}
		for _, u := range tsa.ExtKeyUsage {
			if u == x509.ExtKeyUsageTimeStamping {
				return tsa, nil
			}
		}
		return nil, errors.New("the TSA certificate does not allow time stamping")
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(tsa)
	for _, c := range carried {
		inter.AddCert(c)
	}
	for _, c := range carried {
		if !names(c) {
			continue
		}
		if _, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: genTime,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
			return nil, fmt.Errorf("the signing certificate does not chain to the TSA certificate given: %v", err)
		}
		return c, nil
	}
	return nil, errors.New("the signer is neither the TSA certificate given nor a certificate the token carries")
}

// checkSignedAttrs requires, among the signed attributes, content-type
// id-ct-TSTInfo and message-digest = h(the TSTInfo's DER), each once.
func checkSignedAttrs(signed []byte, h crypto.Hash, tstInfo []byte) error {
	var attrs []sigAttribute
	if rest, err := asn1.UnmarshalWithParams(signed, &attrs, "set"); err != nil || len(rest) != 0 {
		return errors.New("malformed signed attributes")
	}
	d := h.New()
	d.Write(tstInfo)
	want := d.Sum(nil)
	var typeOK, digestOK int
	for _, a := range attrs {
		switch {
		case a.Type.Equal(oidContentType):
			var ct asn1.ObjectIdentifier
			if len(a.Values) == 1 {
				if _, err := asn1.Unmarshal(a.Values[0].FullBytes, &ct); err == nil && ct.Equal(oidTSTInfo) {
					typeOK++
					continue
				}
			}
			return errors.New("the content-type attribute is not id-ct-TSTInfo")
		case a.Type.Equal(oidMessageDigest):
			var got []byte
			if len(a.Values) == 1 {
				if _, err := asn1.Unmarshal(a.Values[0].FullBytes, &got); err == nil && bytes.Equal(got, want) {
					digestOK++
					continue
				}
			}
			return errors.New("the message-digest attribute is not the digest of the TSTInfo")
		}
	}
	if typeOK != 1 || digestOK != 1 {
		return errors.New("the signed attributes lack a single content-type or message-digest")
	}
	return nil
}

func signerHash(oid asn1.ObjectIdentifier) (crypto.Hash, error) {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256, nil
	case oid.Equal(oidSHA384):
		return crypto.SHA384, nil
	case oid.Equal(oidSHA512):
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("digest algorithm %v is not SHA-256, -384 or -512", oid)
}

// signatureAlgorithm maps the signer's signature algorithm OID — a key
// type alone (rsaEncryption, id-ecPublicKey), which takes its hash from the
// digest algorithm, or a combined one, which must agree with it — to
// crypto/x509's.
func signatureAlgorithm(oid asn1.ObjectIdentifier, h crypto.Hash) (x509.SignatureAlgorithm, error) {
	type pair struct {
		oid  string
		hash crypto.Hash
	}
	known := map[pair]x509.SignatureAlgorithm{
		{"1.2.840.113549.1.1.1", crypto.SHA256}:  x509.SHA256WithRSA, // rsaEncryption
		{"1.2.840.113549.1.1.1", crypto.SHA384}:  x509.SHA384WithRSA,
		{"1.2.840.113549.1.1.1", crypto.SHA512}:  x509.SHA512WithRSA,
		{"1.2.840.113549.1.1.11", crypto.SHA256}: x509.SHA256WithRSA,
		{"1.2.840.113549.1.1.12", crypto.SHA384}: x509.SHA384WithRSA,
		{"1.2.840.113549.1.1.13", crypto.SHA512}: x509.SHA512WithRSA,
		{"1.2.840.10045.2.1", crypto.SHA256}:     x509.ECDSAWithSHA256, // id-ecPublicKey
		{"1.2.840.10045.2.1", crypto.SHA384}:     x509.ECDSAWithSHA384,
		{"1.2.840.10045.2.1", crypto.SHA512}:     x509.ECDSAWithSHA512,
		{"1.2.840.10045.4.3.2", crypto.SHA256}:   x509.ECDSAWithSHA256,
		{"1.2.840.10045.4.3.3", crypto.SHA384}:   x509.ECDSAWithSHA384,
		{"1.2.840.10045.4.3.4", crypto.SHA512}:   x509.ECDSAWithSHA512,
		{"1.3.101.112", crypto.SHA256}:           x509.PureEd25519,
		{"1.3.101.112", crypto.SHA384}:           x509.PureEd25519,
		{"1.3.101.112", crypto.SHA512}:           x509.PureEd25519,
	}
	if a, ok := known[pair{oid.String(), h}]; ok {
		return a, nil
	}
	return x509.UnknownSignatureAlgorithm, fmt.Errorf("signature algorithm %v with %v is not supported", oid, h)
}
