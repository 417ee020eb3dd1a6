package importer

import (
	"context"
	"errors"
	"maps"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
)

// Fixed IDs, so that the fuzzer can find them.
var (
	fuzzItem  = evidence.ID{0xaa, 0xaa, 0xaa, 0xaa}
	fuzzEvent = evidence.ID{0xee, 0xee, 0xee, 0xee}
	fuzzPlace = evidence.ID{0xcc, 0xcc, 0xcc, 0xcc}
)

func fuzzArchive() fakeArchive {
	return fakeArchive{
		fuzzItem:  {ID: fuzzItem, Kind: Item, Size: 1000},
		fuzzEvent: {ID: fuzzEvent, Kind: model.KindEvent},
		fuzzPlace: {ID: fuzzPlace, Kind: model.KindPlace},
	}
}

// checkBuild is what every fuzz input must satisfy: whatever parses either
// builds into valid bodies that survive an edit round trip, or fails with
// an error about the input.
func checkBuild(t *testing.T, recs []Record, err error) {
	if err != nil {
		if !errors.Is(err, evidence.ErrInvalid) {
			t.Fatalf("parse error %v does not wrap ErrInvalid", err)
		}
		return
	}
	a := fuzzArchive()
	p, err := Build(context.Background(), recs, a)
	if err != nil {
		if !errors.Is(err, evidence.ErrInvalid) {
			t.Fatalf("build error %v does not wrap ErrInvalid", err)
		}
		return
	}
	if len(p.Bodies) != len(recs) || len(p.IDs) != len(recs) {
		t.Fatalf("%d records gave %d bodies", len(recs), len(p.Bodies))
	}
	all := maps.Clone(a)
	for i, b := range p.Bodies {
		if err := b.Validate(); err != nil {
			t.Fatalf("record %d built but does not validate: %v", i, err)
		}
		all[p.IDs[i]] = Target{ID: p.IDs[i], Kind: b.Kind()}
	}
	bodies, ids := p.Ordered()
	seen := map[evidence.ID]bool{}
	for i, b := range bodies {
		for _, r := range b.Refs() {
			if _, ok := p.Refs[""]; ok {
				t.Fatal("empty ref name")
			}
			if _, known := a[r.ID]; !known && !seen[r.ID] {
				t.Fatalf("%s refers to %s before it is added", b.Kind(), r.ID)
			}
		}
		seen[ids[i]] = true
	}
	for _, b := range p.Bodies {
		q, err := Build(context.Background(), []Record{FromBody(b)}, all)
		if err != nil {
			t.Fatalf("%s does not build again: %v\n%s", b.Kind(), err, model.EncodeBody(b))
		}
		if got, want := model.EncodeBody(q.Bodies[0]), model.EncodeBody(b); string(got) != string(want) {
			t.Fatalf("round trip changed %s to %s", want, got)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`[{"kind": "person", "ref": "p", "names": ["박철민", "Pak Chol-min"], "birth_year": 1961, "sex": "m"},
		  {"kind": "act", "event": "eeeeeeee", "victim": "@p", "violation": "공개처형", "date": "~1997-03", "place": "혜산"}]`,
		`[{"kind": "event", "title": "t", "date": {"from": "1990s", "precision": "decade"}, "places": ["Hyesan", "cccccccc"], "violations": ["아사"], "status": "likely"}]`,
		`[{"kind": "annotation", "item": "aaaaaaaa", "start": 0, "end": 10, "target": "eeeeee", "note": "n"}]`,
		`[{"kind": "testimony", "title": "t", "witness": "W-17", "original": "aaaaaaaa", "translations": ["aaaaaaaa"], "languages": ["ko"], "date": "1998"}]`,
		`[{"kind": "place", "ref": "m", "names": ["장마당"], "type": "시", "gazetteer": "혜산", "parent": "hyesan", "lat": 41.4, "lon": 128.2},
		  {"kind": "place", "names": ["x"], "type": "city", "parent": "@m"}]`,
		`[{"kind": "information", "source": "@t", "event": "eeeeeeee", "connection": "direct", "reliability": "B", "credibility": "2", "language": "ko"},
		  {"kind": "testimony", "ref": "t", "title": "t", "witness": "W-1"}]`,
		`[{"kind": "involvement", "act": "@a", "perpetrator": "@p", "degree": "violent.direct", "perpetrator_type": "bowibu"},
		  {"kind": "act", "ref": "a", "event": "eeeeeeee", "violation": "other"}, {"kind": "person", "ref": "p", "names": ["x"]}]`,
		"[\n{\"kind\": \"person\",\n \"names\": [\"a\"],,\n}]",
		`[{"kind": "place", "ref": "x", "names": ["x"], "type": "city", "parent": "@x"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParseJSON(data)
		checkBuild(t, recs, err)
	})
}

func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{
		"kind,ref,names,birth_year,notes\nperson,kim,김영희; Kim Yong-hui,1970,\"two\nlines\"\n",
		"kind,ref,title,date,violations,places,event,violation,victim\nevent,e,Famine,1990s,아사;식량 몰수,Musan County;cccccccc,,,\nact,,,~1997,,,@e,other,@p\nperson,p,,,,,,,\n",
		"kind,item,start,end,target\nannotation,aaaaaaaa,0,5,eeeeeeee\n",
		"kind,names,type,lat,lon,parent\nplace,x,city,41.2,128.1,hyesan\n",
		"kind,title,witness,original,translations,languages\ntestimony,t,W-17,aaaaaa,aaaaaa;aaaaaaaa,ko;en\n",
		"kind,names\nperson,x\nperson,\"y\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParseCSV(data)
		checkBuild(t, recs, err)
	})
}
