package archive

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
)

// TestEditRecordKeepsSealedNames: an investigator, who reads sealed names
// masked, edits one field of an event whose description names a sealed
// witness; the new version keeps the name as stored (a version built from
// the investigator's copy would hold "[…]" for good), and the edit's error
// messages pass the guard.
func TestEditRecordKeepsSealedNames(t *testing.T) {
	ctx := t.Context()
	a := newArchive(t)
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-9", Names: []string{"한영남"}}); err != nil {
		t.Fatal(err)
	}
	ev, err := a.AddRecord(ctx, &model.Event{Title: "Crossing", Description: "한영남 crossed at night"})
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
	seen, err := inv.Record(ctx, ev.String())
	if err != nil {
		t.Fatal(err)
	}
	if d := seen.Current.(*model.Event).Description; strings.Contains(d, "한영남") {
		t.Fatalf("the investigator reads the name: %q", d)
	}
	v, changed, err := inv.EditRecord(ctx, ev.String(), func(cur model.Body) (model.Body, error) {
		e := cur.(*model.Event)
		e.Title = "Crossing the Tumen"
		return e, nil
	})
	if err != nil || !changed || v != 2 {
		t.Fatalf("edit: v%d %v %v", v, changed, err)
	}
	info, err := a.Record(ctx, ev.String())
	if err != nil {
		t.Fatal(err)
	}
	if e := info.Current.(*model.Event); e.Title != "Crossing the Tumen" || e.Description != "한영남 crossed at night" {
		t.Errorf("after the investigator's edit, as stored: %+v", e)
	}
	// Nothing to change: no version.
	if v, changed, err := inv.EditRecord(ctx, ev.String(), func(cur model.Body) (model.Body, error) { return cur, nil }); err != nil || changed || v != 2 {
		t.Errorf("unchanged edit: v%d %v %v", v, changed, err)
	}
	// An error that quotes the stored body is masked for the investigator.
	_, _, err = inv.EditRecord(ctx, ev.String(), func(cur model.Body) (model.Body, error) {
		return nil, fmt.Errorf("%w: cannot use %q", evidence.ErrInvalid, cur.(*model.Event).Description)
	})
	if !errors.Is(err, evidence.ErrInvalid) || strings.Contains(err.Error(), "한영남") {
		t.Errorf("edit error: %v", err)
	}
	// Another kind, or a record of its own command, is refused.
	if _, _, err := inv.EditRecord(ctx, ev.String(), func(model.Body) (model.Body, error) { return &model.Person{Names: []string{"x"}}, nil }); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("kind changed: %v", err)
	}
}

func init() {
	leakNotReads["EditRecord"] = "write; returns a version number (its callback's body is the caller's own)"
	calls["Archive.EditRecord"] = call{OpRecordEdit, func(t *testing.T, f *roleFixture, a *Archive) error {
		adm := f.open(t, roleUser(RoleAdmin))
		defer adm.Close()
		ev, err := adm.AddRecord(t.Context(), &model.Event{Title: fmt.Sprintf("Event %d", f.unique())})
		if err != nil {
			return err
		}
		_, _, err = a.EditRecord(t.Context(), ev.String(), func(cur model.Body) (model.Body, error) {
			e := cur.(*model.Event)
			e.Title += " (edited)"
			return e, nil
		})
		return err
	}}
}
