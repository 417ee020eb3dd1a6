// Package namenet is sori's sealed-name safety net: it recognizes, in
// running text, names it was given only as keyed hashes.
//
// A name's forms are its syllable-key readings (hangul.NameKeys: 박철민,
// Pak Chol-min, Park Cheol-min and Pak Ch'ŏl-min all read "bak.ceol.min"),
// and, as a weaker match, its given name alone when that has two syllables
// or more ("ceol.min"). Whoever holds the identity vault stores Hash(key,
// form) of every form of every sealed name; whoever adds or publishes text
// holds the key but never the names, and a Matcher finds where text spells
// a hashed form: inside Hangul runs (a particle may follow: 박철민은) and
// across romanized words in any system, case, diacritics, hyphenation,
// apostrophes and order (Cheol-min Park).
//
// The hashes only hide names from those without the key: a key holder can
// confirm a guessed name, and a dictionary of common names would enumerate
// many. The key is therefore given only to roles that add text or publish.
//
// The package is pure: no I/O, no state beyond what callers pass; a
// Matcher is safe for concurrent use.
package namenet

import (
	"crypto/hmac"
	"crypto/sha256"
	"slices"
	"strings"
	"sync"

	"sori/internal/hangul"
)

// Labels of the two strengths of a sealed form.
const (
	LabelName  = "sealed name"       // a full name, surname and given name
	LabelGiven = "sealed given name" // the given name alone: a weaker match
)

// Limits of what a Matcher tries: a name of at most maxSyllables
// syllables, written in at most maxWords romanized words, and at most
// maxCombos readings of one window of romanized syllables.
const (
	minSyllables = 2
	maxSyllables = 5
	maxWords     = 4
	maxCombos    = 512
)

// Form is one normalized form of a name: syllable keys joined by ".".
type Form struct {
	Key   string
	Given bool // the given name alone
}

// Forms returns the forms of a personal name: every reading of the full
// name (surname first), then every reading of the given name alone when it
// has at least two syllables, sorted within each group and without
// duplicates; a form that is a full reading is not repeated as a given
// name. It returns nil for a name with no readings (empty, or no letters).
// Readings longer than a Matcher looks for are left out.
func Forms(name string) []Form {
	keys := hangul.NameKeys(name)
	full := map[string]bool{}
	given := map[string]bool{}
	for _, k := range keys {
		syl := strings.Split(k, ".")
		if len(syl) > maxSyllables {
			continue
		}
		if len(syl) >= minSyllables {
			full[k] = true
		}
		for _, n := range surnameLens(syl) {
			if len(syl)-n >= minSyllables {
				given[strings.Join(syl[n:], ".")] = true
			}
		}
	}
	var out []Form
	for _, k := range sortedKeys(full) {
		out = append(out, Form{Key: k})
	}
	for _, k := range sortedKeys(given) {
		if !full[k] {
			out = append(out, Form{Key: k, Given: true})
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// surnameLens returns how many leading syllables of a reading may be its
// surname: one, and two when the first two spell a two-syllable surname
// (남궁, 선우, 황보 …).
func surnameLens(syl []string) []int {
	if len(syl) >= 2 && twoSyllableSurnames()[syl[0]+"."+syl[1]] {
		return []int{1, 2}
	}
	return []int{1}
}

var twoSyllableSurnames = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, s := range hangul.Surnames() {
		for _, h := range []string{s.Hangul, s.North} {
			r := []rune(h)
			if len(r) == 2 {
				m[hangul.SyllableKey(r[0])+"."+hangul.SyllableKey(r[1])] = true
			}
		}
	}
	return m
})

// Digest is a keyed hash of a form.
type Digest [32]byte

// hashDomain separates these hashes from every other use of the key.
const hashDomain = "sori name-net v1\x00"

// Hash is HMAC-SHA256 under key of a form's key string, domain-separated.
func Hash(key [32]byte, form string) Digest {
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(hashDomain))
	m.Write([]byte(form))
	var d Digest
	m.Sum(d[:0])
	return d
}

// IsGiven reports whether a label is of a given name's form: LabelGiven,
// or a label a caller made from it by appending to it (the archive appends
// the entry a form is of).
func IsGiven(label string) bool { return strings.HasPrefix(label, LabelGiven) }

// Set maps the hashes of sealed forms to the label a match reports.
type Set map[Digest]string

// Add records a hash under label, keeping a full name's label over a given
// name's when both hash alike.
func (s Set) Add(d Digest, label string) {
	if old, ok := s[d]; ok && !IsGiven(old) {
		return
	}
	s[d] = label
}

// AddName hashes every form of name under key and adds it: full forms
// under label, given-name forms under givenLabel.
func (s Set) AddName(key [32]byte, name, label, givenLabel string) {
	for _, f := range Forms(name) {
		l := label
		if f.Given {
			l = givenLabel
		}
		s.Add(Hash(key, f.Key), l)
	}
}

// AddContact hashes the phone numbers and e-mail addresses of a contact
// text under key and adds them under label.
func (s Set) AddContact(key [32]byte, contact, label string) {
	for _, f := range ContactForms(contact) {
		s.Add(Hash(key, f), label)
	}
}
