package archive

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sori/internal/model"
	"strings"
	"testing"

	"sori/internal/evidence"
	"sori/internal/namenet"
	"sori/internal/store"
)

// safetyTranscript names W-19 (박철민) in Hangul and three romanizations,
// and others who are not sealed.
const safetyTranscript = "[Synthetic test transcript.]\n" +
	"A: 박철민이가 같이 있었어요. 박철민은 보위부에 끌려갔습니다.\n" +
	"Note: the witness spells it Pak Chol-min; the report has Park Cheol-min; MR gives Pak Ch'ŏl-min.\n" +
	"Also there: 박철수, Kim Jong-un, 림송화.\n"

var vaultW19 = Witness{Pseudonym: "W-19", Names: []string{"박철민", "Pak Chol-min"}}

func spanTexts(text string, spans []NameSpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, text[s.Start:s.End]+"="+s.Label)
	}
	return out
}

// addText adds one file holding text and returns its result.
func addText(t *testing.T, a *Archive, name, text string) Added {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	writeFile(t, p, []byte(text))
	var got []Added
	if err := a.Add(context.Background(), []string{p}, AddOptions{}, func(r Added) error { got = append(got, r); return r.Err }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d results", len(got))
	}
	return got[0]
}

// TestSafetyNet: an investigator, who cannot open the vault, is warned
// where added text names a sealed witness, in every romanization; after
// the withdrawal no hash is left and nothing is reported; nothing sealed is
// ever on disk in the clear, hashes included.
func TestSafetyNet(t *testing.T) {
	ctx := context.Background()
	po := newArchive(t) // the first admin holds protection
	if _, err := po.AddUser(ctx, "inv-lee", RoleInvestigator, testPass); err != nil {
		t.Fatal(err)
	}
	if _, err := po.AddUser(ctx, "reader-oh", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	inv, err := openAs(t, po.dir, "inv-lee", testPass)
	if err != nil {
		t.Fatal(err)
	}
	// An empty vault: nothing to find, nothing read.
	if r := addText(t, inv, "before.txt", safetyTranscript+"(before)"); r.Names != nil {
		t.Fatalf("empty vault: %v", r.Names)
	}
	g, err := inv.newNameGuard(ctx, nil)
	if err != nil || !g.Empty() {
		t.Fatalf("empty vault: guard %v, %v", g, err)
	}

	if _, err := po.AddWitness(ctx, vaultW19); err != nil {
		t.Fatal(err)
	}
	if _, err := po.AddWitness(ctx, vaultW17); err != nil {
		t.Fatal(err)
	}
	r := addText(t, inv, "transcript.txt", safetyTranscript)
	want := []string{"박철민=sealed name", "박철민=sealed name", "Pak Chol-min=sealed name", "Park Cheol-min=sealed name", "Pak Ch'ŏl-min=sealed name", "림송화=sealed name"}
	if got := spanTexts(safetyTranscript, r.Names); !slices.Equal(got, want) {
		t.Fatalf("intake warnings %q, want %q", got, want)
	}
	// The same bytes again are a duplicate: nothing new, no warning.
	if r2 := addText(t, inv, "again.txt", safetyTranscript); !r2.Duplicate || r2.Names != nil {
		t.Fatalf("duplicate: %+v", r2)
	}
	// A binary file is not read as text.
	if r3 := addText(t, inv, "audio.bin", "\x00\x01박철민"); r3.Names != nil {
		t.Fatalf("binary: %v", r3.Names)
	}
	// CheckText, for records: a Person named like the witness.
	spans, err := inv.CheckText(ctx, "Person: Park Cheol-min (alias Cheol-min)")
	if err != nil || !slices.Equal(spanTexts("Person: Park Cheol-min (alias Cheol-min)", spans), []string{"Park Cheol-min=sealed name", "Cheol-min=sealed given name"}) {
		t.Fatalf("CheckText = %v, %v", spans, err)
	}
	ro, err := openAs(t, po.dir, "reader-oh", testPass)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.CheckText(ctx, "박철민"); !errors.Is(err, evidence.ErrForbidden) {
		t.Fatalf("reader CheckText: %v", err)
	}
	// Protected persons' names are added to the guard under their label.
	g, err = inv.newNameGuard(ctx, []ProtectedName{{Label: "P-3", Names: []string{"최영희"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := spanTexts("최영희와 박철민", g.Find("최영희와 박철민")); !slices.Equal(got, []string{"최영희=P-3", "박철민=sealed name"}) {
		t.Fatalf("guard with a protected person: %q", got)
	}

	// At rest: the stored hashes are not the names, nor their forms.
	names, err := po.db.VaultNames(ctx)
	if err != nil || len(names) != 2 {
		t.Fatalf("VaultNames: %d entries, %v", len(names), err)
	}
	needles := vaultNeedles()
	for _, f := range []string{"bak.ceol.min", "ceol.min", "박철민", "Pak Chol-min"} {
		needles = append(needles, []byte(f))
	}
	for _, rows := range names {
		for _, n := range rows {
			for _, nd := range needles {
				if bytes.Contains(n.Hash[:], nd) {
					t.Fatal("a stored hash holds name bytes")
				}
			}
		}
	}
	key, ok, err := po.nameNetKey(ctx, nil)
	if err != nil || !ok || !slices.ContainsFunc(names[entryOf(t, po, "W-19")], func(n storeVaultName) bool { return n.Hash == namenet.Hash(key, "bak.ceol.min") }) {
		t.Fatalf("W-19's hashes lack the hash of its form (key %v, %v)", ok, err)
	}
	scanDir(t, po.dir, [][]byte{[]byte("bak.ceol.min"), []byte("ceol.min"), key[:]})

	// Withdrawal keeps the hashes: the name stays masked.
	before := len(names[entryOf(t, po, "W-19")])
	if _, err := po.WithdrawWitness(ctx, "W-19"); err != nil {
		t.Fatal(err)
	}
	names, err = po.db.VaultNames(ctx)
	if err != nil || len(names) != 2 || len(names[entryOf(t, po, "W-19")]) != before {
		t.Fatalf("after withdrawal: %d entries, %v", len(names), err)
	}
	found := spanTexts(safetyTranscript, r.Names)
	r = addText(t, inv, "transcript2.txt", safetyTranscript+"\n")
	if got := spanTexts(safetyTranscript+"\n", r.Names); !slices.Equal(got, found) {
		t.Fatalf("after withdrawal: %q, want %q", got, found)
	}
	if _, err := po.WithdrawWitness(ctx, "W-17"); err != nil {
		t.Fatal(err)
	}
	if r := addText(t, inv, "transcript3.txt", safetyTranscript+"\n\n"); !slices.Equal(spanTexts(safetyTranscript+"\n\n", r.Names), found) {
		t.Fatalf("all withdrawn: %v", r.Names)
	}
	po.Close()
	scanDir(t, po.dir, vaultNeedles())
}

// TestNameNetKeyLater: an archive made before the name-net key gets one
// from the first writer who needs it, and the others then share it.
func TestNameNetKeyLater(t *testing.T) {
	ctx := context.Background()
	po := newArchive(t)
	if _, err := po.AddUser(ctx, "inv-lee", RoleInvestigator, testPass); err != nil {
		t.Fatal(err)
	}
	tx, err := po.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.SetMeta(ctx, metaNameNet, ""); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := po.nameNetKey(ctx, nil); ok || err != nil {
		t.Fatalf("no key yet: %v, %v", ok, err)
	}
	if _, err := po.AddWitness(ctx, vaultW19); err != nil {
		t.Fatal(err)
	}
	inv, err := openAs(t, po.dir, "inv-lee", testPass)
	if err != nil {
		t.Fatal(err)
	}
	spans, err := inv.CheckText(ctx, "Pak Ch'ŏl-min")
	if err != nil || len(spans) != 1 {
		t.Fatalf("CheckText with the later key: %v, %v", spans, err)
	}
}

// BenchmarkAddSafetyNet measures intake of a large transcript with and
// without names in the vault.
func BenchmarkAddSafetyNet(b *testing.B) {
	ctx := context.Background()
	for _, sealed := range []bool{false, true} {
		name := "empty-vault"
		if sealed {
			name = "sealed-names"
		}
		b.Run(name, func(b *testing.B) {
			a, err := Init(ctx, filepath.Join(b.TempDir(), "archive"), "po", testPass, Options{WorkFactor: 10})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			if sealed {
				if _, err := a.AddWitness(ctx, vaultW19); err != nil {
					b.Fatal(err)
				}
			}
			text := strings.Repeat(safetyTranscript, (1<<20)/len(safetyTranscript))
			dir := b.TempDir()
			b.SetBytes(int64(len(text)))
			i := 0
			for b.Loop() {
				i++
				p := filepath.Join(dir, "t.txt")
				if err := os.WriteFile(p, []byte(text+strings.Repeat(" ", i)), 0o600); err != nil {
					b.Fatal(err)
				}
				if err := a.Add(ctx, []string{p}, AddOptions{}, func(r Added) error { return r.Err }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type storeVaultName = store.VaultName

func entryOf(t *testing.T, a *Archive, pseudonym string) string {
	t.Helper()
	r, err := a.db.Vault(context.Background(), pseudonym)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// TestHashWitnessNames: an entry stored before the safety net (no hashes)
// gets them from a protection officer, with its opening recorded; then
// nothing is left to do.
func TestHashWitnessNames(t *testing.T) {
	ctx := context.Background()
	po := newArchive(t)
	for _, w := range []Witness{vaultW17, vaultW19} {
		if _, err := po.AddWitness(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	old := entryOf(t, po, "W-19")
	tx, err := po.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.DeleteVaultNames(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if spans, err := po.CheckText(ctx, "박철민은"); err != nil || spans != nil {
		t.Fatalf("without hashes: %v, %v", spans, err)
	}
	before := 0
	po.Log(ctx, "", func(e LogEntry) error { before++; return nil })
	n, err := po.HashWitnessNames(ctx)
	if err != nil || n != 1 {
		t.Fatalf("HashWitnessNames = %d, %v", n, err)
	}
	var last LogEntry
	after := 0
	po.Log(ctx, "", func(e LogEntry) error { after++; last = e; return nil })
	if after != before+1 || last.Kind != "vault-open" || last.Object != old {
		t.Fatalf("custody: %d entries before, %d after, last %+v", before, after, last)
	}
	if spans, err := po.CheckText(ctx, "박철민은"); err != nil || len(spans) != 1 {
		t.Fatalf("after hashing: %v, %v", spans, err)
	}
	if n, err := po.HashWitnessNames(ctx); err != nil || n != 0 {
		t.Fatalf("second run = %d, %v", n, err)
	}
}

// TestSearchKeepsSealedNamesOut: a transcript that names a sealed witness
// (in Hangul and a romanization) is indexed without the name, and a
// reader's search results show it nowhere: not found by the name, and
// masked in the snippet of a hit on the words around it.
func TestSearchKeepsSealedNamesOut(t *testing.T) {
	ctx := context.Background()
	po := newArchive(t)
	if _, err := po.AddWitness(ctx, vaultW19); err != nil {
		t.Fatal(err)
	}
	if _, err := po.AddUser(ctx, "reader-oh", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	addText(t, po, "t.txt", "그날 박철민은 두만강을 건넜다. Later Park Cheol-min crossed the Tumen river.\n")
	rd, err := openAs(t, po.dir, "reader-oh", testPass)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for _, q := range []string{"박철민", "Pak Chol-min", "Park Cheol-min", "철민"} {
		hits, err := rd.Search(ctx, q, SearchOptions{Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 0 {
			t.Errorf("search %q found the sealed name: %v", q, hits)
		}
	}
	for _, q := range []string{"두만강", "Tumen river"} {
		hits, err := rd.Search(ctx, q, SearchOptions{Limit: 20, Open: "[", Shut: "]"})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 {
			t.Fatalf("search %q: %d hits, want 1", q, len(hits))
		}
		for _, leak := range []string{"박철민", "철민", "Cheol", "Park"} {
			if strings.Contains(hits[0].Snippet, leak) {
				t.Errorf("search %q: snippet %q shows %q", q, hits[0].Snippet, leak)
			}
		}
		if !strings.Contains(hits[0].Snippet, "[…]") {
			t.Errorf("search %q: snippet %q does not mark the masked name", q, hits[0].Snippet)
		}
	}
}

// TestRecordIndexKeepsSealedNamesOut: a person record written with a
// sealed witness's name is not found by that name (nor after a rebuild).
func TestRecordIndexKeepsSealedNamesOut(t *testing.T) {
	ctx := context.Background()
	po := newArchive(t)
	if _, err := po.AddWitness(ctx, vaultW19); err != nil {
		t.Fatal(err)
	}
	if _, err := po.AddRecord(ctx, &model.Person{Names: []string{"Park Cheol-min"}, Notes: "brother of the guard at Onsong"}); err != nil {
		t.Fatal(err)
	}
	for _, rebuild := range []bool{false, true} {
		if rebuild {
			if _, err := po.RebuildIndex(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}
		if hits, err := po.Search(ctx, "박철민", SearchOptions{Limit: 5}); err != nil || len(hits) != 0 {
			t.Errorf("rebuild %v: search by the sealed name: %v, %v", rebuild, hits, err)
		}
		if hits, err := po.Search(ctx, "Onsong", SearchOptions{Limit: 5}); err != nil || len(hits) != 1 {
			t.Errorf("rebuild %v: search by the note: %v, %v", rebuild, hits, err)
		}
	}
}
