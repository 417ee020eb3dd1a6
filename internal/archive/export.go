package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/seal"
	"sori/internal/store"
)

// Export is everything a court bundle needs to prove, without sori, that
// its items are what the archive holds, with their custody: the entries
// with their salts (so an outsider can recompute each leaf), an inclusion
// proof of every entry in one signed checkpoint, the actors' public
// signing keys and the log's public key.
type Export struct {
	ID     string // bundle ID (random), the object of the export entry
	Origin string // checkpoint origin
	LogKey string // the log's first verifier key (signed-note form), as published when it was made
	// LogKeyChain is the log key handover notes from LogKey to the key
	// that signed Checkpoint (custody.KeyChain.MarshalNotes); empty when
	// the log has had one key.
	LogKeyChain []byte
	Checkpoint  custody.Checkpoint // covers every entry below, the export's own included
	Items       []ExportItem
	Consents    []ExportRecord // the consent records of the items' testimonies, by ID
	// Testimonies are the testimony records the consents are of, by ID:
	// what shows that each item belongs to its testimony.
	Testimonies []ExportRecord
	Entry       ExportEntry            // the export's own custody entry
	Actors      map[string]ExportActor // by key ID: everyone who signed an entry here
	Recipients  []string               // the outside age recipients, canonical and sorted; none: plaintext
	Digest      evidence.Digest        // what the export entry's digest commits to (see ExportManifest)
	Manifest    []byte                 // canonical JSON the digest is of

	a *Archive // for Open
}

// ExportItem is one item of an export.
type ExportItem struct {
	Item     store.Item
	Versions []store.Version // oldest first; Record is the canonical record
	Entries  []ExportEntry   // its custody entries, oldest first
}

// ExportEntry is a custody entry with what an outsider needs to check it.
type ExportEntry struct {
	Seq       int64
	Entry     []byte // canonical custody.Entry
	Signature []byte
	Salt      []byte
	Content   evidence.Digest
	LeafData  []byte // custody.LeafData(Salt, Content, SHA-256(Entry))
	Proof     []byte // C2SP tlog-proof of Seq in Checkpoint
}

// ExportActor is a signer's public identity.
type ExportActor struct {
	Name    string
	SignPub []byte // Ed25519
}

// exportManifest is what the export entry's digest commits to.
type exportManifest struct {
	V          int      `json:"v"` // 2 since bundle format 2 (several recipients)
	Bundle     string   `json:"bundle"`
	Items      []string `json:"items"`                // sorted
	Recipients []string `json:"recipients,omitempty"` // canonical, sorted (seal.CanonicalRecipients)
}

// Export records an export of the items refs (IDs or unique prefixes) to
// recipients (none for plaintext; X25519 or SSH, put in canonical form by
// seal.CanonicalRecipients) as a custody entry, seals the log, and
// returns what the bundle needs, the consent records of the items'
// testimonies included. Items their testimony's consent does not allow to
// leave are refused first, all named in one evidence.ErrInvalid error,
// with nothing logged (see exportRefused). The plaintext is read separately through
// Export.Open (the export entry records the read).
//
// When the archive's four eyes covers export (SetFourEyes), Export records
// a pending request instead and returns an *ApprovalNeeded error
// (evidence.ErrPending); once another user approved it, ExportApproved
// runs it.
func (a *Archive) Export(ctx context.Context, refs []string, recipients []string) (*Export, error) {
	if err := a.allow(OpExport); err != nil {
		return nil, a.denied(ctx, OpExport, len(refs), err)
	}
	return a.export(ctx, refs, recipients, "")
}

// ExportApproved is Export under the approved four-eyes request (ID or
// unique prefix), which must ask for the same items and recipients and was
// made by the acting user. It marks the request done in the export's own
// transaction: a request runs once.
func (a *Archive) ExportApproved(ctx context.Context, request string, refs []string, recipients []string) (*Export, error) {
	if err := a.allow(OpExport); err != nil {
		return nil, a.denied(ctx, OpExport, len(refs), err)
	}
	if request == "" {
		return nil, fmt.Errorf("%w: name the approved request", evidence.ErrInvalid)
	}
	return a.export(ctx, refs, recipients, request)
}

