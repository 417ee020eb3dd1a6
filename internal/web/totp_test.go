package web

import (
	"context"
	"net/url"
	"testing"
	"time"
)

// TestTOTPVectors: RFC 6238 appendix B's SHA-1 vectors, last six digits.
func TestTOTPVectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1111111111: "050471",
		1234567890: "005924", 2000000000: "279037", 20000000000: "353130"} {
		if got := totpAt(secret, totpStepOf(time.Unix(unix, 0))); got != want {
			t.Errorf("T=%d: %s, want %s", unix, got, want)
		}
	}
	uri := TOTPURI(secret, "sori", "reader")
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Errorf("otpauth URI %q", uri)
	}
}

// TestTOTPLogin: a user the admin requires a second factor of logs in only
// with the current code (or the step before or after), each code once.
func TestTOTPLogin(t *testing.T) {
	af := newAPIFixture(t)
	adm := af.open(t, "admin", adminPass)
	secret, err := adm.SetTOTP(context.Background(), "reader", true)
	if err != nil {
		t.Fatal(err)
	}
	adm.Close()
	h := af.serve(t)
	login := func(code string) response {
		b := h.browser()
		page := b.get("/login")
		m := csrfField.FindStringSubmatch(page.body)
		return b.post("/login", url.Values{"csrf": {m[1]}, "user": {"reader"}, "passphrase": {readerPass}, "code": {code}})
	}
	now := af.clock.now()
	step := totpStepOf(now)
	if r := login(""); r.StatusCode != 401 {
		t.Fatalf("no code: %s", r.Status)
	}
	if r := login(totpAt(secret, step-2)); r.StatusCode != 401 {
		t.Fatalf("a code two steps old: %s", r.Status)
	}
	if r := login(totpAt(secret, step)); r.StatusCode != 303 {
		t.Fatalf("the current code: %s %s", r.Status, r.body)
	}
	if r := login(totpAt(secret, step)); r.StatusCode != 401 {
		t.Fatalf("the same code again: %s", r.Status)
	}
	// Three failures from this address: the next attempt waits a second
	// (throttle.go), still within this time step.
	af.clock.add(2 * time.Second)
	if r := login(totpAt(secret, step+1)); r.StatusCode != 303 {
		t.Fatalf("the next step's code: %s", r.Status)
	}
	af.clock.add(3 * time.Second)
	if r := login(totpAt(secret, step)); r.StatusCode != 401 {
		t.Fatalf("an older code after a newer one: %s", r.Status)
	}
	// Another user, without a second factor, needs no code (once this
	// address's wait after the failures above is over).
	af.clock.add(5 * time.Second)
	b := h.browser()
	b.mustLogin("analyst", analystPass)
}
