package sqlite

import (
	"context"
	"sync"

	"github.com/ncruces/go-sqlite3"
)

// Checkpoints off the writer's path. SQLite's automatic checkpoint runs in
// the commit that lets the write-ahead log pass a thousand pages: that
// commit copies the log's pages into the database file (through the
// encrypting VFS, read from the log and written again) and syncs it before
// it returns, and the writer waits. An index build spent a third of its
// commits' time there while its tokenizing workers waited for the commit.
// Here every connection's commit only wakes a checkpointer, which runs a
// PASSIVE checkpoint on a connection of its own, beside the next
// transaction: a checkpoint never waits for a writer and never blocks one,
// and what it has not copied stays in the log, which SQLite reads, until
// the next. Closing the database ends the checkpointer first, and SQLite's
// close then checkpoints the rest as it always did. Durability is the
// log's, unchanged: a commit returns once its frames are synced there.

// walCheckpointPages is the size of the log (in pages) past which a
// commit wakes the checkpointer: SQLite's own threshold.
const walCheckpointPages = 1000

// checkpointer copies the log into the database in the background.
type checkpointer struct {
	wakeup chan struct{} // a wake-up waits here (at most one)
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	// mu is held by every checkpoint this process runs, so that an
	// explicit one (TruncateWAL) never meets the checkpointer's and fails
	// as busy.
	mu sync.Mutex
}

func newCheckpointer() *checkpointer {
	return &checkpointer{wakeup: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// hook is each connection's WAL hook: it replaces the automatic checkpoint
// (sqlite3_wal_hook overrides it) and never blocks the commit it runs in.
func (c *checkpointer) hook(_ *sqlite3.Conn, _ string, pages int) error {
	if pages >= walCheckpointPages {
		select {
		case c.wakeup <- struct{}{}:
		default:
		}
	}
	return nil
}

// run checkpoints db's log each time a commit wakes it, until close.
func (c *checkpointer) run(db *DB) {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.wakeup:
		}
		c.mu.Lock()
		// Best effort: a checkpoint another process runs makes this one
		// busy, and whatever is left is copied by the next one.
		var busy, logPages, copied int
		_ = db.sql.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logPages, &copied)
		c.mu.Unlock()
	}
}

// close ends the checkpointer and waits for a checkpoint it is running.
func (c *checkpointer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}
