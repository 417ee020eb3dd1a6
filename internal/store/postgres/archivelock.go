package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"sori/internal/evidence"
)

// The archive lock on PostgreSQL (docs/format.md "Locks"): what the two
// lock files are to the embedded store, two session-level advisory locks
// are here, so that processes on other machines, sharing only the
// database, are ordered too.
//
//	lock  held shared by every process with the archive's store open (on
//	      one connection kept for it), exclusive by an archive-wide change
//	gate  held exclusive by a change from before it waits for lock until
//	      it is done; a store opening holds it shared only until it has
//	      lock, so that new sessions queue behind a waiting change
//
// A change lets go of its own shared lock first, takes the gate, then
// lock; nobody waits for the gate while holding lock, so nobody waits in a
// circle. Every wait is bounded; who cannot get a lock in time fails with
// evidence.ErrBusy, having changed nothing. The keys are derived from the
// archive's schema, like the writer lock's.

type archiveLock struct {
	mu   sync.Mutex
	conn *pgxpool.Conn // holds lock (shared, or exclusive during a change)
	lock int64
	gate int64
}

func lockKey(what, schema string) int64 {
	h := sha256.Sum256([]byte(what + "\x00" + schema))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// LockShared takes the archive lock shared, through the gate, waiting
// until deadline at most; it is held until Close. A second call does
// nothing.
func (db *DB) LockShared(ctx context.Context, deadline time.Time) error {
	l := &db.archive
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		return nil
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	if err := tryUntil(ctx, conn, `SELECT pg_try_advisory_lock_shared($1)`, l.gate, deadline); err != nil {
		conn.Release()
		return err
	}
	err = tryUntil(ctx, conn, `SELECT pg_try_advisory_lock_shared($1)`, l.lock, deadline)
	if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock_shared($1)`, l.gate); uerr != nil && err == nil {
		err = fmt.Errorf("PostgreSQL: %w", uerr)
	}
	if err != nil {
		conn.Release()
		return err
	}
	l.conn = conn
	return nil
}

// Exclusive runs fn holding the archive lock exclusive: no other process
// has the store open meanwhile. It waits until deadline at most, then
// fails with evidence.ErrBusy without calling fn. Afterwards the lock is
// held shared again. LockShared must have been called.
func (db *DB) Exclusive(ctx context.Context, deadline time.Time, fn func() error) error {
	l := &db.archive
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return fmt.Errorf("%w: an archive-wide change without the archive lock", evidence.ErrInvalid)
	}
	bg := context.WithoutCancel(ctx)
	c := l.conn
	if _, err := c.Exec(bg, `SELECT pg_advisory_unlock_shared($1)`, l.lock); err != nil {
		return db.dropLock(fmt.Errorf("PostgreSQL: %w", err))
	}
	err := func() error {
		if err := tryUntil(ctx, c, `SELECT pg_try_advisory_lock($1)`, l.gate, deadline); err != nil {
			return err
		}
		defer c.Exec(bg, `SELECT pg_advisory_unlock($1)`, l.gate)
		if err := tryUntil(ctx, c, `SELECT pg_try_advisory_lock($1)`, l.lock, deadline); err != nil {
			return err
		}
		defer c.Exec(bg, `SELECT pg_advisory_unlock($1)`, l.lock)
		return fn()
	}()
	// Shared again: nobody else can hold it exclusive without the gate,
	// which this connection held until now, so this wait is short.
	if serr := tryUntil(ctx, c, `SELECT pg_try_advisory_lock_shared($1)`, l.lock, time.Now().Add(time.Until(deadline)+time.Second)); serr != nil {
		return db.dropLock(serr)
	}
	return err
}

// dropLock gives the lock's connection back after a failure that leaves
// it in an unknown state (closing it ends every lock it held).
func (db *DB) dropLock(err error) error {
	l := &db.archive
	if l.conn != nil {
		l.conn.Conn().Close(context.Background())
		l.conn.Release()
		l.conn = nil
	}
	return err
}

// releaseArchiveLock lets the archive lock go (Close).
func (db *DB) releaseArchiveLock() {
	l := &db.archive
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return
	}
	// Closing the connection ends its session, and with it every advisory
	// lock it held, whatever state it is in.
	l.conn.Conn().Close(context.Background())
	l.conn.Release()
	l.conn = nil
}

// tryUntil runs query (a pg_try_advisory_lock… of key) on conn until it
// reports true, pausing between tries, and fails with evidence.ErrBusy at
// deadline.
func tryUntil(ctx context.Context, conn *pgxpool.Conn, query string, key int64, deadline time.Time) error {
	pause := 2 * time.Millisecond
	for {
		var ok bool
		if err := conn.QueryRow(ctx, query, key).Scan(&ok); err != nil {
			return fmt.Errorf("PostgreSQL: %w", err)
		}
		if ok {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("%w: another sori process holds the archive lock in PostgreSQL", evidence.ErrBusy)
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}
