package importer

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sori/internal/vocab"
)

// guesses maps header words (lower case, spaces and punctuation removed)
// to what they usually hold in NGO spreadsheets, Korean and English.
var guesses = map[string]string{
	"번호": "row_id", "연번": "row_id", "순번": "row_id", "no": "row_id", "id": "row_id", "사건번호": "row_id", "caseno": "row_id", "casenumber": "row_id", "case": "row_id",
	"증언자": "testimony.witness", "가명": "testimony.witness", "witness": "testimony.witness", "pseudonym": "testimony.witness",
	"면담자": "testimony.interviewer", "조사자": "testimony.interviewer", "interviewer": "testimony.interviewer",
	"면담일": "testimony.date", "면담일자": "testimony.date", "조사일": "testimony.date", "interviewdate": "testimony.date",
	"제목": "event.title", "사건명": "event.title", "title": "event.title", "event": "event.title",
	"일시": "event.date", "날짜": "event.date", "일자": "event.date", "발생일": "event.date", "발생일시": "event.date", "date": "event.date", "incidentdate": "event.date", "eventdate": "event.date",
	"내용": "event.description", "개요": "event.description", "사건개요": "event.description", "description": "event.description", "summary": "event.description",
	"장소": "place.names", "발생장소": "place.names", "place": "place.names", "location": "place.names",
	"유형": "act.violation", "침해유형": "act.violation", "인권침해유형": "act.violation", "violation": "act.violation", "type": "act.violation",
	"피해자": "victim.names", "victim": "victim.names",
	"성별": "victim.sex", "sex": "victim.sex", "gender": "victim.sex",
	"출생년도": "victim.birth_year", "생년": "victim.birth_year", "birthyear": "victim.birth_year",
	"비고": "testimony.notes", "notes": "testimony.notes",
}

var rePunct = regexp.MustCompile(`[\s._\-()/]+`)

