package archive

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/publish"
)

// publishOne adds a transcript and a testimony over it with consent c,
// and returns the publication.
// more makes further records; ids[0] is the testimony's, ids[2:] theirs.
func publishOne(t *testing.T, a *Archive, text string, c model.Consent, more func(ids []evidence.ID) []model.Body) *Publication {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.ko.txt")
	writeFile(t, path, []byte(text))
	item := addAll(t, a, []string{path}, AddOptions{Kind: "transcript", Lang: "ko"})[0].ID
	ids := NewRecordIDs(16)
	c.Testimony = ids[0]
	bodies := []model.Body{&model.Testimony{Title: "Interview", Witness: "W-31", Original: &item}, &c}
	if more != nil {
		bodies = append(bodies, more(ids)...)
	}
	ids = ids[:len(bodies)]
	if _, err := a.AddRecords(ctx, bodies, ids); err != nil {
		t.Fatal(err)
	}
	p, err := a.Publish(ctx, []string{publish.FormatJSON, publish.FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPublishScansFreeText(t *testing.T) {
	text := "1997년 3월 14일 회령에서 잡혔습니다. On 14 March 1997 in Hoeryong, then 1998-09-02 at Yodok. " +
		"Call 010-2345-6789 or mail w31@example.org. 1990년대에는 함경북도에 살았다.\n"
	for _, tc := range []struct {
		name       string
		c          model.Consent
		want, gone []string
	}{
		{"defaults: province, year", model.Consent{Scope: ScopeAnonymized},
			[]string{"1997년 함경북도에서", "On 1997 in North Hamgyong", "1998 at South Hamgyong", "Call [phone] or mail [e-mail]", "1990년대에는 함경북도에"},
			[]string{"회령", "Hoeryong", "Yodok", "3월", "March", "09-02", "2345", "w31@"}},
		{"county, month", model.Consent{Scope: ScopeAnonymized, PlacePrecision: "county", DatePrecision: "month"},
			[]string{"1997년 3월 회령에서", "On March 1997 in Hoeryong", "1998-09 at"},
			[]string{"14일", "14 March", "09-02"}},
		{"exact, day", model.Consent{Scope: ScopeAnonymized, PlacePrecision: "exact", DatePrecision: "day"},
			[]string{"1997년 3월 14일 회령에서", "14 March 1997 in Hoeryong", "1998-09-02 at Yodok", "[phone]"},
			[]string{"2345"}},
		{"decade", model.Consent{Scope: ScopeAnonymized, DatePrecision: "decade"},
			[]string{"1990년대 함경북도에서", "On 1990s in", "1990s at"},
			[]string{"1997", "1998"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newArchive(t)
			p := publishOne(t, a, text, tc.c, nil)
			if len(p.Dataset.Transcripts) != 1 {
				t.Fatalf("%d transcripts", len(p.Dataset.Transcripts))
			}
			got := p.Dataset.Transcripts[0].Text
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("published text lacks %q:\n%s", w, got)
				}
			}
			for _, g := range tc.gone {
				if strings.Contains(got, g) {
					t.Errorf("published text holds %q:\n%s", g, got)
				}
			}
			// The report names offsets and sources, never the text. (Not
			// "2345" alone: the report's random IDs and digests are hex and
			// hold it by chance about once in a hundred runs.)
			rep, _ := json.Marshal(p.Report)
			for _, g := range []string{"회령", "Hoeryong", "2345-6789", "010-2345", "w31@"} {
				if strings.Contains(string(rep), g) {
					t.Errorf("report holds %q", g)
				}
			}
			if p.Report.FreeText == 0 {
				t.Error("no free-text finding reported")
			}
			for _, r := range p.Report.Redactions {
				if slices.Contains([]string{FoundPlace, FoundDate, FoundContact}, r.Source) && (r.Item == "" || r.End <= r.Start) {
					t.Errorf("finding without item or span: %+v", r)
				}
			}
		})
	}
}

// TestPublishPersons: a person whose name is a sealed identity is
// pseudonymized (and listed by record ID), and a victim pseudonymized in
// one anonymized testimony is pseudonymized in the whole dataset.
func TestPublishPersons(t *testing.T) {
	ctx := context.Background()
	a := newArchive(t)
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-23", Names: []string{"최영남", "Choi Young-nam"}}); err != nil {
		t.Fatal(err)
	}
	p := publishOne(t, a, "질문: 누가 잡혀갔습니까? 답변: 최영남 씨와 김복순 씨입니다.\n", model.Consent{Scope: ScopeAnonymized}, func(ids []evidence.ID) []model.Body {
		sealed, victim, ev, act := ids[2], ids[3], ids[4], ids[5]
		return []model.Body{
			&model.Person{Names: []string{"최영남", "Choi Young-nam"}},
			&model.Person{Names: []string{"김복순"}},
			&model.Event{Title: "Arrest", Date: model.Date{Precision: "unknown"}},
			&model.Act{Event: ev, Victim: &victim, Violation: "detention.arbitrary_arrest", Date: model.Date{Precision: "unknown"}},
			&model.Involvement{Act: act, Perpetrator: sealed, Degree: "violent.direct"},
			&model.Information{Source: ids[0], Event: ev, Connection: "direct.witness"},
		}
	})
	all, _ := json.Marshal(p.Dataset)
	for _, g := range []string{"최영남", "Choi Young", "김복순"} {
		if strings.Contains(string(all), g) {
			t.Errorf("the dataset names %q:\n%s", g, all)
		}
	}
	if len(p.Dataset.Persons) != 2 {
		t.Fatalf("%d persons published, want 2: %+v", len(p.Dataset.Persons), p.Dataset.Persons)
	}
	why := map[string]bool{}
	for _, ps := range p.Report.Pseudonyms {
		why[ps.Why] = true
	}
	if !why["sealed identity"] {
		t.Errorf("no person pseudonymized as a sealed identity: %+v", p.Report.Pseudonyms)
	}
}

