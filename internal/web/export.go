package web

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"

	"sori/internal/archive"
	"sori/internal/bundle"
	"sori/internal/evidence"
	"sori/internal/store"
)

// The export page: a court bundle of chosen items, downloaded as a zip
// (bundle.WriteZip) streamed from the archive, with nothing of it written
// to the server's disk. Exporting needs the passphrase again (as the vault
// does), goes through the same archive method and consent rules as 'sori
// export', and under four eyes records a request (409) that another user
// approves before the download can run with it.

type exportData struct {
	Reauth     bool
	Items      string // the IDs as given, one a line
	Recipients string
	Request    string
}

func (ss *session) canExport() bool { return archive.Permits(ss.roles, archive.OpExport) }

// exportPage shows the form, after the passphrase was entered again.
func (s *Server) exportPage(w http.ResponseWriter, r *http.Request, ss *session) {
	if !ss.canExport() {
		s.fail(w, r, ss, http.StatusForbidden, "err.forbidden")
		return
	}
	q := r.URL.Query()
	d := exportData{Items: strings.Join(q["item"], "\n"), Request: q.Get("request")}
	d.Reauth = !s.sessions.reauthed(ss, s.cfg.Now(), s.cfg.ReauthWindow)
	s.render(w, r, ss, http.StatusOK, "export", "export.title", d)
}

// recipientLines splits the recipients' text area by line: an SSH key has
// spaces in it.
func recipientLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// exportPost writes the bundle as a zip download.
func (s *Server) exportPost(w http.ResponseWriter, r *http.Request, ss *session) {
	if !ss.canExport() {
		s.fail(w, r, ss, http.StatusForbidden, "err.forbidden")
		return
	}
	if !s.sessions.reauthed(ss, s.cfg.Now(), s.cfg.ReauthWindow) {
		s.render(w, r, ss, http.StatusUnauthorized, "export", "export.title", exportData{Reauth: true})
		return
	}
	ids, recipients := strings.Fields(r.PostFormValue("items")), recipientLines(r.PostFormValue("recipients"))
	request := strings.TrimSpace(r.PostFormValue("request"))
	if len(ids) == 0 {
		s.failErr(w, r, ss, fmt.Errorf("%w: name the items to export, one ID a line", evidence.ErrInvalid))
		return
	}
	ctx := r.Context()
	var x *archive.Export
	var err error
	if request != "" {
		x, err = ss.arch.ExportApproved(ctx, request, ids, recipients)
	} else {
		x, err = ss.arch.Export(ctx, ids, recipients)
	}
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	ex, err := bundle.ExtrasFor(ctx, ss.arch, x.Checkpoint)
	if err != nil {
		s.log.Error("web: export extras", "bundle", x.ID, "err", ss.arch.DiscloseError(err).Error())
		s.failErr(w, r, ss, err)
		return
	}
	// From here the response is the zip: an error halfway can only cut it
	// short, which leaves a zip without its central directory (no unzip
	// tool takes it for whole); the custody log records the export.
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+bundle.ZipRoot(x)+`.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriterSize(w, 256<<10)
	open := func(it store.Item) (io.ReadCloser, error) { return x.Open(ctx, it) }
	if err := bundle.WriteZip(ctx, x, open, bw, ex); err != nil {
		s.log.Error("web: export cut short", "bundle", x.ID, "err", ss.arch.DiscloseError(err).Error())
		return
	}
	if err := bw.Flush(); err != nil {
		s.log.Info("web: export download interrupted", "bundle", x.ID)
	}
}
