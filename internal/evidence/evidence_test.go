package evidence

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestIDAndDigest(t *testing.T) {
	id := NewID()
	got, err := ParseID(id.String())
	if err != nil || got != id {
		t.Fatalf("ParseID(String) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "abc", strings.Repeat("g", 32), strings.Repeat("0", 31), strings.Repeat("0", 33)} {
		if _, err := ParseID(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseID(%q): %v", bad, err)
		}
	}
	d := Sum([]byte("abc"))
	if d.String() != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Sum(abc) = %s", d)
	}
	if p, err := CheckPrefix(" ABCDEF12 "); err != nil || p != "abcdef12" {
		t.Errorf("CheckPrefix = %q, %v", p, err)
	}
	for _, bad := range []string{"abc12", "ghijkl", strings.Repeat("a", 33)} {
		if _, err := CheckPrefix(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckPrefix(%q): %v", bad, err)
		}
	}
}

func TestRecordCanonical(t *testing.T) {
	id := NewID()
	r := ItemRecord{V: 1, Item: id, Version: 1, Title: "면담", Kind: Transcript, Lang: "ko",
		Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("KST", 9*3600)), Actor: "u"}
	b := r.Marshal()
	want := `{"v":1,"item":"` + id.String() + `","version":1,"title":"면담","lang":"ko","kind":"transcript","time":"2026-01-01T18:04:05Z","actor":"u"}`
	if string(b) != want {
		t.Errorf("canonical form:\n got %s\nwant %s", b, want)
	}
	back, err := UnmarshalItemRecord(b)
	if err != nil || !bytes.Equal(back.Marshal(), b) {
		t.Errorf("round trip: %v", err)
	}
	if _, err := UnmarshalItemRecord([]byte(`{"v":2}`)); !errors.Is(err, ErrDamaged) {
		t.Errorf("future version: %v", err)
	}
}

func TestValidate(t *testing.T) {
	ok := ItemRecord{Title: "t", Kind: Audio, Lang: "ko-KP", Witness: "W-17"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []ItemRecord{
		{Title: "t", Kind: "film"},
		{Title: "t", Kind: Audio, Lang: "KO"},
		{Title: "a\tb", Kind: Audio},
		{Title: strings.Repeat("x", MaxTitle+1), Kind: Audio},
		{Title: "t", Kind: Audio, Witness: "Kim Young-hee"},
		{Title: "t", Kind: Audio, Witness: "kim"},
		{Title: "t", Kind: Audio, Note: "\xff"},
	} {
		if err := bad.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v accepted", bad)
		}
	}
	if KindFromName("a.MP4") != Video || KindFromName("녹취.txt") != Transcript || KindFromName("x") != Document {
		t.Error("KindFromName")
	}
}

func FuzzParseID(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err == nil && id.String() != strings.ToLower(s) {
			t.Fatalf("ParseID(%q) = %s", s, id)
		}
		if p, err := CheckPrefix(s); err == nil && (len(p) < MinPrefix || len(p) > 32) {
			t.Fatalf("CheckPrefix(%q) = %q", s, p)
		}
	})
}

func FuzzUnmarshalItemRecord(f *testing.F) {
	r := ItemRecord{V: 1, Item: NewID(), Version: 3, Title: "제목", Kind: Image, Time: time.Unix(0, 0)}
	f.Add(r.Marshal())
	f.Add([]byte(`{"v":1,"time":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := UnmarshalItemRecord(b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to a form that decodes to the same.
		again, err := UnmarshalItemRecord(rec.Marshal())
		if err != nil || !bytes.Equal(again.Marshal(), rec.Marshal()) {
			t.Fatalf("unstable round trip for %q: %v", b, err)
		}
	})
}
