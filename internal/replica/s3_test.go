package replica

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/testenv"
	"sori/verify"
)

// s3Env creates a bucket of its own on the gateway of SORI_TEST_S3, puts
// the credentials where sori looks for them (the AWS environment
// variables), and returns the bucket, a client for inspecting it, and a
// function making replica URLs under a prefix.
func s3Env(t *testing.T) (*minio.Client, string, func(prefix string) string) {
	t.Helper()
	env := testenv.S3(t)
	t.Setenv("AWS_ACCESS_KEY_ID", env.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", env.SecretKey)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	cl, err := minio.New(env.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(env.AccessKey, env.SecretKey, ""), Secure: env.Secure})
	if err != nil {
		t.Fatal(err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	bucket := "sori-repl-" + hex.EncodeToString(rnd[:])
	if err := cl.MakeBucket(t.Context(), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
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
	insecure := "&insecure=1"
	if env.Secure {
		insecure = ""
	}
	return cl, bucket, func(prefix string) string {
		return fmt.Sprintf("s3://%s/%s?endpoint=%s%s", bucket, prefix, env.Endpoint, insecure)
	}
}

// keys lists the objects under prefix.
func keys(t *testing.T, cl *minio.Client, bucket, prefix string) []string {
	t.Helper()
	var out []string
	for oi := range cl.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			t.Fatal(oi.Err)
		}
		out = append(out, strings.TrimPrefix(oi.Key, prefix))
	}
	return out
}

// checkS3Replica fetches the replica into a new directory and checks it
// there as checkReplica does; it also checks that no object in the bucket
// holds plaintext.
func checkS3Replica(t *testing.T, cl *minio.Client, bucket, url string, want []string) Cursor {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fetched")
	c, err := Fetch(t.Context(), url, dir, nil)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	checkReplica(t, dir, "", want)
	noPlaintextS3(t, cl, bucket)
	return c
}

func noPlaintextS3(t *testing.T, cl *minio.Client, bucket string) {
	t.Helper()
	for _, k := range keys(t, cl, bucket, "") {
		o, err := cl.GetObject(t.Context(), bucket, k, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(o)
		o.Close()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(marker)) || bytes.Contains(b, []byte("탈북")) {
			t.Errorf("object %s holds plaintext", k)
		}
	}
}

func TestReplicateS3(t *testing.T) {
	cl, bucket, url := s3Env(t)
	ctx := t.Context()
	a, _ := newSource(t)
	add(t, a, "one", 5)
	if _, err := a.AddUser(ctx, "lee", archive.RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	to := url("site-b/testimony")

	res, err := Run(ctx, a, to, Options{})
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if res.From != 0 || res.To == 0 || res.Packs == 0 || res.KeyFiles == 0 {
		t.Errorf("first run: %+v", res)
	}
	c := checkS3Replica(t, cl, bucket, to, items(t, a))
	if c.Size != res.To {
		t.Errorf("fetched cursor at %d entries, the run says %d", c.Size, res.To)
	}
	packs1 := len(keys(t, cl, bucket, "site-b/testimony/blobs/"))

	// Nothing new: up to date, nothing written.
	before := keys(t, cl, bucket, "")
	res, err = Run(ctx, a, to, Options{})
	if err != nil || !res.UpToDate || res.Packs != 0 {
		t.Fatalf("second run: %+v, %v", res, err)
	}
	if after := keys(t, cl, bucket, ""); !slices.Equal(before, after) {
		t.Errorf("an up-to-date run changed the bucket:\n%v\n%v", before, after)
	}

	// Intake and a removed user: only the new packs travel, one state is kept.
	add(t, a, "two", 3)
	if err := a.RemoveUser(ctx, "lee"); err != nil {
		t.Fatal(err)
	}
	res, err = Run(ctx, a, to, Options{})
	if err != nil || res.UpToDate || res.Packs == 0 {
		t.Fatalf("incremental run: %+v, %v", res, err)
	}
	if n := len(keys(t, cl, bucket, "site-b/testimony/blobs/")); n != packs1+res.Packs {
		t.Errorf("%d packs in the bucket, want %d + %d", n, packs1, res.Packs)
	}
	states := map[string]bool{}
	for _, k := range keys(t, cl, bucket, "site-b/testimony/state/") {
		states[strings.SplitN(k, "/", 2)[0]] = true
	}
	if len(states) != 1 {
		t.Errorf("%d states kept, want 1: %v", len(states), states)
	}
	checkS3Replica(t, cl, bucket, to, items(t, a))

	// A changed passphrase logs nothing but changes a key file: a new state.
	if err := a.ChangePassphrase(ctx, testPass, testPass); err != nil {
		t.Fatal(err)
	}
	if res, err = Run(ctx, a, to, Options{}); err != nil || res.UpToDate {
		t.Fatalf("run after a passphrase change: %+v, %v", res, err)
	}
	checkS3Replica(t, cl, bucket, to, items(t, a))
}

func TestReplicateS3Refuses(t *testing.T) {
	cl, bucket, url := s3Env(t)
	ctx := t.Context()
	a, _ := newSource(t)
	add(t, a, "one", 2)
	b, _ := newSource(t)
	to := url("copy")
	if _, err := Run(ctx, a, to, Options{}); err != nil {
		t.Fatal(err)
	}
	before := keys(t, cl, bucket, "")
	if _, err := Run(ctx, b, to, Options{}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("another archive's replica: got %v, want ErrInvalid", err)
	}
	if _, err := cl.PutObject(ctx, bucket, "other/notes.txt", strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, a, url("other"), Options{}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("a prefix holding other objects: got %v, want ErrInvalid", err)
	}
	if _, err := Run(ctx, a, url("copy")+"&region=x&bogus=1", Options{}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("an unknown URL parameter: got %v, want ErrInvalid", err)
	}
	after := keys(t, cl, bucket, "")
	if !slices.Equal(slices.DeleteFunc(after, func(k string) bool { return k == "other/notes.txt" }), before) {
		t.Errorf("refused runs changed the bucket")
	}
	// A head altered by hand is refused, not overwritten.
	if _, err := cl.PutObject(ctx, bucket, "copy/replica.json", strings.NewReader("{}"), 2, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, a, to, Options{}); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("an altered head: got %v, want ErrDamaged", err)
	}
	if _, err := Fetch(ctx, url("nothing-here"), t.TempDir(), nil); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("fetching an empty prefix: got %v, want ErrNotFound", err)
	}
}

// TestReplicateS3Halted stops runs after every step, as a kill would: a
// first replication (each from an empty prefix) and incremental ones. After
// each stop the replica, fetched, is a whole archive that verifies clean
// and holds only the source's items (or, in a first run, is not a replica
// yet); the next run finishes it.
func TestReplicateS3Halted(t *testing.T) {
	cl, bucket, url := s3Env(t)
	ctx := t.Context()
	a, src := newSource(t)
	add(t, a, "one", 4)
	if _, err := a.AddUser(ctx, "lee", archive.RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	var steps []string
	if _, err := Run(ctx, a, url("count"), Options{halt: func(s string) error { steps = append(steps, s); return nil }}); err != nil {
		t.Fatal(err)
	}
	t.Logf("first run: %d steps: %v", len(steps), steps)
	for _, must := range []string{"snapshot", "pack", "state", "head"} {
		if !slices.Contains(steps, must) {
			t.Errorf("no step %q", must)
		}
	}
	check := func(what, to string, want []string, mayBeEmpty bool) {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "fetched")
		if _, err := Fetch(ctx, to, dir, nil); errors.Is(err, evidence.ErrNotFound) && mayBeEmpty {
			return
		} else if err != nil {
			t.Fatalf("%s: fetch: %v", what, err)
		}
		c, err := archive.Open(ctx, dir, "", testPass, opts(t))
		if err != nil {
			t.Fatalf("%s: the replica does not open: %v", what, err)
		}
		defer c.Close()
		rep, err := verify.Archive(ctx, c, verify.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Findings {
			t.Errorf("%s: %s", what, f)
		}
		for _, it := range items(t, c) {
			if !slices.Contains(want, it) {
				t.Errorf("%s: the replica holds %s, the source does not", what, it)
			}
		}
	}
	haltAfter := func(k int) Options {
		n := 0
		return Options{halt: func(string) error {
			if n++; n > k {
				return errHalted
			}
			return nil
		}}
	}
	for k := range steps {
		to := url(fmt.Sprintf("first-%d", k))
		if _, err := Run(ctx, a, to, haltAfter(k)); !errors.Is(err, errHalted) {
			t.Fatalf("first run halted after step %d: %v", k, err)
		}
		what := fmt.Sprintf("first run stopped after step %d (%s)", k, steps[k])
		check(what, to, items(t, a), true)
		if _, err := Run(ctx, a, to, Options{}); err != nil {
			t.Fatalf("%s: resuming: %v", what, err)
		}
		check(what+", resumed", to, items(t, a), false)
	}

	// Incremental: the source grows before each halted run.
	to := url("incremental")
	if _, err := Run(ctx, a, to, Options{}); err != nil {
		t.Fatal(err)
	}
	for k := 0; ; k++ {
		add(t, a, fmt.Sprintf("inc%d", k), 2)
		if k == 2 {
			// A new content key generation; the session must be reopened.
			if err := a.RemoveUser(ctx, "lee"); err != nil {
				t.Fatal(err)
			}
			a.Close()
			var err error
			if a, err = archive.Open(ctx, src, "", testPass, opts(t)); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
		}
		_, err := Run(ctx, a, to, haltAfter(k))
		if err == nil {
			t.Logf("incremental runs halted after each of %d steps", k)
			break
		}
		if !errors.Is(err, errHalted) {
			t.Fatalf("incremental run halted after step %d: %v", k, err)
		}
		what := fmt.Sprintf("incremental run stopped after step %d", k)
		check(what, to, items(t, a), false)
		if _, err := Run(ctx, a, to, Options{}); err != nil {
			t.Fatalf("%s: resuming: %v", what, err)
		}
		check(what+", resumed", to, items(t, a), false)
	}
	checkS3Replica(t, cl, bucket, to, items(t, a))
}

// TestReplicateS3Concurrent: a run whose head was replaced by another run
// while it wrote its state stops with ErrBusy (the gateway honours If-Match
// on PUT) and leaves the other run's replica whole.
func TestReplicateS3Concurrent(t *testing.T) {
	cl, bucket, url := s3Env(t)
	ctx := t.Context()
	a, _ := newSource(t)
	add(t, a, "one", 2)
	to := url("copy")
	if _, err := Run(ctx, a, to, Options{}); err != nil {
		t.Fatal(err)
	}
	add(t, a, "two", 2)
	var inner error
	_, err := Run(ctx, a, to, Options{halt: func(step string) error {
		if step == "state" {
			_, inner = Run(ctx, a, to, Options{})
		}
		return nil
	}})
	if inner != nil {
		t.Fatalf("the other run: %v", inner)
	}
	if !errors.Is(err, evidence.ErrBusy) {
		t.Fatalf("the run whose head was replaced: got %v, want ErrBusy", err)
	}
	checkS3Replica(t, cl, bucket, to, items(t, a))
	// A later run cleans up the loser's state once the source has grown.
	add(t, a, "three", 1)
	if _, err := Run(ctx, a, to, Options{}); err != nil {
		t.Fatal(err)
	}
	states := map[string]bool{}
	for _, k := range keys(t, cl, bucket, "copy/state/") {
		states[strings.SplitN(k, "/", 2)[0]] = true
	}
	if len(states) != 1 {
		t.Errorf("%d states left, want 1: %v", len(states), states)
	}
	checkS3Replica(t, cl, bucket, to, items(t, a))
}
