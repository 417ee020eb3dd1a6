package hangul

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTransliterate(t *testing.T) {
	for _, c := range []struct{ h, yale, rrt string }{
		{"박철민", "pakchelmin", "bagcheolmin"},
		{"김정일", "kimcengil", "gimjeongil"},
		{"문", "mun", "mun"},             // Yale: ㅜ is u after a labial
		{"우물", "wumul", "umul"},         // and wu elsewhere
		{"리설주", "liselcwu", "liseolju"}, // reference/korean.md §1.6 (ICU Hangul-Latin)
		{"장성택", "cangsengthayk", "jangseongtaeg"},
		{"최흙", "choyhulk", "choeheulg"},
		{"a·박", "a·pak", "a·bag"},
	} {
		if got := Yale(c.h); got != c.yale {
			t.Errorf("Yale(%s) = %q, want %q", c.h, got, c.yale)
		}
		if got := RRTransliterate(c.h); got != c.rrt {
			t.Errorf("RRTransliterate(%s) = %q, want %q", c.h, got, c.rrt)
		}
	}
}

// TestNameQuerySpellings checks that MatchExpr reads each spelling of
// issue 15 as a name whose key query finds the Hangul name in running
// text, and that near misses are not found.
func TestNameQuerySpellings(t *testing.T) {
	for _, c := range []struct {
		hangul string
		miss   string // a different name the queries must not find
		forms  []string
	}{
		{"박철민", "박철수", []string{"Park, Cheol-min", "PARK, Cheol Min", "Cheol-min Park.", "(Park Cheol-min)", "Pak Chol-min;",
			"Bahk Cheol-min", "Pahk Chul Min", "Bag Cheol-min", "Pak Chelmin", "Bakcheolmin", "Parkcheolmin", "Pakchelmin", "박철민,", "(박철민)", "Park Cheol-min's", "‘Park Cheol-min’"}},
		{"류철민", "류철수", []string{"Lyu Cheol-min", "Rhyu Cheol-min", "Ryoo Chul-min", "Ryu, Cheol-min"}},
		{"노석준", "노석진", []string{"Lo Seok-jun", "Loh Seok-jun", "Roh, Seok-jun"}},
		{"남영호", "남영희", []string{"Nahm Yeong-ho", "Nahm, Young-ho"}},
		{"박덕수", "박덕순", []string{"Bag Deog-su", "Bag Deogsu", "Bagdeogsu", "Pak Teksu"}},
		{"정석민", "정석진", []string{"Ceng Sekmin", "Jeong Seogmin", "Cengsekmin"}},
		{"김정일", "김정이", []string{"Kim Cengil", "Gim Jeong-il", "Kim Jeong-il.", "Kimjongil"}},
		{"유혜옥", "유혜영", []string{"Yu Hyeok", "Yu Hye-ok", "Yoo Hyeok", "Yu Hyeyok", "Yu Hyeog"}},
		{"한덕수", "한덕순", []string{"(Han Deok-su)", "Han, Tok-su", "Han Deog-su"}},
	} {
		for _, f := range c.forms {
			expr := MatchExpr(f)
			if !strings.Contains(expr, KeyPrefix) {
				t.Errorf("MatchExpr(%q) = %s: not searched as a name", f, expr)
				continue
			}
			if doc := "증언자 " + c.hangul + "는 그날 강을 건넜다"; !exprMatches(t, expr, doc) {
				t.Errorf("MatchExpr(%q) = %s does not find %q", f, expr, doc)
			}
			if doc := "증언자 " + c.miss + "는 그날 강을 건넜다"; exprMatches(t, expr, doc) {
				t.Errorf("MatchExpr(%q) = %s finds %q", f, expr, doc)
			}
		}
	}
	// Words that are not names stay plain queries.
	for _, q := range []string{"change", "rations", "the camp", "I got", "Kim,", "(camp)", "Parking"} {
		if got := MatchExpr(q); strings.Contains(got, KeyPrefix) {
			t.Errorf("MatchExpr(%q) = %s: searched as a name", q, got)
		}
	}
}

// FuzzMatchExpr checks that MatchExpr never panics, returns valid UTF-8,
// and that every key query it writes tokenizes to some key.
func FuzzMatchExpr(f *testing.F) {
	for _, s := range []string{"Park, Cheol-min", "(Han Deok-su)", "Kim Jeong-il.", "Bakcheolmin", "Yu Hyeok", "유혜옥",
		"Bag Deog-su", "Pak Chelmin", `"Park, Cheol-min" 탈북`, ",,,", "-Kim-", "박철민,", "Lo Seok-jun", "kimchi rations"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		expr := MatchExpr(q)
		if !utf8.ValidString(expr) && utf8.ValidString(q) {
			t.Fatalf("MatchExpr(%q) = %q: invalid UTF-8", q, expr)
		}
		for _, k := range keyAlternatives(expr) {
			n := 0
			_ = TokenizeQuery(strings.ReplaceAll(k, `""`, `"`), func(string, int, int, bool) error { n++; return nil })
			if n == 0 {
				t.Fatalf("MatchExpr(%q) = %s: key query %q has no tokens", q, expr, k)
			}
		}
	})
}

func TestEnglishForms(t *testing.T) {
	for w, want := range map[string][]string{
		"rations":   {"ration", "rationed", "rationing"},
		"ration":    {"rations", "rationed", "rationing"},
		"returned":  {"return", "returns", "returning", "returne"},
		"starved":   {"starv", "starve", "starves", "starving"},
		"stopped":   {"stop", "stops", "stopping"},
		"bodies":    {"body", "bodied", "bodying"},
		"marches":   {"march", "marched", "marching"},
		"beatings":  {"beating", "beatinged", "beatinging"},
		"camp":      {"camps", "camped", "camping"},
		"news":      nil,
		"during":    nil,
		"yodok":     nil, // romanized Korean
		"musan":     nil,
		"was":       nil,
		"status":    {"statuses"},
		"Rations":   nil, // callers lower-case first
		"탈북":        nil,
		"chongjins": {"chongjin", "chongjined", "chongjining"},
	} {
		got := EnglishForms(w)
		for _, f := range want {
			if !slices.Contains(got, f) {
				t.Errorf("EnglishForms(%q) = %v, lacks %q", w, got, f)
			}
		}
		if want == nil && got != nil {
			t.Errorf("EnglishForms(%q) = %v, want nil", w, got)
		}
		if slices.Contains(got, w) {
			t.Errorf("EnglishForms(%q) contains the word itself", w)
		}
	}
	if got := MatchExpr("rations 탈북"); got != `("rations" OR "ration" OR "rationed" OR "rationing") AND "탈북"` {
		t.Errorf("MatchExpr(rations 탈북) = %s", got)
	}
	if got := MatchExpr(`"received no rations"`); strings.Contains(got, "OR") {
		t.Errorf("a quoted phrase is not stemmed: %s", got)
	}
}
