package archive

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
)

// Redactions (docs/publish.md): an investigator marks a span of a
// transcript that publication replaces with a marker. The mark is a model
// record (model.Redaction) with its custody entry; the item is never
// touched. Withdrawing a mark is a new version with Withdrawn set.

// RedactionInfo is the current version of one redaction record.
type RedactionInfo struct {
	ID        evidence.ID `json:"id"`
	Version   int         `json:"version"`
	Item      evidence.ID `json:"item"`
	Start     int         `json:"start"`
	End       int         `json:"end"`
	Reason    string      `json:"reason"`
	Withdrawn bool        `json:"withdrawn"`
}

// maxRedactText is the largest item whose spans are checked and redacted:
// a transcript, not a recording.
const maxRedactText = 64 << 20

// AddRedaction marks bytes start (inclusive) to end (exclusive) of the
// text item ref as never to be published, for reason (which MUST NOT quote
// the text it hides: it is listed by 'publish --dry-run'). The span must
// lie within the item's bytes and on UTF-8 character boundaries. Bad input
// is an error wrapping evidence.ErrInvalid and stores nothing.
func (a *Archive) AddRedaction(ctx context.Context, ref string, start, end int, reason string) (RedactionInfo, error) {
	if err := a.allow(OpRedact); err != nil {
		return RedactionInfo{}, err
	}
	item, err := a.Resolve(ctx, ref)
	if err != nil {
		return RedactionInfo{}, err
	}
	r := &model.Redaction{Item: item, Start: start, End: end, Reason: reason}
	ids, err := a.addRecords(ctx, OpRedact, []model.Body{r}, nil)
	if err != nil {
		return RedactionInfo{}, err
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return RedactionInfo{}, err
	}
	return discloseAs(d, RedactionInfo{ID: ids[0], Version: 1, Item: item, Start: start, End: end, Reason: reason}), nil
}

// Redactions lists the current version of every redaction record, of the
// item ref only when ref is not "", in the order they were made.
func (a *Archive) Redactions(ctx context.Context, ref string) ([]RedactionInfo, error) {
	if err := a.allow(OpRedact); err != nil {
		return nil, err
	}
	var item evidence.ID
	if ref != "" {
		id, err := a.Resolve(ctx, ref)
		if err != nil {
			return nil, err
		}
		item = id
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return nil, err
	}
	out, err := a.redactions(ctx, item)
	return discloseAs(d, out), err
}

// redactions is Redactions without the role check; a zero item means all.
func (a *Archive) redactions(ctx context.Context, item evidence.ID) ([]RedactionInfo, error) {
	out := []RedactionInfo{}
	err := a.db.EachRecord(ctx, model.KindRedaction, true, func(row store.RecordRow) error {
		rec, err := a.decodeRecordRow(ctx, row)
		if isRestricted(err) {
			return nil // in a compartment this user is not a member of
		}
		if err != nil {
			return err
		}
		b, err := model.DecodeBody(rec)
		if err != nil {
			return fmt.Errorf("%w: %v", evidence.ErrDamaged, err)
		}
		r := b.(*model.Redaction)
		if item.IsZero() || r.Item == item {
			out = append(out, RedactionInfo{ID: rec.ID, Version: rec.Version, Item: r.Item, Start: r.Start, End: r.End, Reason: r.Reason, Withdrawn: r.Withdrawn})
		}
		return nil
	})
	return out, err
}

