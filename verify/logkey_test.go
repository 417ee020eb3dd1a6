package verify_test

import (
	"context"
	"testing"

	"sori/internal/archive"
	"sori/internal/custody"
	"sori/verify"
)

// withHandover is the test archive with a reader added and removed: the
// log was handed over to a new key. It returns the fixture and the log
// key the removal retired (from the admin's keyring, which keeps it).
func withHandover(t *testing.T) (fixture, string) {
	t.Helper()
	ctx := context.Background()
	f := buildArchive(t).clone(t)
	a := f.mustOpen(t, archive.Options{WorkFactor: 10})
	if _, err := a.AddUser(ctx, "reader-choi", archive.RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	first := a.LogKey()
	if err := a.RemoveUser(ctx, "reader-choi"); err != nil {
		t.Fatal(err)
	}
	if a.LogKey() == first || len(a.LogKeyChain().Handovers) != 1 {
		t.Fatal("the removal did not hand the log over")
	}
	a.Close()
	_, ring := unlock(t, f.dir)
	if len(ring.LogOld) != 1 {
		t.Fatalf("the admin's keyring keeps %d earlier log keys", len(ring.LogOld))
	}
	return f, ring.LogOld[0]
}

// TestHandoverVerifies: after a handover the archive verifies (every
// checkpoint under the key in force at its size, the log-key entry tied
// to the chain); a checkpoint of the current tree signed by the retired
// key, given as a witnessed checkpoint, is refused; one from before the
// handover, under it, is accepted.
func TestHandoverVerifies(t *testing.T) {
	ctx := context.Background()
	f, retired := withHandover(t)
	a := f.mustOpen(t, archive.Options{})
	r := run(t, a, verify.Options{})
	if !r.OK() {
		t.Fatalf("after a handover:\n%s", reportText(r))
	}
	cp, err := a.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := a.LogKeyChain().Handovers[0]
	forged, err := custody.SignCheckpoint(retired, a.Origin(), cp.Size, cp.Hash)
	if err != nil {
		t.Fatal(err)
	}
	wantFinding(t, run(t, a, verify.Options{Quick: true, Witnessed: [][]byte{forged.Note}}), verify.KindRollback)
	// The tree before the handover's entry, signed by the retired key: a
	// genuine checkpoint of its time.
	var before []byte
	if err := a.Inspect().Checkpoints(ctx, func(size int64, note []byte) error {
		if size < h.From {
			before = note // the last of them: checkpoints come in size order
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if before == nil {
		t.Fatal("no checkpoint just before the handover")
	}
	if r := run(t, a, verify.Options{Quick: true, Witnessed: [][]byte{before}}); !r.OK() {
		t.Errorf("a checkpoint from before the handover as witness:\n%s", reportText(r))
	}
}

// TestHandoverTampered: the log key chain dropped from the database (the
// archive then claims one key: the checkpoints before the handover are
// not under it, and the log-key entry has no note), or replaced by another
// note the retired key signed (the log-key entry commits to another), is
// found.
func TestHandoverTampered(t *testing.T) {
	base, retired := withHandover(t)
	a := base.mustOpen(t, archive.Options{})
	h := a.LogKeyChain().Handovers[0]
	other, err := custody.SignHandover(retired, a.Origin(), h.From+1, h.New)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	for name, c := range map[string]struct {
		q    string
		args []any
		kind string
	}{
		"chain dropped": {`DELETE FROM meta WHERE key = 'log_key_chain'`, nil, verify.KindCheckpoint},
		"another note":  {`UPDATE meta SET value = ? WHERE key = 'log_key_chain'`, []any{string(other.Note)}, verify.KindEntry},
	} {
		t.Run(name, func(t *testing.T) {
			f := base.clone(t)
			_, ring := unlock(t, f.dir)
			db := rawDB(t, f.dir, ring.DB)
			mustExec(t, db, c.q, c.args...)
			db.Close()
			a, err := f.open(t, archive.Options{NoPinCheck: true})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			wantFinding(t, run(t, a, verify.Options{}), c.kind)
		})
	}
}
