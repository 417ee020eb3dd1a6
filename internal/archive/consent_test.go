package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
)

// consentFixture is an archive with a testimony whose original is a
// transcript, its translation, an audio recording and a photo, plus an
// item of no testimony.
type consentFixture struct {
	a                                 *Archive
	testimony                         evidence.ID
	original, translation, audio, img evidence.ID
	loose                             evidence.ID
}

func newConsentFixture(t *testing.T) *consentFixture {
	t.Helper()
	ctx := context.Background()
	a := newArchive(t)
	src := t.TempDir()
	files := map[string][]byte{"w17.ko.txt": []byte(koSentence), "w17.en.txt": []byte(enSentence),
		"w17.m4a": randBytes(1, 3000), "w17.jpg": randBytes(2, 2000), "loose.txt": []byte("a field note on the weather")}
	ids := map[string]evidence.ID{}
	for name, data := range files {
		p := filepath.Join(src, name)
		writeFile(t, p, data)
		ids[name] = addAll(t, a, []string{p}, AddOptions{})[0].ID
	}
	f := &consentFixture{a: a, original: ids["w17.ko.txt"], translation: ids["w17.en.txt"], audio: ids["w17.m4a"], img: ids["w17.jpg"], loose: ids["loose.txt"]}
	orig := f.original
	tid, err := a.AddRecord(ctx, &model.Testimony{Title: "Interview 1", Witness: "W-17", Original: &orig,
		Translations: []evidence.ID{f.translation, f.audio, f.img}})
	if err != nil {
		t.Fatal(err)
	}
	f.testimony = tid
	return f
}

func (f *consentFixture) set(t *testing.T, c model.Consent) (evidence.ID, int, bool) {
	t.Helper()
	c.Testimony = f.testimony
	id, v, changed, err := f.a.SetConsent(context.Background(), &c)
	if err != nil {
		t.Fatal(err)
	}
	return id, v, changed
}

func treeSize(t *testing.T, a *Archive) int64 {
	t.Helper()
	n, err := a.db.TreeSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConsentVersions(t *testing.T) {
	ctx := context.Background()
	f := newConsentFixture(t)
	info, err := f.a.Consent(ctx, f.testimony.String()[:8])
	if err != nil || info.Found || info.Testimony != f.testimony {
		t.Fatalf("no consent yet: %+v, %v", info, err)
	}
	id, v, changed := f.set(t, model.Consent{Scope: ScopeInternal})
	if v != 1 || !changed {
		t.Fatalf("first set: version %d, changed %v", v, changed)
	}
	if id2, v, changed := f.set(t, model.Consent{Scope: ScopeInternal}); id2 != id || v != 1 || changed {
		t.Errorf("same consent again: %s v%d changed %v", id2, v, changed)
	}
	n := treeSize(t, f.a)
	if id2, v, changed := f.set(t, model.Consent{Scope: ScopeCourt, NoAudio: true}); id2 != id || v != 2 || !changed {
		t.Errorf("changed consent: %s v%d changed %v", id2, v, changed)
	}
	if got := treeSize(t, f.a); got != n+1 {
		t.Errorf("a consent version appended %d custody entries", got-n)
	}
	info, err = f.a.Consent(ctx, f.testimony.String())
	if err != nil || !info.Found || info.Record.ID != id || len(info.Record.Versions) != 2 {
		t.Fatalf("consent: %+v, %v", info, err)
	}
	if c := info.Record.Current.(*model.Consent); c.Scope != ScopeCourt || !c.NoAudio {
		t.Errorf("current consent %+v", c)
	}
	var kinds []string
	f.a.Log(ctx, id.String(), func(e LogEntry) error { kinds = append(kinds, fmt.Sprint(e.Kind, e.Version)); return nil })
	if strings.Join(kinds, " ") != "record1 record2" {
		t.Errorf("consent record's custody: %v", kinds)
	}
	// Not a testimony.
	if _, err := f.a.Consent(ctx, f.original.String()); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("consent of an item: %v", err)
	}
	ev, _ := f.a.AddRecord(ctx, &model.Event{Title: "Crossing"})
	if _, _, _, err := f.a.SetConsent(ctx, &model.Consent{Testimony: ev, Scope: ScopeCourt}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("consent of an event: %v", err)
	}
	if _, _, _, err := f.a.SetConsent(ctx, &model.Consent{Testimony: f.testimony, Scope: "everything"}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("unknown scope: %v", err)
	}
}

