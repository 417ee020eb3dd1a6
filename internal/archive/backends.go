package archive

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"sori/internal/blob"
	"sori/internal/blob/local"
	"sori/internal/blob/s3"
	"sori/internal/evidence"
	"sori/internal/store"
	"sori/internal/store/postgres"
	"sori/internal/store/sqlite"
)

// Where an archive keeps its metadata and its packs. An embedded archive
// keeps both in its directory (meta.db, blobs/). A shared one names them in
// sori.json: the metadata in PostgreSQL ("db": postgres://HOST/DB?…), the
// packs in an S3 bucket ("blobs": s3://BUCKET/PREFIX?endpoint=…); the
// directory then holds the configuration and the key files. Credentials
// never go in sori.json: PostgreSQL's come from PGPASSWORD or ~/.pgpass,
// S3's from the AWS environment variables or shared credentials file.

// checkBackends refuses backend URLs sori cannot use or must not store.
func checkBackends(db, blobs string) error {
	if db != "" {
		u, err := url.Parse(db)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return fmt.Errorf("the database must be a postgres://HOST[:PORT]/DB URL")
		}
		if _, has := u.User.Password(); has || u.Query().Has("password") {
			return fmt.Errorf("the database URL holds a password; give it through PGPASSWORD or ~/.pgpass instead, so that it is never stored in the archive")
		}
	}
	if blobs != "" {
		// The driver's own parser: credentials, unknown parameters and bad
		// bucket names are refused there.
		if _, err := s3.ParseURL(blobs); err != nil {
			return err
		}
	}
	return nil
}

// createStore makes the metadata store of a new archive.
func createStore(ctx context.Context, dir string, cfg config, key [32]byte) (store.DB, error) {
	if cfg.DB != "" {
		return postgres.Create(ctx, cfg.DB, key)
	}
	return sqlite.Create(ctx, filepath.Join(dir, dbFile), key)
}

// openStore opens the archive's metadata store under key.
func openStore(ctx context.Context, dir string, cfg config, key [32]byte, scan bool) (store.DB, error) {
	if cfg.DB != "" {
		return postgres.Open(ctx, cfg.DB, key)
	}
	return sqlite.OpenScan(ctx, filepath.Join(dir, dbFile), key, scan)
}

// openBlobs opens the archive's blob store.
func openBlobs(ctx context.Context, dir string, cfg config) (blob.Store, error) {
	if cfg.Blobs != "" {
		c, err := s3.ParseURL(cfg.Blobs)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", evidence.ErrDamaged, err)
		}
		return s3.New(ctx, c)
	}
	return local.Open(filepath.Join(dir, blobsDir))
}

// tempCleaner is a blob store that keeps unfinished objects of killed
// processes (a directory's temporary files) and can remove them.
type tempCleaner interface {
	CleanTemp(olderThan time.Duration) (int, error)
}
