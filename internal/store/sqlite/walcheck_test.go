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
	if len(wal) < 8*blockSize {
		t.Fatalf("the WAL holds %d bytes: the fixture committed too little to it", len(wal))
	}
	// A flip in an early block: frames after it, commits among them.
	wal[2*blockSize+100] ^= 0x40
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

// withPageSize makes the databases the test creates have pages of ps bytes,
// as sori before 2026-12 made them (4096) or as it makes them now.
func withPageSize(t *testing.T, ps int) {
	t.Helper()
	old := pageSizeOnCreate
	pageSizeOnCreate = ps
	t.Cleanup(func() { pageSizeOnCreate = old })
}

// TestPageSizes: a database of 4 KiB pages (an older archive's) and one of
// 16 KiB (a new one's) each keep their page size, cut posting lists to fit
// it, and have a damaged WAL refused: the check reads frames of the
// database's own page size.
func TestPageSizes(t *testing.T) {
	for _, c := range []struct{ ps, chunk int }{{4096, 3800}, {16384, 16088}} {
		t.Run(fmt.Sprint(c.ps), func(t *testing.T) {
			withPageSize(t, c.ps)
			db, path, key := newDB(t)
			var ps int
			if err := db.sql.QueryRow(`PRAGMA page_size`).Scan(&ps); err != nil || ps != c.ps {
				t.Fatalf("page size %d (%v), want %d", ps, err, c.ps)
			}
			if got := dbPageSize(path, key); got != c.ps {
				t.Errorf("the header read for the WAL check gives %d", got)
			}
			index(t, db, "big", "big", []string{strings.Repeat("산 ", 40000)})
			var most, n int
			if err := db.sql.QueryRow(`SELECT max(length(list)), count(*) FROM search_terms WHERE term = ?`, []byte("산")).Scan(&most, &n); err != nil {
				t.Fatal(err)
			}
			if most != c.chunk || n < 2 {
				t.Errorf("the long list is in %d rows of at most %d bytes, want rows of %d", n, most, c.chunk)
			}
			if got := searchDocs(t, db, "산"); len(got) != 1 {
				t.Errorf("found %v", got)
			}

			wpath, wkey := walFixture(t, 12)
			if got := dbPageSize(wpath, wkey); got != c.ps {
				t.Fatalf("the fixture's pages are %d bytes", got)
			}
			wal, _ := os.ReadFile(wpath + "-wal")
			db2, err := Open(context.Background(), wpath, wkey)
			if err != nil {
				t.Fatalf("the undamaged copy: %v", err)
			}
			db2.Close()
			wal[blockSize+100] ^= 0x40 // garbles the block: the first frame fails
			os.WriteFile(wpath+"-wal", wal, 0o600)
			db2, err = Open(context.Background(), wpath, wkey)
			if !errors.Is(err, evidence.ErrDamaged) || !strings.Contains(fmt.Sprint(err), "frame 1 fails its checksum") {
				if db2 != nil {
					db2.Close()
				}
				t.Fatalf("a flipped bit in the first frame: %v", err)
			}
		})
	}
}

// TestGarbledHeaderNotBlamedOnWAL: when the database's own first block is
// damaged, the WAL check cannot read the page size from it; it judges the
// WAL by the WAL's header, and does not refuse a sound WAL. (Here SQLite
// reads page 1 from the WAL, so the archive opens whole; a checkpoint
// writes the page again.)
func TestGarbledHeaderNotBlamedOnWAL(t *testing.T) {
	path, key := walFixture(t, 4)
	b, _ := os.ReadFile(path)
	b[20] ^= 0x01
	os.WriteFile(path, b, 0o600)
	if got := dbPageSize(path, key); got != 0 {
		t.Fatalf("a garbled header gave page size %d", got)
	}
	db, err := Open(context.Background(), path, key)
	if err != nil {
		t.Fatalf("a garbled database header, page 1 in the WAL: %v", err)
	}
	defer db.Close()
	if v, err := db.Meta(context.Background(), "kd"); err != nil || len(v) != 3000 {
		t.Errorf("the last transaction reads back as %d bytes (%v)", len(v), err)
	}
}
