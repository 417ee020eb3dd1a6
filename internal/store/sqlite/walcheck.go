package sqlite

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"lukechampine.com/adiantum"

	"sori/internal/evidence"
)

// A damaged write-ahead log. SQLite reads the WAL's frames up to the first
// whose checksum fails and drops the rest when it next resets the log: a
// committed transaction written after a damaged frame would be lost, and
// with it acknowledged evidence. So before the database is opened, its WAL
// is read as SQLite will read it (decrypted block by block as the adiantum
// VFS does), and an archive whose WAL holds a commit beyond a damaged frame
// is refused, the WAL left as it is. A damaged tail with no commit after it
// — a transaction cut short by a crash, never acknowledged — is normal.
// (docs/format.md, "Write-ahead log".)

const (
	walHeaderSize      = 32
	walFrameHeaderSize = 24
	walMagicLE         = 0x377f0682
	walMagicBE         = 0x377f0683
)

// walDamage describes a WAL that would lose committed frames, or "".
func walDamage(wal []byte, pageSize int) string {
	if len(wal) < walHeaderSize {
		return ""
	}
	magic := binary.BigEndian.Uint32(wal[0:4])
	if magic != walMagicLE && magic != walMagicBE {
		if bytes.Count(wal, []byte{0}) == len(wal) {
			return ""
		}
		return "its header is not a write-ahead log header"
	}
	bigEndian := magic == walMagicBE
	var s0, s1 uint32
	sum := func(b []byte) {
		for i := 0; i+8 <= len(b); i += 8 {
			var x0, x1 uint32
			if bigEndian {
				x0, x1 = binary.BigEndian.Uint32(b[i:]), binary.BigEndian.Uint32(b[i+4:])
			} else {
				x0, x1 = binary.LittleEndian.Uint32(b[i:]), binary.LittleEndian.Uint32(b[i+4:])
			}
			s0 += x0 + s1
			s1 += x1 + s0
		}
	}
	sum(wal[:24])
	if s0 != binary.BigEndian.Uint32(wal[24:28]) || s1 != binary.BigEndian.Uint32(wal[28:32]) {
		// An unreadable header makes SQLite ignore every frame.
		if countCommits(wal, pageSize, wal[16:24], 0) > 0 {
			return "its header fails its checksum, so SQLite would ignore the committed frames after it"
		}
		return ""
	}
	if ps := int(binary.BigEndian.Uint32(wal[8:12])); ps != pageSize {
		return fmt.Sprintf("its page size is %d, not %d", ps, pageSize)
	}
	salt := wal[16:24]
	frame := walFrameHeaderSize + pageSize
	for i, off := 0, walHeaderSize; off+frame <= len(wal); i, off = i+1, off+frame {
		h := wal[off : off+walFrameHeaderSize]
		if !bytes.Equal(h[8:16], salt) {
			return "" // the end of this log's frames: older ones follow
		}
		sum(h[:8])
		sum(wal[off+walFrameHeaderSize : off+frame])
		if s0 != binary.BigEndian.Uint32(h[16:20]) || s1 != binary.BigEndian.Uint32(h[20:24]) {
			if n := countCommits(wal, pageSize, salt, off+frame); n > 0 {
				return fmt.Sprintf("frame %d fails its checksum, and %d committed transaction(s) follow it", i+1, n)
			}
			return "" // a transaction cut short: never acknowledged
		}
	}
	return ""
}

// countCommits counts the commit frames of this log (its salt) from off.
func countCommits(wal []byte, pageSize int, salt []byte, off int) int {
	if off == 0 {
		off = walHeaderSize
	}
	frame := walFrameHeaderSize + pageSize
	n := 0
	for ; off+frame <= len(wal); off += frame {
		h := wal[off : off+walFrameHeaderSize]
		if bytes.Equal(h[8:16], salt) && binary.BigEndian.Uint32(h[4:8]) != 0 {
			n++
		}
	}
	return n
}

// decryptBlocks decrypts raw, a file of the adiantum VFS, block by block as
// the VFS does (a partial block at the end is left out).
func decryptBlocks(raw []byte, key [32]byte) []byte {
	c := adiantum.New(key[:])
	var tweak [8]byte
	plain := make([]byte, 0, len(raw))
	for off := 0; off+blockSize <= len(raw); off += blockSize {
		binary.LittleEndian.PutUint64(tweak[:], uint64(off))
		plain = append(plain, c.Decrypt(bytes.Clone(raw[off:off+blockSize]), tweak[:])...)
	}
	return plain
}

// dbPageSize is the page size the header of the database at path gives
// (16 KiB for a database sori makes now, 4 KiB for an older one), or 0
// when its first block does not read as an SQLite header: SQLite itself
// then refuses the file, and says why.
func dbPageSize(path string, key [32]byte) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	raw := make([]byte, blockSize)
	if _, err := io.ReadFull(f, raw); err != nil {
		return 0
	}
	h := decryptBlocks(raw, key)
	if string(h[:16]) != "SQLite format 3\x00" {
		return 0
	}
	return validPageSize(int(binary.BigEndian.Uint16(h[16:18])))
}

// validPageSize is ps as a page size the adiantum VFS can hold (1 stands
// for 65536 in a database header), or 0.
func validPageSize(ps int) int {
	if ps == 1 {
		ps = 1 << 16
	}
	if ps < blockSize || ps > 1<<16 || ps&(ps-1) != 0 {
		return 0
	}
	return ps
}

// walPageSize is the page size a WAL's header gives, for a database whose
// own header does not read: the WAL is then judged on its own terms.
func walPageSize(wal []byte) int {
	if len(wal) >= walHeaderSize {
		if ps := validPageSize(int(binary.BigEndian.Uint32(wal[8:12]))); ps != 0 {
			return ps
		}
	}
	return blockSize
}

// checkWAL refuses to open a database whose WAL would lose committed
// transactions. The WAL is read twice, a moment apart, when it looks
// damaged: another process appending or resetting it mid-read is not
// damage.
func checkWAL(path string, key [32]byte) error {
	var verdict string
	for attempt := range 2 {
		if attempt > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		raw, err := os.ReadFile(path + "-wal")
		if errors.Is(err, os.ErrNotExist) || len(raw) == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: write-ahead log: %v", evidence.ErrDamaged, err)
		}
		wal := decryptBlocks(raw, key)
		ps := dbPageSize(path, key)
		if ps == 0 {
			ps = walPageSize(wal)
		}
		if verdict = walDamage(wal, ps); verdict == "" {
			return nil
		}
	}
	return fmt.Errorf("%w: the write-ahead log beside the metadata database (%s-wal) is damaged: %s. It may hold committed evidence, so it was left as it is and nothing was opened. Keep a copy of the whole archive directory as it is; 'sori verify' on a copy with the WAL moved aside shows what the database holds without it", evidence.ErrDamaged, path, verdict)
}
