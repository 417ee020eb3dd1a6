package archive

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/hangul"
	"sori/internal/namenet"
	"sori/internal/store"
)

// The sealed-name safety net (docs/format.md "Vault names"): when a
// witness enters the identity vault, the keyed hashes of the normalized
// forms of their names are stored beside the entry (never the names), so
// that those who add or publish text — who cannot open the vault — learn
// where it names a witness, without learning who. The hashes are keyed
// under the name-net key (seal: wrapped under the log key, in meta).

// Labels a NameSpan carries for sealed names.
const (
	LabelSealedName  = namenet.LabelName
	LabelSealedGiven = namenet.LabelGiven
)

// NameSpan is where text names someone it must not: byte offsets, end exclusive.
type NameSpan struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Label string `json:"label"` // "sealed name" / "sealed given name", or a protected person's pseudonym
}

// ProtectedName is a protected person whose names publication replaces.
type ProtectedName struct {
	Label string
	Names []string
}

// nameGuard finds sealed and protected names in text. The zero guard (and
// a nil one) finds nothing.
type nameGuard struct{ m *namenet.Matcher }

// metaNameNet is the meta key of the wrapped name-net key (hex).
const metaNameNet = "namenet_key"

// nameNetKey returns the archive's name-net key, making and storing it in
// tx when there is none yet and tx is not nil (ok is false when there is
// none and none was made).
func (a *Archive) nameNetKey(ctx context.Context, tx store.Tx) (key [32]byte, ok bool, err error) {
	var v string
	if tx != nil {
		v, err = tx.Meta(ctx, metaNameNet)
	} else {
		v, err = a.db.Meta(ctx, metaNameNet)
	}
	if err != nil {
		return key, false, err
	}
	if v != "" {
		wrapped, err := hex.DecodeString(v)
		if err != nil {
			return key, false, fmt.Errorf("%w: the stored name-net key is not hex", evidence.ErrDamaged)
		}
		key, err = a.ring.OpenNameNetKey(wrapped)
		return key, err == nil, err
	}
	if tx == nil {
		return key, false, nil
	}
	key, wrapped, err := a.ring.NewNameNetKey()
	if err != nil {
		return key, false, err
	}
	if err := tx.SetMeta(ctx, metaNameNet, hex.EncodeToString(wrapped)); err != nil {
		return key, false, err
	}
	return key, true, nil
}

// makeNameNetKey stores a name-net key if the archive has none (Init).
func (a *Archive) makeNameNetKey(ctx context.Context, tx store.Tx) error {
	_, _, err := a.nameNetKey(ctx, tx)
	return err
}

// vaultNameRows hashes every form of every name of an entry, and the phone
// numbers and e-mail addresses of its contact.
func vaultNameRows(key [32]byte, names []string, contact string) []store.VaultName {
	seen := map[namenet.Digest]bool{}
	var out []store.VaultName
	for _, f := range namenet.ContactForms(contact) {
		d := namenet.Hash(key, f)
		if !seen[d] {
			seen[d] = true
			out = append(out, store.VaultName{Hash: d})
		}
	}
	for _, n := range names {
		for _, f := range namenet.Forms(n) {
			d := namenet.Hash(key, f.Key)
			if seen[d] {
				continue
			}
			seen[d] = true
			out = append(out, store.VaultName{Hash: d, Given: f.Given})
		}
	}
	// A form that is a full reading of one name and the given name of
	// another counts as a full name.
	full := map[namenet.Digest]bool{}
	for _, r := range out {
		if !r.Given {
			full[r.Hash] = true
		}
	}
	kept := out[:0]
	for _, r := range out {
		if !(r.Given && full[r.Hash]) {
			kept = append(kept, r)
		}
	}
	return kept
}

