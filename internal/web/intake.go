package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
)

// The intake page: an upload is streamed from the request body straight
// into the archive (AddSources), which hashes and encrypts it as it reads.
// Nothing of it is buffered whole or written anywhere else: the multipart
// body is read part by part (never ParseMultipartForm, which spools large
// files to temporary files), and the form's fields come before its file.

// defaultMaxUpload bounds one upload unless Config.MaxUpload says otherwise.
const defaultMaxUpload = 2 << 30

// maxField bounds one text field of the upload form, maxFields their
// number: together well within the maxForm the body may add to the file.
const (
	maxField  = 4 << 10
	maxFields = 12
)

// uploadKinds are the kinds the form offers ("" lets the archive guess).
var uploadKinds = []string{"", "transcript", "document", "audio", "video", "image"}

type intakeData struct {
	MaxUpload   int64
	MaxText     string
	Kinds       []string
	Testimonies []link
	Form        map[string]string
	Result      *intakeResult
}

type intakeResult struct {
	ID, Name  string
	Title     string
	Size      int64
	Duplicate bool
	Linked    string // the testimony linked to, if any
	LinkErr   string // why linking it failed (through the guard)
	Names     int    // spans of sealed names found in its text
}

// canAdd reports whether the session's roles may add evidence: what the
// navigation offers; the archive checks again.
func (ss *session) canAdd() bool { return archive.Permits(ss.roles, archive.OpAdd) }

func (s *Server) maxUpload() int64 {
	if s.cfg.MaxUpload > 0 {
		return s.cfg.MaxUpload
	}
	return defaultMaxUpload
}

// intakeData lists what the form needs: the testimonies an upload may join.
func (s *Server) intakeForm(r *http.Request, ss *session, form map[string]string) (intakeData, error) {
	d := intakeData{MaxUpload: s.maxUpload(), MaxText: sizeText(s.maxUpload()), Kinds: uploadKinds, Form: form}
	if !archive.Permits(ss.roles, archive.OpRecordEdit) {
		return d, nil
	}
	err := ss.arch.Records(r.Context(), model.KindTestimony, func(id evidence.ID, b model.Body) error {
		d.Testimonies = append(d.Testimonies, link{ID: id.String(), Kind: model.KindTestimony, Label: labelOf(b)})
		return nil
	})
	return d, err
}

func (s *Server) intakePage(w http.ResponseWriter, r *http.Request, ss *session) {
	if !ss.canAdd() {
		s.fail(w, r, ss, http.StatusForbidden, "err.forbidden")
		return
	}
	d, err := s.intakeForm(r, ss, map[string]string{"testimony": r.URL.Query().Get("testimony")})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	s.render(w, r, ss, http.StatusOK, "intake", "intake.title", d)
}

// authedUpload is authed for the upload: the body is not bounded to a
// form's size nor parsed as a form. The CSRF token comes in the
// X-CSRF-Token header (the page's script) or as the multipart body's first
// field (a plain form), which intakePost checks before reading further.
func (s *Server) authedUpload(h func(w http.ResponseWriter, r *http.Request, ss *session, headerToken bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var ss *session
		if c, err := r.Cookie(s.cookieName()); err == nil {
			ss = s.sessions.touch(c.Value, s.cfg.Now(), s.cfg.IdleTimeout)
		}
		if ss == nil {
			s.toLogin(w, r)
			return
		}
		if !sameOrigin(r) {
			s.fail(w, r, ss, http.StatusForbidden, "err.csrf")
			return
		}
		header := tokenEqual(r.Header.Get("X-CSRF-Token"), ss.csrf)
		if !s.serveOpen(w, r, ss, func(w http.ResponseWriter, r *http.Request, ss *session) { h(w, r, ss, header) }) {
			s.toLogin(w, r)
		}
		if ss.ending.Load() {
			ss.close()
		}
	}
}

// errTooLarge is an upload past the server's limit.
var errTooLarge = errors.New("the upload is larger than the server accepts")

