package model

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"sori/internal/evidence"
	"sori/internal/vocab"
)

// Testimony is one interview session.
type Testimony struct {
	Title        string        `json:"title"`
	Witness      string        `json:"witness"` // pseudonym, e.g. W-17
	Interviewer  string        `json:"interviewer,omitempty"`
	Interpreter  string        `json:"interpreter,omitempty"`
	Date         Date          `json:"date"`
	Place        string        `json:"place,omitempty"` // where the interview took place (free text or gazetteer code)
	Languages    []string      `json:"languages,omitempty"`
	Original     *evidence.ID  `json:"original,omitempty"`     // the item of the original recording or transcript
	Originals    []evidence.ID `json:"originals,omitempty"`    // further original material: a second recording, video, photos, documents
	Translations []evidence.ID `json:"translations,omitempty"` // items translating it
	Notes        string        `json:"notes,omitempty"`
}

// Event is something that happened, with a beginning and an end.
type Event struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Date        Date     `json:"date"`
	Places      []string `json:"places,omitempty"`     // gazetteer codes or place record IDs
	Violations  []string `json:"violations,omitempty"` // vocabulary violations
	Status      string   `json:"status,omitempty"`     // vocabulary violation_status
}

// Act is one act against one victim: one violation type.
type Act struct {
	Event       evidence.ID  `json:"event"`
	Victim      *evidence.ID `json:"victim,omitempty"` // person record
	Violation   string       `json:"violation"`        // vocabulary violations
	Date        Date         `json:"date"`
	Place       string       `json:"place,omitempty"`
	StatusAtEnd string       `json:"status_at_end,omitempty"`
	Notes       string       `json:"notes,omitempty"`
}

// Involvement is a perpetrator (a person or a unit, as a person record)
// in an act.
type Involvement struct {
	Act             evidence.ID `json:"act"`
	Perpetrator     evidence.ID `json:"perpetrator"`
	Degree          string      `json:"degree"`                     // vocabulary involvement_degree
	PerpetratorType string      `json:"perpetrator_type,omitempty"` // vocabulary perpetrator_types
	Notes           string      `json:"notes,omitempty"`
}

// Person is a victim, perpetrator, source or unit. Names are kept as
// written: Hangul and every romanization seen; search links them.
type Person struct {
	Names        []string `json:"names"`
	Aliases      []string `json:"aliases,omitempty"`
	Sex          string   `json:"sex,omitempty"`           // f, m, other, unknown
	BirthYear    int      `json:"birth_year,omitempty"`    // 0 when unknown
	CountingUnit string   `json:"counting_unit,omitempty"` // individual (default), group, unit
	Unit         string   `json:"unit,omitempty"`          // institution or unit, e.g. a county SSD office
	Protected    bool     `json:"protected,omitempty"`     // a victim, relative or source whom publication must not name
	Pseudonym    string   `json:"pseudonym,omitempty"`     // what publication calls a protected person, e.g. P-3
	Notes        string   `json:"notes,omitempty"`
}

// Place is a place not (or not only) in the gazetteer.
type Place struct {
	Names     []string `json:"names"`
	Type      string   `json:"type"`                // vocabulary place_types
	Gazetteer string   `json:"gazetteer,omitempty"` // gazetteer code it refines or equals
	Parent    string   `json:"parent,omitempty"`    // gazetteer code or place record ID
	Lat       *float64 `json:"lat,omitempty"`
	Lon       *float64 `json:"lon,omitempty"`
	Notes     string   `json:"notes,omitempty"`
}

// Information says which source tells about which event, how they know,
// and how far it can be relied on (Admiralty: source A–F, information 1–6,
// graded apart).
type Information struct {
	Source      evidence.ID `json:"source"` // testimony or person record
	Event       evidence.ID `json:"event"`
	Connection  string      `json:"connection"`            // vocabulary source_connection
	Reliability string      `json:"reliability,omitempty"` // vocabulary admiralty_source
	Credibility string      `json:"credibility,omitempty"` // vocabulary admiralty_info
	Language    string      `json:"language,omitempty"`
	Notes       string      `json:"notes,omitempty"`
}

