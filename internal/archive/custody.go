package archive

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// logger appends custody entries inside one transaction and seals the tree
// with a signed checkpoint before the transaction commits, so that a change
// and its custody record are durable together or not at all.
type logger struct {
	a    *Archive
	tx   store.Tx
	role string // the acting user's role inside tx (change re-reads it)
	// signKey, if set, seals instead of the session's log key: the new key
	// of a log key handover made in this transaction.
	signKey string
	size    int64
	now     time.Time
	guard   *nameGuard // loaded on first use: what records' index text must not hold
	// into, if set, is the compartment (name or ID) that records and items
	// written in this change are placed in (compartment.go); move makes
	// the compartment of a new version differ from the one before.
	into string
	move bool
}

// nameGuard returns the safety net's guard for this transaction's records,
// loading it once.
func (l *logger) nameGuard(ctx context.Context) (*nameGuard, error) {
	if l.guard == nil {
		g, err := l.a.newNameGuard(ctx, nil)
		if err != nil {
			return nil, err
		}
		l.guard = g
	}
	return l.guard, nil
}

func (a *Archive) newLogger(ctx context.Context, tx store.Tx, now time.Time) (*logger, error) {
	if err := a.checkBeforeWrite(ctx); err != nil {
		return nil, err
	}
	n, err := tx.TreeSize(ctx)
	if err != nil {
		return nil, err
	}
	return &logger{a: a, tx: tx, role: a.me.Role, size: n, now: now}, nil
}

// checkBeforeWrite runs SQLite's quick check once per session, before its
// first write (every write appends custody entries through newLogger):
// writing to a damaged database could spread the damage, and the evidence
// as it is should be examined first.
func (a *Archive) checkBeforeWrite(ctx context.Context) error {
	a.writeCheck.mu.Lock()
	defer a.writeCheck.mu.Unlock()
	if a.writeCheck.done {
		return a.writeCheck.err
	}
	problems, err := store.IntegrityCheck(ctx, a.db, true)
	if err != nil {
		return err // not remembered: a cancelled check is tried again
	}
	a.writeCheck.done = true
	if len(problems) > 0 {
		a.writeCheck.err = fmt.Errorf("%w: the metadata database fails SQLite's quick check (%d problems, first: %s); nothing was written. Keep a copy as it is and run 'sori verify'", evidence.ErrDamaged, len(problems), problems[0])
	}
	return a.writeCheck.err
}

// append signs and stores one entry. content is the SHA-256 of the file the
// entry is about (zero when none).
func (l *logger) append(ctx context.Context, kind, object string, version int, digest, content evidence.Digest) error {
	return l.appendFor(ctx, kind, "", object, version, digest, content)
}

// appendFor is append for an entry about a record of recordKind, whose
// kind may decide which roles may sign it (EntryPermitted).
func (l *logger) appendFor(ctx context.Context, kind, recordKind, object string, version int, digest, content evidence.Digest) error {
	if !EntryPermitted(l.role, kind, recordKind) {
		return fmt.Errorf("%w: role %s may not sign a %q custody entry", evidence.ErrForbidden, l.role, kind)
	}
	row, leaf := l.entry(l.size, kind, object, version, digest, content)
	if err := l.tx.AppendCustody(ctx, row, leaf); err != nil {
		return err
	}
	l.size++
	return nil
}

// entry signs one entry at seq and gives its row and leaf data.
func (l *logger) entry(seq int64, kind, object string, version int, digest, content evidence.Digest) (store.CustodyRow, []byte) {
	e := custody.Entry{V: custody.EntryVersion, Seq: seq, Kind: kind, Time: l.now, Actor: l.a.key.KeyID(),
		Object: object, Version: version, Digest: digest}
	salt := make([]byte, custody.SaltSize)
	rand.Read(salt)
	row := store.CustodyRow{Seq: seq, Kind: kind, Object: object, Entry: e.Marshal(), Sig: l.a.key.Sign(e.SignedMessage()),
		Salt: salt, Content: content}
	return row, custody.LeafData(salt, content, e.Sum())
}

// pendingEntry is one entry for appendAll.
type pendingEntry struct {
	object          string
	version         int
	digest, content evidence.Digest
}

