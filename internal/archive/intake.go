package archive

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"sori/internal/blob"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/internal/store"
)

// Stdin is the path that makes Add read standard input.
const Stdin = "-"

// AddOptions describe the items of one Add call.
type AddOptions struct {
	Title         string // applies to a single file only; otherwise file names are titles
	Lang          string
	Kind          string // "" guesses from the file name
	Witness       string // pseudonym
	TranslationOf string // ID or unique prefix of the item this translates
	Note          string
	// Compartment, if set, is the compartment (name) the items are placed
	// in; a translation is in its original's compartment without it.
	Compartment string
	// Progress, if set, is called now and then (from any goroutine, never
	// concurrently) with plaintext bytes read so far and in all.
	Progress func(done, total int64)
	// Stdin is read for the path "-" (default os.Stdin).
	Stdin io.Reader
	// StdinName, if set, is recorded as the file name of the item read from
	// standard input (and used to guess its kind).
	StdinName string
}

// Added reports one path of an Add call.
type Added struct {
	Path      string
	ID        evidence.ID
	SHA256    evidence.Digest
	Size      int64
	Duplicate bool  // the same bytes were already an item: nothing new was stored
	Err       error // this path failed; nothing was added for it
	// Names are where the new item's text holds a name sealed in the
	// identity vault (which witness, or what name, is not said): mark them
	// for redaction before any publication. Only new text items of up to
	// maxIndexText bytes are checked, and only when the vault holds names.
	Names []NameSpan
}

// Tuning of intake. Packs gather many items into one stored object so that
// thousands of small files cost a few fsyncs, not thousands.
const (
	packTarget  = 64 << 20               // close a pack once it holds this much
	packMaxAge  = 300 * time.Millisecond // … or once it has been open this long
	readBufSize = 256 << 10
)

type source struct {
	idx  int
	path string    // as given (Added.Path); "-" for standard input
	name string    // the file name recorded; "" for standard input without StdinName
	r    io.Reader // a stream (standard input, an upload); nil: open path
	size int64     // from stat or the caller; -1 when unknown
}

// Source is one item to add from a stream rather than a path: an upload
// to a server, say. Nothing of it is written anywhere but, encrypted, into
// the archive.
type Source struct {
	// Name is the file name recorded in the item's record (its kind is
	// guessed from it); it must be valid UTF-8, without a directory.
	Name string
	// Size is the number of bytes R will give, or -1 when unknown. A known
	// size lets a small stream be compared with existing items before
	// anything is stored; a stream that gives more bytes than it said
	// fails.
	Size int64
	// R is read once, to its end.
	R io.Reader
}

// pending is an item written to a pack, waiting for its pack and its
// database row to become durable.
type pending struct {
	src      source
	sum      evidence.Digest
	id       evidence.ID
	size     int64
	off, len int64
	names    []NameSpan // sealed names in its text
	key      seal.ItemKey
}

// sealTo is the compartment key an intake seals its items under.
type sealTo struct {
	id  string
	gen int
	key [32]byte
}

// message from a worker to the committer: either a finished pack with its
// items or a result that needs no commit.
type message struct {
	pack   string
	items  []pending
	result *Added
	idx    int
}

// Add stores the files at paths (directories recursively, "-" for standard
// input) as items. emit is called once per file, in the order of paths (a
// directory's files sorted by name), only after that file's item is durable
// in the blob store and the database. If emit returns an error, Add stops
// and returns it. Add returns an error wrapping evidence.ErrInvalid or
// ErrNotFound, having changed nothing, when the options or paths are bad.
// Per-file failures are reported through emit (Added.Err), and then Add's
// error is nil: already stored items stay stored.
func (a *Archive) Add(ctx context.Context, paths []string, opt AddOptions, emit func(Added) error) error {
	if err := a.allow(OpAdd); err != nil {
		return err
	}
	srcs, err := expand(paths)
	if err != nil {
		return err
	}
	if opt.Stdin == nil {
		opt.Stdin = os.Stdin
	}
	for i := range srcs {
		if srcs[i].path == Stdin {
			srcs[i].r, srcs[i].name = opt.Stdin, filepath.Base(opt.StdinName)
			if opt.StdinName == "" {
				srcs[i].name = ""
			}
		}
	}
	return a.add(ctx, srcs, opt, emit)
}

