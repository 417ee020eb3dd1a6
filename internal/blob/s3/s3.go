// Package s3 is a blob.Store on an S3-compatible object store, through
// minio-go v7.
//
// Layout: the object name N is stored under the key PREFIX+N in BUCKET.
// Keys under the prefix that are not valid blob names (for example the
// probe described below, or "sub/directories") are ignored by List.
//
// Write-once. A Writer keeps the object's bytes in a buffer of at most
// PartSize bytes. An object that fits is sent by one PUT at Commit; a larger
// one becomes a multipart upload, each part sent in the background as its
// buffer fills (two at a time while the next fills: a Writer holds at most
// three part buffers, whatever the object's size), and is completed at
// Commit. S3 shows neither a PUT in flight nor an uncompleted
// multipart upload, so nothing is visible before Commit, and an aborted or
// failed upload is discarded (AbortMultipartUpload). The final PUT or
// CompleteMultipartUpload carries "If-None-Match: *", so the store refuses
// (412) to replace an existing object, and of racing writers exactly one
// wins.
//
// Gateways that ignore If-None-Match would silently overwrite. Before its
// first commit a Store therefore probes the bucket once: it puts a probe
// object (PREFIX+".sori-probe-RANDOM", not a valid blob name) twice with the
// header and removes it. If the second PUT is refused, conditional writes are
// used as above. If it is accepted, the Store falls back to a check: a HEAD
// of the name before the final PUT or complete, failing with ErrExists if
// the object is there. That check cannot stop two writers racing for the
// same name in the moment between HEAD and PUT; sori names packs with 128
// random bits, so only a deliberate second writer of the same name could
// race. Store.Conditional says which mode is in use. versitygw v1.8.0
// (posix backend) honours If-None-Match on both PUT and complete: the
// conformance suite runs against it in conditional mode.
//
// A network store cannot always tell the outcome of the request that
// decides. If the response to the final PUT or complete is lost, minio-go
// retries it; when the first attempt had in fact succeeded, the retry is
// refused (412) and Commit reports ErrExists for what is this writer's own
// object; when every attempt fails, Commit reports an error though the
// object may be in place. Either way the caller sees a failure and the
// object, under a random name nothing refers to, is harmless ciphertext
// (verify counts such packs as unreferenced). What the contract guards —
// no partial object, never an overwrite — holds in every case.
//
// Credentials never come from a URL or from the archive: New uses
// Config.Credentials if set (tests), else the standard AWS environment
// variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
// else the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or
// ~/.aws/credentials, profile AWS_PROFILE or "default").
package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"sori/internal/blob"
)

const (
	// DefaultPartSize is the multipart part size: 16 MiB (a Writer holds
	// at most partsInFlight+1 parts).
	DefaultPartSize = 16 << 20
	// MinPartSize is S3's smallest part (all parts but the last).
	MinPartSize = 5 << 20
	// cleanupTimeout bounds the requests that discard a failed upload,
	// which run even when the caller's context is done.
	cleanupTimeout = 30 * time.Second
)

// errDone is returned by a Writer used after Commit or Abort.
var errDone = errors.New("s3: writer already committed or aborted")

// Config names a bucket and a prefix in it.
type Config struct {
	Endpoint string // host or host:port; "" means s3.amazonaws.com
	Bucket   string
	Prefix   string // key prefix; a "/" is added when missing
	Secure   bool   // https
	Region   string // "" lets the client discover it
	// Credentials overrides the credential chain (tests, embedding).
	Credentials *credentials.Credentials
	// PartSize is the multipart part size (0: DefaultPartSize; at least
	// MinPartSize).
	PartSize int64
}

// Store is a blob.Store in one bucket under one prefix. It is safe for
// concurrent use, also by several processes.
type Store struct {
	core     *minio.Core
	bucket   string
	prefix   string
	partSize int64

	condMu    sync.Mutex
	condKnown bool
	cond      bool
}

var _ blob.Store = (*Store)(nil)

