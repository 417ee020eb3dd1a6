// Package model is sori's testimony model, after the HURIDOCS Events
// Standard Formats: testimonies (interview sessions), events, acts (one
// victim, one violation), involvements (a perpetrator in an act),
// persons, places, information (which source tells about which event, how,
// and how reliably), annotations (a span of a transcript linked to a
// record), consent (what a witness allows their testimony to be used for)
// and redactions (a span of a transcript never to be published).
//
// Every record is an immutable version in an envelope (Record) whose
// canonical encoding is what its digest and custody entry cover. Bodies
// refer to each other by ID and to vocabularies by term code; Validate
// checks the codes against package vocab. A witness appears only by
// pseudonym: names of witnesses belong to the identity vault, never here.
package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"sori/internal/evidence"
)

// RecordVersion is the version of the envelope encoding.
const RecordVersion = 1

// Kinds of record.
const (
	KindTestimony   = "testimony"
	KindEvent       = "event"
	KindAct         = "act"
	KindInvolvement = "involvement"
	KindPerson      = "person"
	KindPlace       = "place"
	KindInformation = "information"
	KindAnnotation  = "annotation"
	KindConsent     = "consent"
	KindRedaction   = "redaction"
	// KindVoid records are made by 'sori void' only (not by record
	// commands or import), so Kinds leaves them out.
	KindVoid = "void"
)

// Kinds lists every kind.
var Kinds = []string{KindTestimony, KindEvent, KindAct, KindInvolvement, KindPerson, KindPlace, KindInformation, KindAnnotation, KindConsent, KindRedaction}

// Record is one immutable version of a model record.
type Record struct {
	V       int              `json:"v"`
	Kind    string           `json:"kind"`
	ID      evidence.ID      `json:"id"`
	Version int              `json:"version"`
	Prev    *evidence.Digest `json:"prev,omitempty"`
	Time    time.Time        `json:"time"`
	Actor   string           `json:"actor"`
	Body    json.RawMessage  `json:"body"` // canonical JSON of the kind's body type
	// Compartment is the ID of the compartment the record is in ("" none);
	// the version is then stored sealed under its key (docs/format.md).
	Compartment string `json:"compartment,omitempty"`
}

// Marshal is the canonical encoding (compact JSON, fields in order, UTC).
func (r Record) Marshal() []byte {
	r.Time = r.Time.UTC()
	b, err := json.Marshal(r)
	if err != nil {
		panic("model: marshal record: " + err.Error())
	}
	return b
}

// Unmarshal decodes a stored record, refusing unknown versions and
// non-canonical encodings.
func Unmarshal(b []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%w: record: %v", evidence.ErrDamaged, err)
	}
	if r.V != RecordVersion {
		return r, fmt.Errorf("%w: record version %d", evidence.ErrDamaged, r.V)
	}
	if !bytes.Equal(r.Marshal(), b) {
		return r, fmt.Errorf("%w: record %s v%d is not in canonical form", evidence.ErrTampered, r.ID, r.Version)
	}
	return r, nil
}

// Body is implemented by every kind's body type.
type Body interface {
	Kind() string
	// Validate checks the body's own fields and vocabulary codes (not
	// whether the IDs it refers to exist: the archive checks those).
	Validate() error
	// Refs lists the record IDs the body refers to, by role.
	Refs() []Ref
	// Text returns what search indexes of this record: titles, names,
	// descriptions (never a witness identity).
	Text() string
}

// Ref is a reference from one record to another (or to an item).
type Ref struct {
	Role string      // e.g. "event", "victim", "item"
	ID   evidence.ID // the record or item referred to
	Item bool        // true when ID names an evidence item, not a record
}

// NewBody returns an empty body of kind.
func NewBody(kind string) (Body, error) {
	switch kind {
	case KindTestimony:
		return &Testimony{}, nil
	case KindEvent:
		return &Event{}, nil
	case KindAct:
		return &Act{}, nil
	case KindInvolvement:
		return &Involvement{}, nil
	case KindPerson:
		return &Person{}, nil
	case KindPlace:
		return &Place{}, nil
	case KindInformation:
		return &Information{}, nil
	case KindAnnotation:
		return &Annotation{}, nil
	case KindConsent:
		return &Consent{}, nil
	case KindVoid:
		return &Void{}, nil
	case KindRedaction:
		return &Redaction{}, nil
	case KindReview:
		return &Review{}, nil
	case KindApproval:
		return &Approval{}, nil
	case KindSetting:
		return &Setting{}, nil
	}
	return nil, fmt.Errorf("%w: record kind %q: want one of %v", evidence.ErrInvalid, kind, Kinds)
}

// DecodeBody decodes r's body strictly into its kind's type.
func DecodeBody(r Record) (Body, error) {
	b, err := NewBody(r.Kind)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(b); err != nil {
		return nil, fmt.Errorf("%w: %s body: %v", evidence.ErrInvalid, r.Kind, err)
	}
	return b, nil
}

// EncodeBody returns the canonical JSON of a body.
func EncodeBody(b Body) json.RawMessage {
	out, err := json.Marshal(b)
	if err != nil {
		panic("model: marshal body: " + err.Error())
	}
	return out
}