// capReader gives at most n bytes of r, then errTooLarge if r has more.
// While bytes arrive it calls alive now and then, so that an upload longer
// than the idle timeout does not end its own login.
type capReader struct {
	r     io.Reader
	n     int64
	hit   bool
	now   func() time.Time
	last  time.Time
	alive func(time.Time)
}

// aliveEvery is how often an upload in progress marks its login used.
const aliveEvery = 30 * time.Second

func (c *capReader) Read(p []byte) (int, error) {
	k, err := c.read(p)
	if k > 0 && c.alive != nil {
		if t := c.now(); t.Sub(c.last) >= aliveEvery {
			c.last = t
			c.alive(t)
		}
	}
	return k, err
}

func (c *capReader) read(p []byte) (int, error) {
	if c.n <= 0 {
		var one [1]byte
		if k, err := c.r.Read(one[:]); k > 0 {
			c.hit = true
			return 0, errTooLarge
		} else if err != nil {
			return 0, err
		}
		return 0, nil
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	k, err := c.r.Read(p)
	c.n -= int64(k)
	return k, err
}

func (s *Server) intakePost(w http.ResponseWriter, r *http.Request, ss *session, headerToken bool) {
	if !ss.canAdd() {
		s.fail(w, r, ss, http.StatusForbidden, "err.forbidden")
		return
	}
	limit := s.maxUpload()
	if r.ContentLength > limit+maxForm {
		s.tooLarge(w, r, ss)
		return
	}
	// The server's read timeout is for forms; a large file over a slow
	// line takes longer. The body stays bounded by the limit.
	http.NewResponseController(w).SetReadDeadline(time.Time{})
	r.Body = http.MaxBytesReader(w, r.Body, limit+maxForm)
	mr, err := r.MultipartReader()
	if err != nil {
		s.fail(w, r, ss, http.StatusBadRequest, "intake.nofile")
		return
	}
	form := map[string]string{}
	tokenOK := headerToken
	fields := 0
	var file *multipart.Part
	for file == nil {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.uploadReadFailed(w, r, ss, err)
			return
		}
		name := p.FormName()
		if fields++; fields > maxFields {
			s.fail(w, r, ss, http.StatusBadRequest, "intake.badfield")
			return
		}
		if !tokenOK && name != "csrf" {
			s.fail(w, r, ss, http.StatusForbidden, "err.csrf")
			return
		}
		if p.FileName() != "" || name == "file" {
			if name == "file" {
				file = p
			}
			continue
		}
		v, err := io.ReadAll(io.LimitReader(p, maxField+1))
		if err != nil {
			s.uploadReadFailed(w, r, ss, err)
			return
		}
		if len(v) > maxField || !utf8.Valid(v) {
			s.fail(w, r, ss, http.StatusBadRequest, "intake.badfield")
			return
		}
		if name == "csrf" {
			if !tokenEqual(string(v), ss.csrf) {
				s.fail(w, r, ss, http.StatusForbidden, "err.csrf")
				return
			}
			tokenOK = true
			continue
		}
		form[name] = strings.TrimSpace(string(v))
	}
	if !tokenOK {
		s.fail(w, r, ss, http.StatusForbidden, "err.csrf")
		return
	}
	if file == nil || file.FileName() == "" {
		s.fail(w, r, ss, http.StatusBadRequest, "intake.nofile")
		return
	}
	s.intakeFile(w, r, ss, form, file, limit)
}

