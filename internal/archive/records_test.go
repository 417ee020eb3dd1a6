package archive

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
)

func TestRecords(t *testing.T) {
	a := newArchive(t)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "t.ko.txt")
	writeFile(t, src, []byte(koSentence))
	item := addAll(t, a, []string{src}, AddOptions{Lang: "ko"})[0].ID

	d, _ := model.ParseDate("~1998")
	ids, err := a.AddRecords(ctx, []model.Body{
		&model.Person{Names: []string{"편경철", "P'yŏn Kyŏng-ch'ŏl"}, Unit: "무산군 보위부"},
		&model.Person{Names: []string{"W-01 (victim)"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	officer, victim := ids[0], ids[1]
	event, err := a.AddRecord(ctx, &model.Event{Title: "Interrogation after repatriation", Date: d, Places: []string{"musan"}, Violations: []string{"detention.torture.interrogation"}})
	if err != nil {
		t.Fatal(err)
	}
	act, err := a.AddRecord(ctx, &model.Act{Event: event, Victim: &victim, Violation: "detention.torture.interrogation", Date: d})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddRecord(ctx, &model.Involvement{Act: act, Perpetrator: officer, Degree: "violent.direct"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddRecord(ctx, &model.Annotation{Item: item, Start: 0, End: 11, Target: event}); err != nil { // "질문: 언"
		t.Fatal(err)
	}

	// Wrong references and vocabulary codes are refused, and change nothing.
	bad := []model.Body{
		&model.Act{Event: officer, Violation: "detention.torture.interrogation"},              // a person is not an event
		&model.Act{Event: event, Violation: "no.such.code"},                                   // unknown term
		&model.Involvement{Act: act, Perpetrator: evidence.NewID(), Degree: "violent.direct"}, // unknown person
		&model.Annotation{Item: item, Start: 0, End: 1 << 20, Target: event},                  // span past the end
		&model.Annotation{Item: item, Start: 0, End: 10, Target: event},                       // cuts 언 in two
		&model.Annotation{Item: item, Start: 1, End: 11, Target: event},                       // starts inside 질
		&model.Testimony{Title: "x", Witness: "Kim Young-hee"},                                // a name, not a pseudonym
	}
	for _, b := range bad {
		if _, err := a.AddRecord(ctx, b); !errors.Is(err, evidence.ErrInvalid) && !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("%T %+v: %v", b, b, err)
		}
	}
	// All or nothing: one bad body in a batch stores none.
	n := 0
	a.Records(ctx, "", func(evidence.ID, model.Body) error { n++; return nil })
	if _, err := a.AddRecords(ctx, []model.Body{&model.Person{Names: []string{"ok"}}, bad[1]}, nil); err == nil {
		t.Fatal("batch with a bad record was stored")
	}
	m := 0
	a.Records(ctx, "", func(evidence.ID, model.Body) error { m++; return nil })
	if m != n {
		t.Errorf("a failed batch changed the record count from %d to %d", n, m)
	}

	// A new version; the old one stays.
	v, changed, err := a.UpdateRecord(ctx, officer.String()[:8], &model.Person{Names: []string{"편경철", "P'yŏn Kyŏng-ch'ŏl", "Pyon Kyong Chol"}, Unit: "무산군 보위부"})
	if err != nil || v != 2 || !changed {
		t.Fatalf("update: %d %v %v", v, changed, err)
	}
	info, err := a.Record(ctx, officer.String())
	if err != nil || len(info.Versions) != 2 || info.Versions[1].Prev == nil || *info.Versions[1].Prev != info.Versions[0].Digest {
		t.Fatalf("record history: %+v %v", info, err)
	}
	if _, _, err := a.UpdateRecord(ctx, officer.String(), &model.Event{Title: "x"}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("changing a record's kind: %v", err)
	}
	if _, err := a.Record(ctx, item.String()); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("an item as a record: %v", err)
	}
}

// TestAnnotatedItemInheritsFilters: a transcript annotated with an event
// is found by the event's violation, place and date, and follows the event
// when it changes; an item without annotations is not.
func TestAnnotatedItemInheritsFilters(t *testing.T) {
	a := newArchive(t)
	ctx := context.Background()
	dir := t.TempDir()
	annotated, plain := filepath.Join(dir, "a.ko.txt"), filepath.Join(dir, "b.ko.txt")
	writeFile(t, annotated, []byte("두만강을 건넜다. 보위부에서 조사를 받았다.\n"))
	writeFile(t, plain, []byte("두만강 근처의 마을.\n"))
	items := addAll(t, a, []string{annotated, plain}, AddOptions{Lang: "ko"})
	d, _ := model.ParseDate("1998")
	event, err := a.AddRecord(ctx, &model.Event{Title: "Interrogation", Date: d, Places: []string{"musan"}, Violations: []string{"detention.torture.interrogation"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddRecord(ctx, &model.Annotation{Item: items[0].ID, Start: 0, End: 9, Target: event}); err != nil {
		t.Fatal(err)
	}
	found := func(opt SearchOptions) []string { t.Helper(); return searchIDs(t, a, "두만강", opt) }
	one := []string{items[0].ID.String()}
	for name, opt := range map[string]SearchOptions{
		"violation":         {Violation: "detention"},
		"place (gazetteer)": {Place: "musan"},
		"place (Hangul)":    {Place: "무산"},
		"years":             {From: 1997, To: 1999},
	} {
		if got := found(opt); !slices.Equal(got, one) {
			t.Errorf("%s: found %v, want only the annotated transcript %v", name, got, one)
		}
	}
	if got := found(SearchOptions{From: 2005}); len(got) != 0 {
		t.Errorf("from 2005: found %v", got)
	}
	// The event moves to 2008 and another place; the transcript follows.
	d2, _ := model.ParseDate("2008")
	if _, _, err := a.UpdateRecord(ctx, event.String(), &model.Event{Title: "Interrogation", Date: d2, Places: []string{"hyesan"}, Violations: []string{"detention.torture.interrogation"}}); err != nil {
		t.Fatal(err)
	}
	if got := found(SearchOptions{From: 2005, Place: "hyesan"}); !slices.Equal(got, one) {
		t.Errorf("after the event changed: found %v", got)
	}
	if got := found(SearchOptions{Place: "musan"}); len(got) != 0 {
		t.Errorf("old place still matches: %v", got)
	}
	// Editing the item's title keeps what it inherits.
	title := "Interview, session 2"
	if _, _, err := a.Edit(ctx, items[0].ID.String(), Edit{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if got := found(SearchOptions{Place: "hyesan"}); !slices.Equal(got, one) {
		t.Errorf("after a title edit: found %v", got)
	}
}