// AddSources stores streams as items, as Add stores files: emit is called
// once per source, in order, after its item is durable (Added.Path is the
// source's Name). A server's uploads come this way, never through a file.
func (a *Archive) AddSources(ctx context.Context, sources []Source, opt AddOptions, emit func(Added) error) error {
	if err := a.allow(OpAdd); err != nil {
		return err
	}
	if len(sources) == 0 {
		return fmt.Errorf("%w: nothing to add", evidence.ErrInvalid)
	}
	srcs := make([]source, len(sources))
	for i, s := range sources {
		if s.R == nil {
			return fmt.Errorf("%w: source %d has no reader", evidence.ErrInvalid, i+1)
		}
		if s.Name == "" || s.Name != filepath.Base(s.Name) || s.Name == "." || s.Name == ".." {
			return fmt.Errorf("%w: source %d: give a file name without a directory", evidence.ErrInvalid, i+1)
		}
		size := s.Size
		if size < 0 {
			size = -1
		}
		srcs[i] = source{idx: i, path: s.Name, name: s.Name, r: s.R, size: size}
	}
	return a.add(ctx, srcs, opt, emit)
}

func (a *Archive) add(ctx context.Context, srcs []source, opt AddOptions, emit func(Added) error) error {
	tmpl, err := a.recordTemplate(ctx, opt)
	if err != nil {
		return err
	}
	var into *sealTo
	if tmpl.Compartment != "" {
		id, gen, key, err := a.currentCompartment(ctx, a.db.Meta, tmpl.Compartment)
		if err != nil {
			return err
		}
		into = &sealTo{id: id, gen: gen, key: key}
		tmpl.Compartment = id
	}
	guard, err := a.newNameGuard(ctx, nil)
	if err != nil {
		return err
	}
	if guard.Empty() {
		guard = nil // no names sealed: nothing read for it
	}
	// Keys that cannot be read (this session's are stale after a rotation
	// elsewhere) leave the earlier IDs out, as when they were read for
	// each file; the commit then refuses the stale keys (currentKeys).
	earlier, _ := a.earlierIDKeys(ctx)
	if opt.Title != "" && len(srcs) != 1 {
		return fmt.Errorf("%w: --title applies to a single file; %d files given (directories use file names)", evidence.ErrInvalid, len(srcs))
	}
	var total int64
	for _, s := range srcs {
		total += max(s.size, 0)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan source, 64)
	msgs := make(chan message, 64)
	go func() {
		defer close(jobs)
		for _, s := range srcs {
			select {
			case jobs <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	prog := newProgress(opt.Progress, total)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{a: a, ctx: ctx, jobs: jobs, out: msgs, prog: prog, buf: make([]byte, readBufSize), guard: guard, into: into, earlier: earlier}
			w.run()
		}()
	}
	go func() { wg.Wait(); close(msgs) }()

	err = a.commitLoop(ctx, len(srcs), msgs, tmpl, emit)
	if err != nil {
		cancel()
		for range msgs { // let workers finish and abort their packs
		}
	}
	prog.finish()
	return err
}

// recordTemplate validates the options once, before anything is stored.
func (a *Archive) recordTemplate(ctx context.Context, opt AddOptions) (evidence.ItemRecord, error) {
	r := evidence.ItemRecord{V: evidence.RecordVersion, Title: opt.Title, Lang: opt.Lang, Witness: opt.Witness, Note: opt.Note, Kind: evidence.Document}
	if opt.Kind != "" {
		k, err := evidence.ParseKind(opt.Kind)
		if err != nil {
			return r, err
		}
		r.Kind = k
	}
	if opt.TranslationOf != "" {
		id, err := a.Resolve(ctx, opt.TranslationOf)
		if err != nil {
			return r, fmt.Errorf("--translation-of: %w", err)
		}
		r.TranslationOf = &id
		v, err := a.db.LatestVersion(ctx, id)
		if err != nil {
			return r, err
		}
		if c := storedCompartment(v.Record); c != "" {
			if opt.Compartment != "" {
				if want, _, _, err := a.currentCompartment(ctx, a.db.Meta, opt.Compartment); err != nil {
					return r, err
				} else if want != c {
					return r, fmt.Errorf("%w: --translation-of %s is in compartment %s, not %s", evidence.ErrInvalid, id, a.compartmentName(ctx, c), opt.Compartment)
				}
			}
			r.Compartment = c
		}
	}
	if opt.Compartment != "" && r.Compartment == "" {
		r.Compartment = opt.Compartment
	}
	if err := r.Validate(); err != nil {
		return r, err
	}
	if opt.Kind == "" {
		r.Kind = ""
	}
	return r, nil
}

// expand turns the argument list into files, checking that each exists.
func expand(paths []string) ([]source, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w: nothing to add: give files, directories or - for standard input", evidence.ErrInvalid)
	}
	var out []source
	stdin := false
	for _, p := range paths {
		if p == Stdin {
			if stdin {
				return nil, fmt.Errorf("%w: standard input (-) given twice", evidence.ErrInvalid)
			}
			stdin = true
			out = append(out, source{path: p, size: -1})
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", evidence.ErrNotFound, p, errors.Unwrap(err))
		}
		switch {
		case st.Mode().IsRegular():
			out = append(out, source{path: p, name: filepath.Base(p), size: st.Size()})
		case st.IsDir():
			var files []source
			err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.Type().IsRegular() {
					info, err := d.Info()
					if err != nil {
						return err
					}
					files = append(files, source{path: path, name: filepath.Base(path), size: info.Size()})
				}
				return nil // symlinks, devices and sockets inside directories are skipped
			})
			if err != nil {
				return nil, fmt.Errorf("%w: %v", evidence.ErrInvalid, err)
			}
			sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
			out = append(out, files...)
		default:
			return nil, fmt.Errorf("%w: %s is not a regular file or directory", evidence.ErrInvalid, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no files found under %v", evidence.ErrInvalid, paths)
	}
	for i := range out {
		out[i].idx = i
	}
	return out, nil
}

