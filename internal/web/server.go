package web

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"sori/internal/archive"
)

// Unlocker unlocks the archive as user with passphrase. It is the one seam
// between the web app and how archives are opened: sori serve passes
// repo.Unlock, a Session of the server's one Repo. A wrong passphrase or an
// unknown user MUST be an error wrapping evidence.ErrLocked. The caller owns
// the returned Archive and closes it when the login ends.
type Unlocker func(ctx context.Context, user, passphrase string) (*archive.Archive, error)

// Config is what a Server needs. Zero durations take the defaults.
type Config struct {
	Unlock Unlocker
	// UnlockToken, if set, lets the JSON API take API tokens (api.go).
	UnlockToken TokenUnlocker
	// Secure marks cookies Secure and names the session cookie __Host-…:
	// set it when the server (or the proxy in front of it) speaks TLS.
	Secure bool
	// IdleTimeout ends a login after this long without a request
	// (default 15 minutes); the page warns a minute before.
	IdleTimeout time.Duration
	// ReauthWindow is how long a re-entered passphrase opens the vault
	// (default 5 minutes).
	ReauthWindow time.Duration
	// MaxUpload bounds one upload on the intake page, in bytes (default
	// 2 GiB); a larger one is refused with 413 and nothing is stored.
	MaxUpload int64
	Logger    *slog.Logger
	// IndexWake, when set, wakes the background indexer (Repo.IndexWake);
	// Run indexes queued items then, and now and then (indexer.go).
	IndexWake <-chan struct{}
	// Now overrides the clock (tests).
	Now func() time.Time
	// TokenRecheck is how long a check of an API token against the
	// archive stands for the requests that follow (tokencheck.go; default
	// 100 ms; negative: every request is checked).
	TokenRecheck time.Duration
}

// Server is the web app. Create it with New; it is an http.Handler.
type Server struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	pages    map[string]*template.Template
	sessions *sessionStore
	throttle *throttle
	// tokens are the sessions of API tokens, keyed by a hash of the
	// token (api.go); tokenMu makes one token's first requests unlock once.
	tokens  *sessionStore
	tokenMu sync.Mutex
	metrics *metrics
	// totpUsed is, per user key ID, the last TOTP time step a login used
	// (totp.go): a code is taken once.
	totpMu   sync.Mutex
	totpUsed map[string]int64
	// unlocking bounds concurrent unlocks: each is a scrypt of tens of MiB.
	unlocking chan struct{}
	loginKey  []byte // keys the login form's CSRF token to its pre-session cookie
	closeOnce sync.Once
	done      chan struct{}
	// tests: what each background indexing did, and its period instead of
	// indexEvery
	indexed    chan int
	indexEvery time.Duration
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New returns a Server. Run Close when done: it ends every login.
func New(cfg Config) (*Server, error) {
	if cfg.Unlock == nil {
		return nil, errors.New("web: no Unlocker")
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 15 * time.Minute
	}
	if cfg.ReauthWindow <= 0 {
		cfg.ReauthWindow = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		pages:     pages,
		sessions:  newSessionStore(),
		throttle:  newThrottle(),
		tokens:    newSessionStore(),
		metrics:   newMetrics(),
		totpUsed:  map[string]int64{},
		unlocking: make(chan struct{}, 2),
		loginKey:  randomBytes(32),
		done:      make(chan struct{}),
	}
	s.routes()
	return s, nil
}

// Run ends idle logins once a minute until ctx ends or Close is called. A
// request from an idle login is refused anyway; this drops its keys sooner.
// It also indexes queued items in the background (indexer.go).
func (s *Server) Run(ctx context.Context) {
	go s.runIndexer(ctx)
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-t.C:
			s.sessions.expire(s.cfg.Now(), s.cfg.IdleTimeout)
			s.tokens.expire(s.cfg.Now(), s.cfg.IdleTimeout)
			s.recheckTokens(ctx) // api.go
		}
	}
}

// Close ends every login, closing its Archive.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	s.sessions.closeAll()
	s.tokens.closeAll()
	return nil
}

// ServeHTTP sets the headers every response carries and routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.cfg.Secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.instrument(w, r) // api_metrics.go
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(static)
	m.Handle("GET /static/", http.StripPrefix("/static/", noListing(files)))
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.loginPost)
	m.HandleFunc("GET /lang", s.setLang)
	m.HandleFunc("POST /logout", s.authed(s.logout))
	m.HandleFunc("POST /ping", s.authed(s.ping))
	m.HandleFunc("POST /reauth", s.authed(s.reauth))
	m.HandleFunc("GET /{$}", s.authed(s.dashboard))
	m.HandleFunc("GET /search", s.authed(s.search))
	m.HandleFunc("GET /show/{id}", s.authed(s.show))
	m.HandleFunc("GET /records", s.authed(s.recordList))
	m.HandleFunc("GET /log", s.authed(s.custodyLog))
	m.HandleFunc("POST /log", s.authed(s.custodyLog))
	m.HandleFunc("GET /timeline", s.authed(s.timeline))
	m.HandleFunc("GET /map", s.authed(s.placesMap))
	m.HandleFunc("GET /publish", s.authed(s.publishPreview))
	m.HandleFunc("GET /vault", s.authed(s.vault))
	// Intake, and redaction and annotation by selecting text.
	m.HandleFunc("GET /intake", s.authed(s.intakePage))
	m.HandleFunc("POST /intake", s.authedUpload(s.intakePost))
	m.HandleFunc("POST /select", s.authed(s.selectPost))
	// Review, four eyes (review.go).
	m.HandleFunc("GET /review", s.authed(s.reviewQueue))
	m.HandleFunc("POST /review", s.authed(s.reviewBulk))
	m.HandleFunc("POST /review/{id}", s.authed(s.reviewPost))
	m.HandleFunc("GET /approvals", s.authed(s.approvals))
	m.HandleFunc("POST /approvals/{id}", s.authed(s.approvalPost))
	m.HandleFunc("POST /timenotes/{item}", s.authed(s.timeNotePost))
	// Record forms (recordform.go).
	m.HandleFunc("GET /records/new", s.authed(s.recordNew))
	m.HandleFunc("POST /records/new", s.authed(s.recordCreate))
	m.HandleFunc("GET /records/edit/{id}", s.authed(s.recordEdit))
	m.HandleFunc("POST /records/edit/{id}", s.authed(s.recordUpdate))
	// Court bundle export as a zip download (export.go).
	m.HandleFunc("GET /export", s.authed(s.exportPage))
	m.HandleFunc("POST /export", s.authed(s.exportPost))
	// The JSON API (api.go) and the server's metrics (api_metrics.go).
	s.registerAPI(m)
	m.HandleFunc("GET /metrics", s.serveMetrics)
	s.mux = m
}

// noListing serves files but not directory listings.
func noListing(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// randomBytes returns n bytes from the system's CSPRNG (which does not fail
// on supported systems: crypto/rand.Read panics rather than return short).
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }
