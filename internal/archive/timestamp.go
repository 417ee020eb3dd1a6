package archive

import (
	"context"
	"fmt"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
	"sori/internal/tsa"
)

// CheckpointDigest is what an RFC 3161 time stamp of the checkpoint note
// stamps: SHA-256 of the note's signed text (docs/format.md "Checkpoint
// time stamps").
func CheckpointDigest(note []byte) ([32]byte, error) {
	text, err := custody.NoteText(note)
	if err != nil {
		return [32]byte{}, err
	}
	return tsa.Digest(text), nil
}

// AddTimestamp stores token, an RFC 3161 TimeStampToken from the TSA at
// tsaURL, for cp, a checkpoint of this archive. The token must parse and
// stamp the checkpoint (its imprint is CheckpointDigest of cp's note); its
// signature is not checked (the archive holds no TSA certificate). The
// token is kept inside the encrypted database; no custody entry is made.
func (a *Archive) AddTimestamp(ctx context.Context, cp custody.Checkpoint, tsaURL string, token []byte) (tsa.Info, error) {
	if err := a.allow(OpCheckpoint); err != nil {
		return tsa.Info{}, err
	}
	if _, err := a.OpenCheckpoint(cp.Note); err != nil {
		return tsa.Info{}, fmt.Errorf("%w: not a checkpoint of this archive", evidence.ErrInvalid)
	}
	tok, err := tsa.ParseToken(token)
	if err != nil {
		return tsa.Info{}, err
	}
	d, err := CheckpointDigest(cp.Note)
	if err != nil {
		return tsa.Info{}, err
	}
	if err := tok.Check(d, nil); err != nil {
		return tsa.Info{}, err
	}
	_, err = a.db.AddTimestamp(ctx, store.Timestamp{Size: cp.Size, Note: cp.Note, TSA: tsaURL, GenTime: tok.Info.GenTime, Token: token})
	return tok.Info, err
}

// LatestTimestamp returns the newest stored time stamp of a checkpoint of
// at most maxSize entries, or evidence.ErrNotFound.
func (a *Archive) LatestTimestamp(ctx context.Context, maxSize int64) (store.Timestamp, error) {
	if err := a.allow(OpCheckpoint); err != nil {
		return store.Timestamp{}, err
	}
	return a.db.LatestTimestamp(ctx, maxSize)
}
