package replica

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
)

// CursorFile is the name of the cursor in a replica's directory.
const CursorFile = "replica.json"

// CursorVersion is the version of replica.json this package writes and reads.
const CursorVersion = 1

// Cursor is what a replica records about its last complete replication
// (docs/format.md, "Replicas"): the source archive's ID and the size and
// root hash of the custody tree the copy then held — facts a checkpoint
// already makes public. Size 0 (and no root) means that a first
// replication began and has not completed: the directory is this
// archive's replica, but not yet an archive.
type Cursor struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Archive string `json:"archive"`
	Size    int64  `json:"size"`
	Root    string `json:"root"` // base64 of the tree hash, as in a checkpoint; "" when Size is 0
}

// NewCursor is the cursor of a copy of archive holding a tree of size
// entries with root hash root (size 0: none yet).
func NewCursor(archive string, size int64, root tlog.Hash) Cursor {
	c := Cursor{Format: "sori-replica", Version: CursorVersion, Archive: archive, Size: size}
	if size > 0 {
		c.Root = base64.StdEncoding.EncodeToString(root[:])
	}
	return c
}

// Marshal is the exact form of replica.json; ParseCursor accepts only it.
func (c Cursor) Marshal() []byte {
	b, _ := json.MarshalIndent(c, "", "  ")
	return append(b, '\n')
}

// RootHash is the decoded root (the zero hash when Size is 0).
func (c Cursor) RootHash() tlog.Hash {
	var h tlog.Hash
	b, _ := base64.StdEncoding.DecodeString(c.Root)
	copy(h[:], b)
	return h
}

// ParseCursor reads replica.json. Anything but the exact form Marshal
// writes — another format or version, a bad archive ID, a negative size, a
// root that is not 32 bytes of base64 (or present at size 0) — is refused
// with an error wrapping evidence.ErrDamaged. The root's base64 must be
// canonical: one hash has one spelling.
func ParseCursor(b []byte) (Cursor, error) {
	var c Cursor
	bad := func(why string) (Cursor, error) {
		return Cursor{}, fmt.Errorf("%w: %s: %s", evidence.ErrDamaged, CursorFile, why)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil || c.Format != "sori-replica" {
		return bad("not a sori replica cursor")
	}
	if c.Version != CursorVersion {
		return bad(fmt.Sprintf("version %d (this sori reads %d)", c.Version, CursorVersion))
	}
	if id, err := hex.DecodeString(c.Archive); err != nil || len(id) != 16 || hex.EncodeToString(id) != c.Archive {
		return bad("bad archive ID")
	}
	if c.Size < 0 {
		return bad("negative tree size")
	}
	root, err := base64.StdEncoding.DecodeString(c.Root)
	switch {
	case c.Size == 0 && c.Root != "":
		return bad("a root hash without a tree")
	case c.Size > 0 && (err != nil || len(root) != len(tlog.Hash{}) || base64.StdEncoding.EncodeToString(root) != c.Root):
		return bad("bad root hash")
	}
	if !bytes.Equal(b, c.Marshal()) {
		return bad("not in the form sori writes (altered?)")
	}
	return c, nil
}
