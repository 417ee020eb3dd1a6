package archive

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
)

var update = flag.Bool("update", false, "rewrite docs/roles.md and testdata/search-golden.txt from the code")

// roleFixture is an archive with an item, a record, and one user per role
// (plus users for the removal operation to remove), all with testPass.
type roleFixture struct {
	dir   string
	item  string // item ID
	event string // record ID
	testi string // testimony record ID
	src   string // directory for files to add
	n     int    // makes names and contents unique
}

func roleUser(role string) string { return "user-" + role }

func newRoleFixture(t *testing.T) *roleFixture {
	t.Helper()
	ctx := context.Background()
	a := newArchive(t)
	f := &roleFixture{dir: a.dir, src: t.TempDir()}
	p := filepath.Join(f.src, "fixture.ko.txt")
	writeFile(t, p, []byte(koSentence))
	f.item = addAll(t, a, []string{p}, AddOptions{Lang: "ko"})[0].ID.String()
	ev, err := a.AddRecord(ctx, &model.Event{Title: "Interrogation after repatriation"})
	if err != nil {
		t.Fatal(err)
	}
	f.event = ev.String()
	ti, err := a.AddRecord(ctx, &model.Testimony{Title: "Interview 1", Witness: "W-1"})
	if err != nil {
		t.Fatal(err)
	}
	f.testi = ti.String()
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-1", Names: []string{"Han Eun-byeol"}}); err != nil {
		t.Fatal(err)
	}
	for _, r := range Roles() {
		if _, err := a.AddUser(ctx, roleUser(r), r, testPass); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	return f
}

func (f *roleFixture) open(t *testing.T, user string) *Archive {
	t.Helper()
	a, err := Open(context.Background(), f.dir, user, testPass, Options{WorkFactor: 10})
	if err != nil {
		t.Fatalf("open as %s: %v", user, err)
	}
	return a
}

func (f *roleFixture) unique() int { f.n++; return f.n }

// call is one exported method, called with arguments that succeed when the
// role allows it.
type call struct {
	op  Op
	run func(t *testing.T, f *roleFixture, a *Archive) error
}

func each[T any](fn func(func(T) error) error) error { return fn(func(T) error { return nil }) }

// calls names every exported method of Archive and Inspector that checks
// a role, with the operation it checks.
// compartmentWith makes a compartment with members, as the first admin,
// and returns its name.
func (f *roleFixture) compartmentWith(t *testing.T, members ...string) string {
	t.Helper()
	adm := f.open(t, "")
	defer adm.Close()
	name := fmt.Sprintf("case-%d", f.unique())
	if _, err := adm.CreateCompartment(t.Context(), name, members); err != nil {
		t.Fatal(err)
	}
	return name
}

