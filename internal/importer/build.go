package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/vocab"
)

// Plan is what Build makes of its input: one new record per input record.
type Plan struct {
	Bodies []model.Body           // validated bodies, in input order
	IDs    []evidence.ID          // the new records' IDs, in input order
	Refs   map[string]evidence.ID // local names ("ref") and the IDs they got
	order  []int                  // input indexes, each after those it refers to
	items  map[evidence.ID]Target // items referred to
}

// Ordered returns the bodies and their IDs in an order where every record
// comes after the records of the same input it refers to: what
// archive.AddRecords needs. It is input order when the input already is.
func (p *Plan) Ordered() ([]model.Body, []evidence.ID) {
	bs := make([]model.Body, len(p.order))
	ids := make([]evidence.ID, len(p.order))
	for i, j := range p.order {
		bs[i], ids[i] = p.Bodies[j], p.IDs[j]
	}
	return bs, ids
}

// Build converts and validates recs (see the package documentation) and
// gives each a new ID. res resolves the IDs of existing items and records;
// it may be nil when the input refers to none. Problems with the input are
// returned as Errors (at most MaxErrors); anything else, such as a damaged
// archive behind res, as it is.
func Build(ctx context.Context, recs []Record, res Resolver) (*Plan, error) {
	p := &Plan{
		Bodies: make([]model.Body, len(recs)),
		IDs:    make([]evidence.ID, len(recs)),
		Refs:   map[string]evidence.ID{},
		items:  map[evidence.ID]Target{},
	}
	b := &builder{ctx: ctx, res: res, recs: recs, plan: p, local: map[string]int{}, found: map[string]Target{}}
	for i, r := range recs {
		if p.IDs[i] = r.ID; r.ID.IsZero() {
			p.IDs[i] = evidence.NewID()
		}
		if r.Ref == "" {
			continue
		}
		if !validRef(r.Ref) {
			b.fail(invalid(r.Line, "ref", "%q: use up to 64 letters, digits, '_', '-', '.' or ':'", r.Ref))
			continue
		}
		if j, dup := b.local[r.Ref]; dup {
			b.fail(invalid(r.Line, "ref", "%q already names the record on line %d", r.Ref, recs[j].Line))
			continue
		}
		b.local[r.Ref] = i
		p.Refs[r.Ref] = p.IDs[i]
	}
	deps := make([][]int, len(recs))
	for i := range recs {
		if len(b.errs) >= MaxErrors {
			break
		}
		body, d, err := b.record(i)
		if err != nil {
			return nil, err
		}
		p.Bodies[i], deps[i] = body, d
	}
	if len(b.errs) > 0 {
		return nil, b.errs
	}
	order, err := sortRecords(recs, deps)
	if err != nil {
		return nil, Errors{err}
	}
	p.order = order
	return p, nil
}

// FromBody returns b as a Record of JSON values, so that Build(FromBody(b))
// gives b back: what editing a record starts from.
func FromBody(b model.Body) Record {
	var m map[string]json.RawMessage
	json.Unmarshal(model.EncodeBody(b), &m) // a body always encodes as an object
	r := Record{Kind: b.Kind()}
	for _, f := range Fields(b.Kind()) {
		if v, ok := m[f.Name]; ok {
			r.Fields = append(r.Fields, Value{Name: f.Name, JSON: v})
		}
	}
	return r
}

type builder struct {
	ctx   context.Context
	res   Resolver
	recs  []Record
	plan  *Plan
	local map[string]int    // ref → input index
	found map[string]Target // what res said, by what was asked
	errs  Errors
}

func (b *builder) fail(e *Error) {
	if len(b.errs) < MaxErrors {
		b.errs = append(b.errs, e)
	}
}

