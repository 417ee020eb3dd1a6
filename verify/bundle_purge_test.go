package verify

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/bundle"
	"sori/internal/model"
)

// TestBundleCarriesPurgedVersion: a testimony whose first version was
// purged (a real name typed into its notes, corrected, then purged) is
// carried by its digest and its purge entry; both verifiers accept the
// bundle, and both refuse it when the purge entry is taken out.
func TestBundleCarriesPurgedVersion(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	a := bagArchive(t, root)
	p := filepath.Join(root, "w17-ko.txt")
	if err := os.WriteFile(p, []byte(bagKorean), 0o600); err != nil {
		t.Fatal(err)
	}
	var ko = mustID(t, strings.Repeat("0", 32))
	if err := a.Add(ctx, []string{p}, archive.AddOptions{Lang: "ko"}, func(r archive.Added) error { ko = r.ID; return r.Err }); err != nil {
		t.Fatal(err)
	}
	tid, err := a.AddRecord(ctx, &model.Testimony{Title: "Interview 1", Witness: "W-17", Original: &ko, Notes: "the witness's aunt Ryu Gwang-sun helped"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.UpdateRecord(ctx, tid.String(), &model.Testimony{Title: "Interview 1", Witness: "W-17", Original: &ko, Notes: "a relative helped"}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := a.SetConsent(ctx, &model.Consent{Testimony: tid, Scope: archive.ScopeCourt}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Purge(ctx, tid.String(), 1, "a relative's real name was typed"); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "bundle")
	writeBag(t, a, []string{ko.String()}, nil, dir)
	requireClean(t, "a purged testimony version", dir, a.LogKey())
	// Nothing of the purged text is in the bundle.
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), "Ryu Gwang") {
				t.Errorf("%s holds the purged text", path)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// The purge entry taken out (the manifests resealed): refused.
	bag := copyBag(t, dir)
	custodyDir := filepath.Join(bag, filepath.FromSlash(bundle.TestimonyDir), tid.String(), "custody")
	des, err := os.ReadDir(custodyDir)
	if err != nil {
		t.Fatal(err)
	}
	removed := false
	for _, de := range des {
		if !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(custodyDir, de.Name()))
		if strings.Contains(string(b), `purge`) {
			os.Remove(filepath.Join(custodyDir, de.Name()))
			os.Remove(filepath.Join(custodyDir, strings.TrimSuffix(de.Name(), ".json")+".tlog-proof"))
			removed = true
		}
	}
	if !removed {
		t.Fatal("the bundle carries no purge entry")
	}
	reseal(t, bag)
	r := requireCaught(t, "purge entry taken out", bag, a.LogKey())
	if !hasKind(r, KindRecord) {
		t.Errorf("no %s finding among %v", KindRecord, r.Findings)
	}
}

// TestBundleCarriesPurgedItemVersion: an item whose own record had a real
// name typed into its title, corrected and then purged, is exported with
// that version carried by its digest and its purge entry (spec step 5);
// the original keeps the extension of the name it had at intake; both
// verifiers accept the bundle, and both refuse it without the purge
// entry, or with another version's body taken out.
func TestBundleCarriesPurgedItemVersion(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	a := bagArchive(t, root)
	p := filepath.Join(root, "w17-ko.txt")
	if err := os.WriteFile(p, []byte(bagKorean), 0o600); err != nil {
		t.Fatal(err)
	}
	var id = mustID(t, strings.Repeat("0", 32))
	if err := a.Add(ctx, []string{p}, archive.AddOptions{Lang: "ko", Title: "Interview with Ryu Gwang-sun"}, func(r archive.Added) error { id = r.ID; return r.Err }); err != nil {
		t.Fatal(err)
	}
	for _, title := range []string{"Interview W-17", "Interview W-17, part 1"} {
		if _, _, err := a.Edit(ctx, id.String(), archive.Edit{Title: &title}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Purge(ctx, id.String(), 1, "a witness's real name was typed into the title"); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "bundle")
	writeBag(t, a, []string{id.String()}, nil, dir)
	r := requireClean(t, "a purged item version", dir, a.LogKey())
	if r.Versions != 3 {
		t.Errorf("%d versions checked, want the item's 3", r.Versions)
	}
	itemDir := filepath.Join(dir, filepath.FromSlash(bundle.ItemsDir), id.String())
	if _, err := os.Stat(filepath.Join(itemDir, "original.txt")); err != nil {
		t.Errorf("the original is not named with its extension: %v", err)
	}
	var m bundle.Metadata
	if b, err := os.ReadFile(filepath.Join(itemDir, bundle.MetadataFile)); err != nil || json.Unmarshal(b, &m) != nil || len(m.Versions) != 3 ||
		m.Versions[0].Record != "" || m.Versions[1].Record == "" {
		t.Fatalf("metadata.json does not carry version 1 by its digest alone: %v %+v", err, m.Versions)
	}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), "Ryu Gwang") {
				t.Errorf("%s holds the purged text", path)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// The purge entry taken out (the manifests resealed): refused.
	bag := copyBag(t, dir)
	custodyDir := filepath.Join(bag, filepath.FromSlash(bundle.ItemsDir), id.String(), bundle.CustodyDir)
	des, err := os.ReadDir(custodyDir)
	if err != nil {
		t.Fatal(err)
	}
	removed := 0
	for _, de := range des {
		b, _ := os.ReadFile(filepath.Join(custodyDir, de.Name()))
		if strings.HasSuffix(de.Name(), ".json") && strings.Contains(string(b), `\"kind\":\"purge\"`) {
			os.Remove(filepath.Join(custodyDir, de.Name()))
			os.Remove(filepath.Join(custodyDir, strings.TrimSuffix(de.Name(), ".json")+bundle.ProofExt))
			removed++
		}
	}
	if removed != 1 {
		t.Fatalf("the bundle carries %d purge entries of the item, want 1", removed)
	}
	reseal(t, bag)
	if r := requireCaught(t, "item purge entry taken out", bag, a.LogKey()); !hasKind(r, KindRecord) {
		t.Errorf("no %s finding among %v", KindRecord, r.Findings)
	}

	// Version 2's body taken out as though purged: no purge entry says so.
	bag = copyBag(t, dir)
	mpath := filepath.Join(bag, filepath.FromSlash(bundle.ItemsDir), id.String(), bundle.MetadataFile)
	m.Versions[1].Record = ""
	b, _ := json.Marshal(m)
	writeBagFile(t, bag, filepath.ToSlash(mustRel(t, bag, mpath)), b)
	reseal(t, bag)
	if r := requireCaught(t, "item version 2's body taken out", bag, a.LogKey()); !hasKind(r, KindRecord) {
		t.Errorf("no %s finding among %v", KindRecord, r.Findings)
	}
}

func mustRel(t *testing.T, base, p string) string {
	t.Helper()
	r, err := filepath.Rel(base, p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
