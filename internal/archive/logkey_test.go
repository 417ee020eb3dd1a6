package archive

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/seal"
)

// keptLogKey is what a user who copied their key files has of the log key:
// their keyring opened with their passphrase, as format.md says.
func keptLogKey(t *testing.T, dir, archiveID, user string) string {
	t.Helper()
	loc := locator(archiveID, user)
	u, err := os.ReadFile(filepath.Join(dir, keysDir, loc+".user"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := os.ReadFile(filepath.Join(dir, keysDir, loc+".ring"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := seal.OpenUserKey(u, testPass)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := seal.OpenKeyring(r, key)
	if err != nil {
		t.Fatal(err)
	}
	if ring.Log == "" {
		t.Fatalf("%s's keyring holds no log key", user)
	}
	return ring.Log
}

// TestLogKeyHandover: removing a user hands the log over to a new key:
// sori.json publishes it under the same origin, the chain from the first
// key holds one handover signed by the old key, the checkpoints before it
// still open and later ones only under the new key, so the removed user's
// kept log key signs nothing the archive accepts (a checkpoint, a pin, a
// second handover); the remaining users sign with the new key.
func TestLogKeyHandover(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a")
	state := t.TempDir()
	opt := Options{WorkFactor: 10, StateDir: state}
	adm, err := Init(ctx, dir, "admin", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]string{"inv-kim": RoleInvestigator, "reader-choi": RoleReader} {
		if _, err := adm.AddUser(ctx, name, role, testPass); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "a.txt")
	writeFile(t, p, []byte("synthetic statement: "+koSentence))
	addAll(t, adm, []string{p}, AddOptions{})
	before, err := adm.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first, origin := adm.LogKey(), adm.Origin()
	kept := keptLogKey(t, dir, adm.ID(), "inv-kim")
	if vk, _ := custody.VerifierKey(kept); vk != first {
		t.Fatalf("the kept log key is not the archive's (%q, %q): the test reads it wrong", vk, first)
	}
	// Before the removal the kept key signs what the archive accepts: the
	// check below can fail.
	if forged, err := custody.SignCheckpoint(kept, origin, before.Size, before.Hash); err != nil {
		t.Fatal(err)
	} else if _, err := adm.OpenCheckpoint(forged.Note); err != nil {
		t.Fatalf("before the removal, a checkpoint by the log key: %v", err)
	}

	if err := adm.RemoveUser(ctx, "inv-kim"); err != nil {
		t.Fatal(err)
	}
	now := adm.LogKey()
	chain := adm.LogKeyChain()
	if now == first || custody.VerifierName(now) != origin || chain.First != first || len(chain.Handovers) != 1 || chain.Current() != now {
		t.Fatalf("after the removal: key %q (was %q), chain %+v", now, first, chain)
	}
	var cfg struct {
		LogKey string `json:"log_key"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, configFile))
	if err := json.Unmarshal(b, &cfg); err != nil || cfg.LogKey != now {
		t.Fatalf("sori.json publishes %q, want the new key %q (%v)", cfg.LogKey, now, err)
	}
	h := chain.Handovers[0]
	cp, err := adm.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Old != first || h.New != now || h.From != cp.Size {
		t.Fatalf("handover %+v; the removal's checkpoint is of size %d", h, cp.Size)
	}
	if _, err := adm.OpenCheckpoint(before.Note); err != nil {
		t.Errorf("a checkpoint from before the handover: %v", err)
	}
	forged, err := custody.SignCheckpoint(kept, origin, cp.Size, cp.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adm.OpenCheckpoint(forged.Note); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("the removed user's kept log key signs a checkpoint of the current tree: %v", err)
	}
	_, evil, _ := custody.NewLogKey(origin)
	again, err := custody.SignHandover(kept, origin, cp.Size+1, evil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chain.Append(again.Note); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("the kept log key hands the log over a second time: %v", err)
	}
	if _, ok, err := adm.nameNetKey(ctx, nil); err != nil || !ok {
		t.Errorf("the name-net key under the new log key: %v", err)
	}
	adm.Close()

	// The remaining reader signs with the new key (a read is audited).
	choi, err := Open(ctx, dir, "reader-choi", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	if vk, _ := custody.VerifierKey(choi.ring.Log); vk != now {
		t.Errorf("the reader signs with %q, not the key in force", vk)
	}
	if _, ok, err := choi.nameNetKey(ctx, nil); err != nil || !ok {
		t.Errorf("the reader's name-net key: %v", err)
	}
	choi.Close()

	// A pin written by the removed user's key over the later tree is
	// refused: the archive is reported replaced.
	pin := filepath.Join(state, "checkpoints", adm.ID())
	good, err := os.ReadFile(pin)
	if err != nil || !strings.Contains(string(good), now) {
		t.Fatalf("the pin after the handover does not hold the new key: %v\n%s", err, good)
	}
	if err := os.WriteFile(pin, []byte(pinHeader+first+"\n"+string(forged.Note)), 0o600); err != nil {
		t.Fatal(err)
	}
	if a, err := Open(ctx, dir, "admin", testPass, opt); !errors.Is(err, evidence.ErrTampered) {
		if a != nil {
			a.Close()
		}
		t.Errorf("a pin signed by the retired key over the later tree: %v", err)
	}
	// A pin of the old key at a size before the handover is followed
	// through the chain.
	if err := os.WriteFile(pin, []byte(pinHeader+first+"\n"+string(before.Note)), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := Open(ctx, dir, "admin", testPass, opt)
	if err != nil {
		t.Fatalf("a pin from before the handover: %v", err)
	}
	a.Close()
}

// TestLogKeyChainTampered: an archive whose stored chain does not verify
// (a handover not signed by the key in force before it) does not open.
func TestLogKeyChainTampered(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	if _, err := adm.AddUser(ctx, "reader-choi", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	if err := adm.RemoveUser(ctx, "reader-choi"); err != nil {
		t.Fatal(err)
	}
	// The same handover text, naming the first key as the old one, signed
	// by another key.
	chain := adm.LogKeyChain()
	sx, _, _ := custody.NewLogKey(adm.Origin())
	text, err := custody.NoteText(chain.Handovers[0].Note)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(sx)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := adm.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.SetMeta(ctx, metaLogChain, string(forged)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	if a, err := Open(ctx, adm.dir, "", testPass, Options{}); !errors.Is(err, evidence.ErrTampered) {
		if a != nil {
			a.Close()
		}
		t.Fatalf("a chain whose handover another key signed: %v", err)
	}
}

// TestKeyringAheadOfLogChain: the key files after a handover beside the
// database from before it (a replica between its steps; on PostgreSQL, a
// rotation killed between writing the keyrings and its commit): the
// session signs with the log key in force in that database, which the new
// keyrings keep among their earlier keys, and its checkpoints verify.
func TestKeyringAheadOfLogChain(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	if _, err := adm.AddUser(ctx, "reader-choi", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	first := adm.LogKey()
	adm.Close()
	old := filepath.Join(t.TempDir(), "old")
	copyArchiveDir(t, adm.dir, old)
	adm = reopen(t, adm)
	if err := adm.RemoveUser(ctx, "reader-choi"); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	if err := os.RemoveAll(filepath.Join(old, keysDir)); err != nil {
		t.Fatal(err)
	}
	copyArchiveDir(t, filepath.Join(adm.dir, keysDir), filepath.Join(old, keysDir))
	a, err := Open(ctx, old, "", testPass, Options{})
	if err != nil {
		t.Fatalf("the new key files on the database from before the handover: %v", err)
	}
	defer a.Close()
	if a.LogKey() != first {
		t.Fatalf("the old database's key in force is %q, want the first %q", a.LogKey(), first)
	}
	p := filepath.Join(t.TempDir(), "b.txt")
	writeFile(t, p, []byte("synthetic statement: "+enSentence))
	addAll(t, a, []string{p}, AddOptions{})
	if _, err := a.Checkpoint(ctx); err != nil {
		t.Errorf("the checkpoint of a change made there: %v", err)
	}
}
