package importer

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"sori/internal/evidence"
	"sori/internal/model"
)

// MappingVersion is the version of the mapping format this package reads.
const MappingVersion = 1

// Mapping says how the rows of a Table — a spreadsheet with any headers —
// become records: each row becomes one record of each RecordMap whose
// columns are not all empty in that row, linked to the other records of
// the same row. It is written in YAML (or JSON); docs/import.md,
// "Mappings", is the contract.
type Mapping struct {
	Version int                          `yaml:"version"`
	Source  string                       `yaml:"source"` // names the spreadsheet for resumption across exports (with RowID)
	RowID   string                       `yaml:"row_id"` // a column that identifies a row, unique and never empty
	Dates   string                       `yaml:"dates"`  // dmy or mdy: how to read 14/03/1997
	Split   string                       `yaml:"split"`  // list separator in cells; default ";"
	Records []RecordMap                  `yaml:"records"`
	Values  map[string]map[string]string `yaml:"values"` // column → cell value → what to use instead ("" drops it)

	lenient bool // built-in mappings: a field whose column is absent is left out
}

// RecordMap is one record made from every row.
type RecordMap struct {
	Kind   string              `yaml:"kind"`
	Name   string              `yaml:"name"`   // how fields of the same row refer to it: "@name"
	Shared bool                `yaml:"shared"` // rows with the same values share one record
	Fields map[string]FieldMap `yaml:"fields"` // body field → where its value comes from
	Line   int                 `yaml:"-"`
}

// FieldMap is where a field's value comes from: exactly one of a column,
// a constant, or another record of the same row. In YAML a string is a
// column name, "=text" a constant and "@name" a record; an object gives
// the same keys explicitly, and split and part.
type FieldMap struct {
	Column string `yaml:"column"`
	Value  string `yaml:"value"`
	Record string `yaml:"record"`
	Split  string `yaml:"split"` // list separator for this column (default the mapping's)
	Part   int    `yaml:"part"`  // with split: take only the part-th element (1-based), e.g. "lat|lon"
	Line   int    `yaml:"-"`
}

// UnmarshalYAML reads the short form ("column", "=value", "@record") or
// the object form, refusing unknown keys.
func (f *FieldMap) UnmarshalYAML(n *yaml.Node) error {
	f.Line = n.Line
	if n.Kind == yaml.ScalarNode {
		s := n.Value
		switch {
		case strings.HasPrefix(s, "@"):
			f.Record = s[1:]
		case strings.HasPrefix(s, "="):
			f.Value = s[1:]
		default:
			f.Column = s
		}
		return nil
	}
	if err := knownKeys(n, "column", "value", "record", "split", "part"); err != nil {
		return err
	}
	type plain FieldMap
	if err := n.Decode((*plain)(f)); err != nil {
		return err
	}
	f.Line = n.Line
	return nil
}

// UnmarshalYAML records the line and refuses unknown keys.
func (r *RecordMap) UnmarshalYAML(n *yaml.Node) error {
	if err := knownKeys(n, "kind", "name", "shared", "fields"); err != nil {
		return err
	}
	type plain RecordMap
	if err := n.Decode((*plain)(r)); err != nil {
		return err
	}
	r.Line = n.Line
	return nil
}

func knownKeys(n *yaml.Node, keys ...string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping of %s", n.Line, strings.Join(keys, ", "))
	}
	for i := 0; i < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(keys, k.Value) {
			return fmt.Errorf("line %d: unknown key %q (want %s)", k.Line, k.Value, strings.Join(keys, ", "))
		}
	}
	return nil
}

