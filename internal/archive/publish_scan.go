package archive

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"sori/internal/namenet"
	"sori/internal/publish"
	"sori/internal/vocab"
)

// Free text in publication is denied by default: a transcript, a title or
// a description may write what the structured fields coarsen — a village,
// a day, a phone number. Before publication every such text is scanned
// for gazetteer places finer than the consent's place precision, dates
// finer than its date precision, and phone numbers and e-mail addresses;
// each is replaced (a place by the division the precision allows, a date
// by the allowed precision, a contact by a marker) and reported by record
// or item and byte offset, never by its text.

// Sources of a free-text finding, as reports name them.
const (
	FoundPlace   = "place"
	FoundDate    = "date"
	FoundContact = "contact"
)

// freeFinding is one span of free text that publication changes.
type freeFinding struct {
	publish.Span
	source string
}

// placeName is a spelling of a gazetteer place.
type placeName struct {
	code   string
	hangul bool
}

// placeMatcher finds gazetteer names in text: one alternation of every
// Hangul spelling and one, case-insensitive and on word boundaries, of
// every romanized or English spelling; longer names first so that 무산군
// wins over 무산.
type placeMatcher struct {
	hangul, latin *regexp.Regexp
	byName        map[string]placeName
}

var places = sync.OnceValue(func() *placeMatcher {
	m := &placeMatcher{byName: map[string]placeName{}}
	var hs, ls []string
	for _, p := range vocab.Places() {
		for _, n := range append([]string{p.Hangul, p.EN, p.RR, p.MR, p.DPRK}, append(p.HangulAlt, p.Other...)...) {
			n = strings.TrimSpace(n)
			if utf8.RuneCountInString(n) < 2 {
				continue
			}
			h := isHangulName(n)
			key := n
			if !h {
				key = strings.ToLower(n)
			}
			if _, dup := m.byName[key]; dup {
				continue
			}
			m.byName[key] = placeName{code: p.Code, hangul: h}
			if h {
				hs = append(hs, regexp.QuoteMeta(n))
			} else {
				ls = append(ls, regexp.QuoteMeta(n))
			}
		}
	}
	byLen := func(a, b string) int { return len(b) - len(a) }
	slices.SortFunc(hs, byLen)
	slices.SortFunc(ls, byLen)
	m.hangul = regexp.MustCompile(strings.Join(hs, "|"))
	m.latin = regexp.MustCompile(`(?i)\b(?:` + strings.Join(ls, "|") + `)\b`)
	return m
})

func isHangulName(s string) bool {
	for _, r := range s {
		if r >= 0xAC00 && r <= 0xD7A3 {
			return true
		}
	}
	return false
}

// placeRank orders place precisions from finest (0).
func placeRank(p string) int {
	if i := slices.Index(placePrecisions, p); i >= 0 {
		return i
	}
	return len(placePrecisions) - 1
}

// gazetteerRank is the precision a gazetteer place is at.
func gazetteerRank(g vocab.Place) int {
	switch g.Type {
	case "province", "directly_governed_city", "special_city":
		return placeRank("province")
	case "city", "county":
		return placeRank("county")
	case "country":
		return placeRank("country")
	}
	return placeRank("exact")
}

// scanFree returns the spans of s that policy p does not let out as
// written, sorted and not overlapping.
func (b *pubBuilder) scanFree(s string, p policy) []freeFinding {
	var out []freeFinding
	add := func(start, end int, marker, source string) {
		out = append(out, freeFinding{publish.Span{Start: start, End: end, Marker: marker}, source})
	}
	m := places()
	prec := p.place
	if prec == "" {
		prec = "province"
	}
	for _, re := range []*regexp.Regexp{m.hangul, m.latin} {
		for _, loc := range re.FindAllStringIndex(s, -1) {
			name := s[loc[0]:loc[1]]
			pn, ok := m.byName[name]
			if !ok {
				pn, ok = m.byName[strings.ToLower(name)]
			}
			if !ok {
				continue
			}
			g, ok := vocab.PlaceByCode(pn.code)
			if !ok || gazetteerRank(g) >= placeRank(prec) {
				continue
			}
			marker := "[place]"
			if pl, ok := b.coarsen(pn.code, prec); ok {
				marker = pl.Name
				if pn.hangul && pl.Ko != "" {
					marker = pl.Ko
				}
			}
			add(loc[0], loc[1], marker, FoundPlace)
		}
	}
	dates := findDates(s)
	for _, d := range dates {
		if publish.CoarserDatePrecision(d.precision, p.date) == d.precision {
			continue // written no finer than allowed
		}
		add(d.start, d.end, d.coarsen(dateOr(p.date)), FoundDate)
	}
	namenet.Phones(s, func(start, end int) {
		// 1998-09-02 is a date, not a phone number.
		if !slices.ContainsFunc(dates, func(d textDate) bool { return start < d.end && end > d.start }) {
			add(start, end, "[phone]", FoundContact)
		}
	})
	namenet.Mails(s, func(start, end int) { add(start, end, "[e-mail]", FoundContact) })
	slices.SortFunc(out, func(x, y freeFinding) int {
		if x.Start != y.Start {
			return x.Start - y.Start
		}
		return y.End - x.End
	})
	kept := out[:0]
	end := -1
	for _, f := range out {
		if f.Start >= end {
			kept = append(kept, f)
			end = f.End
		}
	}
	return kept
}

