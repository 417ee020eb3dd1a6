package replica

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
)

const testArchive = "0123456789abcdef0123456789abcdef"

func TestCursorRoundTrip(t *testing.T) {
	root := tlog.Hash{1, 2, 3}
	for _, c := range []Cursor{NewCursor(testArchive, 0, tlog.Hash{}), NewCursor(testArchive, 42, root)} {
		got, err := ParseCursor(c.Marshal())
		if err != nil || got != c {
			t.Errorf("round trip of %+v: %+v, %v", c, got, err)
		}
	}
	if NewCursor(testArchive, 42, root).RootHash() != root {
		t.Error("RootHash does not give the root back")
	}
}

func TestCursorRefuses(t *testing.T) {
	good := string(NewCursor(testArchive, 7, tlog.Hash{9}).Marshal())
	for name, s := range map[string]string{
		"empty":         "",
		"not json":      "{",
		"other format":  strings.Replace(good, "sori-replica", "sori-archive", 1),
		"version 2":     strings.Replace(good, `"version": 1`, `"version": 2`, 1),
		"short id":      strings.Replace(good, testArchive, testArchive[:30], 1),
		"upper id":      strings.Replace(good, testArchive, strings.ToUpper(testArchive), 1),
		"negative size": strings.Replace(good, `"size": 7`, `"size": -7`, 1),
		"root at 0":     strings.Replace(good, `"size": 7`, `"size": 0`, 1),
		"no root":       strings.Replace(good, `"root": "CQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="`, `"root": ""`, 1),
		"short root":    strings.Replace(good, `"root": "CQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="`, `"root": "CQAA"`, 1),
		"extra field":   strings.Replace(good, `"size"`, `"x": 1, "size"`, 1),
		"compact":       strings.ReplaceAll(strings.ReplaceAll(good, "\n", ""), "  ", ""),
		"no newline":    strings.TrimSuffix(good, "\n"),
		"trailing":      good + "{}",
	} {
		if _, err := ParseCursor([]byte(s)); !errors.Is(err, evidence.ErrDamaged) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !strings.Contains(good, `"root": "CQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="`) {
		t.Fatalf("fixture: %s", good)
	}
}

func FuzzParseCursor(f *testing.F) {
	f.Add(NewCursor(testArchive, 0, tlog.Hash{}).Marshal())
	f.Add(NewCursor(testArchive, 3, tlog.Hash{7}).Marshal())
	f.Add([]byte(`{"format":"sori-replica"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCursor(b)
		if err != nil {
			if !errors.Is(err, evidence.ErrDamaged) {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		if !bytes.Equal(c.Marshal(), b) {
			t.Fatalf("accepted %q, which marshals as %q", b, c.Marshal())
		}
		if c.Size > 0 && NewCursor(c.Archive, c.Size, c.RootHash()) != c {
			t.Fatalf("root does not round trip: %+v", c)
		}
	})
}

// TestClassifyUnfinishedFirstRun: a first run killed while writing its
// cursor leaves the lock files and the cursor's temporary file; the next
// run takes the directory for an empty replica. Anything else is refused.
func TestClassifyUnfinishedFirstRun(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"lock", "lock.gate", ".tmp-123456"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := classify(dir, "0123456789abcdef0123456789abcdef"); c != nil || err != nil {
		t.Fatalf("unfinished first run: %v, %v", c, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "meta.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := classify(dir, "0123456789abcdef0123456789abcdef"); err == nil {
		t.Fatal("a directory with other files was taken for an empty replica")
	}
}
