package publish

import (
	"encoding/json"
	"strconv"
	"strings"
)

// DataPackageName is the Frictionless Data Package descriptor's file name.
const DataPackageName = "datapackage.json"

// DataPackage is a Frictionless Data Package descriptor (Data Package
// v1 specification, specs.frictionlessdata.io): the package's metadata and
// one resource for each file of the publication but the manifest and the
// descriptor itself. Each CSV file is a Tabular Data Resource with a Table
// Schema.
type DataPackage struct {
	Profile     string     `json:"profile"` // data-package: the GeoJSON and JSON resources are not tables
	Name        string     `json:"name"`
	Title       string     `json:"title"`
	Version     string     `json:"version"` // the dataset schema version
	Description string     `json:"description"`
	Resources   []Resource `json:"resources"`
}

// Resource is one data resource of a DataPackage.
type Resource struct {
	Profile   string       `json:"profile"` // tabular-data-resource or data-resource
	Name      string       `json:"name"`    // lower case, digits, "-", "_", "."
	Path      string       `json:"path"`
	Format    string       `json:"format"`
	MediaType string       `json:"mediatype"`
	Encoding  string       `json:"encoding,omitempty"`
	Dialect   *CSVDialect  `json:"dialect,omitempty"`
	Schema    *TableSchema `json:"schema,omitempty"`
}

// CSVDialect is the Frictionless CSV Dialect of a CSV resource.
type CSVDialect struct {
	Delimiter      string `json:"delimiter"`
	LineTerminator string `json:"lineTerminator"`
	QuoteChar      string `json:"quoteChar"`
	DoubleQuote    bool   `json:"doubleQuote"`
	Header         bool   `json:"header"`
}

// TableSchema is a Frictionless Table Schema.
type TableSchema struct {
	Fields        []Field      `json:"fields"`
	PrimaryKey    []string     `json:"primaryKey,omitempty"`
	ForeignKeys   []ForeignKey `json:"foreignKeys,omitempty"`
	MissingValues []string     `json:"missingValues"`
}

// Field is one column of a TableSchema.
type Field struct {
	Name        string `json:"name"`
	Type        string `json:"type"` // string, integer, number, boolean
	Format      string `json:"format,omitempty"`
	Description string `json:"description,omitempty"`
}

// ForeignKey says a column refers to another resource's primary key.
type ForeignKey struct {
	Fields    []string `json:"fields"`
	Reference struct {
		Resource string   `json:"resource"`
		Fields   []string `json:"fields"`
	} `json:"reference"`
}

// column is one column of a published CSV table: its header, its Table
// Schema type, and what it holds.
type column struct {
	name, typ, desc string
	ref             string // the resource (table) whose id this column holds
}

const (
	descEDTF = "EDTF (ISO 8601-2, Library of Congress EDTF) level 0/1 date or interval: 1998-03-14, 1998-03, 1998, 199X (decade), 1998~ (approximate), 1997/1998 (interval); empty when unknown"
	descList = "a list, items separated by ';'"
	descNeut = "a value that began with = + - @ tab or CR starts with an apostrophe (formula neutralization)"
)

