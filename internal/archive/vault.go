package archive

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/seal"
	"sori/internal/store"
)

// The identity vault (DESIGN.md "Identity is sealed apart"; docs/format.md
// "Identity vault"): who a witness really is, and how to reach them, under
// keys only protection officers hold. Everything else names the witness by
// pseudonym. Nothing from an entry is ever logged, indexed, or put in an
// error message: errors name the pseudonym and the field, never its value.

// Limits of a vault entry's fields, in characters.
const (
	maxWitnessNames = 16
	maxWitnessName  = 200
	maxContact      = 1000
	maxVaultNote    = 8000
)

// Witness is what the vault holds about one witness.
type Witness struct {
	Pseudonym string   `json:"pseudonym"`
	Names     []string `json:"names"`             // true names: Hangul, romanizations, aliases
	Contact   string   `json:"contact,omitempty"` // how a protection officer reaches them
	Note      string   `json:"note,omitempty"`    // family, circumstances, protection needs
}

// WitnessInfo is the public part of a vault entry: what `witness ls` shows.
type WitnessInfo struct {
	Pseudonym string    `json:"pseudonym"`
	ID        string    `json:"id"` // the entry's random ID: what custody entries name
	Status    string    `json:"status"`
	Added     time.Time `json:"added"`
	AddedBy   string    `json:"added_by"`
	Withdrawn time.Time `json:"withdrawn,omitzero"`
	// Shredded lists the items a withdrawal with ShredItems shredded.
	Shredded []evidence.ID `json:"shredded,omitempty"`
}

// Witness statuses.
const (
	WitnessActive    = "active"
	WitnessWithdrawn = "withdrawn"
)

// vaultFile is the extension of a protection officer's sealed vault key.
const vaultFile = ".vault"

// errPseudonym does not quote what was given: it may be a name typed in
// the wrong place.
var errPseudonym = fmt.Errorf("%w: not a pseudonym (letters, digits, '-' and '_', with a digit, such as W-17); the value is not repeated here in case it is a name", evidence.ErrInvalid)

// checkWitness validates and normalizes (NFC, trimmed) an entry. Its
// errors never quote a name, contact or note.
func checkWitness(w Witness) (Witness, error) {
	if !evidence.ValidPseudonym(w.Pseudonym) {
		return w, errPseudonym
	}
	out := Witness{Pseudonym: w.Pseudonym}
	if len(w.Names) == 0 {
		return w, fmt.Errorf("%w: witness %s: give at least one name", evidence.ErrInvalid, w.Pseudonym)
	}
	if len(w.Names) > maxWitnessNames {
		return w, fmt.Errorf("%w: witness %s: at most %d names", evidence.ErrInvalid, w.Pseudonym, maxWitnessNames)
	}
	for i, n := range w.Names {
		n, err := vaultText(w.Pseudonym, fmt.Sprintf("name %d", i+1), n, maxWitnessName, false)
		if err != nil {
			return w, err
		}
		if n == "" {
			return w, fmt.Errorf("%w: witness %s: name %d is empty", evidence.ErrInvalid, w.Pseudonym, i+1)
		}
		out.Names = append(out.Names, n)
	}
	var err error
	if out.Contact, err = vaultText(w.Pseudonym, "contact", w.Contact, maxContact, false); err != nil {
		return w, err
	}
	if out.Note, err = vaultText(w.Pseudonym, "note", w.Note, maxVaultNote, true); err != nil {
		return w, err
	}
	return out, nil
}

func vaultText(pseudonym, field, s string, limit int, multiline bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: witness %s: %s is not valid UTF-8", evidence.ErrInvalid, pseudonym, field)
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	if utf8.RuneCountInString(s) > limit {
		return "", fmt.Errorf("%w: witness %s: %s is longer than %d characters", evidence.ErrInvalid, pseudonym, field, limit)
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) }) >= 0 {
		return "", fmt.Errorf("%w: witness %s: %s holds control characters", evidence.ErrInvalid, pseudonym, field)
	}
	return s, nil
}

// vaultDigest is what custody entries about a vault entry commit to: its
// ID and pseudonym, never its contents.
func vaultDigest(id, pseudonym string) evidence.Digest {
	b, _ := json.Marshal(struct {
		ID        string `json:"id"`
		Pseudonym string `json:"pseudonym"`
	}{id, pseudonym})
	return evidence.Sum(b)
}

// VaultDigest is vaultDigest, for verification.
func VaultDigest(id, pseudonym string) evidence.Digest { return vaultDigest(id, pseudonym) }

