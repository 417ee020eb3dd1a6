package archive

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"sori/internal/evidence"
	"sori/internal/store"
)

// Saved searches: a user keeps a search (its query and filters) under a
// name, lists, runs and deletes them. They belong to one user and are
// private to them: a query can itself name someone, so the list is sealed
// to the user's own key (seal.UserKey.SealPrivate) and kept in the
// encrypted database (meta "saved_searches/<user key ID>"); another user,
// an admin included, neither lists nor opens it. They are not evidence:
// saving one appends no custody entry, and it is written in one
// transaction (crash-safe: the old list or the new one). Every value
// returned passes the disclosure guard, and running one is a search like
// any other (Search, with its own guard).

const (
	metaSavedSearches = "saved_searches/"
	savedSearchBind   = "sori saved searches v1"
	// MaxSavedSearches bounds one user's saved searches.
	MaxSavedSearches = 200
	maxSavedName     = 100
	maxSavedQuery    = 1000
)

// SavedSearch is a search kept under a name.
type SavedSearch struct {
	ID        string    `json:"id"` // 16 hex digits, random: what URLs name instead of the query
	Name      string    `json:"name"`
	Query     string    `json:"query"`
	Kind      string    `json:"kind,omitempty"`
	Lang      string    `json:"lang,omitempty"`
	Violation string    `json:"violation,omitempty"`
	Place     string    `json:"place,omitempty"`
	From      int       `json:"from,omitempty"`
	To        int       `json:"to,omitempty"`
	Saved     time.Time `json:"saved"`
}

// Options are the archive's search options for s.
func (s SavedSearch) Options() SearchOptions {
	return SearchOptions{Kind: s.Kind, Violation: s.Violation, Place: s.Place, From: s.From, To: s.To}
}

type savedList struct {
	V    int           `json:"v"`
	Bind string        `json:"bind"` // savedSearchBind + archive ID + user ID: not another's list copied in
	List []SavedSearch `json:"list"`
}

func printable(s string, max int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= max && strings.IndexFunc(s, unicode.IsControl) < 0
}

// checkSaved validates and normalises s (not its ID or time).
func checkSaved(s SavedSearch) (SavedSearch, error) {
	s.Name = norm.NFC.String(strings.TrimSpace(s.Name))
	s.Query = strings.TrimSpace(s.Query)
	switch {
	case s.Name == "" || !printable(s.Name, maxSavedName):
		return s, fmt.Errorf("%w: a saved search's name: 1 to %d printable characters", evidence.ErrInvalid, maxSavedName)
	case s.Query == "" || !printable(s.Query, maxSavedQuery):
		return s, fmt.Errorf("%w: a saved search's query: 1 to %d printable characters", evidence.ErrInvalid, maxSavedQuery)
	case !printable(s.Kind, 40) || !printable(s.Lang, 40) || !printable(s.Violation, 200) || !printable(s.Place, 200):
		return s, fmt.Errorf("%w: a saved search's filters: up to 200 printable characters each", evidence.ErrInvalid)
	case s.From < 0 || s.To < 0 || s.From > 9999 || s.To > 9999 || (s.To != 0 && s.From > s.To):
		return s, fmt.Errorf("%w: a saved search's years: from ≤ to, 0 to 9999", evidence.ErrInvalid)
	}
	return s, nil
}

func (a *Archive) savedBind() string { return savedSearchBind + " " + a.cfg.ID + " " + a.me.ID }

// readSaved opens the acting user's list as meta reads it.
func (a *Archive) readSaved(ctx context.Context, meta metaReader) (savedList, error) {
	l := savedList{V: 1, Bind: a.savedBind(), List: []SavedSearch{}}
	v, err := meta(ctx, metaSavedSearches+a.me.ID)
	if err != nil || v == "" {
		return l, err
	}
	sealed, err := hex.DecodeString(v)
	if err != nil {
		return l, fmt.Errorf("%w: the saved searches are not readable", evidence.ErrDamaged)
	}
	plain, err := a.key.OpenPrivate(sealed)
	if err != nil {
		return l, fmt.Errorf("%w: the saved searches are not readable", evidence.ErrDamaged)
	}
	var got savedList
	if err := json.Unmarshal(plain, &got); err != nil || got.V != 1 || got.Bind != l.Bind {
		return l, fmt.Errorf("%w: the saved searches are not readable", evidence.ErrDamaged)
	}
	if got.List == nil {
		got.List = []SavedSearch{}
	}
	return got, nil
}

// editSaved changes the acting user's list in one transaction. The
// transaction first takes the archive's writer lock (TreeSize), so that
// two sessions of one user, in two processes, do not lose each other's
// change.
func (a *Archive) editSaved(ctx context.Context, fn func(*savedList) error) error {
	if err := a.allow(OpSearch); err != nil {
		return err
	}
	tx, err := a.db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.TreeSize(ctx); err != nil {
		return err
	}
	role, err := a.roleIn(ctx, tx)
	if err != nil {
		return err
	}
	if !Permits(role, OpSearch) {
		return fmt.Errorf("%w: role %s may not search (see docs/roles.md)", evidence.ErrForbidden, role)
	}
	l, err := a.readSaved(ctx, tx.Meta)
	if err != nil {
		return err
	}
	if err := fn(&l); err != nil {
		return err
	}
	if err := writeSaved(ctx, tx, a, l); err != nil {
		return err
	}
	return tx.Commit()
}

