package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"sori/internal/bundle"
	"sori/internal/custody"
)

// KindConsistency: the bundle's checkpoint and one the holder kept are not
// of one append-only log, or the proof that they are is missing or wrong.
const KindConsistency = "consistency"

const hintFork = "the log that made this bundle does not extend the checkpoint you kept (or the reverse): the archive was rolled back, forked or replaced, or the proof was altered; keep both as they are and ask the archive why"

// checkConsistency checks the optional tag file ConsistencyFile and, when
// the caller kept a checkpoint (BundleOptions.Checkpoint), that the
// bundle's checkpoint and the kept one are of one log, the newer extending
// the older.
func (b *bagChecker) checkConsistency() {
	var carried *custody.ConsistencyProof
	if data, err := os.ReadFile(filepath.Join(b.root, bundle.ConsistencyFile)); err == nil {
		p, err := custody.ParseConsistency(data)
		switch {
		case err != nil:
			b.add(KindConsistency, bundle.ConsistencyFile, "%v", err)
		case b.cpOK && p.New != b.cp.Size:
			b.add(KindConsistency, bundle.ConsistencyFile, "the proof ends at %d entries, the bundle's checkpoint has %d", p.New, b.cp.Size)
		default:
			carried = &p
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		b.add(KindBag, bundle.ConsistencyFile, "cannot be read: %v", err)
	}
	if b.opt.Checkpoint == nil {
		if carried != nil {
			b.r.Notes = append(b.r.Notes, fmt.Sprintf("the bundle carries a consistency proof from a checkpoint of %d entries to its own; give that checkpoint (--checkpoint) to check that the log was only appended to", carried.Old))
		}
		return
	}
	if !b.cpOK {
		return // the bundle's checkpoint is already a finding
	}
	note, _, err := custody.SplitNote(b.opt.Checkpoint)
	if err == nil {
		err = canonicalNote(note)
	}
	var kept custody.Checkpoint
	if err == nil {
		kept, err = b.chain.OpenCheckpoint(note) // under the key in force at its size
	}
	if err != nil {
		b.r.add(KindConsistency, "checkpoint kept", "the checkpoint you gave is not one of this bundle's log (another archive or log key), or it was altered",
			"is not a checkpoint signed by %s: %v", b.origin, err)
		return
	}
	var proof *custody.ConsistencyProof
	if b.opt.Proof != nil {
		_, rest, err := custody.SplitNote(b.opt.Proof)
		if err != nil {
			rest = b.opt.Proof // a proof alone
		}
		p, err := custody.ParseConsistency(rest)
		if err != nil {
			b.r.add(KindConsistency, "proof given", hintFork, "%v", err)
			return
		}
		proof = &p
	} else if carried != nil && kept.Size < b.cp.Size {
		proof = carried
	}
	older, newer := kept, b.cp
	if kept.Size > b.cp.Size {
		older, newer = b.cp, kept
	}
	switch {
	case kept.Size == b.cp.Size:
		if kept.Hash != b.cp.Hash {
			b.r.add(KindConsistency, bundle.CheckpointFile, hintFork, "has %d entries like the checkpoint you kept, but another root hash: two different logs (a fork)", kept.Size)
			return
		}
	case proof == nil && kept.Size < b.cp.Size:
		b.r.add(KindMissing, bundle.ConsistencyFile, "ask the archive for an export made with --since and the checkpoint you kept, or for 'sori checkpoint --since' output (give it with --proof)",
			"no consistency proof from the checkpoint you kept (%d entries) to the bundle's (%d)", kept.Size, b.cp.Size)
		return
	case proof == nil:
		b.r.add(KindMissing, "proof", "the checkpoint you kept is newer than the bundle's: ask the archive for 'sori checkpoint --since' the bundle's data/checkpoint.txt and give it with --proof",
			"no consistency proof from the bundle's checkpoint (%d entries) to the one you kept (%d)", b.cp.Size, kept.Size)
		return
	default:
		if err := proof.Check(older, newer); err != nil {
			b.r.add(KindConsistency, "checkpoint kept", hintFork, "%v", err)
			return
		}
	}
	b.r.Consistency = fmt.Sprintf("%d %s ⊑ %d %s", older.Size, older.Hash, newer.Size, newer.Hash)
}
