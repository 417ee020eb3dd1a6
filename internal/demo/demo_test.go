package demo

import (
	"io/fs"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(FS, name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(b)
}

func TestDocsFilesExist(t *testing.T) {
	for _, d := range Docs() {
		s := read(t, d.File)
		if len(strings.TrimSpace(s)) == 0 {
			t.Errorf("%s: empty", d.File)
		}
		if !utf8.ValidString(s) {
			t.Errorf("%s: not valid UTF-8", d.File)
		}
		if n := utf8.RuneCountInString(s); n < 600 || n > 1500 {
			t.Errorf("%s: %d characters, want 600-1500", d.File, n)
		}
		if d.Title == "" || d.Note == "" {
			t.Errorf("%s: missing title or note", d.File)
		}
		if d.Lang != "ko" && d.Lang != "en" {
			t.Errorf("%s: bad Lang %q", d.File, d.Lang)
		}
		if !strings.HasSuffix(d.File, "."+d.Lang+".txt") {
			t.Errorf("%s: file name does not match Lang %q", d.File, d.Lang)
		}
		switch d.Kind {
		case "transcript":
			if d.Witness == "" {
				t.Errorf("%s: transcript without witness", d.File)
			} else if !strings.Contains(s, d.Witness) {
				t.Errorf("%s: text does not mention witness %s", d.File, d.Witness)
			}
		case "document":
		default:
			t.Errorf("%s: bad Kind %q", d.File, d.Kind)
		}
	}
}

func TestEveryFileListedOnce(t *testing.T) {
	listed := map[string]int{}
	for _, d := range Docs() {
		listed[d.File]++
	}
	for f, n := range listed {
		if n != 1 {
			t.Errorf("%s listed %d times", f, n)
		}
	}
	entries, err := fs.ReadDir(FS, "testimonies")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name := "testimonies/" + e.Name()
		seen[name] = true
		if listed[name] == 0 {
			t.Errorf("%s is in FS but not in Docs()", name)
		}
	}
	for f := range listed {
		if !seen[f] {
			t.Errorf("%s is in Docs() but not in FS", f)
		}
	}
}

func TestTranslations(t *testing.T) {
	earlier := map[string]Doc{}
	pairs := 0
	for _, d := range Docs() {
		if d.TranslationOf != "" {
			orig, ok := earlier[d.TranslationOf]
			switch {
			case !ok:
				t.Errorf("%s: TranslationOf %q is not listed earlier", d.File, d.TranslationOf)
			case orig.Lang != "ko":
				t.Errorf("%s: original %s has Lang %q, want ko", d.File, orig.File, orig.Lang)
			case d.Lang != "en":
				t.Errorf("%s: translation has Lang %q, want en", d.File, d.Lang)
			case orig.Witness != d.Witness:
				t.Errorf("%s: witness %q differs from original's %q", d.File, d.Witness, orig.Witness)
			default:
				pairs++
			}
		}
		earlier[d.File] = d
	}
	if pairs < 6 {
		t.Errorf("%d ko/en pairs, want at least 6", pairs)
	}
}

func TestKoreanHasHangul(t *testing.T) {
	for _, d := range Docs() {
		if d.Lang != "ko" {
			continue
		}
		s := read(t, d.File)
		hangul := 0
		for _, r := range s {
			if unicode.Is(unicode.Hangul, r) {
				hangul++
			}
		}
		if hangul < 200 {
			t.Errorf("%s: only %d Hangul characters", d.File, hangul)
		}
	}
}

func TestWitnesses(t *testing.T) {
	w := map[string]bool{}
	for _, d := range Docs() {
		if d.Witness != "" {
			w[d.Witness] = true
		}
	}
	if len(w) < 4 {
		t.Errorf("%d distinct witnesses, want at least 4", len(w))
	}
}

func TestMarkedSynthetic(t *testing.T) {
	for _, d := range Docs() {
		first, _, _ := strings.Cut(read(t, d.File), "\n")
		if !strings.Contains(first, "합성") && !strings.Contains(first, "Synthetic") {
			t.Errorf("%s: first line does not mark the text as synthetic: %q", d.File, first)
		}
	}
}

// TestSpellingVariants pins the invented names that search tests rely on.
func TestSpellingVariants(t *testing.T) {
	want := map[string][]string{
		"testimonies/w01-s2-repatriation.ko.txt":        {"편경철", "리철진", "로동단련대", "녀성"},
		"testimonies/w01-s2-repatriation.en.txt":        {"P'yŏn Kyŏng-ch'ŏl", "Ri Chol-jin"},
		"testimonies/w02-s1-labour-training.ko.txt":     {"편경철", "이철진", "노동단련대", "여성"},
		"testimonies/w02-s1-labour-training.en.txt":     {"Pyon Kyong Chol", "Lee Cheol-jin"},
		"testimonies/fieldnote-cross-references.en.txt": {"Pyeon Gyeong-cheol", "P'yŏn Kyŏng-ch'ŏl", "Pyon Kyong Chol"},
		"testimonies/w01-s1-famine.ko.txt":              {"1997년 봄", "고난의 행군"},
		"testimonies/w03-s1-foreign-media.ko.txt":       {"2009년 3월 14일"},
		"testimonies/w04-s1-kyohwaso.en.txt":            {"around 1998"},
	}
	for f, subs := range want {
		s := read(t, f)
		for _, sub := range subs {
			if !strings.Contains(s, sub) {
				t.Errorf("%s: missing %q", f, sub)
			}
		}
	}
}

// normalize lowercases s and drops spaces, hyphens and apostrophes so that
// "Shin Dong-hyuk", "shin donghyuk" and "Shin Dong Hyuk" compare equal.
func normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '-', '\'', '’', '‘', '.':
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// TestNoRealNames guards against real public-figure defectors' names
// appearing in the invented demo texts.
func TestNoRealNames(t *testing.T) {
	banned := []string{
		"신동혁", "Shin Dong-hyuk", "Shin Dong-hyok", "Sin Tong-hyŏk",
		"강철환", "Kang Chol-hwan", "Kang Cheol-hwan",
		"박연미", "Park Yeon-mi", "Park Yeonmi", "Pak Yon-mi",
		"이현서", "Hyeonseo Lee", "Lee Hyeon-seo",
		"지성호", "Ji Seong-ho", "Ji Sung-ho",
		"태영호", "Thae Yong-ho", "Tae Yong-ho",
		"안명철", "Ahn Myong-chol", "An Myong-chol",
		"정광일", "Jung Gwang-il", "Jeong Gwang-il",
		"김혜숙", "Kim Hye-sook", "Kim Hye-suk",
		"황장엽", "Hwang Jang-yop", "Hwang Jang-yeop",
	}
	for _, d := range Docs() {
		s := normalize(read(t, d.File) + " " + d.Title + " " + d.Note)
		for _, name := range banned {
			if strings.Contains(s, normalize(name)) {
				t.Errorf("%s contains real name %q", d.File, name)
			}
		}
	}
}
