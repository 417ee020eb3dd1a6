//go:build unix

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"sori/internal/archive"
	"sori/internal/store"
	"sori/internal/testenv"
)

// TestReplicateS3CLI replicates to an S3 bucket of its own on the gateway
// of SORI_TEST_S3 (versitygw in CI) with credentials in the AWS environment
// variables, checks the replica with --check, fetches it and verifies the
// directory, kills a run mid-way and resumes, and shows that --check finds
// a pack altered in the bucket.
func TestReplicateS3CLI(t *testing.T) {
	s3env := testenv.S3(t)
	creds := []string{"AWS_ACCESS_KEY_ID=" + s3env.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3env.SecretKey,
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none")}
	cl, err := minio.New(s3env.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s3env.AccessKey, s3env.SecretKey, ""), Secure: s3env.Secure})
	if err != nil {
		t.Fatal(err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	bucket := "sori-cli-" + hex.EncodeToString(rnd[:])
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
	url := fmt.Sprintf("s3://%s/site-b?endpoint=%s", bucket, s3env.Endpoint)
	if !s3env.Secure {
		url += "&insecure=1"
	}

	ta := newTestArchive(t)
	run := func(args ...string) (string, string, int) {
		t.Helper()
		var out, errb bytes.Buffer
		cmd := ta.command(t.Context(), args...)
		cmd.Env = append(cmd.Env, creds...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err != nil && cmd.ProcessState == nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), cmd.ProcessState.ExitCode()
	}
	addFiles := func(tag string, n int) {
		dir := filepath.Join(t.TempDir(), tag)
		os.MkdirAll(dir, 0o700)
		for i := range n {
			b := bytes.Repeat([]byte(fmt.Sprintf("synthetic %s %d ", tag, i)), 20000)
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d.txt", i)), b, 0o600)
		}
		ta.mustRun(t, nil, "add", dir)
	}
	addFiles("one", 4)

	// Without credentials: refused with a hint, nothing written.
	if _, stderr, code := ta.run(t, nil, "replicate", "--to", url); code == exitOK || !strings.Contains(stderr, "AWS_ACCESS_KEY_ID") {
		t.Errorf("replicate without credentials: exit %d, %s", code, stderr)
	}
	out, stderr, code := run("replicate", "--to", url)
	if code != exitOK || !strings.HasPrefix(out, "replicated ") {
		t.Fatalf("replicate to S3: exit %d\n%s%s", code, out, stderr)
	}
	if out, stderr, code := run("replicate", "--check", "--to", url); code != exitOK {
		t.Fatalf("replicate --check: exit %d\n%s%s", code, out, stderr)
	}

	// Killed mid-way (at a random moment of a run with packs to copy),
	// then resumed: the replica checks clean and equals the source.
	addFiles("two", 6)
	cmd := ta.command(context.Background(), "replicate", "--to", url)
	cmd.Env = append(cmd.Env, creds...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Duration(50+int(rnd[0])) * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	t.Logf("killed run: %v", cmd.Wait())
	if out, stderr, code := run("replicate", "--check", "--to", url); code != exitOK {
		t.Fatalf("--check after a kill: exit %d\n%s%s", code, out, stderr)
	}
	if out, stderr, code := run("replicate", "--to", url, "--json"); code != exitOK || !strings.Contains(out, `"archive"`) {
		t.Fatalf("resuming: exit %d\n%s%s", code, out, stderr)
	}
	dir := filepath.Join(t.TempDir(), "fetched")
	if out, stderr, code := run("replicate", "--fetch", url, "--to", dir); code != exitOK || !strings.HasPrefix(out, "fetched ") {
		t.Fatalf("--fetch: exit %d\n%s%s", code, out, stderr)
	}
	if out, stderr, code := run("verify", "--archive", dir); code != exitOK {
		t.Fatalf("verify of the fetched replica: exit %d\n%s%s", code, out, stderr)
	}
	if got, want := cliItems(t, dir, ta.pass, t.TempDir()), cliItems(t, ta.dir, ta.pass, ta.state); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("fetched replica's items differ from the source's:\n%v\n%v", got, want)
	}
	// The fetched directory is a directory replica the source can update,
	// and --check verifies it in place, though it lags the source.
	addFiles("three", 1)
	if out, stderr, code := run("replicate", "--to", dir); code != exitOK {
		t.Fatalf("replicate to the fetched directory: exit %d\n%s%s", code, out, stderr)
	}
	addFiles("four", 1)
	if out, stderr, code := run("replicate", "--check", "--to", dir, "--json"); code != exitOK || !strings.Contains(out, `"findings": []`) {
		t.Fatalf("--check of a directory replica behind its source: exit %d\n%s%s", code, out, stderr)
	}

	// A pack altered in the bucket (same size): --check reports it. The
	// pack is one that holds an item of the replica (an unreferenced pack,
	// which verify only counts, would prove nothing).
	referenced := map[string]bool{}
	a, err := archive.Open(t.Context(), ta.dir, "", ta.pass, archive.Options{StateDir: ta.state})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Inspect().Items(t.Context(), func(it store.Item) error {
		referenced[it.Pack] = true
		return nil
	})
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	var pack minio.ObjectInfo
	for oi := range cl.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Prefix: "site-b/blobs/", Recursive: true}) {
		if oi.Err == nil && referenced[path.Base(oi.Key)] && pack.Key == "" {
			pack = oi
		}
	}
	if pack.Key == "" {
		t.Fatal("no pack holding an item in the bucket")
	}
	t.Logf("altering %s (%d bytes)", pack.Key, pack.Size)
	junk := make([]byte, pack.Size)
	rand.Read(junk)
	if _, err := cl.PutObject(t.Context(), bucket, pack.Key, bytes.NewReader(junk), pack.Size, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if out, _, code := run("replicate", "--check", "--to", url); code != 1 || !strings.Contains(out, "content") {
		t.Errorf("--check of a replica with an altered pack: exit %d\n%s", code, out)
	}
}

// TestReplicateS3Usage: bad S3 targets and flag combinations exit 2 without
// contacting anything, and never echo credentials.
func TestReplicateS3Usage(t *testing.T) {
	ta := newTestArchive(t)
	for _, args := range [][]string{
		{"replicate", "--to", "s3://AKEXAMPLE:wJalrXUtnFEMIEXAMPLE@bucket/copy"},
		{"replicate", "--to", "s3://Bad_Bucket/copy"},
		{"replicate", "--to", "s3://bucket/copy?endpoint=127.0.0.1:1&color=red"},
		{"replicate", "--to", "ftp://host/copy"},
		{"replicate", "--fetch", t.TempDir(), "--to", t.TempDir()},
		{"replicate", "--fetch", "s3://bucket/copy", "--to", "s3://bucket/other"},
		{"replicate", "--fetch", "s3://bucket/copy"},
		{"replicate", "--check", "--fetch", "s3://bucket/copy", "--to", t.TempDir()},
	} {
		out, stderr, code := ta.run(t, nil, args...)
		if code != exitUsage {
			t.Errorf("sori %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, exitUsage, out, stderr)
		}
		if strings.Contains(out+stderr, "wJalr") {
			t.Errorf("sori %s: the output repeats the credentials:\n%s%s", strings.Join(args, " "), out, stderr)
		}
	}
}
