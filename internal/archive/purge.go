package archive

import (
	"context"
	"fmt"
	"strings"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// Purge (docs/protection.md, "Corrections"): an old version of a record or
// an item's record that holds what must not be kept — a real name typed
// into a description — has its body destroyed for good. Its digest stays,
// and with it the custody leaf that commits to it (a salted commitment:
// it reveals nothing) and the chain of the versions after it; a signed
// "purge" entry is its tombstone; verify accepts a purged version only with
// that entry. The current version cannot be purged: correct it first (a
// new version), then purge the old one.

// PurgeInfo is one purged version.
type PurgeInfo struct {
	Kind    string      `json:"kind"` // item or record
	ID      evidence.ID `json:"id"`
	Version int         `json:"version"`
	Reason  string      `json:"reason"`
}

// Purge destroys the body of version of the item or record ref, for
// reason (which MUST NOT quote what it destroys). It needs an admin who
// also holds protection.
func (a *Archive) Purge(ctx context.Context, ref string, version int, reason string) (PurgeInfo, error) {
	if err := a.allow(OpPurge); err != nil {
		return PurgeInfo{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 1000 || strings.ContainsAny(reason, "\n\r") {
		return PurgeInfo{}, fmt.Errorf("%w: give a reason of one line (it must not quote what is purged)", evidence.ErrInvalid)
	}
	id, item, err := a.ResolveAny(ctx, ref)
	if err != nil {
		return PurgeInfo{}, err
	}
	kind := "record"
	var digests []evidence.Digest
	if item {
		kind = "item"
		vs, err := a.db.Versions(ctx, id)
		if err != nil {
			return PurgeInfo{}, err
		}
		for _, v := range vs {
			digests = append(digests, v.Digest)
		}
	} else {
		rows, err := a.db.RecordVersions(ctx, id)
		if err != nil {
			return PurgeInfo{}, err
		}
		for _, r := range rows {
			digests = append(digests, r.Digest)
		}
	}
	switch {
	case version < 1 || version > len(digests):
		return PurgeInfo{}, fmt.Errorf("%w: %s %s has versions 1 to %d", evidence.ErrInvalid, kind, id, len(digests))
	case version == len(digests):
		return PurgeInfo{}, fmt.Errorf("%w: version %d is the current version of %s %s: correct it first (a new version), then purge this one", evidence.ErrInvalid, version, kind, id)
	}
	_, err = a.shreddingChange(ctx, OpPurge, func(tx store.Tx, log *logger) error {
		if err := tx.PurgeVersion(ctx, store.Purge{Kind: kind, ID: id, Version: version, Reason: reason, CreatedAt: log.now, Actor: a.me.ID}); err != nil {
			return err
		}
		return log.append(ctx, custody.KindPurge, id.String(), version, digests[version-1], evidence.Digest{})
	})
	if err != nil {
		return PurgeInfo{}, err
	}
	info := PurgeInfo{Kind: kind, ID: id, Version: version, Reason: reason}
	if err := store.TruncateWAL(ctx, a.db); err != nil {
		return info, fmt.Errorf("%s %s version %d is purged, but: %w", kind, id, version, err)
	}
	a.log.Info("version purged", "kind", kind, "id", id.String(), "version", version)
	return info, nil
}

// purgedBody reports whether a version row's body was purged (empty): its
// content is gone, and readers show only that it was there.
func purgedBody(b []byte) bool { return len(b) == 0 }
