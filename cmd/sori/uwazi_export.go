package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/importer"
	"sori/internal/model"
	"sori/internal/vocab"
)

// writeUwaziEvents writes every current event as a row of an Uwazi CSV
// (importer.UwaziHeader): the shape 'sori import --uwazi' reads back.
// Dates are written year first, "1997/03/14", a range "A:B"; violations
// as English labels joined by "|"; places by name; the geolocation of the
// first place that has public coordinates as "lat|lon".
func writeUwaziEvents(ctx context.Context, a *archive.Archive, w io.Writer) error {
	viol, err := vocab.Get(vocab.Violations)
	if err != nil {
		return err
	}
	var rows [][]string
	err = a.Records(ctx, model.KindEvent, func(id evidence.ID, b model.Body) error {
		ev, ok := b.(*model.Event)
		if !ok {
			return nil
		}
		var vs, places []string
		for _, c := range ev.Violations {
			if t, ok := viol.Term(c); ok && t.EN != "" {
				vs = append(vs, t.EN)
			} else {
				vs = append(vs, c)
			}
		}
		geo := ""
		for _, p := range ev.Places {
			name, lat, lon, err := uwaziPlace(ctx, a, p)
			if err != nil {
				return err
			}
			places = append(places, name)
			if geo == "" && lat != nil && lon != nil {
				geo = strconv.FormatFloat(*lat, 'f', -1, 64) + "|" + strconv.FormatFloat(*lon, 'f', -1, 64)
			}
		}
		rows = append(rows, []string{ev.Title, uwaziDate(ev.Date), ev.Description, strings.Join(vs, "|"), ev.Status,
			strings.Join(places, "|"), geo, id.String()})
		return nil
	})
	if err != nil {
		return err
	}
	return importer.WriteUwazi(w, rows)
}

// uwaziPlace names a place of an event: a gazetteer code or a place record.
func uwaziPlace(ctx context.Context, a *archive.Archive, p string) (string, *float64, *float64, error) {
	if g, ok := vocab.PlaceByCode(p); ok {
		if g.Coords != nil {
			return g.EN, &g.Coords.Lat, &g.Coords.Lon, nil
		}
		return g.EN, nil, nil, nil
	}
	info, err := a.Record(ctx, p)
	if err != nil {
		return "", nil, nil, fmt.Errorf("event place %s: %w", p, err)
	}
	pl, ok := info.Current.(*model.Place)
	if !ok {
		return p, nil, nil, nil
	}
	name, lat, lon := strings.Join(pl.Names, " / "), pl.Lat, pl.Lon
	if g, ok := vocab.PlaceByCode(pl.Gazetteer); ok {
		if name == "" {
			name = g.EN
		}
		if lat == nil && g.Coords != nil {
			lat, lon = &g.Coords.Lat, &g.Coords.Lon
		}
	}
	return name, lat, lon, nil
}

// uwaziDate writes a date as Uwazi reads it: year first with "/", a range
// with ":". Uwazi dates are days, so a month, year or decade becomes the
// range of its days ("1997-03" → "1997/03/01:1997/03/31"); "around" is
// lost, and unknown is empty.
func uwaziDate(d model.Date) string {
	if d.From == "" || d.Precision == "unknown" {
		return ""
	}
	to := d.To
	if to == "" {
		to = d.From
	}
	return uwaziDay(d.From, false) + ":" + uwaziDay(to, true)
}

// uwaziDay gives the first (or last) day a date of any precision covers.
func uwaziDay(s string, last bool) string {
	y, _ := strconv.Atoi(s[:4])
	m, day := 1, 1
	switch {
	case strings.HasSuffix(s, "0s"):
		if last {
			y, m, day = y+9, 12, 31
		}
	case len(s) == 4:
		if last {
			m, day = 12, 31
		}
	case len(s) == 7:
		m, _ = strconv.Atoi(s[5:7])
		if last {
			day = time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
		}
	default:
		m, _ = strconv.Atoi(s[5:7])
		day, _ = strconv.Atoi(s[8:10])
	}
	return fmt.Sprintf("%04d/%02d/%02d", y, m, day)
}
