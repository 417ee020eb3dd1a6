package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/evidence"
	"sori/internal/store"
	"sori/internal/testenv"
)

// randomText makes text with what partLines has to handle: short and
// blank lines, spaces and tabs around lines, Hangul, and long lines with
// and without spaces to cut at.
func randomText(rng *rand.Rand, lines int) string {
	var b strings.Builder
	for range lines {
		switch rng.IntN(8) {
		case 0:
			b.WriteString("\n")
		case 1:
			b.WriteString(" \t ")
		case 2:
			b.WriteString(strings.Repeat("가나다", 500+rng.IntN(1500))) // 4.5–18 KiB, no space
		case 3:
			for range 200 + rng.IntN(900) {
				b.WriteString("word ")
			}
		default:
			for range 1 + rng.IntN(40) {
				b.WriteString([]string{"탈북 ", "rations ", "  ", "혜산에서 ", "camp, "}[rng.IntN(5)])
			}
		}
		b.WriteString([]string{"\n", "\n", "  \n", "\r\n"}[rng.IntN(4)])
	}
	return b.String()
}

// TestPartStarts checks that the bytes from a part's start to the next
// part's, cut again, give that part, as a snippet reads it.
func TestPartStarts(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 300 {
		text := randomText(rng, 1+rng.IntN(60))
		lines, at, parts := partLines(text)
		want := paragraphs(text)
		if len(parts) != len(want) {
			t.Fatalf("text %d: %d parts, paragraphs gives %d", i, len(parts), len(want))
		}
		for n, p := range parts {
			if text[at[p[0]]:at[p[0]]+len(lines[p[0]])] != lines[p[0]] {
				t.Fatalf("text %d part %d: start %d is not where its first line is", i, n+1, at[p[0]])
			}
			end := len(text)
			if n+1 < len(parts) {
				end = at[parts[n+1][0]]
			}
			if got := cutPart(text[at[p[0]]:end]); got != want[n] {
				t.Fatalf("text %d part %d: cut from its bytes gives %.40q…, want %.40q…", i, n+1, got, want[n])
			}
		}
	}
}

// TestPartStartsMasked checks the map from where parts start in masked text
// (sealed names replaced before indexing) to the plaintext.
func TestPartStartsMasked(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range 300 {
		plain := randomText(rng, 1+rng.IntN(40))
		// Spans to mask: random, ordered, apart, on rune boundaries.
		var spans []NameSpan
		for at := 0; at < len(plain); {
			at += rng.IntN(3000)
			for at < len(plain) && !isRuneStart(plain, at) {
				at++
			}
			end := min(len(plain), at+1+rng.IntN(30))
			for end < len(plain) && !isRuneStart(plain, end) {
				end++
			}
			if at >= len(plain) {
				break
			}
			spans = append(spans, NameSpan{Start: at, End: end})
			at = end + 1
		}
		var b strings.Builder
		at := 0
		for _, sp := range spans {
			b.WriteString(plain[at:sp.Start] + " ")
			at = sp.End
		}
		b.WriteString(plain[at:])
		masked := b.String()
		lines, mat, parts := partLines(masked)
		first := make([]int, len(parts))
		for n, p := range parts {
			first[n] = mat[p[0]]
		}
		got := partStarts(first, spans, " ")
		for n, p := range parts {
			// The plaintext from the mapped start, masked the same way,
			// begins with the part's first line.
			s := got[n]
			if s < 0 || s > int64(len(plain)) {
				t.Fatalf("text %d part %d: start %d outside %d bytes", i, n+1, s, len(plain))
			}
			var rest strings.Builder
			at := int(s)
			for _, sp := range spans {
				if sp.End <= at {
					continue
				}
				rest.WriteString(plain[at:max(at, sp.Start)] + " ")
				at = sp.End
			}
			rest.WriteString(plain[at:])
			if !strings.HasPrefix(rest.String(), lines[p[0]]) {
				t.Fatalf("text %d part %d: plaintext start %d masked begins %.30q…, want %.30q…", i, n+1, s, rest.String(), lines[p[0]])
			}
		}
	}
}

func isRuneStart(s string, i int) bool { return s[i]&0xc0 != 0x80 }

