package seal_test

// An outside view of key rotation, written from docs/format.md with stock
// libraries only (age, the adiantum VFS of ncruces/go-sqlite3, x/crypto's
// XChaCha20-Poly1305, the standard library): what a user removed, or a
// user who lost a role, can still do with copies of their key files made
// before. sori is used only to make the archive and the changes. It lives
// in package seal_test because only internal/seal may import age.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/ncruces/go-sqlite3/driver"
	_ "github.com/ncruces/go-sqlite3/vfs/adiantum"
	"golang.org/x/crypto/chacha20poly1305"

	"sori/internal/archive"
)

const outsidePass = "correct horse battery staple"

// kept is what a user's key files give, opened as format.md says.
type kept struct {
	db, idKey [32]byte
	content   map[string][32]byte // by generation
	log       string
	vault     [][32]byte
}

func outsideLocator(archiveID, name string) string {
	h := sha256.Sum256([]byte("sori user locator v1\x00" + archiveID + "\x00" + name))
	return hex.EncodeToString(h[:])[:32]
}

func hex32(t *testing.T, s string) (k [32]byte) {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("not 32 bytes of hex: %q", s)
	}
	copy(k[:], b)
	return k
}

// openKept opens files (extension → contents: .user, .ring, .vault) with
// the passphrase: age scrypt, then age X25519.
func openKept(t *testing.T, files map[string][]byte) kept {
	t.Helper()
	sid, err := age.NewScryptIdentity(outsidePass)
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(bytes.NewReader(files[".user"]), sid)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(r)
	lines := strings.Split(strings.TrimSpace(string(plain)), "\n")
	if len(lines) != 3 || lines[0] != "# sori user key v1" {
		t.Fatalf("user key file: %d lines", len(lines))
	}
	id, err := age.ParseX25519Identity(lines[1])
	if err != nil {
		t.Fatal(err)
	}
	r, err = age.Decrypt(bytes.NewReader(files[".ring"]), id)
	if err != nil {
		t.Fatal(err)
	}
	var ring struct {
		DB      string            `json:"db"`
		IDKey   string            `json:"id_key"`
		Content map[string]string `json:"content"`
		Log     string            `json:"log"`
	}
	if err := json.NewDecoder(r).Decode(&ring); err != nil {
		t.Fatal(err)
	}
	k := kept{db: hex32(t, ring.DB), content: map[string][32]byte{}, log: ring.Log}
	if ring.IDKey != "" {
		k.idKey = hex32(t, ring.IDKey)
	}
	for g, c := range ring.Content {
		k.content[g] = hex32(t, c)
	}
	if v := files[".vault"]; v != nil {
		r, err := age.Decrypt(bytes.NewReader(v), id)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(r)
		lines := strings.Split(strings.TrimSpace(string(plain)), "\n")
		if lines[0] != "# sori vault key v1" {
			t.Fatalf("vault key file header %q", lines[0])
		}
		for _, l := range lines[1:] {
			k.vault = append(k.vault, hex32(t, l))
		}
	}
	return k
}

// readFiles reads a user's key files from the archive.
func readFiles(t *testing.T, dir, loc string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, ext := range []string{".user", ".ring", ".vault"} {
		b, err := os.ReadFile(filepath.Join(dir, "keys", loc+ext))
		if errors.Is(err, os.ErrNotExist) && ext == ".vault" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out[ext] = b
	}
	return out
}

// meta is what a database key reads of meta.db, or an error.
type meta struct {
	items    map[string]item // by ID
	vault    map[string]vaultRow
	hashes   map[[32]byte]bool
	nameNetW []byte // meta.namenet_key, wrapped
}

type item struct {
	sum      []byte
	pack     string
	off, len int64
	// the item's own key row (item_keys), if it has one
	handle  string
	gen     int
	wrapped []byte
}

type vaultRow struct{ wrapped []byte }