func (a *Archive) witnessInfo(r store.VaultRow, names func(string) string) WitnessInfo {
	info := WitnessInfo{Pseudonym: r.Pseudonym, ID: r.ID, Status: WitnessActive, Added: r.CreatedAt, AddedBy: names(r.CreatedBy)}
	if r.Withdrawn {
		info.Status, info.Withdrawn = WitnessWithdrawn, r.WithdrawnAt
	}
	return info
}

// vaultKey makes sure the session holds the vault key.
func (a *Archive) vaultKey() error {
	if !a.ring.HasVault() {
		return fmt.Errorf("%w: %s holds no identity vault key (it is given to protection officers when they are added)", evidence.ErrLocked, a.me.Name)
	}
	return nil
}

// AddWitness puts a witness into the identity vault under pseudonym
// w.Pseudonym: the entry is sealed under a fresh key of its own, wrapped
// under the vault key, and a signed "witness" custody entry (naming only
// the entry's random ID) is committed with it, as are the keyed hashes of
// the forms of its names for the safety net (safetynet.go; the name-net
// key is made then if the archive has none yet). A pseudonym already in the
// vault, withdrawn ones included, gives evidence.ErrExists; bad input
// evidence.ErrInvalid; nothing is changed.
func (a *Archive) AddWitness(ctx context.Context, w Witness) (WitnessInfo, error) {
	if err := a.allow(OpVaultWrite); err != nil {
		return WitnessInfo{}, err
	}
	w, err := checkWitness(w)
	if err != nil {
		return WitnessInfo{}, err
	}
	if err := a.vaultKey(); err != nil {
		return WitnessInfo{}, err
	}
	var idb [16]byte
	rand.Read(idb[:])
	id := hex.EncodeToString(idb[:])
	plain, err := json.Marshal(w)
	if err != nil {
		return WitnessInfo{}, err
	}
	wrapped, sealed, err := a.ring.SealWitness(id, plain)
	clear(plain)
	if err != nil {
		return WitnessInfo{}, err
	}
	var row store.VaultRow
	_, err = a.change(ctx, OpVaultWrite, func(tx store.Tx, l *logger) error {
		if err := a.currentVaultKey(ctx, tx); err != nil {
			return err
		}
		row = store.VaultRow{Pseudonym: w.Pseudonym, ID: id, Wrapped: wrapped, Entry: sealed, CreatedAt: l.now, CreatedBy: a.me.ID}
		if err := tx.InsertVault(ctx, row); err != nil {
			return err
		}
		// The safety net: hashes of the names' forms, never the names.
		nk, _, err := a.nameNetKey(ctx, tx)
		if err != nil {
			return err
		}
		if err := tx.InsertVaultNames(ctx, id, vaultNameRows(nk, w.Names, w.Contact)); err != nil {
			return err
		}
		return logVault(ctx, l, custody.KindWitness, row)
	})
	if err != nil {
		return WitnessInfo{}, err
	}
	a.log.Info("witness added to the vault", "entry", id)
	info := a.witnessInfo(row, a.userNames(ctx))
	n, err := a.remaskIndexed(ctx, w)
	if err != nil {
		return info, fmt.Errorf("witness %s is sealed, but the search index could not be re-masked (run 'sori index --rebuild'): %w", w.Pseudonym, err)
	}
	if n > 0 {
		a.log.Info("documents re-indexed with the new sealed name masked", "documents", n)
	}
	return info, nil
}

// logVault appends the custody entry kind of a vault row (naming only
// the entry's ID).
func logVault(ctx context.Context, l *logger, kind string, row store.VaultRow) error {
	return l.append(ctx, kind, row.ID, 0, vaultDigest(row.ID, row.Pseudonym), evidence.Digest{})
}

// Witnesses lists the vault's entries (pseudonym and status only).
func (a *Archive) Witnesses(ctx context.Context) ([]WitnessInfo, error) {
	if err := a.allow(OpVaultList); err != nil {
		return nil, err
	}
	rows, err := a.db.VaultRows(ctx)
	if err != nil {
		return nil, err
	}
	names := a.userNames(ctx)
	out := make([]WitnessInfo, 0, len(rows))
	for _, r := range rows {
		out = append(out, a.witnessInfo(r, names))
	}
	return out, nil
}

