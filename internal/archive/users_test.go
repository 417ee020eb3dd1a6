package archive

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sori/internal/evidence"
	"sori/internal/seal"
)

func openAs(t *testing.T, dir, user, pass string) (*Archive, error) {
	t.Helper()
	a, err := Open(context.Background(), dir, user, pass, Options{WorkFactor: 10})
	if err == nil {
		t.Cleanup(func() { a.Close() })
	}
	return a, err
}

// TestRemovedUser: a removed user cannot open the archive, even with a copy
// of their key files, and the keyring they had decrypts the items stored
// before the removal but none stored after; the remaining users read both.
func TestRemovedUser(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "before.txt"), []byte("stored before the removal: "+koSentence))
	writeFile(t, filepath.Join(src, "after.txt"), []byte("stored after the removal: "+enSentence))
	before := addAll(t, adm, []string{filepath.Join(src, "before.txt")}, AddOptions{})[0].ID
	for _, u := range []struct{ name, role string }{{"analyst-lee", RoleAnalyst}, {"reader-choi", RoleReader}} {
		if _, err := adm.AddUser(ctx, u.name, u.role, testPass); err != nil {
			t.Fatal(err)
		}
	}
	loc := locator(adm.ID(), "analyst-lee")
	keep := map[string][]byte{}
	for _, ext := range []string{".user", ".ring"} {
		b, err := os.ReadFile(filepath.Join(adm.dir, keysDir, loc+ext))
		if err != nil {
			t.Fatal(err)
		}
		keep[ext] = b
	}
	lee, err := openAs(t, adm.dir, "analyst-lee", testPass)
	if err != nil {
		t.Fatal(err)
	}
	oldRing := lee.ring
	lee.Close()

	if err := adm.RemoveUser(ctx, "analyst-lee"); err != nil {
		t.Fatal(err)
	}
	if err := adm.RemoveUser(ctx, "analyst-lee"); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}
	// The removing session goes on with the new keys (rotate.go).
	if adm.ring.CurrentGen() != 2 {
		t.Errorf("the removing session holds generation %d, want 2", adm.ring.CurrentGen())
	}
	p := filepath.Join(src, "after.txt")
	adm = reopen(t, adm)
	after := addAll(t, adm, []string{p}, AddOptions{})[0].ID

	if _, err := openAs(t, adm.dir, "analyst-lee", testPass); !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("removed user opens the archive: %v", err)
	}
	for ext, b := range keep { // a copy of the key files, put back, and listed
		writeFile(t, filepath.Join(adm.dir, keysDir, loc+ext), b)
	}
	if err := writeKeySums(adm.dir); err != nil {
		t.Fatal(err)
	}
	// The restored keyring holds the replaced database key: meta.db does
	// not open under it (which Open cannot tell from damage).
	if _, err := openAs(t, adm.dir, "analyst-lee", testPass); !errors.Is(err, evidence.ErrLocked) && !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("removed user with restored key files opens the archive: %v", err)
	}

	blob := func(id evidence.ID) []byte {
		it, err := adm.db.Item(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := adm.blobs.Open(ctx, it.Pack, it.Off, it.Len)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return b
	}
	read := func(ring *seal.Keyring, id evidence.ID, ct []byte) error {
		k, err := adm.db.ItemKey(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ring.DecryptItem(bytes.NewReader(ct), &seal.ItemKey{Handle: k.Handle, Gen: k.Gen, Wrapped: k.Wrapped})
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, r)
		return err
	}
	if err := read(oldRing, before, blob(before)); err != nil {
		t.Errorf("the old keyring on an older item: %v", err)
	}
	if err := read(oldRing, after, blob(after)); !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("the removed user's keyring on an item stored after the removal: %v, want locked", err)
	}
	choi, err := openAs(t, adm.dir, "reader-choi", testPass)
	if err != nil {
		t.Fatal(err)
	}
	// A reader holds the log key (its reads of testimony are audited), not the ID key.
	if choi.ring.CurrentGen() != 2 || choi.ring.HasIDKey() || choi.ring.Log == "" {
		t.Errorf("reader's keyring: generation %d, id key %v, log key %v", choi.ring.CurrentGen(), choi.ring.HasIDKey(), choi.ring.Log != "")
	}
	for _, id := range []evidence.ID{before, after} {
		if b := readItem(t, choi, id); len(b) == 0 {
			t.Errorf("remaining reader cannot read %s", id)
		}
	}
	var kinds []string
	adm.Log(ctx, "", func(l LogEntry) error {
		if !l.SignatureOK {
			t.Errorf("entry %d: bad signature", l.Seq)
		}
		kinds = append(kinds, l.Kind)
		return nil
	})
	want := []string{"init", "intake", "grant", "grant", "revoke", "log-key", "intake"}
	if !slices.Equal(kinds, want) {
		t.Errorf("custody kinds %v, want %v", kinds, want)
	}
	us, err := adm.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.Name == "analyst-lee" && (!u.Removed || len(u.Roles) != 0) {
			t.Errorf("removed user listed as %+v", u)
		}
	}
}

