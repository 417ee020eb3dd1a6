package archive

import (
	"context"
	"slices"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/vocab"
)

// Consent scopes, narrowest first: each allows what the ones before it do.
const (
	ScopeInternal   = "internal"
	ScopeCourt      = "court"
	ScopeAnonymized = "anonymized"
	ScopeNamed      = "named"
)

var scopeOrder = []string{ScopeInternal, ScopeCourt, ScopeAnonymized, ScopeNamed}

// ScopeAllows reports whether consent of scope allows a use that needs
// scope need. An unknown or empty scope allows nothing beyond internal use.
func ScopeAllows(scope, need string) bool {
	i, j := slices.Index(scopeOrder, scope), slices.Index(scopeOrder, need)
	if i < 0 {
		i = 0
	}
	return j >= 0 && i >= j
}

// consentView is the current consent of every testimony and which
// testimony every item belongs to, read in one pass over the records.
type consentView struct {
	consent   map[evidence.ID]model.Consent    // by testimony; absent: internal only
	consentID map[evidence.ID]evidence.ID      // consent record by testimony
	testimony map[evidence.ID]*model.Testimony // by testimony ID
	ofItem    map[evidence.ID]evidence.ID      // item → the testimony it is the original or a translation of
}

// readConsent builds the consent view. It does not check roles: callers
// (export, publish, consent) have.
func (a *Archive) readConsent(ctx context.Context) (*consentView, error) {
	v := &consentView{
		consent:   map[evidence.ID]model.Consent{},
		consentID: map[evidence.ID]evidence.ID{},
		testimony: map[evidence.ID]*model.Testimony{},
		ofItem:    map[evidence.ID]evidence.ID{},
	}
	err := a.eachCurrent(ctx, model.KindTestimony, func(id evidence.ID, b model.Body) error {
		t := b.(*model.Testimony)
		v.testimony[id] = t
		if t.Original != nil {
			v.ofItem[*t.Original] = id
		}
		for _, it := range t.Translations {
			v.ofItem[it] = id
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = a.eachCurrent(ctx, model.KindConsent, func(id evidence.ID, b model.Body) error {
		c := b.(*model.Consent)
		v.consent[c.Testimony] = *c
		v.consentID[c.Testimony] = id
		return nil
	})
	return v, err
}

// of returns the consent of testimony t, and whether one is recorded.
// Without one, the scope is internal.
func (v *consentView) of(t evidence.ID) (model.Consent, bool) {
	c, ok := v.consent[t]
	if !ok {
		c = model.Consent{Testimony: t, Scope: ScopeInternal}
	}
	return c, ok
}

// scopeLabel is a scope's English label, for messages.
func scopeLabel(scope string) string {
	if v, err := vocab.Get(vocab.ConsentScope); err == nil {
		if t, ok := v.Term(scope); ok {
			return t.EN
		}
	}
	return scope
}