// tables are the CSV files of a publication, in the order they are
// written, with their columns after dataset_version.
var tables = []struct {
	name string
	cols []column
}{
	{"testimonies", []column{{"id", "string", "", ""}, {"witness", "string", "the witness's pseudonym", ""}, {"title", "string", "", ""},
		{"date", "string", descEDTF, ""}, {"place", "string", "", "places"}, {"languages", "string", descList, ""}, {"scope", "string", "consent scope (vocabulary consent_scope)", ""}}},
	{"events", []column{{"id", "string", "", ""}, {"title", "string", "", ""}, {"description", "string", "", ""}, {"date", "string", descEDTF, ""},
		{"places", "string", descList + " of place ids", ""}, {"violations", "string", descList + " of violation codes", ""}, {"status", "string", "", ""}}},
	{"acts", []column{{"id", "string", "", ""}, {"event", "string", "", "events"}, {"victim", "string", "a person id", "persons"}, {"violation", "string", "", ""},
		{"date", "string", descEDTF, ""}, {"place", "string", "", "places"}, {"status_at_end", "string", "", ""}}},
	{"involvements", []column{{"id", "string", "", ""}, {"act", "string", "", "acts"}, {"perpetrator", "string", "a person id", "persons"}, {"degree", "string", "", ""}, {"perpetrator_type", "string", "", ""}}},
	{"persons", []column{{"id", "string", "", ""}, {"name", "string", "a protected person's label", ""}, {"names", "string", descList, ""}, {"protected", "boolean", "", ""},
		{"sex", "string", "", ""}, {"birth_year", "integer", "", ""}, {"counting_unit", "string", "", ""}, {"unit", "string", "", ""}}},
	{"places", []column{{"id", "string", "a gazetteer code, kp, or place-N", ""}, {"level", "string", "the precision it is published at: exact, county, province, country", ""},
		{"name", "string", "", ""}, {"ko", "string", "", ""}, {"lat", "number", "WGS84, only where the place has its own point", ""}, {"lon", "number", "WGS84", ""}}},
	{"information", []column{{"id", "string", "", ""}, {"source", "string", "a testimony id", "testimonies"}, {"event", "string", "", "events"}, {"connection", "string", "", ""},
		{"reliability", "string", "", ""}, {"credibility", "string", "", ""}}},
	{"transcripts", []column{{"id", "string", "", ""}, {"testimony", "string", "", "testimonies"}, {"role", "string", "original or translation", ""}, {"lang", "string", "", ""},
		{"redactions", "integer", "spans replaced", ""}, {"text", "string", "redacted text", ""}}},
}

func headerOf(cols []column) []string {
	h := []string{"dataset_version"}
	for _, c := range cols {
		h = append(h, c.name)
	}
	return h
}

// dataPackage describes the files of a publication (names from Render,
// without the manifest).
func dataPackage(ds *Dataset, files []string, o CSVOptions) []byte {
	dp := DataPackage{
		Profile: "data-package", Name: "sori-publication-" + strings.ToLower(ds.Publication), Title: "sori publication " + ds.Publication,
		Version:     strconv.Itoa(Version),
		Description: "A redacted public dataset of testimony about human-rights abuses, published by sori under each witness's consent (publication format " + strconv.Itoa(Version) + "). Dates are EDTF strings.",
		Resources:   []Resource{},
	}
	if ds.Publication == "" {
		dp.Name = "sori-publication"
	}
	has := map[string]bool{}
	for _, f := range files {
		has[f] = true
	}
	for _, t := range tables {
		if !has[t.name+".csv"] {
			continue
		}
		s := &TableSchema{Fields: []Field{{Name: "dataset_version", Type: "integer", Description: "the publication format version"}}, PrimaryKey: []string{"id"}, MissingValues: []string{""}}
		for _, c := range t.cols {
			f := Field{Name: c.name, Type: c.typ, Description: c.desc}
			if c.typ == "string" && c.name != "id" {
				if f.Description != "" {
					f.Description += "; "
				}
				f.Description += descNeut
			}
			s.Fields = append(s.Fields, f)
			if c.ref != "" && has[c.ref+".csv"] {
				var fk ForeignKey
				fk.Fields = []string{c.name}
				fk.Reference.Resource, fk.Reference.Fields = c.ref, []string{"id"}
				s.ForeignKeys = append(s.ForeignKeys, fk)
			}
		}
		lt := "\n"
		if o.Excel {
			lt = "\r\n"
		}
		dp.Resources = append(dp.Resources, Resource{Profile: "tabular-data-resource", Name: t.name, Path: t.name + ".csv", Format: "csv", MediaType: "text/csv", Encoding: "utf-8",
			Dialect: &CSVDialect{Delimiter: ",", LineTerminator: lt, QuoteChar: `"`, DoubleQuote: true, Header: true}, Schema: s})
	}
	if has["dataset.json"] {
		dp.Resources = append(dp.Resources, Resource{Profile: "data-resource", Name: "dataset", Path: "dataset.json", Format: "json", MediaType: "application/json", Encoding: "utf-8"})
	}
	if has["dataset.geojson"] {
		dp.Resources = append(dp.Resources, Resource{Profile: "data-resource", Name: "dataset-geojson", Path: "dataset.geojson", Format: "geojson", MediaType: "application/geo+json", Encoding: "utf-8"})
	}
	b, _ := json.MarshalIndent(dp, "", "  ")
	return append(b, '\n')
}
