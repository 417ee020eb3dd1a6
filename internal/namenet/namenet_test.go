package namenet

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var testKey = [32]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}

func matcher(names ...string) *Matcher {
	s := Set{}
	for _, n := range names {
		s.AddName(testKey, n, LabelName, LabelGiven)
	}
	return NewMatcher(testKey, s)
}

// found renders spans as "text=label" for comparison.
func found(text string, spans []Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, text[s.Start:s.End]+"="+s.Label)
	}
	return out
}

func TestForms(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []Form
	}{
		{"박철민", []Form{{"bak.ceol.min", false}, {"ceol.min", true}}},
		{"김철", []Form{{"gim.ceol", false}}},                                                   // a one-syllable given name has no given form
		{"남궁민수", []Form{{"nam.gung.min.su", false}, {"gung.min.su", true}, {"min.su", true}}}, // 남궁 may be the surname
		{"", nil},
		{"  ", nil},
	} {
		if got := Forms(tc.name); !slices.Equal(got, tc.want) {
			t.Errorf("Forms(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Every romanization of 박철민 shares its full form.
	for _, n := range []string{"Pak Chol-min", "Park Cheol-min", "Pak Ch'ŏl-min", "Cheol-min Park", "PARK CHEOL MIN"} {
		if !slices.Contains(Forms(n), Form{Key: "bak.ceol.min"}) {
			t.Errorf("Forms(%q) lacks bak.ceol.min", n)
		}
	}
}

func TestHash(t *testing.T) {
	a, b := Hash(testKey, "bak.ceol.min"), Hash(testKey, "bak.ceol.su")
	if a == b || a != Hash(testKey, "bak.ceol.min") {
		t.Fatal("Hash is not a function of its form")
	}
	other := testKey
	other[31] = 1
	if Hash(other, "bak.ceol.min") == a {
		t.Fatal("Hash ignores its key")
	}
	if bytes.Contains(a[:], []byte("bak")) {
		t.Fatal("hash holds its form")
	}
}

func TestFind(t *testing.T) {
	m := matcher("박철민", "Kim Jongil")
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"박철민은 말했다", []string{"박철민=sealed name"}},
		{"그때 박철민이가 왔다", []string{"박철민=sealed name"}},
		{"박 철민이가", []string{"박 철민=sealed name"}},
		{"Pak Chol-min said", []string{"Pak Chol-min=sealed name"}},
		{"PARK Cheol Min", []string{"PARK Cheol Min=sealed name"}},
		{"Pak Ch'ŏl-min", []string{"Pak Ch'ŏl-min=sealed name"}},
		{"Pak Ch’ŏl-min", []string{"Pak Ch’ŏl-min=sealed name"}},
		{"(Cheol-min Park)", []string{"Cheol-min Park=sealed name"}},
		{"Park, Cheol-min", []string{"Park, Cheol-min=sealed name"}},
		{"Parkcheolmin", nil}, // surname and given name run together: not a spelling the tokenizer reads as one
		{"철민이 왔다", []string{"철민=sealed given name"}},
		{"Chol-min and Cheolmin", []string{"Chol-min=sealed given name", "Cheolmin=sealed given name"}},
		{"김정일", []string{"김정일=sealed name"}},
		{"Kim Jong-il, Kim Jong Il and KIM JONGIL", []string{"Kim Jong-il=sealed name", "Kim Jong Il=sealed name", "KIM JONGIL=sealed name"}},
		{"Kim Chŏng-il", []string{"Kim Chŏng-il=sealed name"}},
		// Negative: other names.
		{"김정은 and Kim Jong-un", nil},
		{"박철수, Pak Chol-su, Park Chul-soo", nil},
		{"박민철", nil},
		{"Min Cheol", nil},
		// Line breaks and other punctuation end a name.
		{"Pak.\nChol-min", []string{"Chol-min=sealed given name"}},
		{"", nil},
	} {
		if got := found(tc.text, m.Find(tc.text)); !slices.Equal(got, tc.want) {
			t.Errorf("Find(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestFindNFD(t *testing.T) {
	m := matcher("박철민")
	for _, text := range []string{"그때 박철민이가, Pak Ch'ŏl-min", "Pak Chol-min"} {
		nfd := norm.NFD.String(text)
		if nfd == text && strings.ContainsRune(text, 'ŏ') {
			t.Fatal("NFD did not decompose")
		}
		c, d := m.Find(text), m.Find(nfd)
		if len(c) == 0 || len(c) != len(d) {
			t.Fatalf("NFC %q found %v, NFD found %v", text, found(text, c), found(nfd, d))
		}
		for i := range d {
			if norm.NFC.String(nfd[d[i].Start:d[i].End]) != text[c[i].Start:c[i].End] {
				t.Errorf("NFD span %q differs from NFC span %q", nfd[d[i].Start:d[i].End], text[c[i].Start:c[i].End])
			}
		}
	}
}

func TestEmpty(t *testing.T) {
	var nilM *Matcher
	if !nilM.Empty() || nilM.Find("박철민") != nil {
		t.Fatal("a nil Matcher must be empty")
	}
	m := NewMatcher(testKey, Set{})
	if !m.Empty() || m.Find("박철민 Pak Chol-min") != nil {
		t.Fatal("an empty set must find nothing")
	}
	if matcher("박철민").Empty() {
		t.Fatal("a set with names is not empty")
	}
	// Another key finds nothing.
	s := Set{}
	s.AddName(testKey, "박철민", LabelName, LabelGiven)
	other := testKey
	other[0] ^= 0xff
	if got := NewMatcher(other, s).Find("박철민"); got != nil {
		t.Fatalf("a matcher under another key found %v", got)
	}
}

func TestLabels(t *testing.T) {
	s := Set{}
	s.AddName(testKey, "최영희", "P-7", "P-7")
	s.AddName(testKey, "박철민", LabelName, LabelGiven)
	m := NewMatcher(testKey, s)
	text := "최영희 and 박철민; later 영희."
	want := []string{"최영희=P-7", "박철민=sealed name", "영희=P-7"}
	if got := found(text, m.Find(text)); !slices.Equal(got, want) {
		t.Fatalf("Find = %q, want %q", got, want)
	}
	// A full name's label is kept over a given name's hashing alike.
	s2 := Set{}
	s2.Add(Hash(testKey, "ceol.min"), LabelGiven)
	s2.Add(Hash(testKey, "ceol.min"), LabelName)
	s2.Add(Hash(testKey, "ceol.min"), LabelGiven)
	if s2[Hash(testKey, "ceol.min")] != LabelName {
		t.Fatal("a given name's label replaced a full name's")
	}
}

// TestThreeRomanizations is the golden case: one transcript naming the
// same sealed person in Hangul and in three romanizations.
func TestThreeRomanizations(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("testdata", "three-romanizations.txt"))
	if err != nil {
		t.Fatal(err)
	}
	spans := matcher("박철민").Find(string(text))
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "%d:%d\t%s\t%s\n", s.Start, s.End, s.Label, text[s.Start:s.End])
	}
	golden := filepath.Join("testdata", "three-romanizations.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("spans differ from %s (run with -update to accept):\n%s", golden, b.String())
	}
	full := 0
	for _, s := range spans {
		if s.Label == LabelName {
			full++
		}
	}
	if full != 6 { // 박철민이가, 박철민은, Pak Chol-min, Park Cheol-min, Pak Ch'ŏl-min, Cheol-min Park
		t.Errorf("%d full-name spans, want 6", full)
	}
}