// TestSnippetLongItem searches a transcript of several 64 KiB chunks: the
// snippet of a passage deep inside comes from that passage, every part cut
// by range equals the part cut from the whole plaintext, and a chunk
// altered on disk gives ErrTampered, never other text.
func TestSnippetLongItem(t *testing.T) {
	ctx := context.Background()
	a := newArchive(t)
	r := checkLongItemSnippets(t, a)
	// Alter one byte of the item's second chunk on disk: a part there
	// fails as tampered; a part in the first chunk is still read (each
	// chunk authenticates on its own).
	var pack string
	filepath.WalkDir(a.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, r.Item.Pack) {
			pack = p
		}
		return nil
	})
	raw, err := os.ReadFile(pack)
	if err != nil {
		t.Fatalf("pack of the item: %v", err)
	}
	at := r.Item.Off + 200 + 64<<10 + 100 // inside the second chunk
	raw[at] ^= 1
	if err := os.WriteFile(pack, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	second := 0
	for n, s := range r.Starts {
		if s > 64<<10+1000 && s < 2*64<<10-3000 {
			second = n + 1
			break
		}
	}
	if _, err := a.itemPart(ctx, r.Item, r.Starts, second); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("part %d in the altered chunk: %v, want ErrTampered", second, err)
	}
	if p, err := a.itemPart(ctx, r.Item, r.Starts, 1); err != nil || !bytes.HasPrefix([]byte(p), []byte("Paragraph 0 ")) {
		t.Errorf("part 1 in an intact chunk: %.30q, %v", p, err)
	}
}

// TestSnippetLongItemPostgresS3 is TestSnippetLongItem's search on
// PostgreSQL and S3, where a long item is read by range requests.
func TestSnippetLongItemPostgresS3(t *testing.T) {
	opt := Options{WorkFactor: 10}
	opt.DB, opt.Blobs = testenv.PostgresSchema(t), testenv.S3Bucket(t, "snippet")
	a, err := Init(context.Background(), filepath.Join(t.TempDir(), "archive"), "investigator-kim", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	checkLongItemSnippets(t, a)
}

// checkLongItemSnippets adds a long transcript to a and checks its snippets
// (see TestSnippetLongItem); it returns the item's snippet row.
func checkLongItemSnippets(t *testing.T, a *Archive) store.SnippetItem {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "Paragraph %d of the interview: the guards at the camp counted rations every morning.\n", i)
		if i == 2500 {
			b.WriteString("Near the end she spoke of 혜산 and the river crossing at Hyesan-zyxwv.\n")
		}
	}
	path := filepath.Join(t.TempDir(), "long.txt")
	writeFile(t, path, []byte(b.String()))
	if b.Len() < 3*64<<10 {
		t.Fatalf("transcript of %d bytes is not long enough", b.Len())
	}
	addAll(t, a, []string{path}, AddOptions{})
	hits, err := a.Search(ctx, "zyxwv", SearchOptions{Open: "[", Shut: "]"})
	if err != nil || len(hits) != 1 {
		t.Fatalf("search: %v, %d hits", err, len(hits))
	}
	if !strings.Contains(hits[0].Snippet, "[zyxwv]") || !strings.Contains(hits[0].Snippet, "crossing") {
		t.Fatalf("snippet %q is not the passage", hits[0].Snippet)
	}
	rows, err := a.db.SnippetItems(ctx, []string{hits[0].Doc})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := rows[hits[0].Doc]
	if !ok || len(r.Starts) != len(paragraphs(b.String())) {
		t.Fatalf("index keeps %d part starts, want %d", len(r.Starts), len(paragraphs(b.String())))
	}
	for n := 1; n <= len(r.Starts); n++ {
		byRange, err := a.itemPart(ctx, r.Item, r.Starts, n)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := a.itemPart(ctx, r.Item, nil, n)
		if err != nil || byRange != whole || whole == "" {
			t.Fatalf("part %d: by range %.30q…, whole %.30q… (%v)", n, byRange, whole, err)
		}
	}
	return r
}

