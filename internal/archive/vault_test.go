package archive

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"sori/internal/evidence"
)

// Synthetic witnesses: invented names and contacts.
var (
	vaultW17 = Witness{Pseudonym: "W-17", Names: []string{"림송화", "Rim Song-hwa", "Lim Songhwa"}, Contact: "Signal +82 10-5555-0117, ask for 송화 이모", Note: "언니는 아직 회령에 있음; sister still in Hoeryong"}
	vaultW18 = Witness{Pseudonym: "W-18", Names: []string{"Kang Ŏn-ju", "강언주"}, Contact: "kang.eonju@example.org"}
)

// vaultNeedles are every sealed string of the fixtures, and their parts,
// in NFC and NFD.
func vaultNeedles() [][]byte {
	var out [][]byte
	for _, w := range []Witness{vaultW17, vaultW18} {
		ss := append([]string{w.Contact, w.Note, "송화 이모", "회령에", "Hoeryong", "5555-0117", "example.org"}, w.Names...)
		for _, s := range ss {
			if s == "" {
				continue
			}
			out = append(out, []byte(norm.NFC.String(s)), []byte(norm.NFD.String(s)))
		}
	}
	return out
}

func scanDir(t *testing.T, dir string, needles [][]byte) {
	t.Helper()
	files := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s holds sealed string #%d in the clear", p, i)
			}
		}
		return nil
	})
	if files < 5 {
		t.Errorf("scanned only %d files", files)
	}
}

func TestVaultRoundTrip(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	dir := filepath.Join(t.TempDir(), "archive")
	opt := Options{WorkFactor: 10, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	a, err := Init(ctx, dir, "protection-kim", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { a.Close() }()
	// NFD input is stored NFC.
	in := vaultW17
	in.Names = append([]string{norm.NFD.String(in.Names[0])}, in.Names[1:]...)
	info, err := a.AddWitness(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != WitnessActive || info.Pseudonym != "W-17" || len(info.ID) != 32 {
		t.Errorf("added: %+v", info)
	}
	if _, err := a.AddWitness(ctx, vaultW18); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddWitness(ctx, vaultW17); !errors.Is(err, evidence.ErrExists) {
		t.Errorf("W-17 twice: %v", err)
	}
	a.Close()
	if a, err = Open(ctx, dir, "", testPass, opt); err != nil {
		t.Fatal(err)
	}
	got, w, err := a.OpenWitness(ctx, "W-17")
	if err != nil || w == nil {
		t.Fatal(err)
	}
	if got.ID != info.ID || strings.Join(w.Names, "|") != strings.Join(vaultW17.Names, "|") || w.Contact != vaultW17.Contact || w.Note != vaultW17.Note {
		t.Errorf("opened %+v %+v", got, w)
	}
	ls, err := a.Witnesses(ctx)
	if err != nil || len(ls) != 2 || ls[0].Pseudonym != "W-17" || ls[1].Status != WitnessActive {
		t.Errorf("ls: %+v %v", ls, err)
	}
	// Every opening is a custody entry naming the entry's ID only.
	var kinds []string
	a.Log(ctx, info.ID, func(e LogEntry) error { kinds = append(kinds, e.Kind); return nil })
	if strings.Join(kinds, ",") != "witness,vault-open" {
		t.Errorf("custody of W-17: %v", kinds)
	}
	if _, _, err := a.OpenWitness(ctx, "W-99"); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("unknown witness: %v", err)
	}
	// Bad input: a clear error that quotes none of the values; nothing changed.
	before := snapshot(t, dir)
	long := strings.Repeat("림송화", 100)
	var errs []error
	for _, bad := range []Witness{
		{Pseudonym: "림송화", Names: []string{"x"}},
		{Pseudonym: "W-20"},
		{Pseudonym: "W-20", Names: []string{"  "}},
		{Pseudonym: "W-20", Names: []string{long}},
		{Pseudonym: "W-20", Names: []string{"Rim Song-hwa"}, Contact: "Rim\x00Song-hwa"},
		{Pseudonym: "W-20", Names: []string{"Rim Song-hwa\xff"}},
	} {
		_, err := a.AddWitness(ctx, bad)
		if !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("%q: %v", bad.Pseudonym, err)
		}
		errs = append(errs, err)
	}
	sameSnapshot(t, before, snapshot(t, dir))
	// Withdrawal.
	if _, err := a.WithdrawWitness(ctx, "W-18"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WithdrawWitness(ctx, "W-18"); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("second withdrawal: %v", err)
	}
	got, w, err = a.OpenWitness(ctx, "W-18")
	if err != nil || w != nil || got.Status != WitnessWithdrawn || got.Withdrawn.IsZero() {
		t.Errorf("withdrawn W-18: %+v %+v %v", got, w, err)
	}
	ring := a.ring
	a.Close()

	needles := vaultNeedles()
	needles = append(needles, ring.Vault[:], []byte(hex.EncodeToString(ring.Vault[:])))
	scanDir(t, dir, needles)
	for _, n := range needles {
		if bytes.Contains(logs.Bytes(), n) {
			t.Errorf("the log holds a sealed string: %q", n)
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), string(n)) {
				t.Errorf("error %q holds a sealed string", err)
			}
		}
	}
	if !strings.Contains(logs.String(), info.ID) {
		t.Error("the log does not name the entry by ID")
	}
}

