package archive

import (
	"context"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/testenv"
)

// TestSavedSearches: a user saves a search under a name, lists, runs,
// replaces and deletes it; another user (an admin included) neither lists
// nor opens it; what is stored is sealed to the user's own key, not only
// the database's; a sealed name in a saved query shows as […]; bad input
// changes nothing.
func TestSavedSearches(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testSavedSearches(t, Options{WorkFactor: 10}) })
	t.Run("postgres", func(t *testing.T) {
		testSavedSearches(t, Options{WorkFactor: 10, DB: testenv.PostgresSchema(t)})
	})
}

func testSavedSearches(t *testing.T, opt Options) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "archive")
	adm, err := Init(ctx, dir, "admin", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]string{"inv": RoleInvestigator, "ana": RoleAnalyst} {
		if _, err := adm.AddUser(ctx, name, role, testPass); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := adm.AddWitness(ctx, Witness{Pseudonym: "W-17", Names: []string{"림송화"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.AddRecord(ctx, &model.Event{Title: "두만강 도강", Date: model.Date{From: "1998", Precision: "year"}}); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	repo, err := OpenRepo(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	unlock := func(user string) *Session {
		s, err := repo.Unlock(ctx, user, testPass)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	inv, ana, adm := unlock("inv"), unlock("ana"), unlock("admin")

	saved, err := inv.SaveSearch(ctx, SavedSearch{Name: "river crossings", Query: "두만강", Kind: "event", From: 1990, To: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.ID) != 16 || saved.Name != "river crossings" || saved.Kind != "event" {
		t.Fatalf("saved %+v", saved)
	}
	secret := "림송화 두만강"
	named, err := inv.SaveSearch(ctx, SavedSearch{Name: "about 림송화", Query: secret})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(named.Name+named.Query, "림송화") {
		t.Errorf("a sealed name passed the guard on saving: %+v", named)
	}
	list, err := inv.SavedSearches(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %v %+v", err, list)
	}
	for _, s := range list {
		if strings.Contains(s.Name+s.Query, "림송화") {
			t.Errorf("a sealed name passed the guard in the list: %+v", s)
		}
	}
	got, hits, err := inv.RunSavedSearch(ctx, saved.ID, SearchOptions{Limit: 10})
	if err != nil || got.ID != saved.ID || len(hits) != 1 || hits[0].Kind != "event" {
		t.Fatalf("run: %v %+v %+v", err, got, hits)
	}

	// Another user: nothing listed, nothing opened, nothing run or deleted.
	for name, s := range map[string]*Session{"ana": ana, "admin": adm} {
		if l, err := s.SavedSearches(ctx); err != nil || len(l) != 0 {
			t.Errorf("%s lists %+v (%v)", name, l, err)
		}
		if _, err := s.SavedSearch(ctx, saved.ID); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("%s opens another's saved search: %v", name, err)
		}
		if _, _, err := s.RunSavedSearch(ctx, saved.ID, SearchOptions{}); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("%s runs another's saved search: %v", name, err)
		}
		if err := s.DeleteSavedSearch(ctx, saved.ID); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("%s deletes another's saved search: %v", name, err)
		}
	}
	// The stored row is sealed to inv's own key: whoever reads the
	// database (its key opens every meta value) reads nothing of it, and a
	// copy of it under another user's key does not open.
	raw, err := adm.db.Meta(ctx, metaSavedSearches+inv.User().ID)
	if err != nil || raw == "" {
		t.Fatalf("raw row: %v", err)
	}
	for _, s := range []string{"두만강", "river", "림송화", hexOf("두만강")} {
		if strings.Contains(raw, s) {
			t.Errorf("the stored row holds %q", s)
		}
	}
	if _, err := ana.readSaved(ctx, func(_ ctxT, _ string) (string, error) { return raw, nil }); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("another user's row opened: %v", err)
	}

	// Saving under a name again replaces it and keeps its ID.
	again, err := inv.SaveSearch(ctx, SavedSearch{Name: "river crossings", Query: "압록강"})
	if err != nil || again.ID != saved.ID || again.Query != "압록강" || again.Kind != "" {
		t.Fatalf("replace: %v %+v", err, again)
	}
	// Bad input: a clear error, and the list stays as it was.
	for _, bad := range []SavedSearch{
		{Name: "", Query: "x"},
		{Name: "x", Query: ""},
		{Name: "line\nbreak", Query: "x"},
		{Name: "x", Query: strings.Repeat("가", maxSavedQuery+1)},
		{Name: "x", Query: "x", From: 2000, To: 1990},
	} {
		if _, err := inv.SaveSearch(ctx, bad); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	for _, bad := range []string{"", "zz", "../x", strings.Repeat("a", 16)} {
		if _, err := inv.SavedSearch(ctx, bad); err == nil {
			t.Errorf("ID %q opened", bad)
		}
	}
	if l, _ := inv.SavedSearches(ctx); len(l) != 2 {
		t.Errorf("after bad input: %+v", l)
	}
	if err := inv.DeleteSavedSearch(ctx, saved.ID); err != nil {
		t.Fatal(err)
	}
	if err := inv.DeleteSavedSearch(ctx, saved.ID); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("deleted twice: %v", err)
	}
	if l, _ := inv.SavedSearches(ctx); len(l) != 1 || l[0].ID != named.ID {
		t.Errorf("after delete: %+v", l)
	}
	// A protection officer's own saved search shows the name it holds.
	mine, err := adm.SaveSearch(ctx, SavedSearch{Name: "W-17", Query: "림송화"})
	if err != nil || mine.Query != "림송화" {
		t.Errorf("protection's own: %v %+v", err, mine)
	}
}

type ctxT = context.Context

func hexOf(s string) string { return hex.EncodeToString([]byte(s)) }
