package archive

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSearchNameSpellings runs the name and word cases of issue 15 end to
// end: synthetic documents added to an archive, queries through Search.
func TestSearchNameSpellings(t *testing.T) {
	ctx := context.Background()
	a, err := Init(ctx, filepath.Join(t.TempDir(), "archive"), "u", testPass, Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	dir := t.TempDir()
	docs := map[string]string{
		"ko1.txt": "증언자 박철민은 1998년 무산에서 붙잡혔다.",
		"ko2.txt": "증언자 박철수는 회령에서 풀려났다.",
		"en3.txt": "Victims listed: Park, Cheol-min; I, Il-myeong.",
		"ko4.txt": "유혜옥은 혜산에서 붙잡혔다. 이일명도 함께 있었다.",
		"en5.txt": "Yu Hyeok was questioned. He received no ration that winter.",
		"ko6.txt": "그는 중국에서 강제송환 되었다고 했다.",
		"ko7.txt": "그는 밤에 강을 건너 중국에 갔다고 했다.",
	}
	var paths []string
	for name, text := range docs {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	if err := a.Add(ctx, paths, AddOptions{}, func(r Added) error { return r.Err }); err != nil {
		t.Fatal(err)
	}
	found := func(q string) []string {
		hits, err := a.Search(ctx, q, SearchOptions{Limit: 100})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		var out []string
		for _, h := range hits {
			name, _, _ := strings.Cut(h.Title, "\n")
			out = append(out, strings.TrimSuffix(name, ".txt"))
		}
		return out
	}
	for _, c := range []struct {
		q          string
		want, not  []string
		firstOfAll bool // want[0] must rank first
	}{
		{q: "Park, Cheol-min", want: []string{"ko1", "en3"}, not: []string{"ko2"}},
		{q: "(Bahk Cheol-min)", want: []string{"ko1", "en3"}, not: []string{"ko2"}},
		{q: "Bag Cheolmin", want: []string{"ko1", "en3"}, not: []string{"ko2"}},
		{q: "Pak Chelmin", want: []string{"ko1", "en3"}, not: []string{"ko2"}},
		{q: "Bakcheolmin", want: []string{"ko1", "en3"}, not: []string{"ko2"}},
		{q: "Yu Hyeok", want: []string{"ko4", "en5"}},
		{q: "유혜옥", want: []string{"ko4", "en5"}},
		{q: "이일명", want: []string{"ko4", "en3"}},
		{q: "rations", want: []string{"en5"}},
		{q: "강", want: []string{"ko7", "ko6"}, firstOfAll: true},
	} {
		got := found(c.q)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("%q found %v, not %s", c.q, got, w)
			}
		}
		for _, n := range c.not {
			if slices.Contains(got, n) {
				t.Errorf("%q found %v, including %s", c.q, got, n)
			}
		}
		if c.firstOfAll && (len(got) == 0 || got[0] != c.want[0]) {
			t.Errorf("%q ranks %v: %s should come first", c.q, got, c.want[0])
		}
	}
}
