package archive

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/seal"
	"sori/internal/store"
)

// Compartments (need-to-know; docs/roles.md "Compartments"). A compartment
// has keys by generation, each sealed to every member's age recipient and
// to nobody else, admins included. A testimony, its items, and the records
// and annotations about them can be placed in one: their records are
// stored sealed under its key (seal.SealedRecord), their items' own keys
// wrapped under it, and none of their text enters the search index, which
// every user's database key opens. A non-member sees that a restricted
// record or item exists, its ID, kind, compartment and date, nothing else.
//
// The table of compartments lives in the encrypted database (meta
// "compartments"): names, members, and each member's sealed copy of each
// generation. Removing a member starts a new generation, sealed to the
// remaining members only; what is written from then on is under it.

const metaCompartments = "compartments"

type compartmentTable struct {
	V    int                `json:"v"`
	List []compartmentEntry `json:"list"`
}

type compartmentEntry struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	Gen       int       `json:"gen"`
	Members   []string  `json:"members"` // user key IDs
	// Keys: generation → user key ID → that member's sealed copy.
	Keys map[string]map[string][]byte `json:"keys"`
}

// Compartment is a compartment as listed.
type Compartment struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	Gen       int       `json:"generation"`
	Members   []string  `json:"members"` // user names
	Member    bool      `json:"member"`  // the acting user is one
}

func readCompartments(ctx context.Context, meta func(context.Context, string) (string, error)) (compartmentTable, error) {
	t := compartmentTable{V: 1}
	v, err := meta(ctx, metaCompartments)
	if err != nil || v == "" {
		return t, err
	}
	if err := json.Unmarshal([]byte(v), &t); err != nil || t.V != 1 {
		return t, fmt.Errorf("%w: the compartment table is not readable", evidence.ErrDamaged)
	}
	return t, nil
}

func (t *compartmentTable) byName(name string) *compartmentEntry {
	for i := range t.List {
		if t.List[i].Name == name {
			return &t.List[i]
		}
	}
	return nil
}

func (t *compartmentTable) byID(id string) *compartmentEntry {
	for i := range t.List {
		if t.List[i].ID == id {
			return &t.List[i]
		}
	}
	return nil
}

func (t compartmentTable) write(ctx context.Context, tx store.Tx) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return tx.SetMeta(ctx, metaCompartments, string(b))
}

// digest is what a compartment custody entry commits to: the compartment
// as it stands after the change (never a key).
func (c *compartmentEntry) digest() evidence.Digest {
	ms := slices.Clone(c.Members)
	slices.Sort(ms)
	return evidence.Digest(sha256.Sum256([]byte(fmt.Sprintf("sori compartment v1\x00%s\x00%s\x00%d\x00%s", c.ID, c.Name, c.Gen, strings.Join(ms, ",")))))
}

// checkCompartmentName: names are shown to every user; they identify, so
// they are short words without spaces, not descriptions.
func checkCompartmentName(name string) error {
	if name == "" || len(name) > 64 || !utf8.ValidString(name) || strings.HasPrefix(name, "-") {
		return fmt.Errorf("%w: compartment name %q: 1 to 64 bytes of UTF-8, not starting with -", evidence.ErrInvalid, name)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return fmt.Errorf("%w: compartment name %q: no spaces or control characters", evidence.ErrInvalid, name)
		}
	}
	return nil
}

