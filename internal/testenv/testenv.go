// Package testenv hands tests the external services that integration suites
// need (PostgreSQL, an S3-compatible store, a headless browser), named by
// environment variables that .ci/run sets:
//
//	SORI_TEST_POSTGRES  postgres://user:pass@host:port/db?sslmode=disable
//	SORI_TEST_S3        http://ACCESS:SECRET@host:port (an S3 endpoint)
//	SORI_TEST_BROWSER   path of a Chromium binary
//
// Without the variable a test skips — unless SORI_TEST_DISALLOW_SKIP is set,
// as in CI, where a missing service is a failure: integration suites cannot
// silently not run.
package testenv

import (
	"net/url"
	"os"
	"testing"
)

// Require returns the value of the environment variable name, or skips the
// test (fails it under SORI_TEST_DISALLOW_SKIP) when it is unset.
func Require(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("SORI_TEST_DISALLOW_SKIP") != "" {
			t.Fatalf("%s is not set and SORI_TEST_DISALLOW_SKIP forbids skipping this integration test", name)
		}
		t.Skipf("%s not set; skipping integration test", name)
	}
	return v
}

// Postgres returns the connection URL of a scratch PostgreSQL database.
func Postgres(t testing.TB) string {
	t.Helper()
	return Require(t, "SORI_TEST_POSTGRES")
}

// S3Config is an S3 endpoint with its credentials.
type S3Config struct {
	Endpoint  string // host:port
	Secure    bool   // https
	AccessKey string
	SecretKey string
}

// S3 parses SORI_TEST_S3.
func S3(t testing.TB) S3Config {
	t.Helper()
	u, err := url.Parse(Require(t, "SORI_TEST_S3"))
	if err != nil || u.Host == "" || u.User == nil {
		t.Fatalf("SORI_TEST_S3: want http://ACCESS:SECRET@host:port, got an unusable value")
	}
	secret, _ := u.User.Password()
	return S3Config{Endpoint: u.Host, Secure: u.Scheme == "https", AccessKey: u.User.Username(), SecretKey: secret}
}

// Browser returns the path of a Chromium binary.
func Browser(t testing.TB) string {
	t.Helper()
	return Require(t, "SORI_TEST_BROWSER")
}