// OpenWitness decrypts a witness's vault entry. Every opening is recorded
// first, as a signed "vault-open" custody entry: if it cannot be recorded,
// the entry is not opened. A withdrawn witness gives its info and a nil
// entry (nothing is left to open, and nothing is recorded).
func (a *Archive) OpenWitness(ctx context.Context, pseudonym string) (WitnessInfo, *Witness, error) {
	if err := a.allow(OpVaultOpen); err != nil {
		return WitnessInfo{}, nil, err
	}
	if !evidence.ValidPseudonym(pseudonym) {
		return WitnessInfo{}, nil, errPseudonym
	}
	if err := a.vaultKey(); err != nil {
		return WitnessInfo{}, nil, err
	}
	row, err := a.db.Vault(ctx, pseudonym)
	if errors.Is(err, evidence.ErrNotFound) {
		return WitnessInfo{}, nil, fmt.Errorf("%w: no witness %s in the vault", evidence.ErrNotFound, pseudonym)
	}
	if err != nil {
		return WitnessInfo{}, nil, err
	}
	info := a.witnessInfo(row, a.userNames(ctx))
	if row.Withdrawn {
		return info, nil, nil
	}
	plain, err := a.ring.OpenWitness(row.ID, row.Wrapped, row.Entry)
	if err != nil {
		return info, nil, err
	}
	defer clear(plain)
	var w Witness
	if err := json.Unmarshal(plain, &w); err != nil || w.Pseudonym != pseudonym {
		return info, nil, fmt.Errorf("%w: vault entry %s: unexpected contents", evidence.ErrDamaged, row.ID)
	}
	_, err = a.change(ctx, OpVaultOpen, func(tx store.Tx, l *logger) error {
		// The row may have been withdrawn since it was read: record the
		// opening only of what is still there.
		if r2, err := tx.Vault(ctx, pseudonym); err != nil || r2.Withdrawn || r2.ID != row.ID {
			if err == nil {
				err = fmt.Errorf("%w: witness %s was withdrawn meanwhile", evidence.ErrNotFound, pseudonym)
			}
			return err
		}
		return logVault(ctx, l, custody.KindVaultOpen, row)
	})
	if err != nil {
		return info, nil, err
	}
	a.log.Info("vault entry opened", "entry", row.ID)
	return info, &w, nil
}

// WithdrawWitness records that a witness withdrew consent: the wrapped
// witness key, the sealed entry and its names' hashes are deleted (overwritten in the
// database: secure_delete=ON for the transaction) and a signed "withdraw" custody entry, naming
// only the entry's ID, is its tombstone, in one transaction. Then the
// write-ahead log is emptied into the database so that the old pages do
// not linger in it. No key anyone holds — the vault key included —
// recovers the entry afterwards: its own key existed only in that row.
func (a *Archive) WithdrawWitness(ctx context.Context, pseudonym string, opts ...WithdrawOptions) (WitnessInfo, error) {
	var opt WithdrawOptions
	if len(opts) > 0 {
		opt = opts[0]
	}
	if err := a.allow(OpVaultWrite); err != nil {
		return WitnessInfo{}, err
	}
	if !evidence.ValidPseudonym(pseudonym) {
		return WitnessInfo{}, errPseudonym
	}
	if err := a.vaultKey(); err != nil {
		return WitnessInfo{}, err
	}
	var shred []evidence.ID
	if opt.ShredItems {
		var err error
		if shred, err = a.shredPlan(ctx, pseudonym); err != nil {
			return WitnessInfo{}, err
		}
	}
	var row store.VaultRow
	_, err := a.shreddingChange(ctx, OpVaultWrite, func(tx store.Tx, l *logger) error {
		var err error
		row, err = tx.Vault(ctx, pseudonym)
		if errors.Is(err, evidence.ErrNotFound) {
			return fmt.Errorf("%w: no witness %s in the vault", evidence.ErrNotFound, pseudonym)
		}
		if err != nil {
			return err
		}
		// A witness withdrawn earlier may still ask for their items to be
		// shredded: the withdrawal is not repeated.
		if !(row.Withdrawn && opt.ShredItems) {
			if row, err = tx.WithdrawVault(ctx, pseudonym, l.now); err != nil {
				return err
			}
			if err := logVault(ctx, l, custody.KindWithdraw, row); err != nil {
				return err
			}
		}
		return a.shredItems(ctx, tx, l, shred)
	})
	if err != nil {
		return WitnessInfo{}, err
	}
	a.log.Info("witness withdrawn from the vault", "entry", row.ID, "items_shredded", len(shred))
	info := a.witnessInfo(row, a.userNames(ctx))
	info.Shredded = shred
	if err := store.TruncateWAL(ctx, a.db); err != nil {
		return info, fmt.Errorf("witness %s is withdrawn, but: %w", pseudonym, err)
	}
	return info, nil
}

