package archive

import (
	"context"
	"errors"
	"strings"
	"testing"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// TestDeniedAttemptsLogged: a reader's export and publication are refused
// and each refusal is a signed "denied" custody entry of the reader's,
// naming the operation and how many items were asked for, nothing of them.
func TestDeniedAttemptsLogged(t *testing.T) {
	ctx := context.Background()
	a := newArchive(t)
	item := addText(t, a, "denied.txt", "a synthetic note that must not leave").ID
	if _, err := a.AddUser(ctx, "rdr", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, a.dir, "rdr", testPass, Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Export(ctx, []string{item.String(), "ffff"}, nil); !errors.Is(err, evidence.ErrForbidden) {
		t.Fatalf("reader's export: %v", err)
	}
	if _, err := r.Publish(ctx, []string{"json"}); !errors.Is(err, evidence.ErrForbidden) {
		t.Fatalf("reader's publication: %v", err)
	}
	var got []string
	err = a.db.EachCustody(ctx, "", func(row store.CustodyRow) error {
		if row.Kind != custody.KindDenied {
			return nil
		}
		e, err := custody.Unmarshal(row.Entry)
		if err != nil {
			return err
		}
		if e.Actor != r.me.ID || e.Digest != (evidence.Digest{}) || strings.Contains(string(row.Entry), item.String()) {
			t.Errorf("denied entry: %+v", e)
		}
		got = append(got, e.Object+":"+string(rune('0'+e.Version)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "export:2,publish:0" {
		t.Errorf("denied entries %v, want export:2,publish:0", got)
	}
}