// TestOneConsentPerTestimony: a second consent record for a testimony is
// refused however it comes, with nothing stored.
func TestOneConsentPerTestimony(t *testing.T) {
	ctx := context.Background()
	f := newConsentFixture(t)
	first, _, _ := f.set(t, model.Consent{Scope: ScopeCourt})
	n := treeSize(t, f.a)
	_, err := f.a.AddRecords(ctx, []model.Body{&model.Consent{Testimony: f.testimony, Scope: ScopeNamed}}, nil)
	if !errors.Is(err, evidence.ErrInvalid) || !strings.Contains(err.Error(), "sori consent set") {
		t.Errorf("second consent record: %v", err)
	}
	if got := treeSize(t, f.a); got != n {
		t.Errorf("a refused consent record appended %d entries", got-n)
	}
	// Two in one batch, for a testimony that has none yet.
	t2, err := f.a.AddRecord(ctx, &model.Testimony{Title: "Interview 2", Witness: "W-18"})
	if err != nil {
		t.Fatal(err)
	}
	n = treeSize(t, f.a)
	_, err = f.a.AddRecords(ctx, []model.Body{&model.Consent{Testimony: t2, Scope: ScopeCourt}, &model.Consent{Testimony: t2, Scope: ScopeNamed}}, nil)
	if !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("two consent records in one batch: %v", err)
	}
	if got := treeSize(t, f.a); got != n {
		t.Errorf("a refused batch appended %d entries", got-n)
	}
	// One for t2, then moving it onto the first testimony.
	ids, err := f.a.AddRecords(ctx, []model.Body{&model.Consent{Testimony: t2, Scope: ScopeCourt}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.a.UpdateRecord(ctx, ids[0].String(), &model.Consent{Testimony: f.testimony, Scope: ScopeCourt}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("moving a consent record onto a testimony with one: %v", err)
	}
	// Its own record may be edited.
	if _, changed, err := f.a.UpdateRecord(ctx, first.String(), &model.Consent{Testimony: f.testimony, Scope: ScopeNamed}); err != nil || !changed {
		t.Errorf("editing the consent record: %v", err)
	}
}

// TestConsentTakesOpConsent: an analyst may add records but not consent.
func TestConsentTakesOpConsent(t *testing.T) {
	ctx := context.Background()
	f := newConsentFixture(t)
	if _, err := f.a.AddUser(ctx, "analyst-ro", RoleAnalyst, testPass); err != nil {
		t.Fatal(err)
	}
	an, err := openAs(t, f.a.dir, "analyst-ro", testPass)
	if err != nil {
		t.Fatal(err)
	}
	defer an.Close()
	if _, err := an.AddRecords(ctx, []model.Body{&model.Consent{Testimony: f.testimony, Scope: ScopeNamed}}, nil); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("analyst adds a consent record: %v", err)
	}
	id, _, _ := f.set(t, model.Consent{Scope: ScopeInternal})
	if _, _, err := an.UpdateRecord(ctx, id.String(), &model.Consent{Testimony: f.testimony, Scope: ScopeNamed}); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("analyst edits a consent record: %v", err)
	}
}

func exportErr(t *testing.T, a *Archive, ids ...evidence.ID) (*Export, error) {
	t.Helper()
	var refs []string
	for _, id := range ids {
		refs = append(refs, id.String())
	}
	return a.Export(context.Background(), refs, nil)
}

