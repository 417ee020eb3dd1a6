package archive

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"sori/internal/evidence"
)

// shownForm is what a browser's DOM holds of text: CR LF and a lone CR
// become one line feed.
func shownForm(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// runeSpan finds sub in s and returns its span in characters.
func runeSpan(t *testing.T, s, sub string) Selection {
	t.Helper()
	i := strings.Index(s, sub)
	if i < 0 {
		t.Fatalf("%q not in the shown text", sub)
	}
	start := utf8.RuneCountInString(s[:i])
	return Selection{Start: start, End: start + utf8.RuneCountInString(sub), Text: sub}
}

// TestSelectionSpan: a passage an investigator selects in the masked text
// (with CR LF line ends shown as line feeds) maps to the original's bytes;
// a selection over a mask, of other text, of another item's digest or out
// of range is refused without repeating text; the protection officer
// selects in the original.
func TestSelectionSpan(t *testing.T) {
	ctx := t.Context()
	a := newArchive(t)
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-5", Names: []string{"한영남", "Han Yeong-nam"}}); err != nil {
		t.Fatal(err)
	}
	text := "시험용 녹취.\r\n증인은 한영남과 함께 두만강을 건넜다.\r\nThen Han Yeong-nam left.\n"
	var id evidence.ID
	var sum evidence.Digest
	err := a.AddSources(ctx, []Source{{Name: "t.txt", Size: int64(len(text)), R: strings.NewReader(text)}}, AddOptions{Kind: "transcript"}, func(r Added) error {
		id, sum = r.ID, r.SHA256
		return r.Err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddUser(ctx, "inv", RoleInvestigator, testPass); err != nil {
		t.Fatal(err)
	}
	inv, err := Open(ctx, a.dir, "inv", testPass, Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer inv.Close()
	rc, _, err := inv.Open(ctx, id.String())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	shown := shownForm(string(b))
	if strings.Contains(shown, "한영남") || !strings.Contains(shown, Mask) {
		t.Fatalf("the investigator is shown %q", shown)
	}

	for _, word := range []string{"두만강", "left.\n", "시험용"} {
		sel := runeSpan(t, shown, word)
		sel.SHA256 = sum
		start, end, err := inv.SelectionSpan(ctx, id.String(), sel)
		if err != nil {
			t.Fatalf("%q: %v", word, err)
		}
		if got := text[start:end]; shownForm(got) != word {
			t.Errorf("%q maps to bytes %d:%d = %q", word, start, end, got)
		}
		back, err := inv.ShownSpans(ctx, id.String(), [][2]int{{start, end}})
		if err != nil {
			t.Fatal(err)
		}
		if back[0] != [2]int{sel.Start, sel.End} {
			t.Errorf("%q: bytes %d:%d shown at %v, selected at %d:%d", word, start, end, back[0], sel.Start, sel.End)
		}
	}
	// A CR LF selected as one line feed is both bytes.
	sel := runeSpan(t, shown, "녹취.\n증인")
	start, end, err := inv.SelectionSpan(ctx, id.String(), sel)
	if err != nil || text[start:end] != "녹취.\r\n증인" {
		t.Errorf("across a CR LF: %d:%d %v", start, end, err)
	}

	crossing := runeSpan(t, shown, "은 "+Mask+"과")
	good := runeSpan(t, shown, "두만강")
	bad := []struct {
		name string
		sel  Selection
	}{
		{"over a mask", crossing},
		{"other text", Selection{Start: good.Start, End: good.End, Text: "압록강"}},
		{"another digest", Selection{Start: good.Start, End: good.End, Text: good.Text, SHA256: evidence.Digest{1}}},
		{"empty", Selection{Start: good.Start, End: good.Start, Text: ""}},
		{"blank", Selection{Start: 7, End: 8, Text: "\n"}},
		{"past the end", Selection{Start: utf8.RuneCountInString(shown) - 1, End: utf8.RuneCountInString(shown) + 3, Text: "\nabc"}},
		{"negative", Selection{Start: -1, End: 2, Text: "xx"}},
	}
	for _, c := range bad {
		_, _, err := inv.SelectionSpan(ctx, id.String(), c.sel)
		if !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", c.name, err)
			continue
		}
		for _, leak := range []string{"한영남", "Yeong-nam", "두만강", "압록강"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%s: the error repeats %q: %v", c.name, leak, err)
			}
		}
	}

	// The protection officer is shown the original: the name is selectable.
	full := shownForm(text)
	sel = runeSpan(t, full, "한영남")
	start, end, err = a.SelectionSpan(ctx, id.String(), sel)
	if err != nil || text[start:end] != "한영남" {
		t.Errorf("protection selecting the name: %d:%d %v", start, end, err)
	}
	// And the investigator's selection redacts what was selected.
	sel = runeSpan(t, shown, "두만강")
	start, end, _ = inv.SelectionSpan(ctx, id.String(), sel)
	r, err := inv.AddRedaction(ctx, id.String(), start, end, "place of crossing")
	if err != nil || text[r.Start:r.End] != "두만강" {
		t.Fatalf("redaction: %+v %v", r, err)
	}
}

// FuzzEachShown: for any text and masks, the characters eachShown yields
// spell the masked text as a browser shows it, and each unmasked one
// stands for exactly the bytes of the original it comes from.
func FuzzEachShown(f *testing.F) {
	f.Add("가나다\r\n라마\rbc", 1, 2, 6, 3)
	f.Add("", 0, 0, 0, 0)
	f.Add("a\r\r\nb", 0, 1, 3, 1)
	f.Fuzz(func(t *testing.T, s string, m1, n1, m2, n2 int) {
		if !utf8.ValidString(s) {
			return
		}
		// Up to two masks on character boundaries, in order, apart.
		var masks []NameSpan
		at := 0
		for _, mn := range [][2]int{{m1, n1}, {m2, n2}} {
			start := at + selAbs(mn[0])%(len(s)-at+1)
			end := start + selAbs(mn[1])%(len(s)-start+1)
			for start < len(s) && !utf8.RuneStart(s[start]) {
				start++
			}
			for end < len(s) && !utf8.RuneStart(s[end]) {
				end++
			}
			if end <= start || strings.ContainsAny(s[start:end], "\r\n") || start > 0 && s[start-1] == '\r' {
				continue
			}
			masks = append(masks, NameSpan{Start: start, End: end})
			at = end
		}
		var want strings.Builder
		prev := 0
		for _, m := range masks {
			want.WriteString(s[prev:m.Start] + Mask)
			prev = m.End
		}
		want.WriteString(s[prev:])
		var got strings.Builder
		last := -1
		eachShown([]byte(s), masks, func(i int, c shownChar) bool {
			if i != last+1 {
				t.Fatalf("character %d after %d", i, last)
			}
			last = i
			got.WriteRune(c.r)
			if !c.masked && shownForm(s[c.from:c.to]) != string(c.r) {
				t.Fatalf("character %d (%q) stands for %q", i, c.r, s[c.from:c.to])
			}
			return true
		})
		if got.String() != shownForm(want.String()) {
			t.Fatalf("shown %q, want %q", got.String(), shownForm(want.String()))
		}
	})
}

func selAbs(x int) int {
	if x < 0 {
		if x == -x { // the most negative int
			return 0
		}
		return -x
	}
	return x
}

// The selection methods in the leak and role matrices: they return offsets,
// never text, and check the redact operation.
func init() {
	leakNotReads["SelectionSpan"] = "offsets only; refusals repeat no text (TestSelectionSpan)"
	leakNotReads["ShownSpans"] = "offsets only"
	calls["Archive.SelectionSpan"] = call{OpRedact, func(t *testing.T, f *roleFixture, a *Archive) error {
		rc, _, err := a.Open(t.Context(), f.item)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		r, _ := utf8.DecodeRune(b)
		_, _, err = a.SelectionSpan(t.Context(), f.item, Selection{Start: 0, End: 1, Text: shownForm(string(r))})
		return err
	}}
	calls["Archive.ShownSpans"] = call{OpRedact, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.ShownSpans(t.Context(), f.item, [][2]int{{0, 3}})
		return err
	}}
}
