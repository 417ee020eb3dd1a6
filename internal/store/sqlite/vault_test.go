package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"testing"
	"time"

	"sori/internal/evidence"
	"sori/internal/store"
)

// TestWithdrawShreds: after a withdrawal and the WAL truncation, no page of
// the database — read decrypted, through the database key — holds the
// wrapped key or the sealed entry, and the raw files hold neither.
func TestWithdrawShreds(t *testing.T) {
	db, path, key := newDB(t)
	ctx := context.Background()
	tx, _ := db.Begin(ctx)
	if err := tx.InsertUser(ctx, store.User{ID: "u1", Name: "kim", Role: "protection", Recipient: "age1x", SignPub: []byte{1}, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	wrapped, entry := make([]byte, 72), make([]byte, 6000) // the entry spills onto an overflow page
	rand.Read(wrapped)
	rand.Read(entry)
	r := store.VaultRow{Pseudonym: "W-17", ID: "0123456789abcdef0123456789abcdef", Wrapped: wrapped, Entry: entry, CreatedAt: time.Now(), CreatedBy: "u1"}
	if err := tx.InsertVault(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if !pagesHold(t, path, key, wrapped[:32]) || !pagesHold(t, path, key, entry[4000:4032]) {
		t.Fatal("the page scan does not see the row it should find")
	}
	tx, err := db.BeginShredding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.InsertVault(ctx, r); !errors.Is(err, evidence.ErrExists) {
		t.Errorf("second insert of W-17: %v", err)
	}
	got, err := tx.WithdrawVault(ctx, "W-17", time.Now())
	if err != nil || !got.Withdrawn || got.Wrapped != nil {
		t.Fatal(got, err)
	}
	if _, err := tx.WithdrawVault(ctx, "W-17", time.Now()); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("second withdrawal: %v", err)
	}
	if _, err := tx.WithdrawVault(ctx, "W-99", time.Now()); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("unknown witness: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.TruncateWAL(ctx); err != nil {
		t.Fatal(err)
	}
	for _, needle := range [][]byte{wrapped[:16], wrapped[40:56], entry[:16], entry[3000:3016], entry[5980:5996]} {
		if pagesHold(t, path, key, needle) {
			t.Error("a decrypted page still holds bytes of the withdrawn entry")
		}
		for _, f := range []string{path, path + "-wal"} {
			if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, needle) {
				t.Errorf("%s holds bytes of the withdrawn entry", f)
			}
		}
	}
	if st, err := os.Stat(path + "-wal"); err == nil && st.Size() != 0 {
		t.Errorf("WAL holds %d bytes after the truncation", st.Size())
	}
	rows, err := db.VaultRows(ctx)
	if err != nil || len(rows) != 1 || !rows[0].Withdrawn || rows[0].Entry != nil {
		t.Errorf("after withdrawal: %+v, %v", rows, err)
	}
}

// pagesHold reports whether any block of the database or its WAL,
// decrypted as the adiantum VFS does (each 4 KiB block under the database
// key, tweaked by its offset), holds b.
func pagesHold(t *testing.T, path string, key [32]byte, b []byte) bool {
	t.Helper()
	for _, f := range []string{path, path + "-wal"} {
		raw, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(decryptBlocks(raw, key), b) {
			return true
		}
	}
	return false
}
