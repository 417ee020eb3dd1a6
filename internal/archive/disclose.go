package archive

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"unicode"

	"sori/internal/model"
)

// The disclosure guard (docs/protection.md). Every value an exported
// method of Archive returns to a session without the protection role
// passes discloseAs, which walks it by reflection — every string of every
// field, slice, map, pointer and interface, at any depth — and replaces
// whatever the safety net finds there (a sealed name or given name in any
// romanization or compatibility form, a sealed phone number or e-mail
// address) with the mask. A field added later is covered without anyone
// remembering to; the leak-matrix test (leak_test.go) holds every read
// path to it. A person record whose name is a sealed identity is shown by
// the witness's pseudonym.
//
// Protection officers, who may open the vault, see values as stored.

// Mask is what the guard puts where it removed a name or contact.
const Mask = "[…]"

// discloser is the guard of one session at one state of the vault. The
// zero discloser (protection) passes everything.
type discloser struct {
	g   *nameGuard        // nil: nothing to mask
	who map[string]string // vault entry ID -> pseudonym

	// seen remembers the masked form of short strings already checked:
	// listings repeat the same kinds, languages, user names and places.
	mu   sync.Mutex
	seen map[string]string
}

// Bounds of the discloser's memory of checked strings.
const (
	seenMaxLen     = 256
	seenMaxEntries = 1 << 16
)

// guardState caches the session's discloser while the vault's hashes stay
// as they were.
type guardState struct {
	mu    sync.Mutex
	d     *discloser
	count int // vault_names rows the cached guard was built from

	// net and netCount are the same for a session that sees values as
	// stored, which has no discloser but whose snippets pass the safety
	// net all the same (snippetGuard).
	net      *nameGuard
	netCount int
}

// sees reports whether the session sees values as stored (it may open the
// identity vault).
func (a *Archive) sees() bool { return Permits(a.me.Role, OpVaultOpen) }

// disclosure returns the session's guard, loading it when the vault's
// hashes changed since it was last loaded.
func (a *Archive) disclosure(ctx context.Context) (*discloser, error) {
	if a.sees() {
		return &discloser{}, nil
	}
	n, err := a.db.VaultNameTotal(ctx)
	if err != nil {
		return nil, err
	}
	a.guard.mu.Lock()
	defer a.guard.mu.Unlock()
	if a.guard.d != nil && a.guard.count == n {
		return a.guard.d, nil
	}
	g, err := a.newNameGuard(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("the disclosure guard could not be loaded: %w", err)
	}
	who := map[string]string{}
	if !g.Empty() {
		rows, err := a.db.VaultRows(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			who[r.ID] = r.Pseudonym
		}
	}
	a.guard.d, a.guard.count = &discloser{g: g, who: who}, n
	return a.guard.d, nil
}

// snippetGuard returns the safety net that Search masks the snippets it
// cuts with (the vault's sealed names, as newNameGuard(ctx, nil) loads
// them), without reading the vault again at every search: for a session
// the guard applies to, d's own (loaded by disclosure for this state of
// the vault); for one that sees values as stored, one kept as disclosure
// keeps d, while the vault's count of hashed forms (only ever added to)
// stays as it was.
func (a *Archive) snippetGuard(ctx context.Context, d *discloser) (*nameGuard, error) {
	if !a.sees() && d != nil && d.g != nil {
		return d.g, nil
	}
	n, err := a.db.VaultNameTotal(ctx)
	if err != nil {
		return nil, err
	}
	a.guard.mu.Lock()
	defer a.guard.mu.Unlock()
	if a.guard.net != nil && a.guard.netCount == n {
		return a.guard.net, nil
	}
	g, err := a.newNameGuard(ctx, nil)
	if err != nil {
		return nil, err
	}
	a.guard.net, a.guard.netCount = g, n
	return g, nil
}

// discloseAs returns v as the session may see it: a deep copy with every
// string masked, or v itself when nothing needs masking.
func discloseAs[T any](d *discloser, v T) T {
	if d == nil || d.g.Empty() {
		return v
	}
	x := reflect.ValueOf(&v).Elem()
	d.walk(x)
	return v
}

// text masks one string.
func (d *discloser) text(s string) string {
	if d == nil || d.g.Empty() || !mayName(s) {
		return s
	}
	if len(s) > seenMaxLen {
		return maskNames(s, d.g, Mask)
	}
	d.mu.Lock()
	m, ok := d.seen[s]
	d.mu.Unlock()
	if ok {
		return m
	}
	m = maskNames(s, d.g, Mask)
	d.mu.Lock()
	if d.seen == nil {
		d.seen = map[string]string{}
	}
	if len(d.seen) < seenMaxEntries {
		d.seen[s] = m
	}
	d.mu.Unlock()
	return m
}