// newNameGuard loads the vault's hashes (no role check: callers have
// checked) and adds the protected persons' names. When the vault holds no
// hashed names and protected is empty, it reads nothing more and returns
// an empty guard: checking then costs nothing. Hashes stored without a
// name-net key the session can open give evidence.ErrDamaged, or
// ErrForbidden for a keyring without the log key.
func (a *Archive) newNameGuard(ctx context.Context, protected []ProtectedName) (*nameGuard, error) {
	has, err := a.db.HasVaultNames(ctx)
	if err != nil {
		return nil, err
	}
	if !has && len(protected) == 0 {
		return &nameGuard{}, nil
	}
	var key [32]byte
	set := namenet.Set{}
	if has {
		var ok bool
		if key, ok, err = a.nameNetKey(ctx, nil); err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: the vault holds hashed names but the archive has no name-net key", evidence.ErrDamaged)
		}
		rows, err := a.db.VaultNames(ctx)
		if err != nil {
			return nil, err
		}
		for entry, names := range rows {
			for _, n := range names {
				label := namenet.LabelName
				if n.Given {
					label = namenet.LabelGiven
				}
				set.Add(namenet.Digest(n.Hash), label+entrySep+entry)
			}
		}
	} else {
		// Only protected names: any key will do, and none is stored.
		rand.Read(key[:])
	}
	for _, p := range protected {
		for _, n := range p.Names {
			set.AddName(key, n, p.Label, p.Label)
		}
	}
	return &nameGuard{m: namenet.NewMatcher(key, set)}, nil
}

// entrySep separates, in the guard's labels of vault hashes, the label
// from the vault entry the hash is of. Find strips it: callers who write
// text learn that a name is sealed, never whose it is.
const entrySep = "\x1f"

// Find returns where text holds a sealed or protected name, or a sealed
// contact: sorted, non-overlapping spans (see namenet.Matcher.Find).
func (g *nameGuard) Find(text string) []NameSpan {
	if g.Empty() {
		return nil
	}
	spans := g.m.Find(text)
	if len(spans) == 0 {
		return nil
	}
	out := make([]NameSpan, len(spans))
	for i, s := range spans {
		out[i] = NameSpan(s)
		out[i].Label, _, _ = strings.Cut(s.Label, entrySep)
	}
	return out
}

// entrySpan is a span found by the guard with the vault entry it is of
// ("" for a protected person's name).
type entrySpan struct {
	NameSpan
	entry string
	given bool
}

// findEntries is Find with the entry each span is of.
func (g *nameGuard) findEntries(text string) []entrySpan {
	if g.Empty() {
		return nil
	}
	var out []entrySpan
	for _, s := range g.m.Find(text) {
		label, entry, _ := strings.Cut(s.Label, entrySep)
		out = append(out, entrySpan{NameSpan{s.Start, s.End, label}, entry, namenet.IsGiven(label)})
	}
	return out
}

// Empty reports whether the guard has nothing to find.
func (g *nameGuard) Empty() bool { return g == nil || g.m.Empty() }

// CheckText reports where text names a witness sealed in the identity
// vault (see NameSpan), without saying which witness or what name: for
// text about to be added, or just added, as a record. It needs no vault
// key, only the name-net key every role that writes holds.
func (a *Archive) CheckText(ctx context.Context, text string) ([]NameSpan, error) {
	if err := a.allow(OpRecordAdd); err != nil {
		return nil, err
	}
	g, err := a.newNameGuard(ctx, nil)
	if err != nil {
		return nil, err
	}
	return g.Find(text), nil
}

// CheckTexts is CheckText for many texts (an import's records): the
// vault's hashes are loaded once. out[i] is nil where texts[i] names no one.
func (a *Archive) CheckTexts(ctx context.Context, texts []string) ([][]NameSpan, error) {
	if err := a.allow(OpRecordAdd); err != nil {
		return nil, err
	}
	g, err := a.newNameGuard(ctx, nil)
	if err != nil {
		return nil, err
	}
	out := make([][]NameSpan, len(texts))
	if g.Empty() {
		return out, nil
	}
	for i, t := range texts {
		out[i] = g.Find(t)
	}
	return out, nil
}

