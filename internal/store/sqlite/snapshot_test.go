package sqlite

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"sori/internal/evidence"
)

// TestSnapshot: a snapshot taken while another connection keeps
// committing opens under the same key, holds a prefix of the commits (each
// one whole), is ciphertext on disk, and is refused under another key.
func TestSnapshot(t *testing.T) {
	db, _, key := newDB(t)
	ctx := context.Background()
	insert := func(i int) error {
		tx, err := db.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := tx.SetMeta(ctx, "snap-a-"+string(rune('a'+i%26))+hex.EncodeToString([]byte{byte(i)}), "marker-text"); err != nil {
			return err
		}
		if err := tx.SetMeta(ctx, "snap-b-"+string(rune('a'+i%26))+hex.EncodeToString([]byte{byte(i)}), "marker-text"); err != nil {
			return err
		}
		return tx.Commit()
	}
	for i := range 20 {
		if err := insert(i); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 20; i < 250; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := insert(i); err != nil {
				t.Error(err)
				return
			}
		}
	})
	path := filepath.Join(t.TempDir(), "snap.db")
	err := db.Snapshot(ctx, path, key)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(path + side); err == nil {
			t.Errorf("snapshot left %s behind", side)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("marker-text")) || bytes.Contains(raw, []byte("SQLite format 3")) {
		t.Error("snapshot is readable on disk")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("snapshot mode %v", st.Mode().Perm())
	}
	snap, err := Open(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	var a, b int
	snap.sql.QueryRowContext(ctx, `SELECT count(*) FROM meta WHERE key LIKE 'snap-a-%'`).Scan(&a)
	snap.sql.QueryRowContext(ctx, `SELECT count(*) FROM meta WHERE key LIKE 'snap-b-%'`).Scan(&b)
	var mode string
	snap.sql.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode)
	snap.Close()
	if a < 20 || a != b {
		t.Errorf("snapshot holds %d and %d halves of transactions (want equal, at least 20)", a, b)
	}
	if mode != "wal" {
		t.Errorf("snapshot journal mode %q", mode)
	}
	if _, err := Open(ctx, path, [32]byte{9}); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("snapshot under another key: %v", err)
	}
	// An existing path is refused and left alone.
	if err := db.Snapshot(ctx, path, key); !errors.Is(err, evidence.ErrExists) {
		t.Errorf("snapshot over an existing file: %v", err)
	}
	// A failing snapshot names neither the key nor leaves a file.
	bad := filepath.Join(t.TempDir(), "missing-dir", "snap.db")
	err = db.Snapshot(ctx, bad, key)
	if err == nil || strings.Contains(err.Error(), hex.EncodeToString(key[:])) {
		t.Errorf("snapshot into a missing directory: %v", err)
	}
	if _, serr := os.Stat(bad); serr == nil {
		t.Error("failed snapshot left a file")
	}
}

// TestTreeHead: an empty log has size 0.
func TestTreeHead(t *testing.T) {
	db, path, key := newDB(t)
	db.Close()
	size, _, err := TreeHead(context.Background(), path, key)
	if err != nil || size != 0 {
		t.Fatalf("TreeHead of an empty log: %d %v", size, err)
	}
}
