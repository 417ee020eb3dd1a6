package archive

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
)

// TestLinkTestimonyItem: an investigator, who reads the testimony masked,
// links an item to it; the new version keeps the sealed name the record
// holds (no mask written in), and a second link of the same item, or a
// link to a record that is not a testimony, changes nothing.
func TestLinkTestimonyItem(t *testing.T) {
	ctx := t.Context()
	a := newArchive(t)
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-8", Names: []string{"한영남"}}); err != nil {
		t.Fatal(err)
	}
	ti, err := a.AddRecord(ctx, &model.Testimony{Title: "Interview", Witness: "W-8", Notes: "met 한영남 at the river"})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := a.AddRecord(ctx, &model.Event{Title: "Crossing"})
	if err != nil {
		t.Fatal(err)
	}
	var items []evidence.ID
	for _, s := range []string{"원문 녹취", "English translation"} {
		err := a.AddSources(ctx, []Source{{Name: "t.txt", Size: -1, R: strings.NewReader(s)}}, AddOptions{Kind: "transcript"}, func(r Added) error {
			items = append(items, r.ID)
			return r.Err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.AddUser(ctx, "inv", RoleInvestigator, testPass); err != nil {
		t.Fatal(err)
	}
	inv, err := Open(ctx, a.dir, "inv", testPass, Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer inv.Close()
	if v, err := inv.LinkTestimonyItem(ctx, ti.String(), items[0].String(), LinkOriginal); err != nil || v != 2 {
		t.Fatalf("link original: v%d %v", v, err)
	}
	if v, err := inv.LinkTestimonyItem(ctx, ti.String(), items[1].String(), LinkTranslation); err != nil || v != 3 {
		t.Fatalf("link translation: v%d %v", v, err)
	}
	for _, c := range []struct{ name, rec, item, as string }{
		{"again", ti.String(), items[0].String(), LinkTranslation},
		{"not a testimony", ev.String(), items[0].String(), LinkOriginal},
		{"bad as", ti.String(), items[0].String(), "cover"},
	} {
		if _, err := inv.LinkTestimonyItem(ctx, c.rec, c.item, c.as); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", c.name, err)
		}
	}
	info, err := a.Record(ctx, ti.String())
	if err != nil {
		t.Fatal(err)
	}
	got := info.Current.(*model.Testimony)
	if got.Notes != "met 한영남 at the river" || got.Original == nil || *got.Original != items[0] || len(got.Translations) != 1 || got.Translations[0] != items[1] || len(info.Versions) != 3 {
		t.Errorf("after linking: %+v, %d versions", got, len(info.Versions))
	}
}

func init() {
	leakNotReads["LinkTestimonyItem"] = "write; returns a version number"
	calls["Archive.LinkTestimonyItem"] = call{OpRecordEdit, func(t *testing.T, f *roleFixture, a *Archive) error {
		// A testimony and an item of its own, so that f.item stays out of
		// testimonies (its export needs no consent).
		adm := f.open(t, roleUser(RoleAdmin))
		defer adm.Close()
		n := f.unique()
		ti, err := adm.AddRecord(t.Context(), &model.Testimony{Title: fmt.Sprintf("Interview %d", n), Witness: "W-1"})
		if err != nil {
			return err
		}
		var item evidence.ID
		err = adm.AddSources(t.Context(), []Source{{Name: "link.txt", Size: -1, R: strings.NewReader(fmt.Sprintf("linked item %d", n))}}, AddOptions{}, func(r Added) error {
			item = r.ID
			return r.Err
		})
		if err != nil {
			return err
		}
		_, err = a.LinkTestimonyItem(t.Context(), ti.String(), item.String(), LinkOriginal)
		return err
	}}
}
