package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sori/internal/archive"
)

// session is one login: the user's unlocked Archive, held in memory only.
type session struct {
	id   string
	csrf string
	user string
	// roles as stored (comma-separated), for what the navigation offers;
	// the archive checks every operation itself.
	roles string
	// tokenID is the API token this session was unlocked with ("" for a
	// web login); every request re-checks it (api.go).
	tokenID string
	// check is the last check of that token that passed (tokencheck.go).
	check tokenCheck

	// mu is held for reading while a request uses arch, and for writing
	// to close it, so a logout never closes an Archive under a running page.
	mu     sync.RWMutex
	arch   *archive.Archive
	closed bool
	ending atomic.Bool // logged out: close when the request ends

	// guarded by sessionStore.mu
	lastSeen time.Time
	reauthAt time.Time
}

func (ss *session) has(role string) bool {
	return slices.Contains(strings.Split(ss.roles, ","), role)
}

// close drops the session's keys. It waits for requests using them.
func (ss *session) close() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return
	}
	ss.closed = true
	ss.arch.Close()
	ss.arch = nil
}

type sessionStore struct {
	mu   sync.Mutex
	byID map[string]*session
}

func newSessionStore() *sessionStore { return &sessionStore{byID: map[string]*session{}} }

func (st *sessionStore) add(a *archive.Archive, now time.Time) *session {
	u := a.User()
	ss := &session{id: randomToken(), csrf: randomToken(), user: u.Name, roles: u.Role, arch: a, lastSeen: now}
	st.mu.Lock()
	st.byID[ss.id] = ss
	st.mu.Unlock()
	return ss
}

// touch returns the live session id and marks it used at now; a session idle
// past timeout is ended instead.
func (st *sessionStore) touch(id string, now time.Time, timeout time.Duration) *session {
	st.mu.Lock()
	ss := st.byID[id]
	if ss != nil && now.Sub(ss.lastSeen) > timeout {
		delete(st.byID, id)
		st.mu.Unlock()
		ss.close()
		return nil
	}
	if ss != nil {
		ss.lastSeen = now
	}
	st.mu.Unlock()
	return ss
}

func (st *sessionStore) remove(id string) {
	if ss := st.detach(id); ss != nil {
		ss.close()
	}
}

// detach takes session id out of the table, so no request finds it again.
func (st *sessionStore) detach(id string) *session {
	st.mu.Lock()
	defer st.mu.Unlock()
	ss := st.byID[id]
	delete(st.byID, id)
	return ss
}

func (st *sessionStore) expire(now time.Time, timeout time.Duration) {
	var old []*session
	st.mu.Lock()
	for id, ss := range st.byID {
		if now.Sub(ss.lastSeen) > timeout {
			delete(st.byID, id)
			old = append(old, ss)
		}
	}
	st.mu.Unlock()
	for _, ss := range old {
		ss.close()
	}
}

func (st *sessionStore) closeAll() {
	st.mu.Lock()
	all := st.byID
	st.byID = map[string]*session{}
	st.mu.Unlock()
	for _, ss := range all {
		ss.close()
	}
}

// all lists the live sessions.
func (st *sessionStore) all() []*session {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]*session, 0, len(st.byID))
	for _, ss := range st.byID {
		out = append(out, ss)
	}
	return out
}

func (st *sessionStore) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.byID)
}

func (st *sessionStore) setReauth(ss *session, t time.Time) {
	st.mu.Lock()
	ss.reauthAt = t
	st.mu.Unlock()
}

func (st *sessionStore) reauthed(ss *session, now time.Time, window time.Duration) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return !ss.reauthAt.IsZero() && now.Sub(ss.reauthAt) <= window
}

// The session cookie's name: under TLS the __Host- prefix makes browsers
// refuse it unless it is Secure, for this host only, on path /.
func (s *Server) cookieName() string {
	if s.cfg.Secure {
		return "__Host-sori"
	}
	return "sori"
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode})
}

// maxForm bounds a form's body: the app's forms are a few fields.
const maxForm = 64 << 10

type handler func(w http.ResponseWriter, r *http.Request, ss *session)

// authed runs h for a logged-in request, holding the session open; a
// state-changing request must carry the session's CSRF token. Anyone else
// is sent to the login page.
func (s *Server) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var ss *session
		if c, err := r.Cookie(s.cookieName()); err == nil {
			ss = s.sessions.touch(c.Value, s.cfg.Now(), s.cfg.IdleTimeout)
		}
		if ss == nil {
			s.toLogin(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if !sameOrigin(r) || !tokenEqual(csrfFrom(r), ss.csrf) {
				s.fail(w, r, ss, http.StatusForbidden, "err.csrf")
				return
			}
		}
		if !s.serveOpen(w, r, ss, h) {
			s.toLogin(w, r)
		}
		if ss.ending.Load() {
			ss.close()
		}
	}
}

// serveOpen runs h holding ss open; false if it was closed meanwhile.
func (s *Server) serveOpen(w http.ResponseWriter, r *http.Request, ss *session, h handler) bool {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	if ss.closed {
		return false
	}
	h(w, r, ss)
	return true
}

// toLogin sends a browser to the login page; htmx is told to navigate
// there rather than swap a login form into a fragment.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Redirect", "/login")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodGet {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	http.Error(w, "not logged in", http.StatusUnauthorized)
}

func csrfFrom(r *http.Request) string {
	if t := r.Header.Get("X-CSRF-Token"); t != "" {
		return t
	}
	return r.PostFormValue("csrf")
}

func tokenEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sameOrigin refuses a request a browser says came from another site: a
// second line behind the CSRF token. Browsers send Sec-Fetch-Site (which
// pages cannot forge) on every request; without it, Origin is compared
// (an Origin of "null", sent under some referrer policies, proves nothing
// either way and is left to the token).
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		return err == nil && u.Host == r.Host
	}
	return true
}
