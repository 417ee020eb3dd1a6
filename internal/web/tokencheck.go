package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// How a request with an API token is checked against the archive without
// reading the database at every request.
//
// A token's session is unlocked once (api_auth.go) and found again by
// tokenKey. Before a request is served, its token must have passed a check
// against the archive (Archive.CheckTokenExpiry: the token's row and its
// user's role, read from the database) that began at most
// Config.TokenRecheck before the request did (default 100 ms). A
// revocation, removal or role change committed by any process is seen by
// every check that begins after it, so every request that begins more than
// TokenRecheck after it is refused; one made through this process (a role
// change or a removal) is refused at once (Archive.Current), and a token's
// expiry at its instant (the check's expiry is kept and compared at every
// request). At most one check per token session runs at a time; the
// requests that arrive meanwhile wait for it rather than each read the
// rows again. Server.Run's minute check still drops refused sessions with
// their keys.

// defaultTokenRecheck is how long one passed check of a token stands.
const defaultTokenRecheck = 100 * time.Millisecond

// tokenMACKey keys tokenKey: made at start, never stored, so that the
// table of token sessions holds nothing that could be checked against a
// guessed token outside this process.
var tokenMACKey = randomBytes(32)

// tokenKey is how the server's table of token sessions is keyed: an HMAC
// of the whole token, so the table holds no token.
func tokenKey(tok string) string {
	m := hmac.New(sha256.New, tokenMACKey)
	m.Write([]byte("sori api token\x00"))
	m.Write([]byte(tok))
	return "t:" + hex.EncodeToString(m.Sum(nil))
}

// tokenCheck is the last check of a token session's token that passed.
type tokenCheck struct {
	mu      sync.Mutex
	began   time.Time // when it began (zero: none passed yet)
	expires time.Time // the token's expiry as it read it (zero: never)
}

// checkToken checks ss's token against the archive, unless a check that
// passed began less than TokenRecheck ago (and the token has not expired
// since). A refusal wraps evidence.ErrLocked, as CheckToken's do.
func (s *Server) checkToken(ctx context.Context, ss *session) error {
	c := &ss.check
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.cfg.Now()
	window := s.cfg.TokenRecheck
	if window == 0 {
		window = defaultTokenRecheck
	}
	if ss.arch.Current() && !c.began.IsZero() && now.Sub(c.began) < window && now.Sub(c.began) >= 0 &&
		(c.expires.IsZero() || now.Before(c.expires)) {
		return nil
	}
	c.began = time.Time{}
	exp, err := ss.arch.CheckTokenExpiry(ctx, ss.tokenID)
	if err != nil {
		return err
	}
	c.began, c.expires = now, exp
	return nil
}
