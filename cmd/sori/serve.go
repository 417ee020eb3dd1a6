package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sori/internal/archive"
	"sori/internal/web"
)

var serveCmd = &command{
	name:    "serve",
	summary: "serve the web app over an archive",
	usage: `
Usage: sori serve [--archive DIR] [--addr HOST:PORT] [--tls-cert F --tls-key F]
                  [--tls-proxy] [--idle-timeout D] [--max-upload SIZE]

Serves sori's web app: log in with an archive user's name and passphrase,
then search, read testimonies with their translations side by side, follow
records and what links to them, and see the custody log, a timeline, a map
and the publication preview. Every page shows what the user's role allows,
through the same checks and the same disclosure guard as the CLI.

Each login unlocks the user's keys in the server's memory only, until
logout or --idle-timeout without a request (default 15m; the page warns a
minute before). Nothing of a session is written to disk. While someone is
logged in, items added to the archive are indexed for search in the
background (after an intake, and every 30s for other processes' intake).

Roles that may add evidence upload files on the intake page; each upload
is streamed into the archive, encrypted as it arrives. --max-upload bounds
one upload (bytes, or with a suffix K, M, G, T in powers of 1024; default
2G); a larger one is refused (413) and nothing is stored. A reverse proxy
in front must allow as much (nginx: client_max_body_size) and must not
buffer request bodies to disk (nginx: proxy_request_buffering off).

--addr is where to listen (default 127.0.0.1:8080, this machine only). A
non-loopback address needs TLS: --tls-cert and --tls-key (PEM files), or
--tls-proxy when a reverse proxy on this host terminates TLS and forwards
to a loopback --addr (cookies are then marked Secure). docs/deploy.md has
examples.

The server stops on SIGINT or SIGTERM, ending every login.

Examples:
  sori serve --archive ~/sori
  sori serve --addr 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem
  sori serve --archive ~/sori --max-upload 8G
`,
	run: runServe,
}

type serveOptions struct {
	dir       string
	addr      string
	certFile  string
	keyFile   string
	tlsProxy  bool
	idle      time.Duration
	maxUpload int64
	announced func(url string) // called once listening (sori demo prints the login)
}

func runServe(ctx context.Context, e *env, args []string) error {
	o := serveOptions{}
	fs := newFlags("serve")
	fs.StringVar(&o.dir, "archive", e.getenv("SORI_ARCHIVE"), "")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "")
	fs.StringVar(&o.certFile, "tls-cert", "", "")
	fs.StringVar(&o.keyFile, "tls-key", "", "")
	fs.BoolVar(&o.tlsProxy, "tls-proxy", false, "")
	fs.DurationVar(&o.idle, "idle-timeout", 15*time.Minute, "")
	o.maxUpload = 2 << 30
	fs.Func("max-upload", "", func(v string) error {
		n, err := parseByteSize(v)
		if err != nil {
			return err
		}
		o.maxUpload = n
		return nil
	})
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if o.dir == "" {
		return usagef("no archive: pass --archive DIR or set SORI_ARCHIVE")
	}
	if !archive.IsArchive(o.dir) {
		return fmt.Errorf("%s is not a sori archive (run 'sori init --archive %s' to create one)", o.dir, o.dir)
	}
	return serve(ctx, e, o)
}

// checkServe refuses options that would send passphrases in the clear.
func (o serveOptions) check() error {
	if (o.certFile == "") != (o.keyFile == "") {
		return usagef("give both --tls-cert and --tls-key, or neither")
	}
	if o.idle < time.Minute {
		return usagef("--idle-timeout must be at least 1m")
	}
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return usagef("--addr %q: want HOST:PORT (e.g. 127.0.0.1:8080)", o.addr)
	}
	if o.certFile == "" && !o.tlsProxy && !isLoopback(host) {
		return usagef("--addr %s is reachable from other machines: serve it with --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS reverse proxy (--tls-proxy)", o.addr)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serve runs the web app over the archive in o.dir until ctx ends.
func serve(ctx context.Context, e *env, o serveOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	// One Repo for the server's life (the archive lock, the store and its
	// search cache, the blob store); each login is a Session on it.
	repo, err := archive.OpenRepo(ctx, o.dir, archiveOptions(e))
	if err != nil {
		return err
	}
	defer repo.Close()
	srv, err := web.New(web.Config{
		Unlock:      repo.Unlock,
		UnlockToken: repo.UnlockToken,
		Secure:      o.certFile != "" || o.tlsProxy,
		IdleTimeout: o.idle,
		MaxUpload:   o.maxUpload,
		Logger:      e.log,
		IndexWake:   repo.IndexWake(),
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.addr, err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go srv.Run(ctx)
	scheme := "http"
	if o.certFile != "" || o.tlsProxy {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s/", scheme, ln.Addr())
	fmt.Fprintf(e.stdout, "Serving %s at %s (stop with Ctrl-C)\n", o.dir, url)
	if o.announced != nil {
		o.announced(url)
	}
	errc := make(chan error, 1)
	go func() {
		if o.certFile != "" {
			errc <- hs.ServeTLS(ln, o.certFile, o.keyFile)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// parseByteSize reads a size in bytes: digits, optionally followed by K, M,
// G or T (powers of 1024, with or without a trailing "iB" or "B").
func parseByteSize(v string) (int64, error) {
	s := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(v)), "B"), "I")
	shift := 0
	if s != "" {
		switch s[len(s)-1] {
		case 'K':
			shift = 10
		case 'M':
			shift = 20
		case 'G':
			shift = 30
		case 'T':
			shift = 40
		}
		if shift > 0 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q: want a positive size such as 500M or 4G", v)
	}
	return n << shift, nil
}