// appendAll appends an entry of kind for each of es, in order, as append
// would one by one, but in a few round trips where the store can
// (store.Batcher): intake appends one for each item of a pack.
func (l *logger) appendAll(ctx context.Context, kind string, es []pendingEntry) error {
	if len(es) == 0 {
		return nil
	}
	if !EntryPermitted(l.role, kind, "") {
		return fmt.Errorf("%w: role %s may not sign a %q custody entry", evidence.ErrForbidden, l.role, kind)
	}
	rows, leaves := make([]store.CustodyRow, len(es)), make([][]byte, len(es))
	for i, e := range es {
		rows[i], leaves[i] = l.entry(l.size+int64(i), kind, e.object, e.version, e.digest, e.content)
	}
	if err := store.AppendCustodyRows(ctx, l.tx, rows, leaves); err != nil {
		return err
	}
	l.size += int64(len(es))
	return nil
}

// seal signs a checkpoint of the tree as it now stands in the transaction.
func (l *logger) seal(ctx context.Context) (custody.Checkpoint, error) {
	skey := l.a.ring.Log
	if l.signKey != "" {
		skey = l.signKey
	}
	if skey == "" {
		return custody.Checkpoint{}, fmt.Errorf("%w: this user holds no log key and cannot record changes", evidence.ErrForbidden)
	}
	h, err := tlog.TreeHash(l.size, l.tx.HashReader(ctx))
	if err != nil {
		return custody.Checkpoint{}, err
	}
	cp, err := custody.SignCheckpoint(skey, custody.Origin(l.a.cfg.ID), l.size, h)
	if err != nil {
		return cp, err
	}
	return cp, l.tx.InsertCheckpoint(ctx, cp.Size, cp.Note, l.now)
}

// userDigest commits to a user's public record (not their name).
func userDigest(u store.User) evidence.Digest {
	b, _ := json.Marshal(struct {
		ID        string `json:"id"`
		Role      string `json:"role"`
		Recipient string `json:"recipient"`
		SignPub   []byte `json:"sign_pub"`
	}{u.ID, u.Role, u.Recipient, u.SignPub})
	return evidence.Sum(b)
}

// The pin: sori keeps the newest checkpoint it has seen of each archive
// outside the archive (Options.StateDir), and refuses an archive whose log
// does not extend it — an older copy swapped in, or a different archive
// under the same ID.

const pinHeader = "sori checkpoint pin v1\n"

func (a *Archive) pinPath() string {
	if a.stateDir == "" {
		return ""
	}
	return filepath.Join(a.stateDir, "checkpoints", a.cfg.ID)
}

// checkPin compares the archive with the pinned checkpoint.
func (a *Archive) checkPin(ctx context.Context) error {
	p := a.pinPath()
	if p == "" {
		return nil
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		// Nothing to compare with: fine for an archive this machine has
		// just made, worth saying for one with a history (a copy brought
		// here, or a state directory lost): a rollback would go unseen.
		if size, err := a.db.TreeSize(ctx); err == nil && size > 1 {
			a.log.Warn("this machine keeps no checkpoint of this archive yet, so a rolled-back copy could not be told from the real one; compare 'sori checkpoint' with one kept elsewhere", "archive", a.cfg.ID, "entries", size)
		}
		return nil
	}
	if err != nil {
		return err
	}
	rest, ok := strings.CutPrefix(string(b), pinHeader)
	vkey, note, ok2 := strings.Cut(rest, "\n")
	if !ok || !ok2 {
		return fmt.Errorf("%w: checkpoint pin %s is malformed", evidence.ErrDamaged, p)
	}
	// The pinned key must be the archive's, or one it handed over from
	// (a log key handover since the pin was written), and the pinned
	// checkpoint signed by the key in force at its size.
	chain := a.LogKeyChain()
	if !chain.Has(vkey) {
		return fmt.Errorf("%w: this archive's log key differs from the one sori saw before for archive %s, and does not descend from it by a handover: it was replaced (pin: %s)", evidence.ErrTampered, a.cfg.ID, p)
	}
	cp, err := chain.OpenCheckpoint([]byte(note))
	if err == nil && chain.KeyAt(cp.Size) != vkey {
		err = fmt.Errorf("%w: the pinned checkpoint is not under the pinned key", evidence.ErrTampered)
	}
	if err != nil {
		return fmt.Errorf("checkpoint pin %s: %w", p, err)
	}
	size, err := a.db.TreeSize(ctx)
	if err != nil {
		return err
	}
	if err := custody.Consistent(cp, size, a.db.HashReader(ctx)); err != nil {
		return fmt.Errorf("%w (compared with the checkpoint pinned in %s; if you restored an older backup on purpose, move that file away)", err, p)
	}
	return nil
}

