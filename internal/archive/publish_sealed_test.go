// These tests check publication against the sealed-name safety net
// (safetynet.go, internal/namenet): vault names in any romanization.

package archive

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"sori/internal/model"
	"sori/internal/publish"
)

// TestPublishSealedNames: the witness's true name is only in the identity
// vault, written there in Hangul; the transcript calls her by it in Hangul
// (stored NFD) and in three romanizations. None of them may reach any file
// of the publication, in any normalization or case, and the text around
// them must still be there.
func TestPublishSealedNames(t *testing.T) {
	ctx := context.Background()
	a := newArchive(t)
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-17", Names: []string{"림송화"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-18", Names: []string{"강언주", "Kang Ŏn-ju"}}); err != nil {
		t.Fatal(err)
	}
	transcript := "질문: 성함이 어떻게 되십니까?\n답변: " + norm.NFD.String("림송화") + "입니다. 보위부 서류에는 Rim Song-hwa, 중국에서는 Lim Songhwa, " +
		"한국 여권에는 RIM SONG HWA 로 적혀 있습니다. 제 친구 Kang On-ju 도 같이 건넜습니다.\n"
	variants := []string{"림송화", "Rim Song-hwa", "Lim Songhwa", "RIM SONG HWA", "강언주", "Kang On-ju", "Kang Ŏn-ju"}
	path := filepath.Join(t.TempDir(), "w17.ko.txt")
	writeFile(t, path, []byte(transcript))
	item := addAll(t, a, []string{path}, AddOptions{Kind: "transcript", Lang: "ko"})[0].ID
	ids := NewRecordIDs(2)
	if _, err := a.AddRecords(ctx, []model.Body{
		&model.Testimony{Title: "Crossing in 1998", Witness: "W-17", Original: &item},
		&model.Consent{Testimony: ids[0], Scope: ScopeAnonymized},
	}, ids); err != nil {
		t.Fatal(err)
	}
	p, err := a.Publish(ctx, []string{publish.FormatJSON, publish.FormatCSV, publish.FormatGeoJSON})
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, f := range p.Files {
		all = append(all, f.Data...)
	}
	for _, r := range p.Report.Redactions {
		all = append(all, []byte(r.Label+r.Reason)...)
	}
	low := bytes.ToLower(all)
	for _, v := range variants {
		for _, form := range []string{v, norm.NFC.String(v), norm.NFD.String(v)} {
			if bytes.Contains(low, bytes.ToLower([]byte(form))) {
				t.Errorf("a sealed name (%d bytes) is in the publication", len(form))
			}
		}
	}
	if len(p.Dataset.Transcripts) != 1 {
		t.Fatalf("%d transcripts", len(p.Dataset.Transcripts))
	}
	text := p.Dataset.Transcripts[0].Text
	for _, keep := range []string{"보위부 서류에는", "중국에서는", "한국 여권에는", "도 같이 건넜습니다"} {
		if !strings.Contains(text, keep) {
			t.Errorf("the transcript lost %q:\n%s", keep, text)
		}
	}
	if n := p.Dataset.Transcripts[0].Redactions; n < 5 {
		t.Errorf("%d spans replaced, want at least 5 (four forms of W-17's name, one of W-18's)", n)
	}
	if got := readItem(t, a, item); string(got) != transcript {
		t.Error("publication changed the original")
	}
}