func readMeta(dir string, key [32]byte) (*meta, error) {
	db, err := driver.Open("file:" + filepath.Join(dir, "meta.db") + "?vfs=adiantum&mode=ro&hexkey=" + hex.EncodeToString(key[:]))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	m := &meta{items: map[string]item{}, vault: map[string]vaultRow{}, hashes: map[[32]byte]bool{}}
	rows, err := db.Query(`SELECT i.id, i.sha256, i.pack, i.off, i.len, coalesce(k.handle, ''), coalesce(k.gen, 0), k.wrapped
		FROM items i LEFT JOIN item_keys k ON k.item_id = i.id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var it item
		if err := rows.Scan(&id, &it.sum, &it.pack, &it.off, &it.len, &it.handle, &it.gen, &it.wrapped); err != nil {
			return nil, err
		}
		m.items[id] = it
	}
	rows.Close()
	vrows, err := db.Query(`SELECT id, wrapped FROM vault WHERE wrapped IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	for vrows.Next() {
		var id string
		var r vaultRow
		if err := vrows.Scan(&id, &r.wrapped); err != nil {
			return nil, err
		}
		m.vault[id] = r
	}
	vrows.Close()
	hrows, err := db.Query(`SELECT hash FROM vault_names`)
	if err != nil {
		return nil, err
	}
	for hrows.Next() {
		var h []byte
		if err := hrows.Scan(&h); err != nil {
			return nil, err
		}
		m.hashes[[32]byte(h)] = true
	}
	hrows.Close()
	var w string
	if err := db.QueryRow(`SELECT value FROM meta WHERE key = 'namenet_key'`).Scan(&w); err != nil {
		return nil, err
	}
	m.nameNetW, err = hex.DecodeString(w)
	return m, err
}

func xopen(key []byte, sealed []byte, ad string) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 24 {
		return nil, errors.New("short")
	}
	return aead.Open(nil, sealed[:24], sealed[24:], []byte(ad))
}

// contentIdentity opens the sori-content stanza of an item stream with the
// content keys of a keyring (format.md "Packs and item streams").
type contentIdentity map[string][32]byte

func (c contentIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, s := range stanzas {
		if s.Type != "sori-content" || len(s.Args) != 1 {
			continue
		}
		if k, ok := c[s.Args[0]]; ok {
			if fk, err := xopen(k[:], s.Body, "sori-content "+s.Args[0]); err == nil {
				return fk, nil
			}
		}
	}
	return nil, age.ErrIncorrectIdentity
}

// itemIdentity opens the sori-item stanza of an item stream with the
// item's own key row, unwrapped under a content key of a keyring
// (format.md "Packs and item streams").
type itemIdentity struct {
	content map[string][32]byte
	it      item
}

func (c itemIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, s := range stanzas {
		if s.Type != "sori-item" || len(s.Args) != 1 || s.Args[0] != c.it.handle {
			continue
		}
		ck, ok := c.content[fmt.Sprint(c.it.gen)]
		if !ok {
			return nil, age.ErrIncorrectIdentity
		}
		ik, err := xopen(ck[:], c.it.wrapped, "sori-item-key "+c.it.handle)
		if err != nil {
			return nil, age.ErrIncorrectIdentity
		}
		if fk, err := xopen(ik, s.Body, "sori-item "+s.Args[0]); err == nil {
			return fk, nil
		}
	}
	return nil, age.ErrIncorrectIdentity
}

func readItem(dir string, it item, k kept) ([]byte, error) {
	pack, err := os.ReadFile(filepath.Join(dir, "blobs", it.pack[:2], it.pack))
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(pack[it.off:it.off+it.len]), contentIdentity(k.content), itemIdentity{k.content, it})
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// opensVault reports whether any of k's vault keys unwraps the entry's key.
func opensVault(k kept, id string, r vaultRow) bool {
	for _, v := range k.vault {
		if _, err := xopen(v[:], r.wrapped, "sori vault wrap v1\x00"+id); err == nil {
			return true
		}
	}
	return false
}

// nameNetKey unwraps a stored name-net key with a keyring's log key.
func nameNetKey(k kept, wrapped []byte) ([]byte, error) {
	m := hmac.New(sha256.New, []byte(k.log))
	m.Write([]byte("sori name-net wrap v1"))
	return xopen(m.Sum(nil), wrapped, "sori name-net key v1\x00")
}

func nameHash(nn []byte, form string) [32]byte {
	m := hmac.New(sha256.New, nn)
	m.Write([]byte("sori name-net v1\x00" + form))
	return [32]byte(m.Sum(nil))
}

