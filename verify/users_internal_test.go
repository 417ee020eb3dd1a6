package verify

import (
	"slices"
	"strings"
	"testing"
	"time"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// TestReplayUsers feeds the user replay a log no sori writes: a grant by a
// non-admin, an entry signed after a removal, an item stored under the
// generation before a removal, a role the log never granted.
func TestReplayUsers(t *testing.T) {
	adm := store.User{ID: "a1", Role: "admin,protection", Recipient: "age1admin", SignPub: []byte{1}}
	rdr := store.User{ID: "r1", Role: "reader", Recipient: "age1reader", SignPub: []byte{2}}
	gone := store.User{ID: "g1", Role: roleRemoved, Recipient: "age1gone", SignPub: []byte{3}}
	item := evidence.NewID()
	v := &verifier{r: &Report{}, replay: userReplay{granted: map[string]string{}},
		userRows: map[string]store.User{adm.ID: adm, rdr.ID: rdr, gone.ID: gone},
		items:    itemTable{ids: []evidence.ID{item}, items: []verItem{{keyGen: 1}}}}
	seq := int64(0)
	entry := func(kind, actor, object string, d evidence.Digest) {
		v.replayUsers(custody.Entry{V: 1, Seq: seq, Kind: kind, Time: time.Now(), Actor: actor, Object: object, Digest: d})
		seq++
	}
	entry(custody.KindInit, adm.ID, "archive", publicUserDigest(adm, adm.Role))
	entry(custody.KindGrant, adm.ID, rdr.ID, publicUserDigest(rdr, "investigator")) // the row now says reader
	entry(custody.KindGrant, rdr.ID, gone.ID, publicUserDigest(gone, "analyst"))    // not an admin
	entry(custody.KindRevoke, adm.ID, gone.ID, publicUserDigest(gone, roleRemoved))
	entry(custody.KindRecord, gone.ID, evidence.NewID().String(), evidence.Digest{}) // after removal
	entry(custody.KindIntake, adm.ID, item.String(), evidence.Digest{})              // generation 1 after a removal
	v.checkUserRows()
	text := ""
	for _, f := range v.r.Findings {
		text += f.String() + "\n"
	}
	for _, want := range []string{
		"who is not an admin",
		"after their removal",
		"content key generation 1; after 1 user removals it should be 2",
		`user row holds role "reader" but the custody log gives "investigator"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no finding %q in:\n%s", want, text)
		}
	}
	if len(v.r.Findings) != 4 {
		t.Errorf("%d findings, want 4:\n%s", len(v.r.Findings), text)
	}
}

// TestReplayEntryRoles: each entry is checked against what its signer's
// role allowed when they signed it.
func TestReplayEntryRoles(t *testing.T) {
	adm := store.User{ID: "a1", Role: "admin,protection", Recipient: "age1admin", SignPub: []byte{1}}
	an := store.User{ID: "n1", Role: "analyst", Recipient: "age1analyst", SignPub: []byte{2}}
	rd := store.User{ID: "r1", Role: "reader", Recipient: "age1reader", SignPub: []byte{3}}
	consent, other := evidence.NewID(), evidence.NewID()
	v := &verifier{r: &Report{}, replay: userReplay{granted: map[string]string{}},
		userRows: map[string]store.User{adm.ID: adm, an.ID: an, rd.ID: rd},
		records: map[evidence.ID]*verRecord{
			consent: {kind: "consent", versions: make([]verVersion, 1)},
			other:   {kind: "event", versions: make([]verVersion, 1)},
		}}
	seq := int64(0)
	entry := func(kind, actor, object string, d evidence.Digest) {
		v.replayUsers(custody.Entry{V: 1, Seq: seq, Kind: kind, Time: time.Now(), Actor: actor, Object: object, Digest: d})
		seq++
	}
	entry(custody.KindInit, adm.ID, "archive", publicUserDigest(adm, adm.Role))
	entry(custody.KindGrant, adm.ID, an.ID, publicUserDigest(an, an.Role))
	entry(custody.KindGrant, adm.ID, rd.ID, publicUserDigest(rd, rd.Role))
	// Allowed: an analyst's event record, a reader's audited read, the
	// admin's intake and vault entry.
	entry(custody.KindRecord, an.ID, other.String(), evidence.Digest{})
	entry(custody.KindRead, rd.ID, evidence.NewID().String(), evidence.Digest{})
	entry(custody.KindIntake, adm.ID, evidence.NewID().String(), evidence.Digest{})
	entry(custody.KindWitness, adm.ID, "w1", evidence.Digest{})
	if len(v.r.Findings) != 0 {
		t.Fatalf("allowed entries gave findings: %v", v.r.Findings)
	}
	// Not allowed: intake and consent by an analyst, a record and a vault
	// entry by a reader.
	entry(custody.KindIntake, an.ID, evidence.NewID().String(), evidence.Digest{})
	entry(custody.KindRecord, an.ID, consent.String(), evidence.Digest{})
	entry(custody.KindRecord, rd.ID, other.String(), evidence.Digest{})
	entry(custody.KindVaultOpen, rd.ID, "w1", evidence.Digest{})
	var got []string
	for _, f := range v.r.Findings {
		got = append(got, f.Object)
	}
	if want := []string{"entry 7", "entry 8", "entry 9", "entry 10"}; !slices.Equal(got, want) {
		t.Errorf("findings on %v, want %v: %v", got, want, v.r.Findings)
	}
}

// TestReplayRoleChanges: a second grant that keeps every role is a role
// given, a revoke to a smaller set a role taken (no content generation);
// a second grant that drops a role is a finding.
func TestReplayRoleChanges(t *testing.T) {
	adm := store.User{ID: "a1", Role: "admin", Recipient: "age1admin", SignPub: []byte{1}}
	po := store.User{ID: "p1", Role: "protection,investigator", Recipient: "age1po", SignPub: []byte{2}}
	odd := store.User{ID: "o1", Role: "reader", Recipient: "age1odd", SignPub: []byte{3}}
	item := evidence.NewID()
	v := &verifier{r: &Report{}, replay: userReplay{granted: map[string]string{}},
		userRows: map[string]store.User{adm.ID: adm, po.ID: po, odd.ID: odd},
		items:    itemTable{ids: []evidence.ID{item}, items: []verItem{{keyGen: 1}}}}
	seq := int64(0)
	entry := func(kind, actor, object string, d evidence.Digest) {
		v.replayUsers(custody.Entry{V: 1, Seq: seq, Kind: kind, Time: time.Now(), Actor: actor, Object: object, Digest: d})
		seq++
	}
	entry(custody.KindInit, adm.ID, "archive", publicUserDigest(adm, "admin,protection"))
	entry(custody.KindGrant, adm.ID, po.ID, publicUserDigest(po, "investigator"))
	entry(custody.KindGrant, adm.ID, po.ID, publicUserDigest(po, "protection,investigator")) // role given
	entry(custody.KindRevoke, adm.ID, adm.ID, publicUserDigest(adm, "admin"))                // role taken
	entry(custody.KindGrant, adm.ID, odd.ID, publicUserDigest(odd, "analyst"))
	entry(custody.KindGrant, adm.ID, odd.ID, publicUserDigest(odd, "reader")) // drops analyst: not a role given
	entry(custody.KindIntake, po.ID, item.String(), evidence.Digest{})        // still generation 1
	v.checkUserRows()
	text := ""
	for _, f := range v.r.Findings {
		text += f.String() + "\n"
	}
	if len(v.r.Findings) != 1 || !strings.Contains(text, "grants user o1 a second time") {
		t.Errorf("findings:\n%s", text)
	}
}
