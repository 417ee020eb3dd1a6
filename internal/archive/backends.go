package archive

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"sori/internal/blob"
	"sori/internal/blob/local"
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
		u, err := url.Parse(blobs)
		if err != nil || u.Scheme != "s3" || u.Host == "" {
			return fmt.Errorf("the blob store must be an s3://BUCKET[/PREFIX][?endpoint=HOST:PORT] URL")
		}
		if u.User != nil {
			return fmt.Errorf("the blob store URL holds credentials; give them through AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the shared credentials file instead")
		}
		for k := range u.Query() {
			if l := strings.ToLower(k); strings.Contains(l, "secret") || strings.Contains(l, "key") || strings.Contains(l, "token") {
				return fmt.Errorf("the blob store URL holds %q; credentials come from the environment, never from the archive", k)
			}
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
func openStore(ctx context.Context, dir string, cfg config, key [32]byte) (store.DB, error) {
	if cfg.DB != "" {
		return postgres.Open(ctx, cfg.DB, key)
	}
	return sqlite.Open(ctx, filepath.Join(dir, dbFile), key)
}

// openBlobs opens the archive's blob store.
func openBlobs(ctx context.Context, dir string, cfg config) (blob.Store, error) {
	if cfg.Blobs != "" {
		return nil, errNoDriver("S3")
	}
	return local.Open(filepath.Join(dir, blobsDir))
}

func errNoDriver(what string) error {
	return fmt.Errorf("%w: this archive keeps its data in %s, which this build of sori cannot reach", evidence.ErrInvalid, what)
}

// tempCleaner is a blob store that keeps unfinished objects of killed
// processes (a directory's temporary files) and can remove them.
type tempCleaner interface {
	CleanTemp(olderThan time.Duration) (int, error)
}
