package archive

import (
	"bytes"
	"context"
	"fmt"
	"net/url"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// AddLogWitness configures a witness (C2SP tlog-witness) that 'sori
// checkpoint --cosign' asks to cosign checkpoints: rawURL is its base URL
// (http or https), vkey its verifier key. Admins only; a key configured
// already is evidence.ErrExists.
func (a *Archive) AddLogWitness(ctx context.Context, rawURL, vkey string) (store.LogWitness, error) {
	if err := a.allow(OpWitnessLog); err != nil {
		return store.LogWitness{}, err
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return store.LogWitness{}, fmt.Errorf("%w: witness URL %q is not an http or https URL without credentials, query or fragment", evidence.ErrInvalid, rawURL)
	}
	if _, err := custody.ParseWitnessKey(vkey); err != nil {
		return store.LogWitness{}, err
	}
	w := store.LogWitness{Key: vkey, URL: u.String(), AddedAt: a.now()}
	return w, a.db.AddLogWitness(ctx, w)
}

// LogWitnesses lists the configured witnesses.
func (a *Archive) LogWitnesses(ctx context.Context) ([]store.LogWitness, error) {
	if err := a.allow(OpCheckpoint); err != nil {
		return nil, err
	}
	return a.db.LogWitnesses(ctx)
}

// AddCosignature keeps c, the cosignature that the configured witness
// with verifier key vkey returned for cp, a checkpoint of this archive, so
// that later exports carry it. Both are checked again here: cp against the
// log's key, c's line against the witness's key.
func (a *Archive) AddCosignature(ctx context.Context, cp custody.Checkpoint, vkey string, c custody.Cosignature) error {
	if err := a.allow(OpCheckpoint); err != nil {
		return err
	}
	if _, err := a.OpenCheckpoint(cp.Note); err != nil {
		return fmt.Errorf("%w: not a checkpoint of this archive", evidence.ErrInvalid)
	}
	key, err := custody.ParseWitnessKey(vkey)
	if err != nil {
		return err
	}
	checked, err := custody.CheckCosignature(cp.Note, []byte(c.Line), key)
	if err != nil {
		return err
	}
	return a.db.AddCosignature(ctx, store.Cosignature{Size: cp.Size, Note: cp.Note, Key: vkey, Line: checked.Line, CosignedAt: checked.Time})
}

// LatestCosigned returns the largest checkpoint of at most maxSize entries
// that witnesses cosigned, as a signed note carrying the log's signature
// and then every such witness's cosignature line (sorted by witness key),
// or evidence.ErrNotFound.
func (a *Archive) LatestCosigned(ctx context.Context, maxSize int64) (custody.Checkpoint, []byte, error) {
	if err := a.allow(OpCheckpoint); err != nil {
		return custody.Checkpoint{}, nil, err
	}
	cs, err := a.db.LatestCosignatures(ctx, maxSize)
	if err != nil {
		return custody.Checkpoint{}, nil, err
	}
	if len(cs) == 0 {
		return custody.Checkpoint{}, nil, fmt.Errorf("%w: no cosigned checkpoint", evidence.ErrNotFound)
	}
	cp, err := a.OpenCheckpoint(cs[0].Note)
	if err != nil {
		return custody.Checkpoint{}, nil, err
	}
	// Checked again on the way out: the database's encryption does not
	// authenticate its pages, and a bundle must not carry a line that its
	// holder's verifier would refuse.
	note := bytes.Clone(cp.Note)
	for _, c := range cs {
		key, err := custody.ParseWitnessKey(c.Key)
		if err == nil {
			_, err = custody.CheckCosignature(cp.Note, []byte(c.Line), key)
		}
		if err != nil {
			return custody.Checkpoint{}, nil, fmt.Errorf("%w: the stored cosignature of witness %s: %v", evidence.ErrTampered, custody.VerifierName(c.Key), err)
		}
		note = append(note, c.Line...)
	}
	return cp, note, nil
}
