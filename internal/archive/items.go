package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/internal/store"
)

// Resolve turns a full ID or a unique prefix into an item ID.
func (a *Archive) Resolve(ctx context.Context, s string) (evidence.ID, error) {
	if err := a.allow(OpShow); err != nil {
		return evidence.ID{}, err
	}
	p, err := evidence.CheckPrefix(s)
	if err != nil {
		return evidence.ID{}, err
	}
	return a.db.ResolvePrefix(ctx, p)
}

// ItemInfo is an item with its record versions, oldest first.
type ItemInfo struct {
	ID       evidence.ID         `json:"id"`
	SHA256   evidence.Digest     `json:"sha256"`
	Size     int64               `json:"size"`
	Added    time.Time           `json:"added"`
	AddedBy  string              `json:"added_by"`
	Versions []VersionInfo       `json:"versions"`
	Current  evidence.ItemRecord `json:"-"`
	// Compartment is the name of the compartment the item is in ("" none).
	Compartment string `json:"compartment,omitempty"`
}

// VersionInfo is one record version as shown to users.
type VersionInfo struct {
	evidence.ItemRecord
	ActorName string          `json:"actor_name"`
	Digest    evidence.Digest `json:"digest"`
	Purged    bool            `json:"purged,omitempty"` // the record was destroyed (sori purge)
}

// Show returns an item and all its record versions. Each stored record is
// checked against its digest; a mismatch is reported as tampering.
func (a *Archive) Show(ctx context.Context, ref string) (ItemInfo, error) {
	if err := a.allow(OpShow); err != nil {
		return ItemInfo{}, err
	}
	id, err := a.Resolve(ctx, ref)
	if err != nil {
		return ItemInfo{}, err
	}
	it, err := a.db.Item(ctx, id)
	if err != nil {
		return ItemInfo{}, err
	}
	vs, err := a.db.Versions(ctx, id)
	if err != nil {
		return ItemInfo{}, err
	}
	if len(vs) == 0 {
		return ItemInfo{}, fmt.Errorf("%w: item %s has no record", evidence.ErrDamaged, id)
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return ItemInfo{}, err
	}
	names := a.userNames(ctx)
	info := ItemInfo{ID: it.ID, SHA256: it.SHA256, Size: it.Size, Added: it.CreatedAt, AddedBy: names(it.CreatedBy)}
	for _, v := range vs {
		if purgedBody(v.Record) {
			info.Versions = append(info.Versions, VersionInfo{ItemRecord: evidence.ItemRecord{Item: v.Item, Version: v.Version, Time: v.CreatedAt, Actor: v.Actor},
				ActorName: names(v.Actor), Digest: v.Digest, Purged: true})
			continue
		}
		rec, err := a.decodeVersion(ctx, v)
		if err != nil {
			return ItemInfo{}, err
		}
		info.Versions = append(info.Versions, VersionInfo{ItemRecord: rec, ActorName: names(rec.Actor), Digest: v.Digest})
		info.Current = rec
	}
	if info.Current.Compartment != "" {
		info.Compartment = a.compartmentName(ctx, info.Current.Compartment)
	}
	return discloseAs(d, info), nil
}

// decodeVersion decodes a stored item version, opening it if it is sealed
// in a compartment. In a compartment the session's user is not a member
// of, it returns a placeholder (Restricted, with only the envelope's
// fields) and an error wrapping errRestricted: listings show the
// placeholder, everything else refuses or skips.
func (a *Archive) decodeVersion(ctx context.Context, v store.Version) (evidence.ItemRecord, error) {
	plain, cid, err := a.openStored(ctx, v.Record, itemPlace(v.Item, v.Version))
	if err != nil {
		if errors.Is(err, errRestricted) {
			return evidence.ItemRecord{V: evidence.RecordVersion, Item: v.Item, Version: v.Version, Time: v.CreatedAt, Actor: v.Actor,
				Kind: kindRestricted, Compartment: cid, Restricted: true}, err
		}
		return evidence.ItemRecord{}, fmt.Errorf("item %s version %d: %w", v.Item, v.Version, err)
	}
	if evidence.Sum(plain) != v.Digest {
		return evidence.ItemRecord{}, fmt.Errorf("%w: item %s version %d: record does not match its digest", evidence.ErrTampered, v.Item, v.Version)
	}
	rec, err := evidence.UnmarshalItemRecord(plain)
	if err != nil {
		return rec, err
	}
	if rec.Item != v.Item || rec.Version != v.Version {
		return rec, fmt.Errorf("%w: item %s version %d: record names another item or version", evidence.ErrTampered, v.Item, v.Version)
	}
	if rec.Compartment != cid {
		return rec, fmt.Errorf("%w: item %s version %d: record and its seal name different compartments", evidence.ErrTampered, v.Item, v.Version)
	}
	return rec, nil
}

