package importer

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/korean"

	"sori/internal/evidence"
)

// Encodings an import file may be in, as --encoding names them.
const (
	EncAuto  = ""      // detect (see Decode)
	EncUTF8  = "utf-8" // with or without a byte-order mark
	EncCP949 = "cp949" // also "euc-kr": Korean Windows and older Hangul software
)

// Decode returns data as UTF-8 text without a byte-order mark, and the
// encoding it was read as. enc is EncUTF8, EncCP949 (or "euc-kr", "uhc",
// "ms949"), or EncAuto, which detects by this rule:
//
//  1. a UTF-8 byte-order mark, or bytes that are valid UTF-8: UTF-8;
//  2. otherwise, bytes that decode as CP949 without a replacement and
//     hold at least one Hangul syllable: CP949;
//  3. otherwise an error naming the first line that is not UTF-8.
//
// Rule 1 does not take Korean CP949 for UTF-8 in practice: a KS X 1001
// Hangul syllable is a lead byte 0xB0–0xC8 and a trail byte 0xA1–0xFE;
// UTF-8 never starts a character with 0xB0–0xC1 (the lead of most
// syllables), and the other leads pair up as UTF-8 only with a trail of
// at most 0xBF. A file that is neither is refused rather than guessed at:
// rule 2's Hangul test refuses other legacy encodings (Latin-1,
// Shift-JIS) with a message asking for --encoding.
func Decode(data []byte, enc string) ([]byte, string, error) {
	switch strings.ToLower(enc) {
	case EncAuto:
	case "utf-8", "utf8":
		data = bytes.TrimPrefix(data, bom)
		if !utf8.Valid(data) {
			off := firstInvalidUTF8(data)
			return nil, "", invalid(newLineIndex(data).line(int64(off)), "", "the file is not valid UTF-8 (byte %d); if it is Korean from an older program, try --encoding cp949", off+1)
		}
		return data, EncUTF8, nil
	case "cp949", "euc-kr", "euckr", "uhc", "ms949":
		out, err := fromCP949(data)
		if err != nil {
			return nil, "", err
		}
		return out, EncCP949, nil
	default:
		return nil, "", fmt.Errorf("%w: encoding %q: want utf-8 or cp949 (euc-kr)", evidence.ErrInvalid, enc)
	}
	if bytes.HasPrefix(data, bom) {
		return Decode(data, EncUTF8)
	}
	if utf8.Valid(data) {
		return data, EncUTF8, nil
	}
	out, err := fromCP949(data)
	if err == nil && hasHangul(out) {
		return out, EncCP949, nil
	}
	off := firstInvalidUTF8(data)
	return nil, "", invalid(newLineIndex(data).line(int64(off)), "", "the file is not UTF-8 and not Korean CP949/EUC-KR text; save it as UTF-8, or give --encoding")
}

// fromCP949 decodes CP949 (a superset of EUC-KR), refusing bytes that are
// not CP949 instead of replacing them.
func fromCP949(data []byte) ([]byte, error) {
	out, err := korean.EUCKR.NewDecoder().Bytes(data)
	if err != nil {
		return nil, invalid(0, "", "the file is not CP949/EUC-KR text: %v", err)
	}
	if i := bytes.IndexRune(out, utf8.RuneError); i >= 0 {
		// the decoder replaces bytes it cannot map; find where in the input
		line := bytes.Count(out[:i], []byte("\n")) + 1
		return nil, invalid(line, "", "the file is not CP949/EUC-KR text: a byte sequence on this line is not a character")
	}
	return out, nil
}

func hasHangul(b []byte) bool {
	for _, r := range string(b) {
		if r >= 0xAC00 && r <= 0xD7A3 {
			return true
		}
	}
	return false
}
