// Package importer turns the textual form of model records — import files
// (JSON or CSV, docs/import.md) and the field flags of the record commands —
// into validated bodies ready for one all-or-nothing archive.AddRecords call.
//
// It works in two steps. ParseJSON and ParseCSV read a file into Records,
// field by field, each with the line it was written on; they check only the
// file's syntax and shape. Build then converts every field (vocabulary
// labels to codes, place names to gazetteer codes, dates, numbers), resolves
// references — "@name" to a record earlier or later in the same input, an
// ID or unique prefix to an existing item or record through a Resolver —
// checks that each reference points to the right kind of thing, validates
// every body, and orders the records so that each comes after the records
// it refers to.
//
// Every problem with the input is reported as an *Error that names its line
// (and field) and wraps evidence.ErrInvalid; Build reports up to MaxErrors
// of them at once, as Errors. Nothing here touches an archive: Resolver is
// the one way in.
package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"sori/internal/evidence"
)

// MaxSize is the largest import file accepted, in bytes.
const MaxSize = 64 << 20

// MaxErrors is how many problems Build reports before it stops looking.
const MaxErrors = 20

// Record is one record as written, before conversion.
type Record struct {
	Line   int     // line where the record starts (1-based); 0 on the command line
	Kind   string  // a model kind
	Ref    string  // the local name other records use as "@name"; may be empty
	Fields []Value // in the order written; a field appears at most once
	// ID, if not zero, is the ID the new record gets instead of a random
	// one: mapped imports derive it from the row, so that a re-run
	// recognises what an interrupted run stored (see Mapping).
	ID evidence.ID
	// Label, if set, names the record in messages about the whole record
	// (mapped imports: its kind and columns).
	Label string
}

// Value is one field of a Record as written: JSON (import files in JSON,
// and FromBody) or text (CSV cells, command-line flags).
type Value struct {
	Name  string          // the body field's JSON name (see Fields)
	Label string          // how the user named it, for messages ("--violation"); defaults to Name
	Line  int             // line of the field; 0 when unknown
	JSON  json.RawMessage // the JSON value; nil for text input
	// Text holds text input: one string for a single-valued field, the
	// elements of a list. An empty string, or an empty list, means "none".
	Text []string
	// Kinds, if set, narrows the kinds of record a reference field may
	// point to (e.g. annotate --event).
	Kinds []string
}

func (v Value) label() string {
	if v.Label != "" {
		return v.Label
	}
	return v.Name
}

// Error is one problem with the input. It wraps evidence.ErrInvalid, or
// the resolver's error when that is not about the input.
type Error struct {
	Line  int    // 1-based; 0 when the input has no lines (command line)
	Field string // the field or flag concerned; may be empty
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(strings.TrimPrefix(e.Err.Error(), evidence.ErrInvalid.Error()+": "))
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is several problems, in input order. It wraps evidence.ErrInvalid.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// invalid returns an *Error wrapping evidence.ErrInvalid.
func invalid(line int, field, format string, a ...any) *Error {
	return &Error{Line: line, Field: field, Err: fmt.Errorf("%w: %s", evidence.ErrInvalid, fmt.Sprintf(format, a...))}
}

// Parse reads an import file, choosing the format by name's extension
// (".json" or ".csv", any case), or by format when it is "json" or "csv".
func Parse(name, format string, data []byte) ([]Record, error) {
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
	}
	switch format {
	case "json":
		return ParseJSON(data)
	case "csv":
		return ParseCSV(data)
	}
	return nil, fmt.Errorf("%w: %s: cannot tell the format: name the file .json or .csv, or give the format", evidence.ErrInvalid, name)
}

// Target is what a Resolver finds.
type Target struct {
	ID   evidence.ID
	Kind string // a model kind, or Item
	Size int64  // for items: the size in bytes
}

// Item is the Target.Kind of evidence items.
const Item = "item"

// Resolver finds existing items and records by full ID or unique prefix.
// An unknown ID MUST be reported with an error wrapping evidence.ErrNotFound
// and a malformed or ambiguous one with evidence.ErrInvalid; Build reports
// both as problems with the input, and returns any other error as it is.
type Resolver interface {
	Lookup(ctx context.Context, s string) (Target, error)
}

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex []int // offsets of '\n'

func newLineIndex(data []byte) lineIndex {
	var idx lineIndex
	for off := 0; ; {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return idx
		}
		idx = append(idx, off+i)
		off += i + 1
	}
}

// line returns the line holding byte offset off.
func (l lineIndex) line(off int64) int {
	lo, hi := 0, len(l)
	for lo < hi {
		m := (lo + hi) / 2
		if int64(l[m]) < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo + 1
}

// isInput reports whether a resolver error is about the input (an unknown,
// malformed or ambiguous ID) rather than the archive.
func isInput(err error) bool {
	return errors.Is(err, evidence.ErrNotFound) || errors.Is(err, evidence.ErrInvalid)
}
