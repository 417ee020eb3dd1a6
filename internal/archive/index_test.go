package archive

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sori/internal/model"
)

// TestIndexPending: intake writes nothing for search; IndexPending (and
// every search, first) indexes what was added since it last ran — titles,
// file names and text — exactly once, and a binary item by its name only.
func TestIndexPending(t *testing.T) {
	a := newArchive(t)
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.ko.txt"), []byte("두만강을 건넜다.\n"))
	writeFile(t, filepath.Join(dir, "b.en.txt"), []byte("We crossed the Tumen at night.\n"))
	bin := append([]byte("압록강 "), 0, 1, 2, 3)
	writeFile(t, filepath.Join(dir, "tumen-photo.jpg"), bin)
	added := addAll(t, a, []string{dir}, AddOptions{})
	if _, n, err := a.db.PendingItems(ctx, 10); err != nil || n != 3 {
		t.Fatalf("pending after add: %d, %v", n, err)
	}
	n, err := a.IndexPending(ctx, nil)
	if err != nil || n != 3 {
		t.Fatalf("IndexPending = %d, %v", n, err)
	}
	if n, err := a.IndexPending(ctx, nil); err != nil || n != 0 {
		t.Fatalf("second IndexPending = %d, %v", n, err)
	}
	ids := func(q string) []string { t.Helper(); return searchIDs(t, a, q, SearchOptions{}) }
	byPath := map[string]string{}
	for _, r := range added {
		byPath[filepath.Base(r.Path)] = r.ID.String()
	}
	if got := ids("압록강"); len(got) != 0 {
		t.Errorf("압록강: %v (the binary item's bytes are not text and must not be indexed)", got)
	}
	// A place is found in either script (the gazetteer's names).
	for _, q := range []string{"두만강", "tumen"} {
		if got := ids(q); !slices.Equal(got, sorted(byPath["a.ko.txt"], byPath["b.en.txt"], byPath["tumen-photo.jpg"])) {
			t.Errorf("%s: %v, want both texts and the photo by its name", q, got)
		}
	}
	// A later add is pending until the next search, which finds it.
	later := filepath.Join(t.TempDir(), "c.ko.txt")
	if err := os.WriteFile(later, []byte("요덕 관리소\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := addAll(t, a, []string{later}, AddOptions{})[0].ID.String()
	if got := ids("관리소"); !slices.Equal(got, []string{c}) {
		t.Errorf("관리소 after a later add: %v", got)
	}
	// An edit before indexing: the index has the new title.
	d := addAll(t, a, []string{writeTemp(t, "d.txt", "nothing here")}, AddOptions{})[0].ID.String()
	title := "Interview with W-09"
	if _, _, err := a.Edit(ctx, d, Edit{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if got := ids("W-09"); !slices.Equal(got, []string{d}) {
		t.Errorf("edited title before indexing: %v", got)
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// searchIDs returns the IDs of the documents q finds, sorted.
func searchIDs(t *testing.T, a *Archive, q string, opt SearchOptions) []string {
	t.Helper()
	hits, err := a.Search(context.Background(), q, opt)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hits {
		out = append(out, h.Doc)
	}
	slices.Sort(out)
	return out
}

func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	writeFile(t, p, []byte(text))
	return p
}

// TestRebuildIndex: a rebuilt index finds what the incrementally built one
// found, records and annotated items' filters included.
func TestRebuildIndex(t *testing.T) {
	a := newArchive(t)
	ctx := context.Background()
	item := addAll(t, a, []string{writeTemp(t, "a.ko.txt", "두만강을 건넜다.\n")}, AddOptions{})[0].ID
	d, _ := model.ParseDate("1998")
	event, err := a.AddRecord(ctx, &model.Event{Title: "Crossing the Tumen", Date: d, Places: []string{"musan"}, Violations: []string{"detention.torture.interrogation"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddRecord(ctx, &model.Annotation{Item: item, Start: 0, End: 9, Target: event}); err != nil {
		t.Fatal(err)
	}
	queries := []struct {
		q   string
		opt SearchOptions
	}{{"두만강", SearchOptions{}}, {"Tumen", SearchOptions{}}, {"두만강", SearchOptions{Place: "musan"}}, {"두만강", SearchOptions{From: 1990, To: 2000}}}
	var before [][]string
	for _, q := range queries {
		before = append(before, searchIDs(t, a, q.q, q.opt))
	}
	n, err := a.RebuildIndex(ctx, nil)
	if err != nil || n != 1 {
		t.Fatalf("RebuildIndex = %d, %v", n, err)
	}
	for i, q := range queries {
		if got := searchIDs(t, a, q.q, q.opt); !slices.Equal(got, before[i]) || len(got) == 0 {
			t.Errorf("%q %+v after rebuild: %v, before %v", q.q, q.opt, got, before[i])
		}
	}
}

// An item's record edited while an indexer has it in hand (its page read,
// its text analysed, not yet committed): the indexer does not put the
// older title back over the edit's, nor take the item off the queue; the
// next run indexes its text with the new title.
func TestIndexEditMeanwhile(t *testing.T) {
	a := newArchive(t)
	ctx := context.Background()
	id := addAll(t, a, []string{writeTemp(t, "e.ko.txt", "회령에서 온 편지\n")}, AddOptions{})[0].ID.String()
	pend, _, err := a.db.PendingItems(ctx, 10)
	if err != nil || len(pend) != 1 {
		t.Fatalf("pending: %v %v", pend, err)
	}
	guard, err := a.newNameGuard(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	title := "Letter from W-11"
	if _, _, err := a.Edit(ctx, id, Edit{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if n, err := a.indexItems(ctx, pend, guard, 0, 1, nil); err != nil || n != 0 {
		t.Fatalf("indexing the page read before the edit: %d, %v (want none taken)", n, err)
	}
	if _, n, err := a.db.PendingItems(ctx, 10); err != nil || n != 1 {
		t.Fatalf("pending after the stale run: %d, %v", n, err)
	}
	ids := func(q string) []string { t.Helper(); return searchIDs(t, a, q, SearchOptions{}) }
	for _, q := range []string{"W-11", "편지"} {
		if got := ids(q); !slices.Equal(got, []string{id}) {
			t.Errorf("%s: %v, want the edited item", q, got)
		}
	}
}

// An item whose stored bytes were damaged is indexed by its title only:
// none of its text (not even the chunks before the damage) enters the
// index, the run goes on, and the other items are indexed whole.
func TestIndexDamagedItem(t *testing.T) {
	a := newArchive(t)
	ctx := context.Background()
	long := strings.Repeat("평양 근처의 마을에서 배급이 끊겼다.\n", 4000) + "마지막 줄은 청진 이야기\n" // over two chunks
	added := addAll(t, a, []string{writeTemp(t, "damaged.ko.txt", long), writeTemp(t, "whole.ko.txt", "회령 세관 앞에서\n")}, AddOptions{})
	bad, good := added[0].ID.String(), added[1].ID.String()
	it, err := a.db.Item(ctx, added[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	pack := filepath.Join(a.dir, blobsDir, it.Pack[:2], it.Pack)
	flip(t, pack, it.Off+it.Len-20) // in the final chunk
	if n, err := a.IndexPending(ctx, nil); err != nil || n != 2 {
		t.Fatalf("IndexPending = %d, %v", n, err)
	}
	ids := func(q string) []string { t.Helper(); return searchIDs(t, a, q, SearchOptions{}) }
	for q, want := range map[string][]string{"배급": nil, "청진": nil, "damaged": {bad}, "세관": {good}} {
		if got := ids(q); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
}