// TestFalsePositives scans the demo testimonies (synthetic text in Korean
// and English) for sealed names that they do not hold: full names must
// never match; given names only where a word spells them.
func TestFalsePositives(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "demo", "testimonies", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no demo testimonies: %v", err)
	}
	sealed := []string{"박철민", "Kim Jongil", "최영희", "Ri Song-hui", "남궁민수", "Han Mi-na", "조은별"}
	m := matcher(sealed...)
	var given []string
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range m.Find(string(text)) {
			if s.Label == LabelName {
				t.Errorf("%s: %q matched a sealed full name", filepath.Base(f), text[s.Start:s.End])
			} else {
				given = append(given, string(text[s.Start:s.End]))
			}
		}
	}
	t.Logf("given-name matches in %d demo files: %q", len(files), given)
	if len(given) > 2 {
		t.Errorf("%d given-name matches in the demo testimonies, want at most 2: %q", len(given), given)
	}
	// A Korean word that spells a given name matches it: unavoidable, and
	// labelled as the weaker kind.
	if got := found("영수증", matcher("김영수").Find("영수증")); !slices.Equal(got, []string{"영수=sealed given name"}) {
		t.Errorf("영수증 with 김영수 sealed: %q", got)
	}
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{"박철민은", "Pak Ch'ŏl-min", "Cheol-min Park", "Park, Cheol-min", "박 철민", "ᄇ\u1161ᆨ철민", "Kim Jongil", "\xff박철", "a-b-c-d-e-f", "Pak Chol Pak Chol-min Chol-Min", "박철민 박철 민"} {
		f.Add(s)
	}
	m := matcher("박철민", "Kim Jongil", "남궁민수")
	f.Fuzz(func(t *testing.T, text string) {
		end := 0
		spans := m.Find(text)
		// The window cache changes nothing found.
		u := finder{m: m, text: text, mac: newMacer(m.key)}
		u.scan()
		if uncached := u.resolve(); !slices.Equal(spans, uncached) {
			t.Fatalf("Find(%q) = %v, without the cache %v", text, spans, uncached)
		}
		for _, s := range spans {
			if s.Start < end || s.End <= s.Start || s.End > len(text) {
				t.Fatalf("bad span %d:%d after %d in %q", s.Start, s.End, end, text)
			}
			if !utf8.RuneStart(text[s.Start]) || (s.End < len(text) && !utf8.RuneStart(text[s.End])) {
				t.Fatalf("span %d:%d not on rune boundaries in %q", s.Start, s.End, text)
			}
			if s.Label != LabelName && s.Label != LabelGiven {
				t.Fatalf("label %q", s.Label)
			}
			end = s.End
		}
	})
}

func TestMacer(t *testing.T) {
	for i, form := range []string{"", "bak.ceol.min", "nam.gung.min.su", strings.Repeat("x", 200)} {
		key := testKey
		key[31] = byte(i)
		m := newMacer(key)
		for range 2 { // the states are restored each time
			if got, want := m.mac(append([]byte(hashDomain), form...)), Hash(key, form); got != want {
				t.Fatalf("macer(%q) = %x, want %x", form, got, want)
			}
		}
	}
}
