package model

import (
	"errors"
	"testing"

	"sori/internal/evidence"
)

func TestParseDateOrder(t *testing.T) {
	for _, c := range []struct {
		in    string
		order DateOrder
		want  string
	}{
		{"1997-03-14", OrderNone, "1997-03-14"},
		{"1997년 3월 14일", OrderNone, "1997-03-14"},
		{"1997년3월", OrderNone, "1997-03"},
		{"1997년", OrderNone, "1997"},
		{"1990년대", OrderNone, "1990s"},
		{"1997년경", OrderNone, "~1997"},
		{"약 1997년 3월", OrderNone, "~1997-03"},
		{"1997년 3월쯤", OrderNone, "~1997-03"},
		{"1997.3.14", OrderNone, "1997-03-14"},
		{"1997. 3. 14.", OrderNone, "1997-03-14"},
		{"1997/03", OrderNone, "1997-03"},
		{"14/03/1997", OrderDMY, "1997-03-14"},
		{"14.3.1997", OrderDMY, "1997-03-14"},
		{"03/14/1997", OrderMDY, "1997-03-14"},
		{"3/1997", OrderDMY, "1997-03"},
		{"1997년..1999년", OrderNone, "1997..1999"},
		{"01/03/1997..14/03/1997", OrderDMY, "1997-03-01..1997-03-14"},
		{"~1998", OrderNone, "~1998"},
		{"", OrderNone, "unknown"},
		{"미상", OrderNone, "unknown"},
		{"2000.2.29", OrderNone, "2000-02-29"},
	} {
		d, err := ParseDateOrder(c.in, c.order)
		if err != nil {
			t.Errorf("%q (%q): %v", c.in, c.order, err)
			continue
		}
		if d.String() != c.want {
			t.Errorf("%q (%q) = %q, want %q", c.in, c.order, d.String(), c.want)
		}
	}
	for _, c := range []struct {
		in    string
		order DateOrder
	}{
		{"14/03/1997", OrderNone}, // ambiguous without an order, however obvious
		{"03/14/1997", OrderDMY},  // no month 14
		{"14/03/97", OrderDMY},    // two-digit year
		{"1997년 13월", OrderNone},
		{"1900.2.29", OrderNone},
		{"1997년 2월 30일", OrderNone},
		{"3/1997", OrderNone},
		{"1999..1997", OrderNone},
		{"1997-03..1999", OrderNone},
		{"yesterday", OrderNone},
		{"1997", "ymd"},
	} {
		if d, err := ParseDateOrder(c.in, c.order); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("%q (%q) = %v, %v; want ErrInvalid", c.in, c.order, d, err)
		}
	}
}

func FuzzParseDateOrder(f *testing.F) {
	for _, s := range []string{"1997년 3월 14일", "14/03/1997", "1997.3.14", "~1990년대", "1997..1999", "약 3/1997쯤"} {
		f.Add(s, "dmy")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, s, order string) {
		d, err := ParseDateOrder(s, DateOrder(order))
		if err != nil {
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("%q: parsed %+v does not validate: %v", s, d, err)
		}
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("%q: %q does not read back: %v", s, d.String(), err)
		}
	})
}