// TestVaultKeysFollowRoles: a protection officer added by the first admin
// opens the vault; an admin without protection neither opens it nor can
// give protection on; investigators and readers are refused.
func TestVaultKeysFollowRoles(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	if _, err := adm.AddWitness(ctx, vaultW17); err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]string{"po-han": RoleProtection, "admin-ro": RoleAdmin, "inv-pak": RoleInvestigator} {
		if _, err := adm.AddUser(ctx, name, role, testPass); err != nil {
			t.Fatal(err)
		}
	}
	po, err := openAs(t, adm.dir, "po-han", testPass)
	if err != nil {
		t.Fatal(err)
	}
	if _, w, err := po.OpenWitness(ctx, "W-17"); err != nil || w.Contact != vaultW17.Contact {
		t.Errorf("protection officer: %v", err)
	}
	ro, err := openAs(t, adm.dir, "admin-ro", testPass)
	if err != nil {
		t.Fatal(err)
	}
	if ro.ring.HasVault() {
		t.Error("an admin without protection holds the vault key")
	}
	if _, _, err := ro.OpenWitness(ctx, "W-17"); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("admin without protection opens the vault: %v", err)
	}
	before := snapshot(t, adm.dir)
	if _, err := ro.AddUser(ctx, "po-new", RoleProtection, testPass); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("admin without the vault key grants protection: %v", err)
	}
	sameSnapshot(t, before, snapshot(t, adm.dir))
	// It cannot remove a protection officer: the vault key must be
	// replaced, and it does not hold it. The refusal names who can.
	before = snapshot(t, adm.dir)
	if err := ro.RemoveUser(ctx, "po-han"); !errors.Is(err, evidence.ErrForbidden) || !strings.Contains(err.Error(), "investigator-kim") {
		t.Errorf("admin without the vault key removes a protection officer: %v", err)
	}
	sameSnapshot(t, before, snapshot(t, adm.dir))
	// A protection officer can; the removed officer's vault key file goes
	// with them.
	ro.Close()
	po.Close()
	adm = reopen(t, adm)
	if err := adm.RemoveUser(ctx, "po-han"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(adm.dir, keysDir, locator(adm.cfg.ID, "po-han")+vaultFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the removed officer's vault key file: %v", err)
	}
	inv, err := openAs(t, adm.dir, "inv-pak", testPass)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Witnesses(ctx); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("investigator lists the vault: %v", err)
	}
	if _, err := inv.WithdrawWitness(ctx, "W-17"); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("investigator withdraws: %v", err)
	}
}