// withFree adds the free-text findings of s under p to spans (name and
// redaction spans win where they overlap one), reporting each.
func (b *pubBuilder) withFree(s string, spans []publish.Span, p policy, report func(start, end int, source string)) []publish.Span {
	for _, f := range b.scanFree(s, p) {
		if slices.ContainsFunc(spans, func(x publish.Span) bool { return f.Start < x.End && f.End > x.Start }) {
			continue
		}
		spans = append(spans, f.Span)
		report(f.Start, f.End, f.source)
	}
	return spans
}

func dateOr(p string) string {
	if p == "" {
		return "year"
	}
	return p
}

// A date written in text, in one of the forms interviews and notes use.
type textDate struct {
	start, end       int
	year, month, day int // month and day 0 when not written
	precision        string
	korean, iso      bool
}

var (
	reKoDate  = regexp.MustCompile(`(1[89]\d\d|20\d\d)\s*년(?:\s*(\d{1,2})\s*월(?:\s*(\d{1,2})\s*일)?)?`)
	reISODate = regexp.MustCompile(`\b(1[89]\d\d|20\d\d)[-./](\d{1,2})(?:[-./](\d{1,2}))?\b`)
	reDMY     = regexp.MustCompile(`\b(\d{1,2})[/.](\d{1,2})[/.](1[89]\d\d|20\d\d)\b`)
	reEnDate  = regexp.MustCompile(`(?i)\b(?:(\d{1,2})(?:st|nd|rd|th)?\s+)?(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?(?:\s+(\d{1,2})(?:st|nd|rd|th)?,?)?\s+(1[89]\d\d|20\d\d)\b`)
	reYear    = regexp.MustCompile(`\b(1[89]\d\d|20\d\d)\b`)
)

var months = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

// findDates finds the dates written in s, the most precise reading of
// each span first claimed.
func findDates(s string) []textDate {
	var out []textDate
	taken := func(a, b int) bool {
		for _, d := range out {
			if a < d.end && b > d.start {
				return true
			}
		}
		return false
	}
	num := func(x string) int { n, _ := strconv.Atoi(x); return n }
	put := func(d textDate) {
		if d.month > 12 || d.day > 31 || taken(d.start, d.end) {
			return
		}
		switch {
		case d.day > 0:
			d.precision = "day"
		case d.month > 0:
			d.precision = "month"
		default:
			d.precision = "year"
		}
		out = append(out, d)
	}
	for _, m := range reKoDate.FindAllStringSubmatchIndex(s, -1) {
		d := textDate{start: m[0], end: m[1], year: num(s[m[2]:m[3]]), korean: true}
		if m[4] >= 0 {
			d.month = num(s[m[4]:m[5]])
		}
		if m[6] >= 0 {
			d.day = num(s[m[6]:m[7]])
		}
		put(d)
	}
	for _, m := range reEnDate.FindAllStringSubmatchIndex(s, -1) {
		d := textDate{start: m[0], end: m[1], year: num(s[m[8]:m[9]])}
		mon := strings.ToLower(s[m[4]:m[5]])
		d.month = months[mon[:3]]
		if m[2] >= 0 {
			d.day = num(s[m[2]:m[3]])
		} else if m[6] >= 0 {
			d.day = num(s[m[6]:m[7]])
		}
		put(d)
	}
	for _, m := range reISODate.FindAllStringSubmatchIndex(s, -1) {
		d := textDate{start: m[0], end: m[1], year: num(s[m[2]:m[3]]), month: num(s[m[4]:m[5]]), iso: true}
		if m[6] >= 0 {
			d.day = num(s[m[6]:m[7]])
		}
		if d.month == 0 {
			continue
		}
		put(d)
	}
	for _, m := range reDMY.FindAllStringSubmatchIndex(s, -1) {
		put(textDate{start: m[0], end: m[1], day: num(s[m[2]:m[3]]), month: num(s[m[4]:m[5]]), year: num(s[m[6]:m[7]])})
	}
	for _, m := range reYear.FindAllStringSubmatchIndex(s, -1) {
		put(textDate{start: m[0], end: m[1], year: num(s[m[2]:m[3]])})
	}
	return out
}

var enMonths = []string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// coarsen writes d at precision p, in the script it was written in.
func (d textDate) coarsen(p string) string {
	y := strconv.Itoa(d.year)
	switch p {
	case "month":
		if d.korean {
			return y + "년 " + strconv.Itoa(d.month) + "월"
		}
		if d.iso {
			return y + "-" + twoDigits(d.month)
		}
		return enMonths[d.month] + " " + y
	case "year":
		if d.korean {
			return y + "년"
		}
		return y
	case "decade":
		if d.korean {
			return y[:3] + "0년대"
		}
		return y[:3] + "0s"
	}
	return "[date]"
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
