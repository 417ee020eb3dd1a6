package archive

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"sori/internal/evidence"
)

// TestAddSources: streams (a server's uploads) become items as files do,
// and a stream that says one size and gives another stores nothing.
func TestAddSources(t *testing.T) {
	ctx := t.Context()
	a := newArchive(t)
	small := []byte("우리는 두만강을 건넜다. A synthetic upload.\n")
	large := bytes.Repeat([]byte("a long synthetic transcript line\n"), 40000) // > the read buffer
	var got []Added
	emit := func(r Added) error { got = append(got, r); return nil }
	err := a.AddSources(ctx, []Source{
		{Name: "upload.txt", Size: int64(len(small)), R: bytes.NewReader(small)},
		{Name: "long.txt", Size: -1, R: bytes.NewReader(large)},
		{Name: "lies.txt", Size: 3, R: strings.NewReader("more than three")},
		{Name: "short.txt", Size: 30, R: strings.NewReader("fewer")},
	}, AddOptions{Lang: "ko"}, emit)
	if err != nil {
		t.Fatal(err)
	}
	// The same bytes again (a later call: within one call, workers race
	// for which copy is stored first).
	if err := a.AddSources(ctx, []Source{{Name: "again.txt", Size: int64(len(small)), R: bytes.NewReader(small)}}, AddOptions{}, emit); err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("%d reports for 5 sources", len(got))
	}
	for i, want := range []struct {
		err bool
		dup bool
	}{{false, false}, {false, false}, {true, false}, {true, false}, {false, true}} {
		r := got[i]
		if (r.Err != nil) != want.err || r.Duplicate != want.dup {
			t.Errorf("source %d (%s): err %v, duplicate %v", i, r.Path, r.Err, r.Duplicate)
		}
		if want.err && !errors.Is(r.Err, evidence.ErrInvalid) {
			t.Errorf("source %d: %v, want ErrInvalid", i, r.Err)
		}
	}
	if got[4].ID != got[0].ID {
		t.Errorf("the same bytes gave two IDs")
	}
	for i, want := range map[int][]byte{0: small, 1: large} {
		rc, it, err := a.Open(ctx, got[i].ID.String())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, want) || it.Size != int64(len(want)) {
			t.Errorf("source %d reads back %d bytes, want %d", i, len(b), len(want))
		}
		info, err := a.Show(ctx, got[i].ID.String())
		if err != nil {
			t.Fatal(err)
		}
		if info.Current.Filename != got[i].Path || info.Current.Title != got[i].Path {
			t.Errorf("source %d recorded as %q / %q", i, info.Current.Filename, info.Current.Title)
		}
	}
	n := 0
	if err := a.List(ctx, func(Listed) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("%d items after the uploads (%v), want 2: the bad streams stored nothing", n, err)
	}
	for _, bad := range []Source{{Name: "", Size: 1, R: strings.NewReader("x")}, {Name: "dir/x.txt", Size: 1, R: strings.NewReader("x")}, {Name: "x.txt", Size: 1}} {
		if err := a.AddSources(ctx, []Source{bad}, AddOptions{}, emit); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("bad source %+v: %v", bad.Name, err)
		}
	}
}
