// interim: replaced by safetynet.go at merge

package archive

import (
	"context"
	"sort"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// This file stands in for the sealed-name safety net (internal/namenet,
// safetynet.go), built apart, so that publication compiles and is tested
// against the same contract. It matches the written names it is given,
// case-insensitively after NFC normalization, and knows nothing of the
// identity vault or of other romanizations.

// NameSpan is a found name: byte offsets into the text searched, end
// exclusive, and the label of whose name it is.
type NameSpan struct {
	Start, End int
	Label      string
}

// ProtectedName is a person publication must not name: the label it is
// published as, and every name it is written with.
type ProtectedName struct {
	Label string
	Names []string
}

type guardPattern struct {
	runes []rune
	label string
}

type nameGuard struct{ patterns []guardPattern }

func (a *Archive) newNameGuard(_ context.Context, protected []ProtectedName) (*nameGuard, error) {
	g := &nameGuard{}
	for _, p := range protected {
		for _, n := range p.Names {
			rs, _ := foldRunes(n)
			if len(rs) > 0 {
				g.patterns = append(g.patterns, guardPattern{runes: rs, label: p.Label})
			}
		}
	}
	// Longest first, so that "Pak Chol-min" wins over "Pak".
	sort.SliceStable(g.patterns, func(i, j int) bool { return len(g.patterns[i].runes) > len(g.patterns[j].runes) })
	return g, nil
}

// Empty reports whether the guard has nothing to find.
func (g *nameGuard) Empty() bool { return len(g.patterns) == 0 }

// Find returns the spans of text holding a protected name, sorted and not
// overlapping, on character boundaries of text as given (NFC or not).
func (g *nameGuard) Find(text string) []NameSpan {
	if g.Empty() {
		return nil
	}
	rs, offs := foldRunes(text)
	var out []NameSpan
	for i := 0; i < len(rs); {
		hit := -1
		for k, p := range g.patterns {
			if len(p.runes) <= len(rs)-i && runesEqual(rs[i:i+len(p.runes)], p.runes) {
				hit = k
				break
			}
		}
		if hit < 0 {
			i++
			continue
		}
		j := i + len(g.patterns[hit].runes)
		out = append(out, NameSpan{Start: offs[i][0], End: offs[j-1][1], Label: g.patterns[hit].label})
		i = j
	}
	return out
}

// foldRunes is s in NFC, lower-cased rune by rune, with the byte range of
// s each rune comes from (the whole normalization segment it is part of).
func foldRunes(s string) ([]rune, [][2]int) {
	var rs []rune
	var offs [][2]int
	var it norm.Iter
	it.InitString(norm.NFC, s)
	for !it.Done() {
		start := it.Pos()
		seg := it.Next()
		end := it.Pos()
		for _, r := range string(seg) {
			rs = append(rs, unicode.ToLower(r))
			offs = append(offs, [2]int{start, end})
		}
	}
	return rs, offs
}

func runesEqual(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