// record converts record i. Problems with the input go to b.errs; the
// error returned is one that is not about the input.
func (b *builder) record(i int) (model.Body, []int, error) {
	r := b.recs[i]
	if Fields(r.Kind) == nil {
		b.fail(invalid(r.Line, "kind", "%q: want one of %s", r.Kind, strings.Join(model.Kinds, ", ")))
		return nil, nil, nil
	}
	m := map[string]any{}
	seen := map[string]bool{}
	var deps []int
	failed := false
	for _, v := range r.Fields {
		line := v.Line
		if line == 0 {
			line = r.Line
		}
		f, ok := field(r.Kind, v.Name)
		if !ok {
			b.fail(invalid(line, v.label(), "%s %s has no such field (it has %s)", article(r.Kind), r.Kind, strings.Join(fieldNames(r.Kind), ", ")))
			failed = true
			continue
		}
		if seen[f.Name] {
			b.fail(invalid(line, v.label(), "given twice"))
			failed = true
			continue
		}
		seen[f.Name] = true
		c := conv{b: b, self: i, line: line, v: v, f: f}
		out, err := c.value()
		if err != nil {
			if e, ok := err.(*Error); ok {
				b.fail(e)
				failed = true
				continue
			}
			return nil, nil, err
		}
		deps = append(deps, c.deps...)
		if out != nil {
			m[f.Name] = out
		}
	}
	if failed {
		return nil, nil, nil
	}
	for _, f := range Fields(r.Kind) {
		if _, ok := m[f.Name]; !ok && f.Type == Date {
			m[f.Name], _ = model.ParseDate("") // the body's zero Date is not valid: say "unknown"
		}
	}
	body, err := decodeBody(r.Kind, m)
	if err != nil {
		b.fail(invalid(r.Line, r.Label, "%v", err))
		return nil, nil, nil
	}
	if err := body.Validate(); err != nil {
		b.fail(&Error{Line: r.Line, Field: r.Label, Err: err})
		return nil, nil, nil
	}
	if an, ok := body.(*model.Annotation); ok {
		if it, ok := b.plan.items[an.Item]; ok && int64(an.End) > it.Size {
			label, line := "end", r.Line
			for _, v := range r.Fields {
				if v.Name == "end" {
					label, line = v.label(), max(v.Line, r.Line)
				}
			}
			b.fail(invalid(line, label, "span %d:%d lies beyond the end of item %s (%d bytes)", an.Start, an.End, an.Item, it.Size))
			return nil, nil, nil
		}
	}
	return body, deps, nil
}

func decodeBody(kind string, m map[string]any) (model.Body, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	body, err := model.NewBody(kind)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(body); err != nil {
		return nil, err
	}
	return body, nil
}

// conv converts one field.
type conv struct {
	b    *builder
	self int // the record's input index
	line int
	v    Value
	f    Field
	deps []int
}

func (c *conv) fail(format string, a ...any) *Error {
	return invalid(c.line, c.v.label(), format, a...)
}

// wrap makes err an *Error when it is a problem with this field's value,
// and returns any other error (a damaged archive) as it is.
func (c *conv) wrap(err error) error {
	if e, ok := err.(*Error); ok {
		return e
	}
	if !isInput(err) {
		return err
	}
	if !errors.Is(err, evidence.ErrInvalid) {
		err = fmt.Errorf("%w: %w", evidence.ErrInvalid, err)
	}
	return &Error{Line: c.line, Field: c.v.label(), Err: err}
}

