package publish

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"sori/internal/evidence"
	"sori/internal/model"
)

// ListSep joins the items of a list field in a record table cell.
const ListSep = "; "

// RecordSheet flattens records of one kind into a table for analysts
// (sori export-records; never for publication): the column "id", then one
// column for each field of the kind's body, named as in its JSON. Text is
// as stored; a list is joined with ListSep; a date is in the form
// model.ParseDate reads ("~1998", "1990s"); an ID is its hex string; a
// number is a number column; an omitted optional field is empty. bodies
// must be of kind, as the archive returns them; another is an error
// wrapping evidence.ErrInvalid.
func RecordSheet(kind string, ids []evidence.ID, bodies []model.Body) (Sheet, error) {
	zero, err := model.NewBody(kind)
	if err != nil {
		return Sheet{}, err
	}
	if len(ids) != len(bodies) {
		return Sheet{}, fmt.Errorf("%w: %d IDs for %d records", evidence.ErrInvalid, len(ids), len(bodies))
	}
	typ := reflect.TypeOf(zero).Elem()
	s := Sheet{Name: kind, Header: []string{"id"}, Numeric: []bool{false}}
	var fields []int
	omit := map[int]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		fields = append(fields, i)
		omit[i] = strings.Contains(opts, "omitempty")
		s.Header = append(s.Header, name)
		k := f.Type.Kind()
		if k == reflect.Pointer {
			k = f.Type.Elem().Kind()
		}
		s.Numeric = append(s.Numeric, k == reflect.Int || k == reflect.Float64)
	}
	s.Rows = [][]string{}
	for n, b := range bodies {
		v := reflect.ValueOf(b)
		if b == nil || b.Kind() != kind || v.Kind() != reflect.Pointer || v.IsNil() {
			return Sheet{}, fmt.Errorf("%w: a record that is not a %s among the %s records", evidence.ErrInvalid, kind, kind)
		}
		v = v.Elem()
		row := []string{ids[n].String()}
		for _, i := range fields {
			row = append(row, cellOf(v.Field(i), omit[i]))
		}
		s.Rows = append(s.Rows, row)
	}
	return s, nil
}

// cellOf writes one field's value as a cell; a zero number or false is
// empty when the field is optional (omit), as in its JSON.
func cellOf(v reflect.Value, omit bool) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if st, ok := v.Interface().(fmt.Stringer); ok {
		return st.String()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Int:
		if omit && v.Int() == 0 {
			return ""
		}
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	case reflect.Bool:
		if omit && !v.Bool() {
			return ""
		}
		return strconv.FormatBool(v.Bool())
	case reflect.Slice:
		var items []string
		for i := range v.Len() {
			items = append(items, cellOf(v.Index(i), false))
		}
		return strings.Join(items, ListSep)
	}
	b, _ := json.Marshal(v.Interface())
	return string(b)
}