// TestSnippetsGoldenCorpus: on the golden search corpus, every text hit's
// part read by range is the part cut from the whole decrypted item, and
// every such hit has a snippet.
func TestSnippetsGoldenCorpus(t *testing.T) {
	ctx := context.Background()
	f := newSearchFixture(t)
	checked := 0
	for _, q := range []string{"혁", "두만강", "강제송환", "Tumen", "women", "요덕", "rations"} {
		hits, err := f.a.Search(ctx, q, SearchOptions{Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		var docs []string
		for _, h := range hits {
			docs = append(docs, h.Doc)
		}
		rows, err := f.a.db.SnippetItems(ctx, docs)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			r, ok := rows[h.Doc]
			if !ok || h.Part == 0 {
				continue
			}
			if h.Snippet == "" {
				t.Errorf("%q: hit %s part %d has no snippet", q, h.Doc, h.Part)
			}
			whole, err := f.a.itemText(ctx, r.Item)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.a.itemPart(ctx, r.Item, r.Starts, h.Part)
			if err != nil || got != paragraph(whole, h.Part) || got == "" {
				t.Errorf("%q: %s part %d by range %.30q…, from the whole item %.30q… (%v)", q, h.Doc, h.Part, got, paragraph(whole, h.Part), err)
			}
			checked++
		}
	}
	if checked < 50 {
		t.Errorf("only %d text hits checked", checked)
	}
}

// TestSnippetMasksNameAtPartEdge: a sealed name that a part's edge cuts
// ("Pak Ch|ol-min") is masked on both sides of the cut, in a small item
// (decrypted whole) and in a long one (read by range), because the part is
// masked over a margin around it before it is cut; masking the part alone
// shows the half inside it.
func TestSnippetMasksNameAtPartEdge(t *testing.T) {
	ctx := context.Background()
	po := newArchive(t)
	if _, err := po.AddWitness(ctx, vaultW19); err != nil {
		t.Fatal(err)
	}
	guard, err := po.newNameGuard(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, lines := range []int{20, 4000} {
		var b strings.Builder
		for i := range lines {
			fmt.Fprintf(&b, "Line %d of the interview: the guards counted the rations.\n", i)
			if i == lines/2 {
				b.WriteString("That night Pak Chol-min crossed the river with 박철민의 cousin.\n")
			}
		}
		text := b.String()
		ad := addText(t, po, fmt.Sprintf("edge-%d.txt", lines), text)
		it, err := po.db.Item(ctx, ad.ID)
		if err != nil {
			t.Fatal(err)
		}
		ik, err := po.itemKey(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if (it.Len > smallItem) != (lines > 100) {
			t.Fatalf("%d lines: %d stored bytes, small item up to %d", lines, it.Len, smallItem)
		}
		for _, cut := range []string{"Pak Ch", "박"} { // the edge falls after it
			at := int64(strings.Index(text, cut) + len(cut))
			starts := []int64{0, at}
			first, err := po.itemPartMasked(ctx, it, ik, starts, 1, guard)
			if err != nil {
				t.Fatal(err)
			}
			second, err := po.itemPartMasked(ctx, it, ik, starts, 2, guard)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(first, Mask) || strings.Contains(first, "Pak Ch") || strings.HasSuffix(first, "박") {
				t.Errorf("%d lines, cut after %q: part 1 ends %q", lines, cut, first[max(0, len(first)-40):])
			}
			if !strings.HasPrefix(second, Mask) || strings.Contains(second, "ol-min") || strings.Contains(second, "철민") {
				t.Errorf("%d lines, cut after %q: part 2 starts %.40q", lines, cut, second)
			}
			if !strings.Contains(second, "cousin") {
				t.Errorf("%d lines, cut after %q: part 2 lost its text: %.60q", lines, cut, second)
			}
			// The part alone, masked as snippets were: the half shows.
			alone, err := po.itemPart(ctx, it, starts, 2)
			if err != nil {
				t.Fatal(err)
			}
			if cut == "Pak Ch" && !strings.HasPrefix(maskNames(alone, guard, Mask), "ol-min") {
				t.Errorf("the part alone masked is %.40q: the test no longer shows the cut name", maskNames(alone, guard, Mask))
			}
		}
		// Without a guard the parts are as before: the text itself.
		at := int64(strings.Index(text, "Pak Ch") + len("Pak Ch"))
		if p, err := po.itemPartMasked(ctx, it, ik, []int64{0, at}, 2, nil); err != nil || !strings.HasPrefix(p, "ol-min crossed") {
			t.Errorf("unmasked part 2: %.40q, %v", p, err)
		}
	}
}
