package archive

import (
	"errors"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/seal"
)

// TestRoleChangeRepairsOldReaderKeyring: a reader's keyring made before
// readers held the log key cannot read a testimony's item (the read could
// not be logged); a role given and taken away seals the keyring again with
// what the role needs, and the read then works and is logged.
func TestRoleChangeRepairsOldReaderKeyring(t *testing.T) {
	ctx := t.Context()
	a := newArchive(t)
	item := addAll(t, a, []string{writeTemp(t, "w1.ko.txt", koSentence)}, AddOptions{Lang: "ko"})[0].ID
	if _, err := a.AddRecord(ctx, &model.Testimony{Title: "Interview 1", Witness: "W-1", Original: &item}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddUser(ctx, "reader-old", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	users, err := a.db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var recipient string
	for _, u := range users {
		if u.Name == "reader-old" {
			recipient = u.Recipient
		}
	}
	// The keyring as sori wrote it for readers before the read audit.
	old, err := a.ring.Subset(seal.Grant{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.SealTo(recipient)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeKeyFiles(a.dir, map[string][]byte{locator(a.cfg.ID, "reader-old") + ".ring": sealed}); err != nil {
		t.Fatal(err)
	}
	read := func() error {
		rd, err := openAs(t, a.dir, "reader-old", testPass)
		if err != nil {
			return err
		}
		defer rd.Close()
		rc, _, err := rd.Open(ctx, item.String())
		if err == nil {
			rc.Close()
		}
		return err
	}
	if err := read(); !errors.Is(err, evidence.ErrForbidden) {
		t.Fatalf("an old reader keyring read a testimony's item: %v", err)
	}
	if _, _, err := a.ChangeRole(ctx, "reader-old", RoleAnalyst, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.ChangeRole(ctx, "reader-old", "", RoleAnalyst); err != nil {
		t.Fatal(err)
	}
	if err := read(); err != nil {
		t.Fatalf("after the role change: %v", err)
	}
}