// CreateCompartment makes compartment name with members (user names), each
// given its first key. An admin makes it; the admin is not a member unless
// named.
func (a *Archive) CreateCompartment(ctx context.Context, name string, members []string) (Compartment, error) {
	if err := a.allow(OpCompartment); err != nil {
		return Compartment{}, err
	}
	if err := checkCompartmentName(name); err != nil {
		return Compartment{}, err
	}
	if len(members) == 0 {
		return Compartment{}, fmt.Errorf("%w: a compartment needs at least one member (--member USER)", evidence.ErrInvalid)
	}
	var idb [8]byte
	rand.Read(idb[:])
	c := compartmentEntry{ID: "c" + hex.EncodeToString(idb[:]), Name: name, Gen: 1, CreatedBy: a.me.ID, Keys: map[string]map[string][]byte{}}
	key := seal.NewCompartmentKey()
	defer clear(key[:])
	_, err := a.change(ctx, OpCompartment, func(tx store.Tx, l *logger) error {
		t, err := readCompartments(ctx, tx.Meta)
		if err != nil {
			return err
		}
		if t.byName(name) != nil {
			return fmt.Errorf("%w: compartment %q exists", evidence.ErrExists, name)
		}
		c.Created = l.now
		c.Keys["1"] = map[string][]byte{}
		for _, m := range members {
			u, err := activeUser(ctx, tx, m)
			if err != nil {
				return err
			}
			if slices.Contains(c.Members, u.ID) {
				continue
			}
			sealed, err := seal.SealCompartmentKey(key, c.ID, 1, u.Recipient)
			if err != nil {
				return err
			}
			c.Members = append(c.Members, u.ID)
			c.Keys["1"][u.ID] = sealed
		}
		t.List = append(t.List, c)
		if err := t.write(ctx, tx); err != nil {
			return err
		}
		return l.append(ctx, custody.KindCompartment, c.ID, c.Gen, c.digest(), evidence.Digest{})
	})
	if err != nil {
		return Compartment{}, err
	}
	a.log.Info("compartment created", "compartment", c.ID)
	return a.compartmentInfo(c, a.userNames(ctx)), nil
}

// activeUser is the user called name, who must not have been removed.
func activeUser(ctx context.Context, tx store.Tx, name string) (store.User, error) {
	us, err := tx.Users(ctx)
	if err != nil {
		return store.User{}, err
	}
	for _, u := range us {
		if u.Name == name {
			if u.Role == roleRemoved {
				return u, fmt.Errorf("%w: user %q was removed", evidence.ErrInvalid, name)
			}
			return u, nil
		}
	}
	return store.User{}, fmt.Errorf("%w: no user %q in this archive", evidence.ErrNotFound, name)
}

func (a *Archive) compartmentInfo(c compartmentEntry, names func(string) string) Compartment {
	info := Compartment{ID: c.ID, Name: c.Name, Created: c.Created, CreatedBy: names(c.CreatedBy), Gen: c.Gen, Members: []string{}, Member: slices.Contains(c.Members, a.me.ID)}
	for _, m := range c.Members {
		info.Members = append(info.Members, names(m))
	}
	return info
}

// Compartments lists the archive's compartments: names and members are
// known to every user; what is in them only to members.
func (a *Archive) Compartments(ctx context.Context) ([]Compartment, error) {
	if err := a.allow(OpList); err != nil {
		return nil, err
	}
	t, err := readCompartments(ctx, a.db.Meta)
	if err != nil {
		return nil, err
	}
	names := a.userNames(ctx)
	out := make([]Compartment, 0, len(t.List))
	for _, c := range t.List {
		out = append(out, a.compartmentInfo(c, names))
	}
	return out, nil
}

// AddCompartmentMember gives user every generation of compartment name's
// key. The acting user must hold them (be a member) and be an admin or a
// writer: need-to-know is granted by those who already know.
func (a *Archive) AddCompartmentMember(ctx context.Context, name, user string) error {
	// Every role that may make compartments (admin) writes records too.
	if err := a.allow(OpRecordAdd); err != nil {
		return err
	}
	return a.changeCompartment(ctx, OpRecordAdd, name, func(tx store.Tx, c *compartmentEntry) error {
		if !slices.Contains(c.Members, a.me.ID) {
			return fmt.Errorf("%w: only a member of compartment %q holds its key and can add members; ask one of them", evidence.ErrForbidden, name)
		}
		u, err := activeUser(ctx, tx, user)
		if err != nil {
			return err
		}
		if slices.Contains(c.Members, u.ID) {
			return fmt.Errorf("%w: %s is a member of compartment %q already", evidence.ErrExists, user, name)
		}
		for g := 1; g <= c.Gen; g++ {
			gs := strconv.Itoa(g)
			mine, ok := c.Keys[gs][a.me.ID]
			if !ok {
				continue // a generation from before this member joined and that nobody gave them
			}
			key, err := a.key.OpenCompartmentKey(mine, c.ID, g)
			if err != nil {
				return err
			}
			sealed, err := seal.SealCompartmentKey(key, c.ID, g, u.Recipient)
			clear(key[:])
			if err != nil {
				return err
			}
			c.Keys[gs][u.ID] = sealed
		}
		c.Members = append(c.Members, u.ID)
		return nil
	})
}