// WithdrawRedaction lifts the redaction ref: a new version with Withdrawn
// set, so that the mark and its withdrawal both stay in the custody log.
// Withdrawing twice, or a record that is not a redaction, is invalid.
func (a *Archive) WithdrawRedaction(ctx context.Context, ref string) (RedactionInfo, error) {
	if err := a.allow(OpRedact); err != nil {
		return RedactionInfo{}, err
	}
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return RedactionInfo{}, err
	}
	rows, err := a.db.RecordVersions(ctx, id)
	if err != nil {
		return RedactionInfo{}, err
	}
	if len(rows) == 0 {
		return RedactionInfo{}, fmt.Errorf("%w: no record %s", evidence.ErrNotFound, id)
	}
	rec, err := a.decodeRecordRow(ctx, rows[len(rows)-1])
	if err != nil {
		return RedactionInfo{}, err
	}
	// A redaction protects someone: whoever made it may lift it, and
	// beyond them only a role that may set consent (not an analyst).
	if rec.Kind == model.KindRedaction && rows[0].Actor != a.me.ID && !Permits(a.me.Role, OpConsent) {
		return RedactionInfo{}, fmt.Errorf("%w: redaction %s was made by another user; only they, or a role that may set consent (docs/roles.md), may withdraw it", evidence.ErrForbidden, id)
	}
	if rec.Kind != model.KindRedaction {
		return RedactionInfo{}, fmt.Errorf("%w: %s is %s %s record, not a redaction", evidence.ErrInvalid, id, article(rec.Kind), rec.Kind)
	}
	b, err := model.DecodeBody(rec)
	if err != nil {
		return RedactionInfo{}, fmt.Errorf("%w: %v", evidence.ErrDamaged, err)
	}
	r := b.(*model.Redaction)
	if r.Withdrawn {
		return RedactionInfo{}, fmt.Errorf("%w: redaction %s is already withdrawn", evidence.ErrInvalid, id)
	}
	r.Withdrawn = true
	v, _, err := a.updateRecord(ctx, OpRedact, id, r)
	if err != nil {
		return RedactionInfo{}, err
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return RedactionInfo{}, err
	}
	return discloseAs(d, RedactionInfo{ID: id, Version: v, Item: r.Item, Start: r.Start, End: r.End, Reason: r.Reason, Withdrawn: true}), nil
}

func article(word string) string {
	if word != "" && (word[0] == 'a' || word[0] == 'e' || word[0] == 'i' || word[0] == 'o' || word[0] == 'u') {
		return "an"
	}
	return "a"
}

// checkRedactionSpan makes sure a redaction's item is text and its span
// lies within the item's bytes, on character boundaries. Its errors give
// offsets only, never the text.
func (a *Archive) checkRedactionSpan(ctx context.Context, tx store.Tx, r *model.Redaction) error {
	it, err := tx.Item(ctx, r.Item)
	if err != nil {
		return fmt.Errorf("item %s: %w", r.Item, err)
	}
	if int64(r.End) > it.Size {
		return fmt.Errorf("%w: span %d:%d lies beyond the end of item %s (%d bytes)", evidence.ErrInvalid, r.Start, r.End, r.Item, it.Size)
	}
	kind, err := a.mediaKind(ctx, tx, r.Item)
	if err != nil {
		return err
	}
	if kind != "" {
		return fmt.Errorf("%w: item %s is %s item: only text can be redacted (its bytes are never published)", evidence.ErrInvalid, r.Item, article(string(kind))+" "+string(kind))
	}
	if it.Size > maxRedactText {
		return fmt.Errorf("%w: item %s is larger than %d bytes: not a transcript", evidence.ErrInvalid, r.Item, maxRedactText)
	}
	b, err := a.itemBytes(ctx, it)
	if err != nil {
		return err
	}
	if !looksLikeText(b) {
		return fmt.Errorf("%w: item %s is not UTF-8 text: only text can be redacted", evidence.ErrInvalid, r.Item)
	}
	return checkRuneSpan(b, r.Start, r.End, r.Item)
}

// mediaKind is the kind of an item by its latest record when it is audio,
// video or an image, and "" for anything else (text, or unknown bytes).
func (a *Archive) mediaKind(ctx context.Context, tx store.Tx, id evidence.ID) (evidence.Kind, error) {
	v, err := tx.LatestVersion(ctx, id)
	if err != nil {
		return "", err
	}
	rec, err := a.decodeVersion(ctx, v)
	if err != nil {
		return "", err
	}
	switch rec.Kind {
	case evidence.Audio, evidence.Video, evidence.Image:
		return rec.Kind, nil
	}
	return "", nil
}

// checkRuneSpan makes sure a span of a text's bytes starts and ends on
// character boundaries.
func checkRuneSpan(b []byte, start, end int, item evidence.ID) error {
	for _, off := range []int{start, end} {
		if off >= 0 && off < len(b) && !utf8.RuneStart(b[off]) {
			return fmt.Errorf("%w: span %d:%d: offset %d splits a character of item %s (offsets count bytes: a Hangul syllable is 3)", evidence.ErrInvalid, start, end, off, item)
		}
	}
	return nil
}

