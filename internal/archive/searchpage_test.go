package archive

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sori/internal/model"
	"sori/internal/store"
)

// TestSnippetsAsSearch: hits searched without snippets, then given their
// snippets by Snippets, are what Search with snippets gives — for the
// hits passed, and only those — as the protection officer and as a
// reader, with a sealed name in the text masked.
func TestSnippetsAsSearch(t *testing.T) {
	ctx := t.Context()
	a := newArchive(t)
	dir := t.TempDir()
	var paths []string
	for i := range 30 {
		var b strings.Builder
		for j := range i * 7 { // the match further in, part after part
			fmt.Fprintf(&b, "줄 %d-%d 평범한 하루였다. The day %d was ordinary.\n", i, j, j)
		}
		fmt.Fprintf(&b, "그날 밤 한은별과 두만강을 건넜다 (%d). We crossed the Tumen with Han Eun-byeol.\n", i)
		p := filepath.Join(dir, fmt.Sprintf("t%02d.txt", i))
		writeFile(t, p, []byte(b.String()))
		paths = append(paths, p)
	}
	addAll(t, a, paths, AddOptions{Lang: "ko"})
	if _, err := a.AddRecord(ctx, &model.Event{Title: "두만강 crossing"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-5", Names: []string{"한은별", "Han Eun-byeol"}}); err != nil {
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
		for _, q := range []string{"두만강", "Tumen crossed"} {
			full, err := s.Search(ctx, q, SearchOptions{Limit: 200, Open: "<", Shut: ">"})
			if err != nil {
				t.Fatal(err)
			}
			bare, err := s.Search(ctx, q, SearchOptions{Limit: 200, NoSnippets: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(full) < 25 || len(bare) != len(full) {
				t.Fatalf("%s %q: %d hits with snippets, %d without", s.me.Name, q, len(full), len(bare))
			}
			for i := range bare {
				if bare[i].Doc != full[i].Doc || bare[i].Snippet != "" {
					t.Fatalf("%s %q: hit %d: %s %q without snippets, %s with", s.me.Name, q, i, bare[i].Doc, bare[i].Snippet, full[i].Doc)
				}
			}
			shown := slices.Clone(bare[5:25])
			if err := s.Snippets(ctx, q, shown, "<", ">"); err != nil {
				t.Fatal(err)
			}
			for i, h := range shown {
				if want := full[5+i].Snippet; h.Snippet != want || !strings.Contains(h.Snippet, "<") {
					t.Errorf("%s %q: hit %d: snippet %q, Search gives %q", s.me.Name, q, 5+i, h.Snippet, want)
				}
				// The index and snippets hold no sealed name, whoever
				// searches: the sentence that named the witness shows a
				// mask where the name was.
				if strings.Contains(h.Snippet, "한은별") || strings.Contains(h.Snippet, "Eun-byeol") || strings.Contains(h.Snippet, "건넜다") != strings.Contains(h.Snippet, "[…]") {
					t.Errorf("%s %q: hit %d: snippet %q", s.me.Name, q, 5+i, h.Snippet)
				}
			}
			if bare[4].Snippet != "" || bare[25].Snippet != "" {
				t.Errorf("%s %q: Snippets touched hits it was not given", s.me.Name, q)
			}
		}
	}
	// A query holding a sealed name finds nothing for a session without
	// protection, and cuts nothing, even for a hit the caller made up.
	hits := []store.Hit{{Doc: addedID(t, a, paths[3]), Part: 1, Title: "x"}}
	if err := rdr.Snippets(ctx, "한은별", hits, "<", ">"); err != nil || hits[0].Snippet != "" {
		t.Errorf("snippet for a sealed name: %q %v", hits[0].Snippet, err)
	}
	if err := rdr.Snippets(ctx, "Tumen", hits, "<", ">"); err != nil || !strings.Contains(hits[0].Snippet, "<Tumen>") {
		t.Errorf("snippet of a hit the caller made up, for another query: %q %v", hits[0].Snippet, err)
	}
}

// addedID is the ID of the item added from path (its bytes' item).
func addedID(t *testing.T, a *Archive, path string) string {
	t.Helper()
	var id string
	err := a.List(t.Context(), func(l Listed) error {
		if l.Record.Filename == filepath.Base(path) {
			id = l.ID.String()
		}
		return nil
	})
	if err != nil || id == "" {
		t.Fatalf("no item from %s: %v", path, err)
	}
	return id
}

// TestItemLangsAndSnippetsGuarded: ItemLangs gives an item's language only
// where Show would show the item, and never a voided one's; Snippets cuts
// nothing of a voided item, nor of a compartment's item for a non-member
// (even a hit made up by the caller), and cuts a member's.
func TestItemLangsAndSnippetsGuarded(t *testing.T) {
	ctx := t.Context()
	a := newArchive(t)
	add := func(name, lang, text string) string {
		p := filepath.Join(t.TempDir(), name)
		writeFile(t, p, []byte(text))
		return addAll(t, a, []string{p}, AddOptions{Lang: lang})[0].ID.String()
	}
	ko := add("ko.txt", "ko", "두만강을 건넜다.\n")
	en := add("en.txt", "en", "We crossed the Tumen.\n")
	secret := add("secret.txt", "ru", "Tumen crossing, the secret case.\n")
	void := add("void.txt", "ja", "Tumen crossing, voided.\n")
	ev, err := a.AddRecord(ctx, &model.Event{Title: "Tumen"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Void(ctx, void, "entered twice"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateCompartment(ctx, "case-1", []string{a.me.Name}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.MoveToCompartment(ctx, "case-1", []string{secret}); err != nil {
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
	ids := []string{ko, en, secret, void, ev.String(), "not an id", strings.Repeat("0", len(ko)-1) + "1"}
	for _, c := range []struct {
		s    *Archive
		want map[string]string
	}{
		{a, map[string]string{ko: "ko", en: "en", secret: "ru"}},
		{rdr, map[string]string{ko: "ko", en: "en"}},
	} {
		got, err := c.s.ItemLangs(ctx, ids)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: ItemLangs = %v %v, want %v", c.s.me.Name, got, err, c.want)
		}
	}
	// The member finds the compartment's item and gets its snippet.
	hits, err := a.Search(ctx, "Tumen", SearchOptions{Limit: 200, NoSnippets: true})
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]store.Hit{}
	for _, h := range hits {
		docs[h.Doc] = h
	}
	if _, ok := docs[secret]; !ok {
		t.Fatalf("the member does not find the compartment's item: %v", hits)
	}
	if _, ok := docs[void]; ok {
		t.Fatalf("the search finds the voided item")
	}
	if err := a.Snippets(ctx, "Tumen", hits, "<", ">"); err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.Doc == secret && !strings.Contains(h.Snippet, "secret") {
			t.Errorf("the member's snippet of the compartment's item: %q", h.Snippet)
		}
	}
	// Hits made up by a caller: the compartment's item and the voided
	// item, in the parts that hold the text.
	for _, s := range []*Archive{a, rdr} {
		made := []store.Hit{{Doc: secret, Part: 1}, {Doc: void, Part: 1}, {Doc: en, Part: 1}}
		if err := s.Snippets(ctx, "Tumen", made, "<", ">"); err != nil {
			t.Fatal(err)
		}
		if made[1].Snippet != "" {
			t.Errorf("%s: a snippet of the voided item: %q", s.me.Name, made[1].Snippet)
		}
		if s == rdr && made[0].Snippet != "" {
			t.Errorf("a non-member gets a snippet of the compartment's item: %q", made[0].Snippet)
		}
		if !strings.Contains(made[2].Snippet, "<Tumen>") {
			t.Errorf("%s: no snippet of a readable item: %q", s.me.Name, made[2].Snippet)
		}
	}
}
