// Package tsatest runs a real RFC 3161 time-stamping authority for tests:
// OpenSSL's `openssl ts -reply`, behind an httptest server on loopback that
// runs it once per request, with a throwaway CA and TSA certificate made by
// the `openssl` command. Without openssl the test skips, or fails under
// SORI_TEST_DISALLOW_SKIP (as in CI, whose .ci/run installs it).
package tsatest

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// TSA is a running local time-stamping authority.
type TSA struct {
	URL      string            // POST TimeStampReq here
	CA       *x509.Certificate // the CA that issued the TSA certificate
	Cert     *x509.Certificate // the TSA's signing certificate
	CAFile   string            // PEM files of both
	CertPEM  string
	mu       sync.Mutex
	requests int // answered
}

// Start makes a CA and a TSA certificate (ECDSA P-256, or RSA 2048 with
// rsa true) in a temporary directory and serves the TSA until the test
// ends.
func Start(t testing.TB, rsa bool) *TSA {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("SORI_TEST_DISALLOW_SKIP") != "" {
			t.Fatalf("openssl is not installed and SORI_TEST_DISALLOW_SKIP forbids skipping this integration test")
		}
		t.Skip("openssl not installed; skipping the RFC 3161 integration test")
	}
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(openssl, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	key := []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"}
	if rsa {
		key = []string{"-newkey", "rsa:2048"}
	}
	run(append(append([]string{"req", "-x509"}, key...), "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
		"-subj", "/CN=sori test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")...)
	run(append(append([]string{"req", "-new"}, key...), "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=sori test TSA")...)
	write("tsa.ext", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\n")
	run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tsa.pem", "-days", "2", "-extfile", "tsa.ext")
	write("serial", "01\n")
	write("ts.cnf", fmt.Sprintf(`[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = %s
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500
clock_precision_digits = 0
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`, dir))
	ts := &TSA{CAFile: filepath.Join(dir, "ca.pem"), CertPEM: filepath.Join(dir, "tsa.pem")}
	ts.CA = readCert(t, ts.CAFile)
	ts.Cert = readCert(t, ts.CertPEM)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
			http.Error(w, "POST application/timestamp-query", http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts.mu.Lock()
		defer ts.mu.Unlock()
		q, out := filepath.Join(dir, "query.tsq"), filepath.Join(dir, "reply.tsr")
		os.Remove(out)
		if err := os.WriteFile(q, body, 0o600); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		cmd := exec.Command(openssl, "ts", "-reply", "-config", filepath.Join(dir, "ts.cnf"), "-queryfile", q, "-out", out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			http.Error(w, fmt.Sprintf("openssl ts -reply: %v: %s", err, msg), http.StatusInternalServerError)
			return
		}
		reply, err := os.ReadFile(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		ts.requests++
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(reply)
	}))
	t.Cleanup(srv.Close)
	ts.URL = srv.URL + "/tsa"
	return ts
}

// Count returns how many requests the TSA answered.
func (ts *TSA) Count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.requests
}

func readCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s is not PEM", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
