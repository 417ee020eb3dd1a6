// Package durable holds the few file-system steps that make writes survive
// a crash: atomic replacement of small files, syncing directories, and the
// check that a directory sori is about to fill is new or empty.
package durable

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"sori/internal/evidence"
)

// WriteFile writes data to path via a temporary file in the same
// directory, fsync and rename, then syncs the directory: after it returns
// nil, path holds data even across a power loss, and at no instant does it
// hold a partial file.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir makes the entries of directory dir durable. File systems that
// cannot sync a directory (EINVAL, ENOTSUP) and Windows, where directories
// cannot be opened for syncing, are accepted as they are.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		err = nil
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// CheckNewOrEmpty checks that dir does not exist or is an empty directory,
// and reports whether it exists. what names its purpose in errors.
func CheckNewOrEmpty(dir, what string) (exists bool, err error) {
	if dir == "" {
		return false, fmt.Errorf("%w: no %s directory given", evidence.ErrInvalid, what)
	}
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.IsDir() {
		return true, fmt.Errorf("%w: %s exists and is not a directory", evidence.ErrExists, dir)
	}
	if _, err := f.Readdirnames(1); err != io.EOF {
		return true, fmt.Errorf("%w: %s is not empty; a %s needs a new or empty directory", evidence.ErrExists, dir, what)
	}
	return true, nil
}