// RemoveCompartmentMember takes user out of compartment name: their copies
// of its keys are deleted from the table, and a new generation, sealed to
// the remaining members only, seals everything written from now on. An
// admin does it; no key of the compartment is needed to start a new one.
func (a *Archive) RemoveCompartmentMember(ctx context.Context, name, user string) error {
	if err := a.allow(OpCompartment); err != nil {
		return err
	}
	err := a.changeCompartment(ctx, OpCompartment, name, func(tx store.Tx, c *compartmentEntry) error {
		us, err := tx.Users(ctx)
		if err != nil {
			return err
		}
		var id string
		for _, u := range us {
			if u.Name == user {
				id = u.ID
			}
		}
		if id == "" || !slices.Contains(c.Members, id) {
			return fmt.Errorf("%w: %s is not a member of compartment %q", evidence.ErrNotFound, user, name)
		}
		if len(c.Members) == 1 {
			return fmt.Errorf("%w: %s is the last member of compartment %q; add another member first, or nobody could read it", evidence.ErrInvalid, user, name)
		}
		return c.dropMember(id, us)
	})
	if err == nil {
		a.log.Info("compartment member removed; new key generation", "compartment", name)
	}
	return err
}

// changeCompartment is a change to compartment name in its own
// transaction: fn changes the compartment, which is then written with its
// custody entry.
func (a *Archive) changeCompartment(ctx context.Context, op Op, name string, fn func(tx store.Tx, c *compartmentEntry) error) error {
	_, err := a.change(ctx, op, func(tx store.Tx, l *logger) error {
		t, err := readCompartments(ctx, tx.Meta)
		if err != nil {
			return err
		}
		c := t.byName(name)
		if c == nil {
			return fmt.Errorf("%w: no compartment %q", evidence.ErrNotFound, name)
		}
		if err := fn(tx, c); err != nil {
			return err
		}
		if err := t.write(ctx, tx); err != nil {
			return err
		}
		return l.append(ctx, custody.KindCompartment, c.ID, c.Gen, c.digest(), evidence.Digest{})
	})
	return err
}

// dropMember removes member id and starts a new generation sealed to the
// others (us: the users, for their recipients).
func (c *compartmentEntry) dropMember(id string, us []store.User) error {
	c.Members = slices.DeleteFunc(c.Members, func(m string) bool { return m == id })
	for _, g := range c.Keys {
		delete(g, id)
	}
	key := seal.NewCompartmentKey()
	defer clear(key[:])
	c.Gen++
	gs := strconv.Itoa(c.Gen)
	c.Keys[gs] = map[string][]byte{}
	for _, m := range c.Members {
		i := slices.IndexFunc(us, func(u store.User) bool { return u.ID == m })
		if i < 0 {
			return fmt.Errorf("%w: compartment %q names an unknown member %s", evidence.ErrDamaged, c.Name, m)
		}
		sealed, err := seal.SealCompartmentKey(key, c.ID, c.Gen, us[i].Recipient)
		if err != nil {
			return err
		}
		c.Keys[gs][m] = sealed
	}
	return nil
}

// dropFromCompartments takes a removed user out of every compartment they
// were a member of, in the removal's transaction, with an entry for each.
// A compartment whose only member they were keeps its last generation,
// sealed to nobody: what is in it can no longer be read by anyone.
func dropFromCompartments(ctx context.Context, tx store.Tx, l *logger, id string) error {
	t, err := readCompartments(ctx, tx.Meta)
	if err != nil || len(t.List) == 0 {
		return err
	}
	us, err := tx.Users(ctx)
	if err != nil {
		return err
	}
	changed := false
	for i := range t.List {
		c := &t.List[i]
		if !slices.Contains(c.Members, id) {
			continue
		}
		if err := c.dropMember(id, us); err != nil {
			return err
		}
		changed = true
		if err := l.append(ctx, custody.KindCompartment, c.ID, c.Gen, c.digest(), evidence.Digest{}); err != nil {
			return err
		}
	}
	if !changed {
		return nil
	}
	return t.write(ctx, tx)
}

