package bundle

import (
	"context"
	"errors"
	"fmt"

	"sori/internal/archive"
	"sori/internal/custody"
	"sori/internal/evidence"
)

// ProveSince proves that the log of a, as of checkpoint cp, extends the
// checkpoint old (one of a's, kept by someone): a consistency proof from
// old to cp, checked before it is returned.
func ProveSince(ctx context.Context, a *archive.Archive, old, cp custody.Checkpoint) (custody.ConsistencyProof, error) {
	if old.Size > cp.Size {
		return custody.ConsistencyProof{}, fmt.Errorf("%w: the checkpoint kept has %d entries but the log only %d: the archive was rolled back or replaced, or the checkpoint is of another copy", evidence.ErrTampered, old.Size, cp.Size)
	}
	hr := a.Inspect().HashReader(ctx)
	if err := custody.Consistent(old, cp.Size, hr); err != nil {
		return custody.ConsistencyProof{}, err
	}
	p, err := custody.ProveConsistency(old.Size, cp.Size, hr)
	if err != nil {
		return p, err
	}
	if err := p.Check(old, cp); err != nil {
		return p, err
	}
	return p, nil
}

// ExtrasFor returns the tag files every bundle of a at checkpoint cp
// carries when a has them: the newest time-stamped checkpoint at or before
// cp and the newest cosigned one, each with a consistency proof to cp.
func ExtrasFor(ctx context.Context, a *archive.Archive, cp custody.Checkpoint) (Extras, error) {
	var ex Extras
	ts, err := a.LatestTimestamp(ctx, cp.Size)
	switch {
	case errors.Is(err, evidence.ErrNotFound):
	case err != nil:
		return ex, err
	default:
		stamped, err := a.OpenCheckpoint(ts.Note)
		if err != nil {
			return ex, err
		}
		p, err := ProveSince(ctx, a, stamped, cp)
		if err != nil {
			return ex, err
		}
		ex.Timestamp = &Timestamp{Checkpoint: ts.Note, Token: ts.Token, Proof: p.Marshal()}
	}
	cosigned, note, err := a.LatestCosigned(ctx, cp.Size)
	switch {
	case errors.Is(err, evidence.ErrNotFound):
	case err != nil:
		return ex, err
	default:
		p, err := ProveSince(ctx, a, cosigned, cp)
		if err != nil {
			return ex, err
		}
		ex.Cosigned = &Cosigned{Checkpoint: note, Proof: p.Marshal()}
	}
	return ex, nil
}
