//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package archive

import (
	"os"
	"syscall"
)

const (
	lockSh = syscall.LOCK_SH
	lockEx = syscall.LOCK_EX
	lockUn = syscall.LOCK_UN
	lockNB = syscall.LOCK_NB
)

var errWouldBlock = syscall.EWOULDBLOCK

// flock is flock(2) on f, retried when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
