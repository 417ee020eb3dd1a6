package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"sori/internal/evidence"
	"sori/internal/store"
)

func TestTimestampsAndLogWitnesses(t *testing.T) {
	db, path, key := newDB(t)
	ctx := context.Background()
	if _, err := db.LatestTimestamp(ctx, 100); !errors.Is(err, evidence.ErrNotFound) {
		t.Fatalf("empty: %v", err)
	}
	gen := time.Date(2026, 12, 7, 1, 2, 3, 500_000_000, time.UTC)
	for _, ts := range []store.Timestamp{
		{Size: 5, Note: []byte("n5"), TSA: "http://a/", GenTime: gen, Token: []byte("t5")},
		{Size: 9, Note: []byte("n9"), TSA: "http://a/", GenTime: gen, Token: []byte("t9a")},
		{Size: 9, Note: []byte("n9"), TSA: "http://b/", GenTime: gen, Token: []byte("t9b")},
		{Size: 20, Note: []byte("n20"), TSA: "http://a/", GenTime: gen, Token: []byte("t20")},
	} {
		if _, err := db.AddTimestamp(ctx, ts); err != nil {
			t.Fatal(err)
		}
	}
	for maxSize, want := range map[int64]string{4: "", 5: "t5", 19: "t9b", 20: "t20", 1 << 40: "t20"} {
		got, err := db.LatestTimestamp(ctx, maxSize)
		if want == "" {
			if !errors.Is(err, evidence.ErrNotFound) {
				t.Errorf("≤ %d: %v", maxSize, err)
			}
			continue
		}
		if err != nil || string(got.Token) != want || !got.GenTime.Equal(gen) {
			t.Errorf("≤ %d: %+v %v, want token %s", maxSize, got, err, want)
		}
	}
	if _, err := db.AddTimestamp(ctx, store.Timestamp{Size: 1, TSA: "x"}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("incomplete: %v", err)
	}

	w := store.LogWitness{Key: "w.example+01020304+AA==", URL: "http://w/", AddedAt: gen}
	if err := db.AddLogWitness(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := db.AddLogWitness(ctx, w); !errors.Is(err, evidence.ErrExists) {
		t.Errorf("twice: %v", err)
	}
	// Both survive a reopen.
	db.Close()
	db2, err := Open(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	ws, err := db2.LogWitnesses(ctx)
	if err != nil || len(ws) != 1 || ws[0].Key != w.Key || ws[0].URL != w.URL || !ws[0].AddedAt.Equal(gen) {
		t.Errorf("witnesses after reopen: %+v %v", ws, err)
	}
	if got, err := db2.LatestTimestamp(ctx, 9); err != nil || string(got.Token) != "t9b" {
		t.Errorf("after reopen: %v %v", got, err)
	}
}
