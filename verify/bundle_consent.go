package verify

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"sori/internal/bundle"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
)

// Consent records in a bundle (docs/bundle.md, step 8): each
// data/consent/<id>/ holds a consent record with every version and its
// custody entries, checked as items' records are: versions numbered and
// chained, each matching its digest and naming this record, the current
// one about the testimony record.json names; every version has a "record"
// entry with that digest, each entry proven in the checkpoint; and the
// items it names are items of the bundle.

// consentDirs lists the consent record directories.
func (b *bagChecker) consentDirs() []string {
	seen := map[string]bool{}
	for p := range b.files {
		rest, ok := strings.CutPrefix(p, bundle.ConsentDir+"/")
		if !ok {
			continue
		}
		if id, _, ok := strings.Cut(rest, "/"); ok {
			seen[id] = true
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (b *bagChecker) checkConsent(name string, items []string) {
	dir := bundle.ConsentDir + "/" + name
	id, err := evidence.ParseID(name)
	if err != nil {
		b.add(KindBag, dir, "is not named by a record ID")
		return
	}
	cpath := dir + "/" + bundle.ConsentRecord
	data, err := b.read(cpath)
	if err != nil {
		return
	}
	b.used[cpath] = true
	var c bundle.ConsentFileJSON
	if err := strictJSON(data, &c); err != nil {
		b.add(KindRecord, cpath, "%v", err)
		return
	}
	if c.V != 1 || c.Record != id {
		b.add(KindRecord, cpath, "consent file version %d of record %s, in the directory of %s", c.V, c.Record, id)
	}
	if len(c.Items) == 0 {
		b.add(KindRecord, cpath, "names no item of the bundle")
	}
	for _, it := range c.Items {
		if !slices.Contains(items, it.String()) {
			b.add(KindMissing, cpath, "names item %s, which the bundle does not hold", it)
		}
	}
	if len(c.Versions) == 0 {
		b.add(KindMissing, cpath, "consent record has no version")
	}
	var prev *evidence.Digest
	for i, v := range c.Versions {
		b.r.Versions++
		obj := fmt.Sprintf("%s v%d", cpath, v.Version)
		if v.Version != i+1 {
			b.add(KindRecord, obj, "versions are not numbered 1, 2, 3 …")
		}
		if evidence.Sum([]byte(v.Record)) != v.Digest {
			b.add(KindRecord, obj, "record does not match its digest")
		}
		r, err := model.Unmarshal([]byte(v.Record))
		if err != nil {
			b.add(KindRecord, obj, "%v", err)
		} else if r.Kind != model.KindConsent || r.ID != id || r.Version != v.Version {
			b.add(KindRecord, obj, "record is %s %s version %d", r.Kind, r.ID, r.Version)
		} else if (prev == nil) != (r.Prev == nil) || (prev != nil && *prev != *r.Prev) {
			b.add(KindRecord, obj, "record does not chain to the digest of the version before")
		} else if i == len(c.Versions)-1 {
			body, err := model.DecodeBody(r)
			if cb, ok := body.(*model.Consent); err != nil || !ok || cb.Testimony != c.Testimony {
				b.add(KindRecord, obj, "the current version is not the consent of testimony %s", c.Testimony)
			}
		}
		d := v.Digest
		prev = &d
	}

	prefix, seqs := b.custodySeqs(dir)
	logged := map[int]bool{}
	for _, seq := range seqs {
		epath := prefix + strconv.FormatInt(seq, 10) + ".json"
		e, ok := b.checkEntry(epath, seq)
		if !ok {
			continue
		}
		switch {
		case e.Object != id.String() || e.Kind != custody.KindRecord:
			b.add(KindEntry, epath, "is a %s entry about %s, not a record entry of consent record %s", e.Kind, e.Object, id)
		case e.Version < 1 || e.Version > len(c.Versions):
			b.add(KindMissing, epath, "records version %d of the consent record, which the bundle does not hold", e.Version)
		case c.Versions[e.Version-1].Digest != e.Digest:
			b.add(KindEntry, epath, "records a different digest for version %d than record.json holds", e.Version)
		case b.content[epath] != (evidence.Digest{}):
			b.add(KindEntry, epath, "a record entry commits to no file, but its content digest is not zero")
		default:
			logged[e.Version] = true
		}
	}
	for _, v := range c.Versions {
		if !logged[v.Version] {
			b.add(KindMissing, fmt.Sprintf("%s v%d", cpath, v.Version), "record version has no custody entry in the bundle")
		}
	}
}
