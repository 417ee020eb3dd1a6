package main

import (
	"context"
	"fmt"
	"io"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
)

// The safety net's warnings (docs/cli.md "Sealed names"): where new text
// names a witness sealed in the identity vault. They never say which
// witness, nor the name; the exit status is unchanged.

func sealedWhat(s archive.NameSpan) string {
	if s.Label == archive.LabelSealedGiven {
		return "a given name sealed in the identity vault (a weaker match: check it)"
	}
	return "a name sealed in the identity vault"
}

// warnSealedItem prints one warning per span of a new item's text.
func warnSealedItem(w io.Writer, cmd, path string, id evidence.ID, spans []archive.NameSpan) {
	for _, s := range spans {
		fmt.Fprintf(w, "sori %s: warning: %s: bytes %d:%d hold %s; mark it with 'sori redact %s --span %d:%d --reason sealed-name' before any publication\n",
			cmd, path, s.Start, s.End, sealedWhat(s), id, s.Start, s.End)
	}
}

// warnSealedRecords checks new record versions' text and prints one
// warning per record that names a sealed witness. A failure to check is
// itself a warning: the records are stored.
func warnSealedRecords(ctx context.Context, a *archive.Archive, w io.Writer, cmd string, ids []evidence.ID, bodies []model.Body) {
	texts := make([]string, len(bodies))
	for i, b := range bodies {
		texts[i] = b.Text()
	}
	found, err := a.CheckTexts(ctx, texts)
	if err != nil {
		fmt.Fprintf(w, "sori %s: warning: the records were stored, but could not be checked for sealed names: %v\n", cmd, err)
		return
	}
	for i, spans := range found {
		if len(spans) == 0 {
			continue
		}
		given := 0
		for _, s := range spans {
			if s.Label == archive.LabelSealedGiven {
				given++
			}
		}
		what := fmt.Sprintf("%d name(s) sealed in the identity vault", len(spans)-given)
		if given > 0 {
			what += fmt.Sprintf(" and %d sealed given name(s) (a weaker match: check them)", given)
		}
		fmt.Fprintf(w, "sori %s: warning: record %s: its text holds %s; a witness is named by pseudonym only: edit the record, or mark the person --protected, before any publication\n", cmd, ids[i], what)
	}
}
