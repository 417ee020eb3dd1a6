package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"

	"sori/internal/archive"
	"sori/internal/evidence"
)

// Who an API request is made as: an API token's user, or a web login's
// (reads only). A token's session is unlocked once and kept as a login's
// is; its requests are checked against the archive (tokencheck.go).

// TokenUnlocker unlocks the archive with an API token: sori serve passes
// repo.UnlockToken. Any refusal of the token MUST wrap evidence.ErrLocked,
// and no error may contain the token. The id returned is the token's (for
// Archive.CheckToken).
type TokenUnlocker func(ctx context.Context, token string) (*archive.Archive, string, error)

// bearer returns the request's bearer token, if it has one.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// api authenticates an API request and runs h holding its session open.
func (s *Server) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if tok, ok := bearer(r); ok {
			s.apiWithToken(w, r, tok, h)
			return
		}
		var ss *session
		if c, err := r.Cookie(s.cookieName()); err == nil {
			ss = s.sessions.touch(c.Value, s.cfg.Now(), s.cfg.IdleTimeout)
		}
		if ss == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sori"`)
			apiError(w, http.StatusUnauthorized, "unauthorized", "log in, or send an API token (Authorization: Bearer …; see sori token create)")
			return
		}
		// A web login may read; a change needs a token (a cookie alone
		// is what a cross-site request would carry).
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			apiError(w, http.StatusForbidden, "forbidden", "changes through the API need an API token")
			return
		}
		if !s.serveOpen(w, r, ss, h) {
			apiError(w, http.StatusUnauthorized, "unauthorized", "the login ended")
		}
		if ss.ending.Load() {
			ss.close()
		}
	}
}

// apiWithToken runs h as the user of token tok. The token's session is
// unlocked once and kept (like a login, until IdleTimeout without a
// request); the token is checked against the archive again before the
// requests it serves (tokencheck.go), so that a revocation, expiry or role
// change made anywhere holds for the requests made after it.
func (s *Server) apiWithToken(w http.ResponseWriter, r *http.Request, tok string, h apiHandler) {
	// Refused tokens are not slowed as failed logins are: a token is 256
	// random bits, nothing to guess, and refusing one costs a file read
	// and at most one X25519 decryption, no scrypt.
	key := tokenKey(tok)
	ss := s.tokens.touch(key, s.cfg.Now(), s.cfg.IdleTimeout)
	if ss == nil {
		var err error
		if ss, err = s.unlockToken(r.Context(), key, tok); err != nil {
			if errors.Is(err, evidence.ErrLocked) {
				s.log.Info("api: token refused", "addr", clientAddr(r))
				w.Header().Set("WWW-Authenticate", `Bearer realm="sori", error="invalid_token"`)
				// The archive's message names the token's ID and what is
				// wrong with it, never the token itself.
				apiError(w, http.StatusUnauthorized, "unauthorized", err.Error())
				return
			}
			s.log.Error("api: unlocking with a token", "err", err.Error())
			apiError(w, http.StatusServiceUnavailable, "unavailable", "the archive could not be opened")
			return
		}
	}
	served := s.serveOpen(w, r, ss, func(w http.ResponseWriter, r *http.Request, ss *session) {
		if err := s.checkToken(r.Context(), ss); err != nil {
			s.tokens.detach(key)
			ss.ending.Store(true)
			if errors.Is(err, evidence.ErrLocked) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="sori", error="invalid_token"`)
			}
			s.apiFail(w, r, ss, err)
			return
		}
		h(w, r, ss)
	})
	if !served {
		apiError(w, http.StatusUnauthorized, "unauthorized", "the token's session ended; send the request again")
	}
	if ss.ending.Load() {
		ss.close()
	}
}

// recheckTokens closes the token sessions whose token no longer holds
// (revoked, expired, its user's role changed, by any process), so that
// their keys leave memory without waiting for a request or the idle
// timeout. Server.Run calls it once a minute.
func (s *Server) recheckTokens(ctx context.Context) {
	s.tokens.mu.Lock()
	all := make(map[string]*session, len(s.tokens.byID))
	maps.Copy(all, s.tokens.byID)
	s.tokens.mu.Unlock()
	for key, ss := range all {
		ss.mu.RLock()
		err := error(nil)
		if !ss.closed {
			err = ss.arch.CheckToken(ctx, ss.tokenID)
		}
		ss.mu.RUnlock()
		if errors.Is(err, evidence.ErrLocked) {
			if s.tokens.detach(key) != nil {
				ss.close()
			}
		}
	}
}

// unlockToken unlocks a token's session, one token at a time so that many
// first requests with one token unlock it once.
func (s *Server) unlockToken(ctx context.Context, key, tok string) (*session, error) {
	if s.cfg.UnlockToken == nil {
		return nil, fmt.Errorf("%w: this server takes no API tokens", evidence.ErrLocked)
	}
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	if ss := s.tokens.touch(key, s.cfg.Now(), s.cfg.IdleTimeout); ss != nil {
		return ss, nil
	}
	a, id, err := s.cfg.UnlockToken(context.WithoutCancel(ctx), tok)
	if err != nil {
		return nil, err
	}
	u := a.User()
	ss := &session{id: key, user: u.Name, roles: u.Role, arch: a, tokenID: id, lastSeen: s.cfg.Now()}
	s.tokens.mu.Lock()
	s.tokens.byID[key] = ss
	s.tokens.mu.Unlock()
	return ss, nil
}