// HashWitnessNames stores the safety net's hashes for every active vault
// entry that has none (entries added before the safety net existed), and
// returns how many it hashed. Each such entry is decrypted to read its
// names, so each is recorded as an opening ("vault-open" custody entry,
// naming only the entry ID), in the one transaction that stores the
// hashes. An archive whose entries all have hashes changes nothing.
func (a *Archive) HashWitnessNames(ctx context.Context) (int, error) {
	if err := a.allow(OpVaultWrite); err != nil {
		return 0, err
	}
	if err := a.vaultKey(); err != nil {
		return 0, err
	}
	counts, err := a.db.VaultNameCounts(ctx)
	if err != nil {
		return 0, err
	}
	hashed := 0
	_, err = a.change(ctx, OpVaultWrite, func(tx store.Tx, l *logger) error {
		rows, err := tx.ActiveVault(ctx)
		if err != nil {
			return err
		}
		var todo []store.VaultRow
		for _, r := range rows {
			if counts[r.ID] == 0 {
				todo = append(todo, r)
			}
		}
		if len(todo) == 0 {
			return nil
		}
		nk, _, err := a.nameNetKey(ctx, tx)
		if err != nil {
			return err
		}
		for _, r := range todo {
			w, err := a.openEntry(r)
			if err != nil {
				return err
			}
			if err := tx.InsertVaultNames(ctx, r.ID, vaultNameRows(nk, w.Names, w.Contact)); err != nil {
				return err
			}
			if err := l.append(ctx, custody.KindVaultOpen, r.ID, 0, vaultDigest(r.ID, r.Pseudonym), evidence.Digest{}); err != nil {
				return err
			}
		}
		hashed = len(todo)
		return nil
	})
	if err != nil {
		return 0, err
	}
	if hashed > 0 {
		a.log.Info("witness names hashed for the safety net", "entries", hashed)
	}
	return hashed, nil
}

// openEntry decrypts an active entry (the caller records the opening).
func (a *Archive) openEntry(r store.VaultRow) (*Witness, error) {
	plain, err := a.ring.OpenWitness(r.ID, r.Wrapped, r.Entry)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	var w Witness
	if err := json.Unmarshal(plain, &w); err != nil || w.Pseudonym != r.Pseudonym {
		return nil, fmt.Errorf("%w: vault entry %s: unexpected contents", evidence.ErrDamaged, r.ID)
	}
	return &w, nil
}

// remaskLimit bounds the documents one sealing re-indexes per name.
const remaskLimit = 1 << 20

// remaskIndexed takes the names and contact of a witness just sealed out
// of what the search index already holds: every document the index finds
// for one of them (in any spelling search links) is indexed again with the
// guard, which now knows them. Part of sealing (AddWitness), in a
// transaction of its own after the entry's: if it is interrupted, queries
// still never search for a sealed name (Search masks the query), and
// 'sori index --rebuild' finishes the job.
func (a *Archive) remaskIndexed(ctx context.Context, w Witness) (int, error) {
	if _, err := a.IndexPending(ctx, nil); err != nil {
		return 0, err
	}
	docs := map[string]bool{}
	var order []string
	terms := append(slices.Clone(w.Names), namenet.ContactForms(w.Contact)...)
	for _, n := range terms {
		n = strings.TrimPrefix(strings.TrimPrefix(n, "tel:"), "mail:")
		expr := hangul.MatchExpr(n)
		if expr == "" {
			continue
		}
		hits, err := a.db.Search(ctx, store.SearchQuery{Match: expr, Limit: remaskLimit, NoSnippets: true})
		if err != nil {
			return 0, err
		}
		for _, h := range hits {
			if !docs[h.Doc] {
				docs[h.Doc] = true
				order = append(order, h.Doc)
			}
		}
	}
	if len(order) == 0 {
		return 0, nil
	}
	guard, err := a.newNameGuard(ctx, nil)
	if err != nil {
		return 0, err
	}
	tx, err := a.db.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	for _, doc := range order {
		id, err := evidence.ParseID(doc)
		if err != nil {
			return 0, fmt.Errorf("%w: index document %q", evidence.ErrDamaged, doc)
		}
		if it, err := a.db.Item(ctx, id); err == nil {
			r := a.analyzeItem(ctx, store.PendingItem{Item: it}, guard)
			if r.err != nil {
				return 0, r.err
			}
			if r.text == nil {
				r.text = store.AnalyzeText([]string{})
			}
			if err := tx.IndexText(ctx, r.doc, r.text); err != nil {
				return 0, err
			}
			continue
		}
		row, err := tx.LatestRecord(ctx, id)
		if err != nil {
			return 0, err
		}
		if storedCompartment(row.Record) != "" {
			continue // never indexed: the shared index holds nothing of a compartment
		}
		_, b, err := a.decodeRecordBody(ctx, row)
		if err != nil {
			return 0, err
		}
		d, parts := recordDoc(id, b)
		d.Title = maskNames(d.Title, guard, Mask)
		for i := range parts {
			parts[i] = maskNames(parts[i], guard, " ")
		}
		if parts == nil {
			parts = []string{}
		}
		if err := tx.IndexDoc(ctx, d, parts); err != nil {
			return 0, err
		}
	}
	return len(order), tx.Commit()
}