type worker struct {
	a     *Archive
	ctx   context.Context
	jobs  <-chan source
	out   chan<- message
	prog  *progress
	buf   []byte
	guard *nameGuard // nil: no names to look for
	text  []byte     // a text file's plaintext, gathered for guard
	into  *sealTo    // the compartment the items go into (nil: none)

	pack   blob.Writer
	name   string
	off    int64
	opened time.Time
	items  []pending

	// earlier are the item ID keys before a rotation (rotate.go), read
	// once: the same bytes added under one of them are a duplicate too.
	earlier [][32]byte
}

func (w *worker) run() {
	defer w.flush()
	for s := range w.jobs {
		if err := w.ctx.Err(); err != nil {
			w.fail(s, err)
			continue
		}
		// The file name becomes part of the item's record, which is UTF-8:
		// a name that is not fails this file alone, before anything of it
		// is stored.
		if !utf8.ValidString(s.name) {
			w.fail(s, fmt.Errorf("%w: the file name is not valid UTF-8 (rename the file; nothing of it was stored)", evidence.ErrInvalid))
			continue
		}
		small, dup, err := w.duplicate(s)
		if err != nil {
			w.fail(s, err)
			continue
		}
		if dup {
			continue
		}
		p, err := w.store(s, small)
		if err != nil {
			w.fail(s, err)
		} else {
			w.items = append(w.items, p)
		}
		// A pack is not flushed just because the queue is momentarily
		// empty: on two cores the goroutine filling it is often not
		// running, and flushing then made packs of ~50 items, each with
		// its own fsyncs and commit (batched intake ran at half speed).
		// The queue's end flushes (defer above), and so does age.
		if w.off >= packTarget || time.Since(w.opened) >= packMaxAge {
			w.flush()
		}
	}
}

