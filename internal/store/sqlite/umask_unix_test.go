//go:build unix

package sqlite

import "syscall"

func setUmask(m int) int { return syscall.Umask(m) }
