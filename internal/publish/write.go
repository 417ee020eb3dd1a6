package publish

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sori/internal/durable"
	"sori/internal/evidence"
)

// CheckDir reports whether dir can receive a publication: it must not
// exist, or be an empty directory, and its parent must exist.
func CheckDir(dir string) error {
	exists, err := durable.CheckNewOrEmpty(dir, "publication")
	if err != nil || exists {
		return err
	}
	if _, err := os.Stat(filepath.Dir(filepath.Clean(dir))); err != nil {
		return fmt.Errorf("publication directory %s: %w", dir, err)
	}
	return nil
}

// Stage writes files into a new hidden directory beside dir
// (".DIR.partial-*"), synced, and returns its path. Nothing is at dir yet:
// Commit renames the staged directory into place, Discard removes it. A
// failure removes what it wrote.
func Stage(dir string, files []File) (tmp string, err error) {
	if err := CheckDir(dir); err != nil {
		return "", err
	}
	dir = filepath.Clean(dir)
	tmp, err = os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".partial-")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			tmp = ""
		}
	}()
	for _, f := range files {
		if f.Name == "" || strings.ContainsAny(f.Name, `/\`) || f.Name[0] == '.' {
			return tmp, fmt.Errorf("%w: file name %q", evidence.ErrInvalid, f.Name)
		}
		if err := durable.WriteFile(filepath.Join(tmp, f.Name), f.Data, 0o600); err != nil {
			return tmp, err
		}
	}
	return tmp, durable.SyncDir(tmp)
}

// Commit renames the staged directory tmp to dir (which must still be
// absent or empty) and syncs the parent.
func Commit(tmp, dir string) error {
	dir = filepath.Clean(dir)
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s is not empty; a publication needs a new or empty directory", evidence.ErrExists, dir)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return durable.SyncDir(filepath.Dir(dir))
}

// Discard removes a staged directory.
func Discard(tmp string) error { return os.RemoveAll(tmp) }
