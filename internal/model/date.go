package model

import (
	"fmt"
	"regexp"
	"strings"

	"sori/internal/evidence"
)

// Date is a date or range as precise as the witness could say: "1997"
// (year), "1997-03" (month), "1997-03-14" (day), "1990s" (decade), or
// unknown; a range gives both ends at the same precision. Approx marks
// "around …".
type Date struct {
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	Precision string `json:"precision"` // day, month, year, decade, unknown (vocabulary date_precision)
	Approx    bool   `json:"approx,omitempty"`
}

var (
	reDay    = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$`)
	reMonth  = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
	reYear   = regexp.MustCompile(`^\d{4}$`)
	reDecade = regexp.MustCompile(`^\d{3}0s$`)
)

func precisionOf(s string) string {
	switch {
	case reDay.MatchString(s):
		return "day"
	case reMonth.MatchString(s):
		return "month"
	case reYear.MatchString(s):
		return "year"
	case reDecade.MatchString(s):
		return "decade"
	}
	return ""
}

// ParseDate reads the command-line and import form: "", "unknown",
// "1997-03-14", "1997-03", "1997", "1990s", a range "1997..1999" or
// "1997-03..1997-05", each optionally prefixed with "~" (approximately).
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	var d Date
	if strings.HasPrefix(s, "~") {
		d.Approx = true
		s = strings.TrimSpace(s[1:])
	}
	if s == "" || s == "unknown" {
		if d.Approx {
			return d, fmt.Errorf("%w: date %q: \"~\" needs a date", evidence.ErrInvalid, s)
		}
		d.Precision = "unknown"
		return d, nil
	}
	from, to, isRange := strings.Cut(s, "..")
	d.From = from
	d.Precision = precisionOf(from)
	if d.Precision == "" {
		return d, fmt.Errorf("%w: date %q: use YYYY-MM-DD, YYYY-MM, YYYY, YYYY0s (decade), a range A..B, or unknown", evidence.ErrInvalid, s)
	}
	if isRange {
		if precisionOf(to) != d.Precision {
			return d, fmt.Errorf("%w: date range %q: both ends need the same precision", evidence.ErrInvalid, s)
		}
		if to < from {
			return d, fmt.Errorf("%w: date range %q ends before it starts", evidence.ErrInvalid, s)
		}
		if to != from {
			d.To = to
		}
	}
	return d, nil
}

// String gives the form ParseDate reads.
func (d Date) String() string {
	if d.Precision == "unknown" || d.From == "" {
		return "unknown"
	}
	s := d.From
	if d.To != "" {
		s += ".." + d.To
	}
	if d.Approx {
		s = "~" + s
	}
	return s
}

// Validate checks a decoded date. The zero Date means unknown.
func (d Date) Validate() error {
	if (d.Precision == "unknown" || d.Precision == "") && d.From == "" && d.To == "" && !d.Approx {
		return nil
	}
	p, err := ParseDate(d.String())
	if err != nil {
		return err
	}
	if p != d {
		return fmt.Errorf("%w: date %+v is inconsistent", evidence.ErrInvalid, d)
	}
	return nil
}

// Year returns the first year the date covers (0 if unknown), for filters.
func (d Date) Year() int {
	var y int
	if len(d.From) >= 4 {
		fmt.Sscanf(d.From[:4], "%d", &y)
	}
	return y
}

// LastYear returns the last year the date covers (0 if unknown).
func (d Date) LastYear() int {
	end := d.To
	if end == "" {
		end = d.From
	}
	var y int
	if len(end) >= 4 {
		fmt.Sscanf(end[:4], "%d", &y)
	}
	if d.Precision == "decade" && y > 0 {
		y += 9
	}
	return y
}
