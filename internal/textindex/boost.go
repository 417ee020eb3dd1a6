package textindex

import "slices"

// particles are the first syllables of the commonest particles that
// follow a noun (강을, 강에서, 강의, 강이): a one-syllable query followed by
// one of them is the word itself, not a syllable inside a longer word.
const particles = "은는이가을를에의와과로"

// wordBoost returns, for a group that is one syllable looked up as a
// prefix (강 finds 강, 강제송환, 두만강), a phrase of the exact terms where
// the syllable stands as a word or ends one: its unigram (the last
// syllable of a run: 강, 두만강) and its bigrams with a particle (강을).
// Groups add the scores of their phrases, so those rows rank above rows
// where the syllable only begins a longer word (강제송환), and the rows
// found do not change: the boost's terms are among the prefix's.
func wordBoost(g []Phrase) []Phrase {
	if len(g) != 1 || len(g[0]) != 1 {
		return nil
	}
	var alts []Alt
	for _, a := range g[0][0] {
		if !a.Prefix || !isSyllables(a.Term, 1) {
			return nil
		}
		alts = append(alts, Alt{Term: a.Term})
		for _, p := range particles {
			alts = append(alts, Alt{Term: a.Term + string(p)})
		}
	}
	return []Phrase{{alts}}
}

// isBoost reports whether ph is the wordBoost of the phrases before it.
func isBoost(before []Phrase, ph Phrase) bool {
	b := wordBoost(before)
	return len(b) == 1 && len(ph) == 1 && slices.Equal(b[0][0], ph[0])
}
