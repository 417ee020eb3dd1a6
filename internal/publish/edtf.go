package publish

import (
	"strings"

	"sori/internal/model"
)

// EDTF writes d in the Extended Date/Time Format (ISO 8601-2:2019; the
// Library of Congress EDTF specification), using level 0 and level 1
// features only, so that any EDTF reader accepts it:
//
//	day, month, year       1998-03-14, 1998-03, 1998            (level 0)
//	decade                 199X  (unspecified digit, level 1)
//	approximate            1998-03~, 1998~  ("~", level 1)
//	range                  1997/1998, 1997-03/1997-05           (interval, level 0)
//	approximate range      1997~/1998~  (qualified ends, level 1 extended interval)
//	decade range           1990/2009  (the decades' years, level 0)
//	approximate decade     1990~/1999~  (its years, qualified)
//	unknown                ""  (omitted: a missing value)
//
// A decade is written as its years where a plain "199X" would be outside
// level 1 (in an interval, or qualified). d is assumed valid
// (model.Date.Validate); anything else gives "".
func EDTF(d model.Date) string {
	if d.Precision == "unknown" || d.From == "" {
		return ""
	}
	if d.Precision == "decade" {
		if !isDecade(d.From) || (d.To != "" && !isDecade(d.To)) {
			return ""
		}
		if d.To == "" && !d.Approx {
			return d.From[:3] + "X"
		}
		to := d.To
		if to == "" {
			to = d.From
		}
		d = model.Date{From: d.From[:4], To: to[:3] + "9", Precision: "year", Approx: d.Approx}
	}
	q := ""
	if d.Approx {
		q = "~"
	}
	if d.To == "" {
		return d.From + q
	}
	return d.From + q + "/" + d.To + q
}

func isDecade(s string) bool {
	return len(s) == 5 && strings.HasSuffix(s, "0s")
}

// edtfOf is EDTF of a date in the form model.ParseDate reads, which is how
// internal/archive fills the dataset's date fields. A string ParseDate
// refuses is returned as it is (it may already be EDTF).
func edtfOf(s string) string {
	d, err := model.ParseDate(s)
	if err != nil {
		return s
	}
	return EDTF(d)
}
