package postgres

import (
	"testing"

	"sori/internal/store"
	"sori/internal/store/storetest"
	"sori/internal/testenv"
)

// scratch makes a schema of its own for one test (dropped after it) and
// returns the URL that selects it.
func scratch(t *testing.T) string { return testenv.PostgresScratch(t) }

var testKey = [32]byte{9, 9, 9}

func create(t *testing.T, u string) *DB {
	t.Helper()
	db, err := Create(t.Context(), u, testKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.DB { return create(t, scratch(t)) })
}

// TestConformanceTwoHandles opens one archive through two pools, as two
// processes do.
func TestConformanceTwoHandles(t *testing.T) {
	t.Parallel()
	storetest.RunShared(t, func(t *testing.T) (store.DB, store.DB) {
		u := scratch(t)
		a := create(t, u)
		b, err := Open(t.Context(), u, testKey)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return a, b
	})
}

// TestConformanceSmallMergePages runs the conformance suite with merges
// that read and write nine posting lists at a time, so that a merge spans
// many pages and a term's lists run past a page's end.
func TestConformanceSmallMergePages(t *testing.T) {
	old := mergePage
	mergePage = 9
	t.Cleanup(func() { mergePage = old })
	storetest.Run(t, func(t *testing.T) store.DB { return create(t, scratch(t)) })
}