func (a *Archive) export(ctx context.Context, refs []string, recipients []string, request string) (*Export, error) {
	if len(refs) == 0 {
		return nil, fmt.Errorf("%w: name the items to export", evidence.ErrInvalid)
	}
	seen := map[evidence.ID]bool{}
	var ids []evidence.ID
	for _, r := range refs {
		id, err := a.Resolve(ctx, r)
		if err != nil {
			return nil, err
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	if len(recipients) > 0 {
		var err error
		if recipients, err = seal.CanonicalRecipients(recipients); err != nil {
			return nil, err
		}
	}
	consents, err := a.exportRefused(ctx, ids)
	if err != nil {
		return nil, err
	}
	var reqID *evidence.ID
	if request != "" {
		id, err := a.resolveRecord(ctx, request)
		if err != nil {
			return nil, err
		}
		reqID = &id
	}
	want := model.Approval{Action: model.ActionExport, Items: ids, Recipients: recipients}
	var pending error
	bundle := evidence.NewID().String()
	m := exportManifest{V: 2, Bundle: bundle, Recipients: recipients}
	for _, id := range ids {
		m.Items = append(m.Items, id.String())
	}
	manifest, _ := json.Marshal(m)
	digest := evidence.Sum(manifest)

	var exportSeq int64
	cp, _, err := a.changeTx(ctx, OpExport, false, func(tx store.Tx, l *logger) error {
		if reqID != nil {
			if err := a.useApproval(ctx, tx, l, *reqID, want); err != nil {
				return err
			}
		} else if need, err := a.needsApproval(ctx, tx, model.ActionExport); err != nil {
			return err
		} else if need {
			id := evidence.NewID()
			want.State, want.By = model.ApprovalPending, a.me.ID
			pending = &ApprovalNeeded{ID: id, Action: model.ActionExport}
			return a.writeRecord(ctx, tx, l, id, 1, nil, &want, l.now)
		}
		exportSeq = l.size
		return l.append(ctx, custody.KindExport, bundle, 0, digest, evidence.Digest{})
	})
	if err != nil {
		return nil, err
	}
	if pending != nil {
		return nil, pending
	}

	chain := a.LogKeyChain()
	x := &Export{a: a, ID: bundle, Origin: a.Origin(), LogKey: chain.First, LogKeyChain: chain.MarshalNotes(), Checkpoint: cp, Actors: map[string]ExportActor{},
		Recipients: recipients, Digest: digest, Manifest: manifest}
	users, err := a.db.Users(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]store.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	hr := a.db.HashReader(ctx)
	entry := func(r store.CustodyRow) (ExportEntry, error) {
		leaf := custody.LeafData(r.Salt, r.Content, evidence.Sum(r.Entry))
		p, err := tlog.ProveRecord(cp.Size, r.Seq, hr)
		if err != nil {
			return ExportEntry{}, fmt.Errorf("%w: proof of entry %d: %v", evidence.ErrTampered, r.Seq, err)
		}
		e, err := custody.Unmarshal(r.Entry)
		if err != nil {
			return ExportEntry{}, err
		}
		if u, ok := byID[e.Actor]; ok {
			x.Actors[e.Actor] = ExportActor{Name: u.Name, SignPub: u.SignPub}
		}
		return ExportEntry{Seq: r.Seq, Entry: r.Entry, Signature: r.Sig, Salt: r.Salt, Content: r.Content, LeafData: leaf,
			Proof: custody.MarshalProof(r.Seq, p, cp, nil)}, nil
	}
	for _, id := range ids {
		it, err := a.db.Item(ctx, id)
		if err != nil {
			return nil, err
		}
		vs, err := a.db.Versions(ctx, id)
		if err != nil {
			return nil, err
		}
		for i := range vs {
			// A court reads the records a member reads: what the seal holds,
			// whose digest the custody entries name.
			if vs[i].Record, _, err = a.openStored(ctx, vs[i].Record, itemPlace(id, vs[i].Version)); err != nil {
				return nil, err
			}
		}
		xi := ExportItem{Item: it, Versions: vs}
		err = a.db.EachCustody(ctx, id.String(), func(r store.CustodyRow) error {
			// A purge entry is the tombstone of a version whose body is gone
			// (bundle spec, step 5); reads are the archive's access log, not
			// the item's custody.
			if r.Kind != custody.KindIntake && r.Kind != custody.KindVersion && r.Kind != custody.KindPurge {
				return nil
			}
			e, err := entry(r)
			xi.Entries = append(xi.Entries, e)
			return err
		})
		if err != nil {
			return nil, err
		}
		x.Items = append(x.Items, xi)
	}
	for _, c := range consents {
		xr, err := a.exportRecord(ctx, c, model.KindConsent, entry)
		if err != nil {
			return nil, err
		}
		x.Consents = append(x.Consents, xr)
		xt, err := a.exportRecord(ctx, ExportRecord{ID: c.Testimony, Testimony: c.Testimony, Items: c.Items}, model.KindTestimony, entry)
		if err != nil {
			return nil, err
		}
		x.Testimonies = append(x.Testimonies, xt)
	}
	slices.SortFunc(x.Testimonies, func(p, q ExportRecord) int { return strings.Compare(p.ID.String(), q.ID.String()) })
	err = a.db.EachCustody(ctx, bundle, func(r store.CustodyRow) error {
		if r.Seq != exportSeq {
			return nil
		}
		e, err := entry(r)
		x.Entry = e
		return err
	})
	if err != nil {
		return nil, err
	}
	if x.Entry.Entry == nil {
		return nil, fmt.Errorf("%w: the export's own custody entry %d is missing", evidence.ErrTampered, exportSeq)
	}
	return x, nil
}

// denied records in the custody log that the session's role refused it op
// (export, publish), naming how many items were asked for and nothing of
// them, and returns refusal as it is. A denial that cannot be recorded
// (a session whose user was removed meanwhile) leaves the refusal alone.
func (a *Archive) denied(ctx context.Context, op Op, n int, refusal error) error {
	_, err := a.change(ctx, opChecked, func(_ store.Tx, l *logger) error {
		return l.append(ctx, custody.KindDenied, op.String(), n, evidence.Digest{}, evidence.Digest{})
	})
	if err != nil {
		a.log.Warn("a refused attempt could not be logged", "op", op.String(), "err", err)
	}
	return refusal
}
