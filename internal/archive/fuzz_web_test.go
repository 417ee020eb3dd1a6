package archive

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"sori/internal/model"
)

// FuzzCheckSaved: a saved search from any input is refused, or accepted
// in a form that is valid, bounded, one line, and the same when checked
// again.
func FuzzCheckSaved(f *testing.F) {
	f.Add("river crossings", "두만강", "event", "ko", "", "", 1990, 2000)
	f.Add("", "x", "", "", "", "", 0, 0)
	f.Add("a\nb", "\xff", "k", "l", "v", "p", -1, 99999)
	f.Fuzz(func(t *testing.T, name, query, kind, lang, violation, place string, from, to int) {
		s, err := checkSaved(SavedSearch{Name: name, Query: query, Kind: kind, Lang: lang, Violation: violation, Place: place, From: from, To: to})
		if err != nil {
			return
		}
		for _, v := range []string{s.Name, s.Query, s.Kind, s.Lang, s.Violation, s.Place} {
			if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
				t.Fatalf("accepted %q", v)
			}
		}
		if s.Name == "" || s.Query == "" || utf8.RuneCountInString(s.Name) > maxSavedName || utf8.RuneCountInString(s.Query) > maxSavedQuery {
			t.Fatalf("accepted %+v", s)
		}
		if again, err := checkSaved(s); err != nil || again != s {
			t.Fatalf("not stable: %+v → %+v %v", s, again, err)
		}
	})
}

// FuzzCheckTag: a tag from any input is refused, or accepted as one line
// of valid UTF-8 within the bound, the same when checked again.
func FuzzCheckTag(f *testing.F) {
	f.Add("needs translation")
	f.Add(" 확인 필요 ")
	f.Add("a\x00b")
	f.Add(strings.Repeat("가", 61))
	f.Fuzz(func(t *testing.T, in string) {
		tag, err := CheckTag(in)
		if err != nil {
			return
		}
		if tag == "" || len(tag) > model.MaxTagLen || !utf8.ValidString(tag) || strings.ContainsAny(tag, "\x00\r\n\t") {
			t.Fatalf("accepted %q", tag)
		}
		if again, err := CheckTag(tag); err != nil || again != tag {
			t.Fatalf("not stable: %q → %q %v", tag, again, err)
		}
	})
}
