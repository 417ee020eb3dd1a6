package custody

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
)

func newKey(t testing.TB, origin string) (string, string) {
	t.Helper()
	s, v, err := NewLogKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// TestHandoverChain: a chain of two handovers verifies from the first key,
// each checkpoint only under the key in force at its size, and the stored
// form parses back to the same chain.
func TestHandoverChain(t *testing.T) {
	const origin = "sori.archive/0123456789abcdef0123456789abcdef"
	s0, v0 := newKey(t, origin)
	s1, v1 := newKey(t, origin)
	s2, v2 := newKey(t, origin)
	if got, err := VerifierKey(s1); err != nil || got != v1 {
		t.Fatalf("VerifierKey = %q, %v; want %q", got, err, v1)
	}
	c := KeyChain{Origin: origin, First: v0}
	h1, err := SignHandover(s0, origin, 5, v1)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = c.Append(h1.Note); err != nil {
		t.Fatal(err)
	}
	h2, err := SignHandover(s1, origin, 9, v2)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = c.Append(h2.Note); err != nil {
		t.Fatal(err)
	}
	if c.Current() != v2 || c.KeyAt(4) != v0 || c.KeyAt(5) != v1 || c.KeyAt(8) != v1 || c.KeyAt(9) != v2 {
		t.Fatalf("keys in force wrong: %+v", c)
	}
	back, err := ParseChain(origin, v0, c.MarshalNotes())
	if err != nil || back.Current() != v2 || len(back.Handovers) != 2 {
		t.Fatalf("ParseChain: %v, %+v", err, back)
	}
	if FirstOfChain(c.MarshalNotes()) != v0 {
		t.Fatal("FirstOfChain")
	}
	var h tlog.Hash
	for _, tc := range []struct {
		skey string
		size int64
		ok   bool
	}{{s0, 4, true}, {s0, 5, false}, {s1, 5, true}, {s1, 9, false}, {s2, 9, true}, {s2, 4, false}} {
		cp, err := SignCheckpoint(tc.skey, origin, tc.size, h)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.OpenCheckpoint(cp.Note)
		if (err == nil) != tc.ok {
			t.Errorf("checkpoint of size %d: err = %v, want ok = %v", tc.size, err, tc.ok)
		}
		if err != nil && !errors.Is(err, evidence.ErrTampered) {
			t.Errorf("error kind: %v", err)
		}
	}
	if s, ok := c.Since(v1); !ok || s.First != v1 || len(s.Handovers) != 1 {
		t.Fatalf("Since(v1) = %+v, %v", s, ok)
	}
}

// TestHandoverRefused: a handover not signed by the key in force, out of
// order, naming the same key, or altered, is refused.
func TestHandoverRefused(t *testing.T) {
	const origin = "sori.archive/0123456789abcdef0123456789abcdef"
	s0, v0 := newKey(t, origin)
	s1, v1 := newKey(t, origin)
	sx, vx := newKey(t, origin)
	c := KeyChain{Origin: origin, First: v0}
	forged, err := SignHandover(sx, origin, 5, v1) // by a key not in force
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Append(forged.Note); !errors.Is(err, evidence.ErrTampered) {
		t.Fatalf("handover by another key: %v", err)
	}
	h1, _ := SignHandover(s0, origin, 5, v1)
	c, err = c.Append(h1.Note)
	if err != nil {
		t.Fatal(err)
	}
	// The old key, kept by a removed user, hands over a second time.
	again, _ := SignHandover(s0, origin, 7, vx)
	if _, err := c.Append(again.Note); !errors.Is(err, evidence.ErrTampered) {
		t.Fatalf("second handover by the retired key: %v", err)
	}
	back, _ := SignHandover(s1, origin, 5, vx) // not after the last
	if _, err := c.Append(back.Note); !errors.Is(err, evidence.ErrTampered) {
		t.Fatalf("handover from an earlier size: %v", err)
	}
	altered := bytes.Replace(h1.Note, []byte("\n5\n"), []byte("\n6\n"), 1)
	if _, err := OpenHandover(altered, origin, v0); !errors.Is(err, evidence.ErrTampered) {
		t.Fatalf("altered size: %v", err)
	}
	if _, err := SignHandover(s0, origin, 5, v0); err != nil {
		t.Fatal(err) // signing is allowed; opening refuses the same key
	} else if h, _ := SignHandover(s0, origin, 5, v0); h.Note != nil {
		if _, err := OpenHandover(h.Note, origin, v0); err == nil {
			t.Fatal("a handover to the same key was accepted")
		}
	}
	if _, err := ParseChain(origin, v0, append(h1.Note, '\n')); err == nil {
		t.Fatal("a chain with a stray line was accepted")
	}
}

// FuzzParseChain: ParseChain never panics, and whatever it accepts
// re-encodes to the same bytes and is signed from the first key on.
func FuzzParseChain(f *testing.F) {
	const origin = "sori.archive/0123456789abcdef0123456789abcdef"
	s0, v0 := newKey(f, origin)
	_, v1 := newKey(f, origin)
	h, err := SignHandover(s0, origin, 3, v1)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(h.Note)
	f.Add([]byte{})
	f.Add(append(append([]byte{}, h.Note...), h.Note...))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseChain(origin, v0, b)
		if err != nil {
			return
		}
		if !bytes.Equal(c.MarshalNotes(), b) {
			t.Fatalf("accepted %q but it re-encodes as %q", b, c.MarshalNotes())
		}
		if len(c.Handovers) > 0 && c.Handovers[0].Old != v0 {
			t.Fatal("first handover not from the first key")
		}
	})
}