// Annotation links a span of a transcript item (byte offsets into its
// original bytes, end exclusive) to a record. A time-coded note on an
// audio or video item sets At instead (milliseconds from the start; Start
// and End are 0), carries a note, and may name a record or not.
type Annotation struct {
	Item   evidence.ID `json:"item"`
	Start  int         `json:"start"`
	End    int         `json:"end"`
	Target evidence.ID `json:"target,omitzero"` // omitted only by a time-coded note that names no record
	Note   string      `json:"note,omitempty"`
	At     *int64      `json:"at_ms,omitempty"`
}

// MaxAt is the latest time a time-coded note may name: 100 hours.
const MaxAt = 100 * 3600 * 1000

// Consent is what the witness of one testimony allows it to be used for.
// A testimony has at most one consent record; a change is a new version.
// Without one, a testimony is internal only.
type Consent struct {
	Testimony      evidence.ID `json:"testimony"`
	Scope          string      `json:"scope"`                     // vocabulary consent_scope
	PlacePrecision string      `json:"place_precision,omitempty"` // vocabulary place_precision; publication's default is province
	DatePrecision  string      `json:"date_precision,omitempty"`  // vocabulary date_precision; publication's default is year
	NoAudio        bool        `json:"no_audio,omitempty"`        // recordings of the voice are never exported or published
	NoVideo        bool        `json:"no_video,omitempty"`        // nor video or images
	NoText         bool        `json:"no_text,omitempty"`         // transcript text is never published, only the structured records
	Given          Date        `json:"given"`                     // when the witness gave (or changed) it
	Notes          string      `json:"notes,omitempty"`
}

// Redaction marks a span of a transcript item (byte offsets into its
// original bytes, end exclusive) that publication replaces with a marker.
// The original is never modified. Withdrawn, as a later version, lifts it.
type Redaction struct {
	Item      evidence.ID `json:"item"`
	Start     int         `json:"start"`
	End       int         `json:"end"`
	Reason    string      `json:"reason"`
	Withdrawn bool        `json:"withdrawn,omitempty"`
}

// Void hides a record or an item that was made by mistake (a stray record,
// a wrong file) from every listing, search, export and publication, while
// it stays in the archive and its custody log: corrections keep the audit
// trail. Exactly one of Item and Record is set. Lifted, as a later
// version, undoes it.
type Void struct {
	Item   *evidence.ID `json:"item,omitempty"`
	Record *evidence.ID `json:"record,omitempty"`
	Reason string       `json:"reason"`
	Lifted bool         `json:"lifted,omitempty"`
}

func (*Void) Kind() string { return KindVoid }

// Target is the voided item or record.
func (v *Void) Target() evidence.ID {
	if v.Item != nil {
		return *v.Item
	}
	if v.Record != nil {
		return *v.Record
	}
	return evidence.ID{}
}

func (v *Void) Validate() error {
	var c checker
	c.text("reason", v.Reason, maxShort, true)
	if c.err == nil && (v.Item == nil) == (v.Record == nil) {
		c.err = fmt.Errorf("%w: a void names one item or one record", evidence.ErrInvalid)
	}
	return c.err
}

func (v *Void) Refs() []Ref {
	if v.Item != nil {
		return []Ref{{Role: "voided", ID: *v.Item, Item: true}}
	}
	return ref("voided", v.Record)
}

// A void's reason is not testimony: not searched.
func (v *Void) Text() string { return "" }

func (*Testimony) Kind() string   { return KindTestimony }
func (*Event) Kind() string       { return KindEvent }
func (*Act) Kind() string         { return KindAct }
func (*Involvement) Kind() string { return KindInvolvement }
func (*Person) Kind() string      { return KindPerson }
func (*Place) Kind() string       { return KindPlace }
func (*Information) Kind() string { return KindInformation }
func (*Annotation) Kind() string  { return KindAnnotation }
func (*Consent) Kind() string     { return KindConsent }
func (*Redaction) Kind() string   { return KindRedaction }

// Limits on free text, so hostile input cannot bloat the archive.
const (
	maxShort = 1000
	maxLong  = 100_000
)

type checker struct{ err error }

