package archive

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/internal/store"
)

// API tokens (docs/format.md "API tokens", docs/roles.md "API tokens").
//
// A token is "sori_" + its ID (32 hex digits) + "_" + a fresh age X25519
// identity. The archive keeps two things of it:
//
//   - tokens/<ID>.token: the user's key encrypted to the identity's
//     recipient (seal.SealForToken), with a line binding it to this archive,
//     the token ID and the user name. It is what lets the server unlock the
//     user's keys without their passphrase; it never contains the token.
//   - a row in the encrypted database (meta "api_token/<ID>", listed in
//     meta "api_tokens"): who, which role, when made, when it expires,
//     whether revoked. Every unlock by token, and every request a server
//     serves with one, reads that one row, so a revoked or expired token,
//     or one whose user was removed or had their role changed, opens
//     nothing (evidence.ErrLocked).
//
// Making and revoking a token are custody entries ("token",
// "token-revoke"). Because the token opens the user key, not a keyring, a
// key rotation (rotate.go) needs to re-seal nothing: it re-seals the
// remaining users' keyrings to their own keys, which their tokens still
// open. A removal deletes the user's keyring, and their tokens fail.
const (
	tokensDir     = "tokens"
	tokenPrefix   = "sori_"
	metaTokens    = "api_tokens" // the IDs of every token, in order made
	metaTokenRow  = "api_token/" // + ID: the token's row (TokenInfo)
	tokenBindV1   = "sori token v1"
	maxTokenLabel = 100
	// MaxTokens bounds the tokens an archive keeps rows for (revoked ones
	// included); past it, making one is refused.
	MaxTokens = 1000
)

// TokenInfo is an API token as listed: never its secret.
type TokenInfo struct {
	ID        string    `json:"id"`
	User      string    `json:"user"`    // user name
	UserID    string    `json:"user_id"` // user key ID
	Label     string    `json:"label,omitempty"`
	Role      string    `json:"role"` // the user's role when it was made; it opens nothing once that changes
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires,omitzero"` // zero: never
	Revoked   time.Time `json:"revoked,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"` // user key ID
}

// Active reports whether the token may be used at now (its role is
// checked against the user's apart).
func (t TokenInfo) Active(now time.Time) bool {
	return t.Revoked.IsZero() && (t.Expires.IsZero() || now.Before(t.Expires))
}

type metaReader func(context.Context, string) (string, error)

// tokenIndex is meta "api_tokens": the IDs of the archive's tokens.
type tokenIndex struct {
	V   int      `json:"v"`
	IDs []string `json:"ids"`
}

func readTokenIndex(ctx context.Context, meta metaReader) (tokenIndex, error) {
	v, err := meta(ctx, metaTokens)
	if err != nil || v == "" {
		return tokenIndex{V: 1}, err
	}
	var t tokenIndex
	if err := json.Unmarshal([]byte(v), &t); err != nil || t.V != 1 {
		return t, fmt.Errorf("%w: the list of API tokens is not readable", evidence.ErrDamaged)
	}
	return t, nil
}

// readToken reads token id's row; ok is false when there is none.
func readToken(ctx context.Context, meta metaReader, id string) (TokenInfo, bool, error) {
	v, err := meta(ctx, metaTokenRow+id)
	if err != nil || v == "" {
		return TokenInfo{}, false, err
	}
	var t TokenInfo
	if err := json.Unmarshal([]byte(v), &t); err != nil || t.ID != id {
		return t, false, fmt.Errorf("%w: the row of API token %s is not readable", evidence.ErrDamaged, id)
	}
	return t, true, nil
}

func writeToken(ctx context.Context, tx store.Tx, t TokenInfo) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return tx.SetMeta(ctx, metaTokenRow+t.ID, string(b))
}

// tokenDigest commits a custody entry to the token's public facts (not its
// label, which is the user's free text).
func tokenDigest(t TokenInfo) evidence.Digest {
	b, _ := json.Marshal(struct {
		V       int       `json:"v"`
		ID      string    `json:"id"`
		User    string    `json:"user"`
		Role    string    `json:"role"`
		Created time.Time `json:"created"`
		Expires time.Time `json:"expires"`
		Revoked time.Time `json:"revoked"`
	}{1, t.ID, t.UserID, t.Role, t.Created.UTC(), t.Expires.UTC(), t.Revoked.UTC()})
	return evidence.Digest(sha256.Sum256(b))
}

func tokenBind(archiveID, id, user string) string {
	return tokenBindV1 + " " + archiveID + " " + id + " " + user
}

// ParseToken splits a token into its ID and secret. Anything not of the
// form sori_<32 hex>_<secret> gives evidence.ErrLocked; the error does not
// repeat the input.
func ParseToken(token string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(token), tokenPrefix)
	id, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 32 || secret == "" {
		return "", "", fmt.Errorf("%w: not a sori API token", evidence.ErrLocked)
	}
	if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id {
		return "", "", fmt.Errorf("%w: not a sori API token", evidence.ErrLocked)
	}
	return id, secret, nil
}