// kindRestricted is the kind a placeholder of a restricted item shows.
const kindRestricted evidence.Kind = "restricted"

// userNames returns a lookup from key ID to user name (the key ID itself
// when unknown).
func (a *Archive) userNames(ctx context.Context) func(string) string {
	m := map[string]string{}
	if us, err := a.db.Users(ctx); err == nil {
		for _, u := range us {
			m[u.ID] = u.Name
		}
	}
	return func(id string) string {
		if n, ok := m[id]; ok {
			return n
		}
		return id
	}
}

// Listed is one line of List: an item and its current record.
type Listed struct {
	ID      evidence.ID         `json:"id"`
	SHA256  evidence.Digest     `json:"sha256"`
	Size    int64               `json:"size"`
	Version int                 `json:"version"`
	Record  evidence.ItemRecord `json:"-"`
}

// List calls fn for every item with its current record, in intake order;
// voided items only with IncludeVoided.
func (a *Archive) List(ctx context.Context, fn func(Listed) error, opts ...ReadOption) error {
	return a.ListPage(ctx, Page{}, fn, opts...)
}

// Open returns the original bytes of an item. The reader authenticates
// every chunk as it goes and, at the end, checks size and SHA-256 against
// the item row; any mismatch is an error wrapping evidence.ErrTampered.
// Bytes already returned before an error are authentic. Opening an item
// of a testimony is recorded first as a "read" custody entry; if that
// cannot be written the item is not opened (see openAudited).
func (a *Archive) Open(ctx context.Context, ref string) (io.ReadCloser, store.Item, error) {
	if err := a.allow(OpCat); err != nil {
		return nil, store.Item{}, err
	}
	id, err := a.Resolve(ctx, ref)
	if err != nil {
		return nil, store.Item{}, err
	}
	it, err := a.db.Item(ctx, id)
	if err != nil {
		return nil, it, err
	}
	rc, err := a.openAudited(ctx, it)
	if err != nil || a.sees() {
		return rc, it, err
	}
	rc, err = a.guardedText(ctx, rc, it)
	return rc, it, err
}

// guardedText is what a session without protection reads of an item: a
// text item's bytes with every sealed name and contact masked (after the
// original was checked against its SHA-256 in full), anything else as
// stored. A recording cannot be masked; consent governs who hears it.
func (a *Archive) guardedText(ctx context.Context, rc io.ReadCloser, it store.Item) (io.ReadCloser, error) {
	if it.Size > maxRedactText {
		return rc, nil
	}
	d, err := a.disclosure(ctx)
	if err != nil || d.g.Empty() {
		if err != nil {
			rc.Close()
		}
		return rc, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	if !looksLikeText(b) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	return io.NopCloser(strings.NewReader(d.text(string(b)))), nil
}

func (a *Archive) openItem(ctx context.Context, it store.Item) (io.ReadCloser, error) {
	ik, err := a.itemKey(ctx, it.ID)
	if err != nil {
		return nil, err
	}
	return a.openItemFrom(ctx, it, nil, ik)
}

// openItemFrom is openItem with the item's key row ik already looked up
// (a.itemKey) and, if stored is not nil, its stored bytes already read.
// They are checked as any.
func (a *Archive) openItemFrom(ctx context.Context, it store.Item, stored []byte, ik *seal.ItemKey) (io.ReadCloser, error) {
	var err error
	var raw io.ReadCloser = io.NopCloser(bytes.NewReader(stored))
	if stored == nil {
		if raw, err = a.blobs.Open(ctx, it.Pack, it.Off, it.Len); err != nil {
			return nil, fmt.Errorf("%w: item %s: stored bytes unavailable: %v", evidence.ErrTampered, it.ID, err)
		}
	}
	plain, err := a.ring.DecryptItem(raw, ik)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("item %s: %w", it.ID, err)
	}
	return &checkedReader{r: plain, c: raw, h: sha256.New(), it: it}, nil
}

