package seal

import (
	"syscall"
	"unsafe"
)

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14): fault the pages
// of a range in, writable, leaving their contents as they are.
const madvPopulateWrite = 23

// populate prefaults b's whole pages; false when the kernel cannot.
func populate(b []byte) bool {
	const page = 4096
	if len(b) == 0 {
		return true
	}
	addr := int(uintptr(unsafe.Pointer(&b[0])))
	start := (page - addr%page) % page
	end := len(b) - (addr+len(b))%page
	if end-start < page {
		return true
	}
	return syscall.Madvise(b[start:end], madvPopulateWrite) == nil
}
