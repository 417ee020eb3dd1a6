package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"sori/internal/blob"
	"sori/internal/blob/blobtest"
	"sori/internal/testenv"
)

// testBucket creates a bucket of its own on the gateway named by
// SORI_TEST_S3 and returns a Config for it (no prefix), with the test's
// credentials given explicitly.
func testBucket(t *testing.T) Config {
	t.Helper()
	env := testenv.S3(t)
	creds := credentials.NewStaticV4(env.AccessKey, env.SecretKey, "")
	cl, err := minio.New(env.Endpoint, &minio.Options{Creds: creds, Secure: env.Secure})
	if err != nil {
		t.Fatal(err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	bucket := "sori-test-" + hex.EncodeToString(rnd[:])
	if err := cl.MakeBucket(t.Context(), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		for oi := range cl.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
			if oi.Err == nil {
				cl.RemoveObject(ctx, bucket, oi.Key, minio.RemoveObjectOptions{})
			}
		}
		for u := range cl.ListIncompleteUploads(ctx, bucket, "", true) {
			if u.Err == nil {
				cl.RemoveIncompleteUpload(ctx, bucket, u.Key)
			}
		}
		cl.RemoveBucket(ctx, bucket)
	})
	return Config{Endpoint: env.Endpoint, Bucket: bucket, Secure: env.Secure, Credentials: creds}
}