func (c *checker) text(field, v string, max int, required bool) {
	switch {
	case c.err != nil:
	case required && strings.TrimSpace(v) == "":
		c.err = fmt.Errorf("%w: %s is required", evidence.ErrInvalid, field)
	case !utf8.ValidString(v):
		c.err = fmt.Errorf("%w: %s is not valid UTF-8", evidence.ErrInvalid, field)
	case len(v) > max:
		c.err = fmt.Errorf("%w: %s is longer than %d bytes", evidence.ErrInvalid, field, max)
	case max == maxShort && strings.ContainsAny(v, "\x00\n\r"):
		c.err = fmt.Errorf("%w: %s must be one line", evidence.ErrInvalid, field)
	}
}

func (c *checker) term(field, vocabulary, code string, required bool) {
	if c.err != nil || (code == "" && !required) {
		return
	}
	if code == "" {
		c.err = fmt.Errorf("%w: %s is required", evidence.ErrInvalid, field)
		return
	}
	v, err := vocab.Get(vocabulary)
	if err != nil {
		c.err = err
		return
	}
	if _, ok := v.Term(code); !ok {
		c.err = fmt.Errorf("%w: %s %q is not a term of the %s vocabulary (see 'sori vocab %s')", evidence.ErrInvalid, field, code, vocabulary, vocabulary)
	}
}

func (c *checker) date(field string, d Date) {
	if c.err == nil {
		if err := d.Validate(); err != nil {
			c.err = fmt.Errorf("%s: %w", field, err)
		}
	}
}

func (c *checker) id(field string, id evidence.ID) {
	if c.err == nil && id.IsZero() {
		c.err = fmt.Errorf("%w: %s is required", evidence.ErrInvalid, field)
	}
}

