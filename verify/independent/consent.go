package independent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// consentFile is data/consent/<id>/record.json, and data/testimony/<id>/
// record.json (docs/bundle.md, Layout).
type consentFile struct {
	V         int      `json:"v"`
	Record    string   `json:"record"`
	Testimony string   `json:"testimony"`
	Items     []string `json:"items"`
	Versions  []struct {
		Version int    `json:"version"`
		Record  string `json:"record"`
		Digest  string `json:"digest"`
	} `json:"versions"`
}

// modelRecord is the part of a model record step 8.2 reads.
type modelRecord struct {
	Kind    string  `json:"kind"`
	ID      string  `json:"id"`
	Version int     `json:"version"`
	Prev    *string `json:"prev"`
	Body    struct {
		Testimony    string   `json:"testimony"`
		Original     string   `json:"original"`
		Originals    []string `json:"originals"`
		Translations []string `json:"translations"`
	} `json:"body"`
}

// recordDirs lists the directories under data/<kind>/ (consent, testimony).
func (c *checker) recordDirs(kind string) []string {
	seen := map[string]bool{}
	for f := range c.files {
		if rest, ok := strings.CutPrefix(f, "data/"+kind+"/"); ok {
			if id, _, ok := strings.Cut(rest, "/"); ok {
				seen[id] = true
			}
		}
	}
	var ids []string
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// step8 checks one consent record (kind "consent"), or for step 9 one
// testimony record (kind "testimony"): its versions, its entries, its
// items. It returns the file and its newest version's record.
func (c *checker) step8(kind, id string, items []string) (consentFile, modelRecord, bool) {
	dir := "data/" + kind + "/" + id + "/"
	c.expected[dir+"record.json"] = true
	var m consentFile
	var newest modelRecord
	if err := json.Unmarshal(c.read(dir+"record.json"), &m); err != nil {
		c.fail("%srecord.json: %v", dir, err)
		return m, newest, false
	}
	if kind == "testimony" && m.Testimony != id {
		c.fail("%srecord.json: testimony is %q", dir, m.Testimony)
	}
	// 8.1
	if m.V != 1 || m.Record != id {
		c.fail("%srecord.json: record is %q", dir, m.Record)
	}
	if len(m.Items) == 0 {
		c.fail("%srecord.json: no items", dir)
	}
	for _, it := range m.Items {
		if i := sort.SearchStrings(items, it); i == len(items) || items[i] != it {
			c.fail("%srecord.json: item %s is not in the bundle", dir, it)
		}
	}
	// 8.2
	if len(m.Versions) == 0 {
		c.fail("%srecord.json: no versions", dir)
	}
	prev := ""
	purged := map[int]bool{} // versions whose body was destroyed (sori purge)
	for i, v := range m.Versions {
		if v.Record == "" {
			purged[v.Version] = true
			if v.Version != i+1 || i == len(m.Versions)-1 {
				c.fail("%srecord.json: version %d: no body (only an older version, numbered in order, may be purged)", dir, v.Version)
			}
			prev = v.Digest
			continue
		}
		sum := sha256.Sum256([]byte(v.Record))
		var r modelRecord
		err := json.Unmarshal([]byte(v.Record), &r)
		switch {
		case v.Version != i+1:
			c.fail("%srecord.json: versions are not numbered 1, 2, 3", dir)
		case hex.EncodeToString(sum[:]) != v.Digest:
			c.fail("%srecord.json: version %d: record does not match its digest", dir, v.Version)
		case err != nil || r.Kind != kind || r.ID != id || r.Version != v.Version:
			c.fail("%srecord.json: version %d: record is not this %s record and version", dir, v.Version, kind)
		case (i == 0) != (r.Prev == nil) || (r.Prev != nil && *r.Prev != prev):
			c.fail("%srecord.json: version %d: prev is not the digest of the version before", dir, v.Version)
		case i == len(m.Versions)-1 && kind == "consent" && r.Body.Testimony != m.Testimony:
			c.fail("%srecord.json: the current version is not about testimony %s", dir, m.Testimony)
		}
		if i == len(m.Versions)-1 {
			newest = r
		}
		prev = v.Digest
	}
	// 8.3
	logged := map[int]bool{}
	purgeLogged := map[int]bool{}
	for f := range c.files {
		s, ok := strings.CutPrefix(f, dir+"custody/")
		if !ok || !strings.HasSuffix(s, ".json") {
			continue
		}
		e, content, ok := c.step4(f)
		if !ok {
			continue
		}
		if strconv.FormatInt(e.Seq, 10)+".json" != s {
			c.fail("%s: entry seq %d differs from the file name", f, e.Seq)
		}
		if e.Kind == "purge" && e.Object == id && e.Version >= 1 && e.Version <= len(m.Versions) && purged[e.Version] &&
			e.Digest == m.Versions[e.Version-1].Digest && content == strings.Repeat("0", 64) {
			purgeLogged[e.Version] = true
			continue
		}
		if e.Object != id || e.Kind != "record" || e.Version < 1 || e.Version > len(m.Versions) ||
			e.Digest != m.Versions[e.Version-1].Digest || content != strings.Repeat("0", 64) {
			c.fail("%s: is not the record entry of a version of this %s record", f, kind)
			continue
		}
		logged[e.Version] = true
	}
	for _, v := range m.Versions {
		if !logged[v.Version] {
			c.fail("%srecord.json: version %d has no custody entry", dir, v.Version)
		}
		if purged[v.Version] && !purgeLogged[v.Version] {
			c.fail("%srecord.json: version %d has no body and no purge entry", dir, v.Version)
		}
	}
	return m, newest, true
}

// step9 checks the testimony record of each consent record.
func (c *checker) step9(consents map[string]consentFile, items []string) {
	for _, tid := range c.recordDirs("testimony") {
		if _, ok := consents[tid]; !ok {
			c.fail("data/testimony/%s/: no consent record of the bundle is of this testimony", tid)
		}
	}
	for tid, cons := range consents {
		dir := "data/testimony/" + tid + "/"
		if !c.files[dir+"record.json"] {
			c.fail("%srecord.json: missing (the testimony of consent record %s)", dir, cons.Record)
			continue
		}
		m, newest, ok := c.step8("testimony", tid, items)
		if !ok {
			continue
		}
		// 9.4
		if strings.Join(m.Items, ",") != strings.Join(cons.Items, ",") {
			c.fail("%srecord.json: items differ from its consent record's", dir)
		}
		// 9.5
		named := func(id string) bool {
			return id != "" && (newest.Body.Original == id || slices.Contains(newest.Body.Originals, id) || slices.Contains(newest.Body.Translations, id))
		}
		for _, it := range m.Items {
			if !named(it) && !named(c.translationOf(it)) {
				c.fail("%srecord.json: the newest version does not name item %s as its original or a translation", dir, it)
			}
		}
	}
}

// translationOf is the translation_of of an item's newest record ("" if none).
func (c *checker) translationOf(item string) string {
	var m struct {
		Versions []struct {
			Record string `json:"record"`
		} `json:"versions"`
	}
	if json.Unmarshal(c.read("data/items/"+item+"/metadata.json"), &m) != nil || len(m.Versions) == 0 {
		return ""
	}
	var r struct {
		TranslationOf string `json:"translation_of"`
	}
	if json.Unmarshal([]byte(m.Versions[len(m.Versions)-1].Record), &r) != nil {
		return ""
	}
	return r.TranslationOf
}
