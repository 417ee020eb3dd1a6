package archive

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzReadConfig(f *testing.F) {
	f.Add([]byte(`{"format":"sori-archive","version":1,"id":"0123456789abcdef0123456789abcdef","admin":"0123456789abcdef0123456789abcdef"}`))
	f.Add([]byte(`{"format":"sori-archive","version":2}`))
	f.Add([]byte("\xff\xfe"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, configFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := readConfig(dir)
		if err != nil {
			return
		}
		if cfg.Format != "sori-archive" || cfg.Version != FormatVersion || len(cfg.ID) != 32 || len(cfg.Admin) != 32 {
			t.Fatalf("accepted %+v", cfg)
		}
	})
}