var calls = map[string]call{
	"Archive.CreateCompartment": {OpCompartment, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.CreateCompartment(t.Context(), fmt.Sprintf("case-%d", f.unique()), []string{roleUser(RoleReader)})
		return err
	}},
	"Archive.Compartments": {OpList, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Compartments(t.Context())
		return err
	}},
	"Archive.RestrictedRecords": {OpList, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.RestrictedRecords(t.Context(), "")
		return err
	}},
	"Archive.AddRecordsIn": {OpRecordAdd, func(t *testing.T, f *roleFixture, a *Archive) error {
		name := f.compartmentWith(t, a.me.Name)
		_, err := a.AddRecordsIn(t.Context(), name, []model.Body{&model.Event{Title: "in a compartment"}}, nil)
		return err
	}},
	"Archive.MoveToCompartment": {OpRecordEdit, func(t *testing.T, f *roleFixture, a *Archive) error {
		name := f.compartmentWith(t, a.me.Name)
		adm := f.open(t, "")
		id, err := adm.AddRecord(t.Context(), &model.Event{Title: fmt.Sprintf("to move %d", f.unique())})
		adm.Close()
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.MoveToCompartment(t.Context(), name, []string{id.String()})
		return err
	}},
	"Archive.AddCompartmentMember": {OpRecordAdd, func(t *testing.T, f *roleFixture, a *Archive) error {
		other := roleUser(RoleReader)
		if a.me.Name == other {
			other = roleUser(RoleAnalyst)
		}
		name := f.compartmentWith(t, a.me.Name)
		return a.AddCompartmentMember(t.Context(), name, other)
	}},
	"Archive.RemoveCompartmentMember": {OpCompartment, func(t *testing.T, f *roleFixture, a *Archive) error {
		name := f.compartmentWith(t, roleUser(RoleReader), roleUser(RoleAnalyst))
		return a.RemoveCompartmentMember(t.Context(), name, roleUser(RoleAnalyst))
	}},
	"Inspector.OpenSealed": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		id, _ := evidence.ParseID(f.event)
		_, err := a.Inspect().OpenSealed(t.Context(), false, id, 1, []byte(`{"v":1}`))
		return err
	}},
	"Archive.List": {OpList, func(t *testing.T, f *roleFixture, a *Archive) error {
		return each(func(fn func(Listed) error) error { return a.List(t.Context(), fn) })
	}},
	"Archive.ListPage": {OpList, func(t *testing.T, f *roleFixture, a *Archive) error {
		return each(func(fn func(Listed) error) error { return a.ListPage(t.Context(), Page{Skip: 1}, fn) })
	}},
	"Archive.RecordsPage": {OpList, func(t *testing.T, f *roleFixture, a *Archive) error {
		return a.RecordsPage(t.Context(), "", Page{Skip: 1}, func(evidence.ID, int, model.Body) error { return nil })
	}},
	"Archive.Records": {OpList, func(t *testing.T, f *roleFixture, a *Archive) error {
		return a.Records(t.Context(), "", func(evidence.ID, model.Body) error { return nil })
	}},
	"Archive.Resolve": {OpShow, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Resolve(t.Context(), f.item[:8])
		return err
	}},
	"Archive.ResolveAny": {OpShow, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, _, err := a.ResolveAny(t.Context(), f.event[:8])
		return err
	}},
	"Archive.Show": {OpShow, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Show(t.Context(), f.item)
		return err
	}},
	"Archive.Record": {OpShow, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Record(t.Context(), f.event)
		return err
	}},
	"Archive.Open": {OpCat, func(t *testing.T, f *roleFixture, a *Archive) error {
		rc, _, err := a.Open(t.Context(), f.item)
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(io.Discard, rc)
		return err
	}},
	"Archive.Migrate": {OpMigrate, func(t *testing.T, f *roleFixture, a *Archive) error {
		// A copy to a new directory, embedded too: the source is left as it is.
		_, err := a.Migrate(t.Context(), MigrateOptions{To: filepath.Join(t.TempDir(), "copy")})
		return err
	}},
	"Archive.IndexPending": {OpSearch, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.IndexPending(t.Context(), nil)
		return err
	}},
	"Archive.RebuildIndex": {OpRecordAdd, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.RebuildIndex(t.Context(), nil)
		return err
	}},
	"Archive.Search": {OpSearch, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Search(t.Context(), "두만강", SearchOptions{})
		return err
	}},
	"Archive.Snippets": {OpSearch, func(t *testing.T, f *roleFixture, a *Archive) error {
		return a.Snippets(t.Context(), "두만강", []store.Hit{{Doc: f.item, Part: 1}}, "<", ">")
	}},
	"Archive.ItemLangs": {OpShow, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.ItemLangs(t.Context(), []string{f.item, f.event})
		return err
	}},
	// Past the role check, a token that is no token is refused as
	// tampered, and an archive with none has no time stamp.
	"Archive.AddTimestamp": {OpCheckpoint, func(t *testing.T, f *roleFixture, a *Archive) error {
		cp, err := a.Checkpoint(t.Context())
		if err != nil {
			return err
		}
		if _, err = a.AddTimestamp(t.Context(), cp, "http://127.0.0.1/tsa", []byte{0x30, 0}); errors.Is(err, evidence.ErrTampered) {
			return nil
		}
		return err
	}},
	"Archive.LatestTimestamp": {OpCheckpoint, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.LatestTimestamp(t.Context(), 1<<40)
		if errors.Is(err, evidence.ErrNotFound) {
			return nil
		}
		return err
	}},
	"Archive.AddLogWitness": {OpWitnessLog, func(t *testing.T, f *roleFixture, a *Archive) error {
		pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
		h := sha256.Sum256(append([]byte("w.example\n\x04"), pub...))
		vkey := fmt.Sprintf("w.example+%x+%s", h[:4], base64.StdEncoding.EncodeToString(append([]byte{4}, pub...)))
		_, err := a.AddLogWitness(t.Context(), "http://127.0.0.1:1/", vkey)
		return err
	}},
	"Archive.LogWitnesses": {OpCheckpoint, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.LogWitnesses(t.Context())
		return err
	}},
	// Past the role check, a line that is no cosignature is refused as
	// tampered, and an archive with none has no cosigned checkpoint.
	"Archive.AddCosignature": {OpCheckpoint, func(t *testing.T, f *roleFixture, a *Archive) error {
		cp, err := a.Checkpoint(t.Context())
		if err != nil {
			return err
		}
		pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
		h := sha256.Sum256(append([]byte("w.example\n\x04"), pub...))
		vkey := fmt.Sprintf("w.example+%x+%s", h[:4], base64.StdEncoding.EncodeToString(append([]byte{4}, pub...)))
		if err = a.AddCosignature(t.Context(), cp, vkey, custody.Cosignature{Line: "— w.example AAAA\n"}); errors.Is(err, evidence.ErrTampered) {
			return nil
		}
		return err
	}},
	"Archive.LatestCosigned": {OpCheckpoint, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, _, err := a.LatestCosigned(t.Context(), 1<<40)
		if errors.Is(err, evidence.ErrNotFound) {
			return nil
		}
		return err
	}},
	"Archive.Log": {OpLog, func(t *testing.T, f *roleFixture, a *Archive) error {
		return each(func(fn func(LogEntry) error) error { return a.Log(t.Context(), "", fn) })
	}},
	"Archive.Checkpoint": {OpCheckpoint, func(t *testing.T, f *roleFixture, a *Archive) error { _, err := a.Checkpoint(t.Context()); return err }},
	"Inspector.Items": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		return each(func(fn func(store.Item) error) error { return a.Inspect().Items(t.Context(), fn) })
	}},
	"Inspector.Versions": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		return each(func(fn func(store.Version) error) error { return a.Inspect().Versions(t.Context(), fn) })
	}},
	"Inspector.Custody": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		return each(func(fn func(store.CustodyRow) error) error { return a.Inspect().Custody(t.Context(), "", fn) })
	}},
	"Inspector.Users": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Inspect().Users(t.Context())
		return err
	}},
	"Inspector.Vault": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		rows, err := a.Inspect().Vault(t.Context())
		for _, r := range rows {
			if r.Wrapped != nil || r.Entry != nil {
				t.Error("Inspector.Vault hands out sealed parts")
			}
		}
		return err
	}},
	"Inspector.VaultNameCounts": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		n, err := a.Inspect().VaultNameCounts(t.Context())
		if err == nil && len(n) == 0 {
			t.Error("VaultNameCounts: no entry has names")
		}
		return err
	}},
	"Inspector.StoredHashes": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		return a.Inspect().StoredHashes(t.Context(), func(int64, []byte) error { return nil })
	}},
	"Inspector.TreeSize": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Inspect().TreeSize(t.Context())
		return err
	}},
	"Inspector.Checkpoints": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		return a.Inspect().Checkpoints(t.Context(), func(int64, []byte) error { return nil })
	}},
	"Inspector.IntegrityCheck": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Inspect().IntegrityCheck(t.Context(), true)
		return err
	}},
	"Inspector.OpenItem": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		id, _ := evidence.ParseID(f.item)
		it, err := a.db.Item(t.Context(), id)
		if err != nil {
			return err
		}
		rc, err := a.Inspect().OpenItem(t.Context(), it)
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(io.Discard, rc)
		return err
	}},
	"Inspector.Packs": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		return a.Inspect().Packs(t.Context(), func(string, int64) error { return nil })
	}},
	"Inspector.CheckPin": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error { return a.Inspect().CheckPin(t.Context()) }},
	"Inspector.KeyFiles": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Inspect().KeyFiles(t.Context())
		return err
	}},
	"Inspector.Snapshot": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		size, _, err := a.Inspect().Snapshot(t.Context(), filepath.Join(t.TempDir(), "snap.db"))
		if err == nil && size == 0 {
			t.Error("Snapshot holds an empty log")
		}
		return err
	}},
	"Inspector.CopyTreeHead": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		// The copy is taken by the first admin, in its own session.
		path := filepath.Join(t.TempDir(), "snap.db")
		adm := f.open(t, "")
		want, _, err := adm.Inspect().Snapshot(t.Context(), path)
		adm.Close()
		if err != nil {
			t.Fatal(err)
		}
		size, _, err := a.Inspect().CopyTreeHead(t.Context(), path)
		if err == nil && size != want {
			t.Errorf("CopyTreeHead: size %d, snapshot %d", size, want)
		}
		return err
	}},
	"Inspector.Records": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		return each(func(fn func(store.RecordRow) error) error { return a.Inspect().Records(t.Context(), fn) })
	}},
	"Archive.Add": {OpAdd, func(t *testing.T, f *roleFixture, a *Archive) error {
		p := filepath.Join(f.src, fmt.Sprintf("new-%d.txt", f.unique()))
		writeFile(t, p, []byte(p))
		return a.Add(t.Context(), []string{p}, AddOptions{}, func(r Added) error { return r.Err })
	}},
	"Archive.AddSources": {OpAdd, func(t *testing.T, f *roleFixture, a *Archive) error {
		b := []byte(fmt.Sprintf("streamed %d", f.unique()))
		return a.AddSources(t.Context(), []Source{{Name: "upload.txt", Size: int64(len(b)), R: bytes.NewReader(b)}}, AddOptions{}, func(r Added) error { return r.Err })
	}},
	"Archive.Edit": {OpEdit, func(t *testing.T, f *roleFixture, a *Archive) error {
		title := fmt.Sprintf("title %d", f.unique())
		_, _, err := a.Edit(t.Context(), f.item, Edit{Title: &title})
		return err
	}},
	"Archive.AddRecords": {OpRecordAdd, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.AddRecords(t.Context(), []model.Body{&model.Person{Names: []string{"Pak Chol-min"}}}, nil)
		return err
	}},
	"Archive.CheckText": {OpRecordAdd, func(t *testing.T, f *roleFixture, a *Archive) error {
		spans, err := a.CheckText(t.Context(), "Han Eun-byeol, 한은별")
		if err == nil && len(spans) != 2 {
			t.Errorf("CheckText found %v", spans)
		}
		return err
	}},
	"Archive.CheckTexts": {OpRecordAdd, func(t *testing.T, f *roleFixture, a *Archive) error {
		spans, err := a.CheckTexts(t.Context(), []string{"nobody", "Han Eun-byeol"})
		if err == nil && (len(spans) != 2 || spans[0] != nil || len(spans[1]) != 1) {
			t.Errorf("CheckTexts found %v", spans)
		}
		return err
	}},
	"Archive.AddRecord": {OpRecordAdd, func(t *testing.T, f *roleFixture, a *Archive) error {
		ev, _ := evidence.ParseID(f.event)
		id, _ := evidence.ParseID(f.item)
		_, err := a.AddRecord(t.Context(), &model.Annotation{Item: id, Start: 0, End: 3, Target: ev})
		return err
	}},
	"Archive.UpdateRecord": {OpRecordEdit, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, _, err := a.UpdateRecord(t.Context(), f.event, &model.Event{Title: fmt.Sprintf("event %d", f.unique())})
		return err
	}},
	"Archive.Export": {OpExport, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Export(t.Context(), []string{f.item}, nil)
		return err
	}},
	"Archive.Consent": {OpShow, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Consent(t.Context(), f.testi)
		return err
	}},
	"Archive.SetConsent": {OpConsent, func(t *testing.T, f *roleFixture, a *Archive) error {
		ti, _ := evidence.ParseID(f.testi)
		_, _, changed, err := a.SetConsent(t.Context(), &model.Consent{Testimony: ti, Scope: ScopeCourt, Notes: fmt.Sprintf("note %d", f.unique())})
		if err == nil && !changed {
			t.Error("SetConsent changed nothing")
		}
		return err
	}},
	"Archive.ChangeRole": {OpUserRole, func(t *testing.T, f *roleFixture, a *Archive) error {
		// The user to change is added by the first admin, in its own session.
		who := fmt.Sprintf("changed-%d", f.unique())
		adm := f.open(t, "")
		_, err := adm.AddUser(t.Context(), who, RoleReader, testPass)
		adm.Close()
		if err != nil {
			t.Fatal(err)
		}
		_, changed, err := a.ChangeRole(t.Context(), who, RoleAnalyst, "")
		if err == nil && !changed {
			t.Error("ChangeRole changed nothing")
		}
		return err
	}},
	"Inspector.HashItem": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		id, _ := evidence.ParseID(f.item)
		it, err := a.db.Item(t.Context(), id)
		if err != nil {
			return err
		}
		n, err := a.Inspect().HashItem(t.Context(), it, nil)
		if err == nil && n != it.Size {
			t.Errorf("HashItem read %d of %d bytes", n, it.Size)
		}
		return err
	}},
	"Inspector.NewItemHasher": {OpVerify, func(t *testing.T, f *roleFixture, a *Archive) error {
		id, _ := evidence.ParseID(f.item)
		it, err := a.db.Item(t.Context(), id)
		if err != nil {
			return err
		}
		h := a.Inspect().NewItemHasher()
		defer h.Close()
		n, err := h.Hash(t.Context(), it, nil)
		if err == nil && n != it.Size {
			t.Errorf("ItemHasher.Hash read %d of %d bytes", n, it.Size)
		}
		return err
	}},
	"Archive.Users": {OpUserList, func(t *testing.T, f *roleFixture, a *Archive) error { _, err := a.Users(t.Context()); return err }},
	"Archive.AddUser": {OpUserAdd, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.AddUser(t.Context(), fmt.Sprintf("added-%d", f.unique()), RoleReader, testPass)
		return err
	}},
	"Archive.RekeyUser": {OpUserRole, func(t *testing.T, f *roleFixture, a *Archive) error {
		who := fmt.Sprintf("rekeyed-%d", f.unique())
		adm := f.open(t, "")
		_, err := adm.AddUser(t.Context(), who, RoleReader, testPass)
		adm.Close()
		if err != nil {
			t.Fatal(err)
		}
		return a.RekeyUser(t.Context(), who)
	}},
	"Archive.RemoveUser": {OpUserRemove, func(t *testing.T, f *roleFixture, a *Archive) error {
		// The user to remove is added by the first admin, in its own session.
		victim := fmt.Sprintf("victim-%d", f.unique())
		adm := f.open(t, "")
		_, err := adm.AddUser(t.Context(), victim, RoleReader, testPass)
		adm.Close()
		if err != nil {
			t.Fatal(err)
		}
		return a.RemoveUser(t.Context(), victim)
	}},
	"Archive.Witnesses": {OpVaultList, func(t *testing.T, f *roleFixture, a *Archive) error { _, err := a.Witnesses(t.Context()); return err }},
	"Archive.OpenWitness": {OpVaultOpen, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, w, err := a.OpenWitness(t.Context(), "W-1")
		if err == nil && (w == nil || w.Names[0] != "Han Eun-byeol") {
			t.Errorf("OpenWitness: %+v", w)
		}
		return err
	}},
	"Archive.AddWitness": {OpVaultWrite, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.AddWitness(t.Context(), Witness{Pseudonym: fmt.Sprintf("W-%d", 100+f.unique()), Names: []string{"Ro Seon-hwa"}})
		return err
	}},
	"Archive.HashWitnessNames": {OpVaultWrite, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.HashWitnessNames(t.Context())
		return err
	}},
	"Archive.AddRedactionMatch": {OpRedact, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.AddRedactionMatch(t.Context(), f.item, "", true, "x")
		if errors.Is(err, evidence.ErrInvalid) {
			return nil // allowed, and refused for its input: nothing stored
		}
		return err
	}},
	"Archive.Void": {OpVoid, func(t *testing.T, f *roleFixture, a *Archive) error {
		// A fresh record to void, made by the first admin.
		adm := f.open(t, "")
		id, err := adm.AddRecord(t.Context(), &model.Event{Title: fmt.Sprintf("stray %d", f.unique()), Date: model.Date{Precision: "unknown"}})
		adm.Close()
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.Void(t.Context(), id.String(), "made by mistake")
		return err
	}},
	"Archive.LiftVoid": {OpVoid, func(t *testing.T, f *roleFixture, a *Archive) error {
		adm := f.open(t, "")
		id, err := adm.AddRecord(t.Context(), &model.Event{Title: fmt.Sprintf("stray %d", f.unique()), Date: model.Date{Precision: "unknown"}})
		if err != nil {
			t.Fatal(err)
		}
		v, err := adm.Void(t.Context(), id.String(), "made by mistake")
		adm.Close()
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.LiftVoid(t.Context(), v.ID.String())
		return err
	}},
	"Archive.Voids": {OpList, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Voids(t.Context())
		return err
	}},
	"Archive.Purge": {OpPurge, func(t *testing.T, f *roleFixture, a *Archive) error {
		// A record with two versions, made by the first admin; its first
		// version is purged.
		adm := f.open(t, "")
		id, err := adm.AddRecord(t.Context(), &model.Event{Title: fmt.Sprintf("typo %d", f.unique()), Date: model.Date{Precision: "unknown"}})
		if err == nil {
			_, _, err = adm.UpdateRecord(t.Context(), id.String(), &model.Event{Title: fmt.Sprintf("fixed %d", f.unique()), Date: model.Date{Precision: "unknown"}})
		}
		adm.Close()
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.Purge(t.Context(), id.String(), 1, "a name typed by mistake")
		return err
	}},
	"Archive.MaterialOf": {OpVaultWrite, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.MaterialOf(t.Context(), "W-1")
		return err
	}},
	"Archive.WithdrawWitness": {OpVaultWrite, func(t *testing.T, f *roleFixture, a *Archive) error {
		// The witness to withdraw is added by the first admin, in its own session.
		p := fmt.Sprintf("W-%d", 100+f.unique())
		adm := f.open(t, "")
		_, err := adm.AddWitness(t.Context(), Witness{Pseudonym: p, Names: []string{"Yun Ga-ram"}})
		adm.Close()
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.WithdrawWitness(t.Context(), p)
		return err
	}},
	"Archive.AddRedaction": {OpRedact, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.AddRedaction(t.Context(), f.item, 0, 3, fmt.Sprintf("reason %d", f.unique()))
		return err
	}},
	"Archive.Redactions": {OpRedact, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Redactions(t.Context(), f.item)
		return err
	}},
	"Archive.WithdrawRedaction": {OpRedact, func(t *testing.T, f *roleFixture, a *Archive) error {
		// The redaction to withdraw is the user's own (another's is
		// TestRedactionWithdrawnOnlyByItsMaker); made by the first admin
		// for a role that may not redact.
		maker := a
		if !Permits(a.me.Role, OpRedact) {
			maker = f.open(t, "")
			defer maker.Close()
		}
		r, err := maker.AddRedaction(t.Context(), f.item, 0, 3, fmt.Sprintf("reason %d", f.unique()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.WithdrawRedaction(t.Context(), r.ID.String())
		return err
	}},
	"Archive.Publish": {OpPublish, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Publish(t.Context(), []string{"json"})
		return err
	}},
	"Archive.RecordRecordsExport": {OpList, func(t *testing.T, f *roleFixture, a *Archive) error {
		return a.RecordRecordsExport(t.Context(), &RecordsExport{Format: "json", Files: []RecordsExportFile{{Name: "records.json", SHA256: evidence.Sum([]byte("{}"))}}})
	}},
	"Archive.RecordPublication": {OpPublish, func(t *testing.T, f *roleFixture, a *Archive) error {
		// The publication is built by the first admin, in its own session.
		adm := f.open(t, "")
		p, err := adm.Publish(t.Context(), []string{"json"})
		adm.Close()
		if err != nil {
			t.Fatal(err)
		}
		return a.RecordPublication(t.Context(), p)
	}},
	"Archive.ChangePassphrase": {OpPasswd, func(t *testing.T, f *roleFixture, a *Archive) error {
		return a.ChangePassphrase(t.Context(), testPass, testPass)
	}},
	"Archive.CreateToken": {OpPasswd, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, _, err := a.CreateToken(t.Context(), "matrix", 0)
		return err
	}},
	"Archive.Tokens": {OpPasswd, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Tokens(t.Context())
		return err
	}},
	"Archive.RevokeToken": {OpPasswd, func(t *testing.T, f *roleFixture, a *Archive) error {
		// The user's own token (an admin may revoke anyone's: tokens_test.go).
		_, info, err := a.CreateToken(t.Context(), "to revoke", 0)
		if err != nil {
			return err
		}
		_, err = a.RevokeToken(t.Context(), info.ID)
		return err
	}},
	"Archive.SetTOTP": {OpUserRole, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.SetTOTP(t.Context(), roleUser(RoleReader), true)
		return err
	}},
	"Archive.TOTP": {OpPasswd, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, _, err := a.TOTP(t.Context())
		return err
	}},
	"Archive.TagMany": {OpRecordEdit, func(t *testing.T, f *roleFixture, a *Archive) error {
		f.n++
		_, err := a.TagMany(t.Context(), []string{f.event}, fmt.Sprintf("matrix %d", f.n), false)
		return err
	}},
	"Archive.Tags": {OpShow, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.Tags(t.Context(), f.event)
		return err
	}},
	"Archive.ClaimTOTPStep": {OpPasswd, func(t *testing.T, f *roleFixture, a *Archive) error {
		f.n++
		_, err := a.ClaimTOTPStep(t.Context(), int64(f.n))
		return err
	}},
	"Archive.SaveSearch": {OpSearch, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.SaveSearch(t.Context(), SavedSearch{Name: "matrix", Query: "matrix"})
		return err
	}},
	"Archive.SavedSearches": {OpSearch, func(t *testing.T, f *roleFixture, a *Archive) error {
		_, err := a.SavedSearches(t.Context())
		return err
	}},
	"Archive.SavedSearch": {OpSearch, func(t *testing.T, f *roleFixture, a *Archive) error {
		s, err := a.SaveSearch(t.Context(), SavedSearch{Name: "matrix", Query: "matrix"})
		if err != nil {
			return err
		}
		_, err = a.SavedSearch(t.Context(), s.ID)
		return err
	}},
	"Archive.RunSavedSearch": {OpSearch, func(t *testing.T, f *roleFixture, a *Archive) error {
		s, err := a.SaveSearch(t.Context(), SavedSearch{Name: "matrix", Query: "matrix"})
		if err != nil {
			return err
		}
		_, _, err = a.RunSavedSearch(t.Context(), s.ID, SearchOptions{})
		return err
	}},
	"Archive.DeleteSavedSearch": {OpSearch, func(t *testing.T, f *roleFixture, a *Archive) error {
		s, err := a.SaveSearch(t.Context(), SavedSearch{Name: "matrix delete", Query: "matrix"})
		if err != nil {
			return err
		}
		return a.DeleteSavedSearch(t.Context(), s.ID)
	}},
}

