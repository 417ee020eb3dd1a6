package archive

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"sori/internal/evidence"
	"sori/internal/store"
	"sori/internal/textindex"
)

// A search page ranks many hits and shows a few: it searches without
// snippets (SearchOptions.NoSnippets), counts its facets over every hit,
// and asks for the snippets of the hits it shows (Snippets) and the
// languages of the items among them (ItemLangs). Both go through the same
// checks as Search and Show.

// ItemLangs returns the language of each of ids that is an item the
// session may read, by ID, in one call: IDs that are not items (records,
// malformed), voided items, items in a compartment the user is not a
// member of, and items without a language are absent. Each item's current
// record is decoded as Show decodes it (checked against its digest).
func (a *Archive) ItemLangs(ctx context.Context, ids []string) (map[string]string, error) {
	if err := a.allow(OpShow); err != nil {
		return nil, err
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return nil, err
	}
	voided, err := a.voided(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, doc := range ids {
		id, err := evidence.ParseID(doc)
		if err != nil {
			continue
		}
		if _, ok := voided[id]; ok || !a.canRead(doc) {
			continue
		}
		if _, ok := out[doc]; ok {
			continue
		}
		v, err := a.db.LatestVersion(ctx, id)
		if errors.Is(err, evidence.ErrNotFound) {
			continue // a record, or nothing
		}
		if err != nil {
			return nil, err
		}
		if purgedBody(v.Record) {
			continue
		}
		rec, err := a.decodeVersion(ctx, v)
		if isRestricted(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec.Lang != "" {
			out[doc] = rec.Lang
		}
	}
	return discloseAs(d, out), nil
}

// Snippets fills in the snippets of hits, which Search gave for query
// without snippets, as Search would have cut them: from the item's or
// record's text part (decrypted, what the identity vault seals masked),
// around the match the index found, with open and shut around the
// matches. A hit the session may not read — voided, in a compartment the
// user is not a member of — gets no snippet; a query that holds a sealed
// name gives none at all. It cuts a snippet for every hit it is given:
// the caller passes only the hits it shows.
func (a *Archive) Snippets(ctx context.Context, query string, hits []store.Hit, open, shut string) error {
	if err := a.allow(OpSearch); err != nil {
		return err
	}
	for i := range hits {
		hits[i].Snippet = ""
	}
	if len(hits) == 0 {
		return nil
	}
	d, expr, err := a.searchExpr(ctx, query)
	if err != nil || expr == "" {
		return err // a sealed name: Search finds nothing for it either
	}
	cq, err := textindex.Compile(expr)
	if err != nil {
		return fmt.Errorf("%w: query: %v", evidence.ErrInvalid, err)
	}
	voided, err := a.voided(ctx)
	if err != nil {
		return err
	}
	// A compartment's documents are cut from the member's in-memory index
	// (compartmentHits); for anyone else they have no text.
	var comp *compIndex
	if member, err := a.memberOfAny(ctx); err != nil {
		return err
	} else if member {
		if comp, err = a.compartmentIndex(ctx); err != nil {
			return err
		}
	}
	text, prefetch := a.partText(ctx)
	guard := sync.OnceValues(func() (*nameGuard, error) { return a.snippetGuard(ctx, d) })
	shown := make([]bool, len(hits)) // the hit may have a snippet
	var shared []string              // documents whose parts partText reads
	for i, h := range hits {
		id, err := evidence.ParseID(h.Doc)
		if err != nil {
			continue
		}
		if _, ok := voided[id]; ok || !a.canRead(h.Doc) {
			continue
		}
		if comp != nil && comp.holds(h.Doc) {
			shown[i] = true
			continue
		}
		sealed, err := a.sealedDoc(ctx, id)
		if err != nil {
			return err
		}
		if sealed {
			continue
		}
		shown[i] = true
		if h.Part > 0 {
			shared = append(shared, h.Doc)
		}
	}
	if len(shared) > 0 {
		prefetch(shared)
	}
	sn := textindex.NewSnippeter(cq)
	store.EachHit(ctx, len(hits), func(i int) {
		h := &hits[i]
		if !shown[i] {
			return
		}
		t := h.Title
		if h.Part > 0 {
			t = ""
			if comp != nil && comp.holds(h.Doc) {
				t = comp.part(h.Doc, h.Part)
			} else if g, err := guard(); err == nil {
				// A snippet is a courtesy: the hit stands without it.
				t, _ = text(h.Doc, h.Part, g)
			}
		}
		h.Snippet = d.text(store.HitSnippet(sn, *h, t, open, shut))
	})
	return ctx.Err()
}

// sealedDoc reports whether item or record id is sealed in a compartment
// (its current version), reading its envelope only.
func (a *Archive) sealedDoc(ctx context.Context, id evidence.ID) (bool, error) {
	v, err := a.db.LatestVersion(ctx, id)
	if err == nil {
		return storedCompartment(v.Record) != "", nil
	}
	if !errors.Is(err, evidence.ErrNotFound) {
		return false, err
	}
	rows, err := a.db.RecordVersions(ctx, id)
	if err != nil || len(rows) == 0 {
		return false, err
	}
	return storedCompartment(rows[len(rows)-1].Record) != "", nil
}

// holds reports whether the compartment index has document doc.
func (x *compIndex) holds(doc string) bool { return x.held[doc] }

// part is part n (from 1) of document doc's text, "" if none.
func (x *compIndex) part(doc string, n int) string {
	ps := x.text[doc]
	if n < 1 || n > len(ps) {
		return ""
	}
	return ps[n-1]
}