func (w *worker) fail(s source, err error) {
	w.out <- message{idx: s.idx, result: &Added{Path: s.path, Err: err}}
}

// duplicate reports a file whose bytes are already an item, without
// storing anything. Small files are read whole into the worker's buffer
// (which store then encrypts from, so each file is still read once); a
// large file is hashed in a first pass only when an item of exactly its
// size exists. It returns the small file's bytes when they are new.
func (w *worker) duplicate(s source) (small []byte, dup bool, err error) {
	if s.size < 0 {
		return nil, false, nil
	}
	if s.r != nil {
		// A stream is read once: only one that fits the buffer is
		// compared before it is stored.
		if s.size > int64(len(w.buf)) {
			return nil, false, nil
		}
		m, err := io.ReadFull(s.r, w.buf[:s.size])
		if err != nil {
			return nil, false, fmt.Errorf("%w: the stream ended after %d of the %d bytes it announced", evidence.ErrInvalid, m, s.size)
		}
		var one [1]byte
		if extra, _ := io.ReadFull(s.r, one[:]); extra > 0 {
			return nil, false, fmt.Errorf("%w: the stream holds more than the %d bytes it announced; nothing of it was stored", evidence.ErrInvalid, s.size)
		}
		small = w.buf[:m]
		return w.known(s, small, sha256.Sum256(small), int64(m))
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, false, nil // store reports the error
	}
	defer f.Close()
	var sum evidence.Digest
	var n int64
	if s.size <= int64(len(w.buf)) {
		m, err := io.ReadFull(f, w.buf[:s.size])
		if err != nil {
			return nil, false, nil
		}
		var one [1]byte
		if extra, _ := f.Read(one[:]); extra > 0 {
			return nil, false, nil // the file grew: take the streaming path
		}
		small, n = w.buf[:m], int64(m)
		sum = sha256.Sum256(small)
	} else {
		if exists, err := w.a.db.SizeExists(w.ctx, s.size); err != nil || !exists {
			return nil, false, nil
		}
		h := sha256.New()
		if n, err = io.CopyBuffer(h, f, w.buf); err != nil {
			return nil, false, nil
		}
		h.Sum(sum[:0])
	}
	return w.known(s, small, sum, n)
}

// known reports s as a duplicate when its digest is already an item's;
// otherwise it gives small back for store.
func (w *worker) known(s source, small []byte, sum evidence.Digest, n int64) ([]byte, bool, error) {
	id := w.a.ring.ItemID(sum)
	if _, err := w.a.db.Item(w.ctx, id); err != nil {
		var ok bool
		if id, ok = w.a.earlierItem(w.ctx, w.earlier, sum); !ok { // added before an ID key rotation (rotate.go)
			return small, false, nil
		}
	}
	w.prog.add(n)
	w.out <- message{idx: s.idx, result: &Added{Path: s.path, ID: id, SHA256: sum, Size: n, Duplicate: true}}
	return nil, true, nil
}