// notOperations are exported methods that check no role: accessors of
// public facts about the archive or of the session itself.
var notOperations = []string{
	"Archive.Close", "Archive.Dir", "Archive.ID", "Archive.User", "Archive.LogKey", "Archive.Origin",
	"Archive.LogKeyChain", "Archive.OpenCheckpoint", // public keys and handover notes; checks a signature given
	"Archive.Blobs",   // the blob store holds ciphertext only
	"Archive.Inspect", // every Inspector method checks OpVerify
	"Inspector.HashReader", "Inspector.PinPath",
	"Archive.DiscloseError",    // the session's own guard over its own error
	"Archive.CheckToken",       // whether the session's own token still holds
	"Archive.CheckTokenExpiry", // the same, returning when it expires
	"Archive.Current",          // whether the session is stale
	// Test-only doors past the rules (forge_export_test.go).
	"Archive.ForgeApprovalStep", "Archive.ForgeAction",
}

// TestRoleMatrix calls every exported operation as a user of every role,
// through the archive's methods — the entry point the CLI and the HTTP
// layer use — and checks that exactly what the matrix allows succeeds and
// everything else is refused as forbidden, having changed nothing that
// the next call would notice. It fails if an exported method, or an
// operation, has no row here, and if docs/roles.md disagrees with the code.
func TestRoleMatrix(t *testing.T) {
	// Every exported method is a known operation or a known accessor.
	for _, typ := range []reflect.Type{reflect.TypeFor[*Archive](), reflect.TypeFor[Inspector]()} {
		for k := range typ.NumMethod() {
			m := typ.Method(k)
			name := strings.TrimPrefix(typ.String(), "*archive.")
			name = strings.TrimPrefix(name, "archive.") + "." + m.Name
			if _, ok := calls[name]; !ok && !slices.Contains(notOperations, name) {
				t.Errorf("%s is exported but has no row in the role matrix test: give it an Op, an allow() call and a row in calls", name)
			}
		}
	}
	// Every operation has a matrix row and is exercised by some method.
	for _, op := range Ops() {
		if len(matrix[op]) == 0 {
			t.Errorf("operation %s has no row in the matrix (roles.go)", op)
		}
		found := false
		for _, c := range calls {
			found = found || c.op == op
		}
		if !found {
			t.Errorf("operation %s is called by no method in the test", op)
		}
	}
	checkRolesDoc(t)
	if t.Failed() {
		return
	}

	f := newRoleFixture(t)
	names := make([]string, 0, len(calls))
	for n := range calls {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, role := range Roles() {
		for _, name := range names {
			c := calls[name]
			a := f.open(t, roleUser(role))
			if a.me.Role != role {
				t.Fatalf("%s holds %q", roleUser(role), a.me.Role)
			}
			err := c.run(t, f, a)
			a.Close()
			want := Permits(role, c.op)
			switch {
			case want && err != nil:
				t.Errorf("%s as %s (%s, allowed): %v", name, role, c.op, err)
			case !want && !errors.Is(err, evidence.ErrForbidden):
				t.Errorf("%s as %s (%s, not allowed): got %v, want forbidden", name, role, c.op, err)
			}
		}
	}
	// The first admin holds admin and protection.
	a := f.open(t, "")
	defer a.Close()
	if a.me.Role != "admin,protection" {
		t.Errorf("first admin holds %q", a.me.Role)
	}
}

// checkRolesDoc compares the matrix table in docs/roles.md with the code
// (-update rewrites it).
func checkRolesDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "roles.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- matrix: generated by TestRoleMatrix -update -->\n", "<!-- end matrix -->\n"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s: no matrix markers", path)
	}
	var b strings.Builder
	b.WriteString("| operation |")
	for _, r := range Roles() {
		b.WriteString(" " + r + " |")
	}
	b.WriteString("\n| --- |" + strings.Repeat(" :-: |", len(Roles())) + "\n")
	for _, op := range Ops() {
		fmt.Fprintf(&b, "| `%s` |", op)
		for _, r := range Roles() {
			if Permits(r, op) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	want := b.String()
	got := string(doc[i+len(begin) : j])
	if got == want {
		return
	}
	if *update {
		out := string(doc[:i+len(begin)]) + want + string(doc[j:])
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/roles.md's matrix differs from the code (go test -run TestRoleMatrix -update rewrites it); want:\n%s", want)
}

// TestParseRoles covers the role list users are added with.
func TestParseRoles(t *testing.T) {
	for in, want := range map[string]string{"reader": "reader", "Protection, admin": "admin,protection", "analyst,analyst": "analyst"} {
		if got, err := ParseRoles(in); err != nil || got != want {
			t.Errorf("ParseRoles(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "root", "removed", "reader,", "admin;reader"} {
		if _, err := ParseRoles(bad); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("ParseRoles(%q): %v", bad, err)
		}
	}
	if slices.Contains(Roles(), roleRemoved) {
		t.Error("the removed role must not be a role one can be given")
	}
}

// TestLoggerRefusesEntriesBeyondRole: the logger itself refuses to sign an
// entry kind the user's role cannot make, whatever code path asks.
func TestLoggerRefusesEntriesBeyondRole(t *testing.T) {
	f := newRoleFixture(t)
	ctx := t.Context()
	for _, tc := range []struct {
		role, kind string
		ok         bool
	}{
		{RoleReader, custody.KindRead, true},
		{RoleReader, custody.KindIntake, false},
		{RoleReader, custody.KindRecord, false},
		{RoleAnalyst, custody.KindRecord, true},
		{RoleAnalyst, custody.KindExport, false},
		{RoleInvestigator, custody.KindWitness, false},
		{RoleProtection, custody.KindWitness, true},
		{RoleInvestigator, custody.KindGrant, false},
	} {
		a := f.open(t, roleUser(tc.role))
		tx, err := a.db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l, err := a.newLogger(ctx, tx, a.now())
		if err != nil {
			t.Fatal(err)
		}
		err = l.append(ctx, tc.kind, "object", 0, evidence.Digest{}, evidence.Digest{})
		if tc.ok && err != nil || !tc.ok && !errors.Is(err, evidence.ErrForbidden) {
			t.Errorf("%s signing %s: %v", tc.role, tc.kind, err)
		}
		tx.Rollback() // nothing is committed either way
		a.Close()
	}
}

// TestRedactionWithdrawnOnlyByItsMaker: an analyst may redact and lift
// their own redaction, not another user's; an investigator (who may set
// consent) may. An analyst may not unprotect a person nor change their
// pseudonym. Rebuilding the index needs a writing role.
func TestRedactionWithdrawnOnlyByItsMaker(t *testing.T) {
	ctx := context.Background()
	adm := newArchive(t)
	r := addText(t, adm, "t.txt", "그날 우리는 두만강을 건넜다.\n")
	for name, role := range map[string]string{"ana": RoleAnalyst, "inv": RoleInvestigator, "rdr": RoleReader} {
		if _, err := adm.AddUser(ctx, name, role, testPass); err != nil {
			t.Fatal(err)
		}
	}
	ana, err := openAs(t, adm.dir, "ana", testPass)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := openAs(t, adm.dir, "inv", testPass)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := adm.AddRedaction(ctx, r.ID.String(), 0, 3, "names a village")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ana.WithdrawRedaction(ctx, theirs.ID.String()); !errors.Is(err, evidence.ErrForbidden) {
		t.Fatalf("analyst withdrew another user's redaction: %v", err)
	}
	own, err := ana.AddRedaction(ctx, r.ID.String(), 3, 6, "mine")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ana.WithdrawRedaction(ctx, own.ID.String()); err != nil {
		t.Fatalf("analyst could not withdraw their own: %v", err)
	}
	if _, err := inv.WithdrawRedaction(ctx, theirs.ID.String()); err != nil {
		t.Fatalf("investigator: %v", err)
	}
	pid, err := adm.AddRecord(ctx, &model.Person{Names: []string{"김영희"}, Protected: true, Pseudonym: "P-3"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*model.Person{
		{Names: []string{"김영희"}},
		{Names: []string{"김영희"}, Protected: true, Pseudonym: "P-4"},
	} {
		if _, _, err := ana.UpdateRecord(ctx, pid.String(), p); !errors.Is(err, evidence.ErrForbidden) {
			t.Errorf("analyst changed protection to %+v: %v", p, err)
		}
	}
	if _, _, err := ana.UpdateRecord(ctx, pid.String(), &model.Person{Names: []string{"김영희", "Kim Yeong-hui"}, Protected: true, Pseudonym: "P-3"}); err != nil {
		t.Errorf("analyst could not add a name: %v", err)
	}
	if _, _, err := inv.UpdateRecord(ctx, pid.String(), &model.Person{Names: []string{"김영희"}}); err != nil {
		t.Errorf("investigator could not lift protection: %v", err)
	}
	rdr, err := openAs(t, adm.dir, "rdr", testPass)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rdr.RebuildIndex(ctx, nil); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("reader rebuilt the index: %v", err)
	}
}
