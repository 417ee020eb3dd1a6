package importer

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
)

// fakeArchive resolves IDs the way the archive does: full ID or unique prefix.
type fakeArchive map[evidence.ID]Target

func (f fakeArchive) Lookup(_ context.Context, s string) (Target, error) {
	p, err := evidence.CheckPrefix(s)
	if err != nil {
		return Target{}, err
	}
	var hits []Target
	for id, t := range f {
		if strings.HasPrefix(id.String(), p) {
			hits = append(hits, t)
		}
	}
	switch len(hits) {
	case 0:
		return Target{}, fmt.Errorf("%w: nothing has ID %s", evidence.ErrNotFound, p)
	case 1:
		return hits[0], nil
	}
	return Target{}, fmt.Errorf("%w: %s matches more than one ID", evidence.ErrInvalid, p)
}

func (f fakeArchive) add(kind string, size int64) evidence.ID {
	id := evidence.NewID()
	f[id] = Target{ID: id, Kind: kind, Size: size}
	return id
}

// fixture is an archive with one item and one event.
func fixture() (fakeArchive, evidence.ID, evidence.ID) {
	a := fakeArchive{}
	return a, a.add(Item, 100), a.add(model.KindEvent, 0)
}

func TestJSONForwardRefs(t *testing.T) {
	a, item, event := fixture()
	data := fmt.Sprintf(`[
  {"kind": "act", "ref": "a1", "event": "@ev", "victim": "@pak",
   "violation": "공개처형", "date": "~1997-03", "place": "혜산"},
  {"kind": "involvement", "act": "@a1", "perpetrator": "@officer", "degree": "violent.direct",
   "perpetrator_type": "bowibu"},
  {"kind": "person", "ref": "pak", "names": ["박철민", "Pak Chol-min"], "birth_year": 1961, "sex": "m"},
  {"kind": "person", "ref": "officer", "names": ["리영호"], "counting_unit": "individual"},
  {"kind": "event", "ref": "ev", "title": "Public execution at Hyesan market",
   "date": {"from": "1997-03", "precision": "month"}, "places": ["Hyesan", "@market"],
   "violations": ["Public execution"]},
  {"kind": "place", "ref": "market", "names": ["혜산 장마당"], "type": "시", "gazetteer": "hyesan",
   "parent": "hyesan", "lat": 41.39, "lon": 128.18},
  {"kind": "information", "source": "@pak", "event": %q, "connection": "direct.witness",
   "reliability": "B", "credibility": "Probably true"},
  {"kind": "annotation", "item": %q, "start": 3, "end": 40, "target": "@ev", "note": "the execution"}
]`, event.String()[:8], item.String())
	recs, err := ParseJSON([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if recs[1].Line != 4 || recs[4].Line != 8 || recs[4].Fields[2].Line != 9 {
		t.Errorf("lines: record 2 on %d, record 5 on %d, its date on %d", recs[1].Line, recs[4].Line, recs[4].Fields[2].Line)
	}
	p, err := Build(context.Background(), recs, a)
	if err != nil {
		t.Fatal(err)
	}
	act := p.Bodies[0].(*model.Act)
	if act.Event != p.Refs["ev"] || *act.Victim != p.Refs["pak"] || act.Violation != "detention.execution.public" ||
		act.Date.String() != "~1997-03" || act.Place != "hyesan" {
		t.Errorf("act: %+v", act)
	}
	if inv := p.Bodies[1].(*model.Involvement); inv.PerpetratorType != "dprk.mss" || inv.Act != p.IDs[0] {
		t.Errorf("involvement: %+v", inv)
	}
	ev := p.Bodies[4].(*model.Event)
	if !slices.Equal(ev.Places, []string{"hyesan", p.Refs["market"].String()}) || ev.Violations[0] != "detention.execution.public" || ev.Date.Precision != "month" {
		t.Errorf("event: %+v", ev)
	}
	if pl := p.Bodies[5].(*model.Place); pl.Type != "city" || *pl.Lat != 41.39 {
		t.Errorf("place: %+v", pl)
	}
	if in := p.Bodies[6].(*model.Information); in.Event != event || in.Credibility != "2" || in.Reliability != "B" {
		t.Errorf("information: %+v", in)
	}
	if p.Bodies[3].(*model.Person).BirthYear != 0 || p.Bodies[2].(*model.Person).BirthYear != 1961 {
		t.Errorf("persons: %+v %+v", p.Bodies[2], p.Bodies[3])
	}
	// Every record comes after those it refers to.
	bodies, ids := p.Ordered()
	pos := map[evidence.ID]int{}
	for i, id := range ids {
		pos[id] = i
	}
	for i, b := range bodies {
		for _, r := range b.Refs() {
			if j, ok := pos[r.ID]; ok && j >= i {
				t.Errorf("%s at %d refers to %s at %d", b.Kind(), i, r.Role, j)
			}
		}
	}
}

func TestCSV(t *testing.T) {
	a, _, _ := fixture()
	data := "\ufeffkind,ref,names,birth_year,notes,title,date,violations,places\n" +
		"person,kim,김영희; Kim Yong-hui ,1970,\"two\nlines\",,,,\n" +
		",,,,,,,,\n" +
		"event,,,,,Famine deaths,1990s,아사; 식량 몰수,Musan County;회령\n"
	recs, err := ParseCSV([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].Line != 5 || recs[0].Ref != "kim" {
		t.Fatalf("records: %+v", recs)
	}
	p, err := Build(context.Background(), recs, a)
	if err != nil {
		t.Fatal(err)
	}
	if per := p.Bodies[0].(*model.Person); !slices.Equal(per.Names, []string{"김영희", "Kim Yong-hui"}) || per.BirthYear != 1970 || per.Notes != "two\nlines" {
		t.Errorf("person: %+v", per)
	}
	if ev := p.Bodies[1].(*model.Event); !slices.Equal(ev.Violations, []string{"food.famine_death", "food.confiscation"}) ||
		!slices.Equal(ev.Places, []string{"musan", "hoeryong"}) || ev.Date.Precision != "decade" {
		t.Errorf("event: %+v", ev)
	}
}

func TestErrors(t *testing.T) {
	a, item, event := fixture()
	person := a.add(model.KindPerson, 0)
	for _, tc := range []struct {
		name, data string
		line       int
		msg        string
	}{
		{"syntax", "[\n  {\"kind\": \"person\",\n   \"names\": [\"a\"],,\n}]", 3, "invalid character"},
		{"not an array", `{"kind": "person"}`, 1, "array"},
		{"empty", "[\n]", 2, "no records"},
		{"not an object", "[\n 1]", 2, "record object"},
		{"no kind", "[\n{\"names\": [\"x\"]}]", 2, "kind"},
		{"bad kind", "[\n{\"kind\": \"victim\"}]", 2, "want one of"},
		{"duplicate key", "[{\"kind\": \"person\",\n \"names\": [\"a\"],\n \"names\": [\"b\"]}]", 3, "given twice"},
		{"unknown field", "[{\"kind\": \"person\",\n \"name\": \"a\"}]", 2, "no such field"},
		{"wrong type", "[{\"kind\": \"person\",\n \"names\": \"a\"}]", 2, "list of strings"},
		{"bad int", "[{\"kind\": \"person\", \"names\": [\"a\"],\n \"birth_year\": 1961.5}]", 2, "whole number"},
		{"invalid body", "[{\"kind\": \"person\", \"names\": [\"a\"]},\n{\"kind\": \"testimony\", \"title\": \"t\", \"witness\": \"Kim Young-hee\"}]", 2, "pseudonym"},
		{"bad label", "[{\"kind\": \"event\", \"title\": \"t\",\n \"violations\": [\"nonsense\"]}]", 2, "sori vocab violations"},
		{"bad place", "[{\"kind\": \"event\", \"title\": \"t\",\n \"places\": [\"Atlantis\"]}]", 2, "not in the gazetteer"},
		{"bad date", "[{\"kind\": \"event\", \"title\": \"t\",\n \"date\": \"March 1997\"}]", 2, "YYYY-MM-DD"},
		{"unknown ref", "[{\"kind\": \"act\", \"event\": \"@nope\",\n \"violation\": \"other\"}]", 1, "no record in this input"},
		{"wrong kind ref", "[{\"kind\": \"person\", \"ref\": \"p\", \"names\": [\"a\"]},\n{\"kind\": \"act\",\n \"event\": \"@p\", \"violation\": \"other\"}]", 3, "is a person; want an event"},
		{"wrong kind ID", fmt.Sprintf("[{\"kind\": \"act\",\n \"event\": %q, \"violation\": \"other\"}]", person), 2, "is a person"},
		{"unknown ID", "[{\"kind\": \"act\",\n \"event\": \"abcdef0123\", \"violation\": \"other\"}]", 2, "not found"},
		{"item for record", fmt.Sprintf("[{\"kind\": \"act\",\n \"event\": %q, \"violation\": \"other\"}]", item), 2, "evidence item"},
		{"record for item", fmt.Sprintf("[{\"kind\": \"annotation\", \"target\": %q,\n \"item\": %q, \"start\": 0, \"end\": 1}]", event, event), 2, "not an evidence item"},
		{"item by @", "[{\"kind\": \"annotation\", \"ref\": \"x\",\n \"item\": \"@x\", \"start\": 0, \"end\": 1}]", 2, "not imported"},
		{"span", fmt.Sprintf("[\n{\"kind\": \"annotation\", \"target\": %q, \"item\": %q, \"start\": 0, \"end\": 101}]", event, item), 2, "beyond the end"},
		{"self", "[\n{\"kind\": \"place\", \"ref\": \"x\", \"names\": [\"x\"], \"type\": \"city\", \"parent\": \"@x\"}]", 2, "itself"},
		{"cycle", "[{\"kind\": \"place\", \"ref\": \"x\", \"names\": [\"x\"], \"type\": \"city\", \"parent\": \"@y\"},\n{\"kind\": \"place\", \"ref\": \"y\", \"names\": [\"y\"], \"type\": \"city\", \"parent\": \"@x\"}]", 1, "circle (lines 1 → 2)"},
		{"duplicate ref", "[{\"kind\": \"person\", \"ref\": \"x\", \"names\": [\"x\"]},\n{\"kind\": \"person\", \"ref\": \"x\", \"names\": [\"y\"]}]", 2, "already names the record on line 1"},
		{"bad ref", "[\n{\"kind\": \"person\", \"ref\": \"a b\", \"names\": [\"x\"]}]", 2, "up to 64"},
		{"utf8", "[{\"kind\": \"person\",\n \"names\": [\"\xff\"]}]", 2, "UTF-8"},
		{"trailing", "[{\"kind\": \"person\", \"names\": [\"x\"]}]\n[]", 2, "invalid character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := ParseJSON([]byte(tc.data))
			if err == nil {
				_, err = Build(context.Background(), recs, a)
			}
			checkErr(t, err, tc.line, tc.msg)
		})
	}
}

func TestCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		line       int
		msg        string
	}{
		{"empty", "", 1, "header"},
		{"no kind column", "names\nx\n", 1, "kind column"},
		{"unknown column", "kind,nmes\nperson,x\n", 1, "no kind of record"},
		{"duplicate column", "kind,names,names\nperson,x,y\n", 1, "twice"},
		{"field count", "kind,names\nperson,x\nperson,y,z\n", 3, "wrong number of fields"},
		{"quote", "kind,names\nperson,x\nperson,\"y\n", 3, "quote"},
		{"no kind", "kind,names\nperson,x\n,y\n", 3, "needs a kind"},
		{"field of another kind", "kind,names,title\nperson,x,\nperson,y,T\n", 3, "no such field"},
		{"bad number", "kind,names,birth_year\nperson,x,\"\n\"\nperson,y,nineteen\n", 4, "whole number"},
		{"NaN", "kind,names,type,lat,lon\nplace,x,city,NaN,1\n", 2, "not a number"},
		{"header only", "kind,names\n", 1, "no records"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := ParseCSV([]byte(tc.data))
			if err == nil {
				_, err = Build(context.Background(), recs, nil)
			}
			checkErr(t, err, tc.line, tc.msg)
		})
	}
}