// credentialChain is what New uses without Config.Credentials: the AWS
// environment variables, then the shared credentials file.
func credentialChain() *credentials.Credentials {
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{},
	})
}

// New connects to the bucket, which must exist. It makes one request (does
// the bucket exist?), so that a wrong endpoint, credentials or bucket is
// reported here rather than at the first write.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Endpoint == "" {
		cfg.Endpoint = "s3.amazonaws.com"
	}
	if err := checkBucket(cfg.Bucket); err != nil {
		return nil, err
	}
	prefix, err := cleanPrefix(cfg.Prefix)
	if err != nil {
		return nil, err
	}
	part := cfg.PartSize
	if part == 0 {
		part = DefaultPartSize
	}
	if part < MinPartSize {
		return nil, fmt.Errorf("s3: part size %d is below S3's minimum of %d bytes", part, MinPartSize)
	}
	creds := cfg.Credentials
	if creds == nil {
		creds = credentialChain()
	}
	core, err := minio.NewCore(cfg.Endpoint, &minio.Options{Creds: creds, Secure: cfg.Secure, Region: cfg.Region})
	if err != nil {
		return nil, fmt.Errorf("s3: endpoint %s: %w", cfg.Endpoint, err)
	}
	ok, err := core.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3: bucket %s at %s: %w (check the endpoint, and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials)", cfg.Bucket, cfg.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("s3: bucket %s does not exist at %s: create it first", cfg.Bucket, cfg.Endpoint)
	}
	return &Store{core: core, bucket: cfg.Bucket, prefix: prefix, partSize: part}, nil
}

// checkBucket accepts S3's bucket names: 3 to 63 lowercase letters, digits,
// dots and hyphens, starting and ending with a letter or digit.
func checkBucket(b string) error {
	ok := len(b) >= 3 && len(b) <= 63
	for i := 0; ok && i < len(b); i++ {
		c := b[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		ok = alnum || (c == '.' || c == '-') && i > 0 && i < len(b)-1
	}
	if !ok {
		return fmt.Errorf("s3: bad bucket name %q: 3 to 63 lowercase letters, digits, dots and hyphens", b)
	}
	return nil
}

// cleanPrefix refuses prefixes that would make keys ambiguous ("..", empty
// path elements, a leading "/") and ends a non-empty one with "/".
func cleanPrefix(p string) (string, error) {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return "", nil
	}
	for _, el := range strings.Split(p, "/") {
		if el == "" || el == "." || el == ".." || strings.ContainsAny(el, "\\\x00\r\n") {
			return "", fmt.Errorf("s3: bad prefix %q: use path elements separated by single slashes, no \".\" or \"..\"", p)
		}
	}
	return p + "/", nil
}

// Prefix is the key prefix (ending in "/", or "").
func (s *Store) Prefix() string { return s.prefix }

// Sequential reports that every read is a request: stream packs in order
// (blob.Sequential).
func (s *Store) Sequential() bool { return true }

// Bucket is the bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// Core is the underlying client, for callers that keep other objects beside
// the blobs (internal/replica).
func (s *Store) Core() *minio.Core { return s.core }

func (s *Store) key(name string) string { return s.prefix + name }

func checkName(op, name string) error {
	if !blob.ValidName(name) {
		return fmt.Errorf("s3: %s %q: %w", op, name, blob.ErrInvalidName)
	}
	return nil
}

// IsNotFound reports whether err is S3's "no such key" (or a 404).
func IsNotFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.Code == minio.NoSuchKey || r.StatusCode == http.StatusNotFound && r.Code != minio.NoSuchBucket
}

// IsPreconditionFailed reports whether err is a refused conditional
// request (412).
func IsPreconditionFailed(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusPreconditionFailed || r.Code == "PreconditionFailed"
}

// mapErr wraps err as ErrNotFound when S3 says there is no such key.
func mapErr(op, name string, err error) error {
	if IsNotFound(err) {
		return fmt.Errorf("s3: %s %s: %w", op, name, blob.ErrNotFound)
	}
	return fmt.Errorf("s3: %s %s: %w", op, name, err)
}

