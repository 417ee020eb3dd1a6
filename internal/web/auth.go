package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sori/internal/archive"
	"sori/internal/evidence"
)

// preCookie ties the login form's CSRF token to this browser before there
// is a session (so that another site cannot log a victim into its account).
const preCookie = "sori_pre"

type loginData struct {
	Token   string
	Next    string // where to go once logged in (a local path)
	User    string
	Message string // a message key
	Wait    int    // seconds, with login.wait
}

func (s *Server) loginToken(pre string) string {
	m := hmac.New(sha256.New, s.loginKey)
	m.Write([]byte("login\x00" + pre))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	d := loginData{Next: localPath(r.URL.Query().Get("next"))}
	switch {
	case r.URL.Query().Has("expired"):
		d.Message = "login.expired"
	case r.URL.Query().Has("out"):
		d.Message = "login.out"
	}
	s.renderLogin(w, r, http.StatusOK, d)
}

// renderLogin renders the login form with a CSRF token for this browser's
// pre-session cookie, made now if it has none.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	pre := ""
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 32 {
		pre = c.Value
	} else {
		pre = randomToken()
		s.setCookie(w, preCookie, pre, 3600)
	}
	d.Token = s.loginToken(pre)
	s.render(w, r, nil, status, "login", "login.title", d)
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	c, err := r.Cookie(preCookie)
	if err != nil || !sameOrigin(r) || !tokenEqual(r.PostFormValue("csrf"), s.loginToken(c.Value)) {
		s.fail(w, r, nil, http.StatusForbidden, "err.csrf")
		return
	}
	user := strings.TrimSpace(r.PostFormValue("user"))
	pass := r.PostFormValue("passphrase")
	keys := []string{"u:" + user, "a:" + clientAddr(r)}
	now := s.cfg.Now()
	if wait := s.throttle.wait(now, keys...); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.renderLogin(w, r, http.StatusTooManyRequests, loginData{User: user, Next: localPath(r.PostFormValue("next")), Message: "login.wait", Wait: secs})
		return
	}
	if user == "" || pass == "" {
		s.renderLogin(w, r, http.StatusUnauthorized, loginData{User: user, Next: localPath(r.PostFormValue("next")), Message: "login.bad"})
		return
	}
	a, err := s.unlock(r.Context(), user, pass)
	if err != nil {
		if errors.Is(err, evidence.ErrLocked) {
			s.throttle.fail(s.cfg.Now(), keys...)
			s.log.Info("web: login failed", "addr", clientAddr(r))
			s.renderLogin(w, r, http.StatusUnauthorized, loginData{User: user, Next: localPath(r.PostFormValue("next")), Message: "login.bad"})
			return
		}
		s.log.Error("web: unlocking the archive", "err", err.Error())
		s.fail(w, r, nil, http.StatusServiceUnavailable, "err.internal")
		return
	}
	// The second factor, where the archive requires one of this user
	// (totp.go). A wrong code reads as a wrong passphrase: the answer
	// must not tell that the passphrase was right.
	if ok, err := s.secondFactor(r.Context(), a, r.PostFormValue("code")); !ok {
		a.Close()
		if err != nil {
			s.log.Error("web: reading the second factor", "err", err.Error())
			s.fail(w, r, nil, http.StatusServiceUnavailable, "err.internal")
			return
		}
		s.throttle.fail(s.cfg.Now(), keys...)
		s.log.Info("web: login failed", "addr", clientAddr(r))
		s.renderLogin(w, r, http.StatusUnauthorized, loginData{User: user, Next: localPath(r.PostFormValue("next")), Message: "login.bad"})
		return
	}
	s.throttle.reset(keys[0])
	// A new session ID at every login, whatever cookie came in: a session
	// ID planted before login (fixation) never becomes a logged-in one.
	if old, err := r.Cookie(s.cookieName()); err == nil {
		s.sessions.remove(old.Value)
	}
	ss := s.sessions.add(a, s.cfg.Now())
	s.setCookie(w, s.cookieName(), ss.id, 0)
	s.setCookie(w, preCookie, "", -1)
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
}

// unlock runs the Unlocker, at most two at a time. The Archive outlives the
// request, so the request's cancellation does not reach it once unlocked.
func (s *Server) unlock(ctx context.Context, user, pass string) (*archive.Archive, error) {
	select {
	case s.unlocking <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.unlocking }()
	a, err := s.cfg.Unlock(context.WithoutCancel(ctx), user, pass)
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, ss *session) {
	// Out of the table now; authed closes it (dropping the keys) as soon
	// as this handler returns, since it holds the session open meanwhile.
	s.sessions.detach(ss.id)
	ss.ending.Store(true)
	s.setCookie(w, s.cookieName(), "", -1)
	http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
}

// ping keeps a login alive (the idle warning's button).
func (s *Server) ping(w http.ResponseWriter, r *http.Request, ss *session) {
	w.WriteHeader(http.StatusNoContent)
}

// reauth checks the user's passphrase again, by unlocking their key once
// more and closing it at once, and opens the vault for ReauthWindow.
func (s *Server) reauth(w http.ResponseWriter, r *http.Request, ss *session) {
	keys := []string{"u:" + ss.user, "a:" + clientAddr(r)}
	if wait := s.throttle.wait(s.cfg.Now(), keys...); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		s.fail(w, r, ss, http.StatusTooManyRequests, "login.bad")
		return
	}
	a, err := s.unlock(r.Context(), ss.user, r.PostFormValue("passphrase"))
	if err != nil {
		if errors.Is(err, evidence.ErrLocked) {
			s.throttle.fail(s.cfg.Now(), keys...)
			s.fail(w, r, ss, http.StatusUnauthorized, "login.bad")
			return
		}
		s.failErr(w, r, ss, err)
		return
	}
	a.Close()
	s.sessions.setReauth(ss, s.cfg.Now())
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
}

// clientAddr is the peer's IP address. Behind a reverse proxy every client
// has the proxy's address, so per-address slowing then counts them together
// (per-user slowing still holds); docs/deploy.md says so.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
