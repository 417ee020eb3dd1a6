package archive

import (
	"errors"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
)

func TestTimeNotes(t *testing.T) {
	ctx := t.Context()
	f, a := newTeam(t, map[string]string{"ana": RoleAnalyst})
	ana := f.as("ana")
	audio := addAudio(t, a)
	ev, err := a.AddRecord(ctx, &model.Event{Title: "Camp 15"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		at     string
		note   string
		target string
	}{
		{"12:31", "the witness names the camp", ev.String()},
		{"0:05", "introductions", ""},
		{"1:02:03.5", "end of the account", ""},
	} {
		ms, err := ParseTimecode(n.at)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ana.AddTimeNote(ctx, audio.String(), ms, n.note, n.target); err != nil {
			t.Fatalf("note at %s: %v", n.at, err)
		}
	}
	notes, err := a.TimeNotes(ctx, audio.String())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range notes {
		got = append(got, n.Time)
	}
	if len(got) != 3 || got[0] != "0:05" || got[1] != "12:31" || got[2] != "1:02:03.500" {
		t.Fatalf("notes in order: %v", got)
	}
	if notes[1].Target == nil || *notes[1].Target != ev {
		t.Errorf("the note at 12:31 names %v", notes[1].Target)
	}
	// Not on a transcript; not without a note.
	p := t.TempDir() + "/t.ko.txt"
	writeFile(t, p, []byte(koSentence))
	text := addAll(t, a, []string{p}, AddOptions{Lang: "ko"})[0].ID
	if _, err := a.AddTimeNote(ctx, text.String(), 1000, "x", ""); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("time note on a transcript: %v", err)
	}
	if _, err := a.AddTimeNote(ctx, audio.String(), 1000, " ", ""); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("blank note: %v", err)
	}
	at := int64(5)
	if _, err := a.AddRecord(ctx, &model.Annotation{Item: audio, Start: 1, End: 4, Note: "x", At: &at}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("time and span: %v", err)
	}
}

// TestTimeNotesMaskSealedNames: a time-coded note that names a sealed
// witness is masked for roles without protection, like any annotation.
func TestTimeNotesMaskSealedNames(t *testing.T) {
	ctx := t.Context()
	f, a := newTeam(t, map[string]string{"ana": RoleAnalyst})
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-9", Names: []string{"Han Eun-byeol"}}); err != nil {
		t.Fatal(err)
	}
	audio := addAudio(t, a)
	if _, err := a.AddTimeNote(ctx, audio.String(), 61000, "Han Eun-byeol describes the crossing", ""); err != nil {
		t.Fatal(err)
	}
	notes, err := f.as("ana").TimeNotes(ctx, audio.String())
	if err != nil || len(notes) != 1 {
		t.Fatalf("%v %v", notes, err)
	}
	if notes[0].Note == "Han Eun-byeol describes the crossing" || notes[0].Time != "1:01" {
		t.Errorf("analyst sees %+v", notes[0])
	}
}

func TestParseTimecode(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "59": 59000, "12:31": 751000, "1:02:03": 3723000, "1:02:03.25": 3723250, "0:00.001": 1} {
		got, err := ParseTimecode(in)
		if err != nil || got != want {
			t.Errorf("ParseTimecode(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12:3", "1:60", "1:2:3:4", "-1", "1:00.", "1:00.1234", "a:00", "101:00:00", "12:31 "} {
		if _, err := ParseTimecode(in); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("ParseTimecode(%q): %v, want invalid", in, err)
		}
	}
}

func FuzzTimecode(f *testing.F) {
	for _, s := range []string{"12:31", "1:02:03.250", "0", "99:59:59.999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseTimecode(s)
		if err != nil {
			if !errors.Is(err, evidence.ErrInvalid) {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		back, err := ParseTimecode(FormatTimecode(ms))
		if err != nil || back != ms {
			t.Fatalf("%q → %d → %q → %d, %v", s, ms, FormatTimecode(ms), back, err)
		}
	})
}
