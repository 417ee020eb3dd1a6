package hangul

import (
	"slices"
	"testing"
)

func TestSouthInitial(t *testing.T) {
	// reference/korean.md §1.3 (h) and §1.7 step 1, plus the rule's other
	// cells (락 → 낙, 뢰 → 뇌, 니 → 이, 뉴 → 유).
	pairs := map[rune]rune{
		'리': '이', '로': '노', '녀': '여', '량': '양', '류': '유', '림': '임', '렴': '염',
		'려': '여', '룡': '용', '륙': '육', '라': '나', '락': '낙', '뢰': '뇌', '력': '역',
		'례': '예', '니': '이', '뉴': '유', '르': '느',
	}
	for north, south := range pairs {
		if got := SouthInitial(north); got != south {
			t.Errorf("SouthInitial(%c) = %c, want %c", north, got, south)
		}
		if got := SouthInitial(south); got != south {
			t.Errorf("SouthInitial(%c) = %c, want it unchanged", south, got)
		}
	}
	for _, r := range []rune{'노', '나', '김', 'a', '네', '냐'} {
		want := r
		if r == '냐' {
			want = '야'
		}
		if got := SouthInitial(r); got != want {
			t.Errorf("SouthInitial(%c) = %c", r, got)
		}
	}
}

func TestCanonicalWord(t *testing.T) {
	for in, want := range map[string]string{
		"로동":          "노동",
		"노동":          "노동",
		"녀성":          "여성",
		"리용":          "이용",
		"로동자 녀성동맹":    "노동자 여성동맹",
		"근로":          "근로", // inside a word ㄹ stays
		"남녀":          "남녀",
		"조선로동당":       "조선로동당", // compound: handled by query Variants
		"W-0042는 리설주": "W-0042는 이설주",
		"":            "",
	} {
		if got := CanonicalWord(in); got != want {
			t.Errorf("CanonicalWord(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVariants(t *testing.T) {
	for r, want := range map[rune][]rune{
		'노': {'노', '로'},
		'로': {'로', '노'},
		'여': {'여', '려', '녀'},
		'녀': {'녀', '여', '려'},
		'룡': {'룡', '용', '뇽'},
		'이': {'이'}, // ㅣ is left alone: too common
		'리': {'리'},
		'김': {'김'},
		'x': {'x'},
	} {
		if got := Variants(r); !slices.Equal(got, want) {
			t.Errorf("Variants(%c) = %q, want %q", r, got, want)
		}
	}
}