// Create starts a new object. It makes no request: whether the name is
// taken is decided at Commit.
func (s *Store) Create(ctx context.Context, name string) (blob.Writer, error) {
	if err := checkName("create", name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &writer{s: s, ctx: ctx, name: name}, nil
}

// Stat reports the size of the object name.
func (s *Store) Stat(ctx context.Context, name string) (blob.Info, error) {
	if err := checkName("stat", name); err != nil {
		return blob.Info{}, err
	}
	oi, err := s.core.StatObject(ctx, s.bucket, s.key(name), minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, mapErr("stat", name, err)
	}
	return blob.Info{Name: name, Size: oi.Size}, nil
}

// Open returns a reader of [off, off+length) of name (length < 0: to the
// end). It asks for the object's size first (a HEAD), to check the range,
// and then reads with a ranged GET bound to that object's ETag, so that
// it never reads a different object put under the name since.
func (s *Store) Open(ctx context.Context, name string, off, length int64) (io.ReadCloser, error) {
	if err := checkName("open", name); err != nil {
		return nil, err
	}
	oi, err := s.core.StatObject(ctx, s.bucket, s.key(name), minio.StatObjectOptions{})
	if err != nil {
		return nil, mapErr("open", name, err)
	}
	n, err := rangeLen(oi.Size, off, length)
	if err != nil {
		return nil, fmt.Errorf("s3: open %s: offset %d length %d of %d bytes: %w", name, off, length, oi.Size, err)
	}
	if n == 0 {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(off, off+n-1); err != nil {
		return nil, fmt.Errorf("s3: open %s: %w", name, err)
	}
	if oi.ETag != "" {
		if err := opts.SetMatchETag(oi.ETag); err != nil {
			return nil, fmt.Errorf("s3: open %s: %w", name, err)
		}
	}
	rc, _, _, err := s.core.GetObject(ctx, s.bucket, s.key(name), opts)
	if err != nil {
		if IsPreconditionFailed(err) {
			return nil, fmt.Errorf("s3: open %s: the object was replaced while opening it: %w", name, blob.ErrNotFound)
		}
		return nil, mapErr("open", name, err)
	}
	return &exactReader{rc: rc, left: n, name: name}, nil
}

// rangeLen returns how many bytes [off, off+length) spans in an object of
// size bytes (length < 0: to the end), or blob.ErrRange.
func rangeLen(size, off, length int64) (int64, error) {
	if off < 0 || off > size {
		return 0, blob.ErrRange
	}
	if length < 0 {
		return size - off, nil
	}
	if length > size-off {
		return 0, blob.ErrRange
	}
	return length, nil
}

// exactReader reads exactly left bytes, reporting a body cut short as
// io.ErrUnexpectedEOF rather than as a clean end.
type exactReader struct {
	rc   io.ReadCloser
	left int64
	name string
}

func (r *exactReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	r.left -= int64(n)
	if err == io.EOF && r.left > 0 {
		return n, fmt.Errorf("s3: read %s: %d bytes missing: %w", r.name, r.left, io.ErrUnexpectedEOF)
	}
	if r.left == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

func (r *exactReader) Close() error { return r.rc.Close() }

// List calls fn for every object under the prefix whose name is valid.
// Uncompleted multipart uploads are not objects and are never listed.
func (s *Store) List(ctx context.Context, fn func(blob.Info) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine when fn fails
	for oi := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix}) {
		if oi.Err != nil {
			return fmt.Errorf("s3: list %s/%s: %w", s.bucket, s.prefix, oi.Err)
		}
		name := strings.TrimPrefix(oi.Key, s.prefix)
		if !blob.ValidName(name) {
			continue
		}
		if err := fn(blob.Info{Name: name, Size: oi.Size}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Remove deletes the object name. S3's DELETE succeeds whether or not the
// key exists, so Remove asks first (a HEAD) to report ErrNotFound.
func (s *Store) Remove(ctx context.Context, name string) error {
	if err := checkName("remove", name); err != nil {
		return err
	}
	if _, err := s.core.StatObject(ctx, s.bucket, s.key(name), minio.StatObjectOptions{}); err != nil {
		return mapErr("remove", name, err)
	}
	if err := s.core.RemoveObject(ctx, s.bucket, s.key(name), minio.RemoveObjectOptions{}); err != nil {
		return mapErr("remove", name, err)
	}
	return nil
}

// Conditional reports whether the store refuses to overwrite with
// If-None-Match (true), or checks with a HEAD before the final write
// (false). It probes the bucket the first time it is called.
func (s *Store) Conditional(ctx context.Context) (bool, error) {
	s.condMu.Lock()
	defer s.condMu.Unlock()
	if s.condKnown {
		return s.cond, nil
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	probe := s.prefix + ".sori-probe-" + hex.EncodeToString(rnd[:])
	put := func() error {
		_, err := s.core.PutObject(ctx, s.bucket, probe, bytes.NewReader(nil), 0, "", "", ifNoneMatch())
		return err
	}
	if err := put(); err != nil {
		return false, fmt.Errorf("s3: probing conditional writes in %s: %w", s.bucket, err)
	}
	err := put()
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	rmErr := s.core.RemoveObject(cleanup, s.bucket, probe, minio.RemoveObjectOptions{})
	switch {
	case IsPreconditionFailed(err):
		s.cond = true
	case err != nil:
		return false, fmt.Errorf("s3: probing conditional writes in %s: %w", s.bucket, err)
	default:
		s.cond = false
	}
	if rmErr != nil {
		return false, fmt.Errorf("s3: removing the probe object %s: %w", probe, rmErr)
	}
	s.condKnown = true
	return s.cond, nil
}

func ifNoneMatch() minio.PutObjectOptions {
	var o minio.PutObjectOptions
	o.SetMatchETagExcept("*")
	return o
}

// partsInFlight is how many parts a Writer sends at once, beside the one it
// fills: a Writer holds at most partsInFlight+1 part buffers.
const partsInFlight = 2

// writer fills one part buffer while up to partsInFlight earlier parts are
// sent in the background. It is not safe for concurrent use (its
// background sends synchronise with it through mu and sem).
type writer struct {
	s    *Store
	ctx  context.Context // Create's: bounds the parts sent by Write
	name string
	buf  []byte
	// uploadID is the multipart upload begun when the first part filled.
	uploadID string
	nparts   int
	sem      chan struct{} // one token per part in flight
	sends    sync.WaitGroup
	mu       sync.Mutex
	etags    map[int]string // part number -> ETag, as sends finish
	free     [][]byte       // buffers of finished sends, for reuse
	err      error          // the first failed send: every later call fails with it
	done     bool
}

func (w *writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errDone
	}
	if err := w.failed(); err != nil {
		return 0, err
	}
	written := 0
	for len(p) > 0 {
		if w.buf == nil {
			w.buf = w.newBuf()
		}
		room := int(w.s.partSize) - len(w.buf)
		n := min(room, len(p))
		w.buf = append(w.buf, p[:n]...)
		p, written = p[n:], written+n
		if len(w.buf) == int(w.s.partSize) {
			if err := w.sendPart(w.ctx); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// newBuf returns the buffer of a finished send, emptied, or nil (append
// then grows a new one only as far as the object needs: most packs are
// far smaller than a part).
func (w *writer) newBuf() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := len(w.free); n > 0 {
		b := w.free[n-1]
		w.free = w.free[:n-1]
		return b[:0]
	}
	return nil
}

// sendPart starts sending the buffer as the next part (starting the
// multipart upload first if this is the first part), once fewer than
// partsInFlight parts are in flight. A failure is reported by this or a
// later call.
func (w *writer) sendPart(ctx context.Context) error {
	key := w.s.key(w.name)
	if w.uploadID == "" {
		id, err := w.s.core.NewMultipartUpload(ctx, w.s.bucket, key, minio.PutObjectOptions{})
		if err != nil {
			w.mu.Lock()
			w.err = fmt.Errorf("s3: write %s: starting a multipart upload: %w", w.name, err)
			w.mu.Unlock()
			return w.failed()
		}
		w.uploadID = id
		w.sem = make(chan struct{}, partsInFlight)
		w.etags = map[int]string{}
	}
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := w.failed(); err != nil {
		<-w.sem
		return err
	}
	w.nparts++
	num, buf, id := w.nparts, w.buf, w.uploadID
	w.buf = nil
	w.sends.Add(1)
	go func() {
		defer w.sends.Done()
		defer func() { <-w.sem }()
		part, err := w.s.core.PutObjectPart(ctx, w.s.bucket, key, id, num, bytes.NewReader(buf), int64(len(buf)), minio.PutObjectPartOptions{})
		w.mu.Lock()
		defer w.mu.Unlock()
		if err != nil {
			if w.err == nil {
				w.err = fmt.Errorf("s3: write %s: part %d: %w", w.name, num, err)
			}
			return
		}
		w.etags[num] = part.ETag
		w.free = append(w.free, buf)
	}()
	return nil
}

// completeParts waits for every send and lists the parts in order.
func (w *writer) completeParts() ([]minio.CompletePart, error) {
	w.sends.Wait()
	if err := w.failed(); err != nil {
		return nil, err
	}
	parts := make([]minio.CompletePart, w.nparts)
	for i := range parts {
		parts[i] = minio.CompletePart{PartNumber: i + 1, ETag: w.etags[i+1]}
	}
	return parts, nil
}

// Commit sends what is buffered and makes the object visible, refusing with
// blob.ErrExists if the name is taken. On any error nothing is visible under
// the name that was not there before, and the upload is discarded.
func (w *writer) Commit(ctx context.Context) error {
	if w.done {
		return errDone
	}
	w.done = true
	err := w.commit(ctx)
	if err != nil {
		w.discard(ctx)
	}
	w.buf = nil
	return err
}

func (w *writer) commit(ctx context.Context) error {
	if err := w.failed(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cond, err := w.s.Conditional(ctx)
	if err != nil {
		return err
	}
	opts := minio.PutObjectOptions{}
	if cond {
		opts = ifNoneMatch()
	} else if _, err := w.s.Stat(ctx, w.name); err == nil {
		return fmt.Errorf("s3: commit %s: %w", w.name, blob.ErrExists)
	} else if !errors.Is(err, blob.ErrNotFound) {
		return err
	}
	key := w.s.key(w.name)
	if w.uploadID == "" {
		_, err = w.s.core.PutObject(ctx, w.s.bucket, key, bytes.NewReader(w.buf), int64(len(w.buf)), "", "", opts)
	} else {
		if len(w.buf) > 0 {
			if err := w.sendPart(ctx); err != nil {
				return err
			}
		}
		var parts []minio.CompletePart
		if parts, err = w.completeParts(); err != nil {
			return err
		}
		_, err = w.s.core.CompleteMultipartUpload(ctx, w.s.bucket, key, w.uploadID, parts, opts)
		if err == nil {
			w.uploadID = "" // completed: nothing to abort
		}
	}
	if IsPreconditionFailed(err) {
		return fmt.Errorf("s3: commit %s: %w", w.name, blob.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("s3: commit %s: %w", w.name, err)
	}
	return nil
}

// Abort discards the upload. It does nothing after Commit.
func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.buf = nil
	if err := w.discard(w.ctx); err != nil {
		return fmt.Errorf("s3: abort %s: %w", w.name, err)
	}
	return nil
}

// discard aborts the multipart upload, if one was begun, even when ctx is
// done (the parts would otherwise be kept, and billed, by the store), once
// no part is being sent.
func (w *writer) discard(ctx context.Context) error {
	w.sends.Wait()
	if w.uploadID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	err := w.s.core.AbortMultipartUpload(ctx, w.s.bucket, w.s.key(w.name), w.uploadID)
	if err == nil || minio.ToErrorResponse(err).Code == "NoSuchUpload" {
		w.uploadID = ""
		return nil
	}
	return err
}