// CheckTokenLabel validates a token's label: up to 100 printable characters.
func CheckTokenLabel(s string) (string, error) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxTokenLabel || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("%w: token label: up to %d printable characters", evidence.ErrInvalid, maxTokenLabel)
	}
	return s, nil
}

// CreateToken makes an API token for the acting user, valid for ttl (0:
// until revoked). It returns the token, which the archive does not keep:
// show it once. The token's row and a "token" custody entry are committed
// in one transaction; the sealed key file is written while that
// transaction holds the write lock, and taken away again if it fails.
func (a *Archive) CreateToken(ctx context.Context, label string, ttl time.Duration) (string, TokenInfo, error) {
	if err := a.allow(OpPasswd); err != nil {
		return "", TokenInfo{}, err
	}
	label, err := CheckTokenLabel(label)
	if err != nil {
		return "", TokenInfo{}, err
	}
	if ttl < 0 {
		return "", TokenInfo{}, fmt.Errorf("%w: a token's lifetime must not be negative", evidence.ErrInvalid)
	}
	idb := make([]byte, 16)
	rand.Read(idb)
	id := hex.EncodeToString(idb)
	secret, recipient, err := seal.NewTokenSecret()
	if err != nil {
		return "", TokenInfo{}, err
	}
	sealed, err := a.key.SealForToken(recipient, tokenBind(a.cfg.ID, id, a.me.Name))
	if err != nil {
		return "", TokenInfo{}, err
	}
	path := filepath.Join(a.dir, tokensDir, id+".token")
	var info TokenInfo
	written := false
	_, err = a.change(ctx, OpPasswd, func(tx store.Tx, l *logger) error {
		t, err := readTokenIndex(ctx, tx.Meta)
		if err != nil {
			return err
		}
		if len(t.IDs) >= MaxTokens {
			return fmt.Errorf("%w: the archive holds %d API tokens, the most it keeps", evidence.ErrInvalid, len(t.IDs))
		}
		info = TokenInfo{ID: id, User: a.me.Name, UserID: a.me.ID, Label: label, Role: l.role, Created: l.now.UTC()}
		if ttl > 0 {
			info.Expires = l.now.Add(ttl).UTC()
		}
		t.IDs = append(t.IDs, id)
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if err := tx.SetMeta(ctx, metaTokens, string(b)); err != nil {
			return err
		}
		if err := writeToken(ctx, tx, info); err != nil {
			return err
		}
		if err := l.append(ctx, custody.KindToken, id, 0, tokenDigest(info), evidence.Digest{}); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		written = true
		return writeFileAtomic(path, sealed)
	})
	if err != nil {
		if written {
			os.Remove(path)
		}
		return "", TokenInfo{}, err
	}
	a.log.Info("api token created")
	return tokenPrefix + id + "_" + secret, info, nil
}

// Tokens lists API tokens, revoked and expired ones included: an admin's
// session sees everyone's, any other the acting user's own.
func (a *Archive) Tokens(ctx context.Context) ([]TokenInfo, error) {
	if err := a.allow(OpPasswd); err != nil {
		return nil, err
	}
	t, err := readTokenIndex(ctx, a.db.Meta)
	if err != nil {
		return nil, err
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return nil, err
	}
	all := Permits(a.me.Role, OpUserList)
	out := []TokenInfo{}
	for _, id := range t.IDs {
		r, ok, err := readToken(ctx, a.db.Meta, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: API token %s is listed but has no row", evidence.ErrDamaged, id)
		}
		if all || r.UserID == a.me.ID {
			// A label is free text: it passes the guard as every value
			// leaving the archive does.
			out = append(out, discloseAs(d, r))
		}
	}
	return out, nil
}

// RevokeToken revokes token id (the ID `sori token ls` lists, not the
// secret): its own user, or an admin, may. Its row is marked revoked and a
// "token-revoke" custody entry appended in one transaction; the sealed key
// file is deleted after. An unknown ID gives evidence.ErrNotFound; one
// already revoked, evidence.ErrInvalid; nothing is changed.
func (a *Archive) RevokeToken(ctx context.Context, id string) (TokenInfo, error) {
	if err := a.allow(OpPasswd); err != nil {
		return TokenInfo{}, err
	}
	id = strings.ToLower(strings.TrimSpace(id))
	if b, err := hex.DecodeString(id); err != nil || len(b) != 16 {
		return TokenInfo{}, fmt.Errorf("%w: a token ID is 32 hex digits (see sori token ls)", evidence.ErrInvalid)
	}
	var info TokenInfo
	_, err := a.change(ctx, opChecked, func(tx store.Tx, l *logger) error {
		row, ok, err := readToken(ctx, tx.Meta, id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: no API token %s", evidence.ErrNotFound, id)
		}
		if row.UserID != a.me.ID && !Permits(l.role, OpUserRemove) {
			// Another user's token is as good as not there.
			return fmt.Errorf("%w: no API token %s", evidence.ErrNotFound, id)
		}
		if !Permits(l.role, OpPasswd) {
			return fmt.Errorf("%w: role %s may not revoke API tokens", evidence.ErrForbidden, l.role)
		}
		if !row.Revoked.IsZero() {
			return fmt.Errorf("%w: API token %s was already revoked", evidence.ErrInvalid, id)
		}
		row.Revoked, row.RevokedBy = l.now.UTC(), a.me.ID
		info = row
		if err := writeToken(ctx, tx, row); err != nil {
			return err
		}
		return l.append(ctx, custody.KindTokenRevoke, id, 0, tokenDigest(info), evidence.Digest{})
	})
	if err != nil {
		return TokenInfo{}, err
	}
	// The row already refuses it; the key file goes too, so that nothing
	// the token opens is left on disk.
	if err := os.Remove(filepath.Join(a.dir, tokensDir, id+".token")); err != nil && !errors.Is(err, os.ErrNotExist) {
		a.log.Warn("removing a revoked token's key file", "err", err)
	}
	a.log.Info("api token revoked")
	return info, nil
}

