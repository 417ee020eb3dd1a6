package sqlite

import (
	"context"
	"errors"
	"fmt"
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

func TestCosignatures(t *testing.T) {
	db, path, key := newDB(t)
	ctx := context.Background()
	if got, err := db.LatestCosignatures(ctx, 100); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
	at := time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC)
	for _, c := range []store.Cosignature{
		{Size: 5, Note: []byte("n5"), Key: "w2", Line: "l5-w2", CosignedAt: at},
		{Size: 5, Note: []byte("n5"), Key: "w1", Line: "l5-w1", CosignedAt: at},
		{Size: 9, Note: []byte("n9"), Key: "w1", Line: "l9-w1a", CosignedAt: at},
		{Size: 9, Note: []byte("n9"), Key: "w1", Line: "l9-w1b", CosignedAt: at.Add(time.Minute)},
		{Size: 12, Note: []byte("n12"), Key: "w2", Line: "l12-w2", CosignedAt: at},
	} {
		if err := db.AddCosignature(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	lines := func(cs []store.Cosignature) (s []string) {
		for _, c := range cs {
			s = append(s, string(c.Note)+":"+c.Key+":"+c.Line)
		}
		return s
	}
	for maxSize, want := range map[int64]string{
		4:  "[]",
		5:  "[n5:w1:l5-w1 n5:w2:l5-w2]",
		11: "[n9:w1:l9-w1b]",
		99: "[n12:w2:l12-w2]",
	} {
		got, err := db.LatestCosignatures(ctx, maxSize)
		if err != nil || fmt.Sprint(lines(got)) != want {
			t.Errorf("LatestCosignatures(%d) = %v, %v; want %s", maxSize, lines(got), err, want)
		}
	}
	if err := db.AddCosignature(ctx, store.Cosignature{Size: 3, Key: "w"}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("incomplete: %v", err)
	}
	db.Close()
	db2, err := Open(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if got, err := db2.LatestCosignatures(ctx, 5); err != nil || len(got) != 2 || !got[0].CosignedAt.Equal(at) {
		t.Errorf("after reopen: %v %v", got, err)
	}
}