// store streams one file into the worker's open pack: one pass that hashes
// the plaintext and encrypts it. small, if not nil, is the whole file,
// already read.
func (w *worker) store(s source, small []byte) (pending, error) {
	var r io.Reader
	switch {
	case small != nil:
		// already read; the loop below runs once without reading
	case s.r != nil:
		r = s.r
	default:
		f, err := os.Open(s.path)
		if err != nil {
			return pending{}, err
		}
		defer f.Close()
		r = f
	}
	if w.pack == nil {
		var nb [16]byte
		rand.Read(nb[:])
		w.name = hex.EncodeToString(nb[:])
		pw, err := w.a.blobs.Create(w.ctx, w.name)
		if err != nil {
			return pending{}, err
		}
		w.pack, w.off, w.opened = pw, 0, time.Now()
	}
	start := w.off
	cw := &countWriter{w: w.pack, n: &w.off}
	// Each item has a key of its own, so that it can be shredded alone
	// (docs/protection.md); the key row is stored with the item.
	var ik seal.ItemKey
	var key [32]byte
	var err error
	if w.into != nil {
		ik, key, err = seal.NewItemKeyIn(w.into.key, w.into.id, w.into.gen)
	} else {
		ik, key, err = w.a.ring.NewItemKey()
	}
	if err != nil {
		return pending{}, err
	}
	enc, err := w.a.ring.EncryptItemKeyed(cw, ik, key)
	clear(key[:])
	if err != nil {
		return pending{}, err
	}
	h := sha256.New()
	var size int64
	// Text for the safety net is gathered only while it looks like text
	// and fits the size the index would read; it is wiped after.
	gather := w.guard != nil && (s.size < 0 || s.size <= maxIndexText)
	w.text = w.text[:0]
	defer func() { clear(w.text); w.text = w.text[:0] }()
	for {
		if err := w.ctx.Err(); err != nil {
			return pending{}, err // the partial stream stays in the pack, unreferenced
		}
		var n int
		var rerr error
		if small != nil {
			n, rerr = copy(w.buf, small), io.EOF // small is w.buf[:len(small)]
		} else {
			n, rerr = r.Read(w.buf)
		}
		if n > 0 {
			if gather {
				if w.text = append(w.text, w.buf[:n]...); len(w.text) > maxIndexText || len(w.text) == n && !looksLikeText(trimCutRune(w.text)) {
					gather = false
				}
			}
			h.Write(w.buf[:n])
			if _, err := enc.Write(w.buf[:n]); err != nil {
				return pending{}, err
			}
			size += int64(n)
			w.prog.add(int64(n))
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return pending{}, rerr
		}
	}
	if err := enc.Close(); err != nil {
		return pending{}, err
	}
	var sum evidence.Digest
	h.Sum(sum[:0])
	var names []NameSpan
	if gather && looksLikeText(w.text) {
		names = w.guard.Find(string(w.text))
	}
	return pending{src: s, sum: sum, id: w.a.ring.ItemID(sum), size: size, off: start, len: w.off - start, names: names, key: ik}, nil
}

// flush makes the open pack durable and hands its items to the committer.
func (w *worker) flush() {
	if w.pack == nil {
		return
	}
	pack, items := w.pack, w.items
	w.pack, w.items = nil, nil
	if len(items) == 0 {
		pack.Abort()
		return
	}
	if err := pack.Commit(w.ctx); err != nil {
		for _, p := range items {
			w.fail(p.src, fmt.Errorf("storing pack: %w", err))
		}
		return
	}
	w.out <- message{pack: w.name, items: items}
}

type countWriter struct {
	w io.Writer
	n *int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}

