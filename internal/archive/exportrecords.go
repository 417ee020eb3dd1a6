package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"sori/internal/custody"
	"sori/internal/evidence"
)

// RecordsExport describes an analysts' export of records (sori
// export-records) for its custody entry: which files of which format,
// with their SHA-256. The archive does not write them; the caller does,
// after RecordRecordsExport.
type RecordsExport struct {
	ID     string              `json:"id"` // random, the entry's object
	Format string              `json:"format"`
	Files  []RecordsExportFile `json:"files"` // sorted by name
}

// RecordsExportFile is one file of a RecordsExport.
type RecordsExportFile struct {
	Name   string          `json:"name"`
	SHA256 evidence.Digest `json:"sha256"`
}

// Digest is the SHA-256 of the export's canonical description:
// {"v":1,"id","format","files":[{"name","sha256"}]}, compact, files
// sorted by name (docs/format.md).
func (x RecordsExport) Digest() evidence.Digest {
	files := slices.Clone(x.Files)
	slices.SortFunc(files, func(a, b RecordsExportFile) int { return strings.Compare(a.Name, b.Name) })
	b, _ := json.Marshal(struct {
		V      int                 `json:"v"`
		ID     string              `json:"id"`
		Format string              `json:"format"`
		Files  []RecordsExportFile `json:"files"`
	}{1, x.ID, x.Format, files})
	return evidence.Sum(b)
}

// RecordRecordsExport appends the records-export custody entry of x
// (object: x.ID, or a new random ID when it is empty, which it returns;
// digest: x.Digest) and seals the log. Records are a disclosure: the
// entry says who took which tables out, when, and what the files were.
// Every role that may list records may record their export.
func (a *Archive) RecordRecordsExport(ctx context.Context, x *RecordsExport) error {
	if err := a.allow(OpList); err != nil {
		return err
	}
	if x == nil || x.Format == "" || len(x.Files) == 0 {
		return fmt.Errorf("%w: an export of records needs a format and files", evidence.ErrInvalid)
	}
	if x.ID == "" {
		x.ID = evidence.NewID().String()
	}
	return a.recordEntry(ctx, OpList, custody.KindRecordsExport, x.ID, 0, x.Digest(), evidence.Digest{})
}