func (c *checker) oneOf(field, v string, allowed ...string) {
	if c.err != nil || v == "" {
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.err = fmt.Errorf("%w: %s %q: want one of %s", evidence.ErrInvalid, field, v, strings.Join(allowed, ", "))
}

func (t *Testimony) Validate() error {
	var c checker
	c.text("title", t.Title, maxShort, true)
	if c.err == nil && !evidence.ValidPseudonym(t.Witness) {
		c.err = fmt.Errorf("%w: witness: not a pseudonym such as W-17 (the value is not repeated here in case it is a name)", evidence.ErrInvalid)
	}
	c.text("interviewer", t.Interviewer, maxShort, false)
	c.text("interpreter", t.Interpreter, maxShort, false)
	c.text("place", t.Place, maxShort, false)
	c.text("notes", t.Notes, maxLong, false)
	c.date("date", t.Date)
	if c.err == nil && len(t.Originals) > 0 && t.Original == nil {
		c.err = fmt.Errorf("%w: originals without a first original", evidence.ErrInvalid)
	}
	seen := map[evidence.ID]bool{}
	for _, id := range t.Items() {
		if c.err == nil && seen[id] {
			c.err = fmt.Errorf("%w: item %s is given twice", evidence.ErrInvalid, id)
		}
		seen[id] = true
	}
	for _, l := range t.Languages {
		if c.err == nil {
			if _, err := evidence.ParseLang(l); err != nil || l == "" {
				c.err = fmt.Errorf("%w: language %q", evidence.ErrInvalid, l)
			}
		}
	}
	return c.err
}

func (e *Event) Validate() error {
	var c checker
	c.text("title", e.Title, maxShort, true)
	c.text("description", e.Description, maxLong, false)
	c.date("date", e.Date)
	for _, v := range e.Violations {
		c.term("violation", vocab.Violations, v, true)
	}
	for _, p := range e.Places {
		c.text("place", p, maxShort, true)
	}
	c.term("status", vocab.ViolationStatus, e.Status, false)
	return c.err
}

func (a *Act) Validate() error {
	var c checker
	c.id("event", a.Event)
	c.term("violation", vocab.Violations, a.Violation, true)
	c.date("date", a.Date)
	c.text("place", a.Place, maxShort, false)
	c.text("status at end", a.StatusAtEnd, maxShort, false)
	c.text("notes", a.Notes, maxLong, false)
	return c.err
}

func (i *Involvement) Validate() error {
	var c checker
	c.id("act", i.Act)
	c.id("perpetrator", i.Perpetrator)
	c.term("degree", vocab.InvolvementDegree, i.Degree, true)
	c.term("perpetrator type", vocab.PerpetratorTypes, i.PerpetratorType, false)
	c.text("notes", i.Notes, maxLong, false)
	return c.err
}

func (p *Person) Validate() error {
	var c checker
	if len(p.Names) == 0 {
		return fmt.Errorf("%w: a person needs at least one name (--name)", evidence.ErrInvalid)
	}
	for _, n := range append(append([]string{}, p.Names...), p.Aliases...) {
		c.text("name", n, maxShort, true)
	}
	c.oneOf("sex", p.Sex, "f", "m", "other", "unknown")
	c.oneOf("counting unit", p.CountingUnit, "individual", "group", "unit")
	c.text("unit", p.Unit, maxShort, false)
	c.text("notes", p.Notes, maxLong, false)
	if c.err == nil && p.Pseudonym != "" && !evidence.ValidPseudonym(p.Pseudonym) {
		c.err = fmt.Errorf("%w: pseudonym: not a code such as P-3 (the value is not repeated here in case it is a name)", evidence.ErrInvalid)
	}
	if c.err == nil && p.Pseudonym != "" && !p.Protected {
		c.err = fmt.Errorf("%w: a pseudonym is for a protected person (--protected)", evidence.ErrInvalid)
	}
	if c.err == nil && p.BirthYear != 0 && (p.BirthYear < 1850 || p.BirthYear > 2100) {
		c.err = fmt.Errorf("%w: birth year %d", evidence.ErrInvalid, p.BirthYear)
	}
	return c.err
}

func (p *Place) Validate() error {
	var c checker
	if len(p.Names) == 0 && p.Gazetteer == "" {
		return fmt.Errorf("%w: a place needs a name or a gazetteer code", evidence.ErrInvalid)
	}
	for _, n := range p.Names {
		c.text("name", n, maxShort, true)
	}
	c.term("type", vocab.PlaceTypes, p.Type, true)
	if c.err == nil && p.Gazetteer != "" {
		if _, ok := vocab.PlaceByCode(p.Gazetteer); !ok {
			c.err = fmt.Errorf("%w: gazetteer code %q is unknown", evidence.ErrInvalid, p.Gazetteer)
		}
	}
	c.text("parent", p.Parent, maxShort, false)
	c.text("notes", p.Notes, maxLong, false)
	if c.err == nil && (p.Lat == nil) != (p.Lon == nil) {
		c.err = fmt.Errorf("%w: give both latitude and longitude, or neither", evidence.ErrInvalid)
	}
	if c.err == nil && p.Lat != nil && (*p.Lat < -90 || *p.Lat > 90 || *p.Lon < -180 || *p.Lon > 180) {
		c.err = fmt.Errorf("%w: coordinates out of range", evidence.ErrInvalid)
	}
	return c.err
}

func (i *Information) Validate() error {
	var c checker
	c.id("source", i.Source)
	c.id("event", i.Event)
	c.term("connection", vocab.SourceConnection, i.Connection, true)
	c.term("reliability", vocab.AdmiraltySource, i.Reliability, false)
	c.term("credibility", vocab.AdmiraltyInfo, i.Credibility, false)
	c.text("notes", i.Notes, maxLong, false)
	if c.err == nil && i.Language != "" {
		if _, err := evidence.ParseLang(i.Language); err != nil {
			c.err = err
		}
	}
	return c.err
}

func (a *Annotation) Validate() error {
	var c checker
	c.id("item", a.Item)
	if a.At != nil {
		c.text("note", a.Note, maxLong, true)
		switch {
		case c.err != nil:
		case *a.At < 0 || *a.At > MaxAt:
			c.err = fmt.Errorf("%w: time %d ms: want 0 to %d (100 hours)", evidence.ErrInvalid, *a.At, int64(MaxAt))
		case a.Start != 0 || a.End != 0:
			c.err = fmt.Errorf("%w: a time-coded note has a time, not a byte span", evidence.ErrInvalid)
		}
		return c.err
	}
	c.id("target", a.Target)
	c.text("note", a.Note, maxLong, false)
	if c.err == nil && (a.Start < 0 || a.End <= a.Start) {
		c.err = fmt.Errorf("%w: span %d:%d: want START:END with 0 <= START < END", evidence.ErrInvalid, a.Start, a.End)
	}
	return c.err
}

func (c *Consent) Validate() error {
	var ch checker
	ch.id("testimony", c.Testimony)
	ch.term("scope", vocab.ConsentScope, c.Scope, true)
	ch.term("place precision", vocab.PlacePrecision, c.PlacePrecision, false)
	ch.term("date precision", vocab.DatePrecision, c.DatePrecision, false)
	ch.date("given", c.Given)
	ch.text("notes", c.Notes, maxLong, false)
	return ch.err
}

func (r *Redaction) Validate() error {
	var c checker
	c.id("item", r.Item)
	c.text("reason", r.Reason, maxShort, true)
	if c.err == nil && (r.Start < 0 || r.End <= r.Start) {
		c.err = fmt.Errorf("%w: span %d:%d: want START:END with 0 <= START < END", evidence.ErrInvalid, r.Start, r.End)
	}
	return c.err
}

func ref(role string, id *evidence.ID) []Ref {
	if id == nil || id.IsZero() {
		return nil
	}
	return []Ref{{Role: role, ID: *id}}
}

// OriginalItems returns every original item of the testimony: Original,
// then Originals.
func (t *Testimony) OriginalItems() []evidence.ID {
	if t.Original == nil {
		return nil
	}
	return append([]evidence.ID{*t.Original}, t.Originals...)
}

// Items returns every item of the testimony: its originals, then its
// translations. Each falls under the testimony's consent.
func (t *Testimony) Items() []evidence.ID {
	return append(t.OriginalItems(), t.Translations...)
}

func (t *Testimony) Refs() []Ref {
	var rs []Ref
	for _, id := range t.OriginalItems() {
		rs = append(rs, Ref{Role: "original", ID: id, Item: true})
	}
	for _, id := range t.Translations {
		rs = append(rs, Ref{Role: "translation", ID: id, Item: true})
	}
	return rs
}
func (e *Event) Refs() []Ref { return nil }
func (a *Act) Refs() []Ref   { return append(ref("event", &a.Event), ref("victim", a.Victim)...) }
func (i *Involvement) Refs() []Ref {
	return append(ref("act", &i.Act), ref("perpetrator", &i.Perpetrator)...)
}
func (p *Person) Refs() []Ref { return nil }
func (p *Place) Refs() []Ref  { return nil }
func (i *Information) Refs() []Ref {
	return append(ref("source", &i.Source), ref("event", &i.Event)...)
}
func (c *Consent) Refs() []Ref   { return ref("testimony", &c.Testimony) }
func (r *Redaction) Refs() []Ref { return []Ref{{Role: "item", ID: r.Item, Item: true}} }
func (a *Annotation) Refs() []Ref {
	return append([]Ref{{Role: "item", ID: a.Item, Item: true}}, ref("target", &a.Target)...)
}

func (t *Testimony) Text() string   { return join(t.Title, t.Place, t.Notes) }
func (e *Event) Text() string       { return join(append([]string{e.Title, e.Description}, e.Places...)...) }
func (a *Act) Text() string         { return join(a.Place, a.StatusAtEnd, a.Notes) }
func (i *Involvement) Text() string { return i.Notes }
func (p *Person) Text() string {
	return join(append(append(append([]string{}, p.Names...), p.Aliases...), p.Unit, p.Notes)...)
}
func (p *Place) Text() string       { return join(append(append([]string{}, p.Names...), p.Notes)...) }
func (i *Information) Text() string { return i.Notes }
func (a *Annotation) Text() string  { return a.Note }

// Consent and redaction records are not searched: what a witness agreed
// to and why a span is withheld are not testimony.
func (c *Consent) Text() string   { return "" }
func (r *Redaction) Text() string { return "" }

func join(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(p)
		}
	}
	return b.String()
}
