package sqlite

import (
	"context"
	"os"
	"testing"
	"time"
)

// The write-ahead log is copied into the database while the database is
// open, by the checkpointer and not by the commits; an explicit checkpoint
// (TruncateWAL) never fails for meeting it; Close ends it.
func TestBackgroundCheckpoint(t *testing.T) {
	db, path, _ := newDB(t)
	ctx := context.Background()
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE filler (b BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	before := st.Size()
	// Three commits of about 800 pages each: the log passes the threshold.
	for range 3 {
		if _, err := db.sql.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 800)
			INSERT INTO filler SELECT randomblob(4000) FROM n`); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing but a checkpoint writes pages into the database file; the
	// checkpointer runs on its own, so wait for it (a bound, not a timing).
	want := before + 2000*pageSize
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes after 2,400 pages committed (was %d): the log was not checkpointed", st.Size(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// An explicit checkpoint takes its turn with the checkpointer's.
	for range 3 {
		if _, err := db.sql.ExecContext(ctx, `INSERT INTO filler SELECT randomblob(4000) FROM filler LIMIT 400`); err != nil {
			t.Fatal(err)
		}
		if err := db.TruncateWAL(ctx); err != nil {
			t.Fatalf("TruncateWAL beside the checkpointer: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-db.ckpt.done:
	default:
		t.Fatal("the checkpointer still runs after Close")
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("the log remains after Close: %v", err)
	}
}
