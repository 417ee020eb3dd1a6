package main

import "testing"

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "512": 512, "4k": 4 << 10, "500M": 500 << 20, "2G": 2 << 30, "2GiB": 2 << 30, "8gb": 8 << 30, "1T": 1 << 40} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "G", "1.5G", "12X", "99999999999T"} {
		if n, err := parseByteSize(in); err == nil {
			t.Errorf("parseByteSize(%q) = %d, want an error", in, n)
		}
	}
}

func TestServeRefusesBadMaxUpload(t *testing.T) {
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	if code, _, errs := c.run("", "serve", "--max-upload", "lots"); code != exitUsage {
		t.Errorf("sori serve --max-upload lots: exit %d, want %d\n%s", code, exitUsage, errs)
	}
}
