package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// bom is the UTF-8 byte order mark some editors write first.
var bom = []byte("\xef\xbb\xbf")

// ParseJSON reads an import file in JSON: one array of record objects, each
// with "kind", an optional "ref" and body fields (docs/import.md). It
// checks the syntax and shape only; Build does the rest. Errors name the
// line.
func ParseJSON(data []byte) ([]Record, error) {
	if len(data) > MaxSize {
		return nil, invalid(0, "", "the file is larger than %d MiB; split it", MaxSize>>20)
	}
	data = bytes.TrimPrefix(data, bom)
	lines := newLineIndex(data)
	if !utf8.Valid(data) {
		return nil, invalid(lines.line(int64(firstInvalidUTF8(data))), "", "the file is not valid UTF-8")
	}
	// json.Unmarshal checks the whole input first, so its errors carry the
	// offset from the start of the file.
	var top json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, invalid(lines.line(se.Offset), "", "%v", se)
		}
		return nil, invalid(0, "", "%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, _ := dec.Token(); tok != json.Delim('[') {
		return nil, invalid(lines.line(dec.InputOffset()), "", "want an array of records: [{\"kind\": …}, …]")
	}
	var recs []Record
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil { // cannot fail on valid JSON
			return nil, invalid(lines.line(dec.InputOffset()), "", "%v", err)
		}
		start := dec.InputOffset() - int64(len(raw))
		r, err := parseJSONRecord(raw, start, lines)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		return nil, invalid(lines.line(dec.InputOffset()), "", "no records")
	}
	return recs, nil
}

// parseJSONRecord reads one record object that starts at byte start.
func parseJSONRecord(raw json.RawMessage, start int64, lines lineIndex) (Record, error) {
	r := Record{Line: lines.line(start)}
	if raw[0] != '{' {
		return r, invalid(r.Line, "", "want a record object {\"kind\": …}, not %s", raw)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	dec.Token() // {
	seen := map[string]bool{}
	hasKind := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return r, invalid(r.Line, "", "%v", err)
		}
		name := tok.(string) // object keys are strings in valid JSON
		line := lines.line(start + dec.InputOffset())
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return r, invalid(line, name, "%v", err)
		}
		if seen[name] {
			return r, invalid(line, name, "given twice")
		}
		seen[name] = true
		switch name {
		case "kind", "ref":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return r, invalid(line, name, "want a string")
			}
			if name == "kind" {
				r.Kind, hasKind = s, true
			} else {
				r.Ref = s
			}
		default:
			r.Fields = append(r.Fields, Value{Name: name, Line: line, JSON: v})
		}
	}
	if !hasKind {
		return r, invalid(r.Line, "kind", "each record needs a \"kind\"")
	}
	return r, nil
}

// firstInvalidUTF8 returns the offset of the first byte that is not valid UTF-8.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}
