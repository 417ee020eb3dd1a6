// Package web is sori's web app (sori serve): server-rendered pages over the
// archive, for people who do not use a terminal.
//
// Every value a page shows comes from an exported method of
// internal/archive, called on the logged-in user's own unlocked Archive, so
// it has passed the archive's role check and disclosure guard: the web layer
// MUST NOT read the store or blobs by any other path, and MUST NOT cache
// contents across sessions.
//
// A login unlocks a Session of the server's one Repo through an Unlocker
// (repo.Unlock) and keeps it in memory only while the login lasts: logout, the
// idle timeout and Server.Close close it, which drops its keys. Nothing of a
// session is written to disk; pages are sent with Cache-Control: no-store so
// that browsers do not keep testimony on disk either.
//
// The pages run under a nonce-based Content-Security-Policy with no inline
// or eval'd script (htmx is configured with allowEval off and no hx-on), every
// form carries a CSRF token, cookies are HttpOnly and SameSite=Strict (and
// Secure under TLS), and login attempts are slowed per user and per address.
package web
