package archive

import (
	"context"
	"strings"
	"testing"
)

// TestSnippetGuardFollowsVault: the safety net that masks snippets is kept
// between searches (snippetGuard), yet follows the vault: a name sealed
// after a first search is masked in the next one's snippets, for a session
// that sees values as stored (the protection officer who sealed it) and
// for a reader's session in another process.
func TestSnippetGuardFollowsVault(t *testing.T) {
	ctx := context.Background()
	po := newArchive(t)
	if _, err := po.AddUser(ctx, "reader-oh", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	addText(t, po, "t.txt", "그날 박철민은 두만강을 건넜다. Later Park Cheol-min crossed the Tumen river.\n")
	rd, err := openAs(t, po.dir, "reader-oh", testPass)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	snippet := func(a *Archive) string {
		t.Helper()
		hits, err := a.Search(ctx, "두만강", SearchOptions{Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 {
			t.Fatalf("%d hits, want 1", len(hits))
		}
		return hits[0].Snippet
	}
	for who, a := range map[string]*Archive{"protection": po, "reader": rd} {
		if s := snippet(a); !strings.Contains(s, "박철민") {
			t.Fatalf("%s, nothing sealed yet: snippet %q", who, s)
		}
	}
	if _, err := po.AddWitness(ctx, vaultW19); err != nil {
		t.Fatal(err)
	}
	for who, a := range map[string]*Archive{"protection": po, "reader": rd} {
		s := snippet(a)
		if strings.Contains(s, "박철민") || !strings.Contains(s, Mask) {
			t.Errorf("%s, after the name was sealed: snippet %q", who, s)
		}
	}
}
