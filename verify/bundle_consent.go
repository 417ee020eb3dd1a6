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
// items it names are items of the bundle. Step 9: each consent's testimony
// record is in data/testimony/<tid>/, laid out and checked the same way,
// naming the same items, and its current version names each of them as
// its original or a translation (or the item's own current record names
// it a translation of one of those).

// recordDirs lists the record directories under root.
func (b *bagChecker) recordDirs(root string) []string {
	seen := map[string]bool{}
	for p := range b.files {
		rest, ok := strings.CutPrefix(p, root+"/")
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

// checkRecords runs steps 8 and 9 over the bundle's consent and testimony
// directories.
func (b *bagChecker) checkRecords(items []string) {
	consents := map[evidence.ID]bundle.ConsentFileJSON{} // by testimony
	for _, name := range b.recordDirs(bundle.ConsentDir) {
		if c, _, ok := b.checkRecord(bundle.ConsentDir, model.KindConsent, name, items); ok {
			consents[c.Testimony] = c
		}
	}
	seen := map[evidence.ID]bool{}
	for _, name := range b.recordDirs(bundle.TestimonyDir) {
		c, body, ok := b.checkRecord(bundle.TestimonyDir, model.KindTestimony, name, items)
		if !ok {
			continue
		}
		seen[c.Record] = true
		cpath := bundle.TestimonyDir + "/" + name + "/" + bundle.ConsentRecord
		cons, ok := consents[c.Record]
		if !ok {
			b.add(KindBag, cpath, "a testimony record that no consent record of the bundle is of")
		} else if !slices.Equal(cons.Items, c.Items) {
			b.add(KindRecord, cpath, "names items %v, its consent record %v", c.Items, cons.Items)
		}
		t, _ := body.(*model.Testimony)
		if t == nil {
			continue // checkRecord reported it
		}
		named := func(id evidence.ID) bool {
			return slices.Contains(t.Items(), id)
		}
		for _, it := range c.Items {
			if named(it) {
				continue
			}
			if of, ok := b.translationOf[it]; ok && named(of) {
				continue
			}
			b.add(KindRecord, cpath, "the testimony's current version does not name item %s as its original or a translation", it)
		}
	}
	for t := range consents {
		if !seen[t] {
			b.add(KindMissing, bundle.TestimonyDir+"/"+t.String(), "the testimony record of a consent record of the bundle is not in it")
		}
	}
}

// checkRecord checks one record directory under root, of a record of kind
// (consent or testimony): its file, versions and entries. It returns the
// file and the current version's body (nil if it cannot be read); false
// when the file itself cannot be read.
func (b *bagChecker) checkRecord(root, kind, name string, items []string) (bundle.ConsentFileJSON, model.Body, bool) {
	var c bundle.ConsentFileJSON
	var current model.Body
	dir := root + "/" + name
	id, err := evidence.ParseID(name)
	if err != nil {
		b.add(KindBag, dir, "is not named by a record ID")
		return c, nil, false
	}
	cpath := dir + "/" + bundle.ConsentRecord
	data, err := b.read(cpath)
	if err != nil {
		return c, nil, false
	}
	b.used[cpath] = true
	if err := strictJSON(data, &c); err != nil {
		b.add(KindRecord, cpath, "%v", err)
		return c, nil, false
	}
	if c.V != 1 || c.Record != id {
		b.add(KindRecord, cpath, "%s file version %d of record %s, in the directory of %s", kind, c.V, c.Record, id)
	}
	if kind == model.KindTestimony && c.Testimony != id {
		b.add(KindRecord, cpath, "a testimony's file names testimony %s, not itself", c.Testimony)
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
		b.add(KindMissing, cpath, "%s record has no version", kind)
	}
	var prev *evidence.Digest
	purged := map[int]bool{} // versions whose body was destroyed (sori purge)
	for i, v := range c.Versions {
		b.r.Versions++
		obj := fmt.Sprintf("%s v%d", cpath, v.Version)
		if v.Version != i+1 {
			b.add(KindRecord, obj, "versions are not numbered 1, 2, 3 …")
		}
		if v.Record == "" {
			purged[v.Version] = true
			if i == len(c.Versions)-1 {
				b.add(KindRecord, obj, "the current version has no body (only an older version can be purged)")
			}
			d := v.Digest
			prev = &d
			continue
		}
		if evidence.Sum([]byte(v.Record)) != v.Digest {
			b.add(KindRecord, obj, "record does not match its digest")
		}
		r, err := model.Unmarshal([]byte(v.Record))
		if err != nil {
			b.add(KindRecord, obj, "%v", err)
		} else if r.Kind != kind || r.ID != id || r.Version != v.Version {
			b.add(KindRecord, obj, "record is %s %s version %d", r.Kind, r.ID, r.Version)
		} else if (prev == nil) != (r.Prev == nil) || (prev != nil && *prev != *r.Prev) {
			b.add(KindRecord, obj, "record does not chain to the digest of the version before")
		} else if i == len(c.Versions)-1 {
			body, err := model.DecodeBody(r)
			if err != nil {
				b.add(KindRecord, obj, "%v", err)
			} else {
				current = body
			}
			if cb, ok := body.(*model.Consent); kind == model.KindConsent && (err != nil || !ok || cb.Testimony != c.Testimony) {
				b.add(KindRecord, obj, "the current version is not the consent of testimony %s", c.Testimony)
			}
		}
		d := v.Digest
		prev = &d
	}

	prefix, seqs := b.custodySeqs(dir)
	logged := map[int]bool{}
	purgeLogged := map[int]bool{}
	for _, seq := range seqs {
		epath := prefix + strconv.FormatInt(seq, 10) + ".json"
		e, ok := b.checkEntry(epath, seq)
		if !ok {
			continue
		}
		if e.Kind == custody.KindPurge && e.Object == id.String() {
			switch {
			case e.Version < 1 || e.Version > len(c.Versions) || !purged[e.Version]:
				b.add(KindEntry, epath, "a purge entry for version %d, whose body record.json still holds (or which it lacks)", e.Version)
			case c.Versions[e.Version-1].Digest != e.Digest:
				b.add(KindEntry, epath, "a purge entry with another digest for version %d than record.json holds", e.Version)
			default:
				purgeLogged[e.Version] = true
			}
			continue
		}
		switch {
		case e.Object != id.String() || e.Kind != custody.KindRecord:
			b.add(KindEntry, epath, "is a %s entry about %s, not a record entry of %s record %s", e.Kind, e.Object, kind, id)
		case e.Version < 1 || e.Version > len(c.Versions):
			b.add(KindMissing, epath, "records version %d of the %s record, which the bundle does not hold", e.Version, kind)
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
		if purged[v.Version] && !purgeLogged[v.Version] {
			b.add(KindRecord, fmt.Sprintf("%s v%d", cpath, v.Version), "the version has no body and no purge entry says it was purged")
		}
	}
	return c, current, true
}
