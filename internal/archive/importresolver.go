package archive

import (
	"context"

	"sori/internal/importer"
)

// ImportResolver is the importer's view of the archive a (importer.Build):
// items and records by full ID or unique prefix, through the session's own
// reads (Show and Record), so their role checks and guard apply.
func ImportResolver(a *Archive) importer.Resolver { return importResolver{a} }

type importResolver struct{ a *Archive }

func (r importResolver) Lookup(ctx context.Context, s string) (importer.Target, error) {
	id, item, err := r.a.ResolveAny(ctx, s)
	if err != nil {
		return importer.Target{}, err
	}
	if item {
		info, err := r.a.Show(ctx, id.String())
		return importer.Target{ID: id, Kind: importer.Item, Size: info.Size}, err
	}
	info, err := r.a.Record(ctx, id.String())
	return importer.Target{ID: id, Kind: info.Kind}, err
}