// value returns the field's value for the body's JSON, nil when none.
func (c *conv) value() (any, error) {
	if c.f.Type.List() {
		ss, err := c.list()
		if err != nil || len(ss) == 0 {
			return nil, err
		}
		out := make([]string, len(ss))
		for i, s := range ss {
			if out[i], err = c.one(s); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	switch c.f.Type {
	case Int, Float:
		return c.number()
	case Bool:
		return c.boolean()
	case Date:
		return c.date()
	}
	s, ok, err := c.str()
	if err != nil || !ok {
		return nil, err
	}
	return c.one(s)
}

// date returns a Date field's value: a string in model.ParseDate's form or
// a date object.
func (c *conv) date() (any, error) {
	if c.v.JSON != nil && bytes.HasPrefix(bytes.TrimSpace(c.v.JSON), []byte("{")) {
		var d model.Date
		dec := json.NewDecoder(bytes.NewReader(c.v.JSON))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			return nil, c.fail("want a date such as \"1997-03\" or {\"from\",\"to\",\"precision\",\"approx\"}: %v", err)
		}
		if err := d.Validate(); err != nil {
			return nil, c.wrap(err)
		}
		return d, nil
	}
	s, ok, err := c.str()
	if err != nil || !ok {
		return nil, err
	}
	d, err := model.ParseDateOrder(s, model.OrderNone) // ISO, and Korean and year-first forms
	if err != nil {
		return nil, c.wrap(err)
	}
	return d, nil
}

// one converts a single string of the field (or of a list field).
func (c *conv) one(s string) (string, error) {
	var (
		out string
		err error
	)
	switch c.f.Type {
	case Text, Texts:
		return s, nil
	case Term, Terms:
		out, err = termCode(c.f.Vocab, s)
	case Gazetteer:
		out, err = gazetteerCode(s)
	case RecordRef:
		kinds := c.f.Kinds
		if c.v.Kinds != nil {
			kinds = c.v.Kinds
		}
		out, err = c.record(s, kinds)
	case ItemRef, ItemRefs:
		out, err = c.item(s)
	case PlaceRef, PlaceRefs:
		out, err = c.place(s)
	default:
		return "", c.fail("cannot convert a %s", c.f.Type)
	}
	if err != nil {
		return "", c.wrap(err)
	}
	return out, nil
}

// str returns a single-valued field's string; ok is false when the field is empty.
func (c *conv) str() (s string, ok bool, err error) {
	if c.v.JSON != nil {
		if string(bytes.TrimSpace(c.v.JSON)) == "null" {
			return "", false, nil
		}
		if err := json.Unmarshal(c.v.JSON, &s); err != nil {
			if c.f.Type == Text {
				return "", false, c.fail("want a string")
			}
			return "", false, c.fail("want a %s written as a string", c.f.Type)
		}
		return s, s != "", nil
	}
	switch len(c.v.Text) {
	case 0:
		return "", false, nil
	case 1:
		return c.v.Text[0], c.v.Text[0] != "", nil
	}
	return "", false, c.fail("give one value, not %d", len(c.v.Text))
}

// list returns a list field's elements, without empty ones.
func (c *conv) list() ([]string, error) {
	var ss []string
	if c.v.JSON != nil {
		if string(bytes.TrimSpace(c.v.JSON)) == "null" {
			return nil, nil
		}
		if err := json.Unmarshal(c.v.JSON, &ss); err != nil {
			return nil, c.fail("want a list of strings: [\"…\", …]")
		}
	} else {
		ss = c.v.Text
	}
	return slices.DeleteFunc(slices.Clone(ss), func(s string) bool { return strings.TrimSpace(s) == "" }), nil
}

// boolean returns a Bool field's value, nil when empty or false (bodies
// omit false flags, so both spellings give the same canonical record).
func (c *conv) boolean() (any, error) {
	var s string
	if c.v.JSON != nil {
		s = string(bytes.TrimSpace(c.v.JSON))
		if s != "true" && s != "false" && s != "null" {
			return nil, c.fail("want true or false, not %s", s)
		}
	} else {
		var ok bool
		var err error
		if s, ok, err = c.str(); err != nil || !ok {
			return nil, err
		}
		s = strings.ToLower(strings.TrimSpace(s))
	}
	switch s {
	case "true", "yes", "1":
		return true, nil
	case "false", "no", "0", "", "null":
		return nil, nil
	}
	return nil, c.fail("%q: want true or false", s)
}

// number returns an Int or Float field's value, nil when empty.
func (c *conv) number() (any, error) {
	var (
		s   string
		err error
	)
	if c.v.JSON != nil {
		s = string(bytes.TrimSpace(c.v.JSON))
		if s == "null" {
			return nil, nil
		}
		if s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
			return nil, c.fail("want a number, not %s", s)
		}
	} else {
		var ok bool
		if s, ok, err = c.str(); err != nil || !ok {
			return nil, err
		}
		s = strings.TrimSpace(s)
	}
	if c.f.Type == Int {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, c.fail("%q is not a whole number", s)
		}
		return n, nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return nil, c.fail("%q is not a number", s)
	}
	return x, nil
}

