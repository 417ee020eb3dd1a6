package web

import (
	"context"
	"testing"
	"time"

	"sori/internal/archive"
)

// TestBackgroundIndexer: an item added through the server's Repo (by
// another session) is indexed by the server in the background, with a
// logged-in user's session, before anyone searches.
func TestBackgroundIndexer(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	repo, err := archive.OpenRepo(ctx, f.dir, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	srv, err := New(Config{Unlock: repo.Unlock, IndexWake: repo.IndexWake()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.indexed = make(chan int)
	srv.indexEvery = 24 * time.Hour // only the wake-up after intake indexes
	reader, err := repo.Unlock(ctx, "reader", readerPass)
	if err != nil {
		t.Fatal(err)
	}
	srv.sessions.add(reader, srv.cfg.Now())
	go srv.Run(ctx)

	admin, err := repo.Unlock(ctx, "admin", adminPass)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	addText(t, admin, "시험용으로 지어낸 두 번째 면담 기록.\n", archive.AddOptions{Title: "second", Lang: "ko", Kind: "transcript"})
	got := 0
	for got == 0 {
		select {
		case n := <-srv.indexed:
			got += n
		case <-t.Context().Done():
			t.Fatal("never indexed")
		}
	}
	if got != 1 {
		t.Errorf("background indexer indexed %d items, want 1", got)
	}
	// Nothing is left for a search to index first.
	if n, err := admin.IndexPending(ctx, nil); err != nil || n != 0 {
		t.Errorf("IndexPending after the background indexer: %d, %v", n, err)
	}
}
