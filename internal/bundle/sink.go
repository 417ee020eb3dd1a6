package bundle

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"sori/internal/archive"
	"sori/internal/durable"
	"sori/internal/evidence"
	"sori/internal/store"
)

// A sink receives a bag's files, each once and whole, by slash-separated
// path inside the bag: the payload first, the tag manifests last.
type sink interface {
	file(name string, fill func(io.Writer) error) error
}

// dirSink builds the bag in a hidden directory beside dir and renames it
// into place when complete and synced.
type dirSink struct {
	dir, parent, tmp string
}

func newDirSink(dir string) (*dirSink, error) {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".partial-")
	if err != nil {
		return nil, err
	}
	return &dirSink{dir: dir, parent: parent, tmp: tmp}, nil
}

func (d *dirSink) file(name string, fill func(io.Writer) error) error {
	p := filepath.Join(d.tmp, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (d *dirSink) commit(ctx context.Context) error {
	if err := syncTree(d.tmp); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(d.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s is not empty; a bundle needs a new or empty directory", evidence.ErrExists, d.dir)
	}
	if err := os.Rename(d.tmp, d.dir); err != nil {
		return err
	}
	return durable.SyncDir(d.parent)
}

func (d *dirSink) abort() { os.RemoveAll(d.tmp) }

// zipSink writes the bag as a zip stream, the serialized form of a bag:
// one top-level directory, named by the bag, holding the bag. Entries are
// written as they come, so nothing but the zip's own buffers is held;
// the central directory comes last (Close).
type zipSink struct {
	zw   *zip.Writer
	root string
	when time.Time
}

func (z *zipSink) file(name string, fill func(io.Writer) error) error {
	method := zip.Deflate
	// Originals are often compressed already, and age files always are
	// random: storing them costs no space and saves the CPU.
	if strings.HasPrefix(name, "data/items/") && strings.Contains(path.Base(name), "original") {
		method = zip.Store
	}
	w, err := z.zw.CreateHeader(&zip.FileHeader{Name: z.root + "/" + name, Method: method, Modified: z.when})
	if err != nil {
		return err
	}
	return fill(w)
}

// ZipRoot is the top-level directory of a zipped bundle of export x.
func ZipRoot(x *archive.Export) string { return "sori-bundle-" + x.ID }

// WriteZip writes the export x as a zipped bag to out, with the optional
// tag files: the same files, checked the same way, as WriteExtras puts in a
// directory, under the top-level directory ZipRoot(x) (unzip it and check
// that directory). Nothing is written to disk here; a failure leaves out
// holding a zip without its central directory, which no unzip tool takes
// for whole — the caller removes a file it created.
func WriteZip(ctx context.Context, x *archive.Export, open func(store.Item) (io.ReadCloser, error), out io.Writer, ex Extras) error {
	entry, err := checkExport(x)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(out)
	z := &zipSink{zw: zw, root: ZipRoot(x), when: entry.Time.UTC()}
	if err := writeTo(ctx, x, entry, open, z, ex); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return zw.Close()
}