// ParseMapping reads a mapping file (YAML or JSON) and checks it on its
// own: kinds, fields, names and record references. Whether its columns
// exist is checked against a Table by Apply.
func ParseMapping(data []byte) (*Mapping, error) {
	if len(data) > 1<<20 {
		return nil, invalid(0, "", "the mapping is larger than 1 MiB")
	}
	dec := yaml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, bom)))
	dec.KnownFields(true)
	var m Mapping
	if err := dec.Decode(&m); err != nil {
		return nil, invalid(0, "", "mapping: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return &m, m.check()
}

func (m *Mapping) check() error {
	if m.Version != MappingVersion {
		return invalid(0, "version", "want version: %d", MappingVersion)
	}
	switch model.DateOrder(m.Dates) {
	case model.OrderNone, model.OrderDMY, model.OrderMDY:
	default:
		return invalid(0, "dates", "%q: want dmy or mdy", m.Dates)
	}
	if len(m.Records) == 0 {
		return invalid(0, "records", "the mapping makes no records")
	}
	names := map[string]string{}
	for _, r := range m.Records {
		if Fields(r.Kind) == nil {
			return invalid(r.Line, "kind", "%q is not a kind of record", r.Kind)
		}
		if r.Name != "" {
			if !validRef(r.Name) || strings.ContainsAny(r.Name, ".:") || len(r.Name) > 32 {
				return invalid(r.Line, "name", "%q: use up to 32 letters, digits, '_' or '-'", r.Name)
			}
			if _, dup := names[r.Name]; dup {
				return invalid(r.Line, "name", "%q names two records", r.Name)
			}
			names[r.Name] = r.Kind
		}
	}
	for _, r := range m.Records {
		if len(r.Fields) == 0 {
			return invalid(r.Line, r.Kind, "no fields")
		}
		for name, f := range r.Fields {
			fd, ok := field(r.Kind, name)
			if !ok {
				return invalid(f.Line, r.Kind+"."+name, "a %s has no such field (it has %s)", r.Kind, strings.Join(fieldNames(r.Kind), ", "))
			}
			n := 0
			for _, s := range []string{f.Column, f.Value, f.Record} {
				if s != "" {
					n++
				}
			}
			switch {
			case n != 1:
				return invalid(f.Line, r.Kind+"."+name, "give exactly one of a column, a =value or a @record")
			case f.Record != "":
				k, ok := names[f.Record]
				if !ok {
					return invalid(f.Line, r.Kind+"."+name, "@%s: no record of the mapping has that name", f.Record)
				}
				if fd.Type != RecordRef && fd.Type != PlaceRef && fd.Type != PlaceRefs || fd.Type == RecordRef && !slices.Contains(fd.Kinds, k) || fd.Type != RecordRef && k != model.KindPlace {
					return invalid(f.Line, r.Kind+"."+name, "@%s is %s %s; this field takes %s", f.Record, article(k), k, fd.Type)
				}
			case f.Part < 0 || f.Part > 0 && f.Split == "":
				return invalid(f.Line, r.Kind+"."+name, "part needs split, and counts from 1")
			}
		}
	}
	return nil
}

// Apply turns every row of t into records, as m says. scope names the
// import for the records' IDs: with RowID and Source set, the scope is
// Source, so that another export of the same spreadsheet gives its rows
// the same IDs; otherwise it is the file's digest. A record's ID is
// SHA-256 of scope, row key (the RowID cell, or the row's position) and
// the record's place in the mapping, cut to 16 bytes: a re-run of an
// interrupted import gives the same IDs, and the caller skips those the
// archive already holds. Problems are returned as Errors, up to MaxErrors,
// each with the line and the column.
func (m *Mapping) Apply(t *Table, fileDigest string) ([]Record, error) {
	scope := "file:" + fileDigest
	if m.Source != "" && m.RowID != "" {
		scope = "source:" + m.Source
	}
	a := &applier{m: m, t: t, scope: scope, order: model.DateOrder(m.Dates), shared: map[string]string{}}
	if err := a.columns(); err != nil {
		return nil, err
	}
	seen := map[string]int{}
	var recs []Record
	for i, row := range t.Rows {
		key := "#" + strconv.Itoa(i+1)
		if c := a.rowID; c >= 0 {
			key = row.Cell(c)
			if key == "" {
				a.fail(invalid(row.CellLine(c), a.colLabel(c), "the row id is empty"))
				continue
			}
			if l, dup := seen[key]; dup {
				a.fail(invalid(row.CellLine(c), a.colLabel(c), "row id %q is also on line %d", key, l))
				continue
			}
			seen[key] = row.Line
		}
		recs = append(recs, a.row(i, row, key)...)
		if len(a.errs) >= MaxErrors {
			break
		}
	}
	if len(a.errs) > 0 {
		return nil, a.errs
	}
	return recs, nil
}

type applier struct {
	m      *Mapping
	t      *Table
	scope  string
	order  model.DateOrder
	rowID  int
	shared map[string]string // shared record's key → its ref
	errs   Errors
}

func (a *applier) fail(e *Error) {
	if len(a.errs) < MaxErrors {
		a.errs = append(a.errs, e)
	}
}

// columns checks that every column the mapping names is in the header.
func (a *applier) columns() error {
	missing := func(line int, what, col string) error {
		return invalid(line, what, "column %q is not in the file (its columns: %s)", col, strings.Join(a.t.Header, ", "))
	}
	a.rowID = -1
	if a.m.RowID != "" {
		if a.rowID = a.t.Column(a.m.RowID); a.rowID < 0 {
			return missing(0, "row_id", a.m.RowID)
		}
	}
	for col := range a.m.Values {
		if a.t.Column(col) < 0 && !a.m.lenient {
			return missing(0, "values", col)
		}
	}
	for i := range a.m.Records {
		r := &a.m.Records[i]
		for name, f := range r.Fields {
			if f.Column != "" && a.t.Column(f.Column) < 0 {
				if !a.m.lenient {
					return missing(f.Line, r.Kind+"."+name, f.Column)
				}
				delete(r.Fields, name)
			}
		}
	}
	return nil
}

func (a *applier) colLabel(c int) string {
	return fmt.Sprintf("column %s %q", ColumnName(c), a.t.Header[c])
}

// row makes the records of one row.
func (a *applier) row(i int, row Row, key string) []Record {
	refs := map[string]string{} // mapping name → ref of this row's record
	made := make([]*Record, len(a.m.Records))
	var out []Record
	for j, rm := range a.m.Records {
		r := &Record{Line: row.Line, Kind: rm.Kind}
		fromCells := false
		for _, fd := range Fields(rm.Kind) {
			f, ok := rm.Fields[fd.Name]
			if !ok || f.Record != "" {
				continue
			}
			v, ok := a.value(row, rm.Kind, fd, f)
			if !ok {
				continue
			}
			r.Fields = append(r.Fields, v)
			fromCells = fromCells || f.Column != ""
		}
		if !fromCells && hasColumn(rm) {
			continue // every cell of this record is empty in this row
		}
		name := rm.Name
		if name == "" {
			name = strconv.Itoa(j + 1)
		}
		r.Ref = fmt.Sprintf("r%d.%s", i+1, name)
		r.Label = a.recordLabel(rm)
		r.ID = a.id(key, name)
		made[j] = r
		if rm.Name != "" {
			refs[rm.Name] = r.Ref
		}
	}
	for j, rm := range a.m.Records {
		r := made[j]
		switch {
		case r == nil:
		case !hasColumn(rm) && !linksMade(rm, refs):
			made[j] = nil // made of constants and links only: made when all it links to is
			delete(refs, rm.Name)
		case rm.Shared:
			k := sharedKey(rm, r)
			if ref, ok := a.shared[k]; ok {
				refs[rm.Name] = ref // link to the record an earlier row made
				made[j] = nil
				continue
			}
			a.shared[k] = r.Ref
			r.ID = a.id("shared:"+k, "")
		}
	}
	for j, rm := range a.m.Records { // links to the row's other records
		r := made[j]
		if r == nil {
			continue
		}
		for _, fd := range Fields(rm.Kind) {
			if f, ok := rm.Fields[fd.Name]; ok && f.Record != "" {
				if ref, ok := refs[f.Record]; ok {
					r.Fields = append(r.Fields, Value{Name: fd.Name, Label: "mapping " + rm.Kind + "." + fd.Name, Line: row.Line, Text: []string{"@" + ref}})
				}
			}
		}
		out = append(out, *r)
	}
	return out
}

// recordLabel names a record made by rm in messages: its kind and the
// columns it is made from, e.g. `testimony (columns B "증언자", C "면담일")`.
func (a *applier) recordLabel(rm RecordMap) string {
	var cols []int
	for _, f := range rm.Fields {
		if c := a.t.Column(f.Column); f.Column != "" && c >= 0 && !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return rm.Kind
	}
	slices.Sort(cols)
	s := make([]string, len(cols))
	for i, c := range cols {
		s[i] = fmt.Sprintf("%s %q", ColumnName(c), a.t.Header[c])
	}
	return fmt.Sprintf("%s (%s %s)", rm.Kind, plural(len(cols), "column", "columns"), strings.Join(s, ", "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func hasColumn(rm RecordMap) bool {
	for _, f := range rm.Fields {
		if f.Column != "" {
			return true
		}
	}
	return false
}

func linksMade(rm RecordMap, refs map[string]string) bool {
	for _, f := range rm.Fields {
		if _, ok := refs[f.Record]; f.Record != "" && !ok {
			return false
		}
	}
	return true
}

// sharedKey identifies a shared record by its kind, name and values.
func sharedKey(rm RecordMap, r *Record) string {
	var b strings.Builder
	b.WriteString(rm.Kind + "\x00" + rm.Name)
	for _, v := range r.Fields {
		if f := rm.Fields[v.Name]; f.Record == "" {
			b.WriteString("\x00" + v.Name + "=" + strings.Join(v.Text, "\x1f"))
		}
	}
	return b.String()
}

// id derives a record's ID from the scope, the row key and its name.
func (a *applier) id(key, name string) evidence.ID {
	h := sha256.Sum256([]byte("sori import v1\x00" + a.scope + "\x00" + key + "\x00" + name))
	var id evidence.ID
	copy(id[:], h[:])
	return id
}

// value makes one field's Value from a constant or a cell; ok is false
// when there is nothing (an empty cell) or the value is wrong (reported).
func (a *applier) value(row Row, kind string, fd Field, f FieldMap) (Value, bool) {
	v := Value{Name: fd.Name, Line: row.Line}
	text, col := f.Value, -1
	if f.Column != "" {
		col = a.t.Column(f.Column)
		text = row.Cell(col)
		v.Line = row.CellLine(col)
		v.Label = fmt.Sprintf("%s → %s.%s", a.colLabel(col), kind, fd.Name)
	} else {
		v.Label = "mapping " + kind + "." + fd.Name
	}
	if f.Part > 0 {
		parts := strings.Split(text, f.Split)
		text = ""
		if f.Part <= len(parts) {
			text = strings.TrimSpace(parts[f.Part-1])
		}
	}
	var elems []string
	if fd.Type.List() && f.Part == 0 {
		sep := cmp(f.Split, cmp(a.m.Split, ListSep))
		for _, s := range strings.Split(text, sep) {
			if s = strings.TrimSpace(s); s != "" {
				elems = append(elems, s)
			}
		}
	} else if text != "" {
		elems = []string{text}
	}
	var vals map[string]string
	if col >= 0 {
		vals = a.m.Values[f.Column]
	}
	for _, s := range elems {
		if to, ok := vals[s]; ok {
			s = to
		} else if fd.Type == Term || fd.Type == Terms {
			if _, leaf, ok := cutLast(s, "::"); ok { // Uwazi's group::term
				s = leaf
			}
		}
		if s == "" {
			continue
		}
		if fd.Type == Date {
			if !strings.Contains(s, "..") {
				s = strings.Replace(s, ":", "..", 1) // Uwazi writes a range A:B
			}
			d, err := model.ParseDateOrder(s, a.order)
			if err != nil {
				a.fail(&Error{Line: v.Line, Field: v.Label, Err: err})
				return v, false
			}
			s = d.String()
		}
		v.Text = append(v.Text, s)
	}
	return v, len(v.Text) > 0
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