func checkErr(t *testing.T, err error, line int, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want line %d %q", line, msg)
	}
	if !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("%v does not wrap ErrInvalid", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Line != line || !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q (line %d), want line %d mentioning %q", err, lineOf(e), line, msg)
	}
	if !strings.HasPrefix(err.Error(), fmt.Sprintf("line %d: ", line)) {
		t.Errorf("message %q does not start with its line", err)
	}
}

func lineOf(e *Error) int {
	if e == nil {
		return -1
	}
	return e.Line
}

func TestManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("kind,names,birth_year\n")
	for range 50 {
		b.WriteString("person,x,oops\n")
	}
	recs, err := ParseCSV([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(context.Background(), recs, nil)
	var es Errors
	if !errors.As(err, &es) || len(es) != MaxErrors || es[0].Line != 2 || es[MaxErrors-1].Line != MaxErrors+1 {
		t.Fatalf("%v", err)
	}
}

// The field table lists exactly the model's body fields, in order.
func TestFieldsMatchModel(t *testing.T) {
	for _, kind := range model.Kinds {
		b, _ := model.NewBody(kind)
		typ := reflect.TypeOf(b).Elem()
		var want []string
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			want = append(want, name)
		}
		if got := fieldNames(kind); !slices.Equal(got, want) {
			t.Errorf("%s: fields %v, model has %v", kind, got, want)
		}
	}
}

