package archive

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"sori/internal/seal"
)

// TestDedupAcrossIDKeys: after a removal replaces the item ID key, the same
// bytes added again are the same item (its ID from before, found under the
// earlier key), while new bytes get an ID under the new key.
func TestDedupAcrossIDKeys(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	if _, err := adm.AddUser(ctx, "inv-kim", RoleInvestigator, testPass); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "a.txt")
	writeFile(t, p, []byte("synthetic statement: "+koSentence))
	first := addAll(t, adm, []string{p}, AddOptions{})[0]
	oldKey := adm.ring.IDKey
	if err := adm.RemoveUser(ctx, "inv-kim"); err != nil {
		t.Fatal(err)
	}
	if adm.ring.IDKey == oldKey {
		t.Fatal("the removal of an investigator kept the item ID key")
	}
	again := addAll(t, adm, []string{p}, AddOptions{})[0]
	if !again.Duplicate || again.ID != first.ID {
		t.Errorf("the same bytes after the ID key changed: %+v, want duplicate of %s", again, first.ID)
	}
	adm = reopen(t, adm)
	if again := addAll(t, adm, []string{p}, AddOptions{})[0]; !again.Duplicate || again.ID != first.ID {
		t.Errorf("the same bytes in a new session: %+v, want duplicate of %s", again, first.ID)
	}
	q := filepath.Join(t.TempDir(), "b.txt")
	writeFile(t, q, []byte("another synthetic statement: "+enSentence))
	b := addAll(t, adm, []string{q}, AddOptions{})[0]
	if b.ID != adm.ring.ItemID(b.SHA256) || b.ID == seal.ItemIDUnder(oldKey, b.SHA256) {
		t.Error("a new item's ID is not under the new ID key")
	}
}

// TestRekeyUser: a reader's keyring as an older sori wrote it (no log key)
// is rewritten with what the role grants; a removed user cannot be rekeyed.
func TestRekeyUser(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	if _, err := adm.AddUser(ctx, "reader-choi", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.AddUser(ctx, "reader-gone", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	u, err := adm.db.UserByName(ctx, "reader-choi")
	if err != nil {
		t.Fatal(err)
	}
	old, err := adm.ring.Subset(seal.Grant{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.SealTo(u.Recipient)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeKeyFiles(adm.dir, map[string][]byte{locator(adm.cfg.ID, u.Name) + ".ring": sealed}); err != nil {
		t.Fatal(err)
	}
	choi, err := openAs(t, adm.dir, "reader-choi", testPass)
	if err != nil {
		t.Fatal(err)
	}
	if choi.ring.Log != "" {
		t.Fatal("the old-style keyring holds the log key")
	}
	choi.Close()
	if err := adm.RekeyUser(ctx, "reader-choi"); err != nil {
		t.Fatal(err)
	}
	if choi, err = openAs(t, adm.dir, "reader-choi", testPass); err != nil {
		t.Fatal(err)
	}
	if choi.ring.Log == "" || choi.ring.HasIDKey() {
		t.Errorf("rekeyed reader: log key %v, ID key %v", choi.ring.Log != "", choi.ring.HasIDKey())
	}
	choi.Close()
	if err := adm.RemoveUser(ctx, "reader-gone"); err != nil {
		t.Fatal(err)
	}
	if err := adm.RekeyUser(ctx, "reader-gone"); err == nil {
		t.Error("a removed user was rekeyed")
	}
	if _, err := os.Stat(filepath.Join(adm.dir, rotateDir)); !os.IsNotExist(err) {
		t.Errorf("rotation directory left: %v", err)
	}
}
