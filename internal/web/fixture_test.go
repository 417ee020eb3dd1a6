package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
)

// Synthetic fixture: an invented witness whose sealed name is written into
// a transcript, its title, a person record and an event.
const (
	adminPass  = "admin passphrase 1"
	readerPass = "reader passphrase 1"
	sealedKo   = "한영남"
	sealedRR   = "Han Yeong-nam"
	pseudonym  = "W-77"
	xssTitle   = `<script>alert("x")</script>`
)

var sealedForms = []string{sealedKo, sealedRR, "Han Yeongnam", "Yeong-nam", "영남"}

type fixture struct {
	dir                          string
	item, trans, testimony, ev   evidence.ID
	person, place, xssItem, note evidence.ID
	transcript                   string
}

func workFactor() int {
	if n, err := strconv.Atoi(os.Getenv("SORI_TEST_KDF_LOGN")); err == nil && n > 0 {
		return n
	}
	return 10
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{dir: t.TempDir()}
	a, err := archive.Init(ctx, f.dir, "admin", adminPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.AddUser(ctx, "reader", archive.RoleReader, readerPass); err != nil {
		t.Fatal(err)
	}
	f.transcript = "이 자료는 시험용으로 지어낸 것입니다.\n질문: 누구와 함께 두만강을 건넜습니까?\n답변: " + sealedKo + "(" + sealedRR + ")와 함께 건넜습니다.\n"
	f.item = addText(t, a, f.transcript, archive.AddOptions{Title: "면담 " + sealedKo, Lang: "ko", Kind: "transcript", Witness: pseudonym})
	f.trans = addText(t, a, "Invented for tests. Q: Who crossed the Tumen with you? A: "+sealedRR+".\n",
		archive.AddOptions{Title: "Interview (English)", Lang: "en", Kind: "transcript", Witness: pseudonym, TranslationOf: f.item.String()})
	f.xssItem = addText(t, a, "plain text "+xssTitle+"\n", archive.AddOptions{Title: xssTitle, Lang: "en", Kind: "transcript"})
	d, err := model.ParseDate("1998-10")
	if err != nil {
		t.Fatal(err)
	}
	f.testimony = addRecord(t, a, &model.Testimony{Title: "Testimony of " + pseudonym, Witness: pseudonym, Date: d,
		Languages: []string{"ko", "en"}, Original: &f.item, Translations: []evidence.ID{f.trans}})
	f.person = addRecord(t, a, &model.Person{Names: []string{sealedKo, sealedRR}})
	lat, lon := 42.0, 129.0
	f.place = addRecord(t, a, &model.Place{Names: []string{"Invented hut"}, Type: "river_crossing", Lat: &lat, Lon: &lon})
	f.ev = addRecord(t, a, &model.Event{Title: "Crossing with " + sealedKo, Date: d})
	f.note = addRecord(t, a, &model.Annotation{Item: f.item, Start: 0, End: 3, Target: f.ev, Note: "crossed with " + sealedKo})
	if _, err := a.AddWitness(ctx, archive.Witness{Pseudonym: pseudonym, Names: []string{sealedKo, sealedRR}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.IndexPending(ctx, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func addText(t *testing.T, a *archive.Archive, text string, opt archive.AddOptions) evidence.ID {
	t.Helper()
	opt.Stdin = strings.NewReader(text)
	opt.StdinName = "t.txt"
	var id evidence.ID
	err := a.Add(context.Background(), []string{archive.Stdin}, opt, func(r archive.Added) error {
		id = r.ID
		return r.Err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func addRecord(t *testing.T, a *archive.Archive, b model.Body) evidence.ID {
	t.Helper()
	id, err := a.AddRecord(context.Background(), b)
	if err != nil {
		t.Fatalf("%s: %v", b.Kind(), err)
	}
	return id
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type harness struct {
	t     *testing.T
	f     *fixture
	srv   *Server
	ts    *httptest.Server
	clock *clock
}

func newHarness(t *testing.T, f *fixture) *harness {
	return newHarnessWith(t, f, Config{})
}

// newHarnessWith serves f's archive with cfg, its Unlocker and clock set.
func newHarnessWith(t *testing.T, f *fixture, cfg Config) *harness {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	// As sori serve does: one Repo, a Session per login.
	repo, err := archive.OpenRepo(t.Context(), f.dir, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Unlock = repo.Unlock
	cfg.Now = c.now
	srv, err := New(cfg)
	if err != nil {
		repo.Close()
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close(); repo.Close() })
	return &harness{t: t, f: f, srv: srv, ts: ts, clock: c}
}

// browser is one client with its own cookies; it does not follow redirects.
type browser struct {
	h *harness
	c *http.Client
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	*http.Response
	body string
}

func (b *browser) do(req *http.Request) response {
	b.h.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return response{resp, sb.String()}
}

func (b *browser) get(path string) response {
	req, _ := http.NewRequest("GET", b.h.ts.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) response {
	req, _ := http.NewRequest("POST", b.h.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var (
	csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	bodyCSRF  = regexp.MustCompile(`data-csrf="([^"]+)"`)
)

// login posts the login form as user and returns the response.
func (b *browser) login(user, pass string) response {
	b.h.t.Helper()
	page := b.get("/login")
	m := csrfField.FindStringSubmatch(page.body)
	if m == nil {
		b.h.t.Fatalf("login page has no CSRF field:\n%s", page.body)
	}
	return b.post("/login", url.Values{"csrf": {m[1]}, "user": {user}, "passphrase": {pass}})
}

func (b *browser) mustLogin(user, pass string) {
	b.h.t.Helper()
	if r := b.login(user, pass); r.StatusCode != http.StatusSeeOther {
		b.h.t.Fatalf("login as %s: %s\n%s", user, r.Status, r.body)
	}
}

// csrf reads the session's token from a logged-in page.
func (b *browser) csrf() string {
	b.h.t.Helper()
	m := bodyCSRF.FindStringSubmatch(b.get("/").body)
	if m == nil {
		b.h.t.Fatal("no CSRF token on the dashboard")
	}
	return m[1]
}

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}