func writeSaved(ctx context.Context, tx store.Tx, a *Archive, l savedList) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	sealed, err := a.key.SealPrivate(b)
	if err != nil {
		return err
	}
	return tx.SetMeta(ctx, metaSavedSearches+a.me.ID, hex.EncodeToString(sealed))
}

// SaveSearch keeps s under its name for the acting user, replacing one of
// the same name (which keeps its ID), and returns it as saved (through the
// guard). Bad input gives evidence.ErrInvalid and changes nothing.
func (a *Archive) SaveSearch(ctx context.Context, s SavedSearch) (SavedSearch, error) {
	s, err := checkSaved(s)
	if err != nil {
		return SavedSearch{}, err
	}
	err = a.editSaved(ctx, func(l *savedList) error {
		s.Saved = a.now().UTC()
		if i := slices.IndexFunc(l.List, func(x SavedSearch) bool { return x.Name == s.Name }); i >= 0 {
			s.ID = l.List[i].ID
			l.List[i] = s
			return nil
		}
		if len(l.List) >= MaxSavedSearches {
			return fmt.Errorf("%w: %d saved searches are the most one user keeps; delete one first", evidence.ErrInvalid, MaxSavedSearches)
		}
		id := make([]byte, 8)
		rand.Read(id)
		s.ID = hex.EncodeToString(id)
		l.List = append(l.List, s)
		return nil
	})
	if err != nil {
		return SavedSearch{}, err
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return SavedSearch{}, err
	}
	return discloseAs(d, s), nil
}

// SavedSearches lists the acting user's saved searches, by name, through
// the guard.
func (a *Archive) SavedSearches(ctx context.Context) ([]SavedSearch, error) {
	if err := a.allow(OpSearch); err != nil {
		return nil, err
	}
	l, err := a.readSaved(ctx, a.db.Meta)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(l.List, func(x, y SavedSearch) int { return strings.Compare(x.Name, y.Name) })
	d, err := a.disclosure(ctx)
	if err != nil {
		return nil, err
	}
	return discloseAs(d, l.List), nil
}

func checkSavedID(id string) error {
	if b, err := hex.DecodeString(id); err != nil || len(b) != 8 {
		return fmt.Errorf("%w: a saved search's ID is 16 hex digits", evidence.ErrInvalid)
	}
	return nil
}

// savedByID finds the acting user's saved search id as stored (no guard).
func (a *Archive) savedByID(ctx context.Context, id string) (SavedSearch, error) {
	if err := checkSavedID(id); err != nil {
		return SavedSearch{}, err
	}
	l, err := a.readSaved(ctx, a.db.Meta)
	if err != nil {
		return SavedSearch{}, err
	}
	for _, s := range l.List {
		if s.ID == id {
			return s, nil
		}
	}
	// Another user's ID is as good as none: their list is not this one.
	return SavedSearch{}, fmt.Errorf("%w: no saved search %s", evidence.ErrNotFound, id)
}

// SavedSearch returns the acting user's saved search id, through the guard.
func (a *Archive) SavedSearch(ctx context.Context, id string) (SavedSearch, error) {
	if err := a.allow(OpSearch); err != nil {
		return SavedSearch{}, err
	}
	s, err := a.savedByID(ctx, id)
	if err != nil {
		return SavedSearch{}, err
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return SavedSearch{}, err
	}
	return discloseAs(d, s), nil
}

// RunSavedSearch runs the acting user's saved search id: Search with its
// query and filters (opt gives the limit and snippet markers; its filters
// are the saved ones). It returns the search as SavedSearch does, and the
// hits as Search does; its Lang is for the caller to apply (items only).
func (a *Archive) RunSavedSearch(ctx context.Context, id string, opt SearchOptions) (SavedSearch, []store.Hit, error) {
	if err := a.allow(OpSearch); err != nil {
		return SavedSearch{}, nil, err
	}
	s, err := a.savedByID(ctx, id)
	if err != nil {
		return SavedSearch{}, nil, err
	}
	o := s.Options()
	o.Limit, o.Open, o.Shut, o.NoSnippets = opt.Limit, opt.Open, opt.Shut, opt.NoSnippets
	hits, err := a.Search(ctx, s.Query, o)
	if err != nil {
		return SavedSearch{}, nil, err
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return SavedSearch{}, nil, err
	}
	return discloseAs(d, s), hits, nil
}

// DeleteSavedSearch deletes the acting user's saved search id
// (evidence.ErrNotFound if they have none of that ID).
func (a *Archive) DeleteSavedSearch(ctx context.Context, id string) error {
	if err := checkSavedID(id); err != nil {
		return err
	}
	return a.editSaved(ctx, func(l *savedList) error {
		i := slices.IndexFunc(l.List, func(x SavedSearch) bool { return x.ID == id })
		if i < 0 {
			return fmt.Errorf("%w: no saved search %s", evidence.ErrNotFound, id)
		}
		l.List = slices.Delete(l.List, i, i+1)
		return nil
	})
}