// checkAnnotationSpan makes sure an annotation of a text item does not cut
// a character in two (a span of a recording or an image is bytes, and is
// left as it is). Its errors give offsets only, never the text.
func (a *Archive) checkAnnotationSpan(ctx context.Context, tx store.Tx, it store.Item, an *model.Annotation) error {
	if an.At != nil {
		return a.checkTimedItem(ctx, tx, it.ID)
	}
	if it.Size > maxRedactText {
		return nil // not a transcript
	}
	if kind, err := a.mediaKind(ctx, tx, it.ID); err != nil || kind != "" {
		return err
	}
	b, err := a.itemBytes(ctx, it)
	if err != nil {
		return err
	}
	defer clear(b)
	if !looksLikeText(b) {
		return nil
	}
	return checkRuneSpan(b, an.Start, an.End, it.ID)
}

// itemBytes reads an item's original bytes, checked against its digest.
func (a *Archive) itemBytes(ctx context.Context, it store.Item) ([]byte, error) {
	rc, err := a.openItem(ctx, it)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// AddRedactionMatch marks every occurrence (all) or the one occurrence of
// match in the text item ref — as written, in NFC or in NFD — as never to
// be published, in one transaction: no byte counting for Hangul. No
// occurrence, or more than one without all, is an error wrapping
// evidence.ErrInvalid that stores nothing; no error repeats match.
func (a *Archive) AddRedactionMatch(ctx context.Context, ref, match string, all bool, reason string) ([]RedactionInfo, error) {
	if err := a.allow(OpRedact); err != nil {
		return nil, err
	}
	if strings.TrimSpace(match) == "" || !utf8.ValidString(match) {
		return nil, fmt.Errorf("%w: give the text to find (valid UTF-8, not blank)", evidence.ErrInvalid)
	}
	item, err := a.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	it, err := a.db.Item(ctx, item)
	if err != nil {
		return nil, err
	}
	if it.Size > maxRedactText {
		return nil, fmt.Errorf("%w: item %s is larger than a transcript", evidence.ErrInvalid, item)
	}
	b, err := a.itemBytes(ctx, it)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	if !looksLikeText(b) {
		return nil, fmt.Errorf("%w: item %s is not UTF-8 text: redact it by --span", evidence.ErrInvalid, item)
	}
	spans := matchSpans(string(b), match)
	switch {
	case len(spans) == 0:
		return nil, fmt.Errorf("%w: the text given does not occur in item %s (it is not repeated here); nothing was marked", evidence.ErrInvalid, item)
	case len(spans) > 1 && !all:
		return nil, fmt.Errorf("%w: the text given occurs %d times in item %s: give --all to mark every one, or --span for one; nothing was marked", evidence.ErrInvalid, len(spans), item)
	}
	bodies := make([]model.Body, len(spans))
	for i, sp := range spans {
		bodies[i] = &model.Redaction{Item: item, Start: sp[0], End: sp[1], Reason: reason}
	}
	ids, err := a.addRecords(ctx, OpRedact, bodies, nil)
	if err != nil {
		return nil, err
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]RedactionInfo, len(spans))
	for i, sp := range spans {
		out[i] = RedactionInfo{ID: ids[i], Version: 1, Item: item, Start: sp[0], End: sp[1], Reason: reason}
	}
	return discloseAs(d, out), nil
}

// matchSpans returns the byte spans of text where match occurs, in the
// form given, NFC or NFD, sorted and not overlapping.
func matchSpans(text, match string) [][2]int {
	var out [][2]int
	seen := map[[2]int]bool{}
	for _, m := range []string{match, norm.NFC.String(match), norm.NFD.String(match)} {
		for at := 0; ; {
			i := strings.Index(text[at:], m)
			if i < 0 {
				break
			}
			sp := [2]int{at + i, at + i + len(m)}
			if !seen[sp] {
				seen[sp] = true
				out = append(out, sp)
			}
			at = sp[1]
		}
	}
	slices.SortFunc(out, func(x, y [2]int) int { return x[0] - y[0] })
	kept := out[:0]
	end := -1
	for _, sp := range out {
		if sp[0] >= end {
			kept = append(kept, sp)
			end = sp[1]
		}
	}
	return kept
}
