package importer

import (
	"slices"

	"sori/internal/model"
	"sori/internal/vocab"
)

// Type is how a field is written and what it becomes.
type Type int

// Types of field.
const (
	Text      Type = iota // a string
	Texts                 // a list of strings
	Int                   // an integer
	Float                 // a number
	Date                  // model.ParseDate's form ("1997-03", "~1998", "1997..1999"), or a date object
	Term                  // a vocabulary code, or a label naming one term (Field.Vocab)
	Terms                 // a list of Term
	RecordRef             // a record: "@name", or an ID or unique prefix (Field.Kinds)
	ItemRef               // an evidence item: its ID or unique prefix
	ItemRefs              // a list of ItemRef
	PlaceRef              // a gazetteer code or name, "@name" of a place record, or a place record's ID
	PlaceRefs             // a list of PlaceRef
	Gazetteer             // a gazetteer code or name
	Bool                  // true or false (in CSV also yes/no, 1/0; empty is false)
)

var typeNames = [...]string{"text", "list of text", "integer", "number", "date", "term", "list of terms",
	"record", "item", "list of items", "place", "list of places", "gazetteer place", "true or false"}

func (t Type) String() string { return typeNames[t] }

// List reports whether values of the type are lists.
func (t Type) List() bool { return t == Texts || t == Terms || t == ItemRefs || t == PlaceRefs }

// Field is one field of a kind's body.
type Field struct {
	Name  string // the JSON name in the body, the import field and the CSV column
	Type  Type
	Vocab string   // for Term and Terms
	Kinds []string // for RecordRef: the kinds it may point to
}

// anyRecord is every kind an annotation may point to.
var anyRecord = []string{model.KindEvent, model.KindAct, model.KindPerson, model.KindPlace,
	model.KindInvolvement, model.KindInformation, model.KindTestimony}

// fields lists every body field of every kind, in body order. The
// reference kinds repeat archive's checks, so that a wrong reference is
// reported with its line before anything is stored.
var fields = map[string][]Field{
	model.KindTestimony: {
		{Name: "title"}, {Name: "witness"}, {Name: "interviewer"}, {Name: "interpreter"},
		{Name: "date", Type: Date}, {Name: "place"}, {Name: "languages", Type: Texts},
		{Name: "original", Type: ItemRef}, {Name: "originals", Type: ItemRefs}, {Name: "translations", Type: ItemRefs}, {Name: "notes"},
	},
	model.KindEvent: {
		{Name: "title"}, {Name: "description"}, {Name: "date", Type: Date},
		{Name: "places", Type: PlaceRefs}, {Name: "violations", Type: Terms, Vocab: vocab.Violations},
		{Name: "status", Type: Term, Vocab: vocab.ViolationStatus},
	},
	model.KindAct: {
		{Name: "event", Type: RecordRef, Kinds: []string{model.KindEvent}},
		{Name: "victim", Type: RecordRef, Kinds: []string{model.KindPerson}},
		{Name: "violation", Type: Term, Vocab: vocab.Violations}, {Name: "date", Type: Date},
		{Name: "place", Type: PlaceRef}, {Name: "status_at_end"}, {Name: "notes"},
	},
	model.KindInvolvement: {
		{Name: "act", Type: RecordRef, Kinds: []string{model.KindAct}},
		{Name: "perpetrator", Type: RecordRef, Kinds: []string{model.KindPerson}},
		{Name: "degree", Type: Term, Vocab: vocab.InvolvementDegree},
		{Name: "perpetrator_type", Type: Term, Vocab: vocab.PerpetratorTypes}, {Name: "notes"},
	},
	model.KindPerson: {
		{Name: "names", Type: Texts}, {Name: "aliases", Type: Texts}, {Name: "sex"},
		{Name: "birth_year", Type: Int}, {Name: "counting_unit"}, {Name: "unit"},
		{Name: "protected", Type: Bool}, {Name: "pseudonym"}, {Name: "notes"},
	},
	model.KindPlace: {
		{Name: "names", Type: Texts}, {Name: "type", Type: Term, Vocab: vocab.PlaceTypes},
		{Name: "gazetteer", Type: Gazetteer}, {Name: "parent", Type: PlaceRef},
		{Name: "lat", Type: Float}, {Name: "lon", Type: Float}, {Name: "notes"},
	},
	model.KindInformation: {
		{Name: "source", Type: RecordRef, Kinds: []string{model.KindTestimony, model.KindPerson}},
		{Name: "event", Type: RecordRef, Kinds: []string{model.KindEvent}},
		{Name: "connection", Type: Term, Vocab: vocab.SourceConnection},
		{Name: "reliability", Type: Term, Vocab: vocab.AdmiraltySource},
		{Name: "credibility", Type: Term, Vocab: vocab.AdmiraltyInfo},
		{Name: "language"}, {Name: "notes"},
	},
	model.KindAnnotation: {
		{Name: "item", Type: ItemRef}, {Name: "start", Type: Int}, {Name: "end", Type: Int},
		{Name: "target", Type: RecordRef, Kinds: anyRecord}, {Name: "note"}, {Name: "at_ms", Type: Int},
	},
	model.KindConsent: {
		{Name: "testimony", Type: RecordRef, Kinds: []string{model.KindTestimony}},
		{Name: "scope", Type: Term, Vocab: vocab.ConsentScope},
		{Name: "place_precision", Type: Term, Vocab: vocab.PlacePrecision},
		{Name: "date_precision", Type: Term, Vocab: vocab.DatePrecision},
		{Name: "no_audio", Type: Bool}, {Name: "no_video", Type: Bool}, {Name: "no_text", Type: Bool},
		{Name: "given", Type: Date}, {Name: "notes"},
	},
	model.KindRedaction: {
		{Name: "item", Type: ItemRef}, {Name: "start", Type: Int}, {Name: "end", Type: Int},
		{Name: "reason"}, {Name: "withdrawn", Type: Bool},
	},
}

// Fields returns the fields of kind's body in body order, or nil for an
// unknown kind. Callers MUST NOT modify the result.
func Fields(kind string) []Field { return fields[kind] }

// field returns kind's field called name.
func field(kind, name string) (Field, bool) {
	i := slices.IndexFunc(fields[kind], func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return fields[kind][i], true
}

// fieldNames lists kind's field names, for messages.
func fieldNames(kind string) []string {
	var out []string
	for _, f := range fields[kind] {
		out = append(out, f.Name)
	}
	return out
}

// anyField reports whether some kind has a field called name.
func anyField(name string) bool {
	for k := range fields {
		if _, ok := field(k, name); ok {
			return true
		}
	}
	return false
}