// TestWithdrawUnrecoverable: after a withdrawal no key anyone holds — the
// vault key of every remaining protection officer included — recovers the
// entry: its row holds neither the wrapped key nor the ciphertext, and the
// bytes captured before are nowhere in the archive's files.
func TestWithdrawUnrecoverable(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	if _, err := adm.AddUser(ctx, "po-han", RoleProtection, testPass); err != nil {
		t.Fatal(err)
	}
	for _, w := range []Witness{vaultW17, vaultW18} {
		if _, err := adm.AddWitness(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	row, err := adm.db.Vault(ctx, "W-17")
	if err != nil || row.Wrapped == nil {
		t.Fatal(err)
	}
	wrapped, sealed := bytes.Clone(row.Wrapped), bytes.Clone(row.Entry)
	if _, err := adm.ring.OpenWitness(row.ID, wrapped, sealed); err != nil {
		t.Fatalf("the captured entry does not open before the withdrawal: %v", err)
	}
	if _, err := adm.WithdrawWitness(ctx, "W-17"); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	for _, user := range []string{"", "po-han"} {
		a, err := openAs(t, adm.dir, user, testPass)
		if err != nil {
			t.Fatal(err)
		}
		if !a.ring.HasVault() {
			t.Fatalf("%q holds no vault key", user)
		}
		rows, err := a.db.VaultRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		opened := 0
		for _, r := range rows {
			if r.Pseudonym == "W-17" && (r.Wrapped != nil || r.Entry != nil || !r.Withdrawn) {
				t.Errorf("W-17's row after withdrawal: %+v", r)
			}
			if plain, err := a.ring.OpenWitness(r.ID, r.Wrapped, r.Entry); err == nil {
				opened++
				if bytes.Contains(plain, []byte("W-17")) {
					t.Error("a row still opens to W-17")
				}
			}
		}
		if opened != 1 {
			t.Errorf("%q opens %d entries, want W-18's alone", user, opened)
		}
		a.Close()
	}
	// The raw files (meta.db, its WAL, everything) hold neither the wrapped
	// key nor the ciphertext.
	scanDir(t, adm.dir, [][]byte{wrapped, sealed, wrapped[:24], sealed[:24], sealed[len(sealed)-24:]})
	if st, err := os.Stat(filepath.Join(adm.dir, dbFile+"-wal")); err == nil && st.Size() != 0 {
		t.Errorf("the WAL holds %d bytes after the withdrawal", st.Size())
	}
}

// TestVaultKeyRotation: removing a protection officer replaces the vault
// key: the removed officer's copy opens no entry, the remaining officers
// open all of them, and a session opened before the removal cannot add
// entries under the old key.
func TestVaultKeyRotation(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	for _, n := range []string{"po-han", "po-lee"} {
		if _, err := adm.AddUser(ctx, n, RoleProtection, testPass); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []Witness{vaultW17, vaultW18} {
		if _, err := adm.AddWitness(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	han, err := openAs(t, adm.dir, "po-han", testPass)
	if err != nil {
		t.Fatal(err)
	}
	kept := han.ring // what the removed officer keeps
	han.Close()
	stale, err := openAs(t, adm.dir, "po-lee", testPass)
	if err != nil {
		t.Fatal(err)
	}
	// A rotation replaces meta.db: a session of this process still open on
	// it refuses the removal (other processes are kept out by the lock).
	if err := adm.RemoveUser(ctx, "po-han"); !errors.Is(err, ErrBusy) {
		t.Errorf("removal beside another session of the process: %v", err)
	}
	stale.Close()
	if err := adm.RemoveUser(ctx, "po-han"); err != nil {
		t.Fatal(err)
	}
	rows, err := adm.db.VaultRows(ctx)
	if err != nil || len(rows) != 2 {
		t.Fatal(rows, err)
	}
	for _, r := range rows {
		if _, err := kept.OpenWitness(r.ID, r.Wrapped, r.Entry); err == nil {
			t.Errorf("the removed officer's vault key opens %s", r.Pseudonym)
		}
	}
	for _, user := range []string{"", "po-lee"} {
		a, err := openAs(t, adm.dir, user, testPass)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"W-17", "W-18"} {
			if _, w, err := a.OpenWitness(ctx, p); err != nil || w == nil {
				t.Errorf("%q opens %s after the rotation: %v", user, p, err)
			}
		}
		if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-4" + fmt.Sprint(len(user)), Names: []string{"Jo Mi-rae"}}); err != nil {
			t.Errorf("%q adds after the rotation: %v", user, err)
		}
		a.Close()
	}
}
