package publish

import (
	"bytes"
	"encoding/csv"
	"io"
)

// Neutralize makes a cell safe to open in a spreadsheet: a value that
// starts with '=', '+', '-', '@', a tab or a carriage return — which
// Excel, LibreOffice and Google Sheets may take for a formula (CSV or
// formula injection) — gets a leading apostrophe, which spreadsheets show
// as text and do not evaluate. Every other value is returned as it is.
// Every CSV and XLSX cell sori writes passes through it; a reader that
// wants the original value strips one leading apostrophe from a cell
// whose second character is one of those.
func Neutralize(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// CSVOptions says how a CSV file is written.
type CSVOptions struct {
	// Excel writes a UTF-8 byte order mark first and ends lines with CRLF,
	// which Excel (in Korean and other locales) needs to read UTF-8 text
	// as UTF-8. The default is no BOM and LF, as RFC 4180 readers and Unix
	// tools expect.
	Excel bool
}

// utf8BOM is the byte order mark Excel looks for.
const utf8BOM = "\ufeff"

// WriteCSV writes a header row and rows as RFC 4180 CSV to w, every cell
// neutralized (Neutralize).
func WriteCSV(w io.Writer, header []string, rows [][]string, o CSVOptions) error {
	if o.Excel {
		if _, err := io.WriteString(w, utf8BOM); err != nil {
			return err
		}
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = o.Excel
	rec := make([]string, 0, len(header))
	for _, r := range append([][]string{header}, rows...) {
		rec = rec[:0]
		for _, c := range r {
			rec = append(rec, Neutralize(c))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvBytes is WriteCSV into memory.
func csvBytes(header []string, rows [][]string, o CSVOptions) []byte {
	var b bytes.Buffer
	WriteCSV(&b, header, rows, o) // a bytes.Buffer does not fail
	return b.Bytes()
}
