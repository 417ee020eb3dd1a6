// Package brute is the reference that sori's search is measured against:
// a linear scan of every paragraph of a corpus, written from the meaning a
// query is documented to have (internal/hangul's package documentation)
// rather than from the tokenizer, so that a tokenizer or index bug shows up
// as a difference. It serves bench/search.sh (recall of sori and of
// Groonga) and internal/archive's golden search test.
//
// A query is whitespace-separated terms, or "quoted phrases", ANDed; a
// paragraph matches when every term matches it:
//
//   - A Korean term (Hangul syllables) matches a sequence of syllables
//     within one run of Hangul in the paragraph (particles may follow or
//     precede it). A syllable also matches its other North/South spelling
//     under the initial-sound rule (로동 = 노동, 녀성 = 여성), except that
//     syllables with the vowel ㅣ (리/이/니) are only equated at the start
//     of a word in both the term and the text, and a one-syllable term is
//     only equated at the start of a word (its exact syllable matches
//     anywhere).
//   - Any other term matches a sequence of whole words, compared lower-cased
//     without diacritics or apostrophes; hyphens and punctuation separate
//     words, and a possessive 's is dropped (Chŏngjin = chongjin, Kim
//     Jong-il = kim jong il, Kim's = kim).
//   - A query that is a place's name in the gazetteer (internal/vocab's
//     FindPlace: any script or romanization, ignoring case, spacing,
//     hyphens, apostrophes, diacritics and surrounding punctuation) is
//     that place: it matches where the query matches as above or any of
//     its names (PlaceSpellings) occurs, each matched as a term is above
//     (Tumen = 두만강 = Tuman River); names that mix Hangul with digits or
//     Latin letters (제15호 관리소) are left out, so sori may find more
//     there.
//   - A query that is one of a person's spellings (people.tsv: the southern
//     and northern Hangul and the romanizations; compared ignoring spaces,
//     and romanizations also case, diacritics and hyphens, so "Lee Rangil"
//     is "Lee Ran-gil" and 이 란길 is 이란길) is that person: it matches where any spelling of any
//     person so spelled occurs.
//
// A term of Hangul and other letters mixed is split into its Korean and
// Latin parts, each required; a Korean phrase of several words is required
// word by word, not as adjacent words. Neither occurs in the benchmark
// queries.
package brute

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"sori/internal/hangul"
	"sori/internal/vocab"
)

// Paragraph is one non-empty line of a corpus file: the reference's unit
// of text (sori's index gathers lines into larger parts; see Terms).
type Paragraph struct {
	Doc  string // the file's base name (sori's item title)
	Part int    // 1-based index among the file's non-empty, trimmed lines
	Text string

	runs  string // Hangul syllables as written (normalized), runs separated by '|'
	south string // runs with every syllable in its southern form: same byte layout
	words string // " w1 w2 … ": folded words
}

// NewParagraph prepares text for matching.
func NewParagraph(doc string, part int, text string) Paragraph {
	p := Paragraph{Doc: doc, Part: part, Text: text}
	var runs, south, words strings.Builder
	words.WriteByte(' ')
	inWord := false
	endWord := func() {
		if inWord {
			words.WriteByte(' ')
			inWord = false
		}
	}
	endRun := func() {
		if runs.Len() > 0 && !strings.HasSuffix(runs.String(), "|") {
			runs.WriteByte('|')
			south.WriteByte('|')
		}
	}
	rs := []rune(hangul.Normalize(text))
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case hangul.IsSyllable(r):
			endWord()
			runs.WriteRune(r)
			south.WriteRune(hangul.SouthInitial(r))
		case isApostrophe(r) && inWord && i+1 < len(rs) && (rs[i+1] == 's' || rs[i+1] == 'S') &&
			(i+2 == len(rs) || !isLatinish(rs[i+2])):
			i++ // a possessive 's is dropped (Kim's = Kim)
		case isApostrophe(r) || unicode.IsMark(r):
			// dropped inside words (Ch'ŏl, combining marks)
		case isLatinish(r):
			endRun()
			for _, d := range norm.NFKD.String(string(r)) {
				if unicode.IsLetter(d) || unicode.IsDigit(d) {
					words.WriteRune(unicode.ToLower(d))
					inWord = true
				}
			}
		default:
			endRun()
			endWord()
		}
	}
	endWord()
	p.runs, p.south, p.words = runs.String(), south.String(), words.String()
	return p
}

