package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"

	"sori/internal/store"
	"sori/internal/store/storetest"
	"sori/internal/testenv"
)

// scratch makes a schema of its own for one test (dropped after it) and
// returns the URL that selects it.
func scratch(t *testing.T) string {
	t.Helper()
	base := testenv.Postgres(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "sori_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

var testKey = [32]byte{9, 9, 9}

func create(t *testing.T, u string) *DB {
	t.Helper()
	db, err := Create(t.Context(), u, testKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.DB { return create(t, scratch(t)) })
}

// TestConformanceTwoHandles opens one archive through two pools, as two
// processes do.
func TestConformanceTwoHandles(t *testing.T) {
	t.Parallel()
	storetest.RunShared(t, func(t *testing.T) (store.DB, store.DB) {
		u := scratch(t)
		a := create(t, u)
		b, err := Open(t.Context(), u, testKey)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return a, b
	})
}