// mayName reports whether s could hold a name or a contact: it has a
// letter or a digit, and is not an ID or a digest (lower-case hex of 32
// or 64 digits), which every listing repeats.
func mayName(s string) bool {
	if n := len(s); n == 32 || n == 64 {
		hex := true
		for i := 0; i < n && hex; i++ {
			c := s[i]
			hex = c >= '0' && c <= '9' || c >= 'a' && c <= 'f'
		}
		if hex {
			return false
		}
	}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

var personType = reflect.TypeOf(model.Person{})

// walk masks every string reachable from v, which must be settable,
// copying slices, maps and pointees first so that nothing shared with the
// caller (or a cache) is changed.
func (d *discloser) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); s != "" {
			v.SetString(d.text(s))
		}
	case reflect.Struct:
		if v.Type() == personType {
			d.person(v)
		}
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				d.walk(f)
			}
		}
	case reflect.Slice:
		if v.IsNil() || !holdsText(v.Type().Elem()) {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		for i := range c.Len() {
			d.walk(c.Index(i))
		}
		v.Set(c)
	case reflect.Array:
		if holdsText(v.Type().Elem()) {
			for i := range v.Len() {
				d.walk(v.Index(i))
			}
		}
	case reflect.Map:
		if v.IsNil() || !(holdsText(v.Type().Key()) || holdsText(v.Type().Elem())) {
			return
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			k := reflect.New(v.Type().Key()).Elem()
			k.Set(it.Key())
			d.walk(k)
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			d.walk(e)
			c.SetMapIndex(k, e)
		}
		v.Set(c)
	case reflect.Pointer:
		if v.IsNil() || !holdsText(v.Type().Elem()) {
			return
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(v.Elem())
		d.walk(c.Elem())
		v.Set(c)
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		c := reflect.New(v.Elem().Type()).Elem()
		c.Set(v.Elem())
		d.walk(c)
		v.Set(c)
	}
}

// holdsText reports whether a value of type t can hold a string.
func holdsText(t reflect.Type) bool {
	return holdsTextSeen(t, map[reflect.Type]bool{})
}

func holdsTextSeen(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.String, reflect.Interface:
		return true
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() && holdsTextSeen(t.Field(i).Type, seen) {
				return true
			}
		}
	case reflect.Slice, reflect.Array, reflect.Pointer:
		return holdsTextSeen(t.Elem(), seen)
	case reflect.Map:
		return holdsTextSeen(t.Key(), seen) || holdsTextSeen(t.Elem(), seen)
	}
	return false
}

// person shows a person whose name is a sealed identity by the witness's
// pseudonym: every name becomes it (the rest is masked as text).
func (d *discloser) person(v reflect.Value) {
	p := v.Addr().Interface().(*model.Person)
	for _, n := range p.Names {
		if who := d.identity(n); who != "" {
			p.Names = []string{who}
			return
		}
	}
}

// identity returns the pseudonym of the witness whose full sealed name s
// is, or "" when it is none. A name that holds a sealed name and more
// ("박철민 (Pak)") counts.
func (d *discloser) identity(s string) string {
	for _, sp := range d.g.findEntries(s) {
		if sp.given || sp.entry == "" {
			continue
		}
		if who := d.who[sp.entry]; who != "" {
			return who
		}
		return "[sealed identity]"
	}
	return ""
}

// DiscloseError returns err as the session may see it: its message with
// every sealed name and contact masked, still wrapping err's kind (for
// exit codes). When the guard cannot be loaded, the message is withheld.
// It needs an open archive the first time, and then works after Close.
func (a *Archive) DiscloseError(err error) error {
	if err == nil || a.sees() {
		return err
	}
	a.guard.mu.Lock()
	d := a.guard.d
	a.guard.mu.Unlock()
	if d == nil {
		var derr error
		if d, derr = a.disclosure(context.Background()); derr != nil {
			return maskedError{msg: "the message is withheld: the disclosure guard could not be loaded", err: err}
		}
	}
	msg := err.Error()
	if m := d.text(msg); m != msg {
		return maskedError{msg: m, err: err}
	}
	return err
}

// maskedError is an error whose message was masked: errors.Is and As see
// the original.
type maskedError struct {
	msg string
	err error
}

func (m maskedError) Error() string { return m.msg }
func (m maskedError) Unwrap() error { return m.err }
