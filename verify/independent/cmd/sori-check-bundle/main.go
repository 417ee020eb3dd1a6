// Command sori-check-bundle checks a sori court bundle by the
// specification the bundle carries (sori-bundle-spec.md), with nothing but
// the Go standard library and the bundle: no sori code, no archive, no
// passphrase.
//
//	go run ./verify/independent/cmd/sori-check-bundle [-log-key NAME+HASH+KEY]
//		[-witness-key NAME+HASH+KEY]... [-tsa-cert CERT] BUNDLE
//
// It prints each problem on its own line and exits 0 when there is none,
// 1 when there are, and 2 when it could not run. Without -log-key the
// bundle is checked against its own data/log-key.txt, which shows that it
// is intact, not whose log it came from. Each -witness-key is a witness's
// verifier key, obtained from the witness: the bundle's cosigned checkpoint
// (spec step 12) must carry its valid cosignature. -tsa-cert is the
// certificate (PEM or DER) of the TSA, or of the CA that issued the TSA's,
// obtained from the TSA: the time stamp's signature is checked against it
// (spec step 11.4).
package main

import (
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"sori/verify/independent"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sori-check-bundle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := fs.String("log-key", "", "the log verifier key you obtained independently (NAME+HASH+KEY)")
	tsaFile := fs.String("tsa-cert", "", "the TSA's certificate, or its CA's (PEM or DER), to check the time stamp's signature with")
	var witnesses keyList
	fs.Var(&witnesses, "witness-key", "a witness's verifier key (NAME+HASH+KEY) whose cosignature must be on the bundle's cosigned checkpoint (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sori-check-bundle [-log-key NAME+HASH+KEY] [-witness-key NAME+HASH+KEY]... [-tsa-cert CERT] BUNDLE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	dir := fs.Arg(0)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "sori-check-bundle: %s is not a directory\n", dir)
		return 2
	}
	opt := independent.Options{LogKey: *key, WitnessKeys: witnesses}
	if *tsaFile != "" {
		var err error
		if opt.TSACert, err = readCert(*tsaFile); err != nil {
			fmt.Fprintf(stderr, "sori-check-bundle: -tsa-cert: %v\n", err)
			return 2
		}
	}
	problems, err := independent.CheckWith(dir, opt)
	if err != nil {
		fmt.Fprintf(stderr, "sori-check-bundle: could not run: %v\n", err)
		return 2
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "sori-check-bundle: %d problem(s)\n", len(problems))
		return 1
	}
	trust := "its own data/log-key.txt"
	if *key != "" {
		trust = "the log key given"
	}
	if opt.TSACert != nil {
		trust += ", with the TSA certificate given"
	}
	if len(witnesses) > 0 {
		trust += fmt.Sprintf(", with the cosignatures of %d witness(es)", len(witnesses))
	}
	fmt.Fprintf(stderr, "sori-check-bundle: OK, checked against %s\n", trust)
	return 0
}

// keyList is a repeatable flag of keys.
type keyList []string

func (k *keyList) String() string { return strings.Join(*k, ",") }

func (k *keyList) Set(s string) error {
	if _, err := independent.ParseWitnessKey(s); err != nil {
		return err
	}
	*k = append(*k, s)
	return nil
}

// readCert reads one certificate, PEM or DER.
func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s holds a PEM %s, not a CERTIFICATE", path, blk.Type)
		}
		b = blk.Bytes
	}
	return x509.ParseCertificate(b)
}
