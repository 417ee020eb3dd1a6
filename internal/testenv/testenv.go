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
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
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

// PostgresSchema makes a schema of its own for one test in the database of
// SORI_TEST_POSTGRES (dropped after the test) and returns a URL that selects
// it, without the password: that goes to PGPASSWORD, as sori requires of
// the URLs it stores (the test must not be parallel).
func PostgresSchema(t testing.TB) string {
	t.Helper()
	u, err := url.Parse(PostgresScratch(t))
	if err != nil {
		t.Fatal(err)
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			if s, ok := t.(interface{ Setenv(k, v string) }); ok {
				s.Setenv("PGPASSWORD", p)
			}
			u.User = url.User(u.User.Username())
		}
	}
	return u.String()
}

// PostgresScratch is PostgresSchema with the password left in the URL, for
// tests of the driver itself (which may run in parallel).
func PostgresScratch(t testing.TB) string {
	t.Helper()
	base := Postgres(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "sori_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// S3Bucket makes a bucket of its own for one test on the endpoint of
// SORI_TEST_S3 (emptied and removed after the test), puts the credentials
// in the AWS environment variables (the test must not be parallel), and
// returns its s3:// URL with prefix.
func S3Bucket(t testing.TB, prefix string) string {
	t.Helper()
	c := S3(t)
	cl, err := minio.New(c.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""), Secure: c.Secure})
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	bucket := "sori-test-" + hex.EncodeToString(b[:])
	if err := cl.MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("S3: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		for oi := range cl.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
			if oi.Err == nil {
				cl.RemoveObject(ctx, bucket, oi.Key, minio.RemoveObjectOptions{})
			}
		}
		cl.RemoveBucket(ctx, bucket)
	})
	if s, ok := t.(interface{ Setenv(k, v string) }); ok {
		s.Setenv("AWS_ACCESS_KEY_ID", c.AccessKey)
		s.Setenv("AWS_SECRET_ACCESS_KEY", c.SecretKey)
		s.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/sori-test-credentials")
	}
	u := fmt.Sprintf("s3://%s/%s?endpoint=%s", bucket, prefix, c.Endpoint)
	if !c.Secure {
		u += "&insecure=1"
	}
	return u
}
