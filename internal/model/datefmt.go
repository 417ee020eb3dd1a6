package model

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"sori/internal/evidence"
)

// DateOrder says how to read a numeric date whose year comes last, such as
// "14/03/1997": day first (DMY) or month first (MDY). Forms with the year
// first ("1997/03/14", "1997.3.14") and the Korean forms need no order.
type DateOrder string

// Date orders.
const (
	OrderNone DateOrder = ""    // refuse a date with the year last: it is ambiguous
	OrderDMY  DateOrder = "dmy" // 14/03/1997, 14.3.1997, 14-03-1997, and 03/1997
	OrderMDY  DateOrder = "mdy" // 03/14/1997, and 03/1997
)

// ParseDateOrder reads what ParseDate reads, and also the forms people
// write in spreadsheets and interviews:
//
//   - Korean: "1997년 3월 14일", "1997년 3월", "1997년", "1990년대", with
//     "경", "쯤" or "무렵" after, or "약" before, for "around" (~);
//   - the year first with ".", "/" or "-": "1997.3.14", "1997/03/14",
//     "1997. 3. 14.", "1997/3";
//   - the year last, read by order: "14/03/1997", "14.3.1997", "3/1997".
//     With OrderNone such a date is refused as ambiguous, even when its
//     first number is above 12: a file read one way for some rows and the
//     other way for the rest is worse than a clear error.
//
// A range is written "A..B" with both ends in any of these forms. Two-digit
// years are refused (which century?). The result is the same Date that
// ParseDate gives for the ISO form.
func ParseDateOrder(s string, order DateOrder) (Date, error) {
	switch order {
	case OrderNone, OrderDMY, OrderMDY:
	default:
		return Date{}, fmt.Errorf("%w: date order %q: want dmy or mdy", evidence.ErrInvalid, order)
	}
	orig := s
	s = strings.TrimSpace(s)
	approx := false
	if t, ok := strings.CutPrefix(s, "~"); ok {
		approx, s = true, strings.TrimSpace(t)
	}
	if t, ok := strings.CutPrefix(s, "약 "); ok {
		approx, s = true, strings.TrimSpace(t)
	}
	from, to, isRange := strings.Cut(s, "..")
	f, a1, err := isoDate(from, order)
	if err != nil {
		return Date{}, fmt.Errorf("%w: date %q: %v", evidence.ErrInvalid, orig, err)
	}
	iso := f
	approx = approx || a1
	if isRange {
		t, a2, err := isoDate(to, order)
		if err != nil {
			return Date{}, fmt.Errorf("%w: date %q: %v", evidence.ErrInvalid, orig, err)
		}
		approx = approx || a2
		iso += ".." + t
	}
	if approx && iso != "" && iso != "unknown" {
		iso = "~" + iso
	}
	return ParseDate(iso)
}

var (
	reKorean = regexp.MustCompile(`^(\d{4})\s*년(?:\s*(\d{1,2})\s*월(?:\s*(\d{1,2})\s*일)?)?$`)
	reKoDec  = regexp.MustCompile(`^(\d{3}0)\s*년대$`)
	reYMD    = regexp.MustCompile(`^(\d{4})\s*[./-]\s*(\d{1,2})(?:\s*[./-]\s*(\d{1,2}))?\s*\.?$`)
	reXXY    = regexp.MustCompile(`^(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{2,4})$`)
	reMY     = regexp.MustCompile(`^(\d{1,2})\s*[./-]\s*(\d{4})$`)
)

// isoDate turns one end of a date into ParseDate's form; approx reports a
// Korean "around" suffix. Forms ParseDate reads pass through unchanged.
func isoDate(s string, order DateOrder) (iso string, approx bool, err error) {
	s = strings.TrimSpace(s)
	for _, suf := range []string{"경", "쯤", "무렵"} {
		if t, ok := strings.CutSuffix(s, suf); ok && t != "" {
			s, approx = strings.TrimSpace(t), true
			break
		}
	}
	if s == "" || s == "unknown" || s == "미상" || s == "모름" {
		return "", approx, nil
	}
	if precisionOf(s) != "" {
		return s, approx, nil
	}
	if m := reKoDec.FindStringSubmatch(s); m != nil {
		return m[1] + "s", approx, nil
	}
	if m := reKorean.FindStringSubmatch(s); m != nil {
		iso, err := ymd(m[1], m[2], m[3])
		return iso, approx, err
	}
	if m := reYMD.FindStringSubmatch(s); m != nil {
		iso, err := ymd(m[1], m[2], m[3])
		return iso, approx, err
	}
	if m := reXXY.FindStringSubmatch(s); m != nil {
		if len(m[3]) != 4 {
			return "", false, fmt.Errorf("a two-digit year is ambiguous: write the year in full")
		}
		switch order {
		case OrderDMY:
			iso, err := ymd(m[3], m[2], m[1])
			return iso, approx, err
		case OrderMDY:
			iso, err := ymd(m[3], m[1], m[2])
			return iso, approx, err
		}
		return "", false, fmt.Errorf("day-first or month-first? give the date order (dmy or mdy)")
	}
	if m := reMY.FindStringSubmatch(s); m != nil {
		if order == OrderNone {
			return "", false, fmt.Errorf("day-first or month-first? give the date order (dmy or mdy)")
		}
		iso, err := ymd(m[2], m[1], "")
		return iso, approx, err
	}
	return "", false, fmt.Errorf("use YYYY-MM-DD, YYYY-MM, YYYY, YYYY0s, 1997년 3월 14일, 1997.3.14, or with a date order 14/03/1997")
}

// ymd formats a year, month and optional day as ISO, checking the ranges.
func ymd(y, m, d string) (string, error) {
	if m == "" {
		return y, nil
	}
	mo, _ := strconv.Atoi(m)
	if mo < 1 || mo > 12 {
		return "", fmt.Errorf("month %s is not 1 to 12", m)
	}
	if d == "" {
		return fmt.Sprintf("%s-%02d", y, mo), nil
	}
	da, _ := strconv.Atoi(d)
	yr, _ := strconv.Atoi(y)
	if da < 1 || da > daysIn(yr, mo) {
		return "", fmt.Errorf("day %s is not in %s-%02d", d, y, mo)
	}
	return fmt.Sprintf("%s-%02d-%02d", y, mo, da), nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
