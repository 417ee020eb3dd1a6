package seal_test

// The outside view of a key rotation on PostgreSQL, written from
// docs/format.md ("Metadata on PostgreSQL", "Key rotation") with stock
// libraries only: age for the key files, pgx to read the rows, HKDF,
// HMAC-SHA256 and XChaCha20-Poly1305 to open them. sori only makes the
// archive and the changes.

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/chacha20poly1305"

	"sori/internal/archive"
	"sori/internal/testenv"
)

// pgKeys are the two keys format.md derives from a database key.
type pgKeys struct{ field, hash []byte }

func derivePG(t *testing.T, db [32]byte) pgKeys {
	t.Helper()
	f, err := hkdf.Key(sha256.New, db[:], nil, "sori/store/postgres v1 fields", 32)
	if err != nil {
		t.Fatal(err)
	}
	h, err := hkdf.Key(sha256.New, db[:], nil, "sori/store/postgres v1 lookup hashes", 32)
	if err != nil {
		t.Fatal(err)
	}
	return pgKeys{f, h}
}

func (k pgKeys) open(sealed []byte, ad string) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k.field)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, fmt.Errorf("short")
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(ad))
}

func (k pgKeys) keyed(domain string, v []byte) []byte {
	m := hmac.New(sha256.New, k.hash)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write(v)
	return m.Sum(nil)
}

// pgFields are format.md's table of sealed fields: the field, the SQL of
// its row identity's parts as text, and the table.
var pgFields = []struct{ field, parts, table string }{
	{"meta.value", "key", "meta"},
	{"users.body", "id", "users"},
	{"users.role", "id", "users"},
	{"items.sha256", "id", "items"},
	{"item_versions.record", "item_id, version::text", "item_versions"},
	{"item_versions.digest", "item_id, version::text", "item_versions"},
	{"records.record", "id, version::text", "records"},
	{"records.digest", "id, version::text", "records"},
	{"custody.body", "seq::text", "custody"},
	{"checkpoints.note", "size::text", "checkpoints"},
	{"vault.pseudonym", "id", "vault"},
	{"vault.wrapped", "id", "vault"},
	{"vault.entry", "id", "vault"},
	{"vault_names.body", "entry, encode(mac, 'hex')", "vault_names"},
	{"purged.reason", "kind, id, version::text", "purged"},
	{"timestamps.body", "id::text, size::text", "timestamps"},
	{"log_witnesses.body", "encode(mac, 'hex')", "log_witnesses"},
	{"cosignatures.body", "id::text, size::text", "cosignatures"},
	{"item_keys.body", "item_id, gen::text", "item_keys"},
	{"search_docs.body", "doc", "search_docs"},
	{"search_terms.list", "encode(mac, 'hex'), seg::text", "search_terms"},
	{"search_dict.name", "encode(mac, 'hex')", "search_dict"},
}