// FuzzScanFree holds the free-text scan to its contract on any text: spans
// within the text, on rune boundaries, sorted and not overlapping, and
// applying them gives valid UTF-8 when the text was.
func FuzzScanFree(f *testing.F) {
	for _, s := range []string{"1997년 3월 14일 회령", "14 March 1997, Hoeryong", "1998-09-02 010-2345-6789", "a@b.cd 1990년대", "Sept. 3rd, 2001", "31/12/1999", "\xff1997년"} {
		f.Add(s)
	}
	b := &pubBuilder{places: map[evidence.ID]*model.Place{}, placeIDs: map[string]bool{}, pubID: map[evidence.ID]string{}}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range []policy{{place: "province", date: "year"}, {place: "county", date: "month"}, {place: "none", date: "unknown"}} {
			end := 0
			var spans []publish.Span
			for _, x := range b.scanFree(s, p) {
				if x.Start < end || x.End <= x.Start || x.End > len(s) {
					t.Fatalf("bad span %+v in %q", x, s)
				}
				end = x.End
				spans = append(spans, x.Span)
			}
			if out, _ := publish.Apply([]byte(s), spans); utf8.ValidString(s) && !utf8.ValidString(out) {
				t.Fatalf("%q -> invalid %q", s, out)
			}
		}
	})
}

// TestPublishPseudonymEverywhere: a victim told of by name under named
// consent, but written in an anonymized testimony's transcript (where the
// guard writes "[Person N]"), is pseudonymized in the whole dataset: the
// label must not lead to a name.
func TestPublishPseudonymEverywhere(t *testing.T) {
	ctx := context.Background()
	a := newArchive(t)
	anonText := filepath.Join(t.TempDir(), "anon.ko.txt")
	writeFile(t, anonText, []byte("답변: 우리 옆집 한복실 씨도 잡혀갔습니다.\n"))
	anon := addAll(t, a, []string{anonText}, AddOptions{Kind: "transcript", Lang: "ko"})[0].ID
	ids := NewRecordIDs(9)
	ta, tn, victim, ev, act := ids[0], ids[1], ids[2], ids[3], ids[4]
	_ = act
	unknown := model.Date{Precision: "unknown"}
	if _, err := a.AddRecords(ctx, []model.Body{
		&model.Testimony{Title: "Anonymized", Witness: "W-40", Original: &anon},
		&model.Testimony{Title: "Named", Witness: "W-41"},
		&model.Person{Names: []string{"한복실", "Han Bok-sil"}},
		&model.Event{Title: "Arrest", Date: unknown},
		&model.Act{Event: ev, Victim: &victim, Violation: "detention.arbitrary_arrest", Date: unknown},
		&model.Information{Source: tn, Event: ev, Connection: "direct.witness"},
		&model.Consent{Testimony: ta, Scope: ScopeAnonymized},
		&model.Consent{Testimony: tn, Scope: ScopeNamed},
	}, ids[:8]); err != nil {
		t.Fatal(err)
	}
	p, err := a.Publish(ctx, []string{publish.FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := json.Marshal(p.Dataset)
	if strings.Contains(string(all), "한복실") || strings.Contains(string(all), "Han Bok") {
		t.Errorf("the victim is named in the dataset:\n%s", all)
	}
	if !strings.Contains(string(all), "[Person 1]") {
		t.Errorf("the transcript does not use the label:\n%s", all)
	}
	found := false
	for _, ps := range p.Dataset.Persons {
		found = found || (ps.Name == "Person 1" && ps.Protected)
	}
	if !found {
		t.Errorf("the person record is not published as Person 1: %+v", p.Dataset.Persons)
	}
}
