package verify

import (
	"context"
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