func itemID(idKey [32]byte, sum []byte) string {
	m := hmac.New(sha256.New, idKey[:])
	m.Write([]byte("sori item id v1\x00"))
	m.Write(sum)
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// TestKeptKeysAfterRotation: inv-kim and po-han are removed, inv-lee loses
// investigator and po-yun loses protection; the key files each kept from
// before open, of what is written after, nothing: not meta.db, not an item
// added after, not the vault's entries, not the safety net's hashes (a
// guessed name is not confirmed), not the item ID key. Every check is
// first shown to succeed with keys that should succeed (so it can fail).
func TestKeptKeysAfterRotation(t *testing.T) {
	t.Setenv("SORI_TEST_KDF_LOGN", "10")
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a")
	adm, err := archive.Init(ctx, dir, "admin", outsidePass, archive.Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]string{
		"inv-kim": archive.RoleInvestigator,
		"po-han":  archive.RoleProtection,
		"inv-lee": archive.RoleInvestigator + "," + archive.RoleReader,
		"po-yun":  archive.RoleProtection + "," + archive.RoleReader,
	}
	for name, roles := range users {
		if _, err := adm.AddUser(ctx, name, roles, outsidePass); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := adm.AddWitness(ctx, archive.Witness{Pseudonym: "W-17", Names: []string{"박철민"}}); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	add := func(name, text string) {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := adm.Add(ctx, []string{p}, archive.AddOptions{}, func(r archive.Added) error { return r.Err }); err != nil {
			t.Fatal(err)
		}
	}
	add("before.txt", "synthetic statement written before the removals")

	// The copies each user makes, and what they open now.
	id := adm.ID()
	copies := map[string]kept{}
	for name := range users {
		copies[name] = openKept(t, readFiles(t, dir, outsideLocator(id, name)))
	}
	before, err := readMeta(dir, copies["inv-kim"].db)
	if err != nil {
		t.Fatalf("a member's database key does not open meta.db before the removal (the test reads it wrong): %v", err)
	}
	oldNN, err := nameNetKey(copies["inv-kim"], before.nameNetW)
	if err != nil || !before.hashes[nameHash(oldNN, "bak.ceol.min")] {
		t.Fatalf("before the removal the name-net key does not confirm the witness's name (the test computes it wrong): %v", err)
	}
	for vid, r := range before.vault {
		if !opensVault(copies["po-han"], vid, r) {
			t.Fatal("before the removal a protection officer's vault key does not open the entry (the test reads it wrong)")
		}
	}
	for _, it := range before.items {
		if _, err := readItem(dir, it, copies["inv-kim"]); err != nil {
			t.Fatalf("before the removal a member's content key does not open an item: %v", err)
		}
	}

	if err := adm.RemoveUser(ctx, "inv-kim"); err != nil {
		t.Fatal(err)
	}
	if err := adm.RemoveUser(ctx, "po-han"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := adm.ChangeRole(ctx, "inv-lee", "", archive.RoleInvestigator); err != nil {
		t.Fatal(err)
	}
	if _, _, err := adm.ChangeRole(ctx, "po-yun", "", archive.RoleProtection); err != nil {
		t.Fatal(err)
	}
	add("after.txt", "synthetic statement written after the removals")
	if _, err := adm.AddWitness(ctx, archive.Witness{Pseudonym: "W-18", Names: []string{"김영희"}}); err != nil {
		t.Fatal(err)
	}
	if err := adm.Close(); err != nil {
		t.Fatal(err)
	}

	// The first admin's current key files open all of it.
	var cfg struct{ Admin string }
	b, _ := os.ReadFile(filepath.Join(dir, "sori.json"))
	json.Unmarshal(b, &cfg)
	now := openKept(t, readFiles(t, dir, cfg.Admin))
	later, err := readMeta(dir, now.db)
	if err != nil {
		t.Fatalf("the admin's current database key: %v", err)
	}
	var after item
	var afterID string
	for iid, it := range later.items {
		if _, ok := before.items[iid]; !ok {
			after, afterID = it, iid
		}
	}
	if afterID == "" {
		t.Fatal("no item added after the removals")
	}
	if _, err := readItem(dir, after, now); err != nil {
		t.Fatalf("the admin's content keys on the later item: %v", err)
	}
	if itemID(now.idKey, after.sum) != afterID {
		t.Fatal("the admin's ID key does not derive the later item's ID")
	}
	nowNN, err := nameNetKey(now, later.nameNetW)
	if err != nil || !later.hashes[nameHash(nowNN, "bak.ceol.min")] {
		t.Fatalf("the admin's name-net key does not confirm the name in the later safety net: %v", err)
	}
	if len(later.vault) != 2 {
		t.Fatalf("%d vault entries", len(later.vault))
	}
	for vid, r := range later.vault {
		if !opensVault(now, vid, r) {
			t.Fatal("the admin's vault key does not open an entry")
		}
	}

	for name, k := range copies {
		if _, err := readMeta(dir, k.db); err == nil {
			t.Errorf("%s's kept database key opens the later meta.db", name)
		}
		if k.idKey != ([32]byte{}) && itemID(k.idKey, after.sum) == afterID {
			t.Errorf("%s's kept item ID key derives the later item's ID", name)
		}
		for vid, r := range later.vault {
			if opensVault(k, vid, r) {
				t.Errorf("%s's kept vault key opens entry %s of the later vault", name, vid)
			}
		}
		if nn, err := nameNetKey(k, before.nameNetW); err == nil && later.hashes[nameHash(nn, "bak.ceol.min")] {
			t.Errorf("%s's kept name-net key confirms a guessed name against the later safety net", name)
		}
	}
	for _, name := range []string{"inv-kim", "po-han"} { // removed: no later content key
		if _, err := readItem(dir, after, copies[name]); err == nil {
			t.Errorf("removed %s's kept content keys open the item added after", name)
		}
	}
}
