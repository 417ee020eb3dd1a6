//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package archive

import (
	"errors"
	"os"
)

const (
	lockSh = 1 << iota
	lockEx
	lockUn
	lockNB
)

var errWouldBlock = errors.New("would block")

// flock does nothing here: sori has no lock across processes on systems
// without flock(2) (docs/format.md "Locks"); the process's own lock still
// orders its Archives.
func flock(f *os.File, how int) error { return nil }
