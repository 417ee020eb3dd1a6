package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/evidence"
)

// walFixture commits n transactions to a database held open, so that they
// are in its WAL, and copies the database and the WAL as they are (a
// crash). It returns the copy's path.
func walFixture(t *testing.T, n int) (string, [32]byte) {
	t.Helper()
	db, path, key := newDB(t)
	ctx := context.Background()
	for i := range n {
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.SetMeta(ctx, "k"+string(rune('a'+i)), strings.Repeat("x", 3000)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	for _, side := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + side)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "meta.db"+side), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "meta.db"), key
}

func TestDamagedWALRefused(t *testing.T) {
	path, key := walFixture(t, 12)
	wal, _ := os.ReadFile(path + "-wal")
	if len(wal) < 8*pageSize {
		t.Fatalf("the WAL holds %d bytes: the fixture committed too little to it", len(wal))
	}
	// A flip in an early block: frames after it, commits among them.
	wal[2*pageSize+100] ^= 0x40
	os.WriteFile(path+"-wal", wal, 0o600)
	db, err := Open(context.Background(), path, key)
	if !errors.Is(err, evidence.ErrDamaged) || !strings.Contains(fmt.Sprint(err), "committed transaction(s) follow it") {
		if db != nil {
			db.Close()
		}
		t.Fatalf("a damaged WAL with later commits: %v", err)
	}
	after, _ := os.ReadFile(path + "-wal")
	if string(after) != string(wal) {
		t.Error("the damaged WAL was changed")
	}
}

func TestCleanAndTornWALOpen(t *testing.T) {
	path, key := walFixture(t, 12)
	db, err := Open(context.Background(), path, key)
	if err != nil {
		t.Fatalf("a clean WAL: %v", err)
	}
	var v string
	if err := db.sql.QueryRow(`SELECT length(value) FROM meta WHERE key = 'kl'`).Scan(&v); err != nil || v != "3000" {
		t.Errorf("the last transaction in the WAL: %q, %v", v, err)
	}
	db.Close()

	// A torn tail: the last block scrambled, no commit after it.
	path, key = walFixture(t, 12)
	wal, _ := os.ReadFile(path + "-wal")
	wal[len(wal)-10] ^= 0x01
	os.WriteFile(path+"-wal", wal, 0o600)
	db, err = Open(context.Background(), path, key)
	if err != nil {
		t.Fatalf("a torn tail: %v", err)
	}
	db.Close()
}

func FuzzWALDamage(f *testing.F) {
	f.Add([]byte{}, 4096)
	f.Add(make([]byte, 32), 512)
	f.Fuzz(func(t *testing.T, wal []byte, ps int) {
		if ps < 8 || ps > 1<<16 {
			return
		}
		walDamage(wal, ps) // must not panic
	})
}
