package archive

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/internal/store/postgres"
	"sori/internal/testenv"
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

// TestRotationPostgres: on a PostgreSQL store a removal replaces the
// content, item ID, vault and database keys in its transaction (every
// field re-sealed under the new database key); the remaining users open
// the archive, the removed one does not, its old database key opens
// nothing, and the same bytes are still one item.
func TestRotationPostgres(t *testing.T) {
	ctx := context.Background()
	db := testenv.PostgresSchema(t) // the password, if any, goes to PGPASSWORD
	dir := filepath.Join(t.TempDir(), "a")
	adm, err := Init(ctx, dir, "admin", testPass, Options{WorkFactor: 10, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	for name, role := range map[string]string{"inv-kim": RoleInvestigator, "po-han": RoleProtection, "reader-choi": RoleReader} {
		if _, err := adm.AddUser(ctx, name, role, testPass); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := adm.AddWitness(ctx, vaultW17); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "a.txt")
	writeFile(t, p, []byte("synthetic statement: "+koSentence))
	first := addAll(t, adm, []string{p}, AddOptions{})[0]
	oldID, oldVault, oldDB := adm.ring.IDKey, adm.ring.Vault, adm.ring.DB
	for _, name := range []string{"inv-kim", "po-han"} {
		if err := adm.RemoveUser(ctx, name); err != nil {
			t.Fatalf("removing %s: %v", name, err)
		}
	}
	if adm.ring.IDKey == oldID || adm.ring.Vault == oldVault || adm.ring.CurrentGen() != 3 {
		t.Errorf("keys after two removals: ID key replaced %v, vault key replaced %v, generation %d", adm.ring.IDKey != oldID, adm.ring.Vault != oldVault, adm.ring.CurrentGen())
	}
	if adm.ring.DB == oldDB || len(adm.ring.DBOld) != 2 || adm.ring.DBOld[1] != oldDB {
		t.Errorf("the database key on PostgreSQL: replaced %v, %d earlier keys kept", adm.ring.DB != oldDB, len(adm.ring.DBOld))
	}
	if _, err := postgres.Open(ctx, db, oldDB); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("the removed users' database key opens the PostgreSQL store: %v", err)
	}
	if s, err := postgres.Open(ctx, db, adm.ring.DB); err != nil {
		t.Errorf("the new database key: %v", err)
	} else {
		s.Close()
	}
	if again := addAll(t, adm, []string{p}, AddOptions{})[0]; !again.Duplicate || again.ID != first.ID {
		t.Errorf("the same bytes after the ID key changed: %+v", again)
	}
	if _, err := os.Stat(filepath.Join(dir, rotateDir)); !os.IsNotExist(err) {
		t.Errorf("a rotation directory on PostgreSQL: %v", err)
	}
	adm.Close()
	if _, err := openAs(t, dir, "inv-kim", testPass); err == nil {
		t.Error("the removed investigator opens the archive")
	}
	choi, err := openAs(t, dir, "reader-choi", testPass)
	if err != nil {
		t.Fatalf("a remaining reader: %v", err)
	}
	if readItem(t, choi, first.ID) == nil {
		t.Error("the remaining reader cannot read the item")
	}
}

// TestRotationPostgresLeftoverKeyFiles: a PostgreSQL rotation deletes the
// removed user's key files, or the vault key file of a role taken away,
// after its transaction commits; a kill in between leaves them. Put back
// as such a kill leaves them, they are deleted by the next open, and the
// archive opens.
func TestRotationPostgresLeftoverKeyFiles(t *testing.T) {
	ctx := context.Background()
	db := testenv.PostgresSchema(t)
	dir := filepath.Join(t.TempDir(), "a")
	adm, err := Init(ctx, dir, "admin", testPass, Options{WorkFactor: 10, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	for name, roles := range map[string]string{"inv-kim": RoleInvestigator, "po-yun": RoleProtection + "," + RoleReader} {
		if _, err := adm.AddUser(ctx, name, roles, testPass); err != nil {
			t.Fatal(err)
		}
	}
	keys := filepath.Join(dir, keysDir)
	kim, yun := locator(adm.cfg.ID, "inv-kim"), locator(adm.cfg.ID, "po-yun")
	kept := map[string][]byte{}
	for _, name := range []string{kim + ".user", kim + ".ring", yun + vaultFile} {
		b, err := os.ReadFile(filepath.Join(keys, name))
		if err != nil {
			t.Fatal(err)
		}
		kept[name] = b
	}
	if err := adm.RemoveUser(ctx, "inv-kim"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := adm.ChangeRole(ctx, "po-yun", "", RoleProtection); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	for name, b := range kept {
		if _, err := os.Stat(filepath.Join(keys, name)); !os.IsNotExist(err) {
			t.Fatalf("%s not deleted by the rotation: %v", name, err)
		}
		writeFile(t, filepath.Join(keys, name), b) // as a kill before the deletion leaves it
	}
	a, err := openAs(t, dir, "po-yun", testPass)
	if err != nil {
		t.Fatalf("open with leftover key files: %v", err)
	}
	a.Close()
	for name := range kept {
		if _, err := os.Stat(filepath.Join(keys, name)); !os.IsNotExist(err) {
			t.Errorf("leftover %s not deleted by the next open: %v", name, err)
		}
	}
	if _, err := openAs(t, dir, "inv-kim", testPass); err == nil {
		t.Error("the removed user opens the archive")
	}
}
