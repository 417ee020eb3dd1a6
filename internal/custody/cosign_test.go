package custody_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"sori/internal/custody"
	"sori/internal/evidence"
)

// testWitness returns a witness key pair in cosignature/v1 form and a
// function that cosigns a note text at time ts, as C2SP tlog-cosignature
// defines it (written from the spec for the test).
func testWitness(t *testing.T, name string) (string, func(text string, ts uint64) string) {
	priv := ed25519.NewKeyFromSeed(seed(0x70))
	pub := priv.Public().(ed25519.PublicKey)
	h := sha256.Sum256(append([]byte(name+"\n\x04"), pub...))
	id := binary.BigEndian.Uint32(h[:4])
	vkey := fmt.Sprintf("%s+%08x+%s", name, id, base64.StdEncoding.EncodeToString(append([]byte{4}, pub...)))
	sign := func(text string, ts uint64) string {
		sig := ed25519.Sign(priv, []byte(fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, text)))
		raw := binary.BigEndian.AppendUint32(nil, id)
		raw = binary.BigEndian.AppendUint64(raw, ts)
		return "— " + name + " " + base64.StdEncoding.EncodeToString(append(raw, sig...)) + "\n"
	}
	return vkey, sign
}

func TestCheckCosignature(t *testing.T) {
	cp, _ := testCheckpoint(t)
	text, err := custody.NoteText(cp.Note)
	if err != nil {
		t.Fatal(err)
	}
	vkey, sign := testWitness(t, "witness.example/w")
	w, err := custody.ParseWitnessKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	line := sign(string(text), 1_700_000_000)
	c, err := custody.CheckCosignature(cp.Note, []byte("— other.example abc=\n"+line), w)
	if err != nil || c.Line != line || c.Time.Unix() != 1_700_000_000 {
		t.Fatalf("good cosignature: %+v %v", c, err)
	}
	// Over another text, at another time than signed, or by another key.
	other := strings.Replace(string(text), "\n13\n", "\n14\n", 1)
	raw, _ := base64.StdEncoding.DecodeString(strings.Fields(line)[2])
	raw[11] ^= 1
	retimed := "— witness.example/w " + base64.StdEncoding.EncodeToString(raw) + "\n"
	for name, body := range map[string]string{
		"other text": sign(other, 1_700_000_000),
		"retimed":    retimed,
		"none":       "",
		"truncated":  strings.TrimSuffix(line, "\n"),
	} {
		if _, err := custody.CheckCosignature(cp.Note, []byte(body), w); !errors.Is(err, evidence.ErrTampered) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, bad := range []string{"", "a+b+c", strings.Replace(vkey, "+", "+0", 1), vkey[:len(vkey)-4] + "AAA=", "x y+00000000+" + strings.SplitN(vkey, "+", 3)[2]} {
		if _, err := custody.ParseWitnessKey(bad); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("key %q: %v", bad, err)
		}
	}
	req := string(custody.AddCheckpointRequest(3, nil, cp.Note))
	if !strings.HasPrefix(req, "old 3\n\n") || !strings.HasSuffix(req, string(cp.Note)) {
		t.Errorf("request %q", req)
	}
}

func FuzzCheckCosignature(f *testing.F) {
	cp, _ := testCheckpoint(f)
	text, _ := custody.NoteText(cp.Note)
	vkey, sign := testWitness(&testing.T{}, "witness.example/w")
	f.Add(vkey, []byte(sign(string(text), 5)))
	f.Add("a+00000000+AA==", []byte("— a b\n"))
	f.Fuzz(func(t *testing.T, vkey string, body []byte) {
		w, err := custody.ParseWitnessKey(vkey)
		if err != nil {
			if !errors.Is(err, evidence.ErrInvalid) {
				t.Fatalf("error kind: %v", err)
			}
			return
		}
		c, err := custody.CheckCosignature(cp.Note, body, w)
		if err == nil && !strings.Contains(string(body), c.Line) {
			t.Fatal("a cosignature line not in the body")
		}
		if err != nil && !errors.Is(err, evidence.ErrTampered) {
			t.Fatalf("error kind: %v", err)
		}
	})
}