// pin records cp as the newest checkpoint seen, right after the commit it
// seals: if a later crash or damage silently drops committed transactions
// (a WAL frame that fails its checksum is discarded by SQLite), the archive
// no longer extends the pin and the loss is reported.
func (a *Archive) pin(cp custody.Checkpoint) {
	a.pinMu.Lock()
	defer a.pinMu.Unlock()
	if !a.pinFrozen {
		a.writePin(cp)
	}
}

// writePin records cp in the pin file, if it is newer than what is there.
func (a *Archive) writePin(cp custody.Checkpoint) {
	p := a.pinPath()
	if p == "" {
		return
	}
	if old, err := os.ReadFile(p); err == nil {
		if rest, ok := strings.CutPrefix(string(old), pinHeader); ok {
			if _, note, ok := strings.Cut(rest, "\n"); ok {
				if prev, err := a.OpenCheckpoint([]byte(note)); err == nil && prev.Size >= cp.Size {
					return
				}
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		a.log.Warn("cannot keep the checkpoint pin", "err", err)
		return
	}
	if err := writeFileAtomic(p, []byte(pinHeader+a.LogKeyChain().KeyAt(cp.Size)+"\n"+string(cp.Note))); err != nil {
		a.log.Warn("cannot keep the checkpoint pin", "err", err)
	}
}

// Checkpoint returns the archive's newest signed checkpoint.
func (a *Archive) Checkpoint(ctx context.Context) (custody.Checkpoint, error) {
	if err := a.allow(OpCheckpoint); err != nil {
		return custody.Checkpoint{}, err
	}
	_, note, err := a.db.LatestCheckpoint(ctx)
	if err != nil {
		return custody.Checkpoint{}, err
	}
	return a.OpenCheckpoint(note)
}

// LogKey is the public verifier key of the archive's checkpoints: the one
// in force (after a log key handover, the new one; LogKeyChain has all).
func (a *Archive) LogKey() string { return a.LogKeyChain().Current() }

// Origin is the checkpoint origin line of the archive.
func (a *Archive) Origin() string { return custody.Origin(a.cfg.ID) }

// LogEntry is a custody entry as shown to users.
type LogEntry struct {
	Seq         int64           `json:"seq"`
	Time        time.Time       `json:"time"`
	Actor       string          `json:"actor"`      // key ID
	ActorName   string          `json:"actor_name"` // the user's name
	Kind        string          `json:"kind"`
	Object      string          `json:"object"`
	Version     int             `json:"version,omitempty"`
	Digest      evidence.Digest `json:"digest"`
	SignatureOK bool            `json:"signature_ok"`
}

// Log calls fn for the custody entries about object (an item ID; "" for
// the whole archive), oldest first, each with its signature checked.
func (a *Archive) Log(ctx context.Context, object string, fn func(LogEntry) error) error {
	if err := a.allow(OpLog); err != nil {
		return err
	}
	users, err := a.db.Users(ctx)
	if err != nil {
		return err
	}
	byID := map[string]store.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return err
	}
	return a.db.EachCustody(ctx, object, func(r store.CustodyRow) error {
		e, err := custody.Unmarshal(r.Entry)
		if err != nil {
			return fmt.Errorf("custody entry %d: %w", r.Seq, err)
		}
		u, ok := byID[e.Actor]
		name := e.Actor
		if ok {
			name = u.Name
		}
		return fn(discloseAs(d, LogEntry{Seq: r.Seq, Time: e.Time, ActorName: name, Actor: e.Actor, Kind: e.Kind, Object: e.Object,
			Version: e.Version, Digest: e.Digest, SignatureOK: ok && e.Verify(u.SignPub, r.Sig)}))
	})
}
