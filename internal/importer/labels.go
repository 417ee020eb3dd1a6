package importer

import (
	"fmt"
	"strings"

	"sori/internal/evidence"
	"sori/internal/vocab"
)

// maxCandidates is how many candidates a "which one?" message lists.
const maxCandidates = 8

// termCode returns the code of the term s names in vocabulary name: its
// code, or a label (English, Korean, DPRK or alternative, see
// vocab.Lookup) that names exactly one term.
func termCode(name, s string) (string, error) {
	v, err := vocab.Get(name)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if _, ok := v.Term(s); ok {
		return s, nil
	}
	ts := v.Lookup(s)
	switch len(ts) {
	case 0:
		return "", fmt.Errorf("%w: %q is not a code or label of the %s vocabulary (see 'sori vocab %s')", evidence.ErrInvalid, s, name, name)
	case 1:
		return ts[0].Code, nil
	}
	var c []string
	for i, t := range ts {
		if i == maxCandidates {
			c = append(c, "…")
			break
		}
		c = append(c, fmt.Sprintf("%s (%s / %s)", t.Code, t.EN, t.KO))
	}
	return "", fmt.Errorf("%w: %q names %d terms of the %s vocabulary; give the code of one: %s", evidence.ErrInvalid, s, len(ts), name, strings.Join(c, ", "))
}

// gazetteerCode returns the code of the gazetteer place s names: its code,
// or a name in any spelling that names exactly one place (vocab.FindPlace).
func gazetteerCode(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, ok := vocab.PlaceByCode(s); ok {
		return s, nil
	}
	ps := vocab.FindPlace(s)
	switch len(ps) {
	case 0:
		return "", fmt.Errorf("%w: %q is not in the gazetteer (see 'sori place find'); record it with 'sori place add' and use its ID", evidence.ErrInvalid, s)
	case 1:
		return ps[0].Code, nil
	}
	var c []string
	for i, p := range ps {
		if i == maxCandidates {
			c = append(c, "…")
			break
		}
		c = append(c, fmt.Sprintf("%s (%s, %s, %s)", p.Code, p.Hangul, p.EN, p.Type))
	}
	return "", fmt.Errorf("%w: %q names %d places; give the code of one: %s", evidence.ErrInvalid, s, len(ps), strings.Join(c, ", "))
}

// looksLikeID reports whether s could be an ID or a prefix of one.
func looksLikeID(s string) bool {
	_, err := evidence.CheckPrefix(s)
	return err == nil
}
