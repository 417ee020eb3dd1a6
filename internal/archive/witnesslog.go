package archive

import (
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
