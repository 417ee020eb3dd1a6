package archive_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/verify"
)

// TestTagMany: tags are put on and lifted from records in bulk, a result
// per record; each step appends a version of the tag's own record (never
// an overwrite) with its custody entry; a reader may not tag; a sealed
// name in a tag shows as […] to a role without protection; verify accepts
// the log.
func TestTagMany(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "archive")
	opt := archive.Options{WorkFactor: 10}
	adm, err := archive.Init(ctx, dir, "kim", repoPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]string{"ana": archive.RoleAnalyst, "choi": archive.RoleReader} {
		if _, err := adm.AddUser(ctx, name, role, repoPass); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := adm.AddWitness(ctx, archive.Witness{Pseudonym: "W-5", Names: []string{"림송화"}}); err != nil {
		t.Fatal(err)
	}
	ev, err := adm.AddRecord(ctx, &model.Event{Title: "Crossing", Date: model.Date{From: "1998", Precision: "year"}})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := adm.AddRecord(ctx, &model.Place{Names: []string{"Invented hut"}, Type: "river_crossing"})
	if err != nil {
		t.Fatal(err)
	}
	adm.Close()
	repo, err := archive.OpenRepo(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	as := func(user string) *archive.Session {
		s, err := repo.Unlock(ctx, user, repoPass)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	ana, choi, kim := as("ana"), as("choi"), as("kim")
	size := func() int64 { n, _ := kim.Inspect().TreeSize(ctx); return n }

	before := size()
	res, err := ana.TagMany(ctx, []string{ev.String(), pl.String(), "ffffffffffff"}, "  needs translation ", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].Error != "" || res[1].Error != "" || res[2].Error == "" || res[0].ID != ev {
		t.Fatalf("results %+v", res)
	}
	if got := size() - before; got != 2 {
		t.Errorf("%d custody entries for two tags", got)
	}
	if tags, err := choi.Tags(ctx, ev.String()); err != nil || !slices.Equal(tags, []string{"needs translation"}) {
		t.Errorf("tags %v %v", tags, err)
	}
	// Again: refused, per record, nothing written.
	before = size()
	res, _ = ana.TagMany(ctx, []string{ev.String()}, "needs translation", false)
	if res[0].Error == "" || size() != before {
		t.Errorf("tagged twice: %+v", res)
	}
	// Lifted: a new version of the tag's record; the first stays.
	if res, _ = ana.TagMany(ctx, []string{ev.String()}, "needs translation", true); res[0].Error != "" {
		t.Fatalf("untag: %+v", res)
	}
	if tags, _ := choi.Tags(ctx, ev.String()); len(tags) != 0 {
		t.Errorf("after untag: %v", tags)
	}
	if res, _ = ana.TagMany(ctx, []string{ev.String()}, "needs translation", true); res[0].Error == "" {
		t.Errorf("untagged twice: %+v", res)
	}
	// A reader may not; a bad tag is refused whole; a review record takes
	// no tags.
	if _, err := choi.TagMany(ctx, []string{ev.String()}, "x", false); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("a reader tags: %v", err)
	}
	for _, bad := range []string{"", "two\nlines", strings.Repeat("가", 61)} {
		if _, err := ana.TagMany(ctx, []string{ev.String()}, bad, false); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("tag %q: %v", bad, err)
		}
	}
	rv, err := kim.RequestReview(ctx, pl.String(), "")
	if err != nil {
		t.Fatal(err)
	}
	_ = rv
	// A sealed name in a tag: masked for a role without protection.
	if res, _ = kim.TagMany(ctx, []string{pl.String()}, "asked 림송화", false); res[0].Error != "" {
		t.Fatalf("tag with a name: %+v", res)
	}
	if tags, _ := ana.Tags(ctx, pl.String()); len(tags) != 2 || strings.Contains(strings.Join(tags, " "), "림송화") {
		t.Errorf("an analyst sees tags %v", tags)
	}
	if tags, _ := kim.Tags(ctx, pl.String()); !slices.Contains(tags, "asked 림송화") {
		t.Errorf("protection sees tags %v", tags)
	}
	rep, err := verify.Archive(ctx, kim, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		t.Errorf("verify: %s", f)
	}
}

// TestTagOnlyByItsOwnPath: a tag record cannot be written as a record
// (import, record commands): only TagMany makes one.
func TestTagOnlyByItsOwnPath(t *testing.T) {
	ctx := t.Context()
	a, err := archive.Init(ctx, filepath.Join(t.TempDir(), "archive"), "kim", repoPass, archive.Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ev, err := a.AddRecord(ctx, &model.Event{Title: "Crossing", Date: model.Date{From: "1998", Precision: "year"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddRecord(ctx, &model.Tag{Target: ev, Tag: "x"}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("a tag added as a record: %v", err)
	}
}

// TestTagsInCompartment: a tag refers to its record, so moving the record
// into a compartment takes its tags along, sealed: a member sees them, a
// non-member sees none and cannot tag it; verify accepts the log.
func TestTagsInCompartment(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "archive")
	opt := archive.Options{WorkFactor: 10}
	adm, err := archive.Init(ctx, dir, "kim", repoPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]string{"lee": archive.RoleInvestigator, "ana": archive.RoleAnalyst} {
		if _, err := adm.AddUser(ctx, name, role, repoPass); err != nil {
			t.Fatal(err)
		}
	}
	ev, err := adm.AddRecord(ctx, &model.Event{Title: "Crossing", Date: model.Date{From: "1998", Precision: "year"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CreateCompartment(ctx, "case-1", []string{"kim", "lee"}); err != nil {
		t.Fatal(err)
	}
	if res, err := adm.TagMany(ctx, []string{ev.String()}, "confidential lead", false); err != nil || res[0].Error != "" {
		t.Fatalf("tag: %v %+v", err, res)
	}
	if _, err := adm.MoveToCompartment(ctx, "case-1", []string{ev.String()}); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	repo, err := archive.OpenRepo(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	as := func(user string) *archive.Session {
		s, err := repo.Unlock(ctx, user, repoPass)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	lee, ana, kim := as("lee"), as("ana"), as("kim")
	if tags, err := lee.Tags(ctx, ev.String()); err != nil || !slices.Equal(tags, []string{"confidential lead"}) {
		t.Errorf("a member sees tags %v %v", tags, err)
	}
	if tags, _ := ana.Tags(ctx, ev.String()); len(tags) != 0 {
		t.Errorf("a non-member sees tags %v", tags)
	}
	if res, err := ana.TagMany(ctx, []string{ev.String()}, "x", false); err == nil && res[0].Error == "" {
		t.Errorf("a non-member tagged a record in a compartment")
	}
	if res, err := lee.TagMany(ctx, []string{ev.String()}, "second", false); err != nil || res[0].Error != "" {
		t.Errorf("a member's tag: %v %+v", err, res)
	}
	if tags, _ := ana.Tags(ctx, ev.String()); len(tags) != 0 {
		t.Errorf("a non-member sees a member's new tag: %v", tags)
	}
	rep, err := verify.Archive(ctx, kim, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		t.Errorf("verify: %s", f)
	}
}
