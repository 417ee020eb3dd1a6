package verify

import (
	"encoding/hex"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"

	"sori/internal/bundle"
)

var manifestLine = regexp.MustCompile(`^([0-9a-f]+) +(\S.*)$`)

// manifests are the four manifests of a bag: payload or tag, SHA-256 or
// SHA-512.
var manifests = []struct {
	name     string
	payload  bool
	sha512   bool
	hexDigit int
}{
	{bundle.ManifestFile, true, false, 64},
	{bundle.ManifestSHA512File, true, true, 128},
	{bundle.TagManifestFile, false, false, 64},
	{bundle.TagManifestSHA512File, false, true, 128},
}

// isTagManifest reports whether p is one of the tag manifests, which list
// every other file outside data/ but not each other.
func isTagManifest(p string) bool {
	return p == bundle.TagManifestFile || p == bundle.TagManifestSHA512File
}

// checkManifests checks the four manifests: every listed file exists and
// hashes right, and every file is listed (the payload manifests list all
// of data/, the tag manifests every other file but the tag manifests).
func (b *bagChecker) checkManifests() {
	for _, mf := range manifests {
		m := mf.name
		data, err := b.read(m)
		if err != nil {
			continue
		}
		listed := map[string]bool{}
		for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			g := manifestLine.FindStringSubmatch(line)
			if g == nil || len(g[1]) != mf.hexDigit {
				b.add(KindBag, fmt.Sprintf("%s:%d", m, i+1), "is not a line \"<%d hex digits>  <path>\"", mf.hexDigit)
				continue
			}
			p := g[2]
			switch {
			case listed[p]:
				b.add(KindBag, m, "lists %s twice", p)
				continue
			case mf.payload != strings.HasPrefix(p, "data/") || isTagManifest(p) || !fs.ValidPath(p):
				b.add(KindBag, m, "lists %s, which does not belong in it", p)
				continue
			}
			listed[p] = true
			if _, ok := b.files[p]; !ok {
				b.add(KindMissing, p, "is listed in %s but missing", m)
				continue
			}
			if _, ok := b.sums[p]; !ok {
				s256, s512, err := fileSums(filepath.Join(b.root, filepath.FromSlash(p)))
				if err != nil {
					b.add(KindBag, p, "cannot be read: %v", err)
					continue
				}
				b.sums[p], b.sums512[p] = s256, s512
			}
			sum := b.sums[p]
			if mf.sha512 {
				sum = b.sums512[p]
			}
			if hex.EncodeToString(sum) != g[1] {
				b.add(KindBag, p, "digest differs from %s", m)
			}
		}
		for p := range b.files {
			if !isTagManifest(p) && mf.payload == strings.HasPrefix(p, "data/") && !listed[p] {
				b.add(KindBag, p, "is not listed in %s", m)
			}
		}
		if !mf.payload {
			for _, p := range []string{bundle.BagItFile, bundle.BagInfoFile, bundle.ManifestFile, bundle.ManifestSHA512File, bundle.SpecFile} {
				if !listed[p] {
					b.add(KindBag, m, "does not list %s", p)
				}
			}
		}
	}
	if _, ok := b.files[bundle.SpecFile]; !ok {
		b.add(KindMissing, bundle.SpecFile, "the bundle's specification is missing")
	}
}
