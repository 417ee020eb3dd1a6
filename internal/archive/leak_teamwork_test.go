package archive

import (
	"context"
	"errors"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
)

// plantTeamwork plants the identity in review notes and time-coded notes
// (the leak matrix, leak_test.go), and leaves a four-eyes request.
func (f *leakFixture) plantTeamwork(t *testing.T, event evidence.ID) {
	ctx := context.Background()
	a := f.po
	if _, err := a.RequestReview(ctx, event.String(), f.next()); err != nil {
		t.Fatal(err)
	}
	f.planted++
	if res, err := a.TagMany(ctx, []string{event.String()}, f.next(), false); err != nil || res[0].Error != "" {
		t.Fatalf("tag: %v %+v", err, res)
	}
	f.planted++
	audio := addAudio(t, a)
	f.timed = append(f.timed, audio)
	if _, err := a.AddTimeNote(ctx, audio.String(), 751000, f.next(), event.String()); err != nil {
		t.Fatal(err)
	}
	f.planted++
	if err := a.SetFourEyes(ctx, []string{model.ActionExport}); err != nil {
		t.Fatal(err)
	}
	var need *ApprovalNeeded
	if _, err := a.Export(ctx, []string{f.items[0].String()}, nil); !errors.As(err, &need) {
		t.Fatalf("export under four eyes: %v", err)
	}
	if err := a.SetFourEyes(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

// readTeamwork calls the read paths of review, time-coded notes and four
// eyes as s.
func (f *leakFixture) readTeamwork(t *testing.T, s *Archive, put func(string, any, error)) {
	ctx := context.Background()
	for _, id := range f.records {
		r, err := s.ReviewOf(ctx, id.String())
		put("review show", r, err)
		tags, err := s.Tags(ctx, id.String())
		put("tags", tags, err)
	}
	q, err := s.Reviews(ctx, "")
	put("review ls", q, err)
	for _, id := range f.timed {
		n, err := s.TimeNotes(ctx, id.String())
		put("time notes", n, err)
	}
	list, err := s.Approvals(ctx, "")
	put("approve ls", list, err)
	for _, r := range list {
		one, err := s.ApprovalOf(ctx, r.ID.String())
		put("approve show", one, err)
	}
}
