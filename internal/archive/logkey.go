package archive

import (
	"context"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/internal/store"
)

// The log key chain (docs/format.md "Log key handover"). A removal of a
// user who held the log key hands the log over to a new key: the old key
// signs a handover note, kept with the others in meta.log_key_chain (the
// notes concatenated) and committed to by a "log-key" custody entry, and
// sori.json publishes the new key. The chain is the database's; sori.json
// follows it (a PostgreSQL rotation killed between its commit and the
// rewrite of sori.json is finished by the next open).

// metaLogChain is the meta key of the log key handover notes.
const metaLogChain = "log_key_chain"

// readChain reads and verifies the archive's log key chain through meta.
// Its first key is the first note's old key, or, with no handover yet,
// sori.json's; sori.json's key must be one of the chain's.
func readChain(ctx context.Context, cfg config, meta func(context.Context, string) (string, error)) (custody.KeyChain, error) {
	v, err := meta(ctx, metaLogChain)
	if err != nil {
		return custody.KeyChain{}, err
	}
	first := cfg.LogKey
	if v != "" {
		first = custody.FirstOfChain([]byte(v))
	}
	c, err := custody.ParseChain(custody.Origin(cfg.ID), first, []byte(v))
	if err != nil {
		return c, fmt.Errorf("the archive's log key chain: %w", err)
	}
	if !c.Has(cfg.LogKey) {
		return c, fmt.Errorf("%w: %s names a log key that is not among the archive's log keys", evidence.ErrTampered, configFile)
	}
	return c, nil
}

// settleLogKey is part of opening the store: the chain is read, and
// sori.json brought to its current key if a rotation left it behind.
func (r *repoState) settleLogKey(ctx context.Context, db store.DB) error {
	c, err := readChain(ctx, r.cfg, db.Meta)
	if err != nil {
		return err
	}
	if cur := c.Current(); cur != r.cfg.LogKey {
		cfg := r.cfg
		cfg.LogKey = cur
		cfg.Sum = cfg.checksum()
		// Read-only media keep the file as it is; the key in force is the
		// chain's either way.
		if err := writeFileAtomic(filepath.Join(r.dir, configFile), marshalConfig(cfg)); err != nil {
			r.log.Warn("sori.json names an earlier log key than the one in force and cannot be rewritten", "err", err)
		} else {
			r.log.Info("sori.json now names the log key in force (a log key handover had not reached it)")
		}
		r.cfg = cfg
	}
	r.chain = c
	return nil
}

// LogKeyChain is the archive's log key chain: the first key and every
// handover since.
func (a *Archive) LogKeyChain() custody.KeyChain {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.chain.Origin == "" { // the store not opened through acquire (Init)
		return custody.KeyChain{Origin: custody.Origin(a.cfg.ID), First: a.cfg.LogKey}
	}
	return a.chain
}

// OpenCheckpoint verifies a checkpoint of this archive under the log key in
// force at its size.
func (a *Archive) OpenCheckpoint(note []byte) (custody.Checkpoint, error) {
	return a.LogKeyChain().OpenCheckpoint(note)
}

// useCurrentLog makes the session sign with the log key in force: a
// keyring written by a rotation that did not commit (PostgreSQL), or a
// replica's keyring ahead of its database, holds it among its older keys.
func (a *Archive) useCurrentLog(display string) error {
	if a.ring.Log == "" {
		return nil
	}
	cur := a.LogKeyChain().Current()
	for _, sk := range append([]string{a.ring.Log}, a.ring.LogOld...) {
		if vk, err := custody.VerifierKey(sk); err == nil && vk == cur {
			a.ring.UseLog(sk)
			return nil
		}
	}
	return fmt.Errorf("%w: the keyring of %s does not hold the archive's log key in force (a keyring from before a key rotation?)", evidence.ErrLocked, display)
}

// losesLog: the target held the log key and will not.
func (c keyChange) losesLog() bool {
	return grantFor(c.target.Role).Log && (c.removal() || !grantFor(c.role).Log)
}

// handOver appends, in the rotation's transaction, the handover from this
// session's log key to next's: the note in meta.log_key_chain, the
// log-key entry, and the logger set to seal with the new key. It returns
// the new chain.
func (a *Archive) handOver(ctx context.Context, tx store.Tx, l *logger, next *seal.Keyring) (custody.KeyChain, error) {
	chain := a.LogKeyChain()
	newVkey, err := custody.VerifierKey(next.Log)
	if err != nil {
		return chain, err
	}
	// The log-key entry is at index l.size: the first checkpoint that
	// covers it is of size l.size+1, the new key's first.
	h, err := custody.SignHandover(a.ring.Log, custody.Origin(a.cfg.ID), l.size+1, newVkey)
	if err != nil {
		return chain, err
	}
	if chain, err = chain.Append(h.Note); err != nil {
		return chain, err
	}
	if err := tx.SetMeta(ctx, metaLogChain, string(chain.MarshalNotes())); err != nil {
		return chain, err
	}
	if err := l.append(ctx, custody.KindLogKey, a.cfg.ID, 0, h.Digest(), evidence.Digest{}); err != nil {
		return chain, err
	}
	l.signKey = next.Log
	return chain, nil
}

// rewrapNameNet wraps the stored name-net key again under next's log key
// (after a handover that did not replace the name-net key).
func (a *Archive) rewrapNameNet(ctx context.Context, tx store.Tx, next *seal.Keyring) error {
	v, err := tx.Meta(ctx, metaNameNet)
	if err != nil || v == "" {
		return err
	}
	wrapped, err := hex.DecodeString(v)
	if err != nil {
		return fmt.Errorf("%w: the stored name-net key is not hex", evidence.ErrDamaged)
	}
	key, err := a.ring.OpenNameNetKey(wrapped)
	if err != nil {
		return err
	}
	defer clear(key[:])
	if wrapped, err = next.WrapNameNetKey(key); err != nil {
		return err
	}
	return tx.SetMeta(ctx, metaNameNet, hex.EncodeToString(wrapped))
}

// configWithLogKey is cfg publishing vkey as the log key.
func configWithLogKey(cfg config, vkey string) config {
	cfg.LogKey = vkey
	cfg.Sum = cfg.checksum()
	return cfg
}

// setChain records the chain after a handover this session made (holding
// the archive lock exclusive, as the Repo's only session), with sori.json's
// key, which the rotation has published.
func (a *Archive) setChain(c custody.KeyChain) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.chain = c
	if cur := c.Current(); cur != a.cfg.LogKey {
		a.cfg = configWithLogKey(a.cfg, cur)
	}
}