// intakeFile stores the upload's file part with the form's options and, if
// the form names a testimony, links the new item to it.
func (s *Server) intakeFile(w http.ResponseWriter, r *http.Request, ss *session, form map[string]string, file *multipart.Part, limit int64) {
	ctx := r.Context()
	opt := archive.AddOptions{Title: form["title"], Lang: form["lang"], Kind: form["kind"], Witness: form["witness"], Note: form["note"]}
	testimony, as := form["testimony"], form["as"]
	if as == "" {
		as = archive.LinkOriginal
	}
	if testimony != "" {
		// The testimony is checked before anything is stored, and a
		// translation is recorded as one of its original.
		info, err := ss.arch.Record(ctx, testimony)
		if err != nil {
			s.failErr(w, r, ss, err)
			return
		}
		t, ok := info.Current.(*model.Testimony)
		if !ok || (as != archive.LinkOriginal && as != archive.LinkTranslation) {
			s.fail(w, r, ss, http.StatusBadRequest, "intake.notestimony")
			return
		}
		if as == archive.LinkTranslation && t.Original != nil {
			opt.TranslationOf = t.Original.String()
		}
		testimony = info.ID.String()
	}
	src := &capReader{r: file, n: limit, now: s.cfg.Now, last: s.cfg.Now(), alive: func(t time.Time) { s.sessions.keepAlive(ss, t) }}
	var added archive.Added
	err := ss.arch.AddSources(ctx, []archive.Source{{Name: uploadName(file.FileName()), Size: -1, R: src}}, opt, func(a archive.Added) error {
		added = a
		return nil
	})
	var mbe *http.MaxBytesError
	switch {
	case src.hit || errors.As(err, &mbe) || errors.As(added.Err, &mbe):
		s.tooLarge(w, r, ss)
		return
	case err != nil:
		s.failErr(w, r, ss, err)
		return
	case errors.Is(added.Err, io.ErrUnexpectedEOF):
		s.fail(w, r, ss, http.StatusBadRequest, "intake.cut") // the sender stopped
		return
	case added.Err != nil:
		s.failErr(w, r, ss, added.Err)
		return
	}
	res := &intakeResult{ID: added.ID.String(), Name: added.Path, Title: opt.Title, Size: added.Size, Duplicate: added.Duplicate, Names: len(added.Names)}
	if testimony != "" {
		// The item is stored whatever happens here: a failed link is
		// reported beside it, to be made again, not uploaded again.
		if _, err := ss.arch.LinkTestimonyItem(ctx, testimony, res.ID, as); err != nil {
			res.LinkErr = ss.arch.DiscloseError(err).Error()
		} else {
			res.Linked = testimony
		}
	}
	s.log.Info("web: item added", "item", res.ID, "bytes", res.Size)
	d, err := s.intakeForm(r, ss, map[string]string{})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	d.Result = res
	s.render(w, r, ss, http.StatusOK, "intake", "intake.title", d)
}

func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request, ss *session) {
	w.Header().Set("Connection", "close") // the rest of the body is not read
	s.render(w, r, ss, http.StatusRequestEntityTooLarge, "error", "err.title",
		errorData{Key: "intake.toolarge", Detail: sizeText(s.maxUpload())})
}

// uploadReadFailed answers a body that could not be read: too large, or
// cut off.
func (s *Server) uploadReadFailed(w http.ResponseWriter, r *http.Request, ss *session, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.tooLarge(w, r, ss)
		return
	}
	s.fail(w, r, ss, http.StatusBadRequest, "intake.nofile")
}

// uploadName is the file name a browser sent, without any directory (some
// send a path), as the archive records it.
func uploadName(n string) string {
	n = path.Base(strings.ReplaceAll(n, "\\", "/"))
	if n == "." || n == "/" || n == ".." || !utf8.ValidString(n) {
		return "upload"
	}
	return n
}

// sizeText is n bytes in binary units, as the form states its limit.
func sizeText(n int64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	f := float64(n)
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatInt(n, 10) + " " + units[0]
	}
	return strings.TrimSuffix(strconv.FormatFloat(f, 'f', 1, 64), ".0") + " " + units[i]
}

// keepAlive marks ss used at now if it is still a login; unlike touch it
// never ends one (its caller holds the session open).
func (st *sessionStore) keepAlive(ss *session, now time.Time) {
	st.mu.Lock()
	if st.byID[ss.id] == ss && now.After(ss.lastSeen) {
		ss.lastSeen = now
	}
	st.mu.Unlock()
}