// DraftMapping writes a starting mapping for t: every column appears, the
// ones whose header it recognises (Korean or English) mapped to a field,
// the rest as comments. It notices a day-first or month-first date
// column, and lists the values of a violation column that are not labels
// of the vocabulary, for a person to map. It is a draft: a person reads
// and completes it before an import.
func DraftMapping(t *Table) string {
	by := map[string]string{} // guess → column
	var unmapped []string
	for _, h := range t.Header {
		if h == "" {
			continue
		}
		g := guesses[strings.ToLower(rePunct.ReplaceAllString(h, ""))]
		if _, taken := by[g]; g == "" || taken {
			unmapped = append(unmapped, h)
			continue
		}
		by[g] = h
	}
	var b strings.Builder
	q := strconv.Quote
	b.WriteString("# sori import mapping (docs/import.md, \"Mappings\"): a draft; check every line.\nversion: 1\n")
	if c, ok := by["row_id"]; ok {
		fmt.Fprintf(&b, "row_id: %s\n# source: \"name of this spreadsheet\"   # with row_id: later exports of it add only new rows\n", q(c))
	}
	dates := ""
	for g, c := range by {
		if strings.HasSuffix(g, ".date") {
			if o := sniffOrder(t, t.Column(c)); o != "" && dates == "" {
				dates = o
			}
		}
	}
	if dates != "" {
		fmt.Fprintf(&b, "dates: %s   # the file has dates like 14/03/1997\n", dates)
	}
	b.WriteString("records:\n")
	section := func(kind, name string, fields [][2]string, links ...[2]string) {
		var lines []string
		for _, f := range fields {
			if c, ok := by[f[0]]; ok {
				lines = append(lines, fmt.Sprintf("      %s: %s\n", f[1], q(c)))
			}
		}
		if len(lines) == 0 {
			return
		}
		fmt.Fprintf(&b, "  - kind: %s\n    name: %s\n    fields:\n", kind, name)
		for _, l := range lines {
			b.WriteString(l)
		}
		for _, l := range links {
			fmt.Fprintf(&b, "      %s: %s\n", l[0], q(l[1]))
		}
	}
	section("testimony", "testimony", [][2]string{{"testimony.witness", "witness"}, {"testimony.interviewer", "interviewer"}, {"testimony.date", "date"}, {"testimony.notes", "notes"}},
		[2]string{"title", "=Imported testimony"})
	if _, ok := by["testimony.witness"]; ok {
		b.WriteString("    # witness MUST be a pseudonym (W-17); a real name belongs in 'sori witness add', never here\n")
	}
	evTitle := [][2]string{{"event.title", "title"}, {"event.date", "date"}, {"event.description", "description"}, {"act.violation", "violations"}}
	if _, ok := by["event.title"]; !ok {
		b.WriteString("  # no title column: each event is called \"Imported incident\"; map a column instead if there is one\n")
		evTitle = append(evTitle[1:], [2]string{"-", "-"})
	}
	var evLinks [][2]string
	if _, ok := by["event.title"]; !ok {
		evLinks = append(evLinks, [2]string{"title", "=Imported incident"})
	}
	if _, ok := by["place.names"]; ok {
		evLinks = append(evLinks, [2]string{"places", "@place"})
	}
	section("event", "event", evTitle, evLinks...)
	section("place", "place", [][2]string{{"place.names", "names"}}, [2]string{"type", "=other"})
	if _, ok := by["place.names"]; ok {
		b.WriteString("    shared: true   # rows naming the same place share one place record\n")
	}
	actLinks := [][2]string{{"event", "@event"}}
	if _, ok := by["victim.names"]; ok {
		actLinks = append(actLinks, [2]string{"victim", "@victim"})
	}
	if _, ok := by["place.names"]; ok {
		actLinks = append(actLinks, [2]string{"place", "@place"})
	}
	section("act", "act", [][2]string{{"act.violation", "violation"}, {"event.date", "date"}}, actLinks...)
	section("person", "victim", [][2]string{{"victim.names", "names"}, {"victim.sex", "sex"}, {"victim.birth_year", "birth_year"}},
		[2]string{"protected", "=true"})
	if _, ok := by["testimony.witness"]; ok {
		b.WriteString("  - kind: information   # the testimony tells of the event\n    fields:\n      source: \"@testimony\"\n      event: \"@event\"\n      connection: \"=unknown\"   # direct.witness, direct.victim, hearsay …\n")
	}
	if c, ok := by["act.violation"]; ok {
		if vs := unknownTerms(t, t.Column(c)); len(vs) > 0 {
			fmt.Fprintf(&b, "values:\n  %s:   # values that are not labels of the violations vocabulary ('sori vocab violations')\n", q(c))
			for _, v := range vs {
				fmt.Fprintf(&b, "    # %s: \"\"\n", q(v))
			}
		}
	}
	if c, ok := by["victim.sex"]; ok {
		if !strings.Contains(b.String(), "values:\n") {
			b.WriteString("values:\n")
		}
		fmt.Fprintf(&b, "  %s: {\"남\": \"m\", \"남성\": \"m\", \"여\": \"f\", \"여성\": \"f\", \"male\": \"m\", \"female\": \"f\"}\n", q(c))
	}
	for _, h := range unmapped {
		fmt.Fprintf(&b, "# column %s is not mapped\n", q(h))
	}
	return b.String()
}

var reXXYear = regexp.MustCompile(`^\s*(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*\d{4}\s*$`)

// sniffOrder says "dmy" or "mdy" when column c has dates with the year
// last and one of its first two numbers above 12 (ambiguous: "dmy").
func sniffOrder(t *Table, c int) string {
	found, dmy, mdy := false, false, false
	for _, r := range t.Rows {
		m := reXXYear.FindStringSubmatch(r.Cell(c))
		if m == nil {
			continue
		}
		found = true
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		dmy = dmy || a > 12
		mdy = mdy || b > 12
	}
	switch {
	case !found:
		return ""
	case mdy && !dmy:
		return "mdy"
	}
	return "dmy"
}

// unknownTerms lists column c's distinct values that name no term.
func unknownTerms(t *Table, c int) []string {
	var out []string
	for _, r := range t.Rows {
		for _, s := range splitList(r.Cell(c)) {
			if _, err := termCode(vocab.Violations, s); err != nil && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}
