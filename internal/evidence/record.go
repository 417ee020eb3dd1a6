package evidence

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// RecordVersion is the version of the ItemRecord encoding written today.
const RecordVersion = 1

// ItemRecord is one immutable version of an item's metadata. A new version
// is written for every change; none is ever altered. Its canonical encoding
// (Marshal) is what the record digest covers.
type ItemRecord struct {
	V             int       `json:"v"`
	Item          ID        `json:"item"`
	Version       int       `json:"version"`
	Prev          *Digest   `json:"prev,omitempty"` // digest of the version before, if any
	Title         string    `json:"title"`
	Lang          string    `json:"lang,omitempty"`
	Kind          Kind      `json:"kind"`
	Witness       string    `json:"witness,omitempty"` // pseudonym only, never a name
	TranslationOf *ID       `json:"translation_of,omitempty"`
	Note          string    `json:"note,omitempty"`
	Filename      string    `json:"filename,omitempty"` // base name at intake
	Time          time.Time `json:"time"`
	Actor         string    `json:"actor"` // user key ID
	// Compartment is the ID of the compartment the item is in ("" none);
	// the version is then stored sealed under its key (docs/format.md).
	Compartment string `json:"compartment,omitempty"`
	// Restricted marks a placeholder for a version in a compartment the
	// reader is not a member of: only Item, Version, Time, Actor and
	// Compartment are known. Never stored.
	Restricted bool `json:"-"`
}

// Limits on record fields, so that hostile input cannot bloat the archive.
const (
	MaxTitle = 1000
	MaxNote  = 20000
)

// Validate checks the fields a user supplies.
func (r *ItemRecord) Validate() error {
	if _, err := ParseKind(string(r.Kind)); err != nil {
		return err
	}
	if _, err := ParseLang(r.Lang); err != nil {
		return err
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"title", r.Title, MaxTitle}, {"note", r.Note, MaxNote}, {"witness", r.Witness, 64}, {"filename", r.Filename, 4096}} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, f.name)
		}
		if len(f.v) > f.max {
			return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalid, f.name, f.max)
		}
	}
	if strings.ContainsAny(r.Title, "\x00\n\r\t") {
		return fmt.Errorf("%w: title must be one line without tabs", ErrInvalid)
	}
	if r.Witness != "" && !ValidPseudonym(r.Witness) {
		return fmt.Errorf("%w: witness: not a pseudonym such as W-17 (letters, digits, '-', '_', with a digit); the value is not repeated here in case it is a name", ErrInvalid)
	}
	return nil
}

// ValidPseudonym reports whether s looks like a pseudonym: 1–64 characters of
// ASCII letters, digits, '-' and '_', containing at least one digit. Requiring
// a digit keeps a real name ("Kim") from being typed where a pseudonym belongs.
func ValidPseudonym(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	digit := false
	for _, c := range s {
		switch {
		case '0' <= c && c <= '9':
			digit = true
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '-', c == '_':
		default:
			return false
		}
	}
	return digit
}

// Marshal returns the canonical encoding of the record: compact JSON with
// fields in declaration order and times in UTC.
func (r ItemRecord) Marshal() []byte {
	r.Time = r.Time.UTC()
	b, err := json.Marshal(r)
	if err != nil {
		panic("evidence: marshal record: " + err.Error()) // only plain types: cannot fail
	}
	return b
}

// Digest is the SHA-256 of the canonical encoding.
func (r ItemRecord) Digest() Digest { return Sum(r.Marshal()) }

// UnmarshalItemRecord decodes a stored record and checks its version.
func UnmarshalItemRecord(b []byte) (ItemRecord, error) {
	var r ItemRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%w: item record: %v", ErrDamaged, err)
	}
	if r.V != RecordVersion {
		return r, fmt.Errorf("%w: item record version %d (this sori reads %d)", ErrDamaged, r.V, RecordVersion)
	}
	return r, nil
}
