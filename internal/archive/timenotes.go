package archive

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
)

// Time-coded notes: an annotation of an audio or video item at a time
// from its start ("at 12:31 the witness names the camp"), rather than at a
// byte span. They are annotations (model.Annotation with At), so they are
// written, indexed, masked and disclosed like every other annotation.

// TimeNote is one time-coded note as shown to users.
type TimeNote struct {
	ID      evidence.ID  `json:"id"`
	Version int          `json:"version"`
	Item    evidence.ID  `json:"item"`
	At      int64        `json:"at_ms"`
	Time    string       `json:"at"` // At as H:MM:SS or M:SS
	Note    string       `json:"note"`
	Target  *evidence.ID `json:"target,omitempty"`
}

// AddTimeNote stores a note at atMS milliseconds into the audio or video
// item ref, optionally linked to the record target ("" for none), and
// returns its ID.
func (a *Archive) AddTimeNote(ctx context.Context, ref string, atMS int64, note, target string) (evidence.ID, error) {
	if err := a.allow(OpRecordAdd); err != nil {
		return evidence.ID{}, err
	}
	item, err := a.Resolve(ctx, ref)
	if err != nil {
		return evidence.ID{}, err
	}
	an := &model.Annotation{Item: item, Note: note, At: &atMS}
	if target != "" {
		if an.Target, err = a.resolveRecord(ctx, target); err != nil {
			return evidence.ID{}, err
		}
	}
	return a.AddRecord(ctx, an)
}

// TimeNotes lists the time-coded notes of item ref, earliest time first,
// through the disclosure guard.
func (a *Archive) TimeNotes(ctx context.Context, ref string) ([]TimeNote, error) {
	if err := a.allow(OpList); err != nil {
		return nil, err
	}
	item, err := a.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := []TimeNote{}
	err = a.Records(ctx, model.KindAnnotation, func(id evidence.ID, b model.Body) error {
		an := b.(*model.Annotation)
		if an.At == nil || an.Item != item {
			return nil
		}
		n := TimeNote{ID: id, Item: item, At: *an.At, Time: FormatTimecode(*an.At), Note: an.Note}
		if !an.Target.IsZero() {
			t := an.Target
			n.Target = &t
		}
		out = append(out, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out, nil
}

// checkTimedItem refuses a time-coded note on an item that is not audio
// or video.
func (a *Archive) checkTimedItem(ctx context.Context, tx store.Tx, id evidence.ID) error {
	kind, err := a.mediaKind(ctx, tx, id)
	if err != nil {
		return err
	}
	if kind != evidence.Audio && kind != evidence.Video {
		return fmt.Errorf("%w: item %s is not audio or video: a time-coded note needs a recording (annotate a transcript with --span)", evidence.ErrInvalid, id)
	}
	return nil
}

// ParseTimecode reads a time from the start of a recording: SS, M:SS or
// H:MM:SS, the seconds optionally with up to three decimals (12:31,
// 1:02:03.250). It returns milliseconds. Minutes and seconds after the
// first field must be below 60.
func ParseTimecode(s string) (int64, error) {
	bad := func() (int64, error) {
		return 0, fmt.Errorf("%w: a time is SS, M:SS or H:MM:SS, seconds with up to 3 decimals (12:31, 1:02:03.250)", evidence.ErrInvalid)
	}
	if s == "" || len(s) > 16 {
		return bad()
	}
	fields := strings.Split(s, ":")
	if len(fields) > 3 {
		return bad()
	}
	last := fields[len(fields)-1]
	var ms int64
	if i := strings.IndexByte(last, '.'); i >= 0 {
		frac := last[i+1:]
		last = last[:i]
		if frac == "" || len(frac) > 3 || !digits(frac) {
			return bad()
		}
		f, _ := strconv.ParseInt(frac+strings.Repeat("0", 3-len(frac)), 10, 64)
		ms = f
	}
	fields[len(fields)-1] = last
	var total int64
	for i, f := range fields {
		if f == "" || len(f) > 6 || !digits(f) {
			return bad()
		}
		n, _ := strconv.ParseInt(f, 10, 64)
		if i > 0 && (n >= 60 || len(f) != 2) {
			return bad()
		}
		total = total*60 + n
	}
	total = total*1000 + ms
	if total > model.MaxAt {
		return 0, fmt.Errorf("%w: a time-coded note lies within 100 hours of the start", evidence.ErrInvalid)
	}
	return total, nil
}

// FormatTimecode writes milliseconds as M:SS or H:MM:SS, with .mmm when
// not a whole second: what ParseTimecode reads back.
func FormatTimecode(ms int64) string {
	if ms < 0 {
		ms = 0
	}
	s, frac := ms/1000, ms%1000
	h, m, sec := s/3600, s/60%60, s%60
	var out string
	if h > 0 {
		out = fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	} else {
		out = fmt.Sprintf("%d:%02d", m, sec)
	}
	if frac != 0 {
		out += fmt.Sprintf(".%03d", frac)
	}
	return out
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