// TestUserChangesRefused: bad input and the last admin change nothing.
func TestUserChangesRefused(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	sums := func() string {
		b, _ := os.ReadFile(filepath.Join(adm.dir, keysDir, keySums))
		return string(b)
	}
	size := func() int64 { n, _ := adm.db.TreeSize(ctx); return n }
	s0, n0 := sums(), size()
	for _, c := range []struct {
		name, role, pass string
		want             error
	}{
		{"kim-2", "root", testPass, evidence.ErrInvalid},
		{"kim-2", RoleReader, "short", evidence.ErrInvalid},
		{"", RoleReader, testPass, evidence.ErrInvalid},
		{"investigator-kim", RoleReader, testPass, evidence.ErrExists},
	} {
		if _, err := adm.AddUser(ctx, c.name, c.role, c.pass); !errors.Is(err, c.want) {
			t.Errorf("AddUser(%q, %q): %v, want %v", c.name, c.role, err, c.want)
		}
	}
	if err := adm.RemoveUser(ctx, "investigator-kim"); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("the last admin removing themselves: %v", err)
	}
	if err := adm.RemoveUser(ctx, "nobody"); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("removing an unknown user: %v", err)
	}
	if err := adm.ChangePassphrase(ctx, "wrong passphrase", "a new passphrase"); !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("passwd with a wrong current passphrase: %v", err)
	}
	if err := adm.ChangePassphrase(ctx, testPass, "short"); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("passwd to a short passphrase: %v", err)
	}
	if sums() != s0 || size() != n0 {
		t.Error("a refused user change changed the key files or the log")
	}
	// Removing a name of the past does not free it.
	if _, err := adm.AddUser(ctx, "lee", RoleAdmin, testPass); err != nil {
		t.Fatal(err)
	}
	if err := adm.RemoveUser(ctx, "lee"); err != nil {
		t.Fatal(err)
	}
	adm = reopen(t, adm)
	if _, err := adm.AddUser(ctx, "lee", RoleReader, testPass); !errors.Is(err, evidence.ErrExists) {
		t.Errorf("re-adding a removed name: %v", err)
	}
}

func TestChangePassphrase(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	if _, err := adm.AddUser(ctx, "reader-choi", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	choi, err := openAs(t, adm.dir, "reader-choi", testPass)
	if err != nil {
		t.Fatal(err)
	}
	id := choi.User().ID
	const next = "another passphrase, longer"
	if err := choi.ChangePassphrase(ctx, testPass, next); err != nil {
		t.Fatal(err)
	}
	choi.Close()
	if _, err := openAs(t, adm.dir, "reader-choi", testPass); !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("old passphrase still opens: %v", err)
	}
	choi, err = openAs(t, adm.dir, "reader-choi", next)
	if err != nil {
		t.Fatal(err)
	}
	if choi.User().ID != id {
		t.Error("the key changed with the passphrase")
	}
	// The admin's files are untouched.
	if _, err := openAs(t, adm.dir, "", testPass); err != nil {
		t.Errorf("admin after another user's passwd: %v", err)
	}
}

