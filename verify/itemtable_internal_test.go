package verify

import (
	"testing"

	"sori/internal/evidence"
)

// TestItemTable: items sorted by ID are found by binary search, whatever
// order they were listed in; a missing ID is not found; an item's versions
// are its own, and marking one logged marks the table's.
func TestItemTable(t *testing.T) {
	var tab itemTable
	ids := []evidence.ID{{9}, {1}, {5}, {3}}
	for k, id := range ids {
		tab.ids = append(tab.ids, id)
		tab.items = append(tab.items, verItem{size: int64(k)})
	}
	tab.sortByID()
	for k, id := range ids {
		i, ok := tab.find(id)
		if !ok || tab.items[i].size != int64(k) {
			t.Errorf("%x: found %v at %d", id[:1], ok, i)
		}
	}
	if _, ok := tab.find(evidence.ID{4}); ok {
		t.Error("found an ID not in the table")
	}
	i, _ := tab.find(evidence.ID{5})
	tab.items[i].vStart, tab.items[i].vCount = 0, 2
	tab.vers = []verVersion{{digest: evidence.Digest{1}}, {digest: evidence.Digest{2}}, {digest: evidence.Digest{3}}}
	vs := tab.versions(i)
	if len(vs) != 2 || vs[1].digest != (evidence.Digest{2}) {
		t.Fatalf("versions: %+v", vs)
	}
	vs[1].logged = true
	if !tab.vers[1].logged || cap(vs) != 2 {
		t.Error("versions are not the table's own")
	}
}
