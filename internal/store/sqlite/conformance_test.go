package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"sori/internal/store"
	"sori/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.DB {
		db, err := Create(context.Background(), filepath.Join(t.TempDir(), "meta.db"), [32]byte{7})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// TestConformanceTwoHandles opens the database twice, as two processes do.
func TestConformanceTwoHandles(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.DB, store.DB) {
		path, key := filepath.Join(t.TempDir(), "meta.db"), [32]byte{8}
		a, err := Create(context.Background(), path, key)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		b, err := Open(context.Background(), path, key)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return a, b
	})
}
