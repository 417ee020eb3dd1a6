package independent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// consentFile is data/consent/<id>/record.json (docs/bundle.md, Layout).
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
		Testimony string `json:"testimony"`
	} `json:"body"`
}

func (c *checker) consentDirs() []string {
	seen := map[string]bool{}
	for f := range c.files {
		if rest, ok := strings.CutPrefix(f, "data/consent/"); ok {
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

// step8 checks one consent record: its versions, its entries, its items.
func (c *checker) step8(id string, items []string) {
	dir := "data/consent/" + id + "/"
	c.expected[dir+"record.json"] = true
	var m consentFile
	if err := json.Unmarshal(c.read(dir+"record.json"), &m); err != nil {
		c.fail("%srecord.json: %v", dir, err)
		return
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
	for i, v := range m.Versions {
		sum := sha256.Sum256([]byte(v.Record))
		var r modelRecord
		err := json.Unmarshal([]byte(v.Record), &r)
		switch {
		case v.Version != i+1:
			c.fail("%srecord.json: versions are not numbered 1, 2, 3", dir)
		case hex.EncodeToString(sum[:]) != v.Digest:
			c.fail("%srecord.json: version %d: record does not match its digest", dir, v.Version)
		case err != nil || r.Kind != "consent" || r.ID != id || r.Version != v.Version:
			c.fail("%srecord.json: version %d: record is not this consent record and version", dir, v.Version)
		case (i == 0) != (r.Prev == nil) || (r.Prev != nil && *r.Prev != prev):
			c.fail("%srecord.json: version %d: prev is not the digest of the version before", dir, v.Version)
		case i == len(m.Versions)-1 && r.Body.Testimony != m.Testimony:
			c.fail("%srecord.json: the current version is not about testimony %s", dir, m.Testimony)
		}
		prev = v.Digest
	}
	// 8.3
	logged := map[int]bool{}
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
		if e.Object != id || e.Kind != "record" || e.Version < 1 || e.Version > len(m.Versions) ||
			e.Digest != m.Versions[e.Version-1].Digest || content != strings.Repeat("0", 64) {
			c.fail("%s: is not the record entry of a version of this consent record", f)
			continue
		}
		logged[e.Version] = true
	}
	for _, v := range m.Versions {
		if !logged[v.Version] {
			c.fail("%srecord.json: version %d has no custody entry", dir, v.Version)
		}
	}
}
