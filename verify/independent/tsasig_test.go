package independent_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"testing"

	"sori/internal/tsa"
	"sori/internal/tsa/tsatest"
	"sori/verify/independent"
)

// TestVerifyTokenSignature checks tokens of real local TSAs (openssl ts,
// ECDSA and RSA) against their CA and their own certificate, and refuses
// another TSA's, and any change to the signature or the signed TSTInfo.
func TestVerifyTokenSignature(t *testing.T) {
	for _, rsa := range []bool{false, true} {
		ts := tsatest.Start(t, rsa)
		other := tsatest.Start(t, rsa)
		digest := sha256.Sum256([]byte("synthetic checkpoint text\n"))
		der, tok, err := tsa.Stamp(context.Background(), nil, ts.URL, digest)
		if err != nil {
			t.Fatal(err)
		}
		for name, cert := range map[string]*x509.Certificate{"CA": ts.CA, "TSA": ts.Cert} {
			gen, err := independent.VerifyTokenSignature(der, cert)
			if err != nil || !gen.Equal(tok.Info.GenTime) {
				t.Errorf("rsa %v, the %s certificate: %v, genTime %v want %v", rsa, name, err, gen, tok.Info.GenTime)
			}
		}
		for name, cert := range map[string]*x509.Certificate{"other CA": other.CA, "other TSA": other.Cert} {
			if _, err := independent.VerifyTokenSignature(der, cert); err == nil {
				t.Errorf("rsa %v: a token verifies against the %s certificate", rsa, name)
			}
		}
		// One bit flipped in the signature, and in the TSTInfo's imprint.
		sig := bytes.Clone(der)
		sig[bytes.Index(sig, tok.Signature())+len(tok.Signature())/2] ^= 1
		imprint := bytes.Clone(der)
		imprint[bytes.Index(imprint, digest[:])] ^= 1
		for name, b := range map[string][]byte{"signature": sig, "imprint": imprint} {
			if _, err := independent.VerifyTokenSignature(b, ts.CA); err == nil {
				t.Errorf("rsa %v: a token with a changed %s verifies", rsa, name)
			}
		}
	}
}
