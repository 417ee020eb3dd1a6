package archive

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/evidence"
)

// TestBackendURLs: sori.json never stores a credential; a URL that holds
// one, or that sori cannot use, is refused before anything is created.
func TestBackendURLs(t *testing.T) {
	for _, c := range []struct {
		db, blobs string
		ok        bool
		says      string
	}{
		{"", "", true, ""},
		{"postgres://sori@db.example:5432/sori?sslmode=verify-full", "s3://bucket/prefix?endpoint=s3.example:9000", true, ""},
		{"postgres://sori:hunter2@db.example/sori", "", false, "PGPASSWORD"},
		{"postgres://db.example/sori?password=hunter2", "", false, "PGPASSWORD"},
		{"mysql://db.example/sori", "", false, "postgres://"},
		{"postgres:///sori", "", false, "postgres://"},
		{"", "s3://AKIA:secret@bucket/p", false, "AWS_ACCESS_KEY_ID"},
		{"", "s3://bucket/p?secret_key=x", false, "secret_key"},
		{"", "http://bucket/p", false, "s3://"},
	} {
		err := checkBackends(c.db, c.blobs)
		if (err == nil) != c.ok || (err != nil && !strings.Contains(err.Error(), c.says)) {
			t.Errorf("db %q blobs %q: %v", c.db, c.blobs, err)
		}
		if c.ok {
			continue
		}
		dir := filepath.Join(t.TempDir(), "a")
		if _, err := Init(t.Context(), dir, "kim", testPass, Options{WorkFactor: 10, DB: c.db, Blobs: c.blobs}); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("init with db %q blobs %q: %v", c.db, c.blobs, err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("init with db %q blobs %q left %s behind", c.db, c.blobs, dir)
		}
	}
}