// Editing starts from FromBody: building it again gives the same body.
func TestFromBody(t *testing.T) {
	a, item, event := fixture()
	place := a.add(model.KindPlace, 0)
	lat, lon := 41.5, 128.25
	d, _ := model.ParseDate("1997-03..1997-05")
	for _, b := range []model.Body{
		&model.Testimony{Title: "t", Witness: "W-1", Date: d, Languages: []string{"ko"}, Original: &item},
		&model.Event{Title: "e", Date: d, Places: []string{"hyesan", place.String()}, Violations: []string{"other"}, Status: "likely"},
		&model.Place{Names: []string{"x"}, Type: "city", Parent: place.String(), Lat: &lat, Lon: &lon},
		&model.Annotation{Item: item, Start: 0, End: 5, Target: event},
	} {
		p, err := Build(context.Background(), []Record{FromBody(b)}, a)
		if err != nil {
			t.Fatalf("%s: %v", b.Kind(), err)
		}
		if got, want := model.EncodeBody(p.Bodies[0]), model.EncodeBody(b); string(got) != string(want) {
			t.Errorf("%s: %s, want %s", b.Kind(), got, want)
		}
	}
}

// Text input (command-line flags) replaces a field; an empty value clears it.
func TestTextValues(t *testing.T) {
	r := FromBody(&model.Person{Names: []string{"a"}, Notes: "n", BirthYear: 1950})
	r.Fields = append(slices.DeleteFunc(r.Fields, func(v Value) bool { return v.Name == "notes" || v.Name == "birth_year" }),
		Value{Name: "notes", Text: []string{""}}, Value{Name: "birth_year", Label: "--birth-year", Text: []string{"x"}})
	_, err := Build(context.Background(), []Record{r}, nil)
	if err == nil || err.Error() != `--birth-year: "x" is not a whole number` {
		t.Fatalf("%v", err)
	}
	r.Fields[len(r.Fields)-1].Text = []string{"1951"}
	p, err := Build(context.Background(), []Record{r}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if per := p.Bodies[0].(*model.Person); per.Notes != "" || per.BirthYear != 1951 {
		t.Errorf("%+v", per)
	}
}
