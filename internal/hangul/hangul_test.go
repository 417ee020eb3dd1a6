package hangul

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestDecompose(t *testing.T) {
	// Rows from reference/korean.md §1.5, verified there against x/text.
	tests := []struct {
		r       rune
		l, v, t int
	}{
		{'김', 0, 20, 16},
		{'리', 5, 20, 0},
		{'최', 14, 11, 0},
		{'가', 0, 0, 0},
		{'힣', 18, 20, 27},
		{'뷁', 7, 15, 9},
	}
	for _, tc := range tests {
		l, v, tt, ok := Decompose(tc.r)
		if !ok || l != tc.l || v != tc.v || tt != tc.t {
			t.Errorf("Decompose(%q) = %d %d %d %v, want %d %d %d", tc.r, l, v, tt, ok, tc.l, tc.v, tc.t)
		}
		if r, ok := Compose(tc.l, tc.v, tc.t); !ok || r != tc.r {
			t.Errorf("Compose(%d, %d, %d) = %q %v, want %q", tc.l, tc.v, tc.t, r, ok, tc.r)
		}
	}
	for _, r := range []rune{'a', 'ㄱ', 0xABFF, 0xD7A4, '\u1100', -1} {
		if _, _, _, ok := Decompose(r); ok || IsSyllable(r) {
			t.Errorf("Decompose(%U) ok", r)
		}
	}
	for _, bad := range [][3]int{{-1, 0, 0}, {19, 0, 0}, {0, 21, 0}, {0, 0, 28}, {0, -1, 0}} {
		if _, ok := Compose(bad[0], bad[1], bad[2]); ok {
			t.Errorf("Compose(%v) ok", bad)
		}
	}
}

// TestDecomposeMatchesNorm checks all 11,172 syllables against the
// algorithmic decomposition in golang.org/x/text/unicode/norm.
func TestDecomposeMatchesNorm(t *testing.T) {
	for r := rune(0xAC00); r <= 0xD7A3; r++ {
		l, v, tt, ok := Decompose(r)
		if !ok {
			t.Fatalf("Decompose(%U) not ok", r)
		}
		want := []rune(norm.NFD.String(string(r)))
		got := []rune{rune(0x1100 + l), rune(0x1161 + v)}
		if tt > 0 {
			got = append(got, rune(0x11A7+tt))
		}
		if string(got) != string(want) {
			t.Fatalf("Decompose(%U) = %U, NFD = %U", r, got, want)
		}
		if c, _ := Compose(l, v, tt); c != r {
			t.Fatalf("Compose(Decompose(%U)) = %U", r, c)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"김정일", "김정일"},
		{norm.NFD.String("김정일"), "김정일"}, // conjoining jamo (NFD, e.g. macOS file names)
		{"ㄱㅣㅁ", "김"},                    // NFKC gives "기ᄆ" (§1.5 gotcha)
		{"ㄱㅣㅁㅣ", "기미"},                  // a final before a vowel begins the next syllable
		{"ㄷㅏㄹㄱㅣ", "달기"},                 // cluster final ㄺ split before a vowel
		{"ㄷㅏㄹㄱ", "닭"},                   // … and kept at the end
		{"ㄱㅗㅏㅇ", "광"},                   // compound vowel typed as two letters
		{"ㅋㅋㅋ", "ㅋㅋㅋ"},                  // lone letters stay compatibility jamo
		{"\uFFA1\uFFDC\uFFB1", "김"},     // halfwidth ﾡ ￜ ﾱ
		{"\u110F", "ㅋ"},                 // lone conjoining initial → compatibility letter
		{"가\u11A8", "각"},                // precomposed LV + conjoining final
		{"김ㅏ", "김ㅏ"},                    // a precomposed final is never taken
		{"Cho\u0306ng 정", "Chŏng 정"},    // NFC for other text
		{"ㄳ", "ㄳ"},                      // a cluster letter alone
		{"ab\xffc", "ab\uFFFDc"},        // invalid UTF-8
		{"ᄀᄀ", "ㄱㄱ"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%+q) = %+q, want %+q", tc.in, got, tc.want)
		}
	}
}

// TestHalfwidthTable checks the halfwidth → compatibility mapping against
// NFKC: both forms must fold to the same conjoining jamo.
func TestHalfwidthTable(t *testing.T) {
	n := 0
	for r := rune(0xFFA1); r <= 0xFFDC; r++ {
		c := halfwidthToCompat(r)
		if c == 0 {
			continue
		}
		n++
		if a, b := norm.NFKC.String(string(r)), norm.NFKC.String(string(c)); a != b {
			t.Errorf("halfwidth %U → %U: NFKC %+q vs %+q", r, c, a, b)
		}
	}
	if n != 51 {
		t.Errorf("mapped %d halfwidth letters, want 51", n)
	}
}

func TestChoseong(t *testing.T) {
	for in, want := range map[string]string{
		"김정일":     "ㄱㅈㅇ",
		"요덕 수용소":  "ㅇㄷ ㅅㅇㅅ",
		"Kim 김":   "ㄱ",
		"ㄱㅣㅁ ㅈㅓㅇ": "ㄱ ㅈ",
	} {
		if got := Choseong(in); got != want {
			t.Errorf("Choseong(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsJamo(t *testing.T) {
	for _, r := range []rune{'ㄱ', '\u1100', '\u11A8', '\uFFA1', '\uA960'} {
		if !IsJamo(r) {
			t.Errorf("IsJamo(%U) = false", r)
		}
	}
	for _, r := range []rune{'김', 'a', '金'} {
		if IsJamo(r) {
			t.Errorf("IsJamo(%U) = true", r)
		}
	}
}
