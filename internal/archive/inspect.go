package archive

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/blob"
	"sori/internal/evidence"
	"sori/internal/store"
)

// Inspector is a read-only view of an open archive's stored rows and
// bytes, for verification and export. It checks nothing about the rows
// itself (callers, package verify, decide what they must satisfy), only
// that the user's role allows OpVerify.
type Inspector struct{ a *Archive }

// Inspect returns the archive's inspector.
func (a *Archive) Inspect() Inspector { return Inspector{a} }

// Items calls fn for every item row.
func (i Inspector) Items(ctx context.Context, fn func(store.Item) error) error {
	if err := i.a.allow(OpVerify); err != nil {
		return err
	}
	return i.a.db.EachItem(ctx, fn)
}

// Versions calls fn for every record version.
func (i Inspector) Versions(ctx context.Context, fn func(store.Version) error) error {
	if err := i.a.allow(OpVerify); err != nil {
		return err
	}
	return i.a.db.EachVersion(ctx, fn)
}

// Custody calls fn for every custody entry about object ("" for all).
func (i Inspector) Custody(ctx context.Context, object string, fn func(store.CustodyRow) error) error {
	if err := i.a.allow(OpVerify); err != nil {
		return err
	}
	return i.a.db.EachCustody(ctx, object, fn)
}

// Users lists the users.
func (i Inspector) Users(ctx context.Context) ([]store.User, error) {
	if err := i.a.allow(OpVerify); err != nil {
		return nil, err
	}
	return i.a.db.Users(ctx)
}

// Vault returns the identity vault's rows without their sealed parts
// (Wrapped and Entry are nil): pseudonym, entry ID, status and times, which
// verification compares with the custody log.
func (i Inspector) Vault(ctx context.Context) ([]store.VaultRow, error) {
	if err := i.a.allow(OpVerify); err != nil {
		return nil, err
	}
	rows, err := i.a.db.VaultRows(ctx)
	for k := range rows {
		rows[k].Wrapped, rows[k].Entry = nil, nil
	}
	return rows, err
}

// VaultNameCounts returns how many hashed name forms (the safety net's)
// each vault entry has, by entry ID; entries with none are left out.
func (i Inspector) VaultNameCounts(ctx context.Context) (map[string]int, error) {
	if err := i.a.allow(OpVerify); err != nil {
		return nil, err
	}
	return i.a.db.VaultNameCounts(ctx)
}

// StoredHashes calls fn for every stored tree hash.
func (i Inspector) StoredHashes(ctx context.Context, fn func(int64, []byte) error) error {
	if err := i.a.allow(OpVerify); err != nil {
		return err
	}
	return i.a.db.EachStoredHash(ctx, fn)
}

// HashReader reads stored tree hashes.
func (i Inspector) HashReader(ctx context.Context) tlog.HashReader { return i.a.db.HashReader(ctx) }

// TreeSize is the number of custody entries.
func (i Inspector) TreeSize(ctx context.Context) (int64, error) {
	if err := i.a.allow(OpVerify); err != nil {
		return 0, err
	}
	return i.a.db.TreeSize(ctx)
}

// Checkpoints calls fn for every stored checkpoint note.
func (i Inspector) Checkpoints(ctx context.Context, fn func(int64, []byte) error) error {
	if err := i.a.allow(OpVerify); err != nil {
		return err
	}
	return i.a.db.EachCheckpoint(ctx, fn)
}

// IntegrityCheck runs SQLite's consistency check.
func (i Inspector) IntegrityCheck(ctx context.Context, quick bool) ([]string, error) {
	if err := i.a.allow(OpVerify); err != nil {
		return nil, err
	}
	return store.IntegrityCheck(ctx, i.a.db, quick)
}

// OpenItem returns the plaintext of it, authenticated chunk by chunk and
// checked against its size and SHA-256 at the end (errors wrap
// evidence.ErrTampered). Opening an item of a testimony is recorded first
// as a "read" custody entry (see openAudited); verification uses HashItem.
func (i Inspector) OpenItem(ctx context.Context, it store.Item) (io.ReadCloser, error) {
	if err := i.a.allow(OpVerify); err != nil {
		return nil, err
	}
	return i.a.openAudited(ctx, it)
}

// Packs calls fn for every object in the blob store.
func (i Inspector) Packs(ctx context.Context, fn func(name string, size int64) error) error {
	if err := i.a.allow(OpVerify); err != nil {
		return err
	}
	return i.a.blobs.List(ctx, func(info blob.Info) error { return fn(info.Name, info.Size) })
}

// CheckPin compares the archive with the checkpoint pinned outside it.
func (i Inspector) CheckPin(ctx context.Context) error {
	if err := i.a.allow(OpVerify); err != nil {
		return err
	}
	return i.a.checkPin(ctx)
}

// PinPath is where the pin is kept ("" when disabled).
func (i Inspector) PinPath() string { return i.a.pinPath() }

// Records calls fn for every version of every model record.
func (i Inspector) Records(ctx context.Context, fn func(store.RecordRow) error) error {
	if err := i.a.allow(OpVerify); err != nil {
		return err
	}
	return i.a.db.EachRecord(ctx, "", false, fn)
}

// KeyFiles returns the contents of every file in the keys directory, by
// name (keys/SUMS included): sealed key pairs and keyrings, ciphertext to
// anyone without the passphrases.
func (i Inspector) KeyFiles(ctx context.Context) (map[string][]byte, error) {
	if err := i.a.allow(OpVerify); err != nil {
		return nil, err
	}
	des, err := os.ReadDir(filepath.Join(i.a.dir, keysDir))
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, de := range des {
		if !de.Type().IsRegular() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(i.a.dir, keysDir, de.Name()))
		if err != nil {
			return nil, err
		}
		out[de.Name()] = b
	}
	return out, nil
}

// OpenSealed opens a version stored sealed in a compartment (seal.IsSealed)
// with the session's compartment key: item is true for an item's record
// version. A compartment the user is not a member of gives an error
// wrapping evidence.ErrForbidden; an envelope that does not authenticate
// where it is, one wrapping evidence.ErrTampered.
func (i Inspector) OpenSealed(ctx context.Context, item bool, id evidence.ID, version int, stored []byte) ([]byte, error) {
	if err := i.a.allow(OpVerify); err != nil {
		return nil, err
	}
	place := recordPlace(id, version)
	if item {
		place = itemPlace(id, version)
	}
	plain, _, err := i.a.openStored(ctx, stored, place)
	return plain, err
}
