package postgres

import (
	"context"
	"fmt"
)

// sori's tables and functions in an archive's schema (migrations/), for
// Drop.
const (
	archiveTables = `schema_migrations, meta, content_gen, users, items, item_versions, records, custody, tlog_hashes,
		checkpoints, vault, vault_names, purged, timestamps, log_witnesses, cosignatures, search_docs, search_segs,
		search_terms, search_dict, search_dead, search_links, search_state, search_queue, item_keys`
	archiveFunctions = `sori_immutable(), sori_purge_only_versions(), sori_purge_only_records(), sori_current_gen(),
		sori_resealing(jsonb, jsonb, text[])`
)

// Drop removes every table and function of the archive in db's schema, in
// one transaction under the writer lock, and closes db. It is for a copy
// that was never finished (sori migrate discards it before starting
// again): the caller MUST have checked that the schema holds such a copy
// of its own archive, opened under its key, and nothing else. Evidence
// rows are never deleted one by one; the copy goes as a whole.
func (db *DB) Drop(ctx context.Context) error {
	defer db.Close()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, db.lock); err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+archiveTables+` CASCADE`); err != nil {
		return fmt.Errorf("PostgreSQL: dropping an unfinished copy: %w", err)
	}
	if _, err := tx.Exec(ctx, `DROP FUNCTION IF EXISTS `+archiveFunctions); err != nil {
		return fmt.Errorf("PostgreSQL: dropping an unfinished copy: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	return nil
}