// itemKey returns item id's own key (seal.ItemKey), nil if it has none:
// taken in before per-item keys, or shredded (the item's header says which).
func (a *Archive) itemKey(ctx context.Context, id evidence.ID) (*seal.ItemKey, error) {
	k, err := a.db.ItemKey(ctx, id)
	if errors.Is(err, evidence.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return a.openItemKey(ctx, k)
}

// openItemKey is itemKey with the stored key already read.
func (a *Archive) openItemKey(ctx context.Context, k store.ItemKey) (*seal.ItemKey, error) {
	ik := seal.ItemKey{Handle: k.Handle, Gen: k.Gen, Wrapped: k.Wrapped}
	if cid := ik.CompartmentOf(); cid != "" {
		ck, err := a.compartmentKey(ctx, cid, ik.Gen)
		if isRestricted(err) {
			return &ik, nil // opening it says so (evidence.ErrForbidden)
		}
		if err != nil {
			return nil, err
		}
		if ik, err = seal.OpenItemKeyIn(ck, ik); err != nil {
			return nil, err
		}
	}
	return &ik, nil
}

type checkedReader struct {
	r  io.Reader
	c  io.Closer
	h  hash.Hash
	n  int64
	it store.Item
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if c.n > c.it.Size {
		return n, fmt.Errorf("%w: item %s: longer than recorded", evidence.ErrTampered, c.it.ID)
	}
	if errors.Is(err, io.EOF) {
		var sum evidence.Digest
		c.h.Sum(sum[:0])
		if c.n != c.it.Size || sum != c.it.SHA256 {
			return n, fmt.Errorf("%w: item %s: content does not match its recorded SHA-256", evidence.ErrTampered, c.it.ID)
		}
	} else if err != nil {
		err = fmt.Errorf("item %s: %w", c.it.ID, err)
	}
	return n, err
}

func (c *checkedReader) Close() error { return c.c.Close() }

// Edit describes a metadata change; nil fields stay as they are.
type Edit struct {
	Title, Lang, Kind, Witness, Note *string
}

// Edit writes a new immutable version of an item's record with the given
// changes. If nothing would change, it writes nothing and reports
// changed=false with the current version.
func (a *Archive) Edit(ctx context.Context, ref string, e Edit) (version int, changed bool, err error) {
	if err := a.allow(OpEdit); err != nil {
		return 0, false, err
	}
	id, err := a.Resolve(ctx, ref)
	if err != nil {
		return 0, false, err
	}
	changed, err = a.change(ctx, OpEdit, func(tx store.Tx, log *logger) error {
		cur, err := tx.LatestVersion(ctx, id)
		if err != nil {
			return err
		}
		old, err := a.decodeVersion(ctx, cur)
		if err != nil {
			return err
		}
		rec := old
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&rec.Title, e.Title)
		set(&rec.Lang, e.Lang)
		set(&rec.Witness, e.Witness)
		set(&rec.Note, e.Note)
		if e.Kind != nil {
			k, err := evidence.ParseKind(*e.Kind)
			if err != nil {
				return err
			}
			rec.Kind = k
		}
		if err := rec.Validate(); err != nil {
			return err
		}
		if rec.Title == "" {
			return fmt.Errorf("%w: title cannot be empty", evidence.ErrInvalid)
		}
		version = old.Version
		if string(rec.Marshal()) == string(old.Marshal()) {
			return nil // nothing would change: nothing is written
		}
		prev := cur.Digest
		now := log.now
		rec.Version, rec.Prev, rec.Time, rec.Actor = old.Version+1, &prev, now, a.me.ID
		version = rec.Version
		return a.writeItemVersion(ctx, tx, log, rec)
	})
	if err != nil {
		return 0, false, err
	}
	return version, changed, nil
}

// writeItemVersion stores rec, a new version of an item's record, with its
// custody entry, sealed if the item is in a compartment (and then kept out
// of the shared index), and re-indexes its title otherwise.
func (a *Archive) writeItemVersion(ctx context.Context, tx store.Tx, log *logger, rec evidence.ItemRecord) error {
	body := rec.Marshal()
	digest := evidence.Sum(body)
	stored, err := a.sealInto(ctx, tx.Meta, rec.Compartment, itemPlace(rec.Item, rec.Version), body)
	if err != nil {
		return err
	}
	if err := tx.InsertVersion(ctx, store.Version{Item: rec.Item, Version: rec.Version, Record: stored, Digest: digest, CreatedAt: rec.Time, Actor: a.me.ID}); err != nil {
		return err
	}
	it, err := tx.Item(ctx, rec.Item)
	if err != nil {
		return err
	}
	if err := log.append(ctx, custody.KindVersion, rec.Item.String(), rec.Version, digest, it.SHA256); err != nil {
		return err
	}
	if rec.Compartment != "" {
		if log.move {
			return unindex(ctx, tx, rec.Item.String())
		}
		return nil
	}
	guard, err := log.nameGuard(ctx)
	if err != nil {
		return err
	}
	doc := itemDoc(rec)
	doc.Title = maskNames(doc.Title, guard, Mask)
	return tx.IndexDoc(ctx, doc, nil)
}
