package namenet

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Contacts. A witness's contact is free text, but the parts of it that
// identify them in running text are phone numbers and e-mail addresses;
// those are hashed like name forms (under the same key, with a prefix no
// name form has) so that a transcript or a note that quotes them is found.
// Other contact text (a street address) is not matched: the vault keeps it,
// and docs/protection.md says so.

// LabelContact is the label of a matched phone number or e-mail address.
const LabelContact = "sealed contact"

// Shortest and longest phone numbers matched, in digits after
// normalization: a Korean mobile number has 10 or 11, a landline 9 or 10;
// fewer than 7 digits is a year, an amount, a count.
const (
	minPhoneDigits = 7
	maxPhoneDigits = 15
)

// ContactForms returns the forms of the phone numbers and e-mail
// addresses in a contact text: "tel:" and the number's digits in national
// form (+82 10-1234-5678, 82-10-1234-5678 and 010 1234 5678 are all
// tel:01012345678), "mail:" and the lower-cased address. It returns nil
// when the text holds neither.
func ContactForms(contact string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	contact = norm.NFKC.String(contact)
	eachPhone(contact, func(_, _ int, digits string) { add("tel:" + digits) })
	eachMail(contact, func(_, _ int, addr string) { add("mail:" + addr) })
	return out
}

// isPhoneSep reports whether r may stand between the digits of a phone
// number as people write it.
func isPhoneSep(r rune) bool {
	switch r {
	case ' ', '-', '.', '(', ')', '/', '\u00a0', '\u2010', '\u2011', '\u2012', '\u2013', '\u2212':
		return true
	}
	return false
}

// eachPhone calls fn for every run of text that reads as a phone number:
// digits, optionally after '+', with separators between them, of
// minPhoneDigits to maxPhoneDigits digits once normalized. start and end
// are byte offsets of the run (from its '+' or first digit to its last
// digit).
func eachPhone(text string, fn func(start, end int, digits string)) {
	i := 0
	for i < len(text) {
		c := text[i]
		if !(c >= '0' && c <= '9') && c != '+' {
			i++
			continue
		}
		// A run must not continue a word or a longer number (a1234567).
		if i > 0 {
			prev, _ := utf8.DecodeLastRuneInString(text[:i])
			if isWordRune(prev) {
				i++
				continue
			}
		}
		start := i
		plus := c == '+'
		if plus {
			i++
		}
		var digits []byte
		end := i
		for i < len(text) {
			r, n := utf8.DecodeRuneInString(text[i:])
			switch {
			case r >= '0' && r <= '9':
				digits = append(digits, byte(r))
				i += n
				end = i
				continue
			case isPhoneSep(r) && len(digits) > 0 && len(digits) < maxPhoneDigits+4:
				// A separator counts only if a digit follows soon.
				j := i + n
				for j < len(text) && j-i < 3 {
					r2, n2 := utf8.DecodeRuneInString(text[j:])
					if !isPhoneSep(r2) {
						break
					}
					j += n2
				}
				if j < len(text) && text[j] >= '0' && text[j] <= '9' {
					i = j
					continue
				}
			}
			break
		}
		if end < len(text) {
			next, _ := utf8.DecodeRuneInString(text[end:])
			if isWordRune(next) {
				if i == start {
					i++
				}
				continue
			}
		}
		if d, ok := nationalDigits(string(digits), plus); ok {
			fn(start, end, d)
		}
		if i == start {
			i++
		}
	}
}

// nationalDigits normalizes a phone number's digits to national form: a
// Korean country code (82, written +82, 0082 or 82 before a number whose
// national form starts with 1 or 2 to 6) becomes a leading 0.
func nationalDigits(d string, plus bool) (string, bool) {
	switch {
	case plus && strings.HasPrefix(d, "82"):
		d = "0" + strings.TrimPrefix(d[2:], "0")
	case strings.HasPrefix(d, "0082"):
		d = "0" + strings.TrimPrefix(d[4:], "0")
	case !plus && strings.HasPrefix(d, "82") && len(d) >= 11 && len(d) <= 12:
		d = "0" + strings.TrimPrefix(d[2:], "0")
	}
	if len(d) < minPhoneDigits || len(d) > maxPhoneDigits {
		return "", false
	}
	return d, true
}

func isWordRune(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func isMailLocal(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._%+-", c) >= 0
}

func isMailDomain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// eachMail calls fn for every e-mail address in text (ASCII local part and
// domain, the domain with a dot), lower-cased, with its byte offsets.
func eachMail(text string, fn func(start, end int, addr string)) {
	for at := strings.IndexByte(text, '@'); at >= 0; {
		s := at
		for s > 0 && isMailLocal(text[s-1]) {
			s--
		}
		e := at + 1
		for e < len(text) && isMailDomain(text[e]) {
			e++
		}
		for e > at+1 && (text[e-1] == '.' || text[e-1] == '-') {
			e--
		}
		for s < at && text[s] == '.' {
			s++
		}
		if s < at && e > at+1 && strings.Contains(text[at+1:e], ".") {
			fn(s, e, strings.ToLower(text[s:e]))
		}
		next := strings.IndexByte(text[at+1:], '@')
		if next < 0 {
			break
		}
		at += 1 + next
	}
}

// contacts records a match for every phone number and e-mail address of
// the text whose form is in the set.
func (f *finder) contacts() {
	try := func(s, e int, form string) {
		f.buf = append(f.buf[:0], hashDomain...)
		f.buf = append(f.buf, form...)
		f.hashed++
		if label, ok := f.m.set[f.mac.mac(f.buf)]; ok {
			f.found = append(f.found, match{Span{s, e, label}, false})
		}
	}
	eachPhone(f.text, func(s, e int, d string) { try(s, e, "tel:"+d) })
	if strings.IndexByte(f.text, '@') >= 0 {
		eachMail(f.text, func(s, e int, addr string) { try(s, e, "mail:"+addr) })
	}
}

// Phones calls fn for every run of text that reads as a phone number (see
// ContactForms), with its byte offsets: publication replaces them all,
// sealed or not.
func Phones(text string, fn func(start, end int)) {
	eachPhone(text, func(s, e int, _ string) { fn(s, e) })
}

// Mails calls fn for every e-mail address in text, with its byte offsets.
func Mails(text string, fn func(start, end int)) {
	eachMail(text, func(s, e int, _ string) { fn(s, e) })
}
