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
	ofWitness map[string][]evidence.ID         // pseudonym → the witness's testimonies
}

// ofTagged returns the consent an item tagged with witness (and linked to
// no testimony) falls under: the most restrictive consent of the witness's
// testimonies. ok is false when none of them has a consent record.
func (v *consentView) ofTagged(witness string) (c model.Consent, ok bool) {
	for _, t := range v.ofWitness[witness] {
		tc, recorded := v.of(t)
		if !recorded {
			continue
		}
		if !ok {
			c, ok = tc, true
			continue
		}
		if !ScopeAllows(tc.Scope, c.Scope) {
			c.Scope = tc.Scope
		}
		c.NoAudio = c.NoAudio || tc.NoAudio
		c.NoVideo = c.NoVideo || tc.NoVideo
		c.NoText = c.NoText || tc.NoText
	}
	return c, ok
}

// readConsent builds the consent view. It does not check roles: callers
// (export, publish, consent) have.
func (a *Archive) readConsent(ctx context.Context) (*consentView, error) {
	v := &consentView{
		consent:   map[evidence.ID]model.Consent{},
		consentID: map[evidence.ID]evidence.ID{},
		testimony: map[evidence.ID]*model.Testimony{},
		ofItem:    map[evidence.ID]evidence.ID{},
		ofWitness: map[string][]evidence.ID{},
	}
	err := a.eachCurrent(ctx, model.KindTestimony, func(id evidence.ID, b model.Body) error {
		t := b.(*model.Testimony)
		v.testimony[id] = t
		for _, it := range t.Items() {
			v.ofItem[it] = id
		}
		v.ofWitness[t.Witness] = append(v.ofWitness[t.Witness], id)
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
