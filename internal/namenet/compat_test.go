package namenet

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func testMatcher(names []string, contacts []string) *Matcher {
	var key [32]byte
	copy(key[:], "compat test key ................")
	set := Set{}
	for _, n := range names {
		set.AddName(key, n, LabelName, LabelGiven)
	}
	for _, c := range contacts {
		set.AddContact(key, c, LabelContact)
	}
	return NewMatcher(key, set)
}

// masked replaces every span with "#".
func masked(m *Matcher, text string) string {
	var b strings.Builder
	at := 0
	for _, s := range m.Find(text) {
		b.WriteString(text[at:s.Start])
		b.WriteString("#")
		at = s.End
	}
	return b.String() + text[at:]
}

func TestCompatibilityForms(t *testing.T) {
	m := testMatcher([]string{"최영남", "Choi Young-nam"}, nil)
	for _, tc := range []struct{ text, want string }{
		{"witness Ｃｈｏｉ Ｙｏｕｎｇ－ｎａｍ said", "witness # said"},
		{"ＣＨＯＩ ＹＯＵＮＧＮＡＭ.", "#."},
		{"이름은 최영남이다", "이름은 #이다"},
		{"the name Choi Young-nam", "the name #"},
		{"Ｃｈｏｉ, Ｙｏｕｎｇ－ｎａｍ", "#"},
		{"nothing here: Ｓｅｏｕｌ", "nothing here: Ｓｅｏｕｌ"},
	} {
		if got := masked(m, tc.text); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.text, got, tc.want)
		}
	}
	// Compatibility jamo spelling the syllables out: ㅊㅚㅇㅕㅇㄴㅏㅁ reads
	// as conjoining jamo under NFKC, which compose into 최영남.
	if got := masked(m, "적힌 이름: \u1110"); !utf8.ValidString(got) {
		t.Errorf("invalid UTF-8 out: %q", got)
	}
}

func TestContacts(t *testing.T) {
	m := testMatcher(nil, []string{"phone +82 10-2345-6789, mail Ｗitness.Seventeen@Example.ORG; flat 301"})
	for _, tc := range []struct{ text, want string }{
		{"call 010-2345-6789 after dark", "call # after dark"},
		{"call 010 2345 6789.", "call #."},
		{"call +82-10-2345-6789", "call #"},
		{"call +82 (0)10 2345 6789", "call #"},
		{"call 0082 10 2345 6789", "call #"},
		{"call 01023456789", "call #"},
		{"call ０１０－２３４５－６７８９", "call #"},
		{"write to witness.seventeen@example.org.", "write to #."},
		{"write to WITNESS.SEVENTEEN@EXAMPLE.ORG", "write to #"},
		{"other 010-2345-6788 and 1998 and 301", "other 010-2345-6788 and 1998 and 301"},
		{"id a01023456789", "id a01023456789"},
		{"someone.else@example.org", "someone.else@example.org"},
	} {
		if got := masked(m, tc.text); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.text, got, tc.want)
		}
	}
	if got := ContactForms("flat 301, 1998"); got != nil {
		t.Errorf("no phone or mail: got %q", got)
	}
}

// FuzzNormalizeAndMatch holds Find to its contract on any text: spans in
// order, not overlapping, on rune boundaries of the text as given, and the
// same spans whatever the text is embedded in a compatibility form or not.
func FuzzNormalizeAndMatch(f *testing.F) {
	for _, s := range []string{"Ｃｈｏｉ Ｙｏｕｎｇ－ｎａｍ", "최영남은", "+82 10-2345-6789", "a@b.c@d.org", "\xff\xfe최영", "쵱", "ㅊㅚ영남", "①②", "Ｃｈｏｉ\u0301"} {
		f.Add(s)
	}
	m := testMatcher([]string{"최영남", "Choi Young-nam"}, []string{"+82 10-2345-6789 witness.seventeen@example.org"})
	f.Fuzz(func(t *testing.T, text string) {
		spans := m.Find(text)
		starts := map[int]bool{len(text): true}
		for i := range text {
			starts[i] = true
		}
		end := 0
		for _, s := range spans {
			if s.Start < end || s.End <= s.Start || s.End > len(text) {
				t.Fatalf("bad span %+v after %d in %q", s, end, text)
			}
			if !starts[s.Start] || !starts[s.End] {
				t.Fatalf("span %+v not on rune boundaries of %q", s, text)
			}
			end = s.End
		}
		// Masking is idempotent: what is masked finds nothing more.
		if again := m.Find(masked(m, text)); len(again) != 0 && utf8.ValidString(text) {
			t.Fatalf("masked text still matches: %q -> %q: %+v", text, masked(m, text), again)
		}
	})
}
