package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/vocab"
)

var placeCmd = &command{
	name:    "place",
	summary: "find places in the gazetteer, or record places it lacks",
	usage: `
Usage: sori place find [--json] NAME
       sori place ls [--gazetteer] [--json]
       sori place add --name N [--name N]... --type T [flags]
       sori place edit ID [flags]

sori ships a gazetteer of DPRK provinces, cities, counties, border
crossings, rivers and prison camps. Wherever a command takes a place it
takes a gazetteer code or a name in any spelling — Hangul, Revised
Romanization, McCune–Reischauer, DPRK (혜산, Hyesan, Hyesan-si) — or the ID
of a place record. Record a place the gazetteer lacks (a market, a
detention centre, a river crossing point) with 'place add'.

'find' searches the gazetteer (no archive needed), one place per line:
  CODE<TAB>TYPE<TAB>HANGUL<TAB>RR<TAB>MR<TAB>LAT,LON
LAT,LON is "-" when no public source gives coordinates. Exit 1 if none.

'ls' lists the gazetteer, then the archive's place records, one per line:
  SOURCE<TAB>CODE-OR-ID<TAB>TYPE<TAB>LAT,LON<TAB>NAMES
SOURCE is "gazetteer" or "record"; NAMES are joined by " / ".
--gazetteer lists the gazetteer only, and needs no archive.
With --json, one object per line:
  {"source","id","type","names":[…],"parent"?,"gazetteer"?,"lat"?,"lon"?}

'add' prints the new record's ID (--json: {"id","kind"}); 'edit' writes a
new version and prints ID<TAB>VERSION (--json: {"id","version","changed"}).

Flags of add and edit:
  --name N          a name, as written (repeatable)
  --type T          place_types code or label (required; 'sori vocab place_types')
  --gazetteer G     the gazetteer place it is, or lies in (code or name)
  --parent P        the enclosing place: gazetteer code or name, or a place record's ID
  --lat X --lon Y   WGS84 coordinates, both or neither
  --note N          free-text note (say where the coordinates come from)
  --compartment NAME (add) place the record in compartment NAME (sori help compartment)
  --json            JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure or nothing found, 2 invalid input, 3 locked.

Examples:
  sori place find 혜산
  sori place find Hoeryŏng
  sori place ls --gazetteer
  sori place add --name "혜산 장마당" --name "Hyesan market" --type market --parent Hyesan
`,
	run: runPlace,
}

var placeKind = &recordKind{
	cmd:  "place",
	kind: model.KindPlace,
	flags: func(fs *flag.FlagSet, fv *fieldValues) {
		fv.many(fs, "name", "names")
		fv.one(fs, "type", "type")
		fv.one(fs, "gazetteer", "gazetteer")
		fv.one(fs, "parent", "parent")
		fv.one(fs, "lat", "lat")
		fv.one(fs, "lon", "lon")
		fv.one(fs, "note", "notes")
	},
}

func runPlace(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "find":
			return runPlaceFind(e, args[1:])
		case "ls":
			return runPlaceLs(ctx, e, args[1:])
		}
	}
	if len(args) == 0 {
		return usagef("give a subcommand: find, ls, add or edit")
	}
	return placeKind.run(ctx, e, args)
}

func runPlaceFind(e *env, args []string) error {
	var asJSON bool
	fs := newFlags("place find")
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("give a place name")
	}
	name := strings.Join(rest, " ")
	ps := vocab.FindPlace(name)
	if len(ps) == 0 {
		return fmt.Errorf("%w: no place called %q in the gazetteer", evidence.ErrNotFound, name)
	}
	enc := json.NewEncoder(e.stdout)
	for _, p := range ps {
		if asJSON {
			if err := enc.Encode(gazetteerJSON(p)); err != nil {
				return err
			}
			continue
		}
		if _, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Code, p.Type, p.Hangul, p.RR, p.MR, latLon(p.Coords)); err != nil {
			return err
		}
	}
	return nil
}

// placeJSON is the JSON shape of 'place find' and 'place ls'.
type placeJSON struct {
	Source    string   `json:"source"` // gazetteer or record
	ID        string   `json:"id"`     // gazetteer code or record ID
	Type      string   `json:"type"`
	Names     []string `json:"names"`
	Parent    string   `json:"parent,omitempty"`
	Gazetteer string   `json:"gazetteer,omitempty"`
	Lat       *float64 `json:"lat,omitempty"`
	Lon       *float64 `json:"lon,omitempty"`
}

func gazetteerJSON(p vocab.Place) placeJSON {
	j := placeJSON{Source: "gazetteer", ID: p.Code, Type: p.Type, Names: gazetteerNames(p), Parent: p.Parent}
	if c := p.Coords; c != nil {
		j.Lat, j.Lon = &c.Lat, &c.Lon
	}
	return j
}

// gazetteerNames lists a place's spellings, each once.
func gazetteerNames(p vocab.Place) []string {
	var out []string
	for _, n := range append([]string{p.Hangul, p.EN, p.RR, p.MR, p.DPRK}, p.HangulAlt...) {
		dup := false
		for _, o := range out {
			dup = dup || o == n
		}
		if n != "" && !dup {
			out = append(out, n)
		}
	}
	return out
}

func latLon(c *vocab.Coords) string {
	if c == nil {
		return "-"
	}
	return coord(c.Lat) + "," + coord(c.Lon)
}

func coord(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func runPlaceLs(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var asJSON, gazOnly bool
	fs := newFlags("place ls")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&gazOnly, "gazetteer", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	emit := placeEmitter(e.stdout, asJSON)
	if gazOnly {
		return emitGazetteer(emit)
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := emitGazetteer(emit); err != nil {
		return err
	}
	return a.Records(ctx, model.KindPlace, func(id evidence.ID, b model.Body) error {
		p := b.(*model.Place)
		return emit(placeJSON{Source: "record", ID: id.String(), Type: p.Type, Names: p.Names, Parent: p.Parent, Gazetteer: p.Gazetteer, Lat: p.Lat, Lon: p.Lon})
	})
}

func emitGazetteer(emit func(placeJSON) error) error {
	for _, p := range vocab.Places() {
		if err := emit(gazetteerJSON(p)); err != nil {
			return err
		}
	}
	return nil
}

func placeEmitter(w io.Writer, asJSON bool) func(placeJSON) error {
	enc := json.NewEncoder(w)
	return func(p placeJSON) error {
		if asJSON {
			return enc.Encode(p)
		}
		ll := "-"
		if p.Lat != nil && p.Lon != nil {
			ll = coord(*p.Lat) + "," + coord(*p.Lon)
		}
		_, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", p.Source, p.ID, p.Type, ll, oneLine(strings.Join(p.Names, " / ")))
		return err
	}
}