// record resolves a reference to a record of one of kinds.
func (c *conv) record(s string, kinds []string) (string, error) {
	s = strings.TrimSpace(s)
	if name, ok := strings.CutPrefix(s, "@"); ok {
		j, ok := c.b.local[name]
		if !ok {
			return "", c.fail("no record in this input has ref %q", name)
		}
		if j == c.self {
			return "", c.fail("a record cannot refer to itself")
		}
		if k := c.b.recs[j].Kind; !slices.Contains(kinds, k) {
			return "", c.fail("@%s (line %d) is %s %s; want %s", name, c.b.recs[j].Line, article(k), k, orList(kinds))
		}
		c.deps = append(c.deps, j)
		return c.b.plan.IDs[j].String(), nil
	}
	t, err := c.b.lookup(s)
	if err != nil {
		return "", err
	}
	switch {
	case t.Kind == Item:
		return "", c.fail("%s is an evidence item; want %s", t.ID, orList(kinds))
	case !slices.Contains(kinds, t.Kind):
		return "", c.fail("%s is %s %s; want %s", t.ID, article(t.Kind), t.Kind, orList(kinds))
	}
	return t.ID.String(), nil
}

// item resolves a reference to an evidence item.
func (c *conv) item(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "@") {
		return "", c.fail("%s: items are added with 'sori add', not imported; give the item's ID", s)
	}
	t, err := c.b.lookup(s)
	if err != nil {
		return "", err
	}
	if t.Kind != Item {
		return "", c.fail("%s is %s %s record, not an evidence item", t.ID, article(t.Kind), t.Kind)
	}
	c.b.plan.items[t.ID] = t
	return t.ID.String(), nil
}

// place resolves a place: "@name", a gazetteer code, a place record's ID,
// or a gazetteer name.
func (c *conv) place(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "@") {
		return c.record(s, []string{model.KindPlace})
	}
	if _, ok := vocab.PlaceByCode(s); ok {
		return s, nil
	}
	var idErr error
	if looksLikeID(s) {
		t, err := c.b.lookup(s)
		switch {
		case err == nil && t.Kind == model.KindPlace:
			return t.ID.String(), nil
		case err == nil:
			return "", c.fail("%s is %s %s, not a place", t.ID, article(t.Kind), t.Kind)
		case !isInput(err):
			return "", err
		}
		idErr = err
	}
	code, err := gazetteerCode(s)
	if err != nil && idErr != nil {
		return "", c.fail("%q is neither a gazetteer place nor the ID of a place record", s)
	}
	return code, err
}

// lookup asks the resolver, once per string.
func (b *builder) lookup(s string) (Target, error) {
	if t, ok := b.found[s]; ok {
		return t, nil
	}
	if b.res == nil {
		return Target{}, fmt.Errorf("%w: %q: existing records cannot be looked up here", evidence.ErrInvalid, s)
	}
	t, err := b.res.Lookup(b.ctx, s)
	if err != nil {
		return t, err
	}
	b.found[s] = t
	return t, nil
}

// orList says "an event", "a testimony or a person", or "a record".
func orList(kinds []string) string {
	if len(kinds) > 3 {
		return "a record"
	}
	var out []string
	for _, k := range kinds {
		out = append(out, article(k)+" "+k)
	}
	return strings.Join(out, " or ")
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// validRef reports whether s can be a local name.
func validRef(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_-.:", r) {
			return false
		}
	}
	return true
}

// sortRecords orders the records so that each comes after those it refers
// to, keeping input order where it can; a cycle of references is an error.
func sortRecords(recs []Record, deps [][]int) ([]int, *Error) {
	const (
		todo = iota
		busy
		done
	)
	state := make([]int, len(recs))
	order := make([]int, 0, len(recs))
	var path []int
	var visit func(i int) *Error
	visit = func(i int) *Error {
		switch state[i] {
		case done:
			return nil
		case busy:
			var lines []string
			for _, j := range path[slices.Index(path, i):] {
				lines = append(lines, strconv.Itoa(recs[j].Line))
			}
			return invalid(recs[i].Line, "", "references go round in a circle (lines %s)", strings.Join(lines, " → "))
		}
		state[i] = busy
		path = append(path, i)
		for _, j := range deps[i] {
			if err := visit(j); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[i] = done
		order = append(order, i)
		return nil
	}
	for i := range recs {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return order, nil
}
