package archive

// Background indexing for a server (sori serve): intake queues each new
// item for the search index in its own transaction (store.Tx.InsertItem),
// and an indexer takes queued items off in transactions of its own. The CLI
// indexes before it searches (Search, IndexPending); a server also indexes
// in the background, woken by intake through its Repo and, for intake by
// other processes, now and then (internal/web).

// IndexWake fires (at most one wake-up waits) after an intake through this
// Repo commits new items: a background indexer selects on it.
func (r *Repo) IndexWake() <-chan struct{} { return r.indexWake }

// wakeIndexer tells a background indexer that items were queued; it never
// blocks, and a wake-up already waiting covers this one too.
func (r *repoState) wakeIndexer() {
	select {
	case r.indexWake <- struct{}{}:
	default:
	}
}
