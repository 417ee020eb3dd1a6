package archive

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
)

// TestPages: a listing paged by After or Skip gives what the whole listing
// gives from that place, as every role sees it: voided entries left out
// and not counted, a restricted item counted (it is listed), a record in
// a compartment counted only for a member.
func TestPages(t *testing.T) {
	ctx := t.Context()
	a := newArchive(t)
	var items []evidence.ID
	for i := range 6 {
		items = append(items, addText(t, a, fmt.Sprintf("p%d.txt", i), fmt.Sprintf("page test item %d\n", i)).ID)
	}
	var recs []evidence.ID
	for i := range 5 {
		id, err := a.AddRecord(ctx, &model.Event{Title: fmt.Sprintf("event %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, id)
	}
	if _, err := a.Void(ctx, items[2].String(), "duplicate"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Void(ctx, recs[1].String(), "duplicate"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateCompartment(ctx, "case-1", []string{a.me.Name}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.MoveToCompartment(ctx, "case-1", []string{items[4].String(), recs[3].String()}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddUser(ctx, "rdr", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	rdr, err := openAs(t, a.dir, "rdr", testPass)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	for _, s := range []*Archive{a, rdr} {
		listed := func(p Page) ([]string, error) {
			var out []string
			err := s.ListPage(ctx, p, func(l Listed) error { out = append(out, l.ID.String()+" "+l.Record.Title); return nil })
			return out, err
		}
		all, err := listed(Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 5 {
			t.Fatalf("%s lists %d items, want 5 (one voided): %q", s.me.Name, len(all), all)
		}
		var list []string
		if err := s.List(ctx, func(l Listed) error { list = append(list, l.ID.String()+" "+l.Record.Title); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(list, all) {
			t.Errorf("%s: List %q, ListPage %q", s.me.Name, list, all)
		}
		for k := range len(all) + 2 {
			got, err := listed(Page{Skip: k})
			if want := all[min(k, len(all)):]; err != nil || !slices.Equal(got, want) {
				t.Errorf("%s: ListPage skip %d = %q %v, want %q", s.me.Name, k, got, err, want)
			}
		}
		for i, l := range all {
			ref, _, _ := strings.Cut(l, " ")
			id, _ := evidence.ParseID(ref)
			got, err := listed(Page{After: id})
			if want := all[i+1:]; err != nil || !slices.Equal(got, want) {
				t.Errorf("%s: ListPage after #%d = %q %v, want %q", s.me.Name, i, got, err, want)
			}
			got, err = listed(Page{After: id, Skip: 1})
			if want := all[min(i+2, len(all)):]; err != nil || !slices.Equal(got, want) {
				t.Errorf("%s: ListPage after #%d skip 1 = %q %v, want %q", s.me.Name, i, got, err, want)
			}
		}
		// A voided item is still a place to continue from.
		if got, _ := listed(Page{After: items[2]}); !slices.Equal(got, all[2:]) {
			t.Errorf("%s: ListPage after the voided item = %q, want %q", s.me.Name, got, all[2:])
		}
		if _, err := listed(Page{After: recs[0]}); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("%s: ListPage after a record: %v", s.me.Name, err)
		}

		records := func(p Page) ([]evidence.ID, error) {
			var out []evidence.ID
			err := s.RecordsPage(ctx, model.KindEvent, p, func(id evidence.ID, _ int, _ model.Body) error { out = append(out, id); return nil })
			return out, err
		}
		rall, err := records(Page{})
		if err != nil {
			t.Fatal(err)
		}
		want := 4 // five, one voided
		if s == rdr {
			want = 3 // and one in a compartment
		}
		if len(rall) != want || slices.Contains(rall, recs[1]) {
			t.Fatalf("%s lists records %v, want %d", s.me.Name, rall, want)
		}
		for k := range len(rall) + 2 {
			got, err := records(Page{Skip: k})
			if want := rall[min(k, len(rall)):]; err != nil || !slices.Equal(got, want) {
				t.Errorf("%s: RecordsPage skip %d = %v %v, want %v", s.me.Name, k, got, err, want)
			}
		}
		for i, id := range rall {
			got, err := records(Page{After: id})
			if want := rall[i+1:]; err != nil || !slices.Equal(got, want) {
				t.Errorf("%s: RecordsPage after #%d = %v %v, want %v", s.me.Name, i, got, err, want)
			}
		}
		if _, err := records(Page{After: items[0]}); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("%s: RecordsPage after an item: %v", s.me.Name, err)
		}
	}
}