// compKeys is a session's cache of the compartment keys it opened.
type compKeys struct {
	mu   sync.Mutex
	keys map[string][32]byte // "cid gen"
	// names are the compartments' names by ID as of the table whose
	// SHA-256 is namesOf: a listing names each restricted row's
	// compartment, and the table (every member's sealed key copies) was
	// parsed again for each.
	names   map[string]string
	namesOf [32]byte
}

// errRestricted marks what a session may not read because it is in a
// compartment its user is not a member of. It wraps evidence.ErrForbidden.
var errRestricted = fmt.Errorf("%w: restricted to a compartment you are not a member of", evidence.ErrForbidden)

func restricted(what, compartment string) error {
	return fmt.Errorf("%w (%s, compartment %s)", errRestricted, what, compartment)
}

// compartmentKey returns generation gen of compartment cid's key, if the
// acting user holds it; errRestricted otherwise.
func (a *Archive) compartmentKey(ctx context.Context, cid string, gen int) ([32]byte, error) {
	ck := cid + " " + strconv.Itoa(gen)
	a.comp.mu.Lock()
	k, ok := a.comp.keys[ck]
	a.comp.mu.Unlock()
	if ok {
		return k, nil
	}
	t, err := readCompartments(ctx, a.db.Meta)
	if err != nil {
		return k, err
	}
	c := t.byID(cid)
	if c == nil {
		return k, fmt.Errorf("%w: no compartment %s", evidence.ErrDamaged, cid)
	}
	sealed, ok := c.Keys[strconv.Itoa(gen)][a.me.ID]
	if !ok {
		return k, restricted("key generation "+strconv.Itoa(gen), c.Name)
	}
	if k, err = a.key.OpenCompartmentKey(sealed, cid, gen); err != nil {
		return k, err
	}
	a.comp.mu.Lock()
	if a.comp.keys == nil {
		a.comp.keys = map[string][32]byte{}
	}
	a.comp.keys[ck] = k
	a.comp.mu.Unlock()
	return k, nil
}

// currentCompartment returns compartment name's ID, current generation and
// key, for sealing what is written into it.
func (a *Archive) currentCompartment(ctx context.Context, meta func(context.Context, string) (string, error), name string) (string, int, [32]byte, error) {
	t, err := readCompartments(ctx, meta)
	if err != nil {
		return "", 0, [32]byte{}, err
	}
	c := t.byName(name)
	if c == nil {
		c = t.byID(name)
	}
	if c == nil {
		return "", 0, [32]byte{}, fmt.Errorf("%w: no compartment %q", evidence.ErrNotFound, name)
	}
	if !slices.Contains(c.Members, a.me.ID) {
		return "", 0, [32]byte{}, restricted("writing into it", c.Name)
	}
	k, err := a.compartmentKey(ctx, c.ID, c.Gen)
	return c.ID, c.Gen, k, err
}

// compartmentName is the name of compartment cid, for messages (the ID
// itself if it is unknown).
func (a *Archive) compartmentName(ctx context.Context, cid string) string {
	raw, err := a.db.Meta(ctx, metaCompartments)
	if err != nil {
		return cid
	}
	sum := sha256.Sum256([]byte(raw))
	a.comp.mu.Lock()
	defer a.comp.mu.Unlock()
	if a.comp.names == nil || a.comp.namesOf != sum {
		t, err := readCompartments(ctx, func(context.Context, string) (string, error) { return raw, nil })
		if err != nil {
			return cid
		}
		names := make(map[string]string, len(t.List))
		for _, c := range t.List {
			names[c.ID] = c.Name
		}
		a.comp.names, a.comp.namesOf = names, sum
	}
	if name, ok := a.comp.names[cid]; ok {
		return name
	}
	return cid
}

