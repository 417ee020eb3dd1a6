package postgres

import (
	"errors"
	"testing"
	"time"

	"sori/internal/evidence"
)

// TestArchiveLock: two handles on one archive (two pools, as two processes
// have): while one holds the archive lock shared, the other's archive-wide
// change waits its bounded time and fails busy without running; once the
// first closes, the change runs, and holds the lock shared again after.
// A third handle opening meanwhile queues behind the change (the gate).
func TestArchiveLock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	u := scratch(t)
	a := create(t, u)
	b, err := Open(ctx, u, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	soon := func() time.Time { return time.Now().Add(200 * time.Millisecond) }
	if err := a.LockShared(ctx, soon()); err != nil {
		t.Fatal(err)
	}
	if err := b.LockShared(ctx, soon()); err != nil {
		t.Fatalf("two holders of the shared lock: %v", err)
	}
	ran := false
	err = a.Exclusive(ctx, soon(), func() error { ran = true; return nil })
	if !errors.Is(err, evidence.ErrBusy) || ran {
		t.Fatalf("a change beside another open handle: ran %v, err %v", ran, err)
	}
	b.Close()
	c, err := Open(ctx, u, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = a.Exclusive(ctx, soon(), func() error {
		ran = true
		// Meanwhile another handle cannot open the archive.
		if err := c.LockShared(ctx, soon()); !errors.Is(err, evidence.ErrBusy) {
			t.Errorf("a handle opened during the change: %v", err)
		}
		return nil
	})
	if err != nil || !ran {
		t.Fatalf("the change after the other handle closed: ran %v, err %v", ran, err)
	}
	if err := c.LockShared(ctx, soon()); err != nil {
		t.Fatalf("opening after the change: %v", err)
	}
	ran = false
	if err := a.Exclusive(ctx, soon(), func() error { ran = true; return nil }); !errors.Is(err, evidence.ErrBusy) || ran {
		t.Fatalf("the change beside the handle opened after: ran %v, err %v", ran, err)
	}
}
