package archive

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/testenv"
)

// TestCompartmentPostgresS3: compartments on a shared archive (PostgreSQL
// and S3), where the database driver seals fields itself: a member's
// sealed versions and item keys round-trip, a non-member of another
// process's Repo reads nothing of them, and a move unindexes.
func TestCompartmentPostgresS3(t *testing.T) {
	ctx := context.Background()
	opt := Options{WorkFactor: 10, DB: testenv.PostgresSchema(t), Blobs: testenv.S3Bucket(t, "compartment")}
	dir := filepath.Join(t.TempDir(), "archive")
	adm, err := Init(ctx, dir, "admin-kim", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"mem", "other"} {
		if _, err := adm.AddUser(ctx, u, RoleInvestigator, testPass); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := adm.CreateCompartment(ctx, "case-pg", []string{"mem"}); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	open := func(user string) *Archive {
		t.Helper()
		s, err := Open(ctx, dir, user, testPass, Options{WorkFactor: 10})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	mem := open("mem")
	item := addIn(t, mem, "case-pg", "Xylophant title", "", "그는 극비요덕수 라고 말했다.\n")
	tid, err := mem.AddRecordsIn(ctx, "case-pg", []model.Body{&model.Testimony{Title: "Xylophant testimony", Witness: "W-2", Date: model.Date{Precision: "unknown"}, Original: &item}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	open2 := addIn(t, mem, "", "an open Xylophant item", "", "극비요덕수 in the open\n")
	if _, err := mem.MoveToCompartment(ctx, "case-pg", []string{open2.String()}); err != nil {
		t.Fatal(err)
	}
	hits, err := mem.Search(ctx, "극비요덕수", SearchOptions{})
	if err != nil || len(hits) != 2 {
		t.Fatalf("member's search: %+v %v", hits, err)
	}
	other := open("other")
	if hits, err := other.Search(ctx, "Xylophant", SearchOptions{}); err != nil || len(hits) != 0 {
		t.Errorf("a non-member finds %+v %v", hits, err)
	}
	var listed []string
	if err := other.List(ctx, func(l Listed) error { listed = append(listed, l.Record.Title); return nil }); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(listed, "|"); strings.Contains(got, "Xylophant") || !strings.Contains(got, "[restricted: case-pg]") {
		t.Errorf("a non-member lists %q", got)
	}
	if _, err := other.Record(ctx, tid[0].String()); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("a non-member reads the testimony: %v", err)
	}
	if _, _, err := other.Open(ctx, item.String()); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("a non-member opens the item: %v", err)
	}
	info, err := mem.Record(ctx, tid[0].String())
	if err != nil || !strings.Contains(info.Current.(*model.Testimony).Title, "Xylophant") {
		t.Errorf("the member reads the testimony: %v", err)
	}
}