// openStored returns the canonical record of a stored record version:
// itself, or, sealed in a compartment, what the envelope holds if the
// session holds its key (errRestricted if not). cid is the compartment
// ("" for none). place names the version as the seal binds it.
func (a *Archive) openStored(ctx context.Context, stored []byte, place string) (plain []byte, cid string, err error) {
	if !seal.IsSealed(stored) {
		return stored, "", nil
	}
	env, err := seal.ParseSealed(stored)
	if err != nil {
		return nil, "", err
	}
	k, err := a.compartmentKey(ctx, env.Compartment, env.Gen)
	if err != nil {
		if errors.Is(err, errRestricted) {
			return nil, env.Compartment, restricted(place, a.compartmentName(ctx, env.Compartment))
		}
		return nil, env.Compartment, err
	}
	plain, err = env.Open(k, place)
	return plain, env.Compartment, err
}

// storedCompartment is the compartment a stored version is sealed in ("" if
// none), read from its envelope without opening it.
func storedCompartment(stored []byte) string {
	if !seal.IsSealed(stored) {
		return ""
	}
	env, err := seal.ParseSealed(stored)
	if err != nil {
		return ""
	}
	return env.Compartment
}

func itemPlace(id evidence.ID, version int) string   { return fmt.Sprintf("item %s %d", id, version) }
func recordPlace(id evidence.ID, version int) string { return fmt.Sprintf("record %s %d", id, version) }

// sealInto seals canonical record bytes for compartment cid ("" stores them
// as they are).
func (a *Archive) sealInto(ctx context.Context, meta func(context.Context, string) (string, error), cid string, place string, plain []byte) ([]byte, error) {
	if cid == "" {
		return plain, nil
	}
	id, gen, k, err := a.currentCompartment(ctx, meta, cid)
	if err != nil {
		return nil, err
	}
	return seal.SealRecordIn(k, id, gen, place, plain)
}

// isRestricted reports whether err says that what was read is in a
// compartment the session's user is not a member of.
func isRestricted(err error) bool { return errors.Is(err, errRestricted) }

// recordCompartment decides the compartment (ID, "" for none) of a record
// version about to be written: a move's target (logger.into with move);
// for a new record the one asked for (logger.into) or else the one of
// what it refers to; for a later version the one of the version before.
// A record refers to things of one compartment at most, and a testimony
// in a compartment holds only items in it.
func (a *Archive) recordCompartment(ctx context.Context, tx store.Tx, l *logger, id evidence.ID, version int, b model.Body) (string, error) {
	want := ""
	if l.into != "" && (version == 1 || l.move) {
		t, err := readCompartments(ctx, tx.Meta)
		if err != nil {
			return "", err
		}
		c := t.byName(l.into)
		if c == nil {
			c = t.byID(l.into)
		}
		if c == nil {
			return "", fmt.Errorf("%w: no compartment %q", evidence.ErrNotFound, l.into)
		}
		want = c.ID
	} else if version > 1 {
		cur, err := tx.LatestRecord(ctx, id)
		if err != nil {
			return "", err
		}
		want = storedCompartment(cur.Record)
	}
	got := want
	for _, r := range b.Refs() {
		var stored []byte
		if r.Item {
			v, err := tx.LatestVersion(ctx, r.ID)
			if err != nil {
				return "", fmt.Errorf("%s %s: %w", r.Role, r.ID, err)
			}
			stored = v.Record
		} else {
			row, err := tx.LatestRecord(ctx, r.ID)
			if err != nil {
				return "", fmt.Errorf("%s %s: %w", r.Role, r.ID, err)
			}
			stored = row.Record
		}
		c := storedCompartment(stored)
		switch {
		case c == "" && r.Item && got != "" && b.Kind() == model.KindTestimony:
			return "", fmt.Errorf("%w: item %s is not in compartment %s; move it first (sori compartment move %s %s)", evidence.ErrInvalid, r.ID, a.compartmentName(ctx, got), a.compartmentName(ctx, got), r.ID)
		case c == "" || c == got:
		case got == "" && want == "" && version == 1:
			got = c // a new record about something in a compartment is in it
		default:
			return "", fmt.Errorf("%w: %s %s is in compartment %s; this record cannot refer to it from %s", evidence.ErrInvalid, r.Role, r.ID, a.compartmentName(ctx, c), whereName(a.compartmentName(ctx, got)))
		}
	}
	return got, nil
}

