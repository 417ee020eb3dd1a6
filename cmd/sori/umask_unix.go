//go:build unix

package main

import "syscall"

// ownerOnlyFiles sets the process's umask so that every file it creates
// (the database's side files, temporary files, bundles) is the owner's.
func ownerOnlyFiles() { syscall.Umask(0o077) }