// UnlockToken opens a session with an API token instead of a passphrase:
// the token opens the user's key from tokens/<ID>.token, then the unlock
// goes on as Unlock's does. A token that is malformed, unknown, revoked,
// expired, of a removed user, or made under a role the user no longer
// holds gives an error wrapping evidence.ErrLocked that says which (and
// never contains the token). The token's ID is returned for CheckToken.
func (r *Repo) UnlockToken(ctx context.Context, token string) (*Session, string, error) {
	id, secret, err := ParseToken(token)
	if err != nil {
		return nil, "", err
	}
	done, err := r.lock.reading(ctx)
	if err != nil {
		return nil, "", err
	}
	defer done()
	sealed, err := os.ReadFile(filepath.Join(r.dir, tokensDir, id+".token"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("%w: unknown or revoked API token", evidence.ErrLocked)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", evidence.ErrDamaged, err)
	}
	key, bind, err := seal.OpenTokenKey(sealed, secret)
	if err != nil {
		return nil, "", err
	}
	prefix := tokenBind(r.cfg.ID, id, "")
	user, ok := strings.CutPrefix(bind, prefix)
	if !ok || user == "" {
		return nil, "", fmt.Errorf("%w: the key file of API token %s was not made for it", evidence.ErrLocked, id)
	}
	loc := locator(r.cfg.ID, user)
	if _, err := os.Stat(filepath.Join(r.dir, keysDir, loc+".ring")); errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("%w: the user of API token %s has no keyring here (removed from the archive?)", evidence.ErrLocked, id)
	}
	a, err := r.unlockKey(ctx, key, loc, fmt.Sprintf("the user of API token %s", id))
	if err != nil {
		return nil, "", err
	}
	if err := a.CheckToken(ctx, id); err != nil {
		a.Close()
		return nil, "", err
	}
	return a, id, nil
}

// CheckToken checks, against the database as it is now, that token id
// still opens this session: not revoked, not expired, made by this
// session's user under the role they hold now. A server checks before the
// requests it serves with a token (one check stands for at most a moment:
// web/tokencheck.go), so that a revocation by another process holds for
// every request made after it. Failures wrap evidence.ErrLocked.
func (a *Archive) CheckToken(ctx context.Context, id string) error {
	_, err := a.CheckTokenExpiry(ctx, id)
	return err
}

// CheckTokenExpiry is CheckToken, and also returns when the token expires
// (zero: never), so that a server that lets one check stand for a moment
// checks again once that time has come.
func (a *Archive) CheckTokenExpiry(ctx context.Context, id string) (time.Time, error) {
	if a.stale() {
		return time.Time{}, errStale
	}
	row, ok, err := readToken(ctx, a.db.Meta, id)
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		return time.Time{}, fmt.Errorf("%w: unknown API token %s", evidence.ErrLocked, id)
	}
	switch {
	case row.UserID != a.me.ID:
		return time.Time{}, fmt.Errorf("%w: API token %s belongs to another user", evidence.ErrLocked, id)
	case !row.Revoked.IsZero():
		return time.Time{}, fmt.Errorf("%w: API token %s was revoked", evidence.ErrLocked, id)
	case !row.Active(a.now()):
		return time.Time{}, fmt.Errorf("%w: API token %s expired at %s", evidence.ErrLocked, id, row.Expires.Format(time.RFC3339))
	}
	me, err := a.db.UserByID(ctx, a.me.ID)
	if err != nil {
		return time.Time{}, err
	}
	if me.Role == roleRemoved {
		return time.Time{}, fmt.Errorf("%w: the user of API token %s was removed", evidence.ErrLocked, id)
	}
	if me.Role != row.Role {
		return time.Time{}, fmt.Errorf("%w: the role of API token %s's user changed since it was made (%s, now %s); make a new token", evidence.ErrLocked, id, row.Role, me.Role)
	}
	return row.Expires, nil
}

// Current reports, without reading the database, whether the session
// still holds for its user: false once their role was changed, or they
// were removed, through this process's Repo (every operation refuses the
// session then). A change made by another process is what CheckToken
// reads the database for.
func (a *Archive) Current() bool { return !a.stale() }