func whereName(compartment string) string {
	if compartment == "" {
		return "outside it"
	}
	return "compartment " + compartment
}

// unindex takes a document moved into a compartment out of the shared
// index: its text's postings are rewritten away (Tx.ExpungeText) and its
// row keeps no title, kind, places or violations. The postings of the old
// title stay in their segments as dead rows until the next merge rewrites
// them (docs/format.md).
func unindex(ctx context.Context, tx store.Tx, doc string) error {
	if err := tx.ExpungeText(ctx, doc); err != nil {
		return err
	}
	return tx.IndexDoc(ctx, store.SearchDoc{Doc: doc}, nil)
}

// intakeSeal reads, once per pack, the compartment cid ("" none) that a
// pack's items are sealed in: its current generation and key, in tx.
func (a *Archive) intakeSeal(ctx context.Context, tx store.Tx, cid string) (*sealTo, error) {
	if cid == "" {
		return nil, nil
	}
	id, gen, k, err := a.currentCompartment(ctx, tx.Meta, cid)
	if err != nil {
		return nil, err
	}
	return &sealTo{id: id, gen: gen, key: k}, nil
}

// sealIntake seals a new item's first version under st (nil stores it as
// it is). The item's key was wrapped under the generation current when
// intake began; if a member was taken out since, the generation moved on
// and the item is refused rather than sealed under a key the removed
// member holds.
func (a *Archive) sealIntake(ctx context.Context, st *sealTo, p pending, body []byte) ([]byte, error) {
	if st == nil {
		return body, nil
	}
	if st.id != p.key.CompartmentOf() || st.gen != p.key.Gen {
		return nil, fmt.Errorf("%w: compartment %s's key changed during intake; add the files again", evidence.ErrBusy, a.compartmentName(ctx, st.id))
	}
	return seal.SealRecordIn(st.key, st.id, st.gen, itemPlace(p.id, 1), body)
}

// Moved reports a move into a compartment: what was placed in it, items
// and records, each now at a new version sealed under its key.
type Moved struct {
	Compartment string        `json:"compartment"`
	Items       []evidence.ID `json:"items"`
	Records     []evidence.ID `json:"records"`
}