// isLatinish: a letter or digit that forms words (not Hangul, not Han).
func isLatinish(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !unicode.Is(unicode.Hangul, r) && !unicode.Is(unicode.Han, r)
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '`', '\u2018', '\u2019', '\u02BC', '\u02BB':
		return true
	}
	return false
}

// Split makes the paragraphs of one file's text: its non-empty lines,
// trimmed, numbered from 1.
func Split(doc, text string) []Paragraph {
	var out []Paragraph
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, NewParagraph(doc, len(out)+1, line))
		}
	}
	return out
}

// Load reads every *.txt file under dir/ko and dir/en (a `sori gen`
// corpus), in name order.
func Load(dir string) ([]Paragraph, error) {
	var out []Paragraph
	for _, sub := range []string{"ko", "en"} {
		names, err := filepath.Glob(filepath.Join(dir, sub, "*.txt"))
		if err != nil {
			return nil, err
		}
		sort.Strings(names)
		for _, name := range names {
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, err
			}
			out = append(out, Split(filepath.Base(name), string(b))...)
		}
	}
	return out, nil
}

// Person is a row of people.tsv.
type Person struct {
	Hangul    string
	North     string // "" if the same
	Spellings []string
}

// All returns every spelling: Hangul, northern Hangul, romanizations.
func (p Person) All() []string {
	out := []string{p.Hangul}
	if p.North != "" {
		out = append(out, p.North)
	}
	return append(out, p.Spellings...)
}

// ReadPeople reads people.tsv (Hangul, northern spelling, romanizations…).
func ReadPeople(path string) ([]Person, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Person
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sc.Text() == "" {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 2 {
			return nil, fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
		out = append(out, Person{Hangul: cols[0], North: cols[1], Spellings: cols[2:]})
	}
	return out, sc.Err()
}

// Kinds of query, for reporting.
const (
	Korean1 = "ko-1"  // one Korean syllable
	Korean2 = "ko-2"  // two syllables
	Korean3 = "ko-3+" // three or more
	Latin   = "en"    // English (or other Latin) words
	NameKo  = "name-hangul"
	NameRom = "name-roman"
	Mixed   = "mixed" // several terms of different kinds
)

// Query is a compiled query.
type Query struct {
	Text   string
	Kind   string
	People []Person // the persons a name query denotes
	terms  [][]alt  // AND of terms, each an OR of alternatives
}

type alt struct {
	syl   []rune // Korean: syllables
	south string // their southern forms
	words string // Latin: " w1 w2 "
}

// Compile parses q. people may be nil.
func Compile(q string, people []Person) Query {
	out := Query{Text: q}
	nq, fq := hangul.Normalize(strings.TrimSpace(q)), nameFold(q)
	joined := strings.Join(strings.Fields(nq), "") // 이 란길 = 이란길
	for _, p := range people {
		hit := joined == p.Hangul || p.North != "" && joined == p.North
		for _, s := range p.Spellings {
			hit = hit || fq != "" && nameFold(s) == fq
		}
		if hit {
			out.People = append(out.People, p)
		}
	}
	if len(out.People) > 0 {
		var alts []alt
		for _, p := range out.People {
			for _, s := range p.All() {
				alts = append(alts, termAlts(s)...)
			}
		}
		out.terms = [][]alt{alts}
		out.Kind = NameRom
		if isHangulText(nq) {
			out.Kind = NameKo
		}
		return out
	}
	kinds := map[string]bool{}
	for _, t := range lex(nq) {
		for _, a := range termAlts(t) {
			out.terms = append(out.terms, []alt{a})
			switch n := len(a.syl); {
			case n == 0:
				kinds[Latin] = true
			case n == 1:
				kinds[Korean1] = true
			case n == 2:
				kinds[Korean2] = true
			default:
				kinds[Korean3] = true
			}
		}
	}
	out.Kind = Mixed
	if len(kinds) == 1 {
		for k := range kinds {
			out.Kind = k
		}
	}
	// A place: any of its names, the query's kind kept.
	name := strings.TrimFunc(nq, func(r rune) bool {
		return (unicode.IsPunct(r) || unicode.IsSymbol(r)) && r != '-' && r != '\'' && r != '’'
	})
	if spellings := vocab.PlaceSpellings(name); len(spellings) > 0 {
		var others []alt
		for _, s := range spellings {
			// A name of one Hangul run or of Latin words only: one
			// written in both, or in runs cut by digits (제15호
			// 관리소), is not one term of this reference.
			if a := termAlts(s); len(a) == 1 {
				others = append(others, a...)
			}
		}
		// (t1 AND t2) OR s is (t1 OR s) AND (t2 OR s).
		for i := range out.terms {
			out.terms[i] = append(out.terms[i], others...)
		}
	}
	return out
}

// lex splits a query into terms: "quoted phrases" and words.
func lex(q string) []string {
	var out []string
	for q != "" {
		q = strings.TrimLeftFunc(q, unicode.IsSpace)
		if q == "" {
			break
		}
		if q[0] == '"' {
			end := strings.IndexByte(q[1:], '"')
			if end < 0 {
				end = len(q) - 1
			}
			out = append(out, q[1:1+end])
			q = q[min(len(q), 2+end):]
			continue
		}
		end := strings.IndexFunc(q, func(r rune) bool { return unicode.IsSpace(r) || r == '"' })
		if end < 0 {
			end = len(q)
		}
		out = append(out, q[:end])
		q = q[end:]
	}
	return out
}

// termAlts splits a term into its required parts: each run of Hangul
// syllables, and the Latin words (see the package documentation).
func termAlts(t string) []alt {
	p := NewParagraph("", 0, t)
	var out []alt
	for _, run := range strings.Split(p.runs, "|") {
		if run != "" {
			out = append(out, alt{syl: []rune(run), south: southOf(run)})
		}
	}
	if w := strings.TrimSpace(p.words); w != "" {
		out = append(out, alt{words: " " + w + " "})
	}
	return out
}

func southOf(s string) string {
	return strings.Map(hangul.SouthInitial, s)
}

func isHangulText(s string) bool {
	for _, r := range s {
		if !hangul.IsSyllable(r) && !unicode.IsSpace(r) {
			return false
		}
	}
	return s != ""
}

// nameFold folds a romanized name to its letters: lower case, no
// diacritics, apostrophes, hyphens or spaces ("Ch'ŏl-min" → "cholmin").
// Hangul text folds to "".
func nameFold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Hangul, r):
			return ""
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Terms splits q into its ANDed terms, each a query of its own, so that a
// caller whose unit of text is larger than a paragraph (sori indexes
// passages of several lines) can require each term somewhere in the unit.
// A query of one term returns itself.
func (q *Query) Terms() []Query {
	if len(q.terms) <= 1 {
		return []Query{*q}
	}
	out := make([]Query, len(q.terms))
	for i, t := range q.terms {
		out[i] = Query{Text: q.Text, Kind: q.Kind, terms: [][]alt{t}}
	}
	return out
}