// TestUsersNothingReadableAtRest: after users are added, one removed and a
// passphrase changed, no file in the archive holds a user name, a
// passphrase or a key in the clear.
func TestUsersNothingReadableAtRest(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	const pass2, pass3 = "passphrase of the analyst", "changed passphrase of the reader"
	if _, err := adm.AddUser(ctx, "analyst-lee", RoleAnalyst, pass2); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.AddUser(ctx, "reader-choi", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	choi, err := openAs(t, adm.dir, "reader-choi", testPass)
	if err != nil {
		t.Fatal(err)
	}
	if err := choi.ChangePassphrase(ctx, testPass, pass3); err != nil {
		t.Fatal(err)
	}
	choi.Close()
	if err := adm.RemoveUser(ctx, "analyst-lee"); err != nil {
		t.Fatal(err)
	}
	adm = reopen(t, adm)
	ring := adm.ring
	if ring.CurrentGen() != 2 {
		t.Fatalf("generation %d after a removal", ring.CurrentGen())
	}
	adm.Close()
	var needles [][]byte
	for _, s := range []string{"investigator-kim", "analyst-lee", "reader-choi", testPass, pass2, pass3} {
		needles = append(needles, []byte(s))
	}
	keys := [][]byte{ring.DB[:], ring.IDKey[:]}
	for _, c := range ring.Content {
		keys = append(keys, bytes.Clone(c[:]))
	}
	for _, k := range keys {
		needles = append(needles, k, []byte(hex.EncodeToString(k)))
	}
	filepath.WalkDir(adm.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s holds secret #%d in the clear", p, i)
			}
		}
		return nil
	})
	des, _ := os.ReadDir(filepath.Join(adm.dir, keysDir))
	if len(des) != 6 { // SUMS, two files for each of the two remaining users, the admin's vault key
		t.Errorf("keys/ holds %d files, want 6", len(des))
	}
}

// TestInterruptedRemoval: a removal that wrote the new generation into the
// keyrings but did not commit leaves an unused generation, which is
// dropped on open, so that new items stay under the archive's generation.
func TestInterruptedRemoval(t *testing.T) {
	adm := newArchive(t)
	next, _ := adm.ring.NewContentGen()
	sealed, err := next.SealTo(adm.key.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if err := writeKeyFiles(adm.dir, map[string][]byte{adm.cfg.Admin + ".ring": sealed}); err != nil {
		t.Fatal(err)
	}
	adm = reopen(t, adm)
	if g := adm.ring.CurrentGen(); g != 1 {
		t.Fatalf("generation %d after an interrupted removal, want 1", g)
	}
	p := filepath.Join(t.TempDir(), "x.txt")
	writeFile(t, p, []byte(koSentence))
	id := addAll(t, adm, []string{p}, AddOptions{})[0].ID
	if it, _ := adm.db.Item(context.Background(), id); it.KeyGen != 1 {
		t.Errorf("item under generation %d", it.KeyGen)
	}
}

// TestFirstAdminRemoved: a second admin may remove the first (not
// themselves); opening without a user name then says what to do.
func TestFirstAdminRemoved(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	if _, err := adm.AddUser(ctx, "admin-park", RoleAdmin, testPass); err != nil {
		t.Fatal(err)
	}
	park, err := openAs(t, adm.dir, "admin-park", testPass)
	if err != nil {
		t.Fatal(err)
	}
	if err := park.RemoveUser(ctx, "admin-park"); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("removing oneself: %v", err)
	}
	// The first admin holds the vault key, which park does not: park may
	// not remove them (nobody could be given the new vault key) until
	// given protection.
	if err := park.RemoveUser(ctx, "investigator-kim"); !errors.Is(err, evidence.ErrForbidden) || !strings.Contains(err.Error(), "give the protection role") {
		t.Errorf("removing the only protection officer without the vault key: %v", err)
	}
	park.Close()
	if _, _, err := adm.ChangeRole(ctx, "admin-park", RoleProtection, ""); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	if park, err = openAs(t, adm.dir, "admin-park", testPass); err != nil {
		t.Fatal(err)
	}
	if err := park.RemoveUser(ctx, "investigator-kim"); err != nil {
		t.Fatal(err)
	}
	if _, err := openAs(t, adm.dir, "", testPass); !errors.Is(err, evidence.ErrLocked) || !strings.Contains(err.Error(), "--user") {
		t.Errorf("opening as the removed first admin: %v", err)
	}
	if err := park.RemoveUser(ctx, "admin-park"); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("the last admin removing themselves: %v", err)
	}
}