// TestConformance runs blobtest against versitygw (or whatever SORI_TEST_S3
// names), each store under a fresh prefix of one new bucket, with the
// smallest part size so that the suite's large objects go multipart.
func TestConformance(t *testing.T) {
	cfg := testBucket(t)
	cfg.PartSize = MinPartSize
	n := 0
	blobtest.Run(t, func(t *testing.T) blob.Store {
		n++
		c := cfg
		c.Prefix = "suite/" + strings.Repeat("x", n%3) + hex.EncodeToString([]byte{byte(n)})
		s, err := New(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	// Every aborted or refused multipart upload was discarded.
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	uploads := 0
	for u := range s.core.Client.ListIncompleteUploads(t.Context(), cfg.Bucket, "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		uploads++
	}
	if uploads != 0 {
		t.Errorf("%d multipart uploads left behind by the suite", uploads)
	}
}

// TestConditionalProbe records what the gateway does with If-None-Match:
// the suite's write-once tests rely on it being honoured (versitygw v1.8.0
// does, on PUT and on CompleteMultipartUpload).
func TestConditionalProbe(t *testing.T) {
	s, err := New(t.Context(), testBucket(t))
	if err != nil {
		t.Fatal(err)
	}
	cond, err := s.Conditional(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !cond {
		t.Errorf("the gateway accepted a PUT with If-None-Match: * over an existing object: conditional writes unsupported")
	}
	n := 0
	for range s.core.Client.ListObjects(t.Context(), s.bucket, minio.ListObjectsOptions{Recursive: true}) {
		n++
	}
	if n != 0 {
		t.Errorf("the probe left %d objects behind", n)
	}
}

// TestCheckedFallback runs the suite with conditional writes switched off,
// as on a gateway that ignores If-None-Match: the HEAD before the final
// write must still refuse a taken name. (Racing writers are not part of
// this mode's promise, so the concurrent cases are checked only for "no
// error but ErrExists".)
func TestCheckedFallback(t *testing.T) {
	cfg := testBucket(t)
	cfg.PartSize = MinPartSize
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.condKnown, s.cond = true, false
	ctx := t.Context()
	name := strings.Repeat("ab", 16)
	if _, err := blob.Put(ctx, s, name, bytes.NewReader([]byte("first"))); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.Put(ctx, s, name, bytes.NewReader([]byte("second"))); !errors.Is(err, blob.ErrExists) {
		t.Fatalf("second put: got %v, want ErrExists", err)
	}
	big := make([]byte, MinPartSize+10)
	if _, err := blob.Put(ctx, s, name, bytes.NewReader(big)); !errors.Is(err, blob.ErrExists) {
		t.Fatalf("multipart put over existing: got %v, want ErrExists", err)
	}
	rc, err := s.Open(ctx, name, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.ReadFrom(rc)
	rc.Close()
	if got.String() != "first" {
		t.Errorf("object = %q, want the first write", got.String())
	}
	uploads := 0
	for u := range s.core.Client.ListIncompleteUploads(ctx, s.bucket, "", true) {
		if u.Err == nil {
			uploads++
		}
	}
	if uploads != 0 {
		t.Errorf("%d multipart uploads left after a refused commit", uploads)
	}
}

// TestCredentialChain: without Config.Credentials the AWS environment
// variables are used, and wrong ones are reported by New.
func TestCredentialChain(t *testing.T) {
	env := testenv.S3(t)
	cfg := testBucket(t)
	cfg.Credentials = nil
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_ACCESS_KEY_ID", env.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", env.SecretKey)
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("with the AWS environment variables: %v", err)
	}
	if _, err := blob.Put(t.Context(), s, strings.Repeat("cd", 16), bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
	_, err = New(t.Context(), cfg)
	if err == nil {
		t.Fatal("New with a wrong secret succeeded")
	}
	if strings.Contains(err.Error(), "not-the-secret") || strings.Contains(err.Error(), env.SecretKey) {
		t.Errorf("the error shows a secret: %v", err)
	}
}

func TestNewRefuses(t *testing.T) {
	cfg := testBucket(t)
	for _, bad := range []Config{
		{Bucket: "no-such-bucket-" + cfg.Bucket[len(cfg.Bucket)-6:]},
		{Bucket: "Upper"},
		{Bucket: cfg.Bucket, Prefix: "a//b"},
		{Bucket: cfg.Bucket, Prefix: "../x"},
		{Bucket: cfg.Bucket, PartSize: MinPartSize - 1},
	} {
		c := cfg
		c.Bucket, c.Prefix, c.PartSize = bad.Bucket, bad.Prefix, bad.PartSize
		if _, err := New(t.Context(), c); err == nil {
			t.Errorf("New(%+v) succeeded", bad)
		}
	}
}

func TestParseURL(t *testing.T) {
	good := []struct {
		in   string
		want Config
	}{
		{"s3://bucket", Config{Bucket: "bucket", Secure: true}},
		{"s3://bucket/", Config{Bucket: "bucket", Secure: true}},
		{"s3://my.bucket-1/site/b?endpoint=127.0.0.1:9000&insecure=1", Config{Bucket: "my.bucket-1", Prefix: "site/b", Endpoint: "127.0.0.1:9000"}},
		{"s3://b12/p?region=eu-west-1&endpoint=s3.example.org", Config{Bucket: "b12", Prefix: "p", Endpoint: "s3.example.org", Region: "eu-west-1", Secure: true}},
		{"s3://b12/p?insecure=0", Config{Bucket: "b12", Prefix: "p", Secure: true}},
	}
	for _, tc := range good {
		got, err := ParseURL(tc.in)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		again, err := ParseURL(got.URL())
		if err != nil || again != got {
			t.Errorf("ParseURL(%q).URL() = %q reads back as %+v, %v", tc.in, got.URL(), again, err)
		}
	}
	bad := []string{
		"", "/tmp/dir", "file:///tmp", "s3:bucket", "s3://", "s3://ab", "s3://Bucket", "s3://-bucket",
		"s3://key:secret@bucket/p", "s3://key@bucket", "s3://bucket/a//b", "s3://bucket/../x", "s3://bucket/./x",
		"s3://bucket?endpoint=", "s3://bucket?endpoint=a/b", "s3://bucket?endpoint=u:p@host", "s3://bucket?insecure=yes",
		"s3://bucket?endpoint=a&endpoint=b", "s3://bucket?secret=x", "s3://bucket#frag",
	}
	for _, in := range bad {
		if c, err := ParseURL(in); err == nil {
			t.Errorf("ParseURL(%q) = %+v, want an error", in, c)
		} else if strings.Contains(err.Error(), ":secret") {
			t.Errorf("ParseURL(%q): the error repeats the secret: %v", in, err)
		}
	}
}