// commitLoop records finished packs in the database and emits results in
// input order.
func (a *Archive) commitLoop(ctx context.Context, n int, msgs <-chan message, tmpl evidence.ItemRecord, emit func(Added) error) error {
	done := make(map[int]Added)
	next := 0
	for m := range msgs {
		if m.result != nil {
			done[m.idx] = *m.result
		} else {
			for idx, r := range a.commitPack(ctx, m, tmpl) {
				done[idx] = r
			}
		}
		for ; next < n; next++ {
			r, ok := done[next]
			if !ok {
				break
			}
			delete(done, next)
			if err := emit(r); err != nil {
				return err
			}
		}
	}
	if next < n && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

func (a *Archive) commitPack(ctx context.Context, m message, tmpl evidence.ItemRecord) map[int]Added {
	out := make(map[int]Added, len(m.items))
	failAll := func(err error) map[int]Added {
		for _, p := range m.items {
			out[p.src.idx] = Added{Path: p.src.path, Err: err}
		}
		return out
	}
	// Items whose pack is durable are committed even when the caller has
	// been interrupted: the work is done and the user is told about it.
	ctx = context.WithoutCancel(ctx)
	_, err := a.change(ctx, OpAdd, func(tx store.Tx, log *logger) error {
		// The pack's rows go in a few batches (store.Batcher): items,
		// then the new ones' keys, versions and custody entries.
		now := log.now
		rows := make([]store.Item, len(m.items))
		for i, p := range m.items {
			rows[i] = store.Item{ID: p.id, SHA256: p.sum, Size: p.size, Pack: m.pack, Off: p.off, Len: p.len,
				KeyGen: a.ring.CurrentGen(), CreatedAt: now, CreatedBy: a.me.ID}
		}
		inserted, err := store.InsertItems(ctx, tx, rows)
		if err != nil {
			return err
		}
		st, err := a.intakeSeal(ctx, tx, tmpl.Compartment)
		if err != nil {
			return err
		}
		var keys []store.ItemKey
		var versions []store.Version
		var entries []pendingEntry
		for i, p := range m.items {
			r := Added{Path: p.src.path, ID: p.id, SHA256: p.sum, Size: p.size, Duplicate: !inserted[i]}
			if inserted[i] {
				r.Names = p.names
			}
			out[p.src.idx] = r
			if !inserted[i] {
				continue
			}
			keys = append(keys, store.ItemKey{Item: p.id, Handle: p.key.Handle, Gen: p.key.Gen, Wrapped: p.key.Wrapped})
			rec := tmpl
			rec.Item, rec.Version, rec.Time, rec.Actor = p.id, 1, now, a.me.ID
			rec.Filename = p.src.name
			if rec.Title == "" {
				rec.Title = cmp.Or(p.src.name, "standard input")
			}
			if rec.Kind == "" {
				rec.Kind = evidence.KindFromName(rec.Filename)
			}
			if err := rec.Validate(); err != nil {
				return err
			}
			body := rec.Marshal()
			digest := evidence.Sum(body)
			stored, err := a.sealIntake(ctx, st, p, body)
			if err != nil {
				return err
			}
			versions = append(versions, store.Version{Item: p.id, Version: 1, Record: stored, Digest: digest, CreatedAt: now, Actor: a.me.ID})
			entries = append(entries, pendingEntry{object: p.id.String(), version: 1, digest: digest, content: p.sum})
		}
		if err := store.InsertItemKeys(ctx, tx, keys); err != nil {
			return err
		}
		if err := store.InsertVersions(ctx, tx, versions); err != nil {
			return err
		}
		// InsertItems queued the new items for search: IndexPending (sori
		// index, the next search, a server's background indexer) takes them.
		return log.appendAll(ctx, custody.KindIntake, entries)
	})
	if err != nil {
		return failAll(err)
	}
	a.wakeIndexer()
	a.log.Debug("pack committed", "items", len(m.items))
	return out
}

// progress throttles calls to the caller's progress function.
type progress struct {
	fn    func(done, total int64)
	total int64
	done  atomic.Int64
	mu    sync.Mutex
	last  time.Time
}

func newProgress(fn func(done, total int64), total int64) *progress {
	return &progress{fn: fn, total: total}
}

func (p *progress) add(n int64) {
	d := p.done.Add(n)
	if p.fn == nil {
		return
	}
	if !p.mu.TryLock() {
		return
	}
	defer p.mu.Unlock()
	if time.Since(p.last) >= 100*time.Millisecond {
		p.last = time.Now()
		p.fn(d, p.total)
	}
}

func (p *progress) finish() {
	if p.fn != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.fn(p.done.Load(), p.total)
	}
}
