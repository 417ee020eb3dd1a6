package sqlite

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"sori/internal/evidence"
	"sori/internal/store"
)

// TestVaultNames: hashed names belong to an entry, are listed, and go
// with it on withdrawal, leaving no page that holds them.
func TestVaultNames(t *testing.T) {
	db, path, key := newDB(t)
	ctx := context.Background()
	if has, err := db.HasVaultNames(ctx); err != nil || has {
		t.Fatalf("new database: HasVaultNames = %v, %v", has, err)
	}
	tx, _ := db.Begin(ctx)
	if err := tx.InsertUser(ctx, store.User{ID: "u1", Name: "kim", Role: "protection", Recipient: "age1x", SignPub: []byte{1}, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var names []store.VaultName
	for i := range 3 {
		var n store.VaultName
		rand.Read(n.Hash[:])
		n.Given = i == 2
		names = append(names, n)
	}
	if err := tx.InsertVaultNames(ctx, "no-such-entry", names[:1]); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("names of an unknown entry: %v", err)
	}
	for i, id := range []string{"00000000000000000000000000000001", "00000000000000000000000000000002"} {
		r := store.VaultRow{Pseudonym: []string{"W-1", "W-2"}[i], ID: id, Wrapped: []byte{1}, Entry: []byte{2}, CreatedAt: time.Now(), CreatedBy: "u1"}
		if err := tx.InsertVault(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.InsertVaultNames(ctx, "00000000000000000000000000000001", []store.VaultName{names[0], names[1], names[0]}); err != nil {
		t.Fatal(err)
	}
	if err := tx.InsertVaultNames(ctx, "00000000000000000000000000000002", names[2:]); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := db.VaultNames(ctx)
	if err != nil || len(got["00000000000000000000000000000001"]) != 2 || len(got["00000000000000000000000000000002"]) != 1 || !got["00000000000000000000000000000002"][0].Given {
		t.Fatalf("VaultNames = %v, %v", got, err)
	}
	if !pagesHold(t, path, key, names[1].Hash[:]) {
		t.Fatal("the page scan does not see a stored hash")
	}
	tx, _ = db.BeginShredding(ctx)
	if _, err := tx.WithdrawVault(ctx, "W-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.TruncateWAL(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = db.VaultNames(ctx)
	// A withdrawal keeps the entry's hashes: the name stays masked.
	if err != nil || len(got) != 2 || len(got["00000000000000000000000000000001"]) != 2 || len(got["00000000000000000000000000000002"]) != 1 {
		t.Fatalf("after withdrawing W-1: %v, %v", got, err)
	}
	if has, err := db.HasVaultNames(ctx); err != nil || !has {
		t.Fatalf("HasVaultNames = %v, %v", has, err)
	}
}

// TestVaultNamesGained: a database made before the table gains it on open.
func TestVaultNamesGained(t *testing.T) {
	db, path, key := newDB(t)
	ctx := context.Background()
	if _, err := db.sql.ExecContext(ctx, `DROP TABLE vault_names`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := Open(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if has, err := db2.HasVaultNames(ctx); err != nil || has {
		t.Fatalf("HasVaultNames after open = %v, %v", has, err)
	}
}