// pgOpened counts, per field, the non-NULL values in the database and how
// many of them open under k; it also returns the plaintexts of fields
// whose name is in keep.
func pgOpened(t *testing.T, conn *pgx.Conn, k pgKeys, keep map[string]bool) (total, opened map[string]int, plain map[string][][]byte) {
	t.Helper()
	ctx := context.Background()
	total, opened, plain = map[string]int{}, map[string]int{}, map[string][][]byte{}
	for _, f := range pgFields {
		col := strings.SplitN(f.field, ".", 2)[1]
		rows, err := conn.Query(ctx, `SELECT concat_ws('|', `+f.parts+`), `+col+` FROM `+f.table+` WHERE `+col+` IS NOT NULL`)
		if err != nil {
			t.Fatalf("%s: %v", f.field, err)
		}
		for rows.Next() {
			var id string
			var sealed []byte
			if err := rows.Scan(&id, &sealed); err != nil {
				t.Fatal(err)
			}
			total[f.field]++
			if p, err := k.open(sealed, f.field+"|"+id); err == nil {
				opened[f.field]++
				if keep[f.field] {
					plain[f.field] = append(plain[f.field], p)
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return total, opened, plain
}

func pgHasHash(t *testing.T, conn *pgx.Conn, table, col string, h []byte) bool {
	t.Helper()
	var ok bool
	if err := conn.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE `+col+` = $1)`, h).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestOutsidePostgresRotation: inv-kim keeps copies of their key files and
// is removed; afterwards a user, a witness and an item are added and the
// index brought up to date. Read from the database with stock libraries,
// inv-kim's kept database key opens no field at all (every row was sealed
// again under a new key), in particular none written after the removal,
// and confirms no keyed hash (a later user's name, a search term); the
// first admin's current key files open every field and confirm both. Each
// check is first shown to succeed with inv-kim's keys before the removal.
func TestOutsidePostgresRotation(t *testing.T) {
	t.Setenv("SORI_TEST_KDF_LOGN", "10")
	ctx := context.Background()
	url := testenv.PostgresSchema(t)
	dir := filepath.Join(t.TempDir(), "a")
	adm, err := archive.Init(ctx, dir, "admin", outsidePass, archive.Options{WorkFactor: 10, DB: url})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	for name, roles := range map[string]string{"inv-kim": archive.RoleInvestigator, "reader-choi": archive.RoleReader} {
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
		if _, err := adm.IndexPending(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	add("before.txt", "synthetic statement written before the removal: 두만강")

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	id := adm.ID()
	kim := derivePG(t, openKept(t, readFiles(t, dir, outsideLocator(id, "inv-kim"))).db)
	total, opened, _ := pgOpened(t, conn, kim, nil)
	for _, f := range []string{"meta.value", "users.body", "custody.body", "items.sha256", "search_terms.list", "search_dict.name", "vault.entry"} {
		if total[f] == 0 || opened[f] != total[f] {
			t.Fatalf("before the removal inv-kim's database key opens %d of %d %s (the test reads it wrong)", opened[f], total[f], f)
		}
	}
	if !pgHasHash(t, conn, "users", "name_mac", kim.keyed("users.name", []byte("reader-choi"))) {
		t.Fatal("before the removal inv-kim's hash key does not find a user by name (the test computes it wrong)")
	}

	if err := adm.RemoveUser(ctx, "inv-kim"); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.AddUser(ctx, "lee-later", archive.RoleInvestigator, outsidePass); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.AddWitness(ctx, archive.Witness{Pseudonym: "W-18", Names: []string{"김영희"}}); err != nil {
		t.Fatal(err)
	}
	add("after.txt", "synthetic statement written after the removal: 요덕수용소 압록강")
	if err := adm.Close(); err != nil {
		t.Fatal(err)
	}

	var cfg struct{ Admin string }
	b, _ := os.ReadFile(filepath.Join(dir, "sori.json"))
	json.Unmarshal(b, &cfg)
	now := derivePG(t, openKept(t, readFiles(t, dir, cfg.Admin)).db)
	total, opened, plain := pgOpened(t, conn, now, map[string]bool{"users.body": true, "search_dict.name": true})
	for f, n := range total {
		if opened[f] != n {
			t.Errorf("the admin's current database key opens %d of %d %s", opened[f], n, f)
		}
	}
	later := false
	for _, p := range plain["users.body"] {
		var u struct{ Name string }
		json.Unmarshal(p, &u)
		later = later || u.Name == "lee-later"
	}
	if !later || !pgHasHash(t, conn, "users", "name_mac", now.keyed("users.name", []byte("lee-later"))) {
		t.Fatal("the admin's keys do not read the user added after the removal")
	}
	if len(plain["search_dict.name"]) == 0 {
		t.Fatal("no search terms")
	}

	// inv-kim's kept copy: nothing opens, no hash is confirmed.
	_, opened, _ = pgOpened(t, conn, kim, nil)
	for f, n := range opened {
		if n != 0 {
			t.Errorf("inv-kim's kept database key opens %d %s after the removal", n, f)
		}
	}
	for _, name := range []string{"lee-later", "reader-choi", "admin"} {
		if pgHasHash(t, conn, "users", "name_mac", kim.keyed("users.name", []byte(name))) {
			t.Errorf("inv-kim's kept hash key finds user %s", name)
		}
	}
	for _, term := range plain["search_dict.name"] {
		if pgHasHash(t, conn, "search_dict", "mac", kim.keyed("search.term", term)) {
			t.Errorf("inv-kim's kept hash key confirms a search term")
			break
		}
	}
	if !pgHasHash(t, conn, "search_dict", "mac", now.keyed("search.term", plain["search_dict.name"][0])) {
		t.Error("the admin's hash key does not confirm a search term (the check cannot fail)")
	}
}