// Match reports whether paragraph p matches q.
func (q *Query) Match(p *Paragraph) bool {
	if len(q.terms) == 0 {
		return false
	}
	for _, alts := range q.terms {
		if !slices.ContainsFunc(alts, func(a alt) bool { return a.match(p) }) {
			return false
		}
	}
	return true
}

func (a alt) match(p *Paragraph) bool {
	if a.syl == nil {
		return strings.Contains(p.words, a.words)
	}
	for from := 0; ; {
		i := strings.Index(p.south[from:], a.south)
		if i < 0 {
			return false
		}
		i += from
		if a.matchAt(p.runs, i) {
			return true
		}
		_, n := utf8.DecodeRuneInString(p.south[i:])
		from = i + n
	}
}

// matchAt checks the syllables of a at byte offset i of runs, where their
// southern forms are known to match.
func (a alt) matchAt(runs string, i int) bool {
	start := i == 0 || runs[i-1] == '|'
	for j, q := range a.syl {
		r, n := utf8.DecodeRuneInString(runs[i:])
		i += n
		if r == q {
			continue
		}
		atStart := j == 0 && start
		switch {
		case len(a.syl) == 1, vowelI(q) || vowelI(r):
			if !atStart {
				return false
			}
		}
	}
	return true
}

func vowelI(r rune) bool {
	_, v, _, ok := hangul.Decompose(r)
	return ok && v == 20
}

// Scan returns the indices of the paragraphs that match q, in order,
// scanning on all cores.
func Scan(q *Query, ps []Paragraph) []int {
	n := runtime.GOMAXPROCS(0)
	chunk := (len(ps) + n - 1) / n
	parts := make([][]int, n)
	var wg sync.WaitGroup
	for w := range n {
		lo, hi := w*chunk, min(len(ps), (w+1)*chunk)
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				if q.Match(&ps[i]) {
					parts[w] = append(parts[w], i)
				}
			}
		}()
	}
	wg.Wait()
	return slices.Concat(parts...)
}