// MoveToCompartment places what refs name in compartment name, with
// everything that belongs to it: a testimony's items, an item's
// translations, and every record that refers to anything moved
// (annotations, consent, redactions, acts of a moved event …), until
// nothing more refers in. Each moves by a new version sealed under the
// compartment's key, in one transaction; an item's own key is wrapped
// again under the compartment key (the old wrapping is overwritten), and
// what the shared index held of each is taken out of it. The acting user
// must be a member, and may edit what moves.
//
// What was written before the move stays readable to whoever holds, or
// held, the database key, in earlier versions and earlier copies: moving
// protects from now on (docs/roles.md). To destroy the earlier versions,
// purge them.
func (a *Archive) MoveToCompartment(ctx context.Context, name string, refs []string) (Moved, error) {
	out := Moved{Compartment: name, Items: []evidence.ID{}, Records: []evidence.ID{}}
	if err := a.allow(OpRecordEdit); err != nil {
		return out, err
	}
	if len(refs) == 0 {
		return out, fmt.Errorf("%w: name what to move: testimony, record or item IDs", evidence.ErrInvalid)
	}
	cid, _, _, err := a.currentCompartment(ctx, a.db.Meta, name)
	if err != nil {
		return out, err
	}
	items, records, err := a.moveSet(ctx, cid, refs)
	if err != nil {
		return out, err
	}
	if len(items) == 0 && len(records) == 0 {
		return out, nil // all of it is in the compartment already
	}
	_, err = a.shreddingChange(ctx, opChecked, func(tx store.Tx, l *logger) error {
		if len(items) > 0 && !Permits(l.role, OpEdit) {
			return fmt.Errorf("%w: role %s may not edit items, and %d items would move", evidence.ErrForbidden, l.role, len(items))
		}
		l.into, l.move = cid, true
		_, gen, ck, err := a.currentCompartment(ctx, tx.Meta, cid)
		if err != nil {
			return err
		}
		for _, id := range items {
			if err := a.moveItem(ctx, tx, l, id, cid, gen, ck); err != nil {
				return fmt.Errorf("item %s: %w", id, err)
			}
		}
		for _, id := range records {
			cur, err := tx.LatestRecord(ctx, id)
			if err != nil {
				return err
			}
			if !EntryPermitted(l.role, custody.KindRecord, cur.Kind) {
				return fmt.Errorf("%w: role %s may not write %s records, and record %s would move", evidence.ErrForbidden, l.role, cur.Kind, id)
			}
			r, b, err := a.decodeRecordBody(ctx, cur)
			if err != nil {
				return fmt.Errorf("record %s: %w", id, err)
			}
			prev := cur.Digest
			if err := a.writeRecord(ctx, tx, l, id, r.Version+1, &prev, b, l.now); err != nil {
				return fmt.Errorf("record %s: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return out, a.DiscloseError(err)
	}
	out.Items, out.Records = items, records
	a.log.Info("moved into a compartment", "items", len(items), "records", len(records))
	return out, nil
}

// moveItem writes item id's next version into compartment cid and wraps
// its own key again under the compartment key.
func (a *Archive) moveItem(ctx context.Context, tx store.Tx, l *logger, id evidence.ID, cid string, gen int, ck [32]byte) error {
	row, err := tx.ItemKey(ctx, id)
	if errors.Is(err, evidence.ErrNotFound) {
		return fmt.Errorf("%w: taken in before items had keys of their own (or shredded), it cannot be placed in a compartment", evidence.ErrInvalid)
	}
	if err != nil {
		return err
	}
	plain, err := a.ring.UnwrapItemKey(seal.ItemKey{Handle: row.Handle, Gen: row.Gen, Wrapped: row.Wrapped})
	if err != nil {
		return err
	}
	ik, err := seal.WrapItemKeyIn(ck, cid, gen, row.Handle, plain)
	clear(plain[:])
	if err != nil {
		return err
	}
	if err := tx.DeleteItemKey(ctx, id); err != nil {
		return err
	}
	if err := tx.InsertItemKey(ctx, store.ItemKey{Item: id, Handle: ik.Handle, Gen: ik.Gen, Wrapped: ik.Wrapped}); err != nil {
		return err
	}
	cur, err := tx.LatestVersion(ctx, id)
	if err != nil {
		return err
	}
	rec, err := a.decodeVersion(ctx, cur)
	if err != nil {
		return err
	}
	prev := cur.Digest
	rec.Version, rec.Prev, rec.Time, rec.Actor, rec.Compartment = rec.Version+1, &prev, l.now, a.me.ID, cid
	return a.writeItemVersion(ctx, tx, l, rec)
}

// moveSet finds what a move of refs into compartment cid takes along:
// items first, then records, each once, leaving out what is in cid
// already and refusing what is in another compartment.
func (a *Archive) moveSet(ctx context.Context, cid string, refs []string) ([]evidence.ID, []evidence.ID, error) {
	inItems, inRecords := map[evidence.ID]bool{}, map[evidence.ID]bool{}
	var items, records []evidence.ID
	addItem := func(id evidence.ID) {
		if !inItems[id] {
			inItems[id] = true
			items = append(items, id)
		}
	}
	addRecord := func(id evidence.ID) {
		if !inRecords[id] {
			inRecords[id] = true
			records = append(records, id)
		}
	}
	for _, ref := range refs {
		id, item, err := a.ResolveAny(ctx, ref)
		if err != nil {
			return nil, nil, err
		}
		if item {
			addItem(id)
		} else {
			addRecord(id)
		}
	}
	// Until nothing more is added: a testimony's items, an item's
	// translations, records that refer to anything in the set.
	for {
		n := len(items) + len(records)
		for _, id := range records {
			row, err := a.latestRecordRow(ctx, id)
			if err != nil {
				return nil, nil, err
			}
			if row.Kind != model.KindTestimony {
				continue
			}
			_, b, err := a.decodeRecordBody(ctx, row)
			if err != nil {
				return nil, nil, err
			}
			for _, it := range b.(*model.Testimony).Items() {
				addItem(it)
			}
		}
		err := a.db.EachLatest(ctx, func(it store.Item, v store.Version) error {
			if inItems[it.ID] {
				return nil
			}
			rec, err := a.decodeVersion(ctx, v)
			if isRestricted(err) {
				return nil
			}
			if err != nil {
				return err
			}
			if rec.TranslationOf != nil && inItems[*rec.TranslationOf] {
				addItem(it.ID)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		err = a.eachCurrent(ctx, "", func(id evidence.ID, b model.Body) error {
			if inRecords[id] {
				return nil
			}
			for _, r := range b.Refs() {
				if (r.Item && inItems[r.ID]) || (!r.Item && inRecords[r.ID]) {
					addRecord(id)
					return nil
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		if len(items)+len(records) == n {
			break
		}
	}
	// What is in cid already stays; what is in another compartment is
	// refused (it cannot be read here, or belongs elsewhere).
	keep := func(ids []evidence.ID, stored func(evidence.ID) ([]byte, error)) ([]evidence.ID, error) {
		var out []evidence.ID
		for _, id := range ids {
			b, err := stored(id)
			if err != nil {
				return nil, err
			}
			switch c := storedCompartment(b); c {
			case "":
				out = append(out, id)
			case cid:
			default:
				return nil, fmt.Errorf("%w: %s is in compartment %s already", evidence.ErrInvalid, id, a.compartmentName(ctx, c))
			}
		}
		return out, nil
	}
	items, err := keep(items, func(id evidence.ID) ([]byte, error) {
		v, err := a.db.LatestVersion(ctx, id)
		return v.Record, err
	})
	if err != nil {
		return nil, nil, err
	}
	records, err = keep(records, func(id evidence.ID) ([]byte, error) {
		r, err := a.latestRecordRow(ctx, id)
		return r.Record, err
	})
	return items, records, err
}

// latestRecordRow is record id's newest stored version.
func (a *Archive) latestRecordRow(ctx context.Context, id evidence.ID) (store.RecordRow, error) {
	rows, err := a.db.RecordVersions(ctx, id)
	if err != nil {
		return store.RecordRow{}, err
	}
	if len(rows) == 0 {
		return store.RecordRow{}, fmt.Errorf("%w: no record %s", evidence.ErrNotFound, id)
	}
	return rows[len(rows)-1], nil
}

// Restricted is a record the session's user may not read: all a
// non-member is told of it.
type Restricted struct {
	ID          evidence.ID `json:"id"`
	Kind        string      `json:"kind"`
	Compartment string      `json:"restricted"` // the compartment's name
	Added       time.Time   `json:"added"`
}

// RestrictedRecords lists the current records of kind ("" all) that are in
// compartments the acting user is not a member of: that they exist, and
// where, is what a non-member may know (Records leaves them out).
func (a *Archive) RestrictedRecords(ctx context.Context, kind string) ([]Restricted, error) {
	if err := a.allow(OpList); err != nil {
		return nil, err
	}
	voided, err := a.voided(ctx)
	if err != nil {
		return nil, err
	}
	out := []Restricted{}
	err = a.db.EachRecord(ctx, kind, true, func(row store.RecordRow) error {
		if storedCompartment(row.Record) == "" {
			return nil
		}
		if _, ok := voided[row.ID]; ok {
			return nil
		}
		r, err := a.decodeRecordRow(ctx, row)
		if !isRestricted(err) {
			return nil // readable (or damaged: Records reports that)
		}
		added := row.CreatedAt
		if rows, err := a.db.RecordVersions(ctx, row.ID); err == nil && len(rows) > 0 {
			added = rows[0].CreatedAt
		}
		out = append(out, Restricted{ID: r.ID, Kind: r.Kind, Compartment: a.compartmentName(ctx, r.Compartment), Added: added})
		return nil
	})
	return out, err
}