func TestExportFollowsConsent(t *testing.T) {
	ctx := context.Background()
	f := newConsentFixture(t)
	all := []evidence.ID{f.original, f.translation, f.audio, f.img}
	// Items of no testimony export as before.
	if _, err := exportErr(t, f.a, f.loose); err != nil {
		t.Fatalf("loose item: %v", err)
	}
	// No consent: internal only; every item named at once, nothing logged.
	n := treeSize(t, f.a)
	_, err := exportErr(t, f.a, append(all, f.loose)...)
	if !errors.Is(err, evidence.ErrInvalid) {
		t.Fatalf("export without consent: %v", err)
	}
	for _, id := range all {
		if !strings.Contains(err.Error(), id.String()) {
			t.Errorf("refusal does not name %s: %v", id, err)
		}
	}
	if strings.Contains(err.Error(), f.loose.String()) || !strings.Contains(err.Error(), "internal use only") {
		t.Errorf("refusal: %v", err)
	}
	if got := treeSize(t, f.a); got != n {
		t.Errorf("a refused export appended %d entries", got-n)
	}
	f.set(t, model.Consent{Scope: ScopeInternal})
	if _, err := exportErr(t, f.a, f.original); !errors.Is(err, evidence.ErrInvalid) || !strings.Contains(err.Error(), "Internal use only") {
		t.Errorf("internal consent: %v", err)
	}
	// Court use, no audio, no video.
	cid, _, _ := f.set(t, model.Consent{Scope: ScopeCourt, NoAudio: true, NoVideo: true})
	_, err = exportErr(t, f.a, all...)
	if !errors.Is(err, evidence.ErrInvalid) || !strings.Contains(err.Error(), f.audio.String()) || !strings.Contains(err.Error(), f.img.String()) ||
		strings.Contains(err.Error(), f.original.String()) || !strings.Contains(err.Error(), "excludes audio") {
		t.Errorf("no audio, no video: %v", err)
	}
	x, err := exportErr(t, f.a, f.original, f.translation, f.loose)
	if err != nil {
		t.Fatalf("court consent: %v", err)
	}
	if len(x.Consents) != 1 || x.Consents[0].ID != cid || len(x.Consents[0].Versions) != 2 || len(x.Consents[0].Entries) != 2 {
		t.Errorf("export carries %d consent records", len(x.Consents))
	}
	f.set(t, model.Consent{Scope: ScopeAnonymized})
	if _, err := exportErr(t, f.a, all...); err != nil {
		t.Errorf("anonymized consent allows court use: %v", err)
	}
	// A withdrawn witness: refused whatever the record says.
	if _, err := f.a.AddWitness(ctx, Witness{Pseudonym: "W-17", Names: []string{"림송화"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := exportErr(t, f.a, f.original); err != nil {
		t.Errorf("active witness: %v", err)
	}
	if _, err := f.a.WithdrawWitness(ctx, "W-17"); err != nil {
		t.Fatal(err)
	}
	f.set(t, model.Consent{Scope: ScopeNamed})
	_, err = exportErr(t, f.a, f.translation)
	if !errors.Is(err, evidence.ErrInvalid) || !strings.Contains(err.Error(), "withdrew") {
		t.Errorf("withdrawn witness: %v", err)
	}
	if strings.Contains(fmt.Sprint(err), "림송화") {
		t.Error("the refusal quotes a sealed name")
	}
}

// TestReadAudit: reading an item of a testimony is a custody entry made
// before the bytes are returned; other reads are not logged; a role that
// cannot record the read cannot read.
func TestReadAudit(t *testing.T) {
	ctx := context.Background()
	f := newConsentFixture(t)
	reads := func() []string {
		var out []string
		f.a.Log(ctx, "", func(e LogEntry) error {
			if e.Kind == custody.KindRead {
				out = append(out, e.Object+" "+e.ActorName)
			}
			return nil
		})
		return out
	}
	readItem(t, f.a, f.loose)
	if _, err := f.a.Show(ctx, f.original.String()); err != nil {
		t.Fatal(err)
	}
	if r := reads(); len(r) != 0 {
		t.Errorf("unrestricted reads logged: %v", r)
	}
	if got := string(readItem(t, f.a, f.original)); got != koSentence {
		t.Errorf("read %q", got)
	}
	readItem(t, f.a, f.audio) // a translation by the testimony record
	it, err := f.a.db.Item(ctx, f.translation)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.a.Inspect().OpenItem(ctx, it)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, rc)
	rc.Close()
	if _, err := f.a.Inspect().HashItem(ctx, it, nil); err != nil {
		t.Fatal(err)
	}
	me := f.a.me.Name
	want := []string{f.original.String() + " " + me, f.audio.String() + " " + me, f.translation.String() + " " + me}
	if r := reads(); strings.Join(r, ",") != strings.Join(want, ",") {
		t.Errorf("read entries %v, want %v", r, want)
	}
	// An item whose own record says it translates the original.
	p := filepath.Join(t.TempDir(), "w17.ja.txt")
	writeFile(t, p, []byte("質問: いつ豆満江を渡りましたか?"))
	ja := addAll(t, f.a, []string{p}, AddOptions{TranslationOf: f.original.String()})[0].ID
	readItem(t, f.a, ja)
	if r := reads(); len(r) != 4 || !strings.HasPrefix(r[3], ja.String()) {
		t.Errorf("read of a translation by its record: %v", r)
	}
	// A reader holds the log key for this: its read is recorded too.
	if _, err := f.a.AddUser(ctx, "reader-choi", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	rd, err := openAs(t, f.a.dir, "reader-choi", testPass)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	rc, _, err = rd.Open(ctx, f.original.String())
	if err != nil {
		t.Fatalf("reader reads a testimony item: %v", err)
	}
	rc.Close()
	if r := reads(); len(r) != 5 || r[4] != f.original.String()+" reader-choi" {
		t.Errorf("the reader's read: %v", r)
	}
	if rc, _, err := rd.Open(ctx, f.loose.String()); err != nil {
		t.Errorf("reader reads a loose item: %v", err)
	} else {
		rc.Close()
	}
	if r := reads(); len(r) != 5 {
		t.Errorf("a loose item's read was logged: %v", r)
	}
}

// TestRoleHandover: the first admin hands protection to a new user and
// drops its own; it can no longer open the vault, the new officer can,
// and entries added afterwards are under a vault key the first admin's
// old one does not open.
func TestRoleHandover(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	if _, err := adm.AddWitness(ctx, vaultW17); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.AddUser(ctx, "po-han", RoleInvestigator, testPass); err != nil {
		t.Fatal(err)
	}
	if _, _, err := adm.ChangeRole(ctx, adm.me.Name, "", RoleProtection); !errors.Is(err, evidence.ErrInvalid) || !strings.Contains(err.Error(), "last protection officer") {
		t.Errorf("dropping the last protection role: %v", err)
	}
	if _, _, err := adm.ChangeRole(ctx, adm.me.Name, "", RoleAdmin); !errors.Is(err, evidence.ErrInvalid) || !strings.Contains(err.Error(), "last admin") {
		t.Errorf("dropping the last admin role: %v", err)
	}
	u, changed, err := adm.ChangeRole(ctx, "po-han", RoleProtection, "")
	if err != nil || !changed || strings.Join(u.Roles, ",") != "protection,investigator" {
		t.Fatalf("giving protection: %+v %v %v", u, changed, err)
	}
	if _, changed, err := adm.ChangeRole(ctx, "po-han", RoleProtection, ""); err != nil || changed {
		t.Errorf("giving it again: %v %v", changed, err)
	}
	kept := adm.ring // what the first admin keeps
	u, _, err = adm.ChangeRole(ctx, adm.me.Name, "", RoleProtection)
	if err != nil || strings.Join(u.Roles, ",") != "admin" {
		t.Fatalf("handing over: %+v %v", u, err)
	}
	// The session was unlocked with the role just changed: it is stale.
	if err := adm.List(ctx, func(Listed) error { return nil }); !errors.Is(err, evidence.ErrLocked) || !strings.Contains(err.Error(), "unlock again") {
		t.Errorf("the session of a user whose role changed: %v", err)
	}
	adm = reopen(t, adm)
	if _, _, err := adm.ChangeRole(ctx, "po-han", "", RoleInvestigator); err != nil {
		t.Errorf("taking investigator: %v", err)
	}
	if _, _, err := adm.ChangeRole(ctx, "po-han", "", RoleProtection); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("taking the only role: %v", err)
	}
	adm = reopen(t, adm)
	if _, _, err := adm.OpenWitness(ctx, "W-17"); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("former officer opens the vault: %v", err)
	}
	if adm.ring.HasVault() {
		t.Error("the former officer's session holds a vault key")
	}
	if _, _, err := adm.ChangeRole(ctx, "po-han", RoleAnalyst, ""); err != nil {
		t.Errorf("an admin without the vault key changes other roles: %v", err)
	}
	if _, err := adm.AddUser(ctx, "po-lee", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	if _, _, err := adm.ChangeRole(ctx, "po-lee", RoleProtection, ""); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("an admin without the vault key gives protection: %v", err)
	}
	han, err := openAs(t, adm.dir, "po-han", testPass)
	if err != nil {
		t.Fatal(err)
	}
	defer han.Close()
	if _, w, err := han.OpenWitness(ctx, "W-17"); err != nil || w == nil || w.Names[0] != vaultW17.Names[0] {
		t.Errorf("new officer opens the vault: %v", err)
	}
	if _, err := han.AddWitness(ctx, vaultW18); err != nil {
		t.Fatal(err)
	}
	rows, err := han.db.VaultRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if _, err := kept.OpenWitness(r.ID, r.Wrapped, r.Entry); err == nil {
			t.Errorf("the former officer's vault key opens %s", r.Pseudonym)
		}
	}
	var kinds []string
	han.Log(ctx, "", func(e LogEntry) error {
		if e.Kind == custody.KindGrant || e.Kind == custody.KindRevoke {
			kinds = append(kinds, e.Kind)
		}
		return nil
	})
	if strings.Join(kinds, " ") != "grant grant revoke revoke grant grant" {
		t.Errorf("role changes logged as %v", kinds)
	}
}
