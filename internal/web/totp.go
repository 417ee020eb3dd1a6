package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"

	"sori/internal/archive"
)

// TOTP second factor (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1, six
// digits, 30-second steps, from the Unix epoch. The archive keeps each
// user's secret (archive.SetTOTP); the login form asks the code after the
// passphrase has unlocked the user's keys, so the secret is read with
// them. A code is accepted for the step before, at and after now (clocks
// drift), and a step once used is refused again for that user.

const (
	totpStep   = 30 * time.Second
	totpDigits = 6
)

// totpAt is the code of secret for time step n (RFC 4226 section 5.3:
// dynamic truncation of the HMAC, then the last six decimal digits).
func totpAt(secret []byte, n int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(n))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%1_000_000)
}

func totpStepOf(t time.Time) int64 { return t.Unix() / int64(totpStep/time.Second) }

// totpMatch returns the step within one of now's whose code is code.
func totpMatch(secret []byte, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != totpDigits {
		return 0, false
	}
	cur := totpStepOf(now)
	for _, n := range []int64{cur - 1, cur, cur + 1} {
		if subtle.ConstantTimeCompare([]byte(totpAt(secret, n)), []byte(code)) == 1 {
			return n, true
		}
	}
	return 0, false
}

// TOTPURI is the otpauth URI an authenticator app reads (as a QR code or
// typed in): the secret in base32, for account at issuer.
func TOTPURI(secret []byte, issuer, account string) string {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	q := url.Values{"secret": {enc}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return "otpauth://totp/" + url.PathEscape(issuer) + ":" + url.PathEscape(account) + "?" + q.Encode()
}

// secondFactor checks the login's one-time code when the user's archive
// requires one of them; false means the login is refused. A step a login
// already used is refused again: the archive keeps the last step used per
// user (archive.ClaimTOTPStep), so two servers on one database refuse it
// too.
func (s *Server) secondFactor(ctx context.Context, a *archive.Archive, code string) (bool, error) {
	secret, required, err := a.TOTP(ctx)
	if err != nil || !required {
		return err == nil, err
	}
	step, ok := totpMatch(secret, code, s.cfg.Now())
	if !ok {
		return false, nil
	}
	return a.ClaimTOTPStep(ctx, step)
}
