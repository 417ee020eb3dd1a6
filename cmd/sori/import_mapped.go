package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/importer"
	"sori/internal/model"
)

// mappedOpts are the flags of an import through a mapping.
type mappedOpts struct {
	mapping  string // the mapping file, or "" with uwazi or draft
	uwazi    bool
	draft    bool
	encoding string
	format   string // csv or xlsx
	batch    int
	check    bool
	asJSON   bool
}

// readTable reads a CSV (in any of the accepted encodings) or XLSX file.
func readTable(e *env, name string, o mappedOpts, data []byte) (*importer.Table, error) {
	if o.format == "xlsx" {
		if o.encoding != "" {
			return nil, usagef("--encoding is for CSV files; an XLSX file is always Unicode")
		}
		return importer.ReadXLSX(data)
	}
	text, enc, err := importer.Decode(data, o.encoding)
	if err != nil {
		return nil, err
	}
	if enc != importer.EncUTF8 && o.encoding == "" {
		fmt.Fprintf(e.stderr, "sori import: %s: read as %s (detected; give --encoding to say otherwise)\n", name, enc)
	}
	return importer.ReadCSVTable(text)
}

// runMappedImport imports a spreadsheet with any headers through a
// mapping, or writes a draft mapping for it.
func runMappedImport(ctx context.Context, e *env, f archiveFlags, name string, o mappedOpts, data []byte) error {
	t, err := readTable(e, name, o, data)
	if err != nil {
		return importProblems(e, name, err)
	}
	if o.draft {
		_, err := fmt.Fprint(e.stdout, importer.DraftMapping(t))
		return err
	}
	recs, err := mappedRecords(e, name, o, t, data)
	if err != nil {
		return err
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := importer.Build(ctx, recs, archive.ImportResolver(a))
	if err != nil {
		return importProblems(e, name, err)
	}
	if o.check {
		_, err = fmt.Fprintf(e.stdout, "%d records OK from %d rows\n", len(p.Bodies), len(t.Rows))
		return err
	}
	bodies, ids := p.Ordered()
	bar := newProgressBar(e)
	st := batchStore{add: a.AddRecords, exists: recordExists(a), batch: o.batch, progress: bar.updateCount}
	stored, skipped, err := st.store(ctx, bodies, ids)
	bar.clear()
	if err != nil {
		return fmt.Errorf("%s: %d of %d records stored before: %w; run the same command again to store the rest (what is stored is recognised and not stored twice)", name, stored+skipped, len(bodies), err)
	}
	warnSealedRecords(ctx, a, e.stderr, "import", ids, bodies)
	if o.asJSON {
		out := struct {
			IDs     []string `json:"ids"`
			Stored  int      `json:"stored"`
			Skipped int      `json:"already_stored"`
		}{Stored: stored, Skipped: skipped}
		for _, id := range p.IDs {
			out.IDs = append(out.IDs, id.String())
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	_, err = fmt.Fprintf(e.stdout, "%d records imported from %d rows (%d already stored)\n", stored, len(t.Rows), skipped)
	return err
}

// mappedRecords reads the mapping (or takes the built-in Uwazi one) and
// applies it to t: all of t is converted and checked before anything is
// stored.
func mappedRecords(e *env, name string, o mappedOpts, t *importer.Table, data []byte) ([]importer.Record, error) {
	var m *importer.Mapping
	var err error
	if o.uwazi {
		if m, err = importer.UwaziMapping(t); err != nil {
			return nil, importProblems(e, name, err)
		}
	} else {
		mb, err := os.ReadFile(o.mapping)
		if err != nil {
			return nil, usagef("--mapping: %v", err)
		}
		if m, err = importer.ParseMapping(mb); err != nil {
			return nil, importProblems(e, o.mapping, err)
		}
	}
	sum := sha256.Sum256(data)
	recs, err := m.Apply(t, hex.EncodeToString(sum[:]))
	if err != nil {
		return nil, importProblems(e, name, err)
	}
	return recs, nil
}

// recordExists reports whether the archive holds a record with id. It
// resolves the ID in the index only, without reading the record.
func recordExists(a *archive.Archive) func(context.Context, evidence.ID) (bool, error) {
	return func(ctx context.Context, id evidence.ID) (bool, error) {
		_, item, err := a.ResolveAny(ctx, id.String())
		switch {
		case errors.Is(err, evidence.ErrNotFound):
			return false, nil
		case err != nil:
			return false, err
		case item:
			return false, fmt.Errorf("%w: record ID %s is an item's", evidence.ErrInvalid, id)
		}
		return true, nil
	}
}

// batchStore stores validated records in batches, each one transaction,
// skipping records already stored. Records come in an order where each
// follows those it refers to, so every batch refers only to itself and to
// what is stored; an interrupted run leaves whole batches, and a re-run
// with the same IDs skips them.
type batchStore struct {
	add      func(context.Context, []model.Body, []evidence.ID) ([]evidence.ID, error)
	exists   func(context.Context, evidence.ID) (bool, error)
	batch    int // records per transaction
	progress func(done, total int64)
}

func (s batchStore) store(ctx context.Context, bodies []model.Body, ids []evidence.ID) (stored, skipped int, err error) {
	if len(bodies) != len(ids) {
		return 0, 0, fmt.Errorf("%w: %d IDs for %d records", evidence.ErrInvalid, len(ids), len(bodies))
	}
	var todoB []model.Body
	var todoI []evidence.ID
	for i, id := range ids {
		ok, err := s.exists(ctx, id)
		if err != nil {
			return 0, 0, err
		}
		if ok {
			skipped++
			continue
		}
		todoB, todoI = append(todoB, bodies[i]), append(todoI, id)
	}
	n := max(s.batch, 1)
	for start := 0; start < len(todoB); start += n {
		if err := ctx.Err(); err != nil {
			return stored, skipped, err // interrupted between two batches
		}
		end := min(start+n, len(todoB))
		if _, err := s.add(ctx, todoB[start:end], todoI[start:end]); err != nil {
			return stored, skipped, err
		}
		stored += end - start
		if s.progress != nil {
			s.progress(int64(stored+skipped), int64(len(ids)))
		}
	}
	return stored, skipped, nil
}