// loadVaultKey reads the user's sealed vault key, if they were given one.
func loadVaultKey(dir, loc string, key *seal.UserKey, ring *seal.Keyring) error {
	name := loc + vaultFile
	sealed, err := os.ReadFile(filepath.Join(dir, keysDir, name))
	if errors.Is(err, os.ErrNotExist) {
		if listedKeyFile(dir, name) {
			return fmt.Errorf("%w: the vault key file %s/%s is missing though %s/%s lists it", evidence.ErrDamaged, keysDir, name, keysDir, keySums)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %v", evidence.ErrDamaged, err)
	}
	if !listedKeyFile(dir, name) && keySumsReadable(dir) {
		// Deleted from keys/SUMS but not yet from keys/: a role taken away
		// whose rotation was interrupted (dropFiles). It opens nothing;
		// the next open of a PostgreSQL store deletes it (settleKeyFiles).
		return nil
	}
	if err := checkKeyFile(dir, name, sealed); err != nil {
		return err
	}
	return seal.OpenVaultKey(sealed, key, ring)
}

// currentVaultKey refuses to wrap new entries under a vault key replaced
// since this session opened the archive (a protection officer was
// removed): the removed officer holds the old one.
func (a *Archive) currentVaultKey(ctx context.Context, tx store.Tx) error {
	id, err := tx.Meta(ctx, "vault_key")
	if err != nil {
		return err
	}
	if id != "" && id != a.ring.VaultKeyID() {
		return fmt.Errorf("%w: the identity vault key was replaced since the archive was opened (a protection officer was removed); open it again", evidence.ErrLocked)
	}
	return nil
}

// rewrapVault re-wraps every active entry's witness key under next's vault
// key and records it as the one new entries must use. Part of a removal's
// transaction; the new vault key files are written before it commits,
// holding the earlier keys too, so an interrupted removal locks nobody out.
func (a *Archive) rewrapVault(ctx context.Context, tx store.Tx, next *seal.Keyring) error {
	rows, err := tx.ActiveVault(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		wrapped, err := seal.RewrapWitness(a.ring, next, r.ID, r.Wrapped)
		if err != nil {
			return err
		}
		if err := tx.SetVaultWrapped(ctx, r.Pseudonym, wrapped); err != nil {
			return err
		}
	}
	return tx.SetMeta(ctx, "vault_key", next.VaultKeyID())
}

// WitnessMaterial is what a witness's withdrawal affects: every testimony
// of the witness, every item of those testimonies or tagged with the
// pseudonym, and every record that points to one of them.
type WitnessMaterial struct {
	Testimonies []evidence.ID `json:"testimonies"`
	Items       []evidence.ID `json:"items"`
	Records     []evidence.ID `json:"records"`
	// Unexamined names the compartments holding items this user could not
	// examine (not a member): some of them may be the witness's.
	Unexamined []string `json:"unexamined,omitempty"`
}

// MaterialOf lists what falls under witness pseudonym's consent (by ID
// only), for a protection officer about to withdraw them.
func (a *Archive) MaterialOf(ctx context.Context, pseudonym string) (WitnessMaterial, error) {
	var m WitnessMaterial
	if err := a.allow(OpVaultWrite); err != nil {
		return m, err
	}
	if !evidence.ValidPseudonym(pseudonym) {
		return m, errPseudonym
	}
	v, err := a.readConsent(ctx)
	if err != nil {
		return m, err
	}
	items := map[evidence.ID]bool{}
	tests := map[evidence.ID]bool{}
	for _, t := range v.ofWitness[pseudonym] {
		tests[t] = true
		m.Testimonies = append(m.Testimonies, t)
		for _, it := range v.testimony[t].Items() {
			if !items[it] {
				items[it] = true
				m.Items = append(m.Items, it)
			}
		}
	}
	err = a.db.EachLatest(ctx, func(it store.Item, ver store.Version) error {
		rec, err := a.decodeVersion(ctx, ver)
		if isRestricted(err) {
			if name := a.compartmentName(ctx, rec.Compartment); !slices.Contains(m.Unexamined, name) {
				m.Unexamined = append(m.Unexamined, name)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if rec.Witness == pseudonym && !items[it.ID] {
			items[it.ID] = true
			m.Items = append(m.Items, it.ID)
		}
		return nil
	})
	if err != nil {
		return m, err
	}
	err = a.eachCurrent(ctx, "", func(id evidence.ID, b model.Body) error {
		if tests[id] {
			return nil
		}
		for _, r := range b.Refs() {
			if (r.Item && items[r.ID]) || (!r.Item && tests[r.ID]) {
				m.Records = append(m.Records, id)
				return nil
			}
		}
		return nil
	})
	return m, err
}
